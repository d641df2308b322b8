"""Quality measures, pure NumPy.

GAN Lab charts "KL divergence (by grid)" and "JS divergence (by grid)": the
unit square is cut into 30×30 cells, real and generated samples become two
histograms, and the divergences use base-2 logs with ε = 1e-4 added to every
cell. GAN Lab's own reference histogram is built from an array an earlier step
already consumed; here both histograms are built from clean samples.

One thing GAN Lab leaves undefined is a sample outside the square (the
generator's tanh reaches (-1, 1)): here such samples fall into one extra
"outside" cell, so both histograms always hold all their mass.
"""

from __future__ import annotations

import numpy as np

GRID_CELLS = 30
SMOOTHING_EPS = 1e-4


def grid_histogram(points: np.ndarray, cells: int = GRID_CELLS) -> np.ndarray:
    """Share of ``points`` in each cell of a cells×cells grid over [0, 1]².

    Returns ``cells * cells + 1`` values summing to 1: cell (col, row) is at
    ``row * cells + col`` (GAN Lab's order, y up), the last value the share of
    points outside the square. No points (or only NaN) gives all zeros.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(axis=1)]
    hist = np.zeros(cells * cells + 1)
    if len(pts) == 0:
        return hist
    inside = ((pts >= 0.0) & (pts <= 1.0)).all(axis=1)
    idx = np.minimum((pts[inside] * cells).astype(np.int64), cells - 1)  # x = 1.0 joins the last cell
    flat = idx[:, 1] * cells + idx[:, 0]
    hist[: cells * cells] = np.bincount(flat, minlength=cells * cells)
    hist[-1] = np.count_nonzero(~inside)
    return hist / len(pts)


def kl_divergence(p: np.ndarray, q: np.ndarray, eps: float = SMOOTHING_EPS) -> float:
    """KL(p || q) in bits with ε added to every cell (GAN Lab's smoothing)."""
    p = np.asarray(p, dtype=np.float64) + eps
    q = np.asarray(q, dtype=np.float64) + eps
    mask = p > 0
    if np.any(q[mask] == 0):
        return float("inf")  # p has mass where q has none
    return float(np.sum(p[mask] * np.log2(p[mask] / q[mask])))


def js_divergence(p: np.ndarray, q: np.ndarray, eps: float = SMOOTHING_EPS) -> float:
    """Jensen-Shannon divergence in bits: ½ KL(p || m) + ½ KL(q || m), m = (p + q)/2,
    with ε added to every cell of p, q and m. In [0, 1] when ε = 0."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    m = 0.5 * (p + q)
    return 0.5 * (kl_divergence(p, m, eps) + kl_divergence(q, m, eps))


def grid_divergences(real: np.ndarray, fake: np.ndarray, cells: int = GRID_CELLS,
                     eps: float = SMOOTHING_EPS) -> tuple[float, float]:
    """(KL(real || fake), JS(real, fake)) of the two samples' grid histograms."""
    p = grid_histogram(real, cells)
    q = grid_histogram(fake, cells)
    return kl_divergence(p, q, eps), js_divergence(p, q, eps)


#: generated samples the mode metrics are measured on (the published protocol)
MODE_EVAL_SAMPLES = 2_500

#: a sample within this many standard deviations of its nearest mode centre is
#: "high quality" (the published protocol)
HIGH_QUALITY_SIGMAS = 3.0


def nearest_modes(samples, centres) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's nearest mode centre (its index) and its distance to it
    (infinite for a non-finite sample)."""
    samples = np.asarray(samples, dtype=np.float64).reshape(-1, 2)
    centres = np.asarray(centres, dtype=np.float64).reshape(-1, 2)
    dist = np.sqrt(((samples[:, None, :] - centres[None, :, :]) ** 2).sum(-1))
    dist = np.where(np.isfinite(dist), dist, np.inf)
    nearest = dist.argmin(axis=1)
    return nearest, dist[np.arange(len(samples)), nearest]


def _nearest_modes(samples, centres, sigma: float, sigmas: float) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's nearest mode, and whether it is high quality (within ``sigmas`` · ``sigma`` of it)."""
    nearest, dist = nearest_modes(samples, centres)
    return nearest, dist <= sigmas * sigma


def mode_measures(samples: np.ndarray, centres: np.ndarray, sigma: float,
                  sigmas: float = HIGH_QUALITY_SIGMAS) -> tuple[int, float, float]:
    """:func:`mode_metrics` and :func:`mode_balance` together, from one pass
    over the samples' distances to the modes."""
    k = len(np.asarray(centres).reshape(-1, 2))
    if len(np.asarray(samples).reshape(-1, 2)) == 0:
        return 0, 0.0, float(np.log(k))
    nearest, good = _nearest_modes(samples, centres, sigma, sigmas)
    if not good.any():
        return 0, 0.0, float(np.log(k))
    p = np.bincount(nearest[good], minlength=k) / good.sum()
    p = p[p > 0]
    return int(len(p)), float(good.mean()), float((p * np.log(k * p)).sum())


def mode_metrics(samples: np.ndarray, centres: np.ndarray, sigma: float,
                 sigmas: float = HIGH_QUALITY_SIGMAS) -> tuple[int, float]:
    """(modes captured, share of high-quality samples) for a Gaussian mixture.

    A sample is high quality when it lies within ``sigmas`` · ``sigma`` of its
    nearest mode centre; a mode is captured when at least one high-quality
    sample is nearest to it. Non-finite samples count as low quality.
    """
    return mode_measures(samples, centres, sigma, sigmas)[:2]


def mode_balance(samples: np.ndarray, centres: np.ndarray, sigma: float,
                 sigmas: float = HIGH_QUALITY_SIGMAS) -> float:
    """How evenly the high-quality samples spread over the K modes (PacGAN's
    measure, Lin et al. 2018): the reverse KL divergence, in nats, of their
    histogram over their nearest modes from the uniform one,
    KL(p ‖ 1/K) = Σ pᵢ log(K pᵢ). 0 when every mode gets as many samples,
    log K when one mode gets them all (and when no sample is high quality)."""
    return mode_measures(samples, centres, sigma, sigmas)[2]
