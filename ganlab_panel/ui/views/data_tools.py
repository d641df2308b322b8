"""Hands on the data: tap and drag on the layered plot itself, while it trains.

With "Edit data" on, a tap on the layered plot adds a real point there and a
drag paints a stroke of them (resampled along the stroke, as the drawing
canvas does); in Erase mode a tap or a drag removes the points near it. Undo
takes back the last change, Clear every change since editing began. What the
gestures mean is the lab's (``on_add``, ``on_erase``, ``on_undo``,
``on_clear``); this view only reads them off the plot. The readout
``ganlab-data-count`` says how many points the real data has.
"""

from __future__ import annotations

import weakref

import numpy as np
import panel as pn
import param
from bokeh import events
from panel.viewable import Viewer

from ganlab_panel.ui.views.deferred import Deferred
from ganlab_panel.ui.views.drawing import stroke_points
from ganlab_panel.ui.widgets import Button

#: how near (plot units) a point must be to a tap or stroke in Erase mode to go
ERASE_RADIUS = 0.04

#: what a gesture on the plot does, in each mode
HINTS = {"add": "Tap the plot to add a real point, drag to paint a stroke.",
         "erase": "Tap or drag over points to rub them out."}


def count_html(count: int, drawing: bool) -> str:
    what = "points in your data" if drawing else "real samples shown"
    return (f'<span class="ganlab-data-count" data-count="{count}" style="font-size:12px;color:#555">'
            f"{count:,} {what}</span>")


class DataTools(Viewer):
    """The editing switch, its tools, and the count of real points."""

    editing = param.Boolean(default=False, doc="Taps and drags on the layered plot edit the real data.")
    mode = param.Selector(default="add", objects=["add", "erase"], doc="What a tap or a drag does.")

    def __init__(self, *, on_add, on_erase, on_undo, on_clear, **params):
        super().__init__(**params)
        self._on_add, self._on_erase = on_add, on_erase
        self._stroke: list[tuple[float, float]] = []
        self._listening: weakref.WeakSet = weakref.WeakSet()
        self.toggle = Button(label="✎ Edit data", width=110, margin=(2, 4), css_classes=["ganlab-edit-data"],
                             description="Tap the plot to add real points, drag to paint them, even while "
                                         "training plays")
        self.toggle.on_click(lambda e: self.param.update(editing=not self.editing))
        self.count = pn.pane.HTML(count_html(0, False), margin=(8, 4))

        def tools() -> list:
            mode = pn.widgets.RadioButtonGroup.from_param(self.param.mode, options={"Add": "add", "Erase": "erase"},
                                                          button_type="light", margin=(2, 4),
                                                          css_classes=["ganlab-data-mode"])
            undo = Button(label="Undo", width=60, margin=(2, 4), css_classes=["ganlab-data-undo"],
                          description="Take back the last change to the data")
            undo.on_click(lambda e: on_undo())
            clear = Button(label="Clear", width=60, margin=(2, 4), css_classes=["ganlab-data-clear"],
                           description="Take back every change since editing began")
            clear.on_click(lambda e: on_clear())
            return [pn.Row(mode, undo, clear, margin=0), self.hint]

        self.hint = pn.pane.HTML(self._hint_html(), margin=(0, 4))
        self._tools = Deferred(tools, visible=False)

    @param.depends("editing", watch=True)
    def _editing_changed(self) -> None:
        if self.editing:
            self._tools.build()
        self._tools.box.visible = self.editing
        self.toggle.param.update(button_type="primary" if self.editing else "default",
                                 label="✓ Done editing" if self.editing else "✎ Edit data")
        self._stroke = []

    def _hint_html(self) -> str:
        return f'<span class="ganlab-data-hint" style="font-size:12px;color:#555">{HINTS[self.mode]}</span>'

    @param.depends("mode", watch=True)
    def _mode_changed(self) -> None:
        self.hint.object = self._hint_html()

    def show_count(self, count: int, drawing: bool) -> None:
        self.count.object = count_html(count, drawing)

    def _apply(self, points: np.ndarray) -> None:
        if len(points):
            (self._on_add if self.mode == "add" else self._on_erase)(points)

    def listen(self, figure) -> None:
        """Take taps and drags from a Bokeh figure of the layered plot (once per figure)."""
        if figure in self._listening:
            return
        self._listening.add(figure)
        # a second tap soon after a first comes as a double tap: a tap all the same
        figure.on_event(events.Tap, self._tapped)
        figure.on_event(events.DoubleTap, self._tapped)
        for event in (events.PanStart, events.Pan, events.PanEnd, events.Press, events.PressUp):
            figure.on_event(event, self._dragged)

    def _tapped(self, event) -> None:
        if self.editing and event.x is not None and event.y is not None:
            self._apply(np.array([[event.x, event.y]], dtype=float))

    def _dragged(self, event) -> None:
        # A button held still for 0.3 s and let go is a press (Bokeh reports where
        # it went down and where it came up): a long press adds a point there. A
        # press whose pointer then moves goes on as a pan from where it went down
        # (``bokehjs.PRESS_THEN_DRAG_JS``): a stroke like any other.
        if not self.editing or event.x is None or event.y is None:
            return
        if isinstance(event, (events.PanStart, events.Press)):
            self._stroke = []
        self._stroke.append((event.x, event.y))
        if isinstance(event, (events.PanEnd, events.PressUp)):
            xs, ys = zip(*self._stroke)
            self._stroke = []
            points = stroke_points([xs], [ys])
            # a stroke may overshoot the plot's edge: what lies inside the square counts
            self._apply(points[((points >= 0) & (points <= 1)).all(axis=1)])

    def clear(self) -> None:
        """A closed session: taps and drags are no longer taken."""
        self.editing = False

    def __panel__(self):
        # the switch and the count on one line; the tools under them while editing
        return pn.Column(pn.Row(self.toggle, self.count, margin=0), self._tools.box, margin=0,
                         sizing_mode="stretch_width")
