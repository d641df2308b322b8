import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab_panel.engine import data
from ganlab_panel.engine.errors import DataError

N = 200_000


def moments(points):
    return points.mean(axis=0), np.cov(points.T)


def sample(name, n=N, seed=0):
    return data.DISTRIBUTIONS[name](np.random.default_rng(seed), n)


def test_registry_has_gan_labs_four_shapes_in_menu_order():
    assert list(data.DISTRIBUTIONS) == ["line", "gaussians", "ring", "disjoint"]


def test_samplers_are_pure_functions_of_the_rng():
    for name in data.DISTRIBUTIONS:
        a = sample(name, 100, seed=3)
        b = sample(name, 100, seed=3)
        c = sample(name, 100, seed=4)
        assert a.shape == (100, 2)
        np.testing.assert_array_equal(a, b)
        assert not np.allclose(a, c)


def test_line_moments():
    # x = 0.8 - 0.75 r + 0.01 n, y = 0.6 + 0.3 r + 0.01 n, r ~ U(0, 1)
    mean, cov = moments(sample("line"))
    np.testing.assert_allclose(mean, [0.8 - 0.375, 0.6 + 0.15], atol=2e-3)
    np.testing.assert_allclose(cov, [[0.75**2 / 12 + 1e-4, -0.75 * 0.3 / 12],
                                     [-0.75 * 0.3 / 12, 0.3**2 / 12 + 1e-4]], atol=1e-3)


def test_gaussians_moments():
    pts = sample("gaussians")
    mean, cov = moments(pts)
    mu = np.array([[0.3, 0.7], [0.7, 0.4]])
    var = np.array([[0.1**2, 0.1**2], [0.05**2, 0.2**2]])
    expected_mean = mu.mean(axis=0)
    second = (var + mu**2).mean(axis=0)
    cross = (mu[:, 0] * mu[:, 1]).mean() - expected_mean[0] * expected_mean[1]
    np.testing.assert_allclose(mean, expected_mean, atol=2e-3)
    np.testing.assert_allclose(np.diag(cov), second - expected_mean**2, atol=2e-3)
    assert cov[0, 1] == pytest.approx(cross, abs=2e-3)


def test_ring_moments_and_radius():
    pts = sample("ring")
    mean, cov = moments(pts)
    np.testing.assert_allclose(mean, [0.5, 0.45], atol=2e-3)
    np.testing.assert_allclose(np.diag(cov), [0.3**2 / 2 + 0.025**2, 0.25**2 / 2 + 0.025**2], atol=1e-3)
    assert abs(cov[0, 1]) < 1e-3
    # on the ellipse: ((x-0.5)/0.3)^2 + ((y-0.45)/0.25)^2 close to 1
    r = ((pts[:, 0] - 0.5) / 0.3) ** 2 + ((pts[:, 1] - 0.45) / 0.25) ** 2
    assert np.median(r) == pytest.approx(1.0, abs=0.05)


def test_disjoint_has_three_equal_blobs():
    pts = sample("disjoint")
    centres = data.DISJOINT_CENTRES
    nearest = np.argmin(((pts[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    shares = np.bincount(nearest, minlength=3) / len(pts)
    np.testing.assert_allclose(shares, [1 / 3] * 3, atol=5e-3)
    for k in range(3):
        blob = pts[nearest == k]
        np.testing.assert_allclose(blob.mean(axis=0), centres[k], atol=1e-3)
        np.testing.assert_allclose(blob.std(axis=0), [0.025, 0.025], rtol=0.03)


def test_drawing_sampler_jitters_stroke_points():
    points = np.array([[0.2, 0.2], [0.8, 0.6], [0.5, 0.9]])
    pts = data.drawing_sampler(points)(np.random.default_rng(0), N)
    mean, cov = moments(pts)
    np.testing.assert_allclose(mean, points.mean(axis=0), atol=3e-3)
    np.testing.assert_allclose(np.diag(cov), points.var(axis=0) + 0.02**2, rtol=0.02)
    nearest = np.argmin(((pts[:, None, :] - points[None]) ** 2).sum(-1), axis=1)
    residual = pts - points[nearest]
    np.testing.assert_allclose(residual.std(axis=0), [0.02, 0.02], rtol=0.02)


def test_uniform_noise_moments():
    z = data.sample_noise(np.random.default_rng(0), N, 2, "uniform")
    assert z.min() >= 0 and z.max() < 1
    np.testing.assert_allclose(z.mean(axis=0), [0.5, 0.5], atol=3e-3)
    np.testing.assert_allclose(z.var(axis=0), [1 / 12, 1 / 12], atol=1e-3)


def test_gaussian_noise_is_truncated_at_two_sigma():
    z = data.sample_noise(np.random.default_rng(0), N, 1, "gaussian")
    assert z.shape == (N, 1)
    assert z.min() >= 0.0 and z.max() <= 1.0
    # variance of N(0, 0.25²) truncated at ±2σ: σ²(1 - 2·2φ(2)/(Φ(2)-Φ(-2)))
    phi2 = np.exp(-2.0) / np.sqrt(2 * np.pi)
    mass = 0.9544997361036416
    expected = 0.25**2 * (1 - 4 * phi2 / mass)
    assert z.mean() == pytest.approx(0.5, abs=2e-3)
    assert z.var() == pytest.approx(expected, rel=0.02)


@pytest.mark.parametrize("bad, words", [
    ([], "no points"),
    (np.zeros((0, 2)), "no points"),
    ([[0.1, 0.2, 0.3]], "shape"),
    ([0.1, 0.2], "shape"),
    ([[0.1, np.nan]], "NaN"),
    ([[np.inf, 0.5]], "NaN"),
    ([[5.0, 0.5]], "outside"),
    ([["a", "b"]], "numbers"),
    (np.full((data.MAX_USER_POINTS + 1, 2), 0.5), "too many"),
])
def test_bad_points_are_refused_with_a_clear_message(bad, words):
    with pytest.raises(DataError, match=words):
        data.validate_points(bad)


def test_a_single_point_is_enough_to_train_on():
    pts = data.drawing_sampler([[0.5, 0.5]])(np.random.default_rng(0), 1000)
    assert pts.shape == (1000, 2)
    np.testing.assert_allclose(pts.mean(axis=0), [0.5, 0.5], atol=0.005)


def test_drawing_without_points_and_unknown_names_are_refused():
    with pytest.raises(DataError, match="no points"):
        data.get_sampler("drawing")
    with pytest.raises(DataError, match="unknown distribution"):
        data.get_sampler("spiral-of-doom")


@given(st.lists(st.tuples(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True, allow_infinity=True)),
                max_size=20))
@settings(max_examples=200, deadline=None)
def test_validate_points_accepts_exactly_finite_points_in_the_square(rows):
    arr = np.array(rows, dtype=float).reshape(-1, 2)
    ok = len(arr) > 0 and np.isfinite(arr).all() and (arr >= -0.05).all() and (arr <= 1.05).all()
    if ok:
        np.testing.assert_array_equal(data.validate_points(rows), arr)
    else:
        with pytest.raises(DataError):
            data.validate_points(rows)


def test_points_csv_with_header_and_separators():
    text = "x,y\n0.1,0.2\n0.3;0.4\n\n0.5\t0.6\n# comment\n0.7 0.8\n"
    np.testing.assert_allclose(data.parse_points_csv(text.encode()),
                               [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]])


@pytest.mark.parametrize("content, words", [
    (b"", "no points"),
    (b"x,y\n", "no points"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
    (b"0.1,0.2\n0.3,zebra\n", "line 2"),
    (b"0.1,0.2,0.3\n", "line 1 has 3 values"),
    (b"0.1,nan\n", "NaN"),
    (b"\xff\xfe0.1", "UTF-8"),
])
def test_bad_csv_is_refused_with_a_clear_message(content, words):
    with pytest.raises(DataError, match=words):
        data.parse_points_csv(content)


def test_oversized_csv_is_refused_before_parsing():
    with pytest.raises(DataError, match="MiB"):
        data.parse_points_csv(b"0.5,0.5\n" * (data.MAX_CSV_BYTES // 8 + 1))


# ------------------------------------------------------- beyond GAN Lab's menu
def test_extra_distributions_are_registered_apart_from_gan_labs_menu():
    assert list(data.EXTRA_DISTRIBUTIONS) == ["ring8", "grid25", "spiral", "moons", "checkerboard", "swiss_roll"]
    assert list(data.all_distributions()) == [*data.DISTRIBUTIONS, *data.EXTRA_DISTRIBUTIONS]
    rng = np.random.default_rng(0)
    for name, sampler in data.EXTRA_DISTRIBUTIONS.items():
        pts = sampler(rng, 20_000)
        assert pts.shape == (20_000, 2)
        inside = ((pts > -0.02) & (pts < 1.02)).all(axis=1).mean()
        assert inside > 0.999, name
        assert np.array_equal(sampler(np.random.default_rng(5), 10), sampler(np.random.default_rng(5), 10))


def test_ring8_is_the_published_ring_scaled_into_the_square():
    ring8 = data.MIXTURES["ring8"]
    np.testing.assert_allclose(ring8.published_centres[1], [np.cos(np.pi / 4), np.sin(np.pi / 4)])
    assert len(np.unique(ring8.published_centres.round(6), axis=0)) == 8  # 2πk/8, no repeated mode
    assert ring8.published_sigma == 0.01
    pts = ring8(np.random.default_rng(1), 80_000)
    np.testing.assert_allclose(pts.mean(0), [0.5, 0.5], atol=0.005)
    radius = np.linalg.norm(pts - 0.5, axis=1)
    assert abs(radius.mean() - ring8.scale) < 0.001
    nearest = np.linalg.norm(pts[:, None] - ring8.centres[None], axis=2).argmin(1)
    shares = np.bincount(nearest, minlength=8) / len(pts)
    np.testing.assert_allclose(shares, 1 / 8, atol=0.01)
    offsets = pts - ring8.centres[nearest]
    np.testing.assert_allclose(offsets.std(0), ring8.sigma, rtol=0.03)


def test_grid25_is_the_published_grid_scaled_into_the_square():
    grid = data.MIXTURES["grid25"]
    assert grid.published_sigma == 0.05
    assert sorted(set(grid.published_centres[:, 0])) == [-4, -2, 0, 2, 4]
    pts = grid(np.random.default_rng(2), 100_000)
    nearest = np.linalg.norm(pts[:, None] - grid.centres[None], axis=2).argmin(1)
    np.testing.assert_allclose(np.bincount(nearest, minlength=25) / len(pts), 1 / 25, atol=0.005)
    np.testing.assert_allclose((pts - grid.centres[nearest]).std(0), grid.sigma, rtol=0.03)
    np.testing.assert_allclose(sorted(set(grid.centres[:, 1].round(6))), [0.1, 0.3, 0.5, 0.7, 0.9])


def test_classic_shapes_moments():
    rng = np.random.default_rng(3)
    board = data.EXTRA_DISTRIBUTIONS["checkerboard"](rng, 40_000)
    cell = np.floor((board - 0.1) / 0.2).astype(int)
    assert ((cell.sum(1) % 2) == 0).all()               # only the dark squares
    np.testing.assert_allclose(board.mean(0), [0.5, 0.5], atol=0.01)
    moons = data.EXTRA_DISTRIBUTIONS["moons"](rng, 40_000)
    np.testing.assert_allclose(moons.mean(0), [0.5, 0.5], atol=0.01)
    spiral = data.EXTRA_DISTRIBUTIONS["spiral"](rng, 40_000)
    r = np.linalg.norm(spiral - 0.5, axis=1)
    assert 0.03 < np.percentile(r, 1) and np.percentile(r, 99) < 0.42
    roll = data.EXTRA_DISTRIBUTIONS["swiss_roll"](rng, 40_000)
    r = np.linalg.norm(roll - 0.5, axis=1) * 34
    assert 1.4 * np.pi < np.percentile(r, 1) and np.percentile(r, 99) < 4.6 * np.pi


def test_a_drawing_is_sampled_evenly_and_its_first_samples_hold_every_point():
    g = np.linspace(0.08, 0.92, 8)
    points = np.array([(x, y) for x in g for y in g])     # 64 points, 0.12 apart (6 jitter σ)
    pts = data.drawing_sampler(points)(np.random.default_rng(0), 12_000)
    nearest = np.argmin(((pts[:, None, :] - points[None]) ** 2).sum(-1), axis=1)
    counts = np.bincount(nearest, minlength=len(points))
    assert counts.min() >= 180 and counts.max() <= 195            # 187.5 each: every point as often
    assert len(np.unique(nearest[:64])) == 64                      # the first 64 samples: each point once
