"""The sweep page's grid of runs: a slot for every cell, the first axis down
and the second (then the seeds) across, each filled in as its run finishes.

A waiting slot is framed grey; a finished one shows the run's picture
(``charts.run_picture``), is framed in its outcome's colour and carries the CSS
classes ``ganlab-sweep-cell`` and ``ganlab-sweep-<outcome>``, with a button
(``ganlab-sweep-open``) that opens the run in the lab.
"""

from __future__ import annotations

from collections.abc import Callable

import panel as pn

from ganlab_panel.sweeps.charts import (
    OUTCOME_COLOURS,
    PICTURE_SIZE,
    Run,
    run_picture,
    value_text,
)
from ganlab_panel.sweeps.sweep import Sweep

INTRO = "<i>Define a sweep above and press Run: each run shows here as it finishes.</i>"


def _label(text: str) -> pn.pane.HTML:
    return pn.pane.HTML(f"<div style='font-size:12px;color:#555;font-weight:bold'>{text}</div>",
                        margin=(8, 4), align="center")


def _frame(outcome: str) -> dict:
    return {"border": f"3px solid {OUTCOME_COLOURS[outcome]}", "border-radius": "5px", "background": "white",
            "padding": "4px"}


class RunGrid:
    """The runs of one sweep at a time; ``panel`` is what the page shows."""

    def __init__(self):
        self.panel = pn.Column(pn.pane.HTML(INTRO, styles={"color": "#666"}), margin=(5, 10))
        self.slots: dict[str, pn.Column] = {}

    def layout(self, sweep: Sweep) -> None:
        """A waiting slot for every cell of ``sweep``, under headers naming the values."""
        axes, seeds, first_seed = sweep.spec.axes, sweep.spec.seeds, sweep.spec.base.seed
        names = list(axes)
        across = [(v, s) for v in axes[names[-1]] for s in range(seeds)]
        self.slots = {}
        boxes = []
        for cell in sweep.cells:   # in the grid's order: the last axis, then the seed, change fastest
            slot = pn.Column(pn.pane.HTML(run_picture(None, cell), margin=0), css_classes=["ganlab-sweep-slot"],
                             margin=4, styles=_frame("waiting"))
            self.slots[cell.key] = slot
            boxes.append(slot)
        header = [_label(f"{names[-1]} {value_text(v)}" + (f" · seed {first_seed + s}" if seeds > 1 else ""))
                  for v, s in across]
        if len(names) == 2:
            objects = [_label(""), *header]
            for i, value in enumerate(axes[names[0]]):
                objects += [_label(f"{names[0]} {value_text(value)}"), *boxes[i * len(across):(i + 1) * len(across)]]
            ncols = len(across) + 1
        else:
            objects, ncols = [*header, *boxes], len(across)
        self.panel.objects = [pn.GridBox(*objects, ncols=ncols, margin=0, css_classes=["ganlab-sweep-grid"])]

    def show(self, run: Run, on_open: Callable[[str], None]) -> bool:
        """Fill in ``run``'s slot; ``on_open(key)`` when its button is pressed.
        False if the grid has no slot for it (another sweep's)."""
        slot = self.slots.get(run.key)
        if slot is None:
            return False
        opener = pn.widgets.Button(label="Open in the lab", width=PICTURE_SIZE, height=28, margin=(4, 0, 0, 0),
                                   css_classes=["ganlab-sweep-open"])
        opener.on_click(lambda event, key=run.key: on_open(key))
        slot.param.update(objects=[pn.pane.HTML(run_picture(run, run.cell), margin=0), opener],
                          css_classes=["ganlab-sweep-slot", "ganlab-sweep-cell", f"ganlab-sweep-{run.outcome}"],
                          styles=_frame(run.outcome))
        return True
