"""Real data and noise: pure samplers in a name -> function registry.

Every sampler is ``sampler(rng, n) -> (n, 2) float64 array`` with
``rng`` a ``numpy.random.Generator``; it has no other state, so the same seed
always gives the same points. Everything lives in GAN Lab's unit square
[0, 1]², y up. The formulas are GAN Lab's own (see ``GANLAB_FACTS.md``).

User points (drawn or tapped) are not a sampler of their own: ``drawing_sampler``
turns a validated (m, 2) array into one, jittering each chosen stroke point like
GAN Lab's drawing does.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ganlab_panel.engine.errors import DataError

Sampler = Callable[[np.random.Generator, int], np.ndarray]

#: name -> sampler for GAN Lab's four distributions, in its menu order.
DISTRIBUTIONS: dict[str, Sampler] = {}

#: name -> sampler for the distributions beyond GAN Lab's menu (benchmark
#: mixtures and classic 2D shapes), all scaled into the unit square.
EXTRA_DISTRIBUTIONS: dict[str, Sampler] = {}

#: the name under which user points are trained on.
DRAWING = "drawing"

#: standard deviation of the jitter around a drawn point (GAN Lab's value).
DRAWING_JITTER = 0.02

#: the most points a drawing may hold; more is refused rather than truncated.
MAX_USER_POINTS = 100_000

#: how far outside the unit square a user point may lie (drawing strokes can
#: overshoot the plot's edge by a little).
USER_POINT_MARGIN = 0.05

NOISE_TYPES = ("uniform", "gaussian")


def register(name: str, extra: bool = False) -> Callable[[Sampler], Sampler]:
    """Add a sampler to :data:`DISTRIBUTIONS` (or :data:`EXTRA_DISTRIBUTIONS`) under ``name``."""

    def decorator(fn: Sampler) -> Sampler:
        (EXTRA_DISTRIBUTIONS if extra else DISTRIBUTIONS)[name] = fn
        return fn

    return decorator


def all_distributions() -> dict[str, Sampler]:
    """GAN Lab's distributions, then the extra ones."""
    return {**DISTRIBUTIONS, **EXTRA_DISTRIBUTIONS}


@register("line")
def line(rng: np.random.Generator, n: int) -> np.ndarray:
    """A thin diagonal segment from (0.8, 0.6) to (0.05, 0.9)."""
    r = rng.random(n)
    noise = rng.standard_normal((n, 2))
    return np.column_stack([0.8 - 0.75 * r, 0.6 + 0.3 * r]) + 0.01 * noise


@register("gaussians")
def gaussians(rng: np.random.Generator, n: int) -> np.ndarray:
    """Two Gaussians, equally likely: round at (0.3, 0.7), tall at (0.7, 0.4)."""
    first = rng.random(n) < 0.5
    noise = rng.standard_normal((n, 2))
    centre = np.where(first[:, None], [0.3, 0.7], [0.7, 0.4])
    scale = np.where(first[:, None], [0.1, 0.1], [0.05, 0.2])
    return centre + scale * noise


@register("ring")
def ring(rng: np.random.Generator, n: int) -> np.ndarray:
    """An elliptical ring around (0.5, 0.45) with radii 0.3 and 0.25."""
    angle = 2.0 * np.pi * rng.random(n)
    noise = rng.standard_normal((n, 2))
    ring_points = np.column_stack([0.5 + 0.3 * np.cos(angle), 0.45 + 0.25 * np.sin(angle)])
    return ring_points + 0.025 * noise


DISJOINT_CENTRES = np.array([[0.35, 0.75], [0.75, 0.6], [0.45, 0.35]])


@register("disjoint")
def disjoint(rng: np.random.Generator, n: int) -> np.ndarray:
    """Three small blobs (sigma 0.025), each with probability 1/3."""
    which = rng.integers(0, len(DISJOINT_CENTRES), n)
    noise = rng.standard_normal((n, 2))
    return DISJOINT_CENTRES[which] + 0.025 * noise


def validate_points(points, *, margin: float = USER_POINT_MARGIN) -> np.ndarray:
    """Check user points and return them as a fresh (m, 2) float64 array.

    Raises :class:`DataError` with a sentence naming the problem for: nothing
    array-like, a wrong shape, no points, non-finite values, more than
    :data:`MAX_USER_POINTS`, or points outside the plotted square (beyond
    ``margin``).
    """
    try:
        arr = np.array(points, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"points must be numbers in an (n, 2) array: {exc}") from None
    if arr.size == 0:
        raise DataError("there are no points: draw or tap at least one point first")
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise DataError(f"points must have shape (n, 2), got {arr.shape}")
    if len(arr) > MAX_USER_POINTS:
        raise DataError(f"too many points: {len(arr):,} given, at most {MAX_USER_POINTS:,} allowed")
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        raise DataError(f"{int(bad.sum())} point(s) are NaN or infinite")
    lo, hi = -margin, 1.0 + margin
    outside = ((arr < lo) | (arr > hi)).any(axis=1)
    if outside.any():
        raise DataError(
            f"{int(outside.sum())} point(s) lie outside the plot's square [0, 1]²; "
            "points must be inside it"
        )
    return arr


def drawing_sampler(points) -> Sampler:
    """A sampler over user points: each a point plus N(0, 0.02²) jitter, the
    points taken in shuffled rounds, so that every point is drawn as often as
    any other (the first ``len(points)`` samples hold each point once: a view
    showing that many shows every point)."""
    pts = validate_points(points)

    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        rounds = -(-n // len(pts))
        index = np.concatenate([rng.permutation(len(pts)) for _ in range(rounds)])[:n]
        return pts[index] + DRAWING_JITTER * rng.standard_normal((n, 2))

    return sample

# ------------------------------------------------------------------ mixtures
class Mixture:
    """An equal-weight mixture of isotropic Gaussians, defined in its published
    coordinates and shown scaled into the unit square: ``x' = 0.5 + scale · x``.

    ``centres`` and ``sigma`` are in the unit square (what the trainer sees);
    the mode metrics use them, which is the published protocol scaled.
    """

    def __init__(self, name: str, centres, sigma: float, scale: float, doc: str):
        self.name = name
        self.published_centres = np.asarray(centres, dtype=np.float64)
        self.published_sigma = float(sigma)
        self.scale = float(scale)
        self.centres = 0.5 + self.scale * self.published_centres
        self.sigma = self.scale * self.published_sigma
        self.__doc__ = doc

    def __call__(self, rng: np.random.Generator, n: int) -> np.ndarray:
        which = rng.integers(0, len(self.centres), n)
        return self.centres[which] + self.sigma * rng.standard_normal((n, 2))


#: the standard 2D mode-collapse benchmarks, by name
MIXTURES: dict[str, Mixture] = {}


def _mixture(name: str, centres, sigma: float, scale: float, doc: str) -> Mixture:
    mixture = Mixture(name, centres, sigma, scale, doc)
    MIXTURES[name] = mixture
    register(name, extra=True)(mixture)
    return mixture


_angles = 2.0 * np.pi * np.arange(8) / 8  # 2πk/8: eight distinct modes
_mixture("ring8", np.column_stack([np.cos(_angles), np.sin(_angles)]), sigma=0.01, scale=0.35,
         doc="Ring of 8 Gaussians (radius 1, σ 0.01), scaled by 0.35 into the square.")
_grid = np.array([(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)], dtype=float)
_mixture("grid25", _grid, sigma=0.05, scale=0.1,
         doc="Grid of 25 Gaussians at {-4,-2,0,2,4}² (σ 0.05), scaled by 0.1 into the square.")


# ------------------------------------------------------------- classic shapes
@register("spiral", extra=True)
def spiral(rng: np.random.Generator, n: int) -> np.ndarray:
    """An Archimedean spiral of 1.5 turns around the centre, σ 0.01."""
    t = np.sqrt(rng.random(n))  # uniform along the arc, roughly
    angle = 3.0 * np.pi * t
    radius = 0.05 + 0.35 * t
    pts = np.column_stack([0.5 + radius * np.cos(angle), 0.5 + radius * np.sin(angle)])
    return pts + 0.01 * rng.standard_normal((n, 2))


@register("moons", extra=True)
def moons(rng: np.random.Generator, n: int) -> np.ndarray:
    """Two interleaving half circles (radius 1, the second shifted by (1, -0.5)),
    σ 0.05, scaled by 0.25 into the square."""
    upper = rng.random(n) < 0.5
    angle = np.pi * rng.random(n)
    x = np.where(upper, np.cos(angle), 1.0 - np.cos(angle))
    y = np.where(upper, np.sin(angle), 0.5 - np.sin(angle))
    pts = np.column_stack([x - 0.5, y - 0.25]) + 0.05 * rng.standard_normal((n, 2))
    return 0.5 + 0.25 * pts


@register("checkerboard", extra=True)
def checkerboard(rng: np.random.Generator, n: int) -> np.ndarray:
    """Uniform on the dark squares of a 4×4 checkerboard spanning [0.1, 0.9]²."""
    cells = np.array([(i, j) for i in range(4) for j in range(4) if (i + j) % 2 == 0], dtype=float)
    which = rng.integers(0, len(cells), n)
    return 0.1 + 0.2 * (cells[which] + rng.random((n, 2)))


@register("swiss_roll", extra=True)
def swiss_roll(rng: np.random.Generator, n: int) -> np.ndarray:
    """The 2D swiss roll: t·(cos t, sin t) for t uniform in [1.5π, 4.5π], σ 0.25,
    scaled by 1/34 into the square."""
    t = 1.5 * np.pi * (1.0 + 2.0 * rng.random(n))
    pts = np.column_stack([t * np.cos(t), t * np.sin(t)]) + 0.25 * rng.standard_normal((n, 2))
    return 0.5 + pts / 34.0


def get_sampler(name: str, points=None) -> Sampler:
    """The sampler for a distribution name; ``"drawing"`` needs ``points``."""
    if name == DRAWING:
        if points is None:
            raise DataError("the 'drawing' distribution has no points: draw or tap some first")
        return drawing_sampler(points)
    try:
        return all_distributions()[name]
    except KeyError:
        known = ", ".join([*all_distributions(), DRAWING])
        raise DataError(f"unknown distribution {name!r}; choose one of: {known}") from None


def sample_noise(rng: np.random.Generator, n: int, dim: int, kind: str) -> np.ndarray:
    """Generator input: uniform on [0, 1] or a normal N(0.5, 0.25²) truncated
    at two standard deviations (so also inside [0, 1]), as GAN Lab draws it."""
    if kind == "uniform":
        return rng.random((n, dim))
    if kind != "gaussian":
        raise DataError(f"noise type must be one of {NOISE_TYPES}, not {kind!r}")
    out = rng.standard_normal((n, dim))
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return 0.5 + 0.25 * out


def noise_density(points: np.ndarray) -> np.ndarray:
    """Density of GAN Lab's 2D Gaussian noise (mean 0.5, std 0.25, untruncated,
    as GAN Lab weighs manifold cells) at ``points`` of shape (..., 2)."""
    std = 0.25
    sq = ((np.asarray(points) - 0.5) ** 2).sum(axis=-1)
    return np.exp(-0.5 * sq / std**2) / (2.0 * np.pi * std**2)


#: a points CSV larger than this is refused before it is parsed.
MAX_CSV_BYTES = 8 * 1024 * 1024


def parse_points_csv(content: bytes | str) -> np.ndarray:
    """User points from CSV text: two numeric columns (x, y), one point per line,
    an optional header line, ``,`` ``;`` tab or space separated.

    Raises :class:`DataError` naming the line for anything else, and for the
    problems :func:`validate_points` refuses.
    """
    if isinstance(content, bytes):
        if len(content) > MAX_CSV_BYTES:
            raise DataError(f"the CSV file is {len(content) / 2**20:.1f} MiB; at most "
                            f"{MAX_CSV_BYTES / 2**20:.0f} MiB is accepted")
        if b"\x00" in content:
            raise DataError("the CSV file is binary, not text")
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DataError("the CSV file is not UTF-8 text") from None
    rows = []
    for number, raw in enumerate(content.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f for f in line.replace(";", ",").replace("\t", ",").replace(" ", ",").split(",") if f]
        if len(fields) != 2:
            raise DataError(f"CSV line {number} has {len(fields)} values; each line needs x and y")
        try:
            rows.append((float(fields[0]), float(fields[1])))
        except ValueError:
            if not rows and number == 1:
                continue  # a header line
            raise DataError(f"CSV line {number} is not two numbers: {line[:60]!r}") from None
    return validate_points(np.array(rows, dtype=np.float64).reshape(-1, 2))
