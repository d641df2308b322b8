"""Many sessions on one server: do they all keep training, and does closing
them give the memory back?

    python benchmarks/sessions.py                      # 8 sessions playing for 20 s, then 100 open/close cycles
    python benchmarks/sessions.py --concurrent 8 --seconds 30 --cycles 0
    python benchmarks/sessions.py --concurrent 0 --cycles 100

Serves ``apps/ganlab.py`` (closed sessions are cleaned up after 1 s instead of
Bokeh's 15 s) and drives headless Chromium, one browser context per session.

Concurrent: opens N sessions, presses Play in each, waits 5 s, and reads every
page's iteration counter twice a second. Prints, per session, the iterations
trained and the longest it went without its counter changing (a session
"keeps updating" when that is at most 2 s); the server's CPU and memory; and
the lines of the server's log that report an error.

Cycles: opens and closes a session C times. Prints the server's memory after a
warm-up (5 cycles unless --warm-up says), after all of them, and the difference.
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

#: after the last Play, before measuring: every session's first frames are out
SETTLE_SECONDS = 5.0

#: how often each page's counter is read, and the longest a live session may
#: go without its counter changing
SAMPLE_SECONDS = 0.5
MAX_GAP_SECONDS = 2.0


def concurrent(browser, server: Server, n: int, seconds: float, settle: float = SETTLE_SECONDS) -> dict:
    pages = [open_app(browser, server.url) for _ in range(n)]
    for page in pages:
        page.locator(".ganlab-play button").click()
    time.sleep(settle)
    first = [iteration(p) for p in pages]
    last = list(first)
    changed_at = [time.perf_counter()] * n
    gaps = [0.0] * n
    cpu0, t0 = cpu_seconds(server.pid), time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        time.sleep(SAMPLE_SECONDS)
        for i, p in enumerate(pages):
            now, value = time.perf_counter(), iteration(p)
            if value != last[i]:
                last[i], changed_at[i] = value, now
            gaps[i] = max(gaps[i], now - changed_at[i])
    wall = time.perf_counter() - t0
    cpu = 100 * (cpu_seconds(server.pid) - cpu0) / wall
    rss = rss_mb(server.pid)
    errors = [e for p in pages for e in p.errors]
    playing = [p.locator(".ganlab-play button").inner_text().strip() == "Pause" for p in pages]
    for page in pages:
        page.locator(".ganlab-play button").click()
        # closed only once the server has taken the click: Bokeh's server logs
        # an error for a message it handles after the page's websocket closed
        deadline = time.perf_counter() + 30
        while page.locator(".ganlab-play button").inner_text().strip() != "Play" and time.perf_counter() < deadline:
            time.sleep(0.1)
        page.context.close()
    trained = [b - a for a, b in zip(first, last)]
    live = [g <= MAX_GAP_SECONDS and on for g, on in zip(gaps, playing)]
    print(f"# {n} sessions playing at once for {seconds:.0f} s (one Chromium, one context each)")
    for i, (t, g, on) in enumerate(zip(trained, gaps, playing), start=1):
        print(f"session {i}: {t:8,} iterations ({t / wall:6.0f} it/s), longest wait for an update "
              f"{g:4.1f} s{'' if on else ' (NOT PLAYING)'}")
    print(f"sessions updating at least every {MAX_GAP_SECONDS:g} s  {sum(live):4d} of {n}")
    print(f"iterations/s per session (median) {statistics.median(trained) / wall:7.0f}")
    print(f"iterations/s, all sessions       {sum(trained) / wall:8.0f}")
    print(f"server CPU (% of one core)       {cpu:8.0f}")
    print(f"server memory (MB)               {rss:8.0f}")
    print(f"page errors                      {len(errors):8d}")
    return {"live": live, "errors": errors}


def cycles(browser, server: Server, n: int, warm_up: int = WARM_UP_CYCLES) -> dict:
    def cycle():
        page = open_app(browser, server.url)
        before = iteration(page)
        page.locator(".ganlab-step button").click()  # the session does some work...
        deadline = time.perf_counter() + 30
        while iteration(page) == before and time.perf_counter() < deadline:
            time.sleep(0.1)                          # ...and has done it (see concurrent) before the page closes
        page.context.close()

    def settled_rss() -> float:
        time.sleep(3.0)  # closed sessions are destroyed within ~1.5 s
        return rss_mb(server.pid)

    for _ in range(warm_up):
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
    print(f"server memory after {warm_up} warm-up cycles (MB) {base:8.1f}")
    for done, rss in samples:
        print(f"  after {done:4d} cycles (MB)              {rss:8.1f}")
    print(f"server memory after all, settled (MB)  {end:8.1f}")
    print(f"growth over {n} cycles (MB)             {end - base:8.1f}  ({100 * (end - base) / base:+.1f} %)")
    return {"base": base, "end": end}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrent", type=int, default=8, help="sessions playing at once (0: skip)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long they play")
    parser.add_argument("--settle", type=float, default=SETTLE_SECONDS,
                        help="seconds from the last Play to the first count [default: %(default)s]")
    parser.add_argument("--cycles", type=int, default=100, help="open/close cycles (0: skip)")
    parser.add_argument("--warm-up", type=int, default=WARM_UP_CYCLES, help="cycles before the first memory figure")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    with Server(*CLEANUP_ARGS) as server, sync_playwright() as p:
        server.wait()
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            ok = True
            if args.concurrent:
                result = concurrent(browser, server, args.concurrent, args.seconds, args.settle)
                ok &= all(result["live"]) and not result["errors"]
            if args.cycles:
                cycles(browser, server, args.cycles, args.warm_up)
        finally:
            browser.close()
        errors = server.errors()
        print(f"server log lines reporting errors {len(errors):7d}")
        for line in errors[:10]:
            print("  " + line)
        return 0 if ok and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
