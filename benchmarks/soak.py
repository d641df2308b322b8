"""A long run: one session plays for half an hour; does the server's memory grow?

    python benchmarks/soak.py                   # 30 minutes, a sample every minute
    python benchmarks/soak.py --minutes 2 --interval 10

Serves ``apps/ganlab.py``, opens one headless Chromium session, chooses the
ring, presses Play (every GAN Lab layer on, as fast as possible) and leaves it
playing. Every ``--interval`` seconds it prints the server's memory, the page's
iteration counter and the training rate. At the end it prints the growth of
the server's memory from the first sample (taken after one interval of play,
when caches and the charts' history have filled) to the last, the page's
errors and the lines of the server's log that report an error.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CHROMIUM, CHROMIUM_ARGS, Server, iteration, open_app, rss_mb  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to play")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--distribution", default="ring")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    with Server() as server, sync_playwright() as p:
        server.wait()
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = open_app(browser, server.url)
        page.locator(f".ganlab-distribution-{args.distribution} button").click()
        time.sleep(2.0)
        page.locator(".ganlab-play button").click()
        print(f"# soak: {args.distribution}, every GAN Lab layer on, one session playing for {args.minutes:g} min")
        print(f"{'minute':>7} {'server MB':>10} {'iteration':>11} {'it/s':>7}")
        start = time.perf_counter()
        last_t, last_it = start, iteration(page)
        rows = []
        while True:
            time.sleep(args.interval)
            now = time.perf_counter()
            it, rss = iteration(page), rss_mb(server.pid)
            rows.append((now - start, rss))
            print(f"{(now - start) / 60:7.1f} {rss:10.1f} {it:11,} {(it - last_it) / (now - last_t):7.0f}", flush=True)
            last_t, last_it = now, it
            if now - start >= args.minutes * 60:
                break
        playing = page.locator(".ganlab-play button").inner_text().strip() == "Pause"
        page.locator(".ganlab-play button").click()
        errors = page.errors
        browser.close()
        first, last = rows[0][1], rows[-1][1]
        print(f"memory growth from minute {rows[0][0] / 60:.1f} to {rows[-1][0] / 60:.1f}: "
              f"{last - first:+.1f} MB ({100 * (last - first) / first:+.2f} %)")
        print(f"still playing at the end          {'yes' if playing else 'NO'}")
        print(f"page errors                       {len(errors)}")
        server_errors = server.errors()
        print(f"server log lines reporting errors {len(server_errors)}")
        for line in server_errors[:10]:
            print("  " + line)
        return 0 if playing and not errors and not server_errors else 1


if __name__ == "__main__":
    sys.exit(main())
