"""Jacobian-based truncation: leave out the samples G stretches most.

A generator is a continuous map from one connected noise space, so to cover
modes that lie apart it must carry some noise across the gaps between them.
It does so by stretching a thin slab of noise over each gap: there its
Jacobian ∂G/∂z is hundreds of times larger than inside a mode. Tanielian et
al. (2020, "Learning disconnected manifolds: a no GAN's land") show that no
generator avoids these samples, and that dropping the noise where G's
Jacobian norm is largest (their Jacobian-based truncation) removes them.

``jacobian_truncation`` (a share q in [0, 0.5)) applies it to every sample
the trainer shows and measures: of ⌈n / (1 − q)⌉ noise vectors, the n that
G stretches least (:meth:`~ganlab_panel.engine.models.Generator.stretch`),
in the order they were drawn. Training sees every sample.
"""

from __future__ import annotations

import math

import numpy as np

#: the largest share that may be left out (the setting's bound)
MAX_TRUNCATION = 0.5


def noise_needed(n: int, share: float) -> int:
    """Noise vectors to draw so that ``n`` remain once ``share`` of them are left out."""
    return int(math.ceil(round(n / (1.0 - share), 9))) if share > 0 else int(n)


def split(generator, noise: np.ndarray, n: int, share: float) -> tuple[np.ndarray, np.ndarray]:
    """The noise vectors of the front of ``noise`` that truncation keeps, and
    those it leaves out: of its first :func:`noise_needed` rows, the ``n`` that
    ``generator`` stretches least (fewer when ``noise`` runs short: all but
    ``share`` of it), and the rest, each in their order."""
    pool = noise[:noise_needed(n, share)]
    if share <= 0 or len(pool) == 0:
        return pool[:n], pool[:0]
    keep = min(int(n), int(round(len(pool) * (1.0 - share))))
    with np.errstate(over="ignore", invalid="ignore"):
        stretch = generator.stretch(pool)
    # non-finite stretch (a diverged G) counts as the most, so it is left out first
    kept = np.zeros(len(pool), dtype=bool)
    if keep:
        kept[np.argpartition(np.where(np.isfinite(stretch), stretch, np.inf), keep - 1)[:keep]] = True
    return pool[kept], pool[~kept]


def truncate(generator, noise: np.ndarray, n: int, share: float) -> np.ndarray:
    """The noise vectors truncation keeps of the front of ``noise`` (see :func:`split`)."""
    return split(generator, noise, n, share)[0]
