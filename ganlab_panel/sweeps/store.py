"""A sweep's folder: what it keeps, and what a later run resumes from.

    sweep.json      the spec (base config, axes, seeds, iterations)
    results.csv     one row per finished cell: every swept setting by its
                    config name, seed, the final iteration, js, kl, d_loss,
                    g_loss, modes, high_quality, diverged, seconds, worker
    curves.csv      each cell's recorded moments: its axes, seed, iteration,
                    js, kl, d_loss, g_loss
    results.nc      the same as one labelled dataset (xarray, NetCDF)
    cells/KEY.npz   each cell's checkpoint (``Trainer.load`` opens it)

Rows are appended and flushed as cells finish, so an interrupted sweep keeps
every finished cell and ``resume`` trains only the others.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ganlab_panel.engine.errors import ConfigError
from ganlab_panel.sweeps.cell import CURVE_COLUMNS
from ganlab_panel.sweeps.spec import Cell, SweepSpec

ROW_COLUMNS = ("iteration", "js", "kl", "d_loss", "g_loss", "modes", "high_quality", "diverged", "seconds", "worker")


class Store:
    """The folder ``out`` of the sweep ``spec``."""

    def __init__(self, out, spec: SweepSpec, resume: bool = False):
        self.out = Path(out)
        self.spec = spec
        self.axes = list(spec.axes)
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "cells").mkdir(exist_ok=True)
        saved = self.out / "sweep.json"
        if resume and saved.exists():
            if SweepSpec.from_json(saved.read_text(encoding="utf-8")).to_json() != spec.to_json():
                raise ConfigError(f"{saved} holds another sweep; resume it with the same settings, "
                                  "or give another --out")
        elif not resume and (self.out / "results.csv").exists():
            raise ConfigError(f"{self.out} already holds a sweep's results; resume it (--resume) "
                              "or give another --out")
        saved.write_text(spec.to_json(), encoding="utf-8")
        self.header = [*self.axes, "seed", *ROW_COLUMNS]
        self.curve_header = [*self.axes, "seed", *CURVE_COLUMNS]
        for name, header in (("results.csv", self.header), ("curves.csv", self.curve_header)):
            path = self.out / name
            if not path.exists() or not resume:
                with path.open("w", newline="", encoding="utf-8") as f:
                    csv.writer(f).writerow(header)

    def finished(self) -> set[str]:
        """The keys of the cells already in results.csv."""
        with (self.out / "results.csv").open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        keys = set()
        for row in rows:
            settings = tuple((name, row[name]) for name in self.axes)
            keys.add(_key_of_text(settings, row["seed"]))
        return keys

    def is_finished(self, cell: Cell, finished: set[str]) -> bool:
        return _key_of_text(tuple((k, _as_text(v)) for k, v in cell.settings), str(cell.seed)) in finished

    def add(self, cell: Cell, result: dict) -> None:
        """Keep a finished cell: its row, its curve and its checkpoint."""
        if result.get("checkpoint") is not None:
            (self.out / "cells" / f"{cell.key}.npz").write_bytes(result["checkpoint"])
        prefix = [_as_text(v) for _, v in cell.settings] + [cell.seed]
        with (self.out / "curves.csv").open("a", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([prefix + list(point) for point in result["curve"]])
        with (self.out / "results.csv").open("a", newline="", encoding="utf-8") as f:
            csv.writer(f).writerow(prefix + [result["row"][c] for c in ROW_COLUMNS])

    def keep_dataset(self, dataset) -> Path:
        """Write the whole sweep's labelled dataset (results.nc)."""
        path = self.out / "results.nc"
        dataset.to_netcdf(path)
        return path


def _as_text(value) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _key_of_text(settings, seed: str) -> str:
    return ",".join([*(f"{k}={v}" for k, v in settings), f"seed={seed}"])
