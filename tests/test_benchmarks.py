"""The benchmark scripts run (briefly) and print figures. Not a timing test."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.benchmark   # each benchmark script run briefly, end to end

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def test_train_speed_prints_iterations_per_second():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "train_speed.py"), "--iterations", "20",
                          "--repeats", "1", "--only", "default"], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith("GAN Lab default")]
    assert len(rows) == 3, out.stdout  # every trainer path
    assert {row.split()[-4] for row in rows} == {"compiled", "numpy", "torch"}
    assert all(float(row.split()[-3]) > 0 for row in rows)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium to drive")
def test_live_app_prints_frames_iterations_and_memory():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "live_app.py"), "--seconds", "2"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    figures = {}
    for line in out.stdout.splitlines():
        m = re.match(r"(frames/s|iterations/s|first paint|server memory)\D*?\s{2,}([\d.]+)$", line)
        if m:
            figures[m.group(1)] = float(m.group(2))
    assert set(figures) == {"frames/s", "iterations/s", "first paint", "server memory"}, out.stdout
    assert figures["frames/s"] > 0 and figures["iterations/s"] > 0 and figures["first paint"] > 0


def _run_script(name: str, *args: str, timeout: int = 400) -> str:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), *args],
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout


def _figure(text: str, label: str) -> float:
    m = re.search(re.escape(label) + r"\s+([-+\d.,]+)", text)
    assert m, f"{label!r} missing from:\n{text}"
    return float(m.group(1).replace(",", ""))


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium to drive")
def test_sessions_all_keep_training_and_closing_sessions_frees_memory():
    # the benchmark plays 8 at once; 3 show the same here, in a fraction of the time
    text = _run_script("sessions.py", "--concurrent", "3", "--seconds", "3", "--cycles", "2", "--warm-up", "1")
    assert "sessions updating at least every 2 s     3 of 3" in text
    assert _figure(text, "server log lines reporting errors") == 0
    assert _figure(text, "page errors") == 0
    assert "growth over 2 cycles (MB)" in text


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium to drive")
def test_soak_prints_memory_growth_and_keeps_playing():
    text = _run_script("soak.py", "--minutes", "0.1", "--interval", "3")
    assert "memory growth from minute" in text and "still playing at the end          yes" in text
    assert _figure(text, "server log lines reporting errors") == 0


def test_modes_benchmark_prints_each_run_and_the_mean_beside_the_published_figures():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "modes.py"), "--seeds", "2", "--iterations",
                          "30", "--distributions", "ring8", "--workers", "2"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    runs = re.findall(r"ring8\s+seed (\d)\s+modes\s+(\d+)/8\s+high quality\s+([\d.]+) %", out.stdout)
    assert sorted(seed for seed, _, _ in runs) == ["0", "1"], out.stdout
    mean = re.search(r"ring8\s+mean over 2 seeds: modes ([\d.]+)/8, high quality ([\d.]+) %", out.stdout)
    assert mean, out.stdout
    assert float(mean.group(1)) == pytest.approx(sum(int(m) for _, m, _ in runs) / 2)
    assert "published PacGAN2: modes 7.9, high quality 95.6 %" in out.stdout


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
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "sweep_speed.py"), "--cells", "4",
                          "--iterations", "60"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [line for line in out.stdout.splitlines() if line.startswith(("one core", "in-process", "local cluster"))]
    assert len(rows) == 4, out.stdout
    assert all(float(row.split()[-3].replace(",", "")) > 0 for row in rows)   # GAN it/s
