"""Sweeps: many small GANs trained at once, on this machine or a Dask cluster.

``spec`` says what a sweep trains (axes, cells), ``cell`` trains one cell (the
task a Dask worker runs: the engine only), ``store`` keeps a sweep's folder,
``sweep`` runs them (``Sweep``). The layer sits above ``ui`` so that a sweep
can open one of its runs in the lab.
"""

from ganlab_panel.sweeps.spec import Cell, SweepSpec, parse_axis
from ganlab_panel.sweeps.sweep import Sweep

__all__ = ["Cell", "Sweep", "SweepSpec", "parse_axis"]
