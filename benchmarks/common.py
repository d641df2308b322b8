"""What the browser-driven benchmarks share: serve the app, open Chromium, read
the page and the server process."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

#: lines of the server's log that mean something went wrong
ERROR_PATTERN = re.compile(r"Traceback|ERROR|Exception|Error:")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def iteration(page) -> int:
    return int(re.sub(r"\D", "", page.locator(".ganlab-iteration").inner_text()) or 0)


class Server:
    """``panel serve apps/ganlab.py apps/compare.py`` on a free loopback port, with its log."""

    def __init__(self, *extra_args: str, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/ganlab"
        self._log = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "panel", "serve", str(ROOT / "apps" / "ganlab.py"), str(ROOT / "apps" / "compare.py"),
             "--port", str(self.port),
             "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{self.port}", *extra_args],
            cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        self.pid = self.proc.pid

    def wait(self, timeout: float = 120.0, warm: bool = True) -> None:
        """Until it answers; ``warm`` also builds one throwaway session (imports,
        Datashader's compilation), as a server that has run a while has."""
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=5).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        if warm:
            urllib.request.urlopen(self.url, timeout=timeout).read()

    def log(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text()

    def errors(self) -> list[str]:
        return [line for line in self.log().splitlines() if ERROR_PATTERN.search(line)]

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()
        with contextlib.suppress(OSError):
            os.unlink(self._log.name)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


APP_READY_JS = "() => window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].is_idle"


def open_app(browser, url: str, timeout_ms: int = 120_000):
    """A new browser context (its own server session) with the app loaded."""
    context = browser.new_context(viewport={"width": 1700, "height": 1000})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(url)
    page.wait_for_selector(".ganlab-iteration", timeout=timeout_ms)
    page.wait_for_function(APP_READY_JS, timeout=timeout_ms)
    time.sleep(0.5)
    return page
