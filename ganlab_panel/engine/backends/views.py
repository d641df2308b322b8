"""NumPy views of a training state's memory, for the CPU paths.

The NumPy path and the compiled kernel update the very memory of the
TrainingState's CPU tensors (weights, Adam's moments, the moving average),
through NumPy arrays that share it. Both paths and PyTorch's therefore read and
write the same numbers, and switching between them, or saving a checkpoint,
needs no copying. :meth:`Views.bind` takes the views afresh whenever the state
replaced a tensor (``TrainingState.version``).
"""

from __future__ import annotations

import numpy as np
import torch

from ganlab_panel.engine.optimizers import fresh_adam_state


class OptimizerViews:
    """SGD's or Adam's settings and state, as views of an :class:`~ganlab_panel.engine.optimizers.Optimizer`'s."""

    def __init__(self, opt, params: list[torch.nn.Parameter]):
        self.group = opt.param_groups[0]
        self.adam = opt.adam
        #: Adam's moments, in the parameters' order (W then b per layer), and its step counts
        self.m: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.steps: list[torch.Tensor] = []
        if self.adam:
            for p in params:
                state = opt.state[p]
                if not state:  # torch.optim's, loaded from a state saved before Adam's first step
                    state.update(fresh_adam_state(p))
                self.m.append(state["exp_avg"].numpy())
                self.v.append(state["exp_avg_sq"].numpy())
                self.steps.append(state["step"])

    @property
    def step_count(self) -> float:
        """Adam's steps so far (every parameter's count is the same); 0 for SGD."""
        return float(self.steps[0]) if self.adam else 0.0

    def count_steps(self, n: int) -> None:
        """Add ``n`` steps to Adam's counts (torch keeps one per parameter)."""
        for s in self.steps:
            s += n


class Views:
    """The views one CPU path works on; :meth:`bind` keeps them current."""

    def __init__(self):
        self._state = None
        self._version = -1
        #: whatever a path derives from the views (the kernel's typed lists); cleared on rebinding
        self.derived = None

    def bind(self, state) -> Views:
        """Take views of ``state``'s memory unless they are still current."""
        if state is self._state and state.version == self._version:
            return self
        numpy = lambda ts: [t.detach().numpy() for t in ts]  # noqa: E731
        self.gw, self.gb = numpy(state.generator.weights), numpy(state.generator.biases)
        self.dw, self.db = numpy(state.discriminator.weights), numpy(state.discriminator.biases)
        self.g_params, self.d_params = numpy(state.g_params), numpy(state.d_params)
        self.d_opt = OptimizerViews(state.d_optimizer, state.d_params)
        self.g_opt = OptimizerViews(state.g_optimizer, state.g_params)
        average = state.g_average
        self.g_average = numpy(average.ordered_parameters()) if average is not None else None
        self.noise = state.noise_atlas.numpy()
        self.real = state.real_atlas.numpy()
        self.derived = None
        self._state, self._version = state, state.version
        return self

    def unbind(self) -> None:
        """Forget the views (the next :meth:`bind` takes them afresh)."""
        self._state = None
        self.derived = None
