"""GANLab: the whole app as one Panel Viewer.

The same object runs in a notebook (display it) and on a server
(``panel serve apps/ganlab.py`` or ``ganlab serve``): it composes the config,
the trainer, the runner and one Viewer per visual panel. Every session builds
its own GANLab; ``close()`` (called when a served session ends) stops its
callbacks and lets its trainer go.
"""

from __future__ import annotations

import html
import io
import json
import time
import weakref
import zipfile
from importlib import resources
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import panel as pn
import param
from panel.viewable import Viewer

from ganlab_panel.engine.checkpoint import restore
from ganlab_panel.engine.config import ExperimentConfig, parse_settings, query_text
from ganlab_panel.engine.data import (
    DISTRIBUTIONS,
    DRAWING,
    DRAWING_JITTER,
    MIXTURES,
    parse_points_csv,
    validate_points,
)
from ganlab_panel.engine.errors import ConfigError, GANLabError
from ganlab_panel.engine.frames import Frame
from ganlab_panel.engine.presets import PRESETS, apply_preset, preset_settings
from ganlab_panel.engine.trainer import Trainer
from ganlab_panel.files.export import PNG_SIZE, export_files, write_export, zipped
from ganlab_panel.files.ganlab_format import ganlab_model_from_bytes
from ganlab_panel.live import style
from ganlab_panel.live.history import History
from ganlab_panel.live.scene import Scene
from ganlab_panel.ui import plots
from ganlab_panel.ui.document import Root, batch, register_session_end, served_document
from ganlab_panel.ui.runner import Runner
from ganlab_panel.ui.views import (
    ChartsView,
    ControlsView,
    DrawingView,
    LayeredView,
    OverviewGraph,
    SettingsView,
    TimelineView,
)
from ganlab_panel.ui.views.fit import Zoomed
from ganlab_panel.ui.views.upload import MAX_UPLOAD_BYTES

PRETRAINED_DIR = "pretrained"

#: while training plays, the views other than the layered one (the overview,
#: the charts, the counter, the timeline and the rates) follow together, in
#: one frame, so that the browser lays out and restyles the page once for all
#: of them: at most every FOLLOW_INTERVAL seconds, and every FOLLOW_FRAMES-th
#: frame at most, so a browser that draws few frames spends them on the main plot
FOLLOW_INTERVAL = 0.25
FOLLOW_FRAMES = 4

#: the three columns' widths: the overview graph (A) takes what is left; the
#: layered plot (B) is a square as wide as the window allows beside it, and
#: short enough that the page's first screen holds it; the side column with
#: the layer switches and the charts is narrow. Where the three do not fit in
#: a row (a notebook's output beside a side panel), A has a line of its own.
#: (``cqw``: a hundredth of the row's width.)
COLUMN_STYLES = {
    "overview": {"flex": "1 1 480px", "min-width": "0"},
    "layered": {"flex": "0 0 clamp(320px, 30cqw, calc(100vh - 260px))", "min-width": "0"},
    "side": {"flex": "0 0 clamp(230px, 17cqw, 340px)", "min-width": "0"},
}

LAYERS_TIP = ("Switch each layer of plot B on or off. The heatmap is D's verdict on a 30×30 grid (green: real, "
              "purple: fake), the high-resolution field the same at 200×200; the density shows where 40,000 "
              "generated samples land, the manifold how the generator warps its noise; the arrows show where "
              "each fake sample is pulled.")

#: what a visitor to the served app reads first (it goes once training starts)
INTRO = ("GAN Lab: press ▶ Play to watch a generator learn to fake the real data (green dots) with its own "
         "(purple), while a discriminator learns to tell the two apart. Point at a button to see what it does.")

#: shown or hidden, keeping its place and size in the page
SHOWN = {"visibility": "visible", "opacity": "1", "pointer-events": "auto"}
HIDDEN = {"visibility": "hidden", "opacity": "0", "pointer-events": "none"}
DRAWING_STYLES = {"position": "absolute", "top": "0", "bottom": "0", "left": "0", "right": "0", "z-index": "5",
                  "background": style.PANEL_BG}

MESSAGE_CSS = """
:host { position: absolute; top: 4px; left: 50%; transform: translateX(-50%); z-index: 55;
        width: min(760px, 92%); box-shadow: 0 4px 14px rgba(0, 0, 0, 0.18); border-radius: 4px;
        background: white; align-items: center; }
"""

PAGE_CSS = f"""
:host {{ background: {style.PANEL_BG}; font-family: Roboto, Helvetica, Arial, sans-serif;
         --design-primary-color: {style.HEADER_BG}; }}
.ganlab-section-title {{ color: #555; font-size: 15px; text-transform: uppercase; margin: 4px 0; }}
"""


def pretrained_path(distribution: str) -> Path | None:
    """The packaged pretrained checkpoint for a built-in distribution, if any."""
    try:
        path = resources.files("ganlab_panel").joinpath(PRETRAINED_DIR, f"{distribution}.pt")
    except (ModuleNotFoundError, FileNotFoundError):
        return None
    path = Path(str(path))
    return path if path.is_file() else None


def _is_settings(content: bytes) -> bool:
    """Whether a .json upload holds our settings rather than a GAN Lab model."""
    try:
        values = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(values, dict) and bool(values) and set(values) <= set(ExperimentConfig._field_names())


def _title(text: str, letter: str) -> pn.pane.HTML:
    return pn.pane.HTML(
        f"<div class='ganlab-section-title'><span style='display:inline-block;width:26px;height:26px;"
        f"border-radius:13px;background:#888;color:white;text-align:center;line-height:26px;"
        f"margin-right:8px'>{letter}</span>{text}</div>", stylesheets=[PAGE_CSS], margin=(4, 0))


def message_html(text: str, level: str = "info") -> str:
    """The message area's content: a notice (info, success) or a problem (warning, danger)."""
    colours = {"info": ("#e7f1fb", "#1d4f7c"), "success": ("#e6f4ea", "#1e6b34"),
               "warning": ("#fff4e0", "#7a4b00"), "danger": ("#fde8e8", "#8a1c1c")}
    bg, fg = colours.get(level, colours["info"])
    shown = "block" if text else "none"
    return (f'<div class="ganlab-message" data-level="{level}" style="display:{shown};background:{bg};'
            f'color:{fg};padding:8px 12px;border-radius:4px;font-size:13px">{html.escape(text)}</div>')


def unwatch_all(watchers: list) -> None:
    """Remove every param watcher in ``watchers`` and empty the list."""
    for w in watchers:
        w.inst.param.unwatch(w)
    watchers.clear()


class GANLab(Viewer):
    """GAN Lab: train a small GAN on 2D data and watch every part of it.

    >>> lab = GANLab(ExperimentConfig(distribution="ring"))   # or GANLab(data=points)
    >>> lab = GANLab(distribution="ring", d_lr=0.03)           # settings as keywords, as Trainer takes
    >>> lab                                                      # in a notebook: the live app
    >>> lab.train(500)                                           # drive it from code

    Settings given as keywords apply over ``config`` (which is copied, as
    ``Trainer`` does). A structural setting other than the distribution (the
    networks, the noise, the seed...) means no pretrained model is loaded,
    unless ``use_pretrained=True`` says so; hot settings (learning rates,
    optimizers, loss, k, batch size...) apply to the pretrained model.
    """

    use_pretrained = param.Boolean(default=True, doc="Choosing a distribution loads a model pretrained on it.")
    drawing = param.Boolean(default=False, doc="The drawing canvas is open.")
    message = param.String(default="", doc="The latest notice or error, shown in the message area.")
    message_level = param.Selector(default="info", objects=["info", "success", "warning", "danger"])

    def __init__(self, config: ExperimentConfig | None = None, data=None, **params):
        settings = {k: params.pop(k) for k in list(params) if k in ExperimentConfig._field_names()}
        hot = {k: v for k, v in settings.items() if not ExperimentConfig.is_structural(k)}
        structural = {k: v for k, v in settings.items() if k not in hot}
        if set(structural) - {"distribution"}:
            params.setdefault("use_pretrained", False)  # a pretrained model has its own shape
        super().__init__(**params)
        if settings:  # checked (and refused) as Trainer does, before anything is built
            config = (config if config is not None else ExperimentConfig()).copy(**settings)
        elif config is None:
            config = ExperimentConfig()
        if data is not None:
            config.param.update(distribution=DRAWING, drawn_points=validate_points(data))
        self.config = config
        self.trainer = Trainer(config)
        self.layered = LayeredView()
        self.overview = OverviewGraph(config)
        self.charts = ChartsView()
        self.drawing_view = DrawingView(on_done=self.finish_drawing, on_cancel=self.cancel_drawing)
        #: the record of this experiment: scrub back with the timeline, or ``rewind(i)``
        self.history = History()
        #: the roots this app is shown in (one per notebook output or served page)
        self._roots: weakref.WeakSet[Root] = weakref.WeakSet()
        self.runner = Runner(self.trainer, publish=self._publish, scene_options=lambda: self.layered.wants,
                             notify=self.notify, history=self.history, before_training=self._resume_point,
                             views_ready=self._views_ready)
        self.timeline = TimelineView(self.history, on_scrub=self._scrub, on_resume=self.resume)
        self.controls = ControlsView(self)
        self.settings = SettingsView(self)
        self.message_pane = pn.pane.HTML(message_html("", "info"), margin=0, sizing_mode="stretch_width")
        close = pn.widgets.Button(label="×", width=30, height=30, margin=(2, 2), css_classes=["ganlab-message-close"],
                                  description="Dismiss this message", stylesheets=[".bk-btn { font-size: 18px; "
                                                                                   "padding: 0; }"])
        close.on_click(lambda e: self.notify(""))
        #: the message floats over the top of the page, which it never pushes down
        self._message_box = pn.Row(self.message_pane, close, visible=False, margin=0, stylesheets=[MESSAGE_CSS],
                                   css_classes=["ganlab-message-box"])
        self._watchers = [
            config.param.watch(self._structure_changed, config.structural_params()),
            config.param.watch(self._hot_changed, config.hot_params()),
            self.runner.param.watch(self._substep_changed, ["substep", "playing"]),
            self.runner.param.watch(self._slow_changed, "slow"),
            self.layered.param.watch(self._dense_layers_changed, ["d_field", "density"]),
        ]
        self._layered_box = pn.Column(self.layered.plot, self.timeline, self.layered.legend, margin=0,
                                      sizing_mode="stretch_width")
        # the drawing canvas lies over the layered plot, shown in its place
        # while drawing (both keep their size: see plots.square_pane)
        self._drawing_box = pn.Column(self.drawing_view, margin=0, sizing_mode="stretch_width",
                                      styles=dict(DRAWING_STYLES, **HIDDEN))
        self._closed = False
        self._last_followed = 0.0   # when the views other than the layered one last followed...
        self._since_followed = 0    # ...and the frames since
        self._scene: Scene | None = None
        if self.use_pretrained and data is None and config.distribution in DISTRIBUTIONS:
            self._load_pretrained(config.distribution, quiet=True)
        if hot:  # over the pretrained model's own
            config.param.update(**hot)
        self.controls.set_selected(config.distribution)
        self._publish(self.runner.scene())  # the record starts with the experiment's first moment
        self.timeline.sync()
        self._register_session_end()
        # served: the page address follows the settings, so a copied link opens this setup
        self._location = pn.state.location if served_document() is not None else None
        if self._location is not None:
            self._watchers.append(config.param.watch(self._sync_address, config._field_names()))

    def _sync_address(self, *events) -> None:
        """Write the settings that differ from GAN Lab's defaults into the page's URL."""
        if self._closed or self._location is None:
            return
        query = self.config.to_query()
        search = "?" + urlencode(query) if query else ""
        if self._location.search != search:
            self._location.search = search

    @classmethod
    def from_url(cls, query: dict | None = None, **params) -> "GANLab":
        """The app with the settings in the page's address applied, e.g.
        ``/ganlab?distribution=gaussians&d_lr=0.03&g_optimizer=adam``, or a
        preset with settings over it: ``/ganlab?preset=wgan-gp&distribution=ring8``.

        ``query`` defaults to the served session's URL arguments. Each value is
        parsed (never evaluated) and checked; values that are refused are
        listed in the message area and the rest apply. A URL that changes the
        model's shape, loss or data starts from scratch; otherwise the
        distribution's pretrained model loads, then the URL's learning rates,
        optimizers, k and batch size apply to it.
        """
        if query is None:
            query = pn.state.session_args
        # Bokeh's own arguments (an app embedded with autoload.js carries some) are not settings
        query = {k: v for k, v in query.items() if not k.startswith("bokeh-")}
        preset = query.pop("preset", None)
        values, problems = parse_settings(query)
        if preset is not None:
            # a preset is the base; the address's own settings apply over it
            try:
                values = {**preset_settings(query_text(preset)), **values}
            except ConfigError as exc:
                problems.append(exc)
        hot = {k: v for k, v in values.items() if not ExperimentConfig.is_structural(k)}
        structural = {k: v for k, v in values.items() if k not in hot}
        config = ExperimentConfig()
        for name, value in structural.items():
            try:
                config.param.update({name: value})
            except (ConfigError, ValueError) as exc:
                problems.append(ConfigError(str(exc), name))
        if set(structural) - {"distribution"}:
            params.setdefault("use_pretrained", False)
        lab = cls(config, **params)
        if hot:
            lab._attempt("Cannot apply the address's settings", lambda: lab.config.param.update(**hot))
        if problems:
            lab.notify("Ignored from the page address: " + "; ".join(str(p) for p in problems) + ".", "warning")
        elif not lab.message:
            lab.notify(INTRO, "info")
        return lab

    # ---------------------------------------------------------- session
    def _register_session_end(self) -> None:
        register_session_end(self)

    def close(self) -> None:
        """Stop training and callbacks, release the trainer and the streams."""
        if self._closed:
            return
        self._closed = True
        # unwatch first: a session is closed after its document is gone, so
        # stopping the runner must not update any view (no document lock then)
        unwatch_all(self._watchers)
        self.runner.close()
        for view in (self.layered, self.overview, self.charts, self.drawing_view, self.settings):
            view.clear()
        self.trainer.close()
        self.runner.trainer = None
        self.trainer = None

    # ---------------------------------------------------------- publish
    def _publish(self, scene: Scene) -> None:
        """Send a Scene to the views. While training plays, the layered view gets
        every frame and the rest follow together at most every FOLLOW_INTERVAL,
        so the browser's time goes to the main plot."""
        if self._closed:
            return
        now = time.perf_counter()
        live = self.runner.playing and not self.runner.slow
        self._since_followed += 1
        follow = not live or (now - self._last_followed >= FOLLOW_INTERVAL and self._since_followed >= FOLLOW_FRAMES)
        self._scene = scene
        with batch():
            self.layered.update(scene)
            if follow:
                self._last_followed, self._since_followed = now, 0
                self.overview.update(scene, playing=self.runner.playing, substep=self.runner.current_substep)
                if self.history.rewound:
                    self.charts.show(scene.frame)   # a moment of the past: the charts keep the whole run
                else:
                    self.charts.mark(None)
                    self.charts.update(scene.frame)
                self.controls.set_iteration(scene.frame.iteration)
                self.controls.show_rates()
                self.timeline.sync()

    async def reset(self) -> None:
        """Start the experiment over from its seed (Reset): this also clears a divergence."""
        self.history.clear()
        scene = await self.runner.reset()
        if scene is not None and self.message_level == "danger":
            self.notify("Reset: the experiment starts again from iteration 0.", "info")

    async def step_d(self) -> Scene | None:
        """Train D one step (GAN Lab's: one update, counted as an iteration)."""
        return await self._step("d")

    async def step_g(self) -> Scene | None:
        """Train G one step (one update, counted as an iteration)."""
        return await self._step("g")

    async def step(self) -> Scene | None:
        """One whole iteration: k_D updates of D, then k_G of G."""
        return await self._step("both")

    async def _step(self, kind: str) -> Scene | None:
        # slow motion plays the step's own sub-steps, each explained
        runner = self.runner
        if runner.slow:
            scene = await runner.step_slowly(kind)
        else:
            scene = await {"d": runner.step_d, "g": runner.step_g, "both": runner.step}[kind]()
        if scene is not None and kind != "both":
            network = "discriminator" if kind == "d" else "generator"
            other = "generator" if kind == "d" else "discriminator"
            self.notify(f"Trained the {network} alone, one update (the {other} did not change). The counter "
                        f"moved on by one, to {scene.frame.iteration:,}: GAN Lab counts a one-network step as "
                        "an iteration.", "info")
        return scene

    def refresh(self) -> None:
        """Redraw every view from the trainer's current state (synchronously)."""
        self._publish(self.runner.scene())

    def _new_record(self) -> None:
        """A new experiment (rebuilt, loaded, other data): its charts and record start over."""
        self.charts.reset()
        self.history.clear()
        self.timeline.sync()

    def _settle(self) -> None:
        """Training stopped: show where it stands, and keep that as the newest moment."""
        self._publish(self.runner.scene(force=True))

    # ---------------------------------------------------------- code API
    def train(self, iterations: int, record_every: int = 50) -> Frame:
        """Train ``iterations`` iterations from code, recording a moment every
        ``record_every`` (GAN Lab's redraw interval by default), then redraw
        every view. From a rewound moment, training resumes there. Returns the
        last Frame."""
        if iterations < 0:
            raise ValueError(f"iterations must be >= 0, not {iterations}")
        from ganlab_panel.engine.backends import compiled as kernels

        self.runner.pause()
        self._resume_point()
        kernels.warm_up(wait=True)  # code, unlike live play, waits: the same run every time
        every = max(1, int(record_every))
        done = 0
        while done < iterations:
            n = min(every, iterations - done)
            self.trainer.train(n)
            done += n
            with self.trainer.lock:
                frame = self.trainer.snapshot()
                self.history.record(self.trainer, frame, force=True)
            if frame.diverged:
                self.notify(f"Training diverged at iteration {frame.iteration}: a loss or weight became NaN or "
                            "infinite. Press Reset, or lower the learning rates.", "danger")
                break
        with batch():
            self.refresh()
            self.charts.update(self._scene.frame)
            self.controls.set_iteration(self.trainer.iteration)
            self.timeline.sync()
        return self._scene.frame

    @property
    def frames(self) -> list[Frame]:
        """The recorded moments' Frames, oldest first (see ``history``)."""
        return self.history.frames

    def rewind(self, index: int) -> Frame:
        """Put the experiment back to recorded moment ``index`` (of ``frames``;
        -1 is the newest): weights, optimizers, counters and settings as they
        were, every view showing it. Training (``train``, Play, a step, or
        ``resume``) continues from there and drops the later moments."""
        if not len(self.history):
            raise GANLabError("nothing is recorded yet: train first")
        if not -len(self.history) <= index < len(self.history):
            raise IndexError(f"moment {index} is not recorded: there are {len(self.history)}")
        self.runner.pause()
        moment = self.history.restore(self.trainer, index)
        with batch():
            self.refresh()
            self.controls.set_iteration(moment.iteration)
            self.timeline.sync()
        return self._scene.frame

    def resume(self) -> None:
        """Play from the moment rewound to (the later moments are dropped)."""
        self.runner.play()

    def _resume_point(self) -> None:
        """Before training: old notices go; from a rewound moment, drop what came after it."""
        self.clear_notice()
        if self.history.rewound:
            iteration = self.history[self.history.position].iteration
            self.history.truncate()
            self.charts.truncate(iteration)
            self.timeline.sync()
            self.notify(f"Resumed from iteration {iteration:,}: the moments recorded after it are dropped.", "info")

    def _scrub(self, index: int) -> None:
        """The timeline's slider moved."""
        if len(self.history) and not self._closed:
            self.rewind(index)

    def export(self, path, kind: str | None = None, layers=None, size: int = PNG_SIZE) -> list[Path]:
        """Save the experiment: ``lab.export("now.png")`` (the layered view),
        ``"run.gif"`` (the recorded training), ``"config.json"`` (settings),
        ``"model.pt"`` (our checkpoint), ``"model.zip"`` or ``kind="ganlab"``
        (GAN Lab's format). ``layers`` defaults to those switched on. Returns
        the files written."""
        return write_export(path, self.trainer, self._export_frames(kind or Path(path).suffix), kind=kind,
                            layers=self._export_layers(layers), size=size)

    def _export_frames(self, kind: str) -> list[Frame]:
        if kind.lstrip(".") in ("gif", "screen"):   # the run's record: a film, or the charts of a screen
            return self.history.frames
        return [self._scene.frame] if self._scene is not None else []

    def _export_layers(self, layers=None) -> tuple:
        from ganlab_panel.files.pictures import LAYERS

        if layers is not None:
            return tuple(layers)
        return tuple(name for name in LAYERS if getattr(self.layered, name))

    def download(self, kind: str, stem: str = "ganlab") -> io.BytesIO | None:
        """A download's content: one of ``export.KINDS`` (several files come
        zipped, e.g. GAN Lab's format). A refused export is named in the
        message area and gives None: nothing downloads."""
        buffer = io.BytesIO()
        try:
            files = export_files(kind, self.trainer, self._export_frames(kind), stem=stem,
                                 layers=self._export_layers())
        except GANLabError as exc:
            self.notify(f"Cannot export: {exc}", "warning")
            return None
        buffer.write(next(iter(files.values())) if len(files) == 1 else zipped(files))
        buffer.seek(0)
        return buffer

    def _refresh_soon(self) -> None:
        if served_document() is not None:
            pn.state.execute(self.runner.refresh)
        else:
            self.refresh()

    def _structure_changed(self, *events) -> None:
        # the trainer (watching first) has rebuilt the experiment: it starts
        # over, and goes on playing if it was (the data's own buttons pause first)
        playing = self.runner.playing
        self.runner.pause()
        self._new_record()
        self.controls.set_selected(self.config.distribution)
        self._refresh_soon()
        if playing and not self._closed:
            changed = ", ".join(f"{self.config.param[e.name].label}: {e.new}" for e in events
                                if e.name != "drawn_points")
            self.runner.play()
            self.notify(f"Rebuilt the model ({changed}): training starts over from iteration 0.", "info")

    def _hot_changed(self, *events) -> None:
        # playing, the next frame shows it; paused, show it now (a critic's
        # heatmap and legend, a learning rate's schedule...)
        if not self.runner.playing and not self._closed:
            self._refresh_soon()

    def _substep_changed(self, event) -> None:
        if self._closed or self.trainer is None or self._scene is None:
            return
        if event.name == "playing" and not event.new:
            self._settle()  # paused: every view shows where training stands, and the record keeps it
        else:
            self.overview.set_flow(self.runner.playing, self.runner.current_substep)

    @param.depends("use_pretrained", watch=True)
    def _pretrained_changed(self) -> None:
        """Ticked: an untrained experiment on GAN Lab's data takes its
        pretrained model at once; one with training of its own is kept, and
        the message says how to load the model instead."""
        name = self.config.distribution
        if self._closed or not self.use_pretrained or name not in DISTRIBUTIONS:
            return
        if self.trainer.iteration == 0 and not self.runner.playing:
            self._load_pretrained(name)
        else:
            self.notify(f"The next data you choose loads its pre-trained model; your {self.trainer.iteration:,} "
                        f"iterations stay until then (choose {name} again to load its model now).", "info")

    def _slow_changed(self, event) -> None:
        if event.new and not self.runner.playing:
            self.notify("Slow motion is on: press Play to watch each iteration as ten explained steps, or a step "
                        "button to watch just that step's.", "info")
        elif not event.new:
            self.clear_notice()

    def _dense_layers_changed(self, *events) -> None:
        if not self.runner.playing:
            self._refresh_soon()

    # ---------------------------------------------------------- messages
    def notify(self, text: str, level: str = "info") -> None:
        """Show a notice (``info``/``success``) or a problem (``warning``/``danger``)."""
        self.message = text
        self.message_level = level
        self.message_pane.object = message_html(text, level)
        self._message_box.visible = bool(text)

    def clear_notice(self) -> None:
        """Training starts (Play, a step, ``train``): a notice (not a problem)
        goes, since what it said ("press Play", "loaded...") is no longer news."""
        if self.message and self.message_level in ("info", "success"):
            self.notify("")

    def _attempt(self, what: str, action) -> bool:
        """Run ``action``; on bad input tell the user and keep everything as it was."""
        try:
            action()
        except (GANLabError, ConfigError, ValueError) as exc:
            self.notify(f"{what}: {exc}", "warning")
            return False
        return True

    # ---------------------------------------------------------- data
    def choose_distribution(self, name: str) -> None:
        """Train on one of GAN Lab's distributions (pretrained if the toggle is
        on) or one of the extra ones (always from scratch)."""
        self.runner.pause()
        self.cancel_drawing()
        if self.use_pretrained and name in DISTRIBUTIONS and self._load_pretrained(name):
            return
        already = self.config.distribution == name
        if self._attempt(f"Cannot switch to {name}", lambda: setattr(self.config, "distribution", name)):
            if already:
                # already on it: a click starts the experiment over, as in GAN Lab
                self.trainer.reset()
                self._new_record()
                self._refresh_soon()
            if name in MIXTURES:
                self.notify(f"{name}: a mode-collapse benchmark ({len(MIXTURES[name].centres)} Gaussians). The "
                            "Monitor charts the modes captured and the share of high-quality samples.", "info")
            else:
                self.notify("", "info")

    def choose_preset(self, name: str) -> None:
        """Switch to a named preset's settings (the data and seed stay); the
        experiment starts over."""
        self.runner.pause()
        if self._attempt(f"Cannot apply the preset {name!r}", lambda: apply_preset(self.config, name)):
            preset = PRESETS[name]
            self.notify(f"Preset: {preset.title}. {preset.description} Press Play to train.", "info")

    def _load_pretrained(self, name: str, quiet: bool = False) -> bool:
        path = pretrained_path(name)
        if path is None:
            if not quiet:
                self.notify(f"No pretrained model for {name}; training from scratch.", "info")
            return False
        ok = self._attempt(f"Cannot load the pretrained {name} model",
                           lambda: restore(self.trainer, Trainer.load(path, device=self.config.device)))
        if ok:
            self._new_record()
            self.controls.set_selected(name)
            self._refresh_soon()
            if not quiet:
                self.notify(f"Loaded the model pretrained on {name} "
                            f"({self.trainer.iteration:,} iterations); press Play to continue.", "info")
        return ok

    def start_drawing(self) -> None:
        """Open the drawing canvas in place of the layered plot."""
        self.runner.pause()
        self.drawing_view.reset()
        self.drawing_view.show_reference(self.trainer.real_atlas[:450])
        self.drawing = True

    def cancel_drawing(self) -> None:
        self.drawing = False

    def finish_drawing(self, points) -> bool:
        """Train on the drawn points; nothing drawn is refused with a message."""
        pts = np.asarray(points, dtype=float).reshape(-1, 2)
        if len(pts) == 0:
            self.notify("Nothing was drawn: drag on the canvas to draw strokes, or tap to add points, "
                        "then press Done.", "warning")
            return False
        ok = self._attempt("Cannot train on this drawing",
                           lambda: self.config.param.update(distribution=DRAWING, drawn_points=validate_points(pts)))
        if ok:
            self.drawing = False
            if len(pts) == 1:
                self.notify(f"Training data: your drawing (1 point: the real data is a small blob around it, "
                            f"σ = {DRAWING_JITTER}; draw more points to shape a distribution). Press Play.",
                            "success")
            else:
                self.notify(f"Training data: your drawing ({len(pts):,} points). Press Play.", "success")
        return ok

    # ---------------------------------------------------------- files
    def load_files(self, files: dict[str, bytes]) -> bool:
        """Load uploaded files: our checkpoint (.pt), GAN Lab's model (.json with
        its .bin, or both in a .zip), a config (.json of settings), or points (.csv).

        Anything refused leaves the experiment as it was and says why."""
        files = dict(files)
        total = sum(len(v) for v in files.values())
        if total > MAX_UPLOAD_BYTES:
            self.notify(f"Cannot load {', '.join(files)}: {total / 2**20:.1f} MiB is more than the "
                        f"{MAX_UPLOAD_BYTES / 2**20:.0f} MiB an upload may hold.", "warning")
            return False
        empty = [name for name, content in files.items() if not content]
        if empty:
            self.notify(f"Cannot load {empty[0]}: the file is empty.", "warning")
            return False
        for name, content in list(files.items()):
            if name.lower().endswith(".zip"):
                files.pop(name)
                try:
                    with zipfile.ZipFile(io.BytesIO(content)) as zf:
                        for member in zf.infolist()[:16]:
                            if member.file_size <= 64 * 2**20 and not member.is_dir():
                                files[Path(member.filename).name] = zf.read(member)
                except (zipfile.BadZipFile, OSError) as exc:
                    self.notify(f"Cannot read {name}: not a valid zip file ({exc})", "warning")
                    return False
        by_ext = {}
        for name in files:
            by_ext.setdefault(Path(name).suffix.lower(), []).append(name)
        self.runner.pause()
        if ".pt" in by_ext:
            name = by_ext[".pt"][0]
            return self._load_trainer(name, lambda: Trainer.load(files[name], device=self.config.device))
        if ".json" in by_ext and ".bin" not in by_ext and _is_settings(files[by_ext[".json"][0]]):
            name = by_ext[".json"][0]
            return self.load_settings(files[name], name)
        if ".json" in by_ext:
            name = by_ext[".json"][0]
            bins = {Path(n).name: files[n] for n in by_ext.get(".bin", [])}
            return self._load_trainer(name, lambda: ganlab_model_from_bytes(files[name], bins, name=name,
                                                                            device=self.config.device))
        if ".csv" in by_ext:
            name = by_ext[".csv"][0]

            def use_points():
                pts = parse_points_csv(files[name])
                self.config.param.update(distribution=DRAWING, drawn_points=pts)
            if self._attempt(f"Cannot use {name}", use_points):
                self.controls.set_selected("")   # the data is the file's, not a drawing
                self.notify(f"Training data: {len(self.config.drawn_points):,} points from {name}.", "success")
                return True
            return False
        self.notify("Nothing to load: upload a model (.pt, or GAN Lab's .json with its .bin, or a .zip of both) "
                    "or points (.csv).", "warning")
        return False

    def load_settings(self, text: bytes | str, name: str = "config.json") -> bool:
        """Apply a config JSON (as ``ExperimentConfig.to_json`` writes, or any
        subset of its keys); a refused file changes nothing."""
        def apply():
            values = json.loads(text)
            if not isinstance(values, dict):
                raise ConfigError("a config must be a JSON object")
            checked = ExperimentConfig.from_dict({**self.config.to_dict(), **values})
            changes = self.config.differences(checked)
            self.config.param.update({k: getattr(checked, k) for k in changes})
            return changes

        result = {}
        ok = self._attempt(f"Cannot apply {name}", lambda: result.update(changed=apply()))
        if ok:
            changed = sorted(result["changed"])
            self._refresh_soon()
            self.notify(f"Applied {name}: " + (", ".join(changed) + " changed." if changed else "nothing changed."),
                        "success")
        return ok

    def _load_trainer(self, name: str, make) -> bool:
        def load():
            other = make()
            try:
                restore(self.trainer, other)
            finally:
                other.close()
        ok = self._attempt(f"Cannot load {name}", load)
        if ok:
            self._new_record()
            self._refresh_soon()
            self.notify(f"Loaded {name}: {self.config.distribution}, iteration {self.trainer.iteration:,}.",
                        "success")
        return ok

    def upload_refused(self, files: list[tuple[str, int]], limit: int = MAX_UPLOAD_BYTES) -> None:
        """The browser held back an upload that was too large."""
        total = sum(size for _, size in files)
        names = ", ".join(name for name, _ in files)
        self.notify(f"Cannot load {names}: {total / 2**20:.1f} MiB is more than the {limit / 2**20:.0f} MiB "
                    "an upload may hold. Nothing was sent or changed.", "warning")

    # ---------------------------------------------------------- layout
    @param.depends("drawing", watch=True)
    def _swap_main_plot(self):
        # both stay in the page (their plots keep their models and sizes); only one shows
        self._layered_box.styles = HIDDEN if self.drawing else SHOWN
        self._drawing_box.styles = dict(DRAWING_STYLES, **(SHOWN if self.drawing else HIDDEN))

    def __panel__(self):
        overview = pn.Column(
            pn.Row(_title("Model overview graph", "A"), self.controls.edit, margin=0),
            Zoomed(object=self.overview, design_width=plots.OVERVIEW_W, max_zoom=1.8, sizing_mode="stretch_width",
                   margin=0),
            margin=(0, 10), styles=COLUMN_STYLES["overview"])
        layered = pn.Column(_title("Layered distributions", "B"),
                            pn.Column(self._layered_box, self._drawing_box, margin=0, sizing_mode="stretch_width",
                                      styles={"position": "relative"}),
                            margin=(0, 10), styles=COLUMN_STYLES["layered"])
        layers = pn.Row(pn.pane.HTML("<b>Layers</b>", margin=(12, 0, 0, 0)),
                        pn.widgets.TooltipIcon(value=LAYERS_TIP, margin=(10, 4, 0, 4)), margin=0)
        side = pn.Column(layers, self.layered.toggles,
                         pn.layout.Divider(margin=(4, 0)), self.charts, self.settings, margin=(0, 10),
                         styles=COLUMN_STYLES["side"])
        main = pn.FlexBox(overview, layered, side, flex_wrap="wrap", margin=0, sizing_mode="stretch_width",
                          stylesheets=[":host { container-type: inline-size; }"])
        root = Root(
            self.controls,
            pn.Column(self._message_box, main, margin=0, sizing_mode="stretch_width",
                      styles={"position": "relative"}),
            stylesheets=[PAGE_CSS], margin=0, sizing_mode="stretch_width",
            on_caught_up=self.runner.views_caught_up, on_closed=self._output_closed,
        )
        self._roots.add(root)
        return root

    def _output_closed(self) -> None:
        """A notebook output of the app went (its cell ran again, or was
        cleared): if none is left, nobody watches, so training stops."""
        if not any(root.shown for root in list(self._roots)) and self.runner.playing:
            self.runner.pause()

    def _views_ready(self) -> bool:
        """Whether every browser showing the app has drawn what it was sent."""
        return all(root.caught_up() for root in list(self._roots))
