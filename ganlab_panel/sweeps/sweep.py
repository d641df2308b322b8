"""Sweep: many small GANs at once, on this machine or a Dask cluster.

    >>> sweep = Sweep(ExperimentConfig(distribution="ring"), {"d_lr": [0.01, 0.1], "g_lr": [0.01, 0.1]},
    ...               seeds=3, iterations=3000)
    >>> results = sweep.run()                      # an xarray Dataset: d_lr × g_lr × seed (× iteration)
    >>> results.js.mean("seed")                    # final JS, a phase diagram over the two rates
    >>> sweep.run(client=Client("tcp://host:8786"), out="runs/lr")   # the same on a cluster, kept

Each cell is one task for ``dask.distributed``: by default an in-process
client whose threads train the cells side by side (the compiled kernel
releases the GIL), or any cluster given by its client. Results come back as
cells finish; ``out`` keeps each one at once (see ``store``), so nothing
finished is lost to an interruption, a diverging cell is recorded as such, and
a task whose worker dies is run again elsewhere by the scheduler.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable

from ganlab_panel.engine.config import ExperimentConfig
from ganlab_panel.sweeps.cell import CURVE_COLUMNS, train_cell
from ganlab_panel.sweeps.spec import Cell, SweepSpec, parse_axis
from ganlab_panel.sweeps.store import ROW_COLUMNS, Store


class Sweep:
    """A base config, axes over settings (``{"d_lr": [0.01, 0.1]}`` or
    ``["d_lr=0.01,0.1"]``), a number of seeds and of iterations."""

    def __init__(self, base: ExperimentConfig | None = None, axes=None, seeds: int = 1, iterations: int = 1000,
                 record_every: int = 0):
        if isinstance(axes, (list, tuple)):
            axes = dict(parse_axis(a) for a in axes)
        self.spec = SweepSpec(base if base is not None else ExperimentConfig(), axes or {}, seeds, iterations,
                              record_every)
        #: each finished cell's result, by cell key, in the order they finished
        self.results: dict[str, dict] = {}
        self.out = None
        self._running: tuple | None = None   # (client, futures) while run() runs
        self.stopped = False

    @property
    def cells(self) -> list[Cell]:
        return self.spec.cells()

    def run(self, client=None, out=None, resume: bool = False,
            on_cell: Callable[[Cell, dict], None] | None = None):
        """Train every cell (those already in ``out`` too, unless ``resume``)
        and return the results as an xarray Dataset. ``on_cell(cell, result)``
        is called as each cell finishes."""
        from distributed import Client, as_completed

        self.stopped = False
        store = Store(out, self.spec, resume) if out is not None else None
        self.out = store.out if store else None
        todo = self.pending(store)
        own = client is None
        if own:
            client = Client(processes=False, n_workers=1, threads_per_worker=os.cpu_count() or 1,
                            dashboard_address="127.0.0.1:0")
        base = self.spec.base.to_json()
        run_id = uuid.uuid4().hex[:8]
        finished = False
        futures: dict = {}
        try:
            futures = {client.submit(train_cell, base, dict(c.settings), c.seed, self.spec.iterations,
                                     self.spec.every, store is not None, key=f"cell-{c.key}-{run_id}", pure=False): c
                       for c in todo}
            self._running = (client, futures)
            if self.stopped:   # stopped while the client started
                client.cancel(list(futures))
            for future in as_completed(list(futures)):
                cell = futures[future]
                if future.cancelled() or self.stopped:
                    continue
                result = future.result()
                self.results[cell.key] = result
                if store:
                    store.add(cell, result)
                if on_cell:
                    on_cell(cell, result)
            finished = not self.stopped
        finally:
            self._running = None
            for future in futures:
                future.cancel()
            if own:
                client.close()
        results = self.dataset()
        if store is not None and finished:
            store.keep_dataset(results)
        return results

    def stop(self) -> None:
        """Stop a running ``run`` (from another thread): the cells not yet
        finished are cancelled; those finished are kept."""
        self.stopped = True
        running = self._running
        if running is not None:
            client, futures = running
            client.cancel(list(futures))

    def pending(self, store: Store | None) -> list[Cell]:
        """The cells still to train: all of them, less those ``store`` holds."""
        if store is None:
            return self.cells
        done = store.finished()
        return [c for c in self.cells if not store.is_finished(c, done)]

    def dataset(self):
        """The finished cells (and, with ``out``, those kept there before) as
        an xarray Dataset: one variable per result over the axes and seed, and
        each curve over those and iteration."""
        import pandas as pd

        if self.out is not None:
            rows = pd.read_csv(self.out / "results.csv")
            curves = pd.read_csv(self.out / "curves.csv")
            curves["iteration"] = curves["iteration"].astype(int)
        else:
            index = {c.key: c for c in self.cells}
            rows = pd.DataFrame([{**dict(index[k].settings), "seed": index[k].seed, **r["row"]}
                                 for k, r in self.results.items()])
            curves = pd.DataFrame([{**dict(index[k].settings), "seed": index[k].seed, **dict(zip(CURVE_COLUMNS, p))}
                                   for k, r in self.results.items() for p in r["curve"]])
            curves["iteration"] = curves["iteration"].astype(int)
        dims = [*self.spec.axes, "seed"]
        if rows.empty:
            import xarray as xr

            return xr.Dataset()
        final = rows.set_index(dims)[[c for c in ROW_COLUMNS if c != "iteration"]].to_xarray()
        final["final_iteration"] = rows.set_index(dims)["iteration"].to_xarray()
        curve = curves.rename(columns={c: f"{c}_curve" for c in CURVE_COLUMNS if c != "iteration"})
        curve = curve.drop_duplicates(dims + ["iteration"]).set_index(dims + ["iteration"]).to_xarray()
        out = final.merge(curve)
        out.attrs.update(iterations=self.spec.iterations, seeds=self.spec.seeds, base=self.spec.base.to_json())
        return out

    def checkpoint(self, cell: Cell | str):
        """The path of a kept cell's checkpoint (``out`` only)."""
        if self.out is None:
            raise ValueError("only a sweep run with out= keeps its cells' checkpoints")
        key = cell.key if isinstance(cell, Cell) else cell
        path = self.out / "cells" / f"{key}.npz"
        older = path.with_suffix(".pt")     # a sweep kept by an earlier version
        return older if older.exists() and not path.exists() else path

    def open(self, cell: Cell | str):
        """A GANLab on a kept cell's run, ready to play on from where it ended."""
        from ganlab_panel.engine.trainer import Trainer
        from ganlab_panel.ui.lab import GANLab

        trained = Trainer.load(self.checkpoint(cell))
        lab = GANLab(trained.config.copy(), use_pretrained=False)
        path = self.checkpoint(cell)
        lab.load_files({path.name: path.read_bytes()})
        trained.close()
        return lab
