"""Building an experiment: everything a structural config change rebuilds.

:class:`Experiment` draws the atlases, the initial weights and the random
streams from the config's seed; :func:`make_optimizer` builds an optimizer as
GAN Lab configures it. The Trainer builds an Experiment completely before
using it, so a failure (say, 'drawing' with no points) leaves the experiment it
has untouched.
"""

from __future__ import annotations

import numpy as np

from ganlab_panel.engine import frames as F
from ganlab_panel.engine.config import ExperimentConfig
from ganlab_panel.engine.data import MIXTURES, get_sampler, sample_noise
from ganlab_panel.engine.device import resolve_device
from ganlab_panel.engine.errors import ConfigError
from ganlab_panel.engine.metrics import GRID_CELLS, MODE_EVAL_SAMPLES
from ganlab_panel.engine.models import Discriminator, Generator
from ganlab_panel.engine.optimizers import ADAM_BETAS, SETTINGS, Optimizer
from ganlab_panel.engine.truncation import MAX_TRUNCATION, noise_needed


def make_optimizer(kind: str, params, lr: float, betas: tuple[float, float] = ADAM_BETAS) -> Optimizer:
    """SGD or Adam as GAN Lab configures them (Adam's betas may differ), or RMSprop."""
    if kind not in SETTINGS:
        raise ConfigError(f"unknown optimizer {kind!r}", "optimizer")
    settings = dict(SETTINGS[kind], **({"betas": tuple(betas)} if kind == "adam" else {}))
    return Optimizer(kind, params, lr=lr, **settings)


def _float32(array) -> np.ndarray:
    return np.array(array, dtype=np.float32, order="C")


class Experiment:
    """The networks, atlases and fixed inputs of one experiment, drawn from its seed
    (NumPy float32 throughout, on any device: see ``models.py``).

    The seed is split into seven independent streams (noise atlas, real
    atlas, G's weights, D's weights, sampling, penalties, evaluation noise), so
    that changing one use of randomness leaves the others as they were.
    """

    def __init__(self, cfg: ExperimentConfig):
        self.device = resolve_device(cfg.device)
        noise_ss, data_ss, g_ss, d_ss, sample_ss, penalty_ss, eval_ss = np.random.SeedSequence(cfg.seed).spawn(7)
        self._data_seed, self._eval_seed = data_ss, eval_ss
        noise = sample_noise(np.random.default_rng(noise_ss), cfg.atlas_size, cfg.noise_dim, cfg.noise_type)
        self.real_atlas = self.draw_real(cfg)
        self.generator = Generator(cfg.noise_dim, cfg.g_layers, cfg.g_neurons, np.random.default_rng(g_ss))
        self.discriminator = Discriminator(cfg.d_layers, cfg.d_neurons, np.random.default_rng(d_ss),
                                           spectral_norm=cfg.d_spectral_norm, pack=cfg.d_pack)
        #: the stream :meth:`Trainer.sample` draws fresh noise from (never used by training)
        self.sample_rng = np.random.default_rng(sample_ss)
        #: the stream of WGAN-GP's interpolation weights
        self.penalty_rng = np.random.default_rng(penalty_ss)
        self.measure_data(cfg)
        self.noise_atlas = _float32(noise)
        #: the points D's heatmap is drawn at, and the noise G's manifold is drawn from (noise_dim <= 2)
        self.grid = _float32(F.grid_points(GRID_CELLS))
        self.manifold_noise = _float32(F.manifold_noise(cfg.noise_dim)) if cfg.noise_dim <= 2 else None

    def draw_real(self, cfg: ExperimentConfig) -> np.ndarray:
        """The real atlas of ``cfg``'s data, drawn from the seed's data stream
        (the same data and seed give the same atlas, however often drawn)."""
        sampler = get_sampler(cfg.distribution, cfg.drawn_points)
        return _float32(sampler(np.random.default_rng(self._data_seed), cfg.atlas_size))

    def measure_data(self, cfg: ExperimentConfig) -> None:
        """What the metrics need of ``cfg``'s data: for mixture data, the
        mixture and the fixed noise its mode metrics are measured on."""
        self.mixture = MIXTURES.get(cfg.distribution)
        self.eval_noise = None
        if self.mixture is not None:
            # the protocol's samples, then as many again for Jacobian-based truncation to choose
            # from (drawn after them, so the first are the same with truncation off or on)
            rng = np.random.default_rng(self._eval_seed)
            self.eval_noise = _float32(np.concatenate(
                [sample_noise(rng, n, cfg.noise_dim, cfg.noise_type)
                 for n in (MODE_EVAL_SAMPLES, noise_needed(MODE_EVAL_SAMPLES, MAX_TRUNCATION) - MODE_EVAL_SAMPLES)]))
