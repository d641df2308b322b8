"""The top bar: timeline controls, the iteration counter, data choice, pretrained
models, saving and loading."""

from __future__ import annotations

import functools
import html
import time

import numpy as np
import panel as pn
from panel.viewable import Viewer

from .. import plots, style
from ..data import DISTRIBUTIONS, EXTRA_DISTRIBUTIONS
from ..runner import SPEEDS
from .upload import UploadBox

BAR_CSS = """
:host { background: #eeeeee; border-bottom: 2px solid #dddddd; padding: 6px 12px; }
"""
COUNTER_CSS = """
:host { font-size: 26px; color: #666666; font-variant-numeric: tabular-nums; min-width: 120px; }
"""
TITLE_HTML = "<span style='font-size:30px;color:#444'><b>GAN</b> Lab</span>"

#: the menu of data beyond GAN Lab's four shapes: label -> distribution
MORE_DATA = {
    "More data…": "",
    "Ring of 8 (benchmark)": "ring8",
    "Grid of 25 (benchmark)": "grid25",
    "Spiral": "spiral",
    "Two moons": "moons",
    "Checkerboard": "checkerboard",
    "Swiss roll": "swiss_roll",
}
assert set(MORE_DATA.values()) - {""} == set(EXTRA_DISTRIBUTIONS)


@functools.lru_cache(maxsize=None)
def distribution_icon(name: str) -> str:
    """The distribution's thumbnail: 150 of its points as an SVG."""
    return plots.points_svg(DISTRIBUTIONS[name](np.random.default_rng(1), 150))


def readout(css_class: str, text: str, style_: str = "") -> str:
    """A text readout whose element itself carries the ``ganlab-...`` class, so
    its text can be read where the class is found."""
    return f'<span class="{css_class}" style="{style_}">{html.escape(text)}</span>'


def format_iteration(n: int) -> str:
    """GAN Lab's counter: zero-padded to six digits, with thousands commas."""
    return f"{n:06d}"[:-3] + "," + f"{n:06d}"[-3:] if n < 1_000_000 else f"{n:,}"


class ControlsView(Viewer):
    """Buttons and readouts; every one carries a ``ganlab-<name>`` CSS class."""

    def __init__(self, app, **params):
        super().__init__(**params)
        self.app = app
        runner = app.runner
        B = pn.widgets.Button
        self.reset = B(label="↺ Reset", width=80, css_classes=["ganlab-reset"])
        self.play = B(label="Play", color="primary", width=90, css_classes=["ganlab-play"])
        self.slow = pn.widgets.Toggle(label="Slow motion", width=110, css_classes=["ganlab-slow"])
        self.step_d = B(label="Train D one step", width=130, css_classes=["ganlab-step-d"],
                        styles={"color": style.D_BLUE})
        self.step_g = B(label="Train G one step", width=130, css_classes=["ganlab-step-g"],
                        styles={"color": style.G_PURPLE})
        self.step = B(label="One iteration", width=110, css_classes=["ganlab-step"])
        self.iteration = pn.pane.HTML(readout("ganlab-iteration", format_iteration(0)),
                                      stylesheets=[COUNTER_CSS], margin=(0, 5))
        self.speed = pn.widgets.Select(label="Speed", options=SPEEDS, value=runner.iterations_per_frame,
                                       width=230, css_classes=["ganlab-speed"])
        self.speed.link(runner, value="iterations_per_frame")
        self.rates = pn.pane.HTML(readout("ganlab-rates", ""), margin=(0, 5),
                                  stylesheets=[":host { font-size: 11px; color: #777; }"])
        self._rates_shown = 0.0
        runner.param.watch(self._rates_changed, "playing")
        self.distributions = [
            # no hover tooltips here: they would cover the neighbouring buttons
            B(label=name, icon=distribution_icon(name), icon_size="30px", width=80, height=48,
              css_classes=[f"ganlab-distribution-{name}"], color="light",
              stylesheets=[".bk-btn { font-size: 10px; padding: 2px; }"])
            for name in DISTRIBUTIONS
        ]
        for name, button in zip(DISTRIBUTIONS, self.distributions):
            button.on_click(functools.partial(self._choose, name))
        self.more_data = pn.widgets.Select(options=MORE_DATA, value="", width=210, css_classes=["ganlab-more-data"],
                                           margin=(2, 5))
        self._showing_selection = False
        self.more_data.param.watch(self._more_data_chosen, "value")
        self.draw = B(label="✎ Draw", width=80, height=48, css_classes=["ganlab-draw"], color="light")
        self.draw.on_click(lambda e: app.start_drawing())
        self.pretrained = pn.widgets.Checkbox(label="Use pre-trained model", value=app.use_pretrained,
                                              css_classes=["ganlab-pretrained"])
        self.pretrained.link(app, value="use_pretrained", bidirectional=True)
        def download(kind, label, filename, width, css, stem="ganlab"):
            return pn.widgets.FileDownload(callback=lambda: app.download(kind, stem), filename=filename,
                                           label=label, color="light", width=width, css_classes=[css])

        def export(kind, label, filename, width):
            return download(kind, label, filename, width, f"ganlab-export-{kind}")

        self.save = download("checkpoint", "Save model", "ganlab-model.pt", 120, "ganlab-save")
        # GAN Lab loads the pair by these names
        self.save_ganlab = download("ganlab", "Save for GAN Lab", "ganlab-model-ganlab.zip", 140,
                                    "ganlab-save-ganlab", stem="ganlab_trained_model")
        self.export_png = export("png", "PNG", "ganlab.png", 70)
        self.export_gif = export("gif", "GIF", "ganlab.gif", 70)       # the recorded run, as a film
        self.export_config = export("config", "Settings", "ganlab-config.json", 90)
        self.upload = UploadBox(on_files=app.load_files, on_refused=app.upload_refused,
                                accept=".pt,.json,.bin,.zip,.csv", width=230, css_classes=["ganlab-upload"])

        home = runner.home   # a click may arrive on another thread (a notebook's comm)
        self.reset.on_click(lambda e: home.run(app.reset))
        self.play.on_click(lambda e: runner.toggle())
        self.step_d.on_click(lambda e: home.run(runner.step_d))
        self.step_g.on_click(lambda e: home.run(runner.step_g))
        self.step.on_click(lambda e: home.run(runner.step))
        self.slow.link(runner, value="slow", bidirectional=True)
        runner.param.watch(self._playing_changed, "playing")

    def _rates_changed(self, event):
        if not event.new:
            self.show_rates()   # paused: no rates to show

    def show_rates(self) -> None:
        """The measured training and frame rates, at most twice a second (a
        readout to glance at), or nothing when paused."""
        now = time.perf_counter()
        r = self.app.runner
        if r.playing and now - self._rates_shown < 0.5:
            return
        self._rates_shown = now
        text = (f"{r.iterations_per_second:,.0f} it/s · {r.frames_per_second:.1f} frames/s"
                if r.playing and r.frames_per_second > 0 else "")
        self.rates.object = readout("ganlab-rates", text)

    def _choose(self, name, event=None):
        self.app.choose_distribution(name)

    def _more_data_chosen(self, event):
        if event.new and not self._showing_selection:
            self.app.choose_distribution(event.new)

    def _playing_changed(self, event):
        self.play.label = "Pause" if event.new else "Play"
        self.play.color = "warning" if event.new else "primary"

    def set_selected(self, distribution: str) -> None:
        for name, button in zip(DISTRIBUTIONS, self.distributions):
            button.color = "primary" if name == distribution else "light"
        self.draw.color = "primary" if distribution == "drawing" else "light"
        self._showing_selection = True
        try:
            self.more_data.value = distribution if distribution in EXTRA_DISTRIBUTIONS else ""
        finally:
            self._showing_selection = False

    def set_iteration(self, n: int) -> None:
        self.iteration.object = readout("ganlab-iteration", format_iteration(n))

    def __panel__(self):
        timeline = pn.Row(self.reset, self.play, self.slow, margin=0, align="center")
        steps = pn.Row(self.step_d, self.step_g, self.step, margin=0, align="center")
        counter = pn.Column(pn.pane.HTML("<span style='font-size:12px;color:#222'>Iteration</span>", margin=(0, 5)),
                            self.iteration, margin=0)
        data = pn.Column(pn.pane.HTML("<span style='font-size:12px;color:#222'>DATA DISTRIBUTION</span>",
                                      margin=(0, 5)),
                         pn.Row(*self.distributions, self.draw, margin=0),
                         pn.Row(self.pretrained, self.more_data, margin=0), margin=0)
        files = pn.Column(pn.Row(self.save, self.save_ganlab, margin=0),
                          pn.Row(self.export_png, self.export_gif, self.export_config, margin=0),
                          self.upload, margin=0)
        # the groups wrap onto a second line where the page (or a notebook's
        # output, beside JupyterLab's side panel) is too narrow for one
        return pn.Column(
            pn.FlexBox(pn.pane.HTML(TITLE_HTML, margin=(5, 20, 0, 5)), timeline, counter,
                       pn.Column(self.speed, self.rates, margin=0), data, files,
                       flex_wrap="wrap", align_items="center", margin=0, sizing_mode="stretch_width"),
            steps,
            stylesheets=[BAR_CSS], sizing_mode="stretch_width", margin=0,
        )
