"""The timeline: scrub back through the recorded training, and resume from there."""

from __future__ import annotations

import panel as pn
import param
from panel.viewable import Viewer

from ganlab_panel.live.history import History
from ganlab_panel.ui.views.controls import readout

TIMELINE_CSS = """
:host { font-size: 12px; color: #555; }
"""


class TimelineView(Viewer):
    """A slider over the history's moments (the newest at the right end), a
    readout of the moment shown, and "Resume from here" while rewound.

    Dragging the slider rewinds the experiment to that moment (every view shows
    it); playing or stepping from there, or the button, resumes from it and
    drops the later moments.

    Only the user's own move of the slider rewinds: the browser reports it as
    the slider's ``value_throttled`` when the handle is let go (or moved with
    the keys). ``value`` itself also comes back from the browser as an echo of
    what ``sync`` set (a notebook echoes every change, late, and a browser may
    clamp a value it receives before the range that holds it), and an old
    echo must never move the experiment.
    """

    def __init__(self, history: History, on_scrub, on_resume, **params):
        super().__init__(**params)
        self.history = history
        self._on_scrub = on_scrub
        self.slider = pn.widgets.IntSlider(start=0, end=1, value=1, step=1, show_value=False, tooltips=False,
                                           disabled=True,
                                           sizing_mode="stretch_width", margin=(4, 5), css_classes=["ganlab-timeline"])
        self.label = pn.pane.HTML(readout("ganlab-timeline-label", ""), margin=(6, 5), sizing_mode="stretch_width",
                                  stylesheets=[TIMELINE_CSS])
        self.resume = pn.widgets.Button(label="▶ Resume from here", width=140, visible=False, margin=(2, 5),
                                        css_classes=["ganlab-resume"],
                                        description="Train on from the moment shown; the later moments are dropped")
        self.resume.on_click(lambda event: on_resume())
        self._syncing = False
        self.slider.param.watch(self._scrubbed, "value_throttled")
        self.sync()

    def _scrubbed(self, event) -> None:
        if event.new is not None and not self._syncing:
            self._on_scrub(int(event.new))

    def sync(self) -> None:
        """Match the slider to the record (its length, the moment shown)."""
        h = self.history
        n = len(h)
        position = h.position if h.rewound else n - 1
        end, value = max(1, n - 1), max(position, 0)
        if self.slider.end != end or self.slider.value != value:
            # value_throttled too (it stays here: Panel never sends it), so
            # that the user letting go anywhere else is a change
            self._syncing = True
            try:
                with param.edit_constant(self.slider):
                    self.slider.param.update(end=end, value=value, value_throttled=value)
            finally:
                self._syncing = False
        self.slider.disabled = n < 2
        self.resume.visible = h.rewound
        if n == 0:
            text = "Timeline: the record starts when training does."
        else:
            shown = h[max(position, 0)].iteration
            text = (f"Rewound to iteration {shown:,} of {h[-1].iteration:,} (moment {position + 1} of {n}): "
                    "Play, a step or the button resumes from here" if h.rewound else
                    f"Timeline: {n} moment{'s' * (n != 1)} recorded, up to iteration {shown:,}; drag to rewind")
        self.label.object = readout("ganlab-timeline-label", text)

    def __panel__(self):
        return pn.Column(pn.Row(self.slider, self.resume, margin=0, sizing_mode="stretch_width"), self.label,
                         margin=(4, 0), sizing_mode="stretch_width")
