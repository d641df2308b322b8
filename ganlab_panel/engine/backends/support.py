"""Which backend may train which settings: one table, opt-in.

:data:`SUPPORT` maps each backend to the ExperimentConfig fields it implements
and, for each, the values it takes (a :class:`Rule`). A backend may train a
config only if *every* field of the config is in its row with an allowed value:
a field missing from a row refuses every config, so a new setting runs on
PyTorch (whose row names every field) until a fast backend says it implements it.

The Trainer reads this table (through :func:`allows`) to choose its path; the
agreement tests are generated from it (every restricted or ``examples``-bearing
field, every allowed example, trained on the backend and on PyTorch).

This module imports neither Numba nor the kernel, so the choice costs nothing
when Numba is absent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ganlab_panel.engine.device import cuda_available

#: the largest layer (neurons) and batch the compiled kernel takes: its loops
#: beat BLAS only for small layers (see BENCHMARKS.md).
MAX_NEURONS = 48
MAX_BATCH = 1024

#: the backends, fastest first: the Trainer takes the first one allowed.
BACKENDS = ("compiled", "numpy", "torch")


@dataclass(frozen=True)
class Rule:
    """The values of one setting a backend implements.

    ``allows(value)`` says whether the backend trains with it; ``examples`` are
    allowed values the agreement tests train with, ``refused`` values it must
    not run (both may be empty); ``text`` says the rule in words.
    """

    allows: Callable[[Any], bool]
    text: str
    examples: tuple = ()
    refused: tuple = field(default=())


def any_value(*examples) -> Rule:
    """Every value; ``examples`` (if any) are trained by the agreement tests."""
    return Rule(lambda value: True, "any value", tuple(examples))


def one_of(*values, refused: tuple = ()) -> Rule:
    """Only these values (compared with ``==``)."""
    return Rule(lambda value: any(value == v for v in values), f"one of {values!r}", tuple(values), tuple(refused))


def at_most(limit: int, examples: tuple, refused: tuple) -> Rule:
    """Numbers up to ``limit``."""
    return Rule(lambda value: value <= limit, f"at most {limit}", examples, refused)


def _on_cpu(device: str) -> bool:
    return device == "cpu" or (device == "auto" and not cuda_available())


CPU_ONLY = Rule(_on_cpu, "the CPU ('cpu', or 'auto' without a GPU)", ("cpu",),
                ("cuda",) if cuda_available() else ())

_EVERY_FIELD = ("distribution", "drawn_points", "noise_type", "noise_dim", "g_layers", "g_neurons", "d_layers",
                "d_neurons", "d_spectral_norm", "d_pack", "d_lr", "g_lr", "d_optimizer", "g_optimizer",
                "adam_beta1", "adam_beta2", "lr_half_life", "lr_decay_start", "loss", "gp_weight", "r1_gamma",
                "g_ema", "jacobian_truncation", "k_d", "k_g", "batch_size", "atlas_size", "seed", "device")

SUPPORT: dict[str, dict[str, Rule]] = {
    # GAN Lab's loop as one Numba kernel (backends/compiled.py)
    "compiled": {
        "distribution": any_value("line", "disjoint"),
        "drawn_points": any_value(),
        "noise_type": any_value("uniform", "gaussian"),
        "noise_dim": any_value(1, 3),
        "g_layers": any_value(0, 3),
        "g_neurons": at_most(MAX_NEURONS, (1, MAX_NEURONS), (MAX_NEURONS + 1,)),
        "d_layers": any_value(0, 3),
        "d_neurons": at_most(MAX_NEURONS, (1, MAX_NEURONS), (MAX_NEURONS + 1,)),
        "d_spectral_norm": one_of(False, refused=(True,)),
        "d_pack": one_of(1, refused=(2,)),
        "d_lr": any_value(),
        "g_lr": any_value(),
        "d_optimizer": one_of("sgd", "adam", refused=("rmsprop",)),
        "g_optimizer": one_of("sgd", "adam", refused=("rmsprop",)),
        "adam_beta1": any_value(0.5),
        "adam_beta2": any_value(0.9),
        "lr_half_life": any_value(0, 10),
        "lr_decay_start": any_value(15),
        "loss": one_of("log", "least_squares", refused=("wgan_gp", "hinge")),
        "gp_weight": any_value(),          # read only by the wgan_gp loss, which this backend refuses
        "r1_gamma": any_value(0.0, 1.0),
        "g_ema": any_value(0.0, 0.9),
        "jacobian_truncation": any_value(),   # applies to the samples shown and measured, not to training
        "k_d": any_value(1, 4),
        "k_g": any_value(0, 3),
        "batch_size": at_most(MAX_BATCH, (1, MAX_BATCH), (MAX_BATCH + 1,)),
        "atlas_size": any_value(100, 30_000),
        "seed": any_value(),
        "device": CPU_ONLY,
    },
    # the same step in NumPy (backends/numpy_path.py): wide layers and large batches too
    "numpy": {},
    # autograd and torch.optim (backends/torch_path.py): every setting, on any device
    "torch": {name: any_value() for name in _EVERY_FIELD},
}


SUPPORT["numpy"] = {**SUPPORT["compiled"],
                    "g_neurons": any_value(1, 64), "d_neurons": any_value(1, 64),
                    "batch_size": any_value(1, MAX_BATCH + 1)}


def allows(backend: str, config) -> bool:
    """Whether ``backend`` implements every setting of ``config``."""
    row = SUPPORT[backend]
    for name in config.field_names():
        rule = row.get(name)
        if rule is None or not rule.allows(getattr(config, name)):
            return False
    return True


def refusals(backend: str, config) -> list[str]:
    """The settings of ``config`` that ``backend`` does not implement (for messages and tests)."""
    row = SUPPORT[backend]
    return [name for name in config.field_names()
            if name not in row or not row[name].allows(getattr(config, name))]
