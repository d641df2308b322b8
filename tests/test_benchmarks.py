"""The benchmark scripts run (briefly) and print figures. Not a timing test."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def test_train_speed_prints_iterations_per_second():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "train_speed.py"), "--iterations", "20",
                          "--repeats", "1", "--only", "default"], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith("GAN Lab default")]
    assert len(rows) == 2, out.stdout  # both trainer paths
    assert {row.split()[-4] for row in rows} == {"numpy", "torch"}
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
