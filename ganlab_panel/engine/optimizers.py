"""SGD, Adam and RMSprop as GAN Lab configures them, torch.optim's only once needed.

An :class:`Optimizer` holds what ``torch.optim`` would: the settings (one
parameter group, the same keys and defaults as torch's) and the per-parameter
state (Adam's moments and step counts), in torch's own layout, so that
``state_dict()`` is what torch writes and checkpoints do not know the
difference. The NumPy path and the compiled kernel update that state in place
(see ``backends/views.py``). Only the PyTorch path steps through a real
``torch.optim`` optimizer, made the first time it steps (:meth:`Optimizer.torch`)
and sharing these very settings and tensors.

Why not torch.optim throughout: making any ``torch.optim`` optimizer imports
``torch._dynamo`` (and sympy), ~75 MB and ~0.7 s a process, which a served
class whose sessions train on the fast paths never needs.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import torch

#: Adam's epsilon as TensorFlow.js (GAN Lab's engine) uses it in float32.
ADAM_EPS = 1e-7
ADAM_BETAS = (0.9, 0.999)

#: the optimizers, by the name the config gives them
KINDS = {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}


def _torch_class(kind: str) -> type:
    return getattr(torch.optim, KINDS[kind])


@functools.cache
def _defaults(kind: str) -> dict[str, Any]:
    """torch's defaults for an optimizer's settings (its constructor's, read
    without making one)."""
    signature = inspect.signature(_torch_class(kind).__init__)
    return {name: p.default for name, p in signature.parameters.items()
            if name not in ("self", "params") and p.default is not inspect.Parameter.empty}


def fresh_adam_state(p: torch.Tensor) -> dict[str, torch.Tensor]:
    """Adam's state for ``p`` before its first step, as torch makes it."""
    return {"step": torch.tensor(0.0),
            "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
            "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format)}


def _loaded(value, p: torch.Tensor, key: str):
    """A saved state value, as torch's load_state_dict takes it: a new tensor,
    on the parameter's device and in its dtype (a step count stays as it is)."""
    if not torch.is_tensor(value):
        return value
    if key == "step":
        return value.detach().clone()
    return value.detach().to(dtype=p.dtype if value.is_floating_point() else value.dtype, device=p.device).clone()


class Optimizer:
    """One network's optimizer: settings and state in torch's layout (see the module docstring)."""

    def __init__(self, kind: str, params, **settings):
        if kind not in KINDS:
            raise ValueError(f"unknown optimizer {kind!r}")
        self.kind = kind
        self.params: list[torch.nn.Parameter] = list(params)
        group = dict(_defaults(kind), **settings)
        group["params"] = self.params
        self._groups: list[dict[str, Any]] = [group]
        self._state: dict[torch.nn.Parameter, dict[str, Any]] = {}
        self._torch: torch.optim.Optimizer | None = None
        if kind == "adam":   # made now, as torch makes them on its first step: the fast paths update them
            self._state = {p: fresh_adam_state(p) for p in self.params}

    @property
    def adam(self) -> bool:
        return self.kind == "adam"

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        """One group, as torch.optim keeps it (torch's own once made): the paths
        set its "lr" (and "betas")."""
        return self._torch.param_groups if self._torch is not None else self._groups

    @property
    def state(self) -> dict[torch.nn.Parameter, dict[str, Any]]:
        """Each parameter's state (torch's own once the PyTorch path has stepped)."""
        return self._torch.state if self._torch is not None else self._state

    def torch(self) -> torch.optim.Optimizer:
        """The ``torch.optim`` optimizer over the same settings and state (made once)."""
        if self._torch is None:
            settings = {k: v for k, v in self._groups[0].items() if k != "params"}
            opt = _torch_class(self.kind)(self.params, **settings)
            for key, value in opt.param_groups[0].items():   # any key torch adds
                self._groups[0].setdefault(key, value)
            opt.param_groups = self._groups   # the same group dict the fast paths' views hold
            for p, s in self._state.items():   # the very tensors the fast paths updated
                opt.state[p] = s
            self._torch = opt
        return self._torch

    def step(self) -> None:
        """One update from the parameters' ``.grad`` (the PyTorch path)."""
        self.torch().step()

    def state_dict(self) -> dict[str, Any]:
        """What ``torch.optim``'s ``state_dict()`` gives (tensors shared, not copied)."""
        if self._torch is not None:
            return self._torch.state_dict()
        index = {p: i for i, p in enumerate(self.params)}
        return {"state": {index[p]: dict(s) for p, s in self._state.items() if s},
                "param_groups": [{**{k: v for k, v in self.param_groups[0].items() if k != "params"},
                                  "params": list(range(len(self.params)))}]}

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        """Load a ``state_dict()`` (ours or torch.optim's); the state's tensors
        are new ones. Raises ValueError (or KeyError) where it does not fit."""
        if self._torch is not None:
            self._torch.load_state_dict(saved)
            return
        groups = saved["param_groups"]
        if len(groups) != 1 or len(groups[0]["params"]) != len(self.params):
            raise ValueError("the saved optimizer state is for a different number of parameters")
        state: dict[torch.nn.Parameter, dict[str, Any]] = {}
        by_index = dict(zip(groups[0]["params"], self.params))
        for i, s in saved["state"].items():
            p = by_index[int(i)]
            state[p] = {k: _loaded(v, p, k) for k, v in s.items()}
            for k in ("exp_avg", "exp_avg_sq", "square_avg"):
                if k in state[p] and state[p][k].shape != p.shape:
                    raise ValueError(f"the saved optimizer state's {k} has shape {tuple(state[p][k].shape)}, "
                                     f"not {tuple(p.shape)}")
        if self.adam:
            for p in self.params:
                if not state.get(p):          # never stepped: fresh, as on making
                    state[p] = fresh_adam_state(p)
                elif set(state[p]) != {"step", "exp_avg", "exp_avg_sq"}:
                    raise ValueError("the saved optimizer state is not Adam's")
        self._state = state
        self._groups[0].update({k: v for k, v in groups[0].items() if k != "params"})


#: each kind's settings beyond its learning rate, as GAN Lab configures them (Adam's betas may differ)
SETTINGS = {"sgd": {}, "adam": {"betas": ADAM_BETAS, "eps": ADAM_EPS}, "rmsprop": {"alpha": 0.99, "eps": ADAM_EPS}}
