"""Browser tests: the app served by `panel serve`, driven in headless Chromium.

Chromium comes from Debian (`make test` installs it); Playwright drives it
through ``executable_path``. Without a Chromium binary these tests skip.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("GANLAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


_LOG: dict[str, Path] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, timeout: float = 90.0, proc: subprocess.Popen | None = None) -> None:
    """Wait for ``url`` to answer 200 (or for ``proc``, the server, to end:
    an error). Each request may take the time left: an app's page is a new
    session, and one abandoned by a short client timeout would still be
    built, so that retries on a busy machine pile up builds and none answers
    in time."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server for {url} ended (exit code {proc.returncode}) before answering")
        try:
            with urllib.request.urlopen(url, timeout=max(deadline - time.time(), 1.0)) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def stop(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """End a server process: politely, then by force."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def served(apps: list[str], page: str, log_path: Path):
    """`panel serve` of ``apps`` (names in apps/) on a free port, its output in
    ``log_path``: the URL of ``page``, answering, until the block ends."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "panel", "serve", *(str(ROOT / "apps" / f"{app}.py") for app in apps),
             "--port", str(port), "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/{page}"
        _LOG[url] = log_path
        try:
            wait_for_http(url, timeout=150.0, proc=proc)   # a fresh clone compiles the kernel meanwhile
            yield url
        finally:
            stop(proc)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """`panel serve apps/ganlab.py apps/compare.py` on a free port (the app's
    URL; /compare beside it); its log is kept for failures."""
    with served(["ganlab", "compare"], "ganlab", tmp_path_factory.mktemp("server") / "panel-serve.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Chromium, driven by Playwright, for one test module. Playwright's sync
    API keeps an event loop running on this thread while it is open, where
    ``asyncio.run`` refuses to start: other modules' tests need it closed."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (make test installs Debian's)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, url: str, viewport: dict | None = None, ready: str = ".ganlab-iteration"):
    """A fresh browser context (its own session) showing the page at ``url``,
    once ``ready`` (a CSS selector) is on it and its document is idle."""
    context = browser.new_context(viewport=viewport or {"width": 1700, "height": 1000})
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.goto(url)
    pg.wait_for_selector(ready, timeout=60_000)
    pg.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].is_idle",
                         timeout=60_000)
    time.sleep(0.5)  # the widgets' views finish wiring up after the document is idle
    return pg


@pytest.fixture
def page(browser, app_url):
    pg = open_page(browser, app_url)
    yield pg
    pg.context.close()


@pytest.fixture
def server_log(app_url):
    """The served app's log so far (for checking that nothing went wrong)."""
    return lambda: Path(_LOG[app_url]).read_text()


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory):
    """A real JupyterLab (and Notebook 7) serving an empty folder on loopback."""
    pytest.importorskip("jupyterlab", reason="the notebook tests need JupyterLab (make test installs it)")
    from .notebook import JupyterLab

    root = tmp_path_factory.mktemp("notebooks")
    lab = JupyterLab(root, free_port(), tmp_path_factory.mktemp("jupyterlab-log") / "jupyterlab.log")
    try:
        lab.wait()
        yield lab
    finally:
        lab.close()
