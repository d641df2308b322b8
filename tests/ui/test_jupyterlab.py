"""The live app in a real JupyterLab (and Notebook 7) in headless Chromium:
the notebook's cells and the app's controls, both ways."""

from __future__ import annotations

import json
import shutil
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from ganlab_panel.ui.runner import DEFAULT_FPS

from .conftest import ROOT
from .helpers import FAKE, REAL, open_files, samples, wait_until
from .notebook import Notebook, iteration, output_text, problems, write_notebook

pytestmark = [pytest.mark.notebook, pytest.mark.timeout(420)]

# no CDN here: the notebook carries BokehJS and Panel's JS itself
SETUP = "import panel as pn\nfrom ganlab_panel import ExperimentConfig, GANLab\npn.extension(inline=True)"


def open_notebook(browser, jupyterlab, cells=(), ui="lab") -> Notebook:
    path = write_notebook(jupyterlab.root / f"live-{uuid.uuid4().hex[:8]}.ipynb", list(cells))
    return Notebook(browser, jupyterlab, path.name, ui=ui)


def show_lab(nb: Notebook, code: str = "lab = GANLab(distribution='ring')\nlab", index: int = 0):
    assert "Error" not in nb.run(code)
    counter = nb.page.locator(".ganlab-iteration").nth(index)
    counter.wait_for(timeout=120_000)
    return counter


def click(nb: Notebook, hook: str, index: int = 0) -> None:
    nb.page.locator(f".{hook} button").nth(index).click()


def still_in_view(locator) -> dict:
    """``locator``'s box, scrolled into view and still there a moment later:
    JupyterLab scrolls its notebook to a cell run from code (``nb.run``), and
    under load it does so late, after the test has scrolled elsewhere."""
    def settled():
        locator.scroll_into_view_if_needed()
        box = locator.bounding_box()
        time.sleep(0.3)
        return box if box == locator.bounding_box() else None
    return wait_until(settled)


def number(text: str) -> int:
    return int(text.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def live(browser, jupyterlab):
    """A notebook in JupyterLab showing ``lab``: the ring's pretrained model."""
    nb = open_notebook(browser, jupyterlab)
    nb.run(SETUP)
    nb.counter = show_lab(nb)
    yield nb
    nb.run("lab.runner.pause()")
    nb.close()


def test_play_trains_live_and_pause_holds_the_page_and_the_trainer(live):
    start = iteration(live.counter)
    click(live, "ganlab-play")
    wait_until(lambda: iteration(live.counter) > start + 300, timeout=30)
    # the kernel answers while training plays: the training runs off its main thread
    playing_at = number(live.run("lab.trainer.iteration"))
    assert playing_at > start
    click(live, "ganlab-play")
    wait_until(lambda: live.page.locator(".ganlab-play button").first.inner_text().strip() == "Play")
    stopped = iteration(live.counter)
    time.sleep(2.0)
    assert iteration(live.counter) == stopped >= playing_at          # nothing goes back, nothing goes on
    assert live.run("lab.trainer.iteration, lab.runner.playing").strip() == f"({stopped}, False)"
    assert live.run("lab.history[-1].iteration") .strip() == str(stopped)   # the record keeps where it stopped
    assert live.page.errors == []


def test_a_slow_browser_gets_frames_as_fast_as_it_takes_them(live):
    """A browser that cannot keep up (its CPU slowed eightfold) says so, and the
    kernel holds frames back for it instead of piling them up in front of
    it; Pause still reaches it, and the page, the kernel and the record agree."""
    cdp = live.page.context.new_cdp_session(live.page)
    timings = "(lambda t: (t['frames'], t['published']))(lab.runner.timings)"
    made0, published0 = eval(live.run(timings))
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 8})
    try:
        start, began = iteration(live.counter), time.perf_counter()
        click(live, "ganlab-play")
        wait_until(lambda: iteration(live.counter) > start + 2_000, timeout=60)
        time.sleep(4.0)
        made, published = eval(live.run(timings))
        seconds = time.perf_counter() - began
        click(live, "ganlab-play")
        wait_until(lambda: live.page.locator(".ganlab-play button").first.inner_text().strip() == "Play", timeout=30)
    finally:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        cdp.detach()
    # the kernel sent the slow page only what it took: far fewer frames than
    # the DEFAULT_FPS a page that keeps up gets, none of them piled up unsent
    assert 0 < published - published0 <= made - made0
    assert (published - published0) / seconds < DEFAULT_FPS / 2, (published - published0, seconds)
    stopped = iteration(live.counter)
    assert live.run("lab.trainer.iteration, lab.history[-1].iteration").strip() == f"({stopped}, {stopped})"
    assert live.page.errors == []


def test_code_changes_reach_the_widgets_and_views_while_playing(live):
    click(live, "ganlab-edit")                                   # the model editor shows the settings
    d_lr = live.page.locator(".ganlab-d-lr select").first
    d_lr.wait_for(state="visible")
    legend = live.page.locator(".ganlab-legend-d").first
    click(live, "ganlab-play")
    start = iteration(live.counter)
    live.run("lab.config.d_lr = 0.03")
    wait_until(lambda: d_lr.input_value() == "0.03")
    live.run("lab.config.loss = 'hinge'")
    wait_until(lambda: legend.get_attribute("data-output") == "critic")
    wait_until(lambda: iteration(live.counter) > start + 100, timeout=30)   # hot changes: training went on
    click(live, "ganlab-play")
    wait_until(lambda: live.page.locator(".ganlab-play button").first.inner_text().strip() == "Play")
    live.run("lab.config.loss = 'log'")                          # paused: it shows at once
    wait_until(lambda: legend.get_attribute("data-output") == "probability")
    click(live, "ganlab-edit")


def test_a_widget_change_reaches_the_config(live):
    click(live, "ganlab-edit")
    g_lr = live.page.locator(".ganlab-g-lr select").first
    g_lr.wait_for(state="visible")
    g_lr.select_option("0.003")
    wait_until(lambda: live.run("lab.config.g_lr").strip() == "0.003")
    g_lr.select_option("0.001")
    wait_until(lambda: live.run("lab.config.g_lr").strip() == "0.001")
    click(live, "ganlab-edit")


def test_training_and_rewinding_from_code_show_in_the_page(live):
    before = number(live.run("lab.trainer.iteration"))
    live.run("frame = lab.train(500)")
    wait_until(lambda: iteration(live.counter) == before + 500)
    fake = samples(live.page, FAKE)
    target = number(live.run("lab.rewind(2).iteration"))
    wait_until(lambda: iteration(live.counter) == target)
    assert target < before + 500
    resume = live.page.locator(".ganlab-resume button").first
    wait_until(resume.is_visible)
    wait_until(lambda: len(samples(live.page, FAKE)) == len(fake) and (samples(live.page, FAKE) != fake).any())
    resume.click()                                              # resume from there, from the page
    wait_until(lambda: iteration(live.counter) > target + 50, timeout=30)
    click(live, "ganlab-play")
    wait_until(lambda: live.page.locator(".ganlab-play button").first.inner_text().strip() == "Play")
    stopped = iteration(live.counter)
    assert number(live.run("lab.trainer.iteration")) == stopped
    assert live.run("lab.history.rewound").strip() == "False"


def test_the_steps_and_reset_behave_as_served(live):
    n = number(live.run("lab.trainer.iteration"))
    click(live, "ganlab-step-d")
    wait_until(lambda: iteration(live.counter) == n + 1)
    click(live, "ganlab-step")
    wait_until(lambda: iteration(live.counter) == n + 2)
    assert number(live.run("lab.trainer.iteration")) == n + 2
    click(live, "ganlab-reset")
    wait_until(lambda: iteration(live.counter) == 0)
    assert number(live.run("lab.trainer.iteration")) == 0


def test_slow_motion_data_layers_drawing_and_files_behave_as_served(live, tmp_path):
    page = live.page
    # slow motion: the sub-steps are explained as they play
    click(live, "ganlab-slow")
    click(live, "ganlab-play")
    tooltip = page.locator(".ganlab-tooltip").first
    wait_until(lambda: number(live.run("lab.runner.substep")) >= 2, timeout=30)   # sub-steps advance...
    wait_until(lambda: tooltip.is_visible() and len(tooltip.inner_text()) > 20)   # ...each explained
    click(live, "ganlab-play")
    click(live, "ganlab-slow")
    # another distribution: its pretrained model, in the page and in the kernel
    real = samples(page, REAL)                 # the ring, before the change (it may show at once)
    click(live, "ganlab-distribution-line")
    wait_until(lambda: live.run("lab.config.distribution").strip() == "'line'")
    wait_until(lambda: np.ptp(samples(page, REAL)[:, 0]) > 0 and not np.array_equal(samples(page, REAL), real))
    # a layer switched off in the page is off in the kernel, and gone from the plot
    page.locator(".ganlab-layer-fake input").first.click()
    wait_until(lambda: live.run("lab.layered.fake").strip() == "False")
    wait_until(lambda: len(samples(page, FAKE)) == 0)
    page.locator(".ganlab-layer-fake input").first.click()
    wait_until(lambda: len(samples(page, FAKE)) == 150)
    # a download: the settings as the kernel has them
    open_files(page)
    with page.expect_download() as info:
        page.locator(".ganlab-export-config button, .ganlab-export-config a").first.click()
    assert json.loads(Path(info.value.path()).read_text())["distribution"] == "line"
    # an upload: points from a CSV become the training data
    csv = tmp_path / "points.csv"
    csv.write_text("x,y\n0.2,0.2\n0.8,0.8\n0.5,0.5\n0.3,0.7\n")
    page.locator(".ganlab-upload input[type=file]").first.set_input_files(str(csv))
    wait_until(lambda: live.run("lab.config.distribution, len(lab.config.drawn_points)").strip() == "('drawing', 4)")
    # drawing on the canvas: a stroke becomes the data (the browser's edits reach the kernel)
    click(live, "ganlab-draw")
    canvas = page.locator(".ganlab-drawing canvas").first
    canvas.wait_for(timeout=20_000)
    canvas.scroll_into_view_if_needed()
    time.sleep(1.0)  # let Bokeh attach the drawing tools
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 0.2 * box["width"], box["y"] + 0.25 * box["height"])
    page.mouse.down()
    for t in np.linspace(0.2, 0.8, 25):
        page.mouse.move(box["x"] + t * box["width"], box["y"] + 0.25 * box["height"])
    page.mouse.up()
    time.sleep(0.5)
    click(live, "ganlab-draw-done")
    wait_until(lambda: number(live.run("len(lab.config.drawn_points)")) > 20,
               message=lambda: live.run("lab.message, lab.drawing_view.freehand.data"))
    assert abs(float(live.run("float(lab.config.drawn_points[:, 1].mean())")) - 0.75) < 0.05   # along the stroke
    assert live.page.errors == []


def test_taps_on_the_playing_plot_edit_the_data_in_the_kernel(live):
    page = live.page
    click(live, "ganlab-distribution-ring")
    wait_until(lambda: live.run("lab.config.distribution").strip() == "'ring'")
    click(live, "ganlab-edit-data")
    page.locator(".ganlab-data-undo").first.wait_for(state="visible", timeout=20_000)
    click(live, "ganlab-play")
    start = number(live.run("lab.trainer.iteration"))
    plot = page.locator(".ganlab-layered canvas").first
    data = 'lab.config.distribution, len(lab.config.drawn_points)'
    for count, (fx, fy) in ((451, (0.06, 0.94)), (452, (0.94, 0.94))):   # the ring's empty lower corners
        box = still_in_view(plot)
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        wait_until(lambda: live.run(data).strip() == f"('drawing', {count})", timeout=30,
                   message=lambda: f"the kernel has {live.run(data).strip()}")
        wait_until(lambda: page.locator(".ganlab-data-count").first.get_attribute("data-count") == str(count))
    wait_until(lambda: number(live.run("lab.trainer.iteration")) > start + 200, timeout=30)   # still training
    assert live.run("bool(lab.runner.playing)").strip() == "True"
    click(live, "ganlab-play")
    click(live, "ganlab-edit-data")
    assert live.page.errors == []


def test_two_labs_are_independent_and_running_the_cell_again_stops_the_old_one(browser, jupyterlab):
    nb = open_notebook(browser, jupyterlab)
    try:
        nb.run(SETUP)
        first = show_lab(nb, "lab = GANLab(distribution='ring')\nlab")
        second = show_lab(nb, "other = GANLab(distribution='gaussians')\nother", index=1)
        cell = nb.last_cell
        click(nb, "ganlab-play", index=1)
        wait_until(lambda: iteration(second) > 10_100, timeout=30)
        assert iteration(first) == 10_000
        assert nb.run("lab.trainer.iteration, lab.runner.playing, other.runner.playing").strip() \
            == "(10000, False, True)"
        nb.run("old = other")
        nb.rerun(cell)                                           # a new `other`; the old output goes
        wait_until(lambda: nb.run("old.runner.playing").strip() == "False", timeout=20)
        threads = nb.run("import threading\n[t.name for t in threading.enumerate()].count('ganlab-training')")
        assert threads.strip() == "0"
        assert nb.run("old is other, other.trainer.iteration").strip() == "(False, 10000)"
    finally:
        nb.run("lab.runner.pause(); other.runner.pause(); old.runner.pause()")
        nb.close()


def test_the_app_plays_in_notebook_7_too(browser, jupyterlab):
    nb = open_notebook(browser, jupyterlab, ui="notebook")
    try:
        nb.run(SETUP)
        counter = show_lab(nb)
        click(nb, "ganlab-play")
        wait_until(lambda: iteration(counter) > 10_200, timeout=30)
        click(nb, "ganlab-play")
        wait_until(lambda: nb.page.locator(".ganlab-play button").first.inner_text().strip() == "Play")
        stopped = iteration(counter)
        assert number(nb.run("lab.trainer.iteration")) == stopped
    finally:
        nb.close()


def test_the_shipped_notebook_runs_top_to_bottom_without_errors(browser, jupyterlab):
    shipped = (ROOT / "notebooks" / "ganlab.ipynb").read_text()
    assert "pn.extension()" in shipped                          # users online load Panel's JS from its CDN
    path = jupyterlab.root / "shipped.ipynb"
    path.write_text(shipped.replace("pn.extension()", "pn.extension(inline=True)"))
    nb = Notebook(browser, jupyterlab, path.name)
    try:
        outputs = nb.run_all(timeout=360)
        found = [p for cell in outputs for p in problems(cell)]
        assert found == []
        assert nb.page.locator(".ganlab-iteration").count() >= 2   # the live apps were drawn
        text = "\n".join(output_text(cell) for cell in outputs)
        assert "grid JS divergence" in text                             # the engine trained
        assert "same generator after 100 more iterations: True" in text # save and load
        assert "iteration 4500: " in text and "/8 modes" in text and "mode-coverage" in text
        assert "rewound to 150 - the trainer is at 150" in text         # rewind, from code
        assert "150, 200, 250]" in text                                 # resumed there
        assert "{'loss': ('log', 'least_squares')}" in text             # the comparison's difference
        assert nb.page.errors == []
    finally:
        nb.run("import panel as pn\nfor lab_ in [v for v in globals().values() if hasattr(v, 'runner')]: lab_.runner.pause()")
        nb.close()
        shutil.rmtree(jupyterlab.root / ".ipynb_checkpoints", ignore_errors=True)


def test_a_sweep_runs_in_a_notebook_and_its_runs_fill_the_page(browser, jupyterlab):
    nb = open_notebook(browser, jupyterlab)
    try:
        nb.run(SETUP + "\nfrom ganlab_panel.sweeps.page import SweepPage")
        assert "Error" not in nb.run("page = SweepPage(ExperimentConfig(distribution='line'), "
                                     "['d_lr=0.01,0.1'], iterations=120)\npage")
        run = nb.page.locator(".ganlab-sweep-run button")
        run.wait_for(timeout=120_000)
        run.click()
        wait_until(lambda: nb.page.locator(".ganlab-sweep-cell").count() == 2, timeout=120)
        assert "2 / 2" in nb.page.locator(".ganlab-sweep-progress").inner_text()
        # the page and the kernel are one object
        assert nb.run("sorted(page.runs)").strip() == "['d_lr=0.01,seed=0', 'd_lr=0.1,seed=0']"
        assert nb.page.errors == []
    finally:
        nb.close()
