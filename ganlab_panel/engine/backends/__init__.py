"""The training paths, and the choice between them.

=========  ====================================  ==================================
path       module                                runs
=========  ====================================  ==================================
compiled   ``compiled.py`` (Numba kernel)        small models on a CPU (default)
numpy      ``numpy_path.py``                     CPU, while the kernel compiles,
                                                 and models wider than it takes
torch      ``torch_path.py`` (autograd)          everything, on any device
                                                 (the only path that imports torch)
=========  ====================================  ==================================

Which path may train which settings is the support table in ``support.py``
(opt-in: a setting missing from a path's row keeps the path off). The Trainer
takes the first allowed of compiled, numpy, torch (:meth:`Paths.choose`).

Every path works on the Trainer's :class:`~ganlab_panel.engine.state.TrainingState`.
The formulas all three share are in ``formulas.py``, written once: the batch
cycling (``batch_start``, ``batch_rows``) and the learning-rate schedule
(``lr_factor``) are used by every path; the rest by the NumPy path directly and
by the kernel compiled. Where the PyTorch path computes its own way:

=====================  ==========================================================
formula                PyTorch path
=====================  ==========================================================
loss gradients         autograd through ``torch_losses.py``'s loss (same values)
loss values            ``torch_losses.py``, reduced by torch's mean
SGD and Adam steps     ``torch.optim.SGD`` / ``torch.optim.Adam`` (same update,
                       torch's own order of float32 operations)
moving average of G    ``Tensor.mul_`` / ``add_`` with a Python float β
=====================  ==========================================================

These agree with the shared formulas to float32 rounding (the agreement
tests, generated from the support table, check it); each path alone is
deterministic.
"""

from __future__ import annotations

import importlib.util

from ganlab_panel.engine.backends import numpy_path
from ganlab_panel.engine.backends.support import allows
from ganlab_panel.engine.backends.views import Views


def numba_importable() -> bool:
    return importlib.util.find_spec("numba") is not None


class Paths:
    """Chooses a path for a config and runs it on a training state.

    What the support table allows is worked out once per config change
    (:meth:`forget`), not before every chunk of training.
    """

    def __init__(self):
        self.views = Views()
        #: the PyTorch path, made (and torch imported) the first time it runs
        self.torch = None
        self._allowed: dict[str, bool] | None = None

    def forget(self) -> None:
        """The config changed: consult the table afresh."""
        self._allowed = None

    def allowed(self, backend: str, config) -> bool:
        if self._allowed is None:
            self._allowed = {name: allows(name, config) for name in ("compiled", "numpy")}
        return self._allowed[backend]

    def choose(self, config, fast: bool, compiled: bool, wait_for_compile: bool) -> str:
        """``"compiled"``, ``"numpy"`` or ``"torch"``: the first path allowed.
        The kernel is compiled on first need (``wait_for_compile``: block until
        it is; otherwise train on the NumPy path meanwhile)."""
        if not fast:
            return "torch"
        if compiled and self.allowed("compiled", config) and numba_importable():
            from ganlab_panel.engine.backends import compiled as kernels

            if not kernels.ready():
                kernels.warm_up(wait=wait_for_compile)
            if kernels.ready():
                return "compiled"
        return "numpy" if self.allowed("numpy", config) else "torch"

    def run(self, path: str, state, config, iterations: int, d_updates: int, g_updates: int,
            count_iterations: bool = True) -> None:
        """Train on ``path``: ``iterations`` × (``d_updates`` D, ``g_updates`` G updates)."""
        if path == "torch":
            if self.torch is None:
                from ganlab_panel.engine.backends.torch_path import TorchPath

                self.torch = TorchPath()
            self.torch.run(state, config, state.device, iterations, d_updates, g_updates, count_iterations)
            return
        views = self.views.bind(state)
        if path == "compiled":
            from ganlab_panel.engine.backends import compiled as kernels

            kernels.train(views, state, config, iterations, d_updates, g_updates, count_iterations)
        else:
            numpy_path.run(views, state, config, iterations, d_updates, g_updates, count_iterations)
