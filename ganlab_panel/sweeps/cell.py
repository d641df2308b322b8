"""Training one cell of a sweep: the task a Dask worker runs.

A cell trains exactly what ``Trainer(cfg).train(n)`` trains (through the one
train-from-code loop, ``engine.recording``), looking at the run every
``every`` iterations for its curves. A run that diverges stops there and is
recorded as diverged; nothing here raises for a bad run.
"""

from __future__ import annotations

import math
import time

from ganlab_panel.engine.checkpoint import checkpoint_bytes
from ganlab_panel.engine.config import ExperimentConfig
from ganlab_panel.engine.recording import train_in_moments
from ganlab_panel.engine.trainer import Trainer

#: what each recorded moment of a run keeps (its curves)
CURVE_COLUMNS = ("iteration", "js", "kl", "d_loss", "g_loss")


def _number(value) -> float:
    return float(value) if value is not None else math.nan


def train_cell(base_json: str, settings: dict, seed: int, iterations: int, every: int,
               checkpoint: bool = True) -> dict:
    """Train one cell; its row of results, its curve and its checkpoint's bytes.

    ``base_json`` is the sweep's base config (``ExperimentConfig.to_json``),
    ``settings`` the cell's axis values.
    """
    start = time.perf_counter()
    config = ExperimentConfig.from_json(base_json).copy(**settings, seed=seed)
    trainer = Trainer(config)
    curve = []

    def moment(tr) -> bool:
        frame = tr.snapshot()
        curve.append(tuple(_number(getattr(frame, c)) for c in CURVE_COLUMNS))
        return frame.diverged

    try:
        moment(trainer)
        train_in_moments(trainer, iterations, every, moment)
        frame = trainer.snapshot()
        row = {"iteration": frame.iteration, "js": _number(frame.js), "kl": _number(frame.kl),
               "d_loss": _number(frame.d_loss), "g_loss": _number(frame.g_loss),
               "modes": _number(frame.modes), "high_quality": _number(frame.high_quality),
               "diverged": bool(frame.diverged), "seconds": round(time.perf_counter() - start, 4),
               "worker": _worker_address()}
        data = checkpoint_bytes(trainer) if checkpoint else None
    finally:
        trainer.close()
    return {"row": row, "curve": curve, "checkpoint": data}


def _worker_address() -> str:
    """The Dask worker running this task, or ``local`` outside one."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "local"
