"""The charts: losses and grid divergences, streaming as training runs."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
from panel.viewable import Viewer

from .. import plots, style
from ..frames import Frame

COLUMNS = ["iteration", "d_loss", "g_loss", "kl", "js"]

#: points kept per chart (older ones scroll out).
HISTORY = 5000


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS})


class ChartsView(Viewer):
    """D and G loss, and grid KL / JS divergence, against iteration; plus the
    current values as text."""

    def __init__(self, width: int = 290, height: int = 210, **params):
        super().__init__(**params)
        self.buffer = hv.streams.Buffer(_empty(), length=HISTORY, index=False)
        self._last_iteration = -1
        opts = dict(width=width, height=height, toolbar=None, xlabel="iteration", framewise=True,
                    fontsize={"legend": 9, "labels": 10, "ticks": 9})
        self.losses = pn.pane.HoloViews(linked_axes=False, object=
            hv.DynamicMap(plots.loss_chart, streams=[self.buffer]).opts(**opts), margin=0)
        self.divergences = pn.pane.HoloViews(linked_axes=False, object=
            hv.DynamicMap(plots.divergence_chart, streams=[self.buffer]).opts(**opts), margin=0)
        css = [":host { font-size: 13px; margin: 0 10px 0 0; }"]
        self.d_loss = pn.pane.HTML(stylesheets=css)
        self.g_loss = pn.pane.HTML(stylesheets=css)
        self.kl = pn.pane.HTML(stylesheets=css)
        self.js = pn.pane.HTML(stylesheets=css)
        self._show(np.nan, np.nan, np.nan, np.nan)

    def update(self, frame: Frame) -> None:
        """Add the frame's values (once per iteration) and show them."""
        self._show(frame.d_loss, frame.g_loss, frame.kl, frame.js)
        if frame.iteration == self._last_iteration:
            return
        if frame.iteration < self._last_iteration:
            self.reset()
        self._last_iteration = frame.iteration
        row = pd.DataFrame({"iteration": [float(frame.iteration)], "d_loss": [frame.d_loss],
                            "g_loss": [frame.g_loss], "kl": [frame.kl], "js": [frame.js]})
        self.buffer.send(row)

    def _show(self, d_loss: float, g_loss: float, kl: float, js: float) -> None:
        fmt = lambda v: "–" if not np.isfinite(v) else f"{v:.4f}"  # noqa: E731
        self.d_loss.object = f'D loss <span class="ganlab-d-loss" style="color:{style.D_BLUE}">{fmt(d_loss)}</span>'
        self.g_loss.object = f'G loss <span class="ganlab-g-loss" style="color:{style.G_PURPLE}">{fmt(g_loss)}</span>'
        self.kl.object = f'KL <span class="ganlab-kl">{fmt(kl)}</span>'
        self.js.object = f'JS <span class="ganlab-js">{fmt(js)}</span>'

    def reset(self) -> None:
        """Start the curves over (a new experiment)."""
        self._last_iteration = -1
        self.buffer.clear()  # Buffer.clear empties the data and sends it

    @property
    def history(self) -> pd.DataFrame:
        return self.buffer.data.copy()

    def clear(self) -> None:
        """Forget the stream's subscribers (a closed session)."""
        hv.streams.Stream.clear(self.buffer)

    def __panel__(self):
        return pn.Column(
            pn.pane.HTML("<b>Monitor</b>", margin=(0, 0, 4, 0)),
            pn.Row(self.d_loss, self.g_loss, margin=0),
            self.losses,
            pn.Row(self.kl, self.js, margin=0),
            self.divergences,
            margin=0,
        )
