"""The sweep page as an object: defined, run to its end, read, a run opened in the lab."""

from __future__ import annotations

import panel as pn
import pytest
from bokeh.document import Document

from ganlab_panel.engine.config import ExperimentConfig
from ganlab_panel.sweeps.charts import OUTCOMES, outcome
from ganlab_panel.sweeps.page import SweepPage


@pytest.fixture
def page():
    page = SweepPage(ExperimentConfig(distribution="ring"), ["d_lr=0.03,0.3"], seeds=2, iterations=100)
    pn.panel(page).get_root(Document())
    yield page
    page.close()


def test_a_bad_value_is_refused_with_its_setting_named_and_nothing_runs(page):
    page.inputs.axis_names[1].value = "g_lr"
    page.inputs.axis_texts[1].value = "0.1,-5"
    assert "g_lr" in page.message and page.message_level == "warning"
    assert page.run_button.disabled
    assert page.run() is None and page.total == 0 and page.runs == {}
    page.inputs.axis_texts[1].value = "0.1,fast"
    assert "g_lr" in page.message and "fast" in page.message
    page.inputs.axis_names[1].value = "(none)"   # the second axis gone: valid again
    assert page.message == "" and not page.run_button.disabled


def test_a_sweep_runs_to_its_end_and_every_run_is_shown(page):
    results = page.run()
    keys = {f"d_lr={d},seed={s}" for d in ("0.03", "0.3") for s in (0, 1)}
    assert set(page.runs) == keys and (page.done, page.total) == (4, 4) and not page.running
    assert "4 / 4 runs" in page.progress.object and "done" in page.progress.object
    assert page.message_level == "success" and "done" in page.message
    assert results.js.dims == ("d_lr", "seed") and int(results.final_iteration.max()) == 100
    for key, run in page.runs.items():
        assert run.outcome in OUTCOMES and run.outcome == outcome(run.row)
        assert run.real.shape == (450, 2) and run.fake.shape == (150, 2)
        slot = page.grid.slots[key]
        assert "ganlab-sweep-cell" in slot.css_classes and f'data-key="{key}"' in slot[0].object
    assert page.phase.visible and page.curves.visible
    assert not page.run_button.disabled and page.stop_button.disabled

    lab = page.open("d_lr=0.3,seed=1")
    assert lab is page.lab and lab.trainer.iteration == 100 and lab.config.d_lr == 0.3 and lab.config.seed == 1
    assert page._page.objects[0].css_classes == ["ganlab-sweep-lab-bar"]   # the lab, not the sweep
    assert page._sweep_view not in page._page.objects
    page.back()
    assert page.lab is None and lab.closed and page._page.objects == [page._sweep_view]


def test_outcomes_follow_the_rule():
    assert outcome({"js": 0.1, "diverged": False}) == "converged"
    assert outcome({"js": 0.6, "diverged": False}) == "collapsed"
    assert outcome({"js": 0.1, "diverged": True}) == "diverged"
    assert outcome({"js": float("nan"), "diverged": False}) == "diverged"


def test_stop_cancels_the_runs_not_yet_finished(page):
    page.inputs.axis_texts[0].value = "0.01,0.02,0.03,0.05,0.1,0.2,0.3,0.5"
    page.inputs.iterations.value = 20_000
    assert page.start() and page.running and not page.stop_button.disabled
    page.stop()   # at once: while the sweep is still starting, too
    assert page.wait(120) and not page.running
    assert page.done < page.total == 16 and set(page.runs) <= {c.key for c in page.sweep.cells}
    assert "stopped" in page.progress.object and not page.run_button.disabled


def test_the_address_sets_the_page_up_and_names_what_it_refuses():
    page = SweepPage.from_url({"distribution": [b"line"], "axis": [b"d_lr=0.03,0.3", b"loss=log,least_squares"],
                               "seeds": [b"3"], "iterations": [b"500"], "g_lr": [b"0.05"]})
    try:
        assert page.inputs.data.value == "line" and page.base.g_lr == 0.05
        assert [w.value for w in page.inputs.axis_names] == ["d_lr", "loss"]
        assert [w.value for w in page.inputs.axis_texts] == ["0.03,0.3", "log,least_squares"]
        assert (page.inputs.seeds.value, page.inputs.iterations.value) == (3, 500) and page.message == ""
        assert len(page.define().cells) == 12
    finally:
        page.close()
    page = SweepPage.from_url({"axis": [b"d_lr=0.03,nope"], "iterations": [b"many"]})
    try:
        assert "d_lr" in page.message and "iterations" in page.message and page.message_level == "warning"
        assert page.define() is not None   # the defaults stand in for what was refused
    finally:
        page.close()
