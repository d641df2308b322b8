"""A trainer's moment as a Frame: everything the views draw, in NumPy.

:func:`snapshot` reads the trainer's networks, experiment and training state
and never changes training. The costliest measures (grid KL/JS, mode metrics)
are kept in the trainer's :class:`Measures`, so live views may chart them less
often than they draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganlab_panel.engine import frames as F
from ganlab_panel.engine.config import ATLAS_SIZE
from ganlab_panel.engine.metrics import GRID_CELLS, MODE_EVAL_SAMPLES, grid_divergences, mode_measures
from ganlab_panel.engine.models import sigmoid
from ganlab_panel.engine.truncation import split, truncate


@dataclass
class Measures:
    """The last grid (KL, JS) and mode metrics measured, or None until measured."""

    divergences: tuple[float, float] | None = None
    #: (modes captured, share of high-quality samples, reverse KL from even), for mixture data
    modes: tuple[int, float, float] | None = None


#: atlas samples the grid KL and JS are measured on (real, and noise through G):
#: GAN Lab's whole atlas, and the first as many of a larger one
DIVERGENCE_SAMPLES = ATLAS_SIZE


def measure_modes(generator, experiment, truncation: float = 0.0) -> tuple[int, float, float] | None:
    """Mode metrics of ``generator`` on the experiment's 2,500 evaluation
    samples, kept by Jacobian-based ``truncation`` when it is on (mixture data
    only): modes captured, the share of high-quality samples, and how unevenly
    they spread over the modes (``metrics.mode_measures``)."""
    if experiment.mixture is None:
        return None
    noise = truncate(generator, experiment.eval_noise, MODE_EVAL_SAMPLES, truncation)
    samples = generator(noise).astype(np.float64)
    return mode_measures(samples, experiment.mixture.centres, experiment.mixture.sigma)


def d_output(logits: np.ndarray, critic: bool) -> np.ndarray:
    """D's output as shown: a probability, or the critic's score."""
    return logits if critic else sigmoid(logits)


def shown_losses(state) -> tuple[float, float]:
    """D's and G's last losses as the views and charts show them (D's as the
    mean of its real and fake parts, as GAN Lab shows it); NaN before any."""
    d, g = state.last_d_loss, state.last_g_loss
    return (float(d) / 2 if d is not None else float("nan"), float(g) if g is not None else float("nan"))


def measure_divergences(trainer) -> tuple[float, float]:
    """The grid KL and JS of the trainer's generator now (the first
    :data:`DIVERGENCE_SAMPLES` of its noise atlas through G against as many of
    the real atlas), kept as its last measured; call under its lock."""
    G = trainer.shown_generator
    fake = G(truncate(G, trainer.state.noise_atlas, DIVERGENCE_SAMPLES, trainer.config.jacobian_truncation))
    trainer.measures.divergences = grid_divergences(trainer.state.real_atlas[:DIVERGENCE_SAMPLES], fake)
    return trainer.measures.divergences


def chart_point(trainer) -> dict:
    """What the charts plot of the trainer now, without a snapshot: its
    iteration, the last losses (:func:`shown_losses`) and the grid JS."""
    with trainer.lock:
        d_loss, g_loss = shown_losses(trainer.state)
        _, js = measure_divergences(trainer)
        return {"iteration": trainer.state.iteration, "d_loss": d_loss, "g_loss": g_loss, "js": js}


def snapshot(trainer, divergences: bool = True) -> F.Frame:
    """Everything the views draw, as NumPy; training state is not touched.

    ``divergences=False`` skips the grid KL/JS (the costliest part: 12,000
    atlas samples through G and two histograms); the Frame then
    carries the last values measured.
    """
    # a diverged run's numbers overflow: the Frame says so (``finite``), without NumPy's warnings
    with trainer.lock, np.errstate(over="ignore", invalid="ignore"):
        G, D, cfg = trainer.shown_generator, trainer.discriminator, trainer.config
        exp, state, measures, critic = trainer.experiment, trainer.state, trainer.measures, trainer.critic
        noise, left_out = split(G, state.noise_atlas, F.NUM_FAKE_VISUALIZED, cfg.jacobian_truncation)
        real = state.real_atlas[: F.real_shown(len(cfg.drawn_points) if cfg.drawn_points is not None else None)]
        fake = G(noise)
        d_real = d_output(D.logits(real), critic)
        d_fake, gradients = D.output_and_gradients(fake, critic)
        d_grid = d_output(D.logits(exp.grid), critic).reshape(GRID_CELLS, GRID_CELLS)
        manifold = opacity = None
        if exp.manifold_noise is not None:
            m = G(exp.manifold_noise).astype(np.float64)
            if cfg.noise_dim == 2:
                side = F.MANIFOLD_CELLS + 1
                manifold = m.reshape(side, side, 2)
                opacity = F.manifold_opacity(manifold, cfg.noise_type)
            else:
                manifold = m
        if divergences or measures.divergences is None:
            measure_divergences(trainer)
            measures.modes = measure_modes(G, exp, cfg.jacobian_truncation)
        kl, js = measures.divergences
        modes = measures.modes
        np_ = lambda a: a.astype(np.float64)  # noqa: E731
        d_loss, g_loss = shown_losses(state)
        return F.Frame(
            iteration=state.iteration,
            real=np_(real), noise=np_(noise), fake=np_(fake),
            d_real=np_(d_real), d_fake=np_(d_fake),
            grid_centres=F.grid_centres(GRID_CELLS), d_grid=np_(d_grid),
            manifold=manifold, manifold_opacity=opacity,
            gradients=np_(gradients),
            d_loss=d_loss, g_loss=g_loss,
            kl=kl, js=js, d_steps=state.d_steps, g_steps=state.g_steps,
            finite=state.is_finite() and bool(np.isfinite(fake).all()),
            info={"distribution": cfg.distribution, "loss": cfg.loss, "noise_type": cfg.noise_type,
                  "jacobian_truncation": cfg.jacobian_truncation},
            d_output="critic" if critic else "probability",
            modes=modes[0] if modes else None,
            modes_total=len(exp.mixture.centres) if exp.mixture is not None else None,
            high_quality=modes[1] if modes else None,
            mode_balance=modes[2] if modes else None,
            left_out=np_(G(left_out)) if cfg.jacobian_truncation else None,
        )
