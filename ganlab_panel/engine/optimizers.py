"""SGD, Adam and RMSprop as GAN Lab configures them: settings and state in NumPy.

An :class:`Optimizer` holds one parameter group's settings (``lr``, and
Adam's ``betas`` and ``eps`` or RMSprop's ``alpha`` and ``eps``) and each
parameter's state (Adam's step count and moments, RMSprop's count and mean
square), laid out as ``torch.optim`` lays them out, as NumPy arrays. The NumPy
path and the compiled kernel update that state in place (see
``backends/views.py``); the PyTorch path steps a ``torch.optim`` optimizer made
over these very arrays (``backends/torch_path.py``). :meth:`Optimizer.state_dict`
is what checkpoints keep.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Adam's epsilon as TensorFlow.js (GAN Lab's engine) uses it in float32.
ADAM_EPS = 1e-7
ADAM_BETAS = (0.9, 0.999)

#: the optimizers, by the name the config gives them (the names are torch.optim's classes)
KINDS = {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}

#: each kind's per-parameter arrays besides its step count (SGD without momentum keeps none)
STATE_ARRAYS = {"sgd": (), "adam": ("exp_avg", "exp_avg_sq"), "rmsprop": ("square_avg",)}

#: the settings a group keeps, per kind
SETTING_KEYS = {"sgd": ("lr",), "adam": ("lr", "betas", "eps"), "rmsprop": ("lr", "alpha", "eps")}


def fresh_state(kind: str, p: np.ndarray) -> dict[str, np.ndarray]:
    """A parameter's state before its first step (a count of 0 and zeros)."""
    if not STATE_ARRAYS[kind]:
        return {}
    return {"step": np.zeros((), dtype=np.float32), **{k: np.zeros_like(p) for k in STATE_ARRAYS[kind]}}


class Optimizer:
    """One network's optimizer: settings and state (see the module docstring)."""

    def __init__(self, kind: str, params, **settings):
        if kind not in KINDS:
            raise ValueError(f"unknown optimizer {kind!r}")
        self.kind = kind
        self.params: list[np.ndarray] = list(params)
        #: the one group's settings: the paths set its "lr" (and "betas")
        self.group: dict[str, Any] = dict(settings)
        #: each parameter's state, in the parameters' order
        self.states: list[dict[str, np.ndarray]] = [fresh_state(kind, p) for p in self.params]

    @property
    def adam(self) -> bool:
        return self.kind == "adam"

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        """One group, as torch.optim keeps them."""
        return [self.group]

    def state_dict(self) -> dict[str, Any]:
        """Settings and state in ``torch.optim``'s ``state_dict()`` layout (arrays shared, not copied)."""
        return {"state": {i: dict(s) for i, s in enumerate(self.states) if s},
                "param_groups": [{**self.group, "params": list(range(len(self.params)))}]}

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        """Load a ``state_dict()`` (ours, or one of torch.optim's read as
        arrays); the state's arrays are new ones. Raises ValueError (or
        KeyError) where it does not fit."""
        groups = saved["param_groups"]
        if len(groups) != 1 or len(groups[0]["params"]) != len(self.params):
            raise ValueError("the saved optimizer state is for a different number of parameters")
        by_index = {int(i): k for k, i in enumerate(groups[0]["params"])}
        states = [fresh_state(self.kind, p) for p in self.params]
        for i, s in saved["state"].items():
            s = {key: value for key, value in s.items() if value is not None}   # torch's empty momentum
            if not s:
                continue
            k = by_index[int(i)]
            p = self.params[k]
            if set(s) != set(states[k]):
                raise ValueError(f"the saved optimizer state is not {KINDS[self.kind]}'s")
            for key, value in s.items():
                value = np.asarray(value, dtype=np.float32)
                if value.shape != states[k][key].shape:
                    raise ValueError(f"the saved optimizer state's {key} has shape {value.shape}, "
                                     f"not {p.shape}")
                states[k][key] = value.copy()
        self.states = states
        group = groups[0]
        for key in SETTING_KEYS[self.kind]:
            if key in group:
                self.group[key] = tuple(float(b) for b in group[key]) if key == "betas" else float(group[key])


#: each kind's settings beyond its learning rate, as GAN Lab configures them (Adam's betas may differ)
SETTINGS = {"sgd": {}, "adam": {"betas": ADAM_BETAS, "eps": ADAM_EPS}, "rmsprop": {"alpha": 0.99, "eps": ADAM_EPS}}
