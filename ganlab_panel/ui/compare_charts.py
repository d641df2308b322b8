"""The comparison's charts: both runs' losses and grid JS against iteration.

``CompareCharts`` keeps every charted point of the two runs in one stream
(a HoloViews Buffer) and draws one chart per metric, a curve per run. The
comparison charts both runs at the same iterations (``CompareLab`` asks both
sides for a point at one), so that two runs alike draw alike. A loss
of two different kinds (a log loss beside a least-squares one) is drawn on
two y axes, since the two do not share a scale.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import holoviews as hv
import pandas as pd
import panel as pn

from ganlab_panel.engine.config import CHOICE_LABELS
from ganlab_panel.engine.frames import Frame
from ganlab_panel.ui import plots

SIDES = ("a", "b")
SIDE_COLOURS = {"a": "#1f78b4", "b": "#e6550d"}

#: least time (s) between two chart updates while playing
CHART_INTERVAL = 0.5

CHART_COLUMNS = ["iteration", "run", "d_loss", "g_loss", "js"]

#: the charts: column -> title
CHARTS = {"g_loss": "G loss", "d_loss": "D loss", "js": "JS (grid)"}

#: the points kept, both runs together
BUFFER_LENGTH = 20_000


def empty_rows() -> pd.DataFrame:
    """No points yet, in the stream's columns."""
    return pd.DataFrame({c: pd.Series(dtype=object if c == "run" else float) for c in CHART_COLUMNS})


def overlay_chart(data: pd.DataFrame, column: str, label: str, losses: dict | None = None) -> hv.Overlay:
    """One metric of both runs against iteration, a curve each. A loss of two
    different kinds (``losses``: side -> loss name) is on two axes, one each,
    since a log loss and a least-squares loss do not share a scale."""
    losses = losses or {}
    apart = column in ("d_loss", "g_loss") and len(set(losses.values())) > 1
    curves = []
    for side in SIDES:
        rows = data[data["run"] == side.upper()] if len(data) else data
        name = f"{column}_{side}" if apart else column
        title = f"{label}, {side.upper()}: {CHOICE_LABELS.get(losses.get(side), '')}" if apart else label
        curves.append(hv.Curve(rows.rename(columns={column: name}), "iteration", (name, title),
                               label=side.upper()).opts(color=SIDE_COLOURS[side], line_width=2))
    return hv.Overlay(curves).opts(legend_position="top", legend_cols=2, show_legend=True, multi_y=apart,
                                   hooks=[_fit_second_axis] if apart else [], **plots.iteration_axis())


def _fit_second_axis(plot, element) -> None:
    # HoloViews keeps a second y axis at the range it had when first drawn:
    # on every update it follows its own curve here, as the first axis does
    for curve in element:
        name = curve.vdims[0].name
        extra = plot.state.extra_y_ranges.get(name)
        span = plots.padded_range(curve.dimension_values(name))
        if extra is not None and span is not None:
            extra.update(start=span[0], end=span[1])


class CompareCharts:
    """The charts of both runs. ``losses()`` names each side's loss
    (``{"a": "log", "b": "least_squares"}``), which decides the loss charts' axes."""

    def __init__(self, losses: Callable[[], dict]):
        self.losses = losses
        self.buffer = hv.streams.Buffer(empty_rows(), length=BUFFER_LENGTH, index=False)
        self._last = 0.0
        #: column -> its chart's pane
        self.panes = {
            column: pn.pane.HoloViews(self._chart(column, title), linked_axes=False, margin=0,
                                      css_classes=[f"ganlab-compare-{column}"])
            for column, title in CHARTS.items()
        }

    def _chart(self, column: str, title: str) -> hv.DynamicMap:
        """A chart of both runs, drawn for the sides' losses as they are now."""
        losses = self.losses()
        opts = dict(**plots.CANVAS, width=330, height=200, toolbar=None, xlabel="iteration", framewise=True,
                    fontsize={"legend": 9, "labels": 10, "ticks": 9})
        return hv.DynamicMap(lambda data: overlay_chart(data, column, title, losses),
                             streams=[self.buffer]).opts(**opts)

    def redraw(self) -> None:
        """A side's kind of loss changed: the loss charts' axes follow."""
        for column, title in CHARTS.items():
            self.panes[column].object = self._chart(column, title)

    @property
    def history(self) -> pd.DataFrame:
        """Every charted point of both runs (columns iteration, run, d_loss, g_loss, js)."""
        return self.buffer.data.copy()

    def add(self, frames: dict[str, Frame | None], force: bool = False) -> None:
        """Append each run's newest Frame (``frames``: side -> Frame), at most
        every CHART_INTERVAL unless ``force``d; a Frame already charted is not again."""
        self.add_points({name: {"iteration": frame.iteration, "d_loss": frame.d_loss, "g_loss": frame.g_loss,
                                "js": frame.js}
                         for name, frame in frames.items() if frame is not None}, force=force)

    def due(self) -> bool:
        """Whether CHART_INTERVAL has passed since the last points went in."""
        return time.perf_counter() - self._last >= CHART_INTERVAL

    def add_points(self, points: dict[str, dict], force: bool = False) -> bool:
        """Append a point to each run (``points``: side -> a dict of
        iteration, d_loss, g_loss and js), at most every CHART_INTERVAL
        unless ``force``d (False: not yet); a run's point at or before its
        last is left out."""
        if not force and not self.due():
            return False
        self._last = time.perf_counter()
        data = self.buffer.data
        rows = []
        for name, point in points.items():
            run = name.upper()
            mine = data[data["run"] == run] if len(data) else data
            if len(mine) and mine["iteration"].iloc[-1] >= point["iteration"]:
                continue
            rows.append({**point, "iteration": float(point["iteration"]), "run": run})
        if rows:
            self.buffer.send(pd.DataFrame(rows, columns=CHART_COLUMNS))
        return True

    def forget(self, side: str) -> None:
        """Drop one run's points (it starts over); the other's stay."""
        data = self.buffer.data
        self.buffer.clear()
        kept = data[data["run"] != side.upper()] if len(data) else data
        if len(kept):
            self.buffer.send(kept)

    def clear(self) -> None:
        """Drop every point (both runs start over)."""
        self.buffer.clear()

    def close(self) -> None:
        """Forget the stream's subscribers (a closed session)."""
        hv.streams.Stream.clear(self.buffer)

    def column(self) -> pn.Column:
        """The charts one over the other, under their heading."""
        return pn.Column(pn.pane.HTML("<b>Both runs</b>", margin=(0, 0, 4, 0)), *self.panes.values(),
                         margin=(0, 10))
