"""Editing the real data in place: add, erase, undo, clear, and what is refused."""

import numpy as np

from ganlab_panel import GANLab
from ganlab_panel.engine.data import MAX_USER_POINTS


def count(lab) -> int:
    html = lab.data_tools.count.object
    return int(html.split('data-count="')[1].split('"')[0])


def test_a_first_tap_on_a_built_in_distribution_starts_a_drawing_of_its_shown_samples(lab):
    lab.train(100)
    noise = np.random.default_rng(0).random((10, 2))
    weights = lab.trainer.generate(noise)
    shown = lab.frames[-1].real
    assert count(lab) == len(shown) == 450
    assert lab.add_points([[0.05, 0.95]])
    assert "450 ring samples shown, plus your tap" in lab.message
    assert lab.config.distribution == "drawing" and count(lab) == 451
    np.testing.assert_allclose(lab.config.drawn_points[:450], shown)
    # a hot change: the model and the counter stay, and the real layer shows the new point
    np.testing.assert_array_equal(lab.trainer.generate(noise), weights)
    assert lab.trainer.iteration == 100
    lab.train(50)
    real = lab.frames[-1].real
    assert len(real) == 451 and np.hypot(real[:, 0] - 0.05, real[:, 1] - 0.95).min() < 0.08


def test_erase_undo_and_clear(lab):
    lab.add_points([[0.05, 0.95], [0.07, 0.93], [0.95, 0.05]])
    assert count(lab) == 453
    assert not lab.erase_points([[0.5, 0.5]])          # nothing near the ring's centre
    assert lab.erase_points([[0.06, 0.94]]) and count(lab) == 451
    assert lab.undo_data() and count(lab) == 453
    lab.add_points([[0.5, 0.5]])
    assert lab.clear_data()                             # every change since editing began
    assert lab.config.distribution == "ring" and lab.config.drawn_points is None and count(lab) == 450
    assert not lab.undo_data() and "Nothing to undo" in lab.message


def test_rubbing_out_a_built_in_distributions_samples_starts_a_drawing_of_the_rest(lab):
    assert lab.erase_points([[0.5, 0.85]], radius=0.1)
    assert lab.config.distribution == "drawing" and 0 < count(lab) < 450
    assert f"less the {450 - count(lab)} you rubbed out" in lab.message


def test_bad_edits_are_refused_and_change_nothing(lab):
    lab.add_points([[0.2, 0.2]])
    before = lab.config.drawn_points.copy()
    assert not lab.add_points([[1.2, 0.5]])
    assert "outside the plotted square" in lab.message
    assert not lab.erase_points(before)                 # every point: the data would be empty
    assert "at least one" in lab.message
    np.testing.assert_array_equal(lab.config.drawn_points, before)


def test_more_points_than_a_drawing_may_hold_are_refused():
    points = np.random.default_rng(1).random((MAX_USER_POINTS - 1, 2))
    lab = GANLab(data=points)
    try:
        assert not lab.add_points([[0.5, 0.5], [0.6, 0.6]])
        assert f"more than the {MAX_USER_POINTS:,} allowed" in lab.message
        assert len(lab.config.drawn_points) == MAX_USER_POINTS - 1
        assert lab.add_points([[0.5, 0.5]]) and len(lab.config.drawn_points) == MAX_USER_POINTS
    finally:
        lab.close()


def test_a_new_experiment_forgets_the_edits(lab):
    lab.add_points([[0.5, 0.5]])
    lab.choose_distribution("line")
    assert not lab.undo_data() and lab.config.distribution == "line"
