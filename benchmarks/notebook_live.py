"""The live app's speed in a real JupyterLab, measured as ``live_app.py``
measures the served app.

    python benchmarks/notebook_live.py                       # 20 s of play on the ring
    python benchmarks/notebook_live.py --seconds 5           # a quick look
    python benchmarks/notebook_live.py --served --rounds 3   # against the served app

With ``--served``, each round measures the notebook and then the served app
(``live_app.py``'s measurement) on the same machine, and the medians and their
ratio close the table: this machine's speed drifts from minute to minute, so
only figures taken side by side compare.

Starts JupyterLab on loopback, opens a new notebook in headless Chromium, runs
``pn.extension(inline=True)`` and ``lab = GANLab(distribution="ring"); lab``
(the ring's pretrained model, every GAN Lab layer on), presses Play and prints:

- first render: from running the app's cell to the layered view drawn with its
  samples, in a kernel that has imported the package (a second lab's cell);
- frames/s: distinct updates of the layered view that the browser painted;
- iterations/s: the page's iteration counter over the same time;
- the kernel's answer time for cells run while playing (``lab.trainer.iteration``,
  ``lab.config.d_lr = 0.03``) and after Pause, from running the cell in the page
  to its output shown there; and whether the counter, ``lab.trainer.iteration``
  and the record agree after Pause.
"""

from __future__ import annotations

import argparse
import ast
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import live_app  # noqa: E402
from common import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402
from live_app import PROBE_JS  # noqa: E402

from tests.ui.notebook import JupyterLab, Notebook, iteration, write_notebook  # noqa: E402

SETUP = "import panel as pn\nfrom ganlab_panel import GANLab\npn.extension(inline=True)"

# the layered view drawn, with its 150 fake samples
DRAWN_JS = """(n) => window.Bokeh && Bokeh.documents.length >= n && Bokeh.documents.slice(n - 1).some(d =>
  Array.from(d.all_models).some(m => (m.type === 'Figure' || m.type === 'Plot') && m.x_range.end <= 1.0001 &&
    m.renderers.some(r => r.glyph && r.glyph.type === 'Scatter' && r.data_source.data.x.length === 150)))"""


def answer_time(nb: Notebook, code: str) -> float:
    t0 = time.perf_counter()
    nb.run(code)
    return time.perf_counter() - t0


def measure(nb: Notebook, seconds: float) -> dict:
    page = nb.page
    counter = page.locator(".ganlab-iteration").last
    page.evaluate(PROBE_JS)
    page.locator(".ganlab-play button").last.click()
    time.sleep(2.0)  # let the thread and the page settle into the rhythm
    it0, f0, w0 = iteration(counter), page.evaluate("() => window.__ganlab.frames"), time.perf_counter()
    time.sleep(seconds)
    it1, f1, w1 = iteration(counter), page.evaluate("() => window.__ganlab.frames"), time.perf_counter()
    answers = [answer_time(nb, "lab.trainer.iteration"), answer_time(nb, "lab.config.d_lr = 0.03"),
               answer_time(nb, "lab.config.d_lr")]
    t0 = time.perf_counter()
    page.locator(".ganlab-play button").last.click()
    while page.locator(".ganlab-play button").last.inner_text().strip() != "Play":
        time.sleep(0.02)
    pause_shown = time.perf_counter() - t0
    time.sleep(1.0)
    after = [answer_time(nb, "lab.trainer.iteration") for _ in range(3)]
    shown = iteration(counter)
    trainer, recorded = (int(x) for x in nb.run("lab.trainer.iteration, lab.history[-1].iteration")
                         .strip().strip("()").split(","))
    t = ast.literal_eval(nb.run("dict(lab.runner.timings)").strip())
    frames, published = max(t["frames"], 1), max(t["published"], 1)
    timings = (f"{t['frames']} frames made, {t['published']} published; per frame made: train "
               f"{1000 * t['train'] / frames:.1f} ms, scene {1000 * t['scene'] / frames:.1f} ms; "
               f"publish {1000 * t['publish'] / published:.1f} ms per frame published")
    return {"fps": (f1 - f0) / (w1 - w0), "its": (it1 - it0) / (w1 - w0), "answers": answers,
            "pause_shown": pause_shown, "after": after, "agree": shown == trainer == recorded,
            "shown": shown, "trainer": trainer, "timings": timings}


def measure_notebook(seconds: float, chromium: str) -> dict:
    """A new JupyterLab and kernel; the app's first render, then ``seconds`` of play."""
    from playwright.sync_api import sync_playwright

    root = Path(tempfile.mkdtemp(prefix="ganlab-notebook-bench-"))
    lab = JupyterLab(root, free_port(), root / "jupyterlab.log")
    try:
        lab.wait()
        path = write_notebook(root / "bench.ipynb", [])
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            nb = Notebook(browser, lab, path.name, viewport=(1700, 1000))
            t0 = time.perf_counter()
            nb.run(SETUP)
            nb.run("warm = GANLab(distribution='ring'); warm")     # the cold kernel: imports, compiles
            nb.page.wait_for_function(DRAWN_JS, arg=1, timeout=180_000)
            cold = time.perf_counter() - t0
            nb.run("warm.close(); del warm")
            t0 = time.perf_counter()
            nb.run("lab = GANLab(distribution='ring'); lab")
            nb.page.wait_for_function(DRAWN_JS, arg=2, timeout=120_000)
            first = time.perf_counter() - t0
            time.sleep(2.0)
            m = measure(nb, seconds)
            nb.close()
            browser.close()
    finally:
        lab.close()
    return {**m, "first": first, "cold": cold}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to play")
    parser.add_argument("--served", action="store_true", help="measure the served app the same way, in turns")
    parser.add_argument("--rounds", type=int, default=1, help="how many times to measure (each)")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)

    print(f"# notebook_live: ring, every GAN Lab layer on, JupyterLab in one headless Chromium, "
          f"{args.seconds:.0f} s of play a round")
    rows = []
    for n in range(args.rounds):
        m = measure_notebook(args.seconds, args.chromium)
        print(f"round {n + 1}, notebook: {m['fps']:5.1f} frames/s painted, {m['its']:6.0f} it/s; first render "
              f"{m['first']:.2f} s (new kernel {m['cold']:.2f} s); a cell answers in {max(m['answers']):.2f} s "
              f"playing, {max(m['after']):.2f} s paused; Pause shown after {m['pause_shown']:.2f} s; after Pause "
              f"the counter ({m['shown']:,}) and lab.trainer.iteration ({m['trainer']:,}) "
              f"{'agree' if m['agree'] else 'DISAGREE'}\n  kernel: {m['timings']}", flush=True)
        served = None
        if args.served:
            served = live_app.measure(args.seconds, "ring", args.chromium)
            print(f"round {n + 1}, served:   {served['fps']:5.1f} frames/s painted, {served['its']:6.0f} it/s\n  "
                  + "; ".join(f"server: {line}" for line in served["timings"]), flush=True)
        rows.append((m, served))
    med = lambda key, i: statistics.median(r[i][key] for r in rows)  # noqa: E731
    print(f"median, notebook: {med('fps', 0):.1f} frames/s painted, {med('its', 0):.0f} it/s; "
          f"first render {med('first', 0):.2f} s")
    if args.served:
        print(f"median, served:   {med('fps', 1):.1f} frames/s painted, {med('its', 1):.0f} it/s")
        print(f"notebook / served: frames/s {100 * med('fps', 0) / med('fps', 1):.0f} %, "
              f"it/s {100 * med('its', 0) / med('its', 1):.0f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
