"""The engine's benchmark scripts run (briefly) and print figures. Not a timing
test. (Those driving the app in Chromium are in test_benchmarks_app.py.)"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.benchmark   # each benchmark script run briefly, end to end

ROOT = Path(__file__).resolve().parents[1]


def test_train_speed_prints_iterations_per_second():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "train_speed.py"), "--iterations", "20",
                          "--repeats", "1", "--only", "default"], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith("GAN Lab default")]
    assert len(rows) == 3, out.stdout  # every trainer path
    assert {row.split()[-4] for row in rows} == {"compiled", "numpy", "torch"}
    assert all(float(row.split()[-3]) > 0 for row in rows)


def test_modes_benchmark_prints_each_run_and_the_mean_beside_the_published_figures():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "modes.py"), "--seeds", "2", "--iterations",
                          "30", "--distributions", "ring8", "--workers", "2", "--misses",
                          "--set", "jacobian_truncation=0.1"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    runs = re.findall(r"ring8\s+seed (\d)\s+modes\s+(\d+)/8\s+high quality\s+([\d.]+) % \(untruncated\s+([\d.]+) %\)",
                      out.stdout)
    assert sorted(seed for seed, *_ in runs) == ["0", "1"], out.stdout
    mean = re.search(r"ring8\s+mean over 2 seeds: modes ([\d.]+)/8, high quality ([\d.]+) % \(untruncated\s+([\d.]+) %\)",
                     out.stdout)
    assert mean, out.stdout
    assert float(mean.group(1)) == pytest.approx(sum(int(r[1]) for r in runs) / 2)
    assert float(mean.group(3)) == pytest.approx(sum(float(r[3]) for r in runs) / 2, abs=0.051)
    assert "published PacGAN2: modes 7.9, high quality 95.6 %" in out.stdout
    # --misses: where each run's fresh samples lie, the four bands adding up to all of them
    bands = re.findall(r"within 3σ / 3-5σ / 5-10σ / beyond 10σ of a mode: ([\d.]+) % / ([\d.]+) % / ([\d.]+) % / "
                       r"([\d.]+) %", out.stdout)
    assert len(bands) == 2 and all(sum(map(float, b)) == pytest.approx(100, abs=0.3) for b in bands), out.stdout


def test_path_agreement_prints_each_seed_and_the_mean_difference():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "path_agreement.py"), "--seeds", "2",
                          "--iterations", "40"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    diffs = [float(d) for d in re.findall(r"seed\s+\d+\s+JS compiled [\d.]+\s+torch [\d.]+\s+difference ([+-][\d.]+)",
                                          out.stdout)]
    assert len(diffs) == 2, out.stdout
    mean = re.search(r"over 2 seeds, 40 iterations: ([+-][\d.]+) ± ([\d.]+)", out.stdout)
    assert mean and float(mean.group(1)) == pytest.approx(sum(diffs) / 2, abs=1e-4), out.stdout


def test_sweep_speed_prints_each_way_of_running_a_sweep():
    # in-process only: the local clusters' worker processes are the subprocess lane's (test_sweeps.py)
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "sweep_speed.py"), "--cells", "4",
                          "--iterations", "60", "--no-cluster"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [line for line in out.stdout.splitlines() if line.startswith(("one core", "in-process", "local cluster"))]
    assert len(rows) == 2, out.stdout
    assert all(float(row.split()[-3].replace(",", "")) > 0 for row in rows)   # GAN it/s


def test_exports_benchmark_prints_each_exports_time_and_size():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "exports.py"), "--moments", "4"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = dict(re.findall(r"^(\w+)\s+[\d.]+ s\s+([\d.]+) MB", out.stdout, re.M))
    assert set(rows) == {"gif", "mp4", "png", "pt2", "checkpoint", "ganlab"}, out.stdout
    assert "5 moments recorded" in out.stdout
