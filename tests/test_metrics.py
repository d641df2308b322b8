import numpy as np
import pytest

from ganlab_panel.engine.metrics import grid_divergences, grid_histogram, js_divergence, kl_divergence


def test_histogram_puts_points_in_gan_lab_cells():
    pts = np.array([[0.01, 0.01], [0.99, 0.01], [0.01, 0.99], [0.5, 0.5], [1.0, 1.0]])
    h = grid_histogram(pts, cells=30)
    assert h.shape == (901,)
    assert h.sum() == pytest.approx(1.0)
    assert h[0] == pytest.approx(0.2)                  # bottom-left
    assert h[29] == pytest.approx(0.2)                 # bottom-right: x fastest
    assert h[29 * 30] == pytest.approx(0.2)            # top-left
    assert h[15 * 30 + 15] == pytest.approx(0.2)       # centre
    assert h[29 * 30 + 29] == pytest.approx(0.2)       # the corner (1, 1) joins the last cell


def test_points_outside_the_square_keep_their_mass_in_the_outside_cell():
    h = grid_histogram(np.array([[-0.5, 0.5], [0.5, 1.5], [0.5, 0.5], [0.2, 0.2]]))
    assert h[-1] == pytest.approx(0.5)
    assert h.sum() == pytest.approx(1.0)


def test_identical_samples_have_zero_divergence():
    rng = np.random.default_rng(0)
    pts = rng.random((500, 2))
    kl, js = grid_divergences(pts, pts.copy())
    assert kl == 0.0
    assert js == 0.0


def test_disjoint_supports_have_js_of_one_bit():
    p = np.zeros(10)
    q = np.zeros(10)
    p[0], q[5] = 1.0, 1.0
    assert js_divergence(p, q, eps=0.0) == pytest.approx(1.0, abs=1e-12)
    # GAN Lab's smoothing pulls it a hair below one bit, never above
    smoothed = js_divergence(p, q)
    assert 0.995 < smoothed < 1.0
    kl_inf = kl_divergence(p, q, eps=0.0)
    assert kl_inf == np.inf


def test_kl_matches_a_hand_computation_and_is_asymmetric():
    p = np.array([0.5, 0.5, 0.0])
    q = np.array([0.25, 0.25, 0.5])
    # sum p log2(p/q) = 0.5*1 + 0.5*1 = 1 bit (the empty cell contributes 0)
    assert kl_divergence(p, q, eps=0.0) == pytest.approx(1.0)
    assert kl_divergence(q, p, eps=0.0) == np.inf
    eps = 1e-4
    expected = sum((a + eps) * np.log2((a + eps) / (b + eps)) for a, b in zip(p, q))
    assert kl_divergence(p, q) == pytest.approx(expected)


def test_js_is_symmetric_and_bounded():
    rng = np.random.default_rng(1)
    a = rng.random((300, 2))
    b = rng.random((300, 2)) * 0.5
    _, js_ab = grid_divergences(a, b)
    _, js_ba = grid_divergences(b, a)
    assert js_ab == pytest.approx(js_ba)
    assert 0.0 < js_ab < 1.0


def test_nan_points_are_ignored_and_an_empty_sample_gives_zeros():
    assert grid_histogram(np.full((5, 2), np.nan)).sum() == 0.0
    h = grid_histogram(np.array([[np.nan, 0.1], [0.5, 0.5]]))
    assert h.sum() == pytest.approx(1.0)


def test_mode_metrics_on_constructed_samples():
    from ganlab_panel.engine.data import MIXTURES
    from ganlab_panel.engine.metrics import mode_metrics

    ring8 = MIXTURES["ring8"]
    c, s = ring8.centres, ring8.sigma
    rng = np.random.default_rng(0)
    every = np.repeat(c, 50, axis=0) + 0.5 * s * rng.standard_normal((400, 2))
    assert mode_metrics(every, c, s) == (8, 1.0)
    one = c[3] + 0.5 * s * rng.standard_normal((400, 2))
    assert mode_metrics(one, c, s) == (1, 1.0)
    between = (c + np.roll(c, 1, axis=0)) / 2               # midway between neighbouring modes
    assert mode_metrics(between, c, s) == (0, 0.0)
    # a quarter on-mode (two modes), the rest off: the share counts every sample
    mixed = np.vstack([np.repeat(c[:2], 50, axis=0), np.repeat(between, 38, axis=0)[:300]])
    assert mode_metrics(mixed, c, s) == (2, 0.25)
    # the 3σ boundary, and NaN samples count as low quality
    edge = c[0] + np.array([[2.9 * s, 0.0], [3.1 * s, 0.0], [np.nan, 0.5]])
    captured, share = mode_metrics(edge, c, s)
    assert captured == 1 and abs(share - 1 / 3) < 1e-12
    assert mode_metrics(np.empty((0, 2)), c, s) == (0, 0.0)


def test_mode_balance_is_zero_when_even_and_log_k_when_one_mode_has_everything():
    from ganlab_panel.engine.data import MIXTURES
    from ganlab_panel.engine.metrics import mode_balance

    grid = MIXTURES["grid25"]
    c, s = grid.centres, grid.sigma
    rng = np.random.default_rng(0)
    jitter = lambda n: 0.5 * s * rng.standard_normal((n, 2))  # noqa: E731
    assert mode_balance(np.repeat(c, 40, axis=0) + jitter(1000), c, s) == pytest.approx(0.0, abs=1e-12)
    assert mode_balance(c[7] + jitter(500), c, s) == pytest.approx(np.log(25))
    # twelve of the 25 modes, evenly: log(25 / 12); samples off every mode do not count
    half = np.repeat(c[:12], 10, axis=0)
    off = (c[:1] + c[1:2]) / 2 + np.zeros((300, 2))
    assert mode_balance(np.vstack([half + jitter(len(half)), off]), c, s) == pytest.approx(np.log(25 / 12))
    # two modes, 3:1
    uneven = np.vstack([np.repeat(c[:1], 300, axis=0), np.repeat(c[1:2], 100, axis=0)]) + jitter(400)
    p = np.array([0.75, 0.25])
    assert mode_balance(uneven, c, s) == pytest.approx((p * np.log(25 * p)).sum())
    # no high-quality sample at all: as bad as one mode
    assert mode_balance(off, c, s) == pytest.approx(np.log(25))
