"""The benchmark scripts that drive the served app in Chromium run (briefly)
and print figures. Not a timing test. (Apart from the engine's scripts in
test_benchmarks.py, so that the two files run side by side.)"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.benchmark   # each benchmark script run briefly, end to end

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


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


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium to drive")
def test_sessions_all_keep_training_and_closing_sessions_frees_memory():
    # the benchmark plays 8 at once; 2 show the same here, in a fraction of the time
    text = _run_script("sessions.py", "--concurrent", "2", "--seconds", "2", "--settle", "2",
                       "--cycles", "1", "--warm-up", "0")
    assert "sessions updating at least every 2 s     2 of 2" in text
    assert _figure(text, "server log lines reporting errors") == 0
    assert _figure(text, "page errors") == 0
    assert "growth over 1 cycles (MB)" in text


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium to drive")
def test_soak_prints_memory_growth_and_keeps_playing():
    text = _run_script("soak.py", "--minutes", "0.1", "--interval", "3")
    assert "memory growth from minute" in text and "still playing at the end          yes" in text
    assert _figure(text, "server log lines reporting errors") == 0
