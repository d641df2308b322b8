"""The arrays one CPU path works on, gathered from a training state.

The NumPy path and the compiled kernel update the very arrays of the
TrainingState (weights, Adam's moments and counts, the moving average) in
place, as the PyTorch path does through tensors that share them. All paths
therefore read and write the same numbers, and switching between them, or
saving a checkpoint, needs no copying. :meth:`Views.bind` gathers them afresh
whenever the state replaced an array (``TrainingState.version``).
"""

from __future__ import annotations

import numpy as np


class OptimizerViews:
    """SGD's or Adam's settings and state, as an :class:`~ganlab_panel.engine.optimizers.Optimizer` holds them."""

    def __init__(self, opt):
        self.group = opt.group
        self.adam = opt.adam
        #: Adam's moments, in the parameters' order (W then b per layer), and its step counts
        self.m: list[np.ndarray] = [s["exp_avg"] for s in opt.states] if self.adam else []
        self.v: list[np.ndarray] = [s["exp_avg_sq"] for s in opt.states] if self.adam else []
        self.steps: list[np.ndarray] = [s["step"] for s in opt.states] if self.adam else []

    @property
    def step_count(self) -> float:
        """Adam's steps so far (every parameter's count is the same); 0 for SGD."""
        return float(self.steps[0]) if self.adam else 0.0

    def count_steps(self, n: int) -> None:
        """Add ``n`` steps to Adam's counts (torch keeps one per parameter)."""
        for s in self.steps:
            s += n


class Views:
    """The arrays one CPU path works on; :meth:`bind` keeps them current."""

    def __init__(self):
        self._state = None
        self._version = -1
        #: whatever a path derives from the views (the kernel's typed lists); cleared on rebinding
        self.derived = None

    def bind(self, state) -> Views:
        """Gather ``state``'s arrays unless they are still current."""
        if state is self._state and state.version == self._version:
            return self
        self.gw, self.gb = list(state.generator.weights), list(state.generator.biases)
        self.dw, self.db = list(state.discriminator.weights), list(state.discriminator.biases)
        self.g_params, self.d_params = list(state.g_params), list(state.d_params)
        self.d_opt = OptimizerViews(state.d_optimizer)
        self.g_opt = OptimizerViews(state.g_optimizer)
        average = state.g_average
        self.g_average = average.ordered_parameters() if average is not None else None
        self.noise = state.noise_atlas
        self.real = state.real_atlas
        self.derived = None
        self._state, self._version = state, state.version
        return self

    def unbind(self) -> None:
        """Forget the views (the next :meth:`bind` takes them afresh)."""
        self._state = None
        self.derived = None
