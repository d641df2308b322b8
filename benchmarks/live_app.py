"""The live app's speed as a user sees it: serve it, drive headless Chromium.

    python benchmarks/live_app.py                  # 20 s of play on the ring
    python benchmarks/live_app.py --seconds 5      # a quick look
    python benchmarks/live_app.py --preset mode-coverage --distribution grid25 --seconds 60

Starts ``panel serve apps/ganlab.py``, opens one Chromium session, chooses the
ring (its pretrained model), presses Play with every GAN Lab layer on, and
prints:

- frames/s: distinct updates of the layered view that the browser painted
  (counted on each animation frame in the page: the fake samples' data changed
  since the previous one);
- iterations/s: the page's iteration counter over the same time;
- first paint: from navigation to the layered view drawn with its samples;
- server CPU (% of one core) while playing, and the server's memory: in all,
  and what the session added to it;
- on mixture data, the modes the Monitor shows captured at the end, and when
  it first showed every one (seconds after Play).

With ``--preset`` the page opens on the preset and the data
(``/ganlab?preset=NAME&distribution=DATA``, training from scratch) instead.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CHROMIUM, CHROMIUM_ARGS, Server, cpu_seconds, iteration, rss_mb  # noqa: E402

# Counts, on every animation frame, whether the layered view's fake samples changed.
PROBE_JS = """() => {
  const find = () => {  // the layered view: the plot spanning the unit square (the newest app's)
    let found = null;
    for (const doc of Bokeh.documents) for (const m of doc.all_models)
      if (m.type === 'Figure' || m.type === 'Plot')
        if (m.x_range.end <= 1.0001) for (const r of m.renderers)
          if (r.glyph && r.glyph.type === 'Scatter' && r.glyph.fill_color && r.glyph.fill_color.value === '#7b3294')
            found = r.data_source;
    return found;
  };
  // the samples' data is replaced (served) or patched in place (a notebook): compare the values
  const print = (s) => { const x = s.data.x, y = s.data.y, n = x.length;
                         return n ? [n, x[0], y[0], x[n >> 1], y[n - 1]].join() : ''; };
  window.__ganlab = {frames: 0, ticks: 0};
  let source = find(), last = source ? print(source) : null;
  const tick = () => {
    window.__ganlab.ticks += 1;
    if (!source) source = find();
    if (source) { const now = print(source); if (now !== last) { last = now; window.__ganlab.frames += 1; } }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def modes_captured(page) -> tuple[int, int] | None:
    """The Monitor's modes readout, (captured, total); None where the data has no modes."""
    readout = page.locator(".ganlab-modes")
    text = readout.first.inner_text() if readout.count() else ""
    if "/" not in text:
        return None
    captured, total = text.split("/")
    return (int(captured), int(total)) if captured.strip().isdigit() else (0, int(total))


def measure(seconds: float = 20.0, distribution: str = "ring", chromium: str = CHROMIUM,
            window: tuple[int, int] = (1700, 1000), preset: str | None = None) -> dict:
    """Serve the app, play ``seconds`` in one Chromium session; the figures."""
    from playwright.sync_api import sync_playwright

    with Server(env={"GANLAB_TIMINGS": "1"}) as server:
        server.wait()
        time.sleep(1.0)
        base_rss = rss_mb(server.pid)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            # the window's size sets the layered plot's (a square sized to its column)
            page = browser.new_page(viewport={"width": window[0], "height": window[1]})
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            t0 = time.perf_counter()
            page.goto(server.url + (f"?preset={preset}&distribution={distribution}" if preset else ""))
            # the pretrained ring's 150 fake samples (any, on a preset)
            page.wait_for_function(
                """(n) => window.Bokeh && Bokeh.documents.some(d => Array.from(d.all_models).some(m =>
                     (m.type === 'Figure' || m.type === 'Plot') && m.x_range.end <= 1.0001 &&
                     m.renderers.some(r => r.glyph && r.glyph.type === 'Scatter' &&
                                           (n ? r.data_source.data.x.length === n : r.data_source.data.x.length))))""",
                arg=0 if preset else 150, timeout=120_000)
            first_paint = time.perf_counter() - t0
            session_rss = rss_mb(server.pid) - base_rss
            if not preset:
                page.locator(f".ganlab-distribution-{distribution} button").click()
            time.sleep(2.0)
            page.evaluate(PROBE_JS)
            page.locator(".ganlab-play button").click()
            played, all_modes = time.perf_counter(), None
            time.sleep(2.0)  # let the thread and the page settle into the rhythm
            it0, f0 = iteration(page), page.evaluate("() => window.__ganlab.frames")
            cpu0, w0 = cpu_seconds(server.pid), time.perf_counter()
            while time.perf_counter() < w0 + seconds:
                time.sleep(0.5)
                modes = modes_captured(page)
                if all_modes is None and modes is not None and modes[0] == modes[1]:
                    all_modes = time.perf_counter() - played
            modes = modes_captured(page)
            it1, f1 = iteration(page), page.evaluate("() => window.__ganlab.frames")
            cpu1, w1 = cpu_seconds(server.pid), time.perf_counter()
            ticks = page.evaluate("() => window.__ganlab.ticks")
            page.locator(".ganlab-play button").click()
            rss = rss_mb(server.pid)
            browser.close()
        time.sleep(0.5)
        timings = [line.split("ganlab ", 1)[1] for line in server.log().splitlines() if "ganlab timings" in line]
    wall = w1 - w0
    return {"fps": (f1 - f0) / wall, "its": (it1 - it0) / wall, "first_paint": first_paint,
            "cpu": 100 * (cpu1 - cpu0) / wall, "rss": rss, "session_rss": session_rss,
            "animation_fps": ticks / (wall + 4), "errors": errors, "timings": timings,
            "modes": modes, "all_modes": all_modes}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to play")
    parser.add_argument("--distribution", default="ring")
    parser.add_argument("--preset", default=None, help="open the page on this preset (and --distribution)")
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--window", default="1700x1000", help="the browser window, WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    window = tuple(int(v) for v in args.window.lower().split("x"))
    m = measure(args.seconds, args.distribution, args.chromium, window, args.preset)
    print(f"# live_app: {args.distribution}{f', preset {args.preset}' if args.preset else ''}, "
          f"every GAN Lab layer on, one headless Chromium session "
          f"({window[0]}×{window[1]}), {args.seconds:.0f} s of play")
    print(f"frames/s (distinct, painted)  {m['fps']:8.1f}")
    print(f"iterations/s                  {m['its']:8.0f}")
    print(f"first paint (s)               {m['first_paint']:8.2f}")
    print(f"server CPU (% of one core)    {m['cpu']:8.0f}")
    print(f"server memory (MB)            {m['rss']:8.0f}")
    print(f"memory added by the session   {m['session_rss']:8.0f}")
    print(f"browser animation frames/s    {m['animation_fps']:8.1f}")
    if m["modes"] is not None:
        when = f"{m['all_modes']:.0f} s after Play" if m["all_modes"] is not None else "not within the run"
        print(f"modes captured at the end     {m['modes'][0]:5d}/{m['modes'][1]} (all {when})")
    if m["errors"]:
        print(f"page errors: {m['errors'][:3]}")
    for line in m["timings"]:
        print("server " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
