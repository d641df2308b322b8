"""The benchmark scripts run (briefly) and print figures. Not a timing test."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_train_speed_prints_iterations_per_second():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "train_speed.py"), "--iterations", "20",
                          "--repeats", "1", "--only", "default"], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith("GAN Lab default")]
    assert rows, out.stdout
    assert float(re.split(r"\s{2,}", rows[0].strip())[1]) > 0
