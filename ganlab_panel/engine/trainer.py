"""Trainer: GAN Lab's training loop, knowing nothing of drawing.

A Trainer owns one experiment: the generator and discriminator, an optimizer for
each, the real and noise atlases cycled in batches (12,000 samples each, as in
GAN Lab, unless ``atlas_size`` says otherwise), its own seeded random streams
and its counters. ``train(n)`` runs n iterations of k_D discriminator updates
then k_G generator updates; ``step_d()`` / ``step_g()`` run one update of one
network (and, as in GAN Lab, count as an iteration).
``snapshot()`` returns a :class:`~ganlab_panel.frames.Frame` of NumPy arrays
and never changes the training state (``engine/snapshot.py``).

What training changes is one :class:`~ganlab_panel.engine.state.TrainingState`
(``trainer.state``); the path that trains it (``backends``) is chosen from the
backends' support table.

The trainer watches its config: a change to a hot parameter (learning rates,
optimizers, loss, k, batch size) applies in place and keeps the weights; any
other change rebuilds the experiment. A rebuild that fails (say, 'drawing' with
no points) leaves the previous experiment and config as they were.

Every public method holds the trainer's lock, so a training thread and a
config change from a UI never interleave.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import param

from ganlab_panel.engine import checkpoint
from ganlab_panel.engine import state as S
from ganlab_panel.engine.backends import Paths
from ganlab_panel.engine.backends.formulas import learning_rates
from ganlab_panel.engine.backends.numpy_path import update_average
from ganlab_panel.engine.config import ATLAS_SIZE, ExperimentConfig  # noqa: F401  (ATLAS_SIZE: API)
from ganlab_panel.engine.data import DRAWING, sample_noise, validate_points
from ganlab_panel.engine.device import one_blas_thread
from ganlab_panel.engine.errors import DataError, ModelFileError
from ganlab_panel.engine.experiment import Experiment, make_optimizer
from ganlab_panel.engine.frames import Frame
from ganlab_panel.engine.losses import get_loss
from ganlab_panel.engine.models import Discriminator, Generator
from ganlab_panel.engine.snapshot import Measures, d_output, measure_modes
from ganlab_panel.engine.snapshot import snapshot as take_snapshot
from ganlab_panel.engine.truncation import noise_needed, truncate

#: errors that mean a saved state does not fit this trainer
_UNFIT = (KeyError, TypeError, ValueError, RuntimeError, AttributeError)


class Trainer:
    """Trains one GAN Lab experiment; see the module docstring.

    ``Trainer()`` uses GAN Lab's defaults; ``Trainer(config)`` follows that
    config (and its later changes); ``Trainer(distribution="ring", seed=3)``
    builds a config from keyword settings.
    """

    def __init__(self, config: ExperimentConfig | None = None, *, fast: bool = True, compiled: bool = True,
                 **settings):
        if config is None:
            config = ExperimentConfig(**settings)
        elif settings:
            config = config.copy(**settings)
        if not isinstance(config, ExperimentConfig):
            raise TypeError(f"config must be an ExperimentConfig, not {type(config).__name__}")
        one_blas_thread()
        self.config = config
        #: use a fast CPU path where the support table allows one
        self.fast = fast
        #: on the fast paths, run the compiled kernel where the table allows it
        self.compiled = compiled
        #: wait for the kernel's compilation (once per process, seconds the first time,
        #: then cached on disk) rather than train on the NumPy path meanwhile. Waiting
        #: keeps a seeded run the same every time; the live app does not wait.
        self.wait_for_compile = True
        self._paths = Paths()
        #: held by every public method; hold it to run several as one step.
        self.lock = threading.RLock()
        self._install(Experiment(config))
        self._watcher = config.param.watch(self._on_config_change, config.field_names())

    # ------------------------------------------------------------------ build
    def _install(self, exp: Experiment) -> None:
        cfg, betas = self.config, self._betas
        #: the experiment's fixed parts: atlases, grid, manifold and evaluation noise, streams
        self.experiment = exp
        self.device = exp.device
        G, D = exp.generator, exp.discriminator
        #: what training reads and writes; every path works on it
        self.state = S.TrainingState(
            G, D, make_optimizer(cfg.d_optimizer, D.ordered_parameters(), cfg.d_lr, betas),
            make_optimizer(cfg.g_optimizer, G.ordered_parameters(), cfg.g_lr, betas),
            exp.noise_atlas, exp.real_atlas, exp.penalty_rng, device=exp.device)
        self.state.follow_g_ema(cfg.g_ema)
        #: the last grid KL/JS and mode metrics measured (see snapshot.py)
        self.measures = Measures()
        self._paths.forget()

    def reset(self) -> None:
        """Start the experiment over: fresh weights and counters from the seed."""
        with self.lock:
            self._install(Experiment(self.config))

    def replace_data(self, distribution: str = DRAWING, points=None) -> None:
        """Train on other data from here on, as a hot change: the weights,
        optimizers, counters and random streams stay; the real atlas is drawn
        afresh from the new data (``distribution``, with ``points`` for a
        drawing), as a new experiment with this seed would draw it. The
        config's ``distribution`` and ``drawn_points`` follow, without a
        rebuild (the config's watchers are not told). Bad data raises
        DataError or ConfigError and changes nothing."""
        pts = validate_points(points) if points is not None else None
        with self.lock:
            wanted = self.config.copy(distribution=distribution, drawn_points=pts)
            real = self.experiment.draw_real(wanted)
            self.experiment.real_atlas = self.state.real_atlas = real
            self.experiment.measure_data(wanted)
            self.state.replaced()
            self.measures = Measures()
            self._paths.forget()
            with param.parameterized.discard_events(self.config):
                self.config.param.update(distribution=distribution, drawn_points=pts)

    def _on_config_change(self, *events) -> None:
        names = {e.name for e in events}
        with self.lock:
            self._paths.forget()
            if any(self.config.is_structural(n) for n in names):
                try:
                    self._install(Experiment(self.config))
                except Exception:
                    with param.parameterized.discard_events(self.config):
                        self.config.param.update({e.name: e.old for e in events})
                    raise
                return
            for name in names:
                self._apply_hot(name)

    def _apply_hot(self, name: str) -> None:
        cfg, state = self.config, self.state
        if name in ("d_lr", "g_lr", "lr_half_life", "lr_decay_start"):
            self.schedule_learning_rates()
        elif name == "d_optimizer":
            state.d_optimizer = make_optimizer(cfg.d_optimizer, state.d_params, cfg.d_lr, self._betas)
            state.replaced()
            self.schedule_learning_rates()
        elif name == "g_optimizer":
            state.g_optimizer = make_optimizer(cfg.g_optimizer, state.g_params, cfg.g_lr, self._betas)
            state.replaced()
            self.schedule_learning_rates()
        elif name == "g_ema":
            state.follow_g_ema(cfg.g_ema)
        elif name in ("adam_beta1", "adam_beta2"):
            for opt in (state.d_optimizer, state.g_optimizer):
                if opt.adam:
                    for group in opt.param_groups:
                        group["betas"] = self._betas
        # the loss, its penalties' weights, k_d, k_g and batch_size are read at every update.

    @property
    def _betas(self) -> tuple[float, float]:
        return (float(self.config.adam_beta1), float(self.config.adam_beta2))

    # the training state's parts, as the Trainer has always shown them
    generator: Generator = property(lambda self: self.state.generator)
    discriminator: Discriminator = property(lambda self: self.state.discriminator)
    d_optimizer = property(lambda self: self.state.d_optimizer)
    g_optimizer = property(lambda self: self.state.g_optimizer)
    iteration: int = property(lambda self: self.state.iteration,
                              lambda self, n: setattr(self.state, "iteration", int(n)))
    d_steps: int = property(lambda self: self.state.d_steps)
    g_steps: int = property(lambda self: self.state.g_steps)

    @property
    def shown_generator(self) -> Generator:
        """The generator that is drawn, sampled and measured: the moving average
        of G's weights when ``g_ema`` is on, else G itself."""
        return self.state.g_average if self.state.g_average is not None else self.state.generator

    def update_g_average(self) -> None:
        """One step of the moving average: avg = β·avg + (1 − β)·G (after a G update)."""
        with self.lock:
            if self.state.g_average is not None:
                update_average(self.state.g_average.ordered_parameters(), self.state.g_params,
                               np.float32(self.config.g_ema))

    def learning_rates(self) -> tuple[float, float]:
        """(D, G) learning rates in force at the current iteration."""
        return learning_rates(self.config, self.state.iteration)

    def schedule_learning_rates(self) -> None:
        """Set the optimizers' rates for the current iteration (run before
        each iteration while a half-life is set)."""
        d_lr, g_lr = self.learning_rates()
        self.state.d_optimizer.group["lr"], self.state.g_optimizer.group["lr"] = d_lr, g_lr

    @property
    def critic(self) -> bool:
        """Whether D is a critic for the current loss (raw scores, no sigmoid)."""
        return get_loss(self.config.loss).critic

    def close(self) -> None:
        """Stop following the config (the trainer can then be garbage-collected)."""
        if self._watcher is not None:
            self.config.param.unwatch(self._watcher)
            self._watcher = None

    # --------------------------------------------------------------- training
    @property
    def path(self) -> str:
        """Which implementation trains next: ``"compiled"`` (GAN Lab's loop as
        one Numba kernel, on a CPU, for small models), ``"numpy"`` (the fast
        path in NumPy) or ``"torch"`` (PyTorch, and anything the others lack),
        the first that the backends' support table allows for the config."""
        return self._paths.choose(self.config, self.fast, self.compiled, self.wait_for_compile)

    def _updates(self, iterations: int, d: int, g: int, count_iteration: bool = True) -> None:
        self._paths.run(self.path, self.state, self.config, iterations, d, g, count_iteration)

    def train(self, iterations: int = 1) -> None:
        """Run ``iterations`` iterations of k_D D updates then k_G G updates."""
        if iterations < 0:
            raise ValueError(f"iterations must be >= 0, not {iterations}")
        with self.lock:
            self._updates(int(iterations), self.config.k_d, self.config.k_g)

    def train_discriminator(self) -> None:
        """The first half of an iteration: k_D discriminator updates (the
        iteration is counted when :meth:`train_generator` completes it)."""
        with self.lock:
            self._updates(1, self.config.k_d, 0, count_iteration=False)

    def train_generator(self) -> None:
        """The second half of an iteration: k_G generator updates, then the
        iteration is counted."""
        with self.lock:
            self._updates(1, 0, self.config.k_g)

    def step_d(self) -> None:
        """One discriminator update (counted as an iteration, as in GAN Lab)."""
        with self.lock:
            self._updates(1, 1, 0)

    def step_g(self) -> None:
        """One generator update (counted as an iteration, as in GAN Lab)."""
        with self.lock:
            self._updates(1, 0, 1)

    @property
    def diverged(self) -> bool:
        """True once a loss or a weight is NaN or infinite."""
        with self.lock:
            return not self.state.is_finite()

    # ------------------------------------------------------------ inspection
    def _to_inputs(self, array, columns: int, what: str) -> np.ndarray:
        arr = np.asarray(array, dtype=np.float64)
        if arr.ndim == 1 and columns == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[1] != columns:
            raise DataError(f"{what} must have shape (n, {columns}), got {arr.shape}")
        if not np.isfinite(arr).all():
            raise DataError(f"{what} contains NaN or infinite values")
        return arr.astype(np.float32)

    def generate(self, noise) -> np.ndarray:
        """G applied to given noise: (n, noise_dim) -> (n, 2)."""
        z = self._to_inputs(noise, self.config.noise_dim, "noise")
        with self.lock, np.errstate(over="ignore", invalid="ignore"):
            return self.shown_generator(z).astype(np.float64)

    def discriminate(self, points) -> np.ndarray:
        """D's output for (n, 2) points -> (n,): the probability of "real" in
        [0, 1], or the critic's score for a critic loss (see :attr:`critic`)."""
        x = self._to_inputs(points, 2, "points")
        with self.lock, np.errstate(over="ignore", invalid="ignore"):
            return d_output(self.discriminator.logits(x), self.critic).astype(np.float64)

    def mode_metrics(self) -> tuple[int, float] | None:
        """For mixture data (ring8, grid25): (modes captured, share of
        high-quality samples) over the experiment's fixed 2,500 evaluation
        samples (those Jacobian-based truncation keeps, when it is on), by the
        published protocol; ``None`` for other data."""
        with self.lock:
            measured = measure_modes(self.shown_generator, self.experiment, self.config.jacobian_truncation)
        return measured[:2] if measured is not None else None

    def mode_balance(self) -> float | None:
        """For mixture data: how unevenly the high-quality samples spread over
        the modes, PacGAN's reverse KL from the even spread in nats (0: every
        mode as often; log K: one mode), on the same samples as
        :meth:`mode_metrics`; ``None`` for other data."""
        with self.lock:
            measured = measure_modes(self.shown_generator, self.experiment, self.config.jacobian_truncation)
        return measured[2] if measured is not None else None

    def sample(self, n: int) -> np.ndarray:
        """(n, 2) generated points from fresh noise (a stream of its own, so
        sampling never changes training), kept by Jacobian-based truncation
        when ``jacobian_truncation`` is on."""
        if n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        with self.lock:
            z = sample_noise(self.experiment.sample_rng, noise_needed(int(n), self.config.jacobian_truncation),
                             self.config.noise_dim, self.config.noise_type)
            z = self.kept_noise(z, int(n))
        return self.generate(z)

    def kept_noise(self, noise, n: int) -> np.ndarray:
        """The ``n`` noise vectors of the front of ``noise`` that Jacobian-based
        truncation keeps (``engine.truncation``): all the first ``n`` when
        ``jacobian_truncation`` is off. Only the rows it chooses from are read."""
        share = self.config.jacobian_truncation
        z = self._to_inputs(np.asarray(noise)[:noise_needed(int(n), share)], self.config.noise_dim, "noise")
        with self.lock:
            return truncate(self.shown_generator, z, int(n), share)

    def stretch(self, noise) -> np.ndarray:
        """How much the shown G stretches the noise around each of ``noise``'s
        (n, noise_dim) vectors: the norm of its Jacobian, (n,). Large where G
        carries noise across a gap (see ``jacobian_truncation``)."""
        z = self._to_inputs(noise, self.config.noise_dim, "noise")
        with self.lock, np.errstate(over="ignore", invalid="ignore"):
            return self.shown_generator.stretch(z)

    def snapshot(self, divergences: bool = True) -> Frame:
        """Everything the views draw, as NumPy (see :func:`ganlab_panel.engine.snapshot.snapshot`)."""
        return take_snapshot(self, divergences)

    @property
    def real_atlas(self) -> np.ndarray:
        """The real points training draws from (a copy): the real atlas."""
        with self.lock:
            return self.state.real_atlas.astype(np.float64)

    # ----------------------------------------------------------- persistence
    def training_state(self) -> dict[str, Any]:
        """What training changes: weights, optimizer states, counters, last
        losses and random streams (not the config or the atlases, which stay
        fixed for an experiment). :meth:`load_training_state` continues from it
        bit-identically; the history keeps one per recorded moment."""
        with self.lock:
            return S.capture(self.state, self.experiment.sample_rng)

    def state_dict(self) -> dict[str, Any]:
        """The whole training state: config, weights, optimizers, atlases,
        counters and random streams. Loading it continues bit-identically."""
        with self.lock:
            return {
                "format": checkpoint.CHECKPOINT_FORMAT,
                "version": checkpoint.CHECKPOINT_VERSION,
                "config": self.config.to_json(),
                "noise_atlas": self.state.noise_atlas.copy(),
                "real_atlas": self.state.real_atlas.copy(),
                **self.training_state(),
            }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output; the config must already match it."""
        with self.lock:
            try:
                for key in ("noise_atlas", "real_atlas"):
                    atlas, src = getattr(self.state, key), state[key]
                    if tuple(src.shape) != tuple(atlas.shape):
                        raise ModelFileError(f"{key} has shape {tuple(src.shape)}, expected {tuple(atlas.shape)}")
                    atlas[...] = src
            except ModelFileError:
                raise
            except _UNFIT as exc:
                raise ModelFileError(f"the checkpoint is incomplete or inconsistent: {exc}") from None
            self.load_training_state(state)

    def load_training_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`training_state`'s output (or a whole checkpoint's)."""
        with self.lock:
            try:
                S.restore(self.state, self.experiment.sample_rng, state)
                self.measures = Measures()  # measured afresh for the restored model
            except ModelFileError:
                raise
            except _UNFIT as exc:
                raise ModelFileError(f"the checkpoint is incomplete or inconsistent: {exc}") from None

    def save(self, path) -> Path:
        """Write a checkpoint (see :meth:`state_dict`) to ``path``."""
        return checkpoint.save_checkpoint(self, path)

    @classmethod
    def load(cls, source, device: str | None = None) -> "Trainer":
        """A trainer restored from :meth:`save`'s file (a path, or the file's
        bytes), ready to continue."""
        return checkpoint.load_checkpoint(cls, source, device=device)

    def __repr__(self) -> str:
        c = self.config
        return (f"<Trainer {c.distribution} iteration={self.iteration} loss={c.loss} "
                f"G {c.g_layers}x{c.g_neurons} D {c.d_layers}x{c.d_neurons} on {self.device} ({self.path})>")
