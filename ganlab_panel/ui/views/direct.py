"""Per-frame data straight into the Bokeh sources behind a HoloViews pane.

HoloViews builds and composes the plots: a view's DynamicMap renders once, and
again whenever its *structure* changes (a layer switched on or off, a layer
gaining or losing data). Between those, frames only change numbers, and
re-running HoloViews' whole update for that costs tens of milliseconds a frame.
``DirectSources`` instead writes each layer's new columns into the
ColumnDataSource HoloViews made for it (found by the layer's group name), which
Bokeh sends to the browser as one small binary patch.

Every such write happens inside ``document.batch()``. Panel runs async
callbacks (Reset, the step buttons) without Bokeh's document lock; a model
changed there outside a hold makes Bokeh's server raise. Inside a hold, Panel
writes the change to the browser itself, locked or not; in a notebook, the
batch sends it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import param

from ganlab_panel.ui.document import batch

if TYPE_CHECKING:
    import panel as pn


class DirectSources:
    """The data sources of every rendering of ``pane`` (one per browser tab or
    notebook output), by layer group name."""

    def __init__(self, pane: pn.pane.HoloViews):
        self.pane = pane

    def plots(self) -> list:
        # Panel keeps the HoloViews plot of each rendered root here.
        return [plot for plot, _ in list(getattr(self.pane, "_plots", {}).values())]

    @property
    def rendered(self) -> bool:
        return bool(self.plots())

    @staticmethod
    def _layers(plot) -> dict[str, Any]:
        subplots = getattr(plot, "subplots", None) or {}
        # an overlay's subplots are keyed (group, label); our layers have one group each
        return {key[0] if isinstance(key, tuple) else str(key): sp for key, sp in subplots.items()}

    def sources(self, group: str) -> list:
        out = []
        for plot in self.plots():
            sp = self._layers(plot).get(group)
            source = sp.handles.get("source") if sp is not None else None
            if source is not None:
                out.append(source)
        return out

    def all_sources(self) -> list:
        """Every layer's data source, in every rendering."""
        out = []
        for plot in self.plots():
            for layer in self._layers(plot).values():
                source = layer.handles.get("source")
                if source is not None:
                    out.append(source)
        return out

    def push(self, columns: dict[str, dict]) -> bool:
        """Replace the given columns of each named layer; False if nothing is
        rendered. A layer whose columns equal what it shows is not sent again."""
        plots = self.plots()
        if not plots:
            return False
        with batch():
            for plot in plots:
                layers = self._layers(plot)
                for group, cols in columns.items():
                    sp = layers.get(group)
                    source = sp.handles.get("source") if sp is not None else None
                    if source is not None and not _same_columns(source.data, cols):
                        source.data.update(cols)
        return True

    def stream(self, group: str, rows: dict, rollover: int) -> bool:
        """Append rows to a layer's source (Bokeh sends only the new rows)."""
        sources = self.sources(group)
        with batch():
            for source in sources:
                source.stream(rows, rollover=rollover)
        return bool(sources)

    def handle(self, name: str) -> list:
        """A Bokeh model every rendering has, e.g. ``"x_range"``."""
        return [plot.handles[name] for plot in self.plots() if name in getattr(plot, "handles", {})]


class FastPipe:
    """A view's Pipe, with its per-frame data written straight into the Bokeh
    sources while the view's structure (which layers have data) stays the same;
    HoloViews renders whenever it changes, or when nothing is rendered yet."""

    def __init__(self, pipe, pane: pn.pane.HoloViews):
        self.pipe = pipe
        self.direct = DirectSources(pane)
        self.structure: tuple | None = None

    def send(self, data: dict, structure: tuple, columns) -> None:
        """``columns(data)`` gives the Bokeh columns of each layer, by group."""
        if structure == self.structure and self.direct.push(columns(data)):
            remember(self.pipe, data)
            return
        self.structure = structure
        self.pipe.send(data)

    def invalidate(self) -> None:
        """Let HoloViews draw the next data in full (e.g. a layer was switched)."""
        self.structure = None


def _same_columns(current, new: dict) -> bool:
    for key, value in new.items():
        old = current.get(key)
        if old is None:
            return False
        if key == "image":
            old, value = old[0], value[0]
        old, value = np.asarray(old), np.asarray(value)
        if old.shape != value.shape or old.dtype != value.dtype or not np.array_equal(old, value):
            return False
    return True


def remember(stream, data) -> None:
    """Store ``data`` as a stream's current value without triggering it, so a
    later full render (a new tab, a notebook re-display) starts from it."""
    with param.edit_constant(stream):
        stream.data = data


def image_columns(values) -> dict:
    """An image layer's new pixels (row 0 at the bottom, as Bokeh draws it);
    bytes stay bytes, anything else is sent as float32."""
    values = np.asarray(values)
    dtype = np.uint8 if values.dtype == np.uint8 else np.float32
    return {"image": [np.ascontiguousarray(values, dtype=dtype)]}


def point_columns(xy) -> dict:
    xy = np.asarray(xy, dtype=np.float32).reshape(-1, 2)
    return {"x": xy[:, 0], "y": xy[:, 1]}


def segment_columns(segs) -> dict:
    segs = np.asarray(segs, dtype=np.float32).reshape(-1, 4)
    return {"x0": segs[:, 0], "y0": segs[:, 1], "x1": segs[:, 2], "y1": segs[:, 3]}


__all__ = ["DirectSources", "FastPipe", "image_columns", "point_columns", "remember", "segment_columns"]
