"""The charts: losses, grid divergences and, for the benchmark mixtures, mode
coverage, streaming as training runs."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
from panel.viewable import Viewer

from ganlab_panel.engine.frames import Frame
from ganlab_panel.live import style
from ganlab_panel.ui import plots
from ganlab_panel.ui.document import batch
from ganlab_panel.ui.lean_glyphs import LeanHoloViews
from ganlab_panel.ui.views.deferred import Deferred
from ganlab_panel.ui.views.direct import DirectSources

COLUMNS = ["iteration", "d_loss", "g_loss", "kl", "js", "modes_pct", "hq_pct"]

#: chart -> its curves, as (HoloViews group, column)
CURVES = {
    "loss": (("DLoss", "d_loss"), ("GLoss", "g_loss")),
    "div": (("KL", "kl"), ("JS", "js")),
    "modes": (("Modes", "modes_pct"), ("HQ", "hq_pct")),
}

#: points kept per chart (older ones scroll out).
HISTORY = 5000


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS})


def _modes(frame: Frame) -> tuple:
    """What the Monitor shows of a mixture's modes: captured, of how many, the
    high-quality share, the reverse KL from even and the share truncation leaves out."""
    return (frame.modes, frame.modes_total, frame.high_quality, frame.mode_balance,
            frame.info.get("jacobian_truncation", 0.0))


class ChartsView(Viewer):
    """D and G loss, and grid KL / JS divergence, against iteration; plus the
    current values as text."""

    def __init__(self, height: int = 170, **params):
        super().__init__(**params)
        self.buffer = hv.streams.Buffer(_empty(), length=HISTORY, index=False)
        self._last_iteration = -1
        opts = dict(**plots.CANVAS, responsive=True, height=height, toolbar=None, xlabel="iteration", framewise=True,
                    fontsize={"legend": 9, "labels": 10, "ticks": 9}, hooks=[plots.weak_hook(self._add_mark)])
        def chart(make, **kw):
            return LeanHoloViews(hv.DynamicMap(make, streams=[self.buffer]).opts(**opts), keep_muted=True,
                                 linked_axes=False, margin=0, sizing_mode="stretch_width", **kw)
        self.losses = chart(plots.loss_chart)
        self.divergences = chart(plots.divergence_chart)
        # shown only for the benchmark mixtures (ring8, grid25): it joins the
        # page the first time one is trained on
        self.modes = chart(plots.modes_chart, visible=False, css_classes=["ganlab-modes-chart"])
        self._modes_box = Deferred(lambda: [self.modes], sizing_mode="stretch_width")
        self._direct = {"loss": DirectSources(self.losses), "div": DirectSources(self.divergences),
                        "modes": DirectSources(self.modes)}
        self._rows = {c: [] for c in COLUMNS}   # what the charts show, when streamed directly
        self._marks: dict[int, object] = {}     # the rewound moment's line, per Bokeh figure
        # one pane for the values: one update a frame, not one per value
        self.values = pn.pane.HTML(stylesheets=[":host { font-size: 13px; }"], margin=(0, 0, 4, 0))
        self._show(np.nan, np.nan, np.nan, np.nan)

    def update(self, frame: Frame) -> None:
        """Add the frame's values (once per iteration) and show them."""
        mixture = frame.modes_total is not None
        if mixture:
            self._modes_box.build()
        if self.modes.visible != mixture:
            self.modes.visible = mixture
        self._show(frame.d_loss, frame.g_loss, frame.kl, frame.js, _modes(frame) if mixture else None)
        if frame.iteration == self._last_iteration:
            return
        if frame.iteration < self._last_iteration:
            self.reset()
        self._last_iteration = frame.iteration
        row = {"iteration": float(frame.iteration), "d_loss": frame.d_loss, "g_loss": frame.g_loss,
               "kl": frame.kl, "js": frame.js,
               "modes_pct": 100.0 * frame.modes / frame.modes_total if mixture and frame.modes is not None else np.nan,
               "hq_pct": 100.0 * frame.high_quality if mixture and frame.high_quality is not None else np.nan}
        if all(direct.rendered for direct in self._shown_charts().values()):
            with batch():  # see views/direct.py: safe from unlocked callbacks too
                self._stream(row)
        else:
            self.buffer.send(pd.DataFrame({k: [v] for k, v in row.items()}))

    def _stream(self, row: dict) -> None:
        """Append one point to each curve in the browser and fit the axes."""
        for c in COLUMNS:
            self._rows[c].append(row[c])
            del self._rows[c][:-HISTORY]
        for chart, direct in self._shown_charts().items():
            groups = CURVES[chart]
            for group, col in groups:
                # fresh arrays for every curve: Bokeh may keep what it is given as
                # the column itself, and a list shared by two curves would grow twice
                direct.stream(group, {"iteration": np.array([row["iteration"]]), col: np.array([row[col]])},
                              rollover=HISTORY)
            self._fit(chart)

    def _shown_charts(self) -> dict[str, DirectSources]:
        """The charts shown (the mode chart only for a mixture: its curves
        start with the next experiment)."""
        return {chart: direct for chart, direct in self._direct.items() if chart != "modes" or self.modes.visible}

    def _fit(self, chart: str) -> None:
        """Fit a chart's axes to the points it shows."""
        direct, groups = self._direct[chart], CURVES[chart]
        x = self._rows["iteration"]
        if not x:
            return
        ys = np.array([self._rows[col] for _, col in groups], dtype=float)
        lo, hi = (np.nanmin(ys), np.nanmax(ys)) if np.isfinite(ys).any() else (0.0, 1.0)
        pad = max(hi - lo, 1e-3) * 0.08
        for r in direct.handle("x_range"):
            r.update(start=x[0], end=max(x[-1], x[0] + 1))
        if chart == "modes":
            return  # percentages: the axis stays 0-105
        for r in direct.handle("y_range"):
            r.update(start=lo - pad, end=hi + pad)

    def show(self, frame: Frame) -> None:
        """Show a frame's values without charting them (a rewound moment), and
        mark its iteration on every chart."""
        mixture = frame.modes_total is not None
        self._show(frame.d_loss, frame.g_loss, frame.kl, frame.js, _modes(frame) if mixture else None)
        self.mark(frame.iteration)

    def _add_mark(self, plot, element) -> None:
        """HoloViews hook: each chart figure gets its (hidden) line for a rewound moment."""
        from bokeh.models import Span

        figure = plot.state
        if id(figure) not in self._marks:
            span = Span(location=0, dimension="height", line_color="#555555", line_dash="dashed", line_width=1,
                        visible=False, tags=["ganlab-mark"])
            figure.add_layout(span)
            self._marks[id(figure)] = span

    def marks(self) -> list[float]:
        """Where the dashed line of a rewound moment stands, on each chart that shows it."""
        return [span.location for span in self._marks.values() if span.visible]

    def drawn_curves(self) -> list[dict]:
        """The columns of every curve of the charts shown, as sent to the browser."""
        return [dict(source.data) for direct in self._direct.values() if direct.pane.visible
                for source in direct.all_sources()]

    def mark(self, iteration: int | None) -> None:
        """A dashed line across each chart at ``iteration`` (None: no line)."""
        spans = list(self._marks.values())
        if iteration is None and not any(span.visible for span in spans):
            return
        with batch():  # see views/direct.py: safe from unlocked callbacks too
            for span in spans:
                span.update(location=iteration if iteration is not None else span.location,
                            visible=iteration is not None)

    def truncate(self, iteration: int) -> None:
        """Drop the points after ``iteration`` (training resumes from a rewound moment)."""
        history = self.history
        kept = history[history["iteration"] <= iteration].reset_index(drop=True)
        if len(kept) == len(history):
            return
        self.reset()
        if not len(kept):
            return
        self._last_iteration = int(kept["iteration"].iloc[-1])
        if not all(direct.rendered for direct in self._shown_charts().values()):
            self.buffer.send(kept)
            return
        self._rows = {c: [float(v) for v in kept[c]] for c in COLUMNS}
        with batch():  # see views/direct.py: safe from unlocked callbacks too
            for chart, groups in CURVES.items():
                for group, col in groups:
                    for source in self._direct[chart].sources(group):
                        source.data = {"iteration": np.array(self._rows["iteration"]),
                                       col: np.array(self._rows[col])}
                self._fit(chart)

    def _show(self, d_loss: float, g_loss: float, kl: float, js: float, modes: tuple | None = None) -> None:
        fmt = lambda v: "–" if not np.isfinite(v) else f"{v:.4f}"  # noqa: E731
        text = (f'D loss <span class="ganlab-d-loss" style="color:{style.D_BLUE}">{fmt(d_loss)}</span> &nbsp; '
                f'G loss <span class="ganlab-g-loss" style="color:{style.G_PURPLE}">{fmt(g_loss)}</span><br>'
                f'KL <span class="ganlab-kl">{fmt(kl)}</span> &nbsp; JS <span class="ganlab-js">{fmt(js)}</span>')
        if modes is not None:
            captured, total, hq, balance, truncation = modes
            left_out = (f' <span class="ganlab-truncation" title="Jacobian-based truncation: the samples G '
                        f'stretches most are left out of every sample shown and measured">'
                        f'({100 * truncation:.3g} % left out)</span>' if truncation else '')
            text += (f'<br>modes <span class="ganlab-modes">{"–" if captured is None else captured}/{total}</span>'
                     f' &nbsp; high quality <span class="ganlab-hq">'
                     f'{"–" if hq is None else f"{100 * hq:.1f} %"}</span>{left_out}'
                     f'<br><span title="How unevenly the high-quality samples spread over the modes: the reverse '
                     f'KL divergence of their histogram from the even one (0 = every mode as often)">'
                     f'reverse KL from even</span> <span class="ganlab-mode-balance">'
                     f'{"–" if balance is None else f"{balance:.3f}"}</span>')
        if text != self.values.object:
            self.values.object = text

    def reset(self) -> None:
        """Start the curves over (a new experiment)."""
        self._last_iteration = -1
        self._rows = {c: [] for c in COLUMNS}
        self.buffer.clear()  # Buffer.clear empties the data and sends it: HoloViews redraws empty charts
        # ...but only the first DynamicMap on the shared Buffer redraws: empty every curve directly
        with batch():  # see views/direct.py: safe from unlocked callbacks too
            for direct in self._direct.values():
                for source in direct.all_sources():
                    if len(next(iter(source.data.values()), ())):
                        source.data = {k: np.array([], dtype=float) for k in source.data}

    @property
    def history(self) -> pd.DataFrame:
        """Every point the charts show."""
        if self._rows["iteration"]:
            streamed = pd.DataFrame(self._rows)
            return pd.concat([self.buffer.data, streamed], ignore_index=True) if len(self.buffer.data) else streamed
        return self.buffer.data.copy()

    def clear(self) -> None:
        """Forget the stream's subscribers (a closed session)."""
        hv.streams.Stream.clear(self.buffer)

    def __panel__(self):
        return pn.Column(
            pn.pane.HTML("<b>Monitor</b>", margin=(0, 0, 4, 0)),
            self.values,
            self.losses,
            self.divergences,
            self._modes_box,
            margin=0, sizing_mode="stretch_width", css_classes=["ganlab-monitor"],
        )
