"""GANLab: the whole app as one Panel Viewer.

The same object runs in a notebook (display it) and on a server
(``panel serve apps/ganlab.py`` or ``ganlab serve``): it composes the config,
the trainer, the runner and one Viewer per visual panel. Every session builds
its own GANLab; ``close()`` (called when a served session ends) stops its
callbacks and lets its trainer go.

The lab's rooms live beside it: its page's layout (``layout``), its address
(``address``), its message area and lifecycle (``session``), uploads
(``uploads``), the data it trains on (``data_choice``) and its record of
moments driven from code (``moments``).
"""

from __future__ import annotations

import time
import weakref

import panel as pn
import param

from ganlab_panel.engine.config import ExperimentConfig
from ganlab_panel.engine.data import DISTRIBUTIONS, DRAWING, validate_points
from ganlab_panel.engine.trainer import Trainer
from ganlab_panel.live.history import History
from ganlab_panel.live.scene import Scene
from ganlab_panel.ui import address
from ganlab_panel.ui.data_choice import DataChoice
from ganlab_panel.ui.data_edit import DataEdit
from ganlab_panel.ui.document import Root, anyone_watching, batch, served_document
from ganlab_panel.ui.film import Film
from ganlab_panel.ui.layout import lab_page, main_plot_styles
from ganlab_panel.ui.moments import Moments
from ganlab_panel.ui.runner import Runner
from ganlab_panel.ui.session import Session
from ganlab_panel.ui.uploads import Uploads
from ganlab_panel.ui.views import (
    ChartsView,
    ControlsView,
    DrawingView,
    LayeredView,
    OverviewGraph,
    SettingsView,
    TimelineView,
)
from ganlab_panel.ui.views.data_tools import DataTools
from ganlab_panel.ui.views.deferred import Deferred
from ganlab_panel.ui.views.upload import MAX_UPLOAD_BYTES

#: while training plays, the views other than the layered one (the overview,
#: the charts, the counter, the timeline and the rates) follow together, in
#: one frame, so that the browser lays out and restyles the page once for all
#: of them: at most every FOLLOW_INTERVAL seconds, and every FOLLOW_FRAMES-th
#: frame at most, so a browser that draws few frames spends them on the main plot
FOLLOW_INTERVAL = 0.25
FOLLOW_FRAMES = 4

#: what a visitor to the served app reads first (it goes once training starts)
INTRO = ("GAN Lab: press ▶ Play to watch a generator learn to fake the real data (green dots) with its own "
         "(purple), while a discriminator learns to tell the two apart. Point at a button to see what it does.")


class FollowPace:
    """When the views other than the layered one follow a frame: every frame
    unless training plays live, then at most every ``interval`` seconds and
    every ``frames``-th frame."""

    def __init__(self, interval: float = FOLLOW_INTERVAL, frames: int = FOLLOW_FRAMES):
        self.interval, self.frames = interval, frames
        self.last = 0.0   # when they last followed...
        self.since = 0    # ...and the frames since

    def due(self, live: bool) -> bool:
        """A frame is published: whether the others follow it (counted as followed)."""
        now = time.perf_counter()
        self.since += 1
        if live and (now - self.last < self.interval or self.since < self.frames):
            return False
        self.last, self.since = now, 0
        return True


class GANLab(Moments, DataChoice, DataEdit, Session):
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

    The lab composes its views, runner and uploads (``Uploads``), and takes
    two rooms as mixins, since their methods are the README's API on the lab
    itself: ``Moments`` (train, frames, rewind, export, download),
    ``DataChoice`` (the distributions, presets, drawing) and ``DataEdit``
    (adding and erasing real points in place). Its page, address,
    message area and lifecycle are shared with ``CompareLab``.
    """

    use_pretrained = param.Boolean(default=True, doc="Choosing a distribution loads a model pretrained on it.")
    drawing = param.Boolean(default=False, doc="The drawing canvas is open.")

    def __init__(self, config: ExperimentConfig | None = None, data=None, **params):
        settings = {k: params.pop(k) for k in list(params) if k in ExperimentConfig.field_names()}
        hot = {k: v for k, v in settings.items() if not ExperimentConfig.is_structural(k)}
        if address.reshapes(settings):
            params.setdefault("use_pretrained", False)  # a pretrained model has its own shape
        super().__init__(floating=True, **params)
        if settings:  # checked (and refused) as Trainer does, before anything is built
            config = (config if config is not None else ExperimentConfig()).copy(**settings)
        elif config is None:
            config = ExperimentConfig()
        if data is not None:
            config.param.update(distribution=DRAWING, drawn_points=validate_points(data))
        self.config = config
        self.trainer = Trainer(config)
        #: the data as it was before each change made in place (``undo_data``)
        self._data_undo: list = []
        self._build_views()
        self._pace = FollowPace()
        self._scene: Scene | None = None
        self._watchers += [
            config.param.watch(self._structure_changed, config.structural_params()),
            config.param.watch(self._hot_changed, config.hot_params()),
            self.runner.param.watch(self._substep_changed, ["substep", "playing"]),
            self.runner.param.watch(self._slow_changed, "slow"),
            self.layered.param.watch(self._dense_layers_changed, ["d_field", "density"]),
            self.overview.param.watch(lambda e: self.controls.show_editing(e.new), "edit_mode"),
        ]
        if self.use_pretrained and data is None and config.distribution in DISTRIBUTIONS:
            self._load_pretrained(config.distribution, quiet=True)
        if hot:  # over the pretrained model's own
            config.param.update(**hot)
        self.controls.set_selected(config.distribution)
        self._publish(self.runner.scene())  # the record starts with the experiment's first moment
        self.timeline.sync()
        self.show_data_count()
        self._end_with_session()
        # served: the page address follows the settings, so a copied link opens this setup
        self._address = address.Address(config.to_query)
        if self._address.served:
            self._watchers.append(config.param.watch(self._address.follow, config.field_names()))

    def _build_views(self) -> None:
        """The views, the runner between the trainer and them, and the record."""
        self.layered = LayeredView()
        self.overview = OverviewGraph(self.config)
        self.charts = ChartsView()
        #: the record of this experiment: scrub back with the timeline, or ``rewind(i)``
        self.history = History()
        #: the roots this app is shown in (one per notebook output or served page)
        self._roots: weakref.WeakSet[Root] = weakref.WeakSet()
        self.runner = Runner(self.trainer, publish=self._publish, scene_options=lambda: self.layered.wants,
                             notify=self.notify, history=self.history, before_training=self._resume_point,
                             views_ready=self._views_ready, watched=lambda: anyone_watching(self._roots))
        self.timeline = TimelineView(self.history, on_scrub=self._scrub, on_resume=self.resume)
        self.uploads = Uploads(self.config, lambda: self.trainer, pause=self.runner.pause, notify=self.notify,
                               on_model=self._model_loaded, on_settings=self._refresh_soon,
                               on_points=lambda: self.controls.set_selected(""))  # the file's data, not a drawing
        overview = self.overview
        #: the MP4 of the record, made off the event loop (``make_film``)
        self.film = Film(self.runner.home, self.notify)
        self.controls = ControlsView(
            self.runner, on_reset=self.reset, on_step=self.step, on_step_d=self.step_d, on_step_g=self.step_g,
            on_choose=self.choose_distribution, on_draw=self.start_drawing, on_download=self.download,
            on_files=self.load_files, on_refused=self.upload_refused, film=self.film, on_film=self.make_film,
            on_edit=lambda: overview.param.update(edit_mode=not overview.edit_mode), pretrained=self.use_pretrained)
        self.controls.pretrained.link(self, value="use_pretrained", bidirectional=True)
        self.settings = SettingsView(self.config, on_preset=self.choose_preset)
        #: tap and drag on the layered plot to add or erase real points, while it trains
        self.data_tools = DataTools(on_add=self.add_points, on_erase=self.erase_points, on_undo=self.undo_data,
                                    on_clear=self.clear_data)
        self.layered.on_figure(self.data_tools.listen)
        self._layered_box = pn.Column(self.layered.plot, self.data_tools, self.timeline, self.layered.legend,
                                      margin=0, sizing_mode="stretch_width")
        # the drawing canvas lies over the layered plot, shown in its place
        # while drawing (both keep their size: see plots.square_pane). It
        # joins the page the first time drawing starts, once its box shows:
        # built inside the hidden box, Bokeh's drawing tool took no strokes
        self._drawing_view: DrawingView | None = None
        self._drawing_box = Deferred(lambda: [self.drawing_view], sizing_mode="stretch_width",
                                     styles=main_plot_styles(drawing=False)[1])

    @property
    def drawing_view(self) -> DrawingView:
        """The drawing canvas (made on first use; in the page once drawing starts)."""
        if self._drawing_view is None:
            self._drawing_view = DrawingView(on_done=self.finish_drawing, on_cancel=self.cancel_drawing)
        return self._drawing_view

    @classmethod
    def from_url(cls, query: dict | None = None, **params) -> GANLab:
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
        read = address.lab_settings(address.page_query(query))
        if read.reshaped:
            params.setdefault("use_pretrained", False)
        lab = cls(read.config, **params)
        if read.hot:
            lab._attempt("Cannot apply the address's settings", lambda: lab.config.param.update(**read.hot))
        if read.problems:
            lab.notify(address.ignored(read.problems), "warning")
        elif not lab.message:
            lab.notify(INTRO, "info")
        return lab

    def _release(self) -> None:
        self.runner.close()
        for view in (self.layered, self.overview, self.charts, self._drawing_view, self.settings, self.data_tools):
            if view is not None:
                view.clear()
        self.trainer.close()
        self.runner.trainer = None
        self.trainer = None

    # ---------------------------------------------------------- publish
    def _publish(self, scene: Scene) -> None:
        """Send a Scene to the views. While training plays, the layered view gets
        every frame and the rest follow together at most every FOLLOW_INTERVAL,
        so the browser's time goes to the main plot."""
        if self.closed:
            return
        follow = self._pace.due(live=self.runner.playing and not self.runner.slow)
        self._scene = scene
        with batch():
            self.layered.update(scene)
            if follow:
                self.overview.update(scene, playing=self.runner.playing, substep=self.runner.current_substep)
                if self.history.rewound:
                    self.charts.show(scene.frame)   # a moment of the past: the charts keep the whole run
                else:
                    self.charts.mark(None)
                    self.charts.update(scene.frame)
                self.controls.set_iteration(scene.frame.iteration)
                self.controls.show_rates()
                self.timeline.sync()

    def refresh(self) -> None:
        """Redraw every view from the trainer's current state (synchronously)."""
        self._publish(self.runner.scene())

    def _settle(self) -> None:
        """Training stopped: show where it stands, and keep that as the newest moment."""
        self._publish(self.runner.scene(force=True))

    def _refresh_soon(self) -> None:
        if served_document() is not None:
            pn.state.execute(self.runner.refresh)
        else:
            self.refresh()

    # ---------------------------------------------------------- transport
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

    # ---------------------------------------------------------- reactions
    def _structure_changed(self, *events) -> None:
        # the trainer (watching first) has rebuilt the experiment: it starts
        # over, and goes on playing if it was (the data's own buttons pause first)
        playing = self.runner.playing
        self.runner.pause()
        self._new_record()
        self.controls.set_selected(self.config.distribution)
        self._refresh_soon()
        if playing and not self.closed:
            changed = ", ".join(f"{self.config.param[e.name].label}: {e.new}" for e in events
                                if e.name != "drawn_points")
            self.runner.play()
            self.notify(f"Rebuilt the model ({changed}): training starts over from iteration 0.", "info")

    def _hot_changed(self, *events) -> None:
        # playing, the next frame shows it; paused, show it now (a critic's
        # heatmap and legend, a learning rate's schedule...)
        if not self.runner.playing and not self.closed:
            self._refresh_soon()

    def _substep_changed(self, event) -> None:
        if self.closed or self.trainer is None or self._scene is None:
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
        if self.closed or not self.use_pretrained or name not in DISTRIBUTIONS:
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

    def _model_loaded(self) -> None:
        """An uploaded model replaced the experiment's: a new record, every view showing it."""
        self._new_record()
        self._refresh_soon()

    # ---------------------------------------------------------- files
    def load_files(self, files: dict[str, bytes]) -> bool:
        """Load uploaded files: our checkpoint (.npz), GAN Lab's model (.json with
        its .bin, or both in a .zip), a config (.json of settings), or points (.csv).

        Anything refused leaves the experiment as it was and says why."""
        return self.uploads.load(files)

    def load_settings(self, text: bytes | str, name: str = "config.json") -> bool:
        """Apply a config JSON (as ``ExperimentConfig.to_json`` writes, or any
        subset of its keys); a refused file changes nothing."""
        return self.uploads.apply_settings(text, name)

    def upload_refused(self, files: list[tuple[str, int]], limit: int = MAX_UPLOAD_BYTES) -> None:
        """The browser held back an upload that was too large."""
        self.uploads.refused(files, limit)

    # ---------------------------------------------------------- layout
    @param.depends("drawing", watch=True)
    def _swap_main_plot(self):
        self._layered_box.styles, self._drawing_box.box.styles = main_plot_styles(self.drawing)
        if self.drawing:   # the canvas joins its box once the box shows (see __init__)
            self._drawing_box.build()

    def __panel__(self):
        root = lab_page(controls=self.controls, message=self.message_box, overview=self.overview,
                        edit=self.controls.edit, layered_box=self._layered_box, drawing_box=self._drawing_box,
                        layer_toggles=self.layered.toggles, charts=self.charts, settings=self.settings,
                        on_caught_up=self.runner.views_caught_up, on_closed=self._output_closed)
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
