"""Compare: two runs on the same data, trained together, their differences shown."""

import asyncio

import numpy as np
import panel as pn
import pytest
from bokeh.document import Document

from ganlab_panel import CompareLab, ExperimentConfig
from ganlab_panel.ui.runner import LOCKSTEP_SLACK


@pytest.fixture
def cmp():
    lab = CompareLab(ExperimentConfig(distribution="gaussians", seed=2), d_lr=0.03)
    pn.panel(lab).get_root(Document())
    yield lab
    lab.close()


def test_both_runs_train_together_and_their_charts_overlay(cmp):
    cmp.train(400)
    a, b = cmp.runs
    assert a.trainer.iteration == b.trainer.iteration == 400
    # the same data and seed, another learning rate: the same start, different runs
    np.testing.assert_array_equal(a.trainer.real_atlas, b.trainer.real_atlas)
    assert not np.allclose(a.trainer.snapshot().fake, b.trainer.snapshot().fake)
    history = cmp.history
    assert set(history["run"]) == {"A", "B"}
    for run in ("A", "B"):
        its = history[history["run"] == run]["iteration"]
        assert its.iloc[0] == 0 and its.iloc[-1] == 400 and its.is_monotonic_increasing
    # each side's view shows its own run
    shown = cmp.sides["b"].layered.displayed("Fake")
    np.testing.assert_allclose(shown["x"], b.trainer.snapshot().fake[:, 0], atol=1e-6)


def test_the_settings_that_differ_are_highlighted(cmp):
    assert cmp.differences == {"d_lr": (0.1, 0.03)}
    assert cmp.table.object.count('class="ganlab-diff"') == 1
    assert '<tr class="ganlab-diff"><td>d_lr</td><td>0.1</td><td>0.03</td></tr>' in cmp.table.object
    assert "d_lr 0.03" in cmp.sides["b"].title.object and "d_lr 0.1" in cmp.sides["a"].title.object
    cmp.sides["a"].config.loss = "least_squares"      # an edit on one side shows at once
    assert cmp.differences == {"d_lr": (0.1, 0.03), "loss": ("least_squares", "log")}
    assert cmp.table.object.count('class="ganlab-diff"') == 2


def test_a_rebuilt_side_starts_over_and_the_other_keeps_its_run(cmp):
    cmp.train(200)
    cmp.sides["b"].config.d_neurons = 4
    a, b = cmp.runs
    assert a.trainer.iteration == 200 and b.trainer.iteration == 0
    history = cmp.history
    assert history[history["run"] == "A"]["iteration"].max() == 200
    assert history[history["run"] == "B"]["iteration"].tolist() == [0]


def test_both_sides_share_the_data(cmp):
    cmp.data.value = "ring"
    assert cmp.sides["a"].config.distribution == cmp.sides["b"].config.distribution == "ring"
    b = CompareLab(ExperimentConfig(distribution="line"), ExperimentConfig(distribution="ring", loss="hinge"))
    try:
        assert b.sides["b"].config.distribution == "line" and b.differences == {"loss": ("log", "hinge")}
    finally:
        b.close()


def test_the_address_holds_both_runs():
    query = {"distribution": ["ring"], "b.loss": ["least_squares"], "a.k_d": ["3"]}
    lab = CompareLab.from_url(query)
    try:
        a, b = lab.runs
        assert a.config.distribution == b.config.distribution == "ring"
        assert (a.config.loss, b.config.loss) == ("log", "least_squares")
        assert (a.config.k_d, b.config.k_d) == (3, 2)
        assert lab.to_query() == {"distribution": "ring", "a.loss": "log", "b.loss": "least_squares",
                                  "a.k_d": "3", "b.k_d": "2"}
        again = CompareLab.from_url({k: [v] for k, v in lab.to_query().items()})
        try:
            assert again.differences == lab.differences
        finally:
            again.close()
    finally:
        lab.close()
    bad = CompareLab.from_url({"b.d_lr": ["fast"]})
    try:
        assert "Ignored from the page address" in bad.message and "d_lr" in bad.message
    finally:
        bad.close()


def test_the_sides_train_in_step_and_pause_at_the_same_iteration(cmp):
    import time

    a, b = cmp.runs
    b.config.g_neurons = 64               # B is slower per iteration: left alone it would fall behind
    a.runner.iterations_per_frame = b.runner.iterations_per_frame = 0
    gaps = []

    async def scenario():
        cmp.play_both()
        deadline = time.time() + 3
        while time.time() < deadline:
            gaps.append(abs(a.trainer.iteration - b.trainer.iteration))
            await asyncio.sleep(0.05)
        cmp.pause()

    asyncio.run(scenario())
    assert a.trainer.iteration > 100
    assert max(gaps) <= 2 * LOCKSTEP_SLACK                     # in step while playing...
    assert a.trainer.iteration == b.trainer.iteration           # ...and level after Pause


def test_two_kinds_of_loss_are_charted_on_two_axes(cmp):
    from bokeh.models import LinearAxis

    cmp.train(100)
    assert len(list(cmp.charts["g_loss"].get_root(Document()).select({"type": LinearAxis}))) == 2   # x, one y
    cmp.sides["b"].config.loss = "least_squares"
    cmp.train(100)
    root = cmp.charts["g_loss"].get_root(Document())
    labels = sorted(ax.axis_label for ax in root.select({"type": LinearAxis}) if ax.axis_label != "iteration")
    assert labels == ["G loss, A: Log loss", "G loss, B: Least squares loss"]
    from bokeh.models import Plot

    cmp.train(10)                                                  # the charts update as training goes on
    second = next(iter(root.select({"type": Plot}))).extra_y_ranges["g_loss_b"]
    b_losses = cmp.history.query("run == 'B'")["g_loss"].dropna()
    assert second.start <= b_losses.min() and b_losses.max() <= second.end    # B's axis spans B's curve
    assert second.end - second.start < 2 * (b_losses.max() - b_losses.min()) + 0.1


def test_two_identical_runs_played_together_chart_the_same_lines():
    lab = CompareLab(ExperimentConfig(distribution="ring", seed=3), ExperimentConfig(distribution="ring", seed=3))
    pn.panel(lab).get_root(Document())

    async def play(seconds: float):
        lab.play_both()
        await asyncio.sleep(seconds)      # the sides publish and chart as they play
        lab.pause()

    try:
        asyncio.run(play(3.0))
        history = lab.history
        runs = {run: history[history["run"] == run].set_index("iteration") for run in ("A", "B")}
        assert len(runs["A"]) > 3
        # the same iterations, the same losses and JS: one line each, drawn twice
        assert list(runs["A"].index) == list(runs["B"].index)
        np.testing.assert_array_equal(runs["A"][["d_loss", "g_loss", "js"]], runs["B"][["d_loss", "g_loss", "js"]])
    finally:
        lab.close()
