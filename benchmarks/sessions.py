"""Many sessions on one server: do they all keep training, and does closing
them give the memory back?

    python benchmarks/sessions.py                      # 8 sessions playing for 20 s, then 100 open/close cycles
    python benchmarks/sessions.py --concurrent 8 --seconds 30 --cycles 0
    python benchmarks/sessions.py --concurrent 0 --cycles 100

Serves ``apps/ganlab.py`` (closed sessions are cleaned up after 1 s instead of
Bokeh's 15 s) and drives headless Chromium, one browser context per session.

Concurrent: opens N sessions, presses Play in each, and reads every page's
iteration counter once a second. Prints, per session, the iterations trained
and the share of one-second samples in which its counter moved; the server's
CPU and memory; and the lines of the server's log that report an error.

Cycles: opens and closes a session C times. Prints the server's memory after a
warm-up (5 cycles), after all of them, and the difference.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    cpu_seconds,
    iteration,
    open_app,
    rss_mb,
)

#: Bokeh server options: forget a closed session after one second
CLEANUP_ARGS = ("--check-unused-sessions", "500", "--unused-session-lifetime", "1000")

WARM_UP_CYCLES = 5


def concurrent(browser, server: Server, n: int, seconds: float) -> dict:
    pages = [open_app(browser, server.url) for _ in range(n)]
    for page in pages:
        page.locator(".ganlab-play button").click()
    time.sleep(2.0)
    counts = [[iteration(p)] for p in pages]
    cpu0, t0 = cpu_seconds(server.pid), time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        time.sleep(1.0)
        for p, c in zip(pages, counts):
            c.append(iteration(p))
    wall = time.perf_counter() - t0
    cpu = 100 * (cpu_seconds(server.pid) - cpu0) / wall
    rss = rss_mb(server.pid)
    errors = [e for p in pages for e in p.errors]
    for page in pages:
        page.locator(".ganlab-play button").click()
        page.context.close()
    trained = [c[-1] - c[0] for c in counts]
    moving = [sum(b > a for a, b in zip(c, c[1:])) / max(len(c) - 1, 1) for c in counts]
    print(f"# {n} sessions playing at once for {seconds:.0f} s (one Chromium, one context each)")
    for i, (t, m) in enumerate(zip(trained, moving), start=1):
        print(f"session {i}: {t:8,} iterations ({t / wall:6.0f} it/s), counter moved in {100 * m:5.1f} % of seconds")
    print(f"sessions updating all along      {sum(m == 1.0 for m in moving):8d} of {n}")
    print(f"iterations/s per session (median) {statistics.median(trained) / wall:7.0f}")
    print(f"iterations/s, all sessions       {sum(trained) / wall:8.0f}")
    print(f"server CPU (% of one core)       {cpu:8.0f}")
    print(f"server memory (MB)               {rss:8.0f}")
    print(f"page errors                      {len(errors):8d}")
    return {"moving": moving, "errors": errors}


def cycles(browser, server: Server, n: int) -> dict:
    def cycle():
        page = open_app(browser, server.url)
        page.locator(".ganlab-step button").click()  # the session does some work
        time.sleep(0.3)
        page.context.close()

    def settled_rss() -> float:
        time.sleep(3.0)  # closed sessions are destroyed within ~1.5 s
        return rss_mb(server.pid)

    for _ in range(WARM_UP_CYCLES):
        cycle()
    base = settled_rss()
    t0 = time.perf_counter()
    samples = []
    for i in range(n):
        cycle()
        if (i + 1) % max(n // 5, 1) == 0:
            samples.append((i + 1, rss_mb(server.pid)))
    wall = time.perf_counter() - t0
    end = settled_rss()
    print(f"# {n} open/close cycles (each opens the app, trains one iteration, closes), {wall:.0f} s")
    print(f"server memory after {WARM_UP_CYCLES} warm-up cycles (MB) {base:8.1f}")
    for done, rss in samples:
        print(f"  after {done:4d} cycles (MB)              {rss:8.1f}")
    print(f"server memory after all, settled (MB)  {end:8.1f}")
    print(f"growth over {n} cycles (MB)             {end - base:8.1f}  ({100 * (end - base) / base:+.1f} %)")
    return {"base": base, "end": end}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrent", type=int, default=8, help="sessions playing at once (0: skip)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long they play")
    parser.add_argument("--cycles", type=int, default=100, help="open/close cycles (0: skip)")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    with Server(*CLEANUP_ARGS) as server, sync_playwright() as p:
        server.wait()
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            ok = True
            if args.concurrent:
                result = concurrent(browser, server, args.concurrent, args.seconds)
                ok &= all(m == 1.0 for m in result["moving"]) and not result["errors"]
            if args.cycles:
                cycles(browser, server, args.cycles)
        finally:
            browser.close()
        errors = server.errors()
        print(f"server log lines reporting errors {len(errors):7d}")
        for line in errors[:10]:
            print("  " + line)
        return 0 if ok and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
