"""Trainer: GAN Lab's training loop in PyTorch, knowing nothing of drawing.

A Trainer owns one experiment: the generator and discriminator, an optimizer for
each, the 12,000-sample real and noise atlases cycled in batches, its own seeded
random streams and its counters. ``train(n)`` runs n iterations of k_D
discriminator updates then k_G generator updates; ``step_d()`` / ``step_g()`` run
one update of one network (and, as in GAN Lab, count as an iteration).
``snapshot()`` returns a :class:`~ganlab_panel.frames.Frame` of NumPy arrays
and never changes the training state.

The trainer watches its config: a change to a hot parameter (learning rates,
optimizers, loss, k, batch size) applies in place and keeps the weights; any
other change rebuilds the experiment. A rebuild that fails (say, 'drawing' with
no points) leaves the previous experiment and config as they were.

Every public method holds the trainer's lock, so a training thread and a
config change from a UI never interleave.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import param
import torch

from ganlab_panel.engine import checkpoint
from ganlab_panel.engine import frames as F
from ganlab_panel.engine.backends.numpy_path import FastPath
from ganlab_panel.engine.backends.numpy_path import supported as fastpath_supported
from ganlab_panel.engine.checkpoint import copy_parameters
from ganlab_panel.engine.config import ExperimentConfig
from ganlab_panel.engine.data import MIXTURES, get_sampler, sample_noise
from ganlab_panel.engine.device import configure_threads, resolve_device
from ganlab_panel.engine.errors import ConfigError, DataError, ModelFileError
from ganlab_panel.engine.losses import get_loss, gradient_penalty, r1_penalty
from ganlab_panel.engine.metrics import GRID_CELLS, MODE_EVAL_SAMPLES, grid_divergences, mode_metrics
from ganlab_panel.engine.models import Discriminator, Generator

#: real points and noise vectors drawn once per experiment (GAN Lab's atlas).
ATLAS_SIZE = 12_000

#: Adam's epsilon as TensorFlow.js (GAN Lab's engine) uses it in float32.
ADAM_EPS = 1e-7
ADAM_BETAS = (0.9, 0.999)



def make_optimizer(kind: str, params, lr: float, betas: tuple[float, float] = ADAM_BETAS) -> torch.optim.Optimizer:
    """SGD or Adam as GAN Lab configures them (Adam's betas may differ), or RMSprop."""
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(betas), eps=ADAM_EPS)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.99, eps=ADAM_EPS)
    raise ConfigError(f"unknown optimizer {kind!r}", "optimizer")


class _Experiment:
    """Everything a structural change rebuilds, built completely before use so a
    failure leaves the trainer's current experiment untouched."""

    def __init__(self, cfg: ExperimentConfig):
        self.device = resolve_device(cfg.device)
        noise_ss, data_ss, g_ss, d_ss, sample_ss, penalty_ss, eval_ss = np.random.SeedSequence(cfg.seed).spawn(7)
        sampler = get_sampler(cfg.distribution, cfg.drawn_points)
        noise = sample_noise(np.random.default_rng(noise_ss), ATLAS_SIZE, cfg.noise_dim, cfg.noise_type)
        real = sampler(np.random.default_rng(data_ss), ATLAS_SIZE)
        self.generator = Generator(cfg.noise_dim, cfg.g_layers, cfg.g_neurons,
                                   np.random.default_rng(g_ss)).to(self.device)
        self.discriminator = Discriminator(cfg.d_layers, cfg.d_neurons, np.random.default_rng(d_ss),
                                           spectral_norm=cfg.d_spectral_norm, pack=cfg.d_pack).to(self.device)
        self.sample_rng = np.random.default_rng(sample_ss)
        self.penalty_rng = np.random.default_rng(penalty_ss)
        #: for mixture data: the mixture, and the fixed noise its mode metrics are measured on
        self.mixture = MIXTURES.get(cfg.distribution)
        eval_noise = (sample_noise(np.random.default_rng(eval_ss), MODE_EVAL_SAMPLES, cfg.noise_dim, cfg.noise_type)
                      if self.mixture is not None else None)
        as_tensor = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32, device=self.device)  # noqa: E731
        self.noise_atlas = as_tensor(noise)
        self.real_atlas = as_tensor(real)
        self.grid = as_tensor(F.grid_points(GRID_CELLS))
        self.manifold_noise = as_tensor(F.manifold_noise(cfg.noise_dim)) if cfg.noise_dim <= 2 else None
        self.eval_noise = as_tensor(eval_noise) if eval_noise is not None else None


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
        configure_threads()
        self.config = config
        #: use a fast CPU path where it applies (CPU, GAN Lab's losses and optimizers)
        self.fast = fast
        #: on the fast path, run the compiled kernel for models small enough for it
        self.compiled = compiled
        #: wait for the kernel's compilation (once per process, seconds the first time,
        #: then cached on disk) rather than train on the NumPy path meanwhile. Waiting
        #: keeps a seeded run the same every time; the live app does not wait.
        self.wait_for_compile = True
        self._fast = FastPath(self)
        self._lock = threading.RLock()
        #: held by every public method; hold it to run several as one step.
        self.lock = self._lock
        self._install(_Experiment(config))
        self._watcher = config.param.watch(self._on_config_change, config._field_names())

    # ------------------------------------------------------------------ build
    def _install(self, exp: _Experiment) -> None:
        cfg = self.config
        self.device = exp.device
        self.generator = exp.generator
        self.discriminator = exp.discriminator
        self._g_params = self.generator.ordered_parameters()
        self._g_average: Generator | None = None   # the moving average of G's weights (g_ema > 0)
        self._follow_g_ema()
        self._d_params = self.discriminator.ordered_parameters()
        self.d_optimizer = make_optimizer(cfg.d_optimizer, self._d_params, cfg.d_lr, self._betas)
        self.g_optimizer = make_optimizer(cfg.g_optimizer, self._g_params, cfg.g_lr, self._betas)
        self._noise_atlas = exp.noise_atlas
        self._real_atlas = exp.real_atlas
        self._grid = exp.grid
        self._manifold_noise = exp.manifold_noise
        self._sample_rng = exp.sample_rng
        self._penalty_rng = exp.penalty_rng
        self._mixture = exp.mixture
        self._eval_noise = exp.eval_noise
        self._modes: tuple[int, float] | None = None  # the last mode metrics computed
        self.iteration = 0
        self.d_steps = 0
        self.g_steps = 0
        self._noise_cursor = 0
        self._real_cursor = 0
        self._divergences: tuple[float, float] | None = None  # the last grid KL, JS computed
        # the last losses: a tensor (torch path, read lazily) or a float (NumPy path)
        self._last_d_loss: torch.Tensor | float | None = None
        self._last_g_loss: torch.Tensor | float | None = None

    def reset(self) -> None:
        """Start the experiment over: fresh weights and counters from the seed."""
        with self._lock:
            self._install(_Experiment(self.config))

    def _on_config_change(self, *events) -> None:
        names = {e.name for e in events}
        with self._lock:
            if any(self.config.is_structural(n) for n in names):
                try:
                    self._install(_Experiment(self.config))
                except Exception:
                    with param.parameterized.discard_events(self.config):
                        self.config.param.update({e.name: e.old for e in events})
                    raise
                return
            for name in names:
                self._apply_hot(name)

    def _apply_hot(self, name: str) -> None:
        cfg = self.config
        if name in ("d_lr", "g_lr", "lr_half_life", "lr_decay_start"):
            self.schedule_learning_rates()
        elif name == "d_optimizer":
            self.d_optimizer = make_optimizer(cfg.d_optimizer, self._d_params, cfg.d_lr, self._betas)
            self.schedule_learning_rates()
        elif name == "g_optimizer":
            self.g_optimizer = make_optimizer(cfg.g_optimizer, self._g_params, cfg.g_lr, self._betas)
            self.schedule_learning_rates()
        elif name == "g_ema":
            self._follow_g_ema()
        elif name in ("adam_beta1", "adam_beta2"):
            for opt in (self.d_optimizer, self.g_optimizer):
                if isinstance(opt, torch.optim.Adam):
                    for group in opt.param_groups:
                        group["betas"] = self._betas
        # the loss, its penalties' weights, k_d, k_g and batch_size are read at every update.

    def _follow_g_ema(self) -> None:
        """Keep a moving average of G's weights while ``g_ema`` is on (it starts as G's own)."""
        if self.config.g_ema <= 0:
            self._g_average = None
        elif self._g_average is None:
            G = self.generator
            self._g_average = Generator(G.in_dim, G.hidden_layers, G.neurons).to(self.device)
            with torch.no_grad():
                for avg, p in zip(self._g_average.ordered_parameters(), self._g_params):
                    avg.copy_(p)
            self._g_average.requires_grad_(False)

    def update_g_average(self) -> None:
        """One step of the moving average: avg = β·avg + (1 − β)·G (after a G update)."""
        if self._g_average is None:
            return
        beta = float(self.config.g_ema)
        with torch.no_grad():
            for avg, p in zip(self._g_average.ordered_parameters(), self._g_params):
                avg.mul_(beta).add_(p.detach(), alpha=1.0 - beta)

    @property
    def shown_generator(self) -> Generator:
        """The generator that is drawn, sampled and measured: the moving average
        of G's weights when ``g_ema`` is on, else G itself."""
        return self._g_average if self._g_average is not None else self.generator

    def learning_rates(self) -> tuple[float, float]:
        """(D, G) learning rates in force at the current iteration."""
        cfg = self.config
        decayed = max(0, self.iteration - cfg.lr_decay_start)
        factor = 0.5 ** (decayed / cfg.lr_half_life) if cfg.lr_half_life else 1.0
        return cfg.d_lr * factor, cfg.g_lr * factor

    def schedule_learning_rates(self) -> None:
        """Set the optimizers' rates for the current iteration (run before
        each iteration while a half-life is set)."""
        for opt, lr in zip((self.d_optimizer, self.g_optimizer), self.learning_rates()):
            for group in opt.param_groups:
                group["lr"] = lr

    @property
    def _betas(self) -> tuple[float, float]:
        return (float(self.config.adam_beta1), float(self.config.adam_beta2))

    @property
    def critic(self) -> bool:
        """Whether D is a critic for the current loss (raw scores, no sigmoid)."""
        return get_loss(self.config.loss).critic

    def _d_output(self, logits: torch.Tensor) -> torch.Tensor:
        """D's output as shown: a probability, or the critic's score."""
        return logits if self.critic else torch.sigmoid(logits)

    def close(self) -> None:
        """Stop following the config (the trainer can then be garbage-collected)."""
        if self._watcher is not None:
            self.config.param.unwatch(self._watcher)
            self._watcher = None

    # --------------------------------------------------------------- training
    def _next(self, atlas: torch.Tensor, cursor: int) -> torch.Tensor:
        size = self.config.batch_size
        start = (cursor * size) % ATLAS_SIZE
        if start + size <= ATLAS_SIZE:
            return atlas[start:start + size]
        index = torch.arange(start, start + size, device=atlas.device) % ATLAS_SIZE
        return atlas[index]

    @property
    def path(self) -> str:
        """Which implementation trains next: ``"compiled"`` (GAN Lab's loop as
        one Numba kernel, on a CPU, for small models), ``"numpy"`` (the fast
        path in NumPy) or ``"torch"`` (PyTorch, and anything the others lack)."""
        if not (self.fast and fastpath_supported(self)):
            return "torch"
        return "compiled" if self._fast.compiled else "numpy"

    def _d_update(self) -> None:
        noise = self._next(self._noise_atlas, self._noise_cursor)
        real = self._next(self._real_atlas, self._real_cursor)
        self._noise_cursor += 1
        self._real_cursor += 1
        with torch.no_grad():
            fake = self.generator(noise)
        D, cfg = self.discriminator, self.config
        if D.spectral_norm:
            D.power_iteration()
        real, fake = D.pack(real), D.pack(fake)   # (PacGAN) packs of samples; unchanged without packing
        loss = get_loss(cfg.loss).d_loss(D.packed_logits(real), D.packed_logits(fake))
        if cfg.loss == "wgan_gp" and cfg.gp_weight > 0:
            mix = torch.as_tensor(self._penalty_rng.random(len(real)), dtype=real.dtype, device=real.device)
            loss = loss + cfg.gp_weight * gradient_penalty(D.packed_logits, real, fake, mix)
        if cfg.r1_gamma > 0:
            loss = loss + cfg.r1_gamma / 2 * r1_penalty(D.packed_logits, real)
        grads = torch.autograd.grad(loss, self._d_params)
        for p, g in zip(self._d_params, grads):
            p.grad = g
        self.d_optimizer.step()
        self._last_d_loss = loss.detach()
        self.d_steps += 1

    def _g_update(self) -> None:
        noise = self._next(self._noise_atlas, self._noise_cursor)
        self._noise_cursor += 1
        D = self.discriminator
        fake_logits = D.packed_logits(D.pack(self.generator(noise)))
        loss = get_loss(self.config.loss).g_loss(fake_logits)
        grads = torch.autograd.grad(loss, self._g_params)
        for p, g in zip(self._g_params, grads):
            p.grad = g
        self.g_optimizer.step()
        self.update_g_average()
        self._last_g_loss = loss.detach()
        self.g_steps += 1

    def train(self, iterations: int = 1) -> None:
        """Run ``iterations`` iterations of k_D D updates then k_G G updates."""
        if iterations < 0:
            raise ValueError(f"iterations must be >= 0, not {iterations}")
        with self._lock:
            if self.path != "torch":
                self._fast.run(int(iterations))
                return
            for _ in range(int(iterations)):
                if self.config.lr_half_life:
                    self.schedule_learning_rates()
                for _ in range(self.config.k_d):
                    self._d_update()
                for _ in range(self.config.k_g):
                    self._g_update()
                self.iteration += 1

    def _updates(self, d: int, g: int, count_iteration: bool) -> None:
        if self.path != "torch":
            self._fast.run(1, d, g, count_iterations=count_iteration)
            return
        if self.config.lr_half_life:
            self.schedule_learning_rates()
        for _ in range(d):
            self._d_update()
        for _ in range(g):
            self._g_update()
        if count_iteration:
            self.iteration += 1

    def train_discriminator(self) -> None:
        """The first half of an iteration: k_D discriminator updates (the
        iteration is counted when :meth:`train_generator` completes it)."""
        with self._lock:
            self._updates(self.config.k_d, 0, count_iteration=False)

    def train_generator(self) -> None:
        """The second half of an iteration: k_G generator updates, then the
        iteration is counted."""
        with self._lock:
            self._updates(0, self.config.k_g, count_iteration=True)

    def step_d(self) -> None:
        """One discriminator update (counted as an iteration, as in GAN Lab)."""
        with self._lock:
            self._updates(1, 0, count_iteration=True)

    def step_g(self) -> None:
        """One generator update (counted as an iteration, as in GAN Lab)."""
        with self._lock:
            self._updates(0, 1, count_iteration=True)

    @property
    def diverged(self) -> bool:
        """True once a loss or a weight is NaN or infinite."""
        with self._lock:
            return not self._is_finite()

    def _is_finite(self) -> bool:
        for loss in (self._last_d_loss, self._last_g_loss):
            if loss is not None and not np.isfinite(float(loss)):
                return False
        return all(bool(torch.isfinite(p).all()) for p in self._d_params + self._g_params)

    # ------------------------------------------------------------ inspection
    def _to_tensor(self, array, columns: int, what: str) -> torch.Tensor:
        arr = np.asarray(array, dtype=np.float64)
        if arr.ndim == 1 and columns == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[1] != columns:
            raise DataError(f"{what} must have shape (n, {columns}), got {arr.shape}")
        if not np.isfinite(arr).all():
            raise DataError(f"{what} contains NaN or infinite values")
        return torch.tensor(arr, dtype=torch.float32, device=self.device)

    def generate(self, noise) -> np.ndarray:
        """G applied to given noise: (n, noise_dim) -> (n, 2)."""
        with self._lock, torch.no_grad():
            z = self._to_tensor(noise, self.config.noise_dim, "noise")
            return self.shown_generator(z).double().cpu().numpy()

    def discriminate(self, points) -> np.ndarray:
        """D's output for (n, 2) points -> (n,): the probability of "real" in
        [0, 1], or the critic's score for a critic loss (see :attr:`critic`)."""
        with self._lock, torch.no_grad():
            x = self._to_tensor(points, 2, "points")
            return self._d_output(self.discriminator.logits(x)).double().cpu().numpy()

    def mode_metrics(self) -> tuple[int, float] | None:
        """For mixture data (ring8, grid25): (modes captured, share of
        high-quality samples) over the experiment's fixed 2,500 evaluation
        samples, by the published protocol; ``None`` for other data."""
        with self._lock, torch.no_grad():
            if self._mixture is None:
                return None
            samples = self.shown_generator(self._eval_noise).double().cpu().numpy()
            return mode_metrics(samples, self._mixture.centres, self._mixture.sigma)

    def sample(self, n: int) -> np.ndarray:
        """(n, 2) generated points from fresh noise (a stream of its own, so
        sampling never changes training)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        with self._lock:
            z = sample_noise(self._sample_rng, int(n), self.config.noise_dim, self.config.noise_type)
        return self.generate(z)

    def snapshot(self, divergences: bool = True) -> F.Frame:
        """Everything the views draw, as NumPy; training state is not touched.

        ``divergences=False`` skips the grid KL/JS (the costliest part: all
        12,000 atlas samples through G and two histograms); the Frame then
        carries the last values computed, for live views that chart them less
        often than they draw.
        """
        with self._lock, torch.no_grad():
            G, D, cfg = self.shown_generator, self.discriminator, self.config
            noise = self._noise_atlas[: F.NUM_FAKE_VISUALIZED]
            real = self._real_atlas[: F.NUM_REAL_VISUALIZED]
            out = lambda x: self._d_output(D.logits(x))  # noqa: E731
            fake = G(noise)
            d_real = out(real)
            d_fake = out(fake)
            d_grid = out(self._grid).reshape(GRID_CELLS, GRID_CELLS)
            with torch.enable_grad():
                x = fake.detach().requires_grad_(True)
                (gradients,) = torch.autograd.grad(out(x).sum(), x)
            manifold = opacity = None
            if self._manifold_noise is not None:
                m = G(self._manifold_noise).double().cpu().numpy()
                if cfg.noise_dim == 2:
                    side = F.MANIFOLD_CELLS + 1
                    manifold = m.reshape(side, side, 2)
                    opacity = F.manifold_opacity(manifold, cfg.noise_type)
                else:
                    manifold = m
            if divergences or self._divergences is None:
                self._divergences = grid_divergences(self._real_atlas.cpu().numpy(), G(self._noise_atlas).cpu().numpy())
                self._modes = self.mode_metrics()
            kl, js = self._divergences
            modes = self._modes
            np_ = lambda t: t.double().cpu().numpy()  # noqa: E731
            return F.Frame(
                iteration=self.iteration,
                real=np_(real), noise=np_(noise), fake=np_(fake),
                d_real=np_(d_real), d_fake=np_(d_fake),
                grid_centres=F.grid_centres(GRID_CELLS), d_grid=np_(d_grid),
                manifold=manifold, manifold_opacity=opacity,
                gradients=np_(gradients),
                d_loss=float(self._last_d_loss) / 2 if self._last_d_loss is not None else float("nan"),
                g_loss=float(self._last_g_loss) if self._last_g_loss is not None else float("nan"),
                kl=kl, js=js, d_steps=self.d_steps, g_steps=self.g_steps,
                finite=self._is_finite() and bool(torch.isfinite(fake).all()),
                info={"distribution": cfg.distribution, "loss": cfg.loss, "noise_type": cfg.noise_type},
                d_output="critic" if self.critic else "probability",
                modes=modes[0] if modes else None,
                modes_total=len(self._mixture.centres) if self._mixture is not None else None,
                high_quality=modes[1] if modes else None,
            )

    @property
    def real_atlas(self) -> np.ndarray:
        """The 12,000 real points training draws from (a copy)."""
        with self._lock:
            return self._real_atlas.double().cpu().numpy()

    # ----------------------------------------------------------- persistence
    def training_state(self) -> dict[str, Any]:
        """What training changes: weights, optimizer states, counters, last
        losses and random streams (not the config or the atlases, which stay
        fixed for an experiment). :meth:`load_training_state` continues from it
        bit-identically; the history keeps one per recorded moment."""
        cpu = _cpu_copy
        with self._lock:
            return {
                "generator": [cpu(p) for p in self._g_params],
                "discriminator": [cpu(p) for p in self._d_params],
                "d_optimizer": _optimizer_state_cpu(self.d_optimizer),
                "g_optimizer": _optimizer_state_cpu(self.g_optimizer),
                "counters": [self.iteration, self.d_steps, self.g_steps, self._noise_cursor, self._real_cursor],
                # floats, not float32 tensors: a restored Frame shows the very same losses
                "last_losses": [float(t) if t is not None else None for t in (self._last_d_loss, self._last_g_loss)],
                "sample_rng": json.dumps(self._sample_rng.bit_generator.state),
                "penalty_rng": json.dumps(self._penalty_rng.bit_generator.state),
                "d_sn": [cpu(u) for u in self.discriminator.sn_vectors()],
                "g_average": ([cpu(p) for p in self._g_average.ordered_parameters()]
                              if self._g_average is not None else None),
            }

    def state_dict(self) -> dict[str, Any]:
        """The whole training state: config, weights, optimizers, atlases,
        counters and random streams. Loading it continues bit-identically."""
        cpu = _cpu_copy
        with self._lock:
            return {
                "format": checkpoint.CHECKPOINT_FORMAT,
                "version": checkpoint.CHECKPOINT_VERSION,
                "config": self.config.to_json(),
                "noise_atlas": cpu(self._noise_atlas),
                "real_atlas": cpu(self._real_atlas),
                **self.training_state(),
            }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output; the config must already match it."""
        with self._lock:
            try:
                for atlas, key in ((self._noise_atlas, "noise_atlas"), (self._real_atlas, "real_atlas")):
                    src = state[key]
                    if tuple(src.shape) != tuple(atlas.shape):
                        raise ModelFileError(f"{key} has shape {tuple(src.shape)}, expected {tuple(atlas.shape)}")
                    atlas.copy_(src.to(atlas.device))
            except ModelFileError:
                raise
            except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
                raise ModelFileError(f"the checkpoint is incomplete or inconsistent: {exc}") from None
            self.load_training_state(state)

    def load_training_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`training_state`'s output (or a whole checkpoint's)."""
        with self._lock:
            try:
                copy_parameters(self._g_params, state["generator"], "generator")
                copy_parameters(self._d_params, state["discriminator"], "discriminator")
                self.d_optimizer.load_state_dict(state["d_optimizer"])
                self.g_optimizer.load_state_dict(state["g_optimizer"])
                (self.iteration, self.d_steps, self.g_steps,
                 self._noise_cursor, self._real_cursor) = (int(c) for c in state["counters"])
                d_loss, g_loss = state["last_losses"]
                self._last_d_loss = float(d_loss) if d_loss is not None else None
                self._last_g_loss = float(g_loss) if g_loss is not None else None
                self._sample_rng.bit_generator.state = json.loads(state["sample_rng"])
                if "penalty_rng" in state:
                    self._penalty_rng.bit_generator.state = json.loads(state["penalty_rng"])
                sn = self.discriminator.sn_vectors()
                saved_sn = state.get("d_sn") or []
                if saved_sn:
                    copy_parameters(sn, saved_sn, "discriminator's spectral norm vectors")
                average = state.get("g_average")
                if self._g_average is not None:
                    copy_parameters(self._g_average.ordered_parameters(),
                                 average if average is not None else state["generator"], "generator's average")
                self._divergences = None  # measured afresh for the restored model
                self._modes = None
                # torch's load_state_dict gives the optimizers new state tensors:
                # the fast paths must bind to those, not to the ones they had
                self._fast.unbind()
            except ModelFileError:
                raise
            except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
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


def _cpu_copy(t: torch.Tensor) -> torch.Tensor:
    return t.detach().cpu().clone()


def _optimizer_state_cpu(opt: torch.optim.Optimizer) -> dict:
    state = opt.state_dict()
    return {
        "state": {k: {n: (_cpu_copy(v) if torch.is_tensor(v) else v) for n, v in s.items()}
                  for k, s in state["state"].items()},
        "param_groups": state["param_groups"],
    }
