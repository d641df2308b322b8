"""What a sweep trains: a base config, axes of settings, seeds, iterations.

An axis is ``NAME=v1,v2,...`` over any setting; its values are parsed and
checked as the page address's are, each against the whole base config, so a
bad axis (an unknown setting, a value out of bounds, an empty list) is refused
before anything trains, with the setting named. The cells are every
combination of the axes' values, times the seeds, in a fixed order.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from ganlab_panel.engine.config import ExperimentConfig, parse_setting
from ganlab_panel.engine.errors import ConfigError

#: settings a sweep cannot have as an axis: the drawing is data, not a setting to
#: sweep, and the seed is the sweep's own ``seeds``.
NOT_AXES = {"drawn_points": "points are data: give them to the base config",
            "seed": "seeds are a sweep's own: give their number with --seeds"}


def parse_axis(text: str) -> tuple[str, list]:
    """``"d_lr=0.01,0.03"`` -> ``("d_lr", [0.01, 0.03])``; ConfigError naming
    the setting for an unknown name, a bad or repeated value, or no values."""
    name, sep, values = str(text).partition("=")
    name = name.strip()
    if not sep or not name:
        raise ConfigError(f"an axis is NAME=v1,v2,... (got {text!r})")
    return name, axis_values(name, [v for v in values.split(",")])


def axis_values(name: str, values) -> list:
    """The values of axis ``name`` (text or already typed), parsed and checked."""
    if name in NOT_AXES:
        raise ConfigError(f"{name} cannot be an axis: {NOT_AXES[name]}", name)
    if name not in ExperimentConfig.field_names():
        raise ConfigError(f"unknown setting {name!r} for an axis", name)
    texts = [str(v).strip() for v in values]
    if not texts or any(not t for t in texts):
        raise ConfigError(f"the axis {name} needs one or more values, none empty", name)
    parsed = [parse_setting(name, t) for t in texts]
    if len(set(map(repr, parsed))) < len(parsed):
        raise ConfigError(f"the axis {name} repeats a value", name)
    return parsed


@dataclass(frozen=True)
class Cell:
    """One run of a sweep: the axes' values and a seed."""

    settings: tuple[tuple[str, Any], ...]
    seed: int

    @property
    def key(self) -> str:
        """A name that says the cell, stable across runs (folder and row names)."""
        return ",".join([*(f"{k}={_text(v)}" for k, v in self.settings), f"seed={self.seed}"])

    def config(self, base: ExperimentConfig) -> ExperimentConfig:
        return base.copy(**dict(self.settings), seed=self.seed)


def _text(value) -> str:
    return repr(value) if isinstance(value, float) else str(value)


@dataclass
class SweepSpec:
    """A sweep's definition; ``sweep.json`` holds it."""

    base: ExperimentConfig
    axes: dict[str, list] = field(default_factory=dict)
    seeds: int = 1
    iterations: int = 1000
    record_every: int = 0   # 0: about 20 moments a run

    def __post_init__(self):
        if not isinstance(self.base, ExperimentConfig):
            raise TypeError(f"base must be an ExperimentConfig, not {type(self.base).__name__}")
        self.axes = {name: axis_values(name, values) for name, values in dict(self.axes).items()}
        for name, values in self.axes.items():   # each value, with the base: bounds that depend on others
            for value in values:
                self.base.copy(**{name: value})
        for what, value, low in (("seeds", self.seeds, 1), ("iterations", self.iterations, 0),
                                 ("record_every", self.record_every, 0)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ConfigError(f"a sweep's {what} must be a whole number >= {low}, not {value!r}")

    @property
    def every(self) -> int:
        """Iterations between two recorded moments of a run."""
        return self.record_every or max(1, self.iterations // 20)

    def cells(self) -> list[Cell]:
        """Every cell: the axes' values in the order given (the last changing
        fastest), each with seeds 0 .. seeds - 1 (the base's seed plus those)."""
        names = list(self.axes)
        out = []
        for combo in itertools.product(*(self.axes[n] for n in names)):
            for s in range(self.seeds):
                out.append(Cell(tuple(zip(names, combo)), self.base.seed + s))
        return out

    def to_json(self) -> str:
        return json.dumps({"base": json.loads(self.base.to_json()), "axes": self.axes, "seeds": self.seeds,
                           "iterations": self.iterations, "record_every": self.record_every}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> SweepSpec:
        try:
            d = json.loads(text)
            return cls(ExperimentConfig.from_json(json.dumps(d["base"])), d["axes"], d["seeds"],
                       d["iterations"], d.get("record_every", 0))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"not a sweep's spec: {exc}") from None
