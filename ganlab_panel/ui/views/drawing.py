"""Drawing your own data: freehand strokes and tapped points on the plot's square."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import panel as pn
import param
from panel.viewable import Viewer

from ganlab_panel.engine.data import validate_points
from ganlab_panel.live import style
from ganlab_panel.ui import plots
from ganlab_panel.ui.document import editable_source

#: spacing (plot units) at which freehand strokes are resampled into points.
STROKE_STEP = 0.01


def stroke_points(xs: list, ys: list, step: float = STROKE_STEP) -> np.ndarray:
    """Points every ``step`` along each stroke (and the vertices themselves, a
    vertex repeated at once counted once), so a quick stroke counts as much as
    a slow one."""
    out = []
    for x, y in zip(xs, ys):
        p = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
        p = p[np.isfinite(p).all(axis=1)]
        p = p[np.r_[True, (np.diff(p, axis=0) != 0).any(axis=1)]] if len(p) else p
        if len(p) == 0:
            continue
        out.append(p)
        for a, b in zip(p[:-1], p[1:]):
            n = int(np.linalg.norm(b - a) // step)
            if n > 0:
                t = np.linspace(0, 1, n + 2)[1:-1, None]
                out.append(a + t * (b - a))
    return np.vstack(out) if out else np.empty((0, 2))


class DrawingView(Viewer):
    """A square canvas where the user draws strokes (drag) and adds points (tap).

    ``points()`` returns everything drawn; ``Done`` hands it to ``on_done``.
    """

    tapped = param.Array(default=np.empty((0, 2)), doc="Points added by tapping.")

    def __init__(self, on_done, on_cancel, size: int | None = None, **params):
        super().__init__(**params)
        self._on_done = on_done
        self._on_cancel = on_cancel
        self.stroke_pipe = hv.streams.Pipe(data=[])
        self.strokes = hv.DynamicMap(
            lambda data: hv.Path(data or [], kdims=["x", "y"]).opts(color=style.REAL, line_width=8, alpha=0.35,
                                                                    hooks=[editable_source], **plots.FIXED_FRAME),
            streams=[self.stroke_pipe])
        self.freehand = hv.streams.FreehandDraw(source=self.strokes, tooltip="Draw data")
        self.tap = hv.streams.Tap(source=self.strokes, x=None, y=None)
        self.tap.add_subscriber(self._on_tap)
        self.tap_pipe = hv.streams.Pipe(data=None)
        self.reference_pipe = hv.streams.Pipe(data=None)
        tapped = hv.DynamicMap(lambda data: plots.drawn_points(data), streams=[self.tap_pipe])
        reference = hv.DynamicMap(lambda data: plots.samples(data, "#bbbbbb", "Reference", size=3, hover=False),
                                  streams=[self.reference_pipe])
        self.overlay = (reference * self.strokes * tapped).opts(
            **plots.CANVAS, **plots.square(size), xlim=(0, 1), ylim=(0, 1), xaxis=None, yaxis=None,
            bgcolor="white", toolbar=None, border=0, show_legend=False,
            default_tools=[], active_tools=["freehand_draw"])
        self.plot = pn.pane.HoloViews(linked_axes=False, object=self.overlay, margin=0, css_classes=["ganlab-drawing"],
                                      **plots.square_pane(size))
        self.done_button = pn.widgets.Button(label="Done: train on my data", color="primary",
                                             css_classes=["ganlab-draw-done"])
        self.clear_button = pn.widgets.Button(label="Clear", css_classes=["ganlab-draw-clear"])
        self.cancel_button = pn.widgets.Button(label="Cancel", css_classes=["ganlab-draw-cancel"])
        self.done_button.on_click(lambda e: self._on_done(self.points()))
        self.clear_button.on_click(lambda e: self.reset())
        self.cancel_button.on_click(lambda e: self._on_cancel())

    def _on_tap(self, x=None, y=None, **kwargs):
        if x is None or y is None or not (0 <= x <= 1 and 0 <= y <= 1):
            return
        self.tapped = np.vstack([self.tapped, [[x, y]]])
        self.tap_pipe.send(self.tapped)

    def add_points(self, points) -> None:
        """Add points as if tapped (for scripts and tests)."""
        pts = validate_points(points)
        self.tapped = np.vstack([self.tapped, pts])
        self.tap_pipe.send(self.tapped)

    def points(self) -> np.ndarray:
        """All drawn points: resampled strokes and tapped points."""
        data = self.freehand.data or {}
        strokes = stroke_points(data.get("xs", []), data.get("ys", []))
        pts = np.vstack([strokes, self.tapped]) if len(self.tapped) else strokes
        inside = ((pts >= 0) & (pts <= 1)).all(axis=1) if len(pts) else np.zeros(0, bool)
        return pts[inside]

    def show_reference(self, real: np.ndarray | None) -> None:
        self.reference_pipe.send(real)

    def reset(self) -> None:
        """Remove every stroke and point: from the canvas, and from what
        ``points()`` reads (the strokes the browser last reported)."""
        self.tapped = np.empty((0, 2))
        self.tap_pipe.send(None)
        self.stroke_pipe.send([])
        self.freehand.update(data={})

    def clear(self) -> None:
        for stream in (self.freehand, self.tap, self.tap_pipe, self.reference_pipe, self.stroke_pipe):
            stream.clear()

    def __panel__(self):
        return pn.Column(
            pn.pane.HTML("<b>Draw your data</b>: drag to paint strokes, tap to add single points.",
                         margin=(0, 0, 4, 0)),
            self.plot,
            pn.Row(self.done_button, self.clear_button, self.cancel_button, margin=0),
            margin=0, sizing_mode="stretch_width",
        )
