"""The state training changes, as one object the training paths work on.

A :class:`TrainingState` holds what an update reads and writes: the networks
and their parameter lists, the optimizers, the atlases and the batch cursors
into them, the counters, the last losses and the moving average of G. The
Trainer owns one per experiment and hands it to whichever path trains; the
paths touch nothing else of the Trainer.

:func:`capture` and :func:`restore` turn it into the plain dict the history and
checkpoints keep (weights, optimizer states, counters, losses, random streams)
and back, bit for bit. Everything is NumPy: the PyTorch path works on these
arrays through tensors that share them (``backends/torch_path.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ganlab_panel.engine.checkpoint import copy_parameters
from ganlab_panel.engine.models import Discriminator, Generator
from ganlab_panel.engine.optimizers import Optimizer


@dataclass(eq=False)
class TrainingState:
    """What training reads and writes (see the module docstring).

    ``version`` goes up whenever an array the paths may hold is replaced (an
    optimizer, its state, the moving average, the real atlas) or changed from
    outside training (a restored state), so a path that keeps them, or copies
    of them on a GPU, knows to take them afresh.
    """

    generator: Generator
    discriminator: Discriminator
    d_optimizer: Optimizer
    g_optimizer: Optimizer
    noise_atlas: np.ndarray
    real_atlas: np.ndarray
    #: the stream of WGAN-GP's interpolation weights
    penalty_rng: np.random.Generator
    #: where the PyTorch path trains ("cpu" or "cuda"); the arrays stay in NumPy
    device: str = "cpu"
    #: the moving average of G's weights while ``g_ema`` > 0, else None
    g_average: Generator | None = None
    iteration: int = 0
    d_steps: int = 0
    g_steps: int = 0
    #: the batch numbers the next noise and real batches take (see formulas.batch_start)
    noise_cursor: int = 0
    real_cursor: int = 0
    #: the last losses: a float, or a tensor the PyTorch path left (read lazily: float() reads either)
    last_d_loss: Any = None
    last_g_loss: Any = None
    version: int = 0
    g_params: list = field(init=False)
    d_params: list = field(init=False)

    def __post_init__(self):
        self.g_params = self.generator.ordered_parameters()
        self.d_params = self.discriminator.ordered_parameters()

    def replaced(self) -> None:
        """Note that an optimizer, its state or the average was replaced."""
        self.version += 1

    def follow_g_ema(self, beta: float) -> None:
        """Keep a moving average of G's weights while ``beta`` > 0 (it starts as G's own)."""
        if beta <= 0:
            self.g_average = None
        elif self.g_average is None:
            self.g_average = self.generator.copy()
        self.replaced()

    def is_finite(self) -> bool:
        """Whether the last losses and every weight are finite."""
        for loss in (self.last_d_loss, self.last_g_loss):
            if loss is not None and not np.isfinite(float(loss)):
                return False
        return all(bool(np.isfinite(p).all()) for p in self.d_params + self.g_params)


def copies(arrays) -> list[np.ndarray]:
    return [np.array(a, copy=True) for a in arrays]


def optimizer_state_copy(opt: Optimizer) -> dict:
    """An optimizer's ``state_dict`` with every array copied."""
    state = opt.state_dict()
    return {
        "state": {k: {n: np.array(v, copy=True) for n, v in s.items()} for k, s in state["state"].items()},
        "param_groups": state["param_groups"],
    }


def capture(state: TrainingState, sample_rng: np.random.Generator) -> dict[str, Any]:
    """The training state as a dict of arrays (copies), numbers and JSON (the
    checkpoint format's training part)."""
    return {
        "generator": copies(state.g_params),
        "discriminator": copies(state.d_params),
        "d_optimizer": optimizer_state_copy(state.d_optimizer),
        "g_optimizer": optimizer_state_copy(state.g_optimizer),
        "counters": [state.iteration, state.d_steps, state.g_steps, state.noise_cursor, state.real_cursor],
        # floats, not float32 tensors: a restored Frame shows the very same losses
        "last_losses": [float(t) if t is not None else None for t in (state.last_d_loss, state.last_g_loss)],
        "sample_rng": json.dumps(sample_rng.bit_generator.state),
        "penalty_rng": json.dumps(state.penalty_rng.bit_generator.state),
        "d_sn": copies(state.discriminator.sn_vectors()),
        "g_average": copies(state.g_average.ordered_parameters()) if state.g_average is not None else None,
    }


def restore(state: TrainingState, sample_rng: np.random.Generator, saved: dict[str, Any]) -> None:
    """Load :func:`capture`'s dict (or a whole checkpoint's) into ``state``.
    Raises KeyError, TypeError, ValueError or ModelFileError where it does not fit."""
    # the optimizers get new state arrays and the weights new numbers: a path
    # holding the old ones (or copies on a GPU) must take them afresh, even if loading fails
    state.replaced()
    copy_parameters(state.g_params, saved["generator"], "generator")
    copy_parameters(state.d_params, saved["discriminator"], "discriminator")
    state.d_optimizer.load_state_dict(saved["d_optimizer"])
    state.g_optimizer.load_state_dict(saved["g_optimizer"])
    (state.iteration, state.d_steps, state.g_steps,
     state.noise_cursor, state.real_cursor) = (int(c) for c in saved["counters"])
    d_loss, g_loss = saved["last_losses"]
    state.last_d_loss = float(d_loss) if d_loss is not None else None
    state.last_g_loss = float(g_loss) if g_loss is not None else None
    sample_rng.bit_generator.state = json.loads(saved["sample_rng"])
    if "penalty_rng" in saved:
        state.penalty_rng.bit_generator.state = json.loads(saved["penalty_rng"])
    saved_sn = saved.get("d_sn") or []
    if saved_sn:
        copy_parameters(state.discriminator.sn_vectors(), saved_sn, "discriminator's spectral norm vectors")
    average = saved.get("g_average")
    if state.g_average is not None:
        copy_parameters(state.g_average.ordered_parameters(),
                        average if average is not None else saved["generator"], "generator's average")
