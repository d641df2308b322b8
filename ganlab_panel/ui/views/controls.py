"""The top bar: timeline controls, the iteration counter, data choice, pretrained
models, saving and loading."""

from __future__ import annotations

import functools
import html
import time

import numpy as np
import panel as pn
from panel.viewable import Viewer

from ganlab_panel.engine.data import DISTRIBUTIONS, EXTRA_DISTRIBUTIONS
from ganlab_panel.live import style
from ganlab_panel.ui import plots
from ganlab_panel.ui.document import Button, Download
from ganlab_panel.ui.runner import SPEEDS
from ganlab_panel.ui.views import icons
from ganlab_panel.ui.views.deferred import Deferred
from ganlab_panel.ui.views.upload import UploadBox

BAR_CSS = """
:host { background: #eeeeee; border-bottom: 2px solid #dddddd; padding: 4px 12px; position: relative; }
"""
COUNTER_CSS = """
:host { font-size: 30px; line-height: 32px; color: #666666; font-variant-numeric: tabular-nums; min-width: 116px; }
"""
#: the icon buttons (reset, slow motion, the steps) and the one prominent Play
ICON_CSS = """
.bk-btn { padding: 0; display: flex; align-items: center; justify-content: center; border-radius: 50%; }
.bk-btn-default { background: transparent; border-color: transparent; color: #444; }
.bk-btn-default:hover { background: #e0e0e0; }
.bk-btn-default.bk-active { background: #d4d4d4; color: #183d4e; }
"""
PLAY_CSS = """
.bk-btn { border-radius: 24px; font-size: 16px; font-weight: 500; display: flex; align-items: center;
          justify-content: center; gap: 6px; }
.bk-btn.bk-btn-primary:hover { filter: brightness(1.25); }
"""
#: the file menu: floats under the bar, over the page, at its right edge
FILES_CSS = """
:host { position: absolute; right: 12px; top: 100%; z-index: 60; background: white; padding: 10px 12px;
        border: 1px solid #d0d0d0; border-radius: 6px; box-shadow: 0 6px 18px rgba(0, 0, 0, 0.18); }
"""
TITLE_HTML = "<span style='font-size:28px;color:#444;white-space:nowrap'><b>GAN</b> Lab</span>"
LABEL_STYLE = "font-size:11px;color:#555;text-transform:uppercase;letter-spacing:0.04em"

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
    """Buttons and readouts; every one carries a ``ganlab-<name>`` CSS class.

    The bar shows ``runner``'s state (playing, slow motion, speed, rates) and
    drives it (Play, the speed, slow motion); everything else it asks of the
    app through its callbacks: ``on_reset``, ``on_step``, ``on_step_d`` and
    ``on_step_g`` (coroutines, run on the runner's home), ``on_choose(name)``
    (a distribution), ``on_draw()``, ``on_download(kind, stem)`` (a file's
    content), ``on_files`` and ``on_refused`` (an upload, see ``UploadBox``),
    ``on_edit()`` (the model editor on or off; ``show_editing`` shows which).
    ``pretrained`` is the "pre-trained" box's first value.
    """

    def __init__(self, runner, *, on_reset, on_step, on_step_d, on_step_g, on_choose, on_draw, on_download,
                 on_files, on_refused, on_edit, film, on_film, pretrained: bool = True, **params):
        super().__init__(**params)
        self.runner = runner
        self._on_choose = on_choose

        def icon_button(icon, tip, css, **kw):
            return Button(label="", icon=icon, icon_size="20px", width=38, height=38, description=tip,
                        css_classes=[css], stylesheets=[ICON_CSS], margin=(0, 1), align="center", **kw)

        self.reset = icon_button(icons.RESET, "Reset: start the experiment over from iteration 0", "ganlab-reset")
        self.play = Button(label="Play", icon=icons.PLAY, icon_size="18px", color="primary", width=104, height=44,
                      css_classes=["ganlab-play"], stylesheets=[PLAY_CSS], margin=(0, 4), align="center",
                      description="Play or pause training (GAN Lab's big button)")
        self.slow = icon_button(icons.SLOW,
                                "Slow motion: while playing, each iteration is shown step by step, explained; "
                                "with it on, the step buttons play their steps the same way", "ganlab-slow")
        self.step = icon_button(icons.STEP, "One iteration: train D, then G, once (k updates each)",
                                "ganlab-step")
        self.step_d = icon_button(icons.letter_step("D", style.D_BLUE), "Train D one step: update only the "
                                  "discriminator (the counter moves on by one, as in GAN Lab)", "ganlab-step-d")
        self.step_g = icon_button(icons.letter_step("G", style.G_PURPLE), "Train G one step: update only the "
                                  "generator (the counter moves on by one, as in GAN Lab)", "ganlab-step-g")
        self.iteration = pn.pane.HTML(readout("ganlab-iteration", format_iteration(0)),
                                      stylesheets=[COUNTER_CSS], margin=(0, 5))
        self.speed = pn.widgets.Select(options=SPEEDS, value=runner.iterations_per_frame, width=170, height=30,
                                       css_classes=["ganlab-speed"], margin=(0, 5),
                                       description="Training speed: as fast as possible, or GAN Lab's own pace")
        self.speed.link(runner, value="iterations_per_frame")
        self.rates = pn.pane.HTML(readout("ganlab-rates", ""), margin=(0, 5),
                                  stylesheets=[":host { font-size: 11px; color: #777; min-height: 14px; }"])
        self._rates_shown = 0.0
        runner.param.watch(self._rates_changed, "playing")
        self.distributions = [
            Button(label="", icon=distribution_icon(name), icon_size="34px", width=46, height=40,
              css_classes=[f"ganlab-distribution-{name}"], color="light", margin=(0, 2),
              description=f"Train on GAN Lab's {name} data", stylesheets=[".bk-btn { padding: 2px; }"])
            for name in DISTRIBUTIONS
        ]
        for name, button in zip(DISTRIBUTIONS, self.distributions):
            button.on_click(functools.partial(self._choose, name))
        self.more_data = pn.widgets.Select(options=MORE_DATA, value="", width=150, height=30,
                                           css_classes=["ganlab-more-data"], margin=(0, 2),
                                           description="More data: mode-collapse benchmarks and other shapes")
        self._showing_selection = False
        self.more_data.param.watch(self._more_data_chosen, "value")
        self.draw = Button(label="✎", width=46, height=40, css_classes=["ganlab-draw"], color="light", margin=(0, 2),
                      description="Draw your own data: drag strokes or tap points on the plot",
                      stylesheets=[".bk-btn { font-size: 20px; padding: 0; }"])
        self.draw.on_click(lambda e: on_draw())
        self.pretrained = pn.widgets.Checkbox(label="pre-trained", value=pretrained, margin=(6, 4, 0, 6),
                                              css_classes=["ganlab-pretrained"])

        def download(kind, label, filename, css, stem="ganlab", tip=""):
            return Download(callback=lambda: on_download(kind, stem), filename=filename,
                                           label=label, color="light", width=200, css_classes=[css],
                                           description=tip or None, margin=(2, 0))

        def export(kind, label, filename, tip):
            return download(kind, label, filename, f"ganlab-export-{kind}", tip=tip)

        self.save = download("checkpoint", "Save model (.npz)", "ganlab-model.npz", "ganlab-save",
                             tip="Everything to carry on later: weights, optimizers, settings")
        # GAN Lab loads the pair by these names
        self.save_ganlab = download("ganlab", "Save for GAN Lab (.zip)", "ganlab-model-ganlab.zip",
                                    "ganlab-save-ganlab", stem="ganlab_trained_model",
                                    tip="GAN Lab's own model files (its networks and losses only)")
        self.save_pt2 = download("pt2", "Networks for PyTorch (.zip)", "ganlab-networks-pt2.zip",
                                 "ganlab-save-pt2", tip="G and D as torch.export programs (.pt2): "
                                 "torch.export.load runs them with PyTorch alone")
        self.export_png = export("png", "Picture (PNG)", "ganlab.png", "The layered view as it shows")
        self.export_png2x = export("png2x", "Picture, 2× (PNG)", "ganlab@2x.png",
                                   "The layered view at twice the size, for slides and high-DPI screens")
        self.export_screen = export("screen", "Whole screen (PNG)", "ganlab-screen.png",
                                    "The overview graph, the layered view and the charts in one picture")
        self.export_gif = export("gif", "Training film (GIF)", "ganlab.gif", "The recorded run, as a film")
        # the MP4 is made off the event loop, its progress shown, then offered for download
        self.film = film
        self.export_mp4 = Button(label="Training film (MP4)", width=200, color="light", margin=(2, 0),
                                 css_classes=["ganlab-export-mp4"],
                                 description="The recorded run as an H.264 film at the picture's size, to post")
        self.export_mp4.on_click(lambda e: runner.home.run(on_film))
        self.film_progress = pn.indicators.Progress(value=0, max=1, width=200, height=12, margin=(4, 0),
                                                    visible=False, css_classes=["ganlab-film-progress"])
        self.film_download = Download(callback=film.data, filename="ganlab.mp4", label="Download the film (MP4)",
                                      color="success", width=200, margin=(2, 0), visible=False,
                                      css_classes=["ganlab-film-download"])
        film.param.watch(self._film_changed, ["making", "done", "total", "size"])
        self.export_config = export("config", "Settings (.json)", "ganlab-config.json",
                                    "The settings; load them again, or put them in a sweep")
        self.upload = UploadBox(on_files=on_files, on_refused=on_refused,
                                accept=".npz,.pt,.json,.bin,.zip,.csv", width=200, css_classes=["ganlab-upload"],
                                margin=(2, 0))
        self.edit = Button(label="✎ Edit model", width=110, align="center", css_classes=["ganlab-edit"],
                      description="Show every setting of the model inside the graph, where it acts")
        self.edit.on_click(lambda e: on_edit())
        self.files = icon_button(icons.FILES, "Save, export and load", "ganlab-files")
        self.files.param.update(label="Files", width=78, stylesheets=[ICON_CSS, ".bk-btn { border-radius: 19px; "
                                                                      "gap: 4px; font-size: 13px; }"])
        # the menu's buttons are made now (code may call them), its page part on first opening
        self._files_menu = Deferred(self._files_menu_parts, visible=False, stylesheets=[FILES_CSS],
                                    css_classes=["ganlab-files-menu"],
                                    styles={"max-height": "none"})   # all of it on white, not clipped to the bar's height
        self.files_menu = self._files_menu.box
        self.files.on_click(lambda e: self.toggle_files_menu())

        home = runner.home   # a click may arrive on another thread (a notebook's comm)
        self.reset.on_click(lambda e: home.run(on_reset))
        self.play.on_click(lambda e: runner.toggle())
        self.step_d.on_click(lambda e: home.run(on_step_d))
        self.step_g.on_click(lambda e: home.run(on_step_g))
        self.step.on_click(lambda e: home.run(on_step))
        self.slow.on_click(lambda e: runner.param.update(slow=not runner.slow))
        runner.param.watch(self._slow_changed, "slow")
        runner.param.watch(self._playing_changed, "playing")

    def _files_menu_parts(self) -> list:
        return [
            pn.pane.HTML(f"<span style='{LABEL_STYLE}'>Save</span>", margin=0),
            self.save, self.save_ganlab, self.save_pt2, self.export_config,
            pn.pane.HTML(f"<span style='{LABEL_STYLE}'>Export</span>", margin=(6, 0, 0, 0)),
            self.export_png, self.export_png2x, self.export_screen, self.export_gif, self.export_mp4,
            self.film_progress, self.film_download,
            pn.pane.HTML(f"<span style='{LABEL_STYLE}'>Load</span>", margin=(6, 0, 0, 0)),
            self.upload,
            pn.pane.HTML("<span style='font-size:11px;color:#666'>A model (.npz; GAN Lab's .json with its .bin, "
                         "or a .zip of both), settings (.json) or points (.csv, two columns x, y in 0–1)</span>",
                         width=200, margin=0),
        ]

    def _film_changed(self, *events) -> None:
        film = self.film
        self.film_progress.param.update(visible=film.making, max=max(film.total, 1), value=film.done)
        self.export_mp4.disabled = film.making
        if film.size:
            self.film_download.param.update(visible=not film.making,
                                            label=f"Download the film (MP4, {film.size / 2**20:.1f} MB)")

    def toggle_files_menu(self) -> None:
        """Open the files menu (built the first time), or close it."""
        self._files_menu.build()
        self.files_menu.visible = not self.files_menu.visible

    def _rates_changed(self, event):
        if not event.new:
            self.show_rates()   # paused: no rates to show

    def show_rates(self) -> None:
        """The measured training and frame rates, at most twice a second (a
        readout to glance at), or nothing when paused."""
        now = time.perf_counter()
        r = self.runner
        if r.playing and now - self._rates_shown < 0.5:
            return
        self._rates_shown = now
        text = (f"{r.iterations_per_second:,.0f} it/s · {r.frames_per_second:.1f} frames/s"
                if r.playing and r.frames_per_second > 0 else "")
        self.rates.object = readout("ganlab-rates", text)

    def _choose(self, name, event=None):
        self._on_choose(name)

    def _more_data_chosen(self, event):
        if event.new and not self._showing_selection:
            self._on_choose(event.new)

    def _slow_changed(self, event):
        self.slow.button_type = "primary" if event.new else "default"

    def _playing_changed(self, event):
        self.play.param.update(label="Pause" if event.new else "Play", icon=icons.PAUSE if event.new else icons.PLAY)

    def set_selected(self, distribution: str) -> None:
        for name, button in zip(DISTRIBUTIONS, self.distributions):
            button.color = "primary" if name == distribution else "light"
        self.draw.color = "primary" if distribution == "drawing" else "light"
        self._showing_selection = True
        try:
            self.more_data.value = distribution if distribution in EXTRA_DISTRIBUTIONS else ""
        finally:
            self._showing_selection = False

    def show_editing(self, editing: bool) -> None:
        """The model editor is on (the Edit button lit) or off."""
        self.edit.button_type = "primary" if editing else "default"

    def set_iteration(self, n: int) -> None:
        self.iteration.object = readout("ganlab-iteration", format_iteration(n))

    def __panel__(self):
        def labelled(text, *rows):
            return pn.Column(pn.pane.HTML(f"<span style='{LABEL_STYLE}'>{text}</span>", margin=(0, 5)), *rows,
                             margin=(0, 6))
        transport = pn.Row(self.reset, self.play, self.slow, self.step, self.step_d, self.step_g, margin=(0, 10),
                           align="center")
        counter = labelled("Iteration", self.iteration, self.rates)
        speed = labelled("Speed", self.speed)
        data = labelled("Data", pn.Row(*self.distributions, self.draw, margin=0),
                        pn.Row(self.more_data, self.pretrained, margin=(2, 0, 0, 0)))
        # the groups wrap onto a second line where the page (or a notebook's
        # output, beside JupyterLab's side panel) is too narrow for one
        return pn.FlexBox(
            pn.pane.HTML(TITLE_HTML, margin=(0, 8, 0, 4), align="center"), transport, counter, speed, data,
            pn.Row(self.files, align="center", margin=(0, 4), styles={"margin-left": "auto"}),
            self.files_menu,
            flex_wrap="wrap", align_items="center", margin=0, sizing_mode="stretch_width", stylesheets=[BAR_CSS],
        )
