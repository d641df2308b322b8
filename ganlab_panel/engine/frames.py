"""Frame: one moment of an experiment as plain NumPy arrays, and the pure
functions that compute its visual arrays.

A Frame is everything the views draw. It is made by ``Trainer.snapshot()`` and
never refers back to the trainer, so views can hold Frames freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ganlab_panel.engine.data import noise_density
from ganlab_panel.engine.metrics import GRID_CELLS

#: cells per side of the generator manifold (GAN Lab: 20×20 quads, 21×21 points).
MANIFOLD_CELLS = 20

#: real samples drawn in the layered view.
NUM_REAL_VISUALIZED = 450

#: a drawing of up to this many points shows every one of them (each once,
#: jittered: see ``data.drawing_sampler``), however many more than 450
MAX_DRAWN_SHOWN = 2000


def real_shown(drawn_points: int | None = None) -> int:
    """How many real samples the layered view draws: GAN Lab's 450, or all of
    a drawing's points (up to MAX_DRAWN_SHOWN), so that a point the user
    adds shows at once."""
    return max(NUM_REAL_VISUALIZED, min(drawn_points or 0, MAX_DRAWN_SHOWN))

#: fake samples drawn (the fixed visual batch: the first noise vectors).
NUM_FAKE_VISUALIZED = 150

#: length in plot units of a generator-gradient arrow per unit of gradient.
GRADIENT_ARROW_UNIT = 0.15


@dataclass(frozen=True, eq=False)
class Frame:
    """What an experiment looks like at one iteration (all arrays float64).

    Coordinates are in GAN Lab's unit square, y up. Grids are indexed
    ``[row, col]`` with row 0 at the bottom (y) and col 0 at the left (x).
    """

    iteration: int
    #: (450, 2) real samples, the first of the real atlas.
    real: np.ndarray
    #: (150, noise_dim) the fixed noise batch behind ``fake``.
    noise: np.ndarray
    #: (150, 2) the fixed visual batch of generated samples.
    fake: np.ndarray
    #: D's output on ``real`` (450,) and on ``fake`` (150,): see ``d_output``.
    d_real: np.ndarray
    d_fake: np.ndarray
    #: (30,) cell-centre coordinates of the discriminator grid, both axes.
    grid_centres: np.ndarray
    #: (30, 30) D's output at the cell centres, [row=y, col=x].
    d_grid: np.ndarray
    #: generator manifold: (21, 21, 2) for 2D noise, indexed [i, j] by the noise
    #: grid point (i/20, j/20); (21, 2) for 1D noise.
    manifold: np.ndarray
    #: (20, 20) fill opacity of each manifold quad (GAN Lab's density rule);
    #: ``None`` for 1D noise, which is drawn as a line.
    manifold_opacity: np.ndarray | None
    #: (150, 2) gradient of D's output with respect to each fake sample.
    gradients: np.ndarray
    #: last D loss as GAN Lab displays it (half the computed value); NaN before any D step.
    d_loss: float
    #: last G loss; NaN before any G step.
    g_loss: float
    #: grid KL(real || fake) and JS(real, fake), in bits.
    kl: float
    js: float
    #: updates run so far, of each network.
    d_steps: int = 0
    g_steps: int = 0
    #: False once a loss, weight or output is NaN or infinite.
    finite: bool = True
    #: names of the settings in force (noise_dim, loss, distribution, ...).
    info: dict = field(default_factory=dict)
    #: what d_real, d_fake and d_grid hold: "probability" (of real, in [0, 1])
    #: or "critic" (a critic's unbounded score, higher = more real).
    d_output: str = "probability"
    #: for mixture data: modes captured out of ``modes_total``, and the share of
    #: high-quality samples (within 3σ of a mode), on 2,500 samples; else None.
    modes: int | None = None
    modes_total: int | None = None
    high_quality: float | None = None
    #: for mixture data: the reverse KL (nats) of the high-quality samples'
    #: histogram over the modes from the even one (0: every mode as often)
    mode_balance: float | None = None
    #: with Jacobian-based truncation on: (k, 2) the samples it left out of the
    #: noise ``fake`` was chosen from (G's jumps between modes); else None
    left_out: np.ndarray | None = None

    @property
    def noise_dim(self) -> int:
        return self.noise.shape[1]

    @property
    def diverged(self) -> bool:
        return not self.finite

    @property
    def is_critic(self) -> bool:
        return self.d_output == "critic"

    def critic_scale(self) -> tuple[float, float]:
        """For a critic: (centre, half-range) of its colour scale. The centre
        is midway between its mean score on real and on fake samples (a
        critic's scores may shift freely, so 0 means nothing fixed); the
        half-range is the farthest grid cell from it."""
        return self._critic_scale

    @cached_property
    def _critic_scale(self) -> tuple[float, float]:
        # every view colours the same Frame: work the scale out once
        with np.errstate(invalid="ignore"):
            centre = 0.5 * (np.nanmean(self.d_real) + np.nanmean(self.d_fake))
            spread = np.nanmax(np.abs(self.d_grid - centre)) if np.isfinite(self.d_grid).any() else np.nan
        if not np.isfinite(centre):
            centre = 0.0
        if not np.isfinite(spread) or spread < 1e-9:
            spread = 1.0
        return float(centre), float(spread)

    def d_shown(self, values: np.ndarray) -> np.ndarray:
        """D's outputs as the views colour them, in [0, 1], 0.5 being "hard to
        tell": a probability as it is; a critic's score mapped linearly from
        this frame's scale (``critic_scale``), so green is the most real-looking
        and purple the most fake-looking region right now."""
        if not self.is_critic:
            return values
        values = np.asarray(values)
        centre, spread = self.critic_scale()
        with np.errstate(invalid="ignore"):
            return np.clip(0.5 + 0.5 * (values - centre) / spread, 0.0, 1.0).astype(values.dtype, copy=False)


def grid_centres(cells: int = GRID_CELLS) -> np.ndarray:
    """Cell-centre coordinates of a cells-per-side grid over [0, 1]."""
    return (np.arange(cells) + 0.5) / cells


def grid_points(cells: int = GRID_CELLS) -> np.ndarray:
    """(cells², 2) cell centres in GAN Lab's order: x varies fastest, y up."""
    c = grid_centres(cells)
    xx, yy = np.meshgrid(c, c)  # [row=y, col=x]
    return np.column_stack([xx.ravel(), yy.ravel()])


def manifold_noise(noise_dim: int, cells: int = MANIFOLD_CELLS) -> np.ndarray:
    """The regular noise grid pushed through G to draw its manifold.

    1D: (cells + 1, 1) points i/cells. 2D: ((cells + 1)², 2) points
    (i/cells, j/cells) with j varying fastest, i.e. reshapeable to
    [i, j, 2].
    """
    u = np.arange(cells + 1) / cells
    if noise_dim == 1:
        return u[:, None]
    if noise_dim == 2:
        ii, jj = np.meshgrid(u, u, indexing="ij")
        return np.column_stack([ii.ravel(), jj.ravel()])
    raise ValueError(f"the manifold is drawn for 1D or 2D noise only, not {noise_dim}D")


def quad_areas(manifold: np.ndarray) -> np.ndarray:
    """Areas of the quads of a (k+1, k+1, 2) manifold by the shoelace formula,
    corners (i, j) -> (i+1, j) -> (i+1, j+1) -> (i, j+1)."""
    a = manifold[:-1, :-1]
    b = manifold[1:, :-1]
    c = manifold[1:, 1:]
    d = manifold[:-1, 1:]
    corners = [a, b, c, d]
    twice = np.zeros(a.shape[:2])
    for p, q in zip(corners, corners[1:] + corners[:1]):
        twice += p[..., 0] * q[..., 1] - p[..., 1] * q[..., 0]
    return 0.5 * np.abs(twice)


def manifold_opacity(manifold: np.ndarray, noise_type: str) -> np.ndarray:
    """GAN Lab's fill opacity for each manifold quad: a quad that G squeezes
    small holds many samples, so it is drawn darker.

    With areas normalised to sum 1 and k cells per side:
    uniform noise:  max(0.9 - area · 0.4 · k², 0.1);
    Gaussian noise: min(0.1 + density / (area · k²) · 0.2, 0.9), density being
    the noise density at the cell's centre in noise space.
    """
    k = manifold.shape[0] - 1
    area = quad_areas(manifold)
    total = area.sum()
    if not np.isfinite(total):
        return np.full(area.shape, 0.1)
    norm = area / total if total > 0 else np.zeros_like(area)
    if noise_type == "gaussian":
        centres = (np.arange(k) + 0.5) / k
        ii, jj = np.meshgrid(centres, centres, indexing="ij")
        density = noise_density(np.stack([ii, jj], axis=-1))
        with np.errstate(divide="ignore", invalid="ignore"):
            opacity = 0.1 + density / (norm * k * k) * 0.2
        return np.minimum(np.nan_to_num(opacity, nan=0.9, posinf=0.9), 0.9)
    return np.maximum(0.9 - norm * 0.4 * k * k, 0.1)
