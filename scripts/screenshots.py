"""Take the README's screenshots: the served app in headless Chromium.

    python scripts/screenshots.py                      # docs/screenshot-1366x768.png and -1920x1080.png
    python scripts/screenshots.py --sizes 1280x800 --out /tmp/shots --play 3
    python scripts/screenshots.py --click ganlab-edit --out /tmp/shots   # the model editor open

It serves ``apps/ganlab.py`` on a free loopback port (or uses ``--url``),
opens one page a size, trains the ring for ``--play`` seconds and saves
what the window shows. Chromium: ``$GANLAB_CHROMIUM`` or Debian's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "panel", "serve", str(ROOT / "apps" / "ganlab.py"),
                             "--port", str(port), "--address", "127.0.0.1",
                             "--allow-websocket-origin", f"127.0.0.1:{port}"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/ganlab"
    deadline = time.time() + 150
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=max(deadline - time.time(), 1.0)):
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"the app did not start at {url}")


def shoot(browser, url: str, width: int, height: int, path: Path, play: float, clicks=()) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.wait_for_selector(".ganlab-iteration", timeout=60_000)
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].is_idle",
                           timeout=60_000)
    time.sleep(1.0)
    if play > 0:
        page.locator(".ganlab-play button").first.click()
        time.sleep(play)
        page.locator(".ganlab-play button").first.click()
        time.sleep(1.5)
    for hook in clicks:
        page.locator(f".{hook} button").first.click()
        time.sleep(1.5)
    page.mouse.move(width - 2, height - 2)   # no button's tooltip in the picture
    time.sleep(0.5)
    page.screenshot(path=str(path))
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    print(f"{path}: {width}x{height}" + (f", {overflow} px wider than the window" if overflow > 0 else ""))
    page.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1366x768", "1920x1080"])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--url", help="an app already served (default: serve apps/ganlab.py)")
    parser.add_argument("--play", type=float, default=4.0, help="seconds of training before each picture")
    parser.add_argument("--click", nargs="*", default=[], metavar="HOOK",
                        help="buttons to press after training, by their ganlab-... class (e.g. ganlab-edit)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("GANLAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    proc, url = (None, args.url) if args.url else _serve()
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for size in args.sizes:
                width, height = (int(v) for v in size.lower().split("x"))
                shoot(browser, url, width, height, args.out / f"screenshot-{width}x{height}.png", args.play,
                      args.click)
            browser.close()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
