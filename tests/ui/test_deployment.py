"""A class on several processes: ``ganlab serve --num-procs 2``, and two
``ganlab serve`` processes behind nginx (as docs/deployment.md sets it up).
Each page has a session of its own whichever process serves it."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganlab_panel.deployment import COOKIE, nginx_config
from tests.ui.conftest import free_port, open_page, stop
from tests.ui.helpers import iteration, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.subprocess]

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


@contextlib.contextmanager
def ganlab_serve(log: Path, port: int, *extra: str, ready: int = 1):
    """``ganlab serve`` on a loopback port, once ``ready`` processes say so."""
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ganlab_panel.cli", "serve", "--port", str(port),
                                 "--address", "127.0.0.1", "--no-show", *extra],
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: log.read_text().count(" ready (") >= ready or proc.poll() is not None, timeout=120)
        assert proc.poll() is None, log.read_text()
        yield proc
    finally:
        stop(proc)


def running(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, ended but not yet reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def pages_and_sockets(log: str) -> tuple[int, int]:
    """The pages a server built, and the websockets it took."""
    return len(re.findall(r" 200 GET /ganlab[ ?]", log)), log.count("ServerConnection created")


def check_isolated(browser, url: str) -> tuple:
    """Two pages: one plays on the ring, the other is left alone; neither asks
    for anything the server does not serve (a stylesheet on a CDN: this
    machine reaches none). Returns both pages."""
    first, second = open_page(browser, url), open_page(browser, url)
    start = iteration(second)
    first.locator(".ganlab-distribution-ring button").click()
    wait_until(lambda: "primary" in (first.locator(".ganlab-distribution-ring button").get_attribute("class") or ""))
    first.locator(".ganlab-play button").click()
    begun = iteration(first)
    wait_until(lambda: iteration(first) > begun + 200, timeout=30)
    assert iteration(second) == start                          # the other session did not move...
    ring = second.locator(".ganlab-distribution-ring button").get_attribute("class") or ""
    assert "primary" not in ring                               # ...nor change its data
    first.locator(".ganlab-play button").click()
    errors = first.errors + second.errors
    assert not errors, errors
    return first, second


def test_num_procs_serves_isolated_sessions_from_several_processes(browser, tmp_path):
    log = tmp_path / "serve.log"
    port = free_port()
    with ganlab_serve(log, port, "--num-procs", "2", ready=2):
        pids = {int(p) for p in re.findall(r"process (\d+) ready", log.read_text())}
        assert len(pids) == 2                                   # two processes, each warmed up
        # Bokeh's processes share the port: a page's websocket may reach
        # either, and the session is built by the one it reaches
        pages = check_isolated(browser, f"http://127.0.0.1:{port}/ganlab")
        # a tab closed while it plays: its training stops within seconds, long
        # before Bokeh ends its session (15-32 s after its browser went); the
        # compare page's two runs too
        first = pages[0]
        first.locator(".ganlab-play button").click()
        begun = iteration(first)
        compare = open_page(browser, f"http://127.0.0.1:{port}/compare", ready=".ganlab-iteration-a")
        compare.locator(".ganlab-play button").click()
        wait_until(lambda: iteration(first) > begun and iteration(compare, "ganlab-iteration-a") > 0)
        for page in (*pages, compare):
            page.context.close()
        wait_until(lambda: log.read_text().count("paused training nobody watches") == 3, timeout=14)
    # stopping the first process stops the ones it forked
    wait_until(lambda: not any(running(pid) for pid in pids), timeout=20)
    assert "Traceback" not in log.read_text()


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (Debian: apt-get install nginx-light)")
def test_nginx_in_front_of_two_servers_balances_and_keeps_sessions_apart(browser, tmp_path):
    front, ports = free_port(), [free_port(), free_port()]
    backends = [f"127.0.0.1:{p}" for p in ports]
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_config(backends, listen=f"127.0.0.1:{front}", prefix=str(prefix)))
    logs = [tmp_path / f"serve-{p}.log" for p in ports]
    origin = ("--allow-websocket-origin", f"127.0.0.1:{front}")
    with ganlab_serve(logs[0], ports[0], *origin), ganlab_serve(logs[1], ports[1], *origin):
        with (prefix / "nginx.out").open("w") as out:
            nginx = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"],
                                     stderr=subprocess.STDOUT, stdout=out)
        try:
            time.sleep(0.5)
            assert nginx.poll() is None, (prefix / "nginx.out").read_text()
            first, second = check_isolated(browser, f"http://127.0.0.1:{front}/ganlab")
            pinned = [next(c["value"] for c in page.context.cookies() if c["name"] == COOKIE)
                      for page in (first, second)]
            assert sorted(pinned) == sorted(backends)          # least_conn: one page on each server
            for page in (first, second):
                page.context.close()
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
    for log in logs:
        text = log.read_text()
        assert "Traceback" not in text
        # each server built its page once, and that page's websocket came to it
        assert pages_and_sockets(text) == (1, 1), text[-2000:]
