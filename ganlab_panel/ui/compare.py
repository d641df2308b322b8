"""Compare: two experiments side by side on the same data, trained together.

Each side (A and B) has its own config, trainer, runner and layered view;
Play, Reset and the speed drive both. The settings that differ are
highlighted in a table (and in each side's title), and the charts overlay the
two runs' losses and grid JS against iteration (``compare_charts``).

    >>> cmp = CompareLab(ExperimentConfig(distribution="ring"), loss="least_squares")   # B: A with changes
    >>> cmp                        # in a notebook: the live comparison
    >>> cmp.train(1000)            # both runs, from code
    >>> cmp.differences            # {'loss': ('log', 'least_squares')}

Served at ``/compare`` by ``ganlab serve`` (``panel serve apps/`` too); its
address holds the settings, shared ones plain and a side's own prefixed:
``/compare?distribution=ring&b.loss=least_squares&b.d_lr=0.03``.
"""

from __future__ import annotations

import html
import weakref

import pandas as pd
import panel as pn

from ganlab_panel.engine.config import CHOICE_LABELS, ExperimentConfig
from ganlab_panel.engine.data import DISTRIBUTIONS, EXTRA_DISTRIBUTIONS
from ganlab_panel.engine.errors import ConfigError, GANLabError
from ganlab_panel.engine.recording import train_in_moments
from ganlab_panel.engine.snapshot import chart_point
from ganlab_panel.engine.trainer import Trainer
from ganlab_panel.live import style
from ganlab_panel.live.scene import Scene
from ganlab_panel.ui import address
from ganlab_panel.ui.compare_charts import SIDE_COLOURS, SIDES, CompareCharts
from ganlab_panel.ui.document import Root, anyone_watching, batch
from ganlab_panel.ui.runner import LOCKSTEP_SLACK, SPEEDS, Runner
from ganlab_panel.ui.session import Session
from ganlab_panel.ui.views.controls import format_iteration, readout
from ganlab_panel.ui.views.layered import LayeredView
from ganlab_panel.ui.views.menus import setting_widget

#: the settings each side's editor offers (the data is shared)
EDITABLE = ("loss", "d_lr", "g_lr", "d_optimizer", "g_optimizer", "k_d", "k_g", "d_layers", "d_neurons",
            "g_layers", "g_neurons", "noise_dim", "noise_type", "batch_size", "seed", "d_spectral_norm",
            "r1_gamma", "gp_weight", "lr_half_life")

#: the settings both sides always share
SHARED = ("distribution", "drawn_points", "device")

#: frames per second each side publishes (two plots to paint)
COMPARE_FPS = 20

#: while both sides play, each is charted at an iteration chosen this many
#: iterations ahead of the one further on (see ``CompareLab._update_charts``)
MARK_AHEAD = 32

#: ``train`` charts both runs this many times (at most) on its way
TRAIN_MOMENTS = 20

COMPARE_CSS = """
.ganlab-compare-table { border-collapse: collapse; font-size: 12px; }
.ganlab-compare-table td, .ganlab-compare-table th { padding: 2px 8px; border-bottom: 1px solid #e4e4e4; }
.ganlab-compare-table tr.ganlab-diff td { background: #fff2b3; font-weight: bold; }
"""


def _value_text(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return CHOICE_LABELS.get(value, str(value)) if isinstance(value, str) else str(value)


class Side:
    """One of the two experiments: its config, trainer, runner and layered view."""

    def __init__(self, name: str, config: ExperimentConfig, publish, notify, size: int, watched=None):
        self.name = name
        self.config = config
        self.trainer = Trainer(config)
        self.layered = LayeredView(size=size)
        self.runner = Runner(self.trainer, publish=publish, scene_options=lambda: self.layered.wants,
                             notify=notify, fps=COMPARE_FPS, watched=watched)
        self.title = pn.pane.HTML(margin=(0, 5), css_classes=[f"ganlab-compare-title-{name}"])
        self.iteration = pn.pane.HTML(readout(f"ganlab-iteration-{name}", format_iteration(0)), margin=(0, 5),
                                      stylesheets=[":host { font-size: 20px; color: #666; }"])
        # the main page's menus (GAN Lab's learning rates, "Adam", "Log loss")
        self.editor = pn.Column(*[setting_widget(config, setting, label=config.param[setting].label, width=230)
                                  for setting in EDITABLE], margin=0, css_classes=[f"ganlab-compare-editor-{name}"])
        self.last_frame = None
        #: while playing, its chart point at the iteration it was last asked
        #: to stop at (set from the training thread), or None
        self.mark: dict | None = None
        self.runner.worker.on_mark = self._mark

    def _mark(self, trainer: Trainer) -> None:
        self.mark = chart_point(trainer)

    def close(self) -> None:
        self.runner.worker.on_mark = None
        self.runner.close()
        self.layered.clear()
        self.trainer.close()
        self.runner.trainer = None


class CompareLab(Session):
    """Two experiments side by side, trained together (see the module docstring)."""

    def __init__(self, a: ExperimentConfig | None = None, b: ExperimentConfig | None = None, size: int = 340,
                 **b_changes):
        super().__init__()
        a = a if a is not None else ExperimentConfig(distribution="ring")
        if b is None:
            b = a.copy(**(b_changes or {"loss": "least_squares"}))
        elif b_changes:
            b = b.copy(**b_changes)
        if a.differences(b).keys() & {"distribution", "drawn_points"}:  # the same data for both
            b.param.update(distribution=a.distribution, drawn_points=a.drawn_points)
        #: the roots the page is shown in: a closed tab's training pauses (see ``Runner``)
        self._roots: weakref.WeakSet[Root] = weakref.WeakSet()
        self.sides = {
            name: Side(name, cfg, publish=lambda scene, name=name: self._publish(name, scene),
                       notify=self.notify, size=size, watched=lambda: anyone_watching(self._roots))
            for name, cfg in zip(SIDES, (a, b))
        }
        #: the charts of both runs, and every point they show
        self.both_runs = CompareCharts(losses=lambda: {name: side.config.loss for name, side in self.sides.items()})
        self._charts_held = False   # while Pause stops both sides (see pause)
        self._mark_asked: int | None = None   # the iteration both sides were last asked to chart at
        #: column -> its chart of both runs
        self.charts = self.both_runs.panes
        self.table = pn.pane.HTML(stylesheets=[COMPARE_CSS], css_classes=["ganlab-compare-settings"], margin=5)
        self._make_bar(a)
        # trained in step: neither side gets more than LOCKSTEP_SLACK iterations ahead
        self.sides["a"].runner.partner, self.sides["b"].runner.partner = self.sides["b"].runner, self.sides["a"].runner
        for side in self.sides.values():
            self._watchers.append(side.config.param.watch(self._settings_changed, side.config.field_names()))
            self._watchers.append(side.runner.param.watch(self._playing_changed, "playing"))
        self._address = address.Address(self.to_query)
        self._show_settings()
        for name in SIDES:
            self._publish(name, self.sides[name].runner.scene())
        self._update_charts(force=True)
        self._end_with_session()

    def _make_bar(self, a: ExperimentConfig) -> None:
        """The top bar's buttons and menus, which drive both sides."""
        self.play = pn.widgets.Button(label="Play both", color="primary", width=110, css_classes=["ganlab-play"])
        self.reset = pn.widgets.Button(label="↺ Reset both", width=110, css_classes=["ganlab-reset"])
        self.step = pn.widgets.Button(label="One iteration each", width=150, css_classes=["ganlab-step"])
        self.speed = pn.widgets.Select(label="Speed", options=SPEEDS, value=0, width=230,
                                       css_classes=["ganlab-speed"])
        data_options = list(DISTRIBUTIONS) + [n for n in EXTRA_DISTRIBUTIONS]
        self.data = pn.widgets.Select(label="Data (both)", options=data_options,
                                      value=a.distribution if a.distribution in data_options else data_options[0],
                                      width=180, css_classes=["ganlab-compare-data"])
        self.play.on_click(lambda event: self.toggle())
        home = self.sides["a"].runner.home   # a click may arrive on another thread (a notebook's comm)
        self.reset.on_click(lambda event: home.run(self.reset_both))
        self.step.on_click(lambda event: home.run(self.step_both))
        self.speed.param.watch(self._speed_changed, "value")
        self.data.param.watch(self._data_changed, "value")

    # ------------------------------------------------------------ reading
    @property
    def differences(self) -> dict:
        """``{setting: (A's value, B's value)}`` for every setting that differs."""
        a, b = self.sides["a"].config, self.sides["b"].config
        return {k: v for k, v in a.differences(b).items() if k not in SHARED}

    @property
    def runs(self) -> tuple[Side, Side]:
        return self.sides["a"], self.sides["b"]

    @property
    def history(self) -> pd.DataFrame:
        """Every charted point of both runs (columns iteration, run, d_loss, g_loss, js)."""
        return self.both_runs.history

    # ------------------------------------------------------------ address
    @classmethod
    def from_url(cls, query: dict | None = None) -> CompareLab:
        """A comparison from the page's address: ``a.NAME`` / ``b.NAME`` set one
        side, plain names both. Refused values are named in the message area."""
        configs, problems = address.compare_settings(address.page_query(query))
        lab = cls(*configs)
        if problems:
            lab.notify(address.ignored(problems), "warning")
        return lab

    def to_query(self) -> dict[str, str]:
        """The address's settings: shared ones plain, a side's own prefixed."""
        return address.compare_query(self.sides["a"].config, self.sides["b"].config)

    # ------------------------------------------------------------ actions
    def toggle(self) -> None:
        if any(side.runner.playing for side in self.sides.values()):
            self.pause()
        else:
            self.play_both()

    def play_both(self) -> None:
        # both playing before either trains: the first to start would
        # otherwise train ahead of a partner not yet playing, unheld
        for side in self.sides.values():
            side.runner.play(start=False)
        for side in self.sides.values():
            side.runner.start_playing()

    def pause(self) -> None:
        """Pause both, at the same iteration (the one behind trains the few it lacks)."""
        # both stop training first: a side still playing while the other is
        # waited for would no longer be held in step
        for side in self.sides.values():
            side.runner.worker.stop_soon()
        # a side's last frames come as it stops: charted with the other side's,
        # they would stand at two iterations; both are charted once level
        self._charts_held = True
        try:
            for side in self.sides.values():
                side.runner.pause()
        finally:
            self._charts_held = False
        self._even_up()

    def _even_up(self) -> None:
        """Paused: the side behind trains the few iterations it lacks, and both
        show where they stand (training went on a little after their last frame)."""
        sides = [s for s in self.sides.values() if s.trainer is not None]
        if self.closed or len(sides) < 2 or any(s.trainer.diverged for s in sides):
            return
        newest = max(s.trainer.iteration for s in sides)
        for name, side in self.sides.items():
            gap = newest - side.trainer.iteration
            if 0 < gap <= 2 * LOCKSTEP_SLACK:   # only a lockstep's slack: a rebuilt side starts over
                side.trainer.train(gap)
            self._publish(name, side.runner.scene(force=True), chart=False)
        self._update_charts(force=True)   # once both stand level

    async def reset_both(self) -> None:
        for side in self.sides.values():
            await side.runner.reset()
        self._start_over()
        self._update_charts(force=True)

    async def step_both(self) -> None:
        for side in self.sides.values():
            await side.runner.step()
        self._update_charts(force=True)

    def train(self, iterations: int) -> None:
        """Train both runs ``iterations`` iterations from code, charting them
        on the way (TRAIN_MOMENTS times), then redraw."""
        self.pause()

        def chart(trainers) -> None:
            for side, trainer in zip(self.sides.values(), trainers):
                side.last_frame = trainer.snapshot()
            self._update_charts(force=True)
        train_in_moments([side.trainer for side in self.sides.values()], max(0, iterations),   # none: nothing
                         max(1, iterations // TRAIN_MOMENTS), chart)
        self.refresh()

    def refresh(self) -> None:
        for name, side in self.sides.items():
            self._publish(name, side.runner.scene())
        self._update_charts(force=True)

    # ------------------------------------------------------------ views
    def _publish(self, name: str, scene: Scene, chart: bool = True) -> None:
        if self.closed:
            return
        side = self.sides[name]
        side.last_frame = scene.frame
        with batch():
            side.layered.update(scene)
            side.iteration.object = readout(f"ganlab-iteration-{name}", format_iteration(scene.frame.iteration))
            if chart:
                self._update_charts()

    def _update_charts(self, force: bool = False) -> None:
        """Chart both runs, at most every CHART_INTERVAL while playing. While
        both play, each is charted at an iteration both were asked to stop at
        (the sides' frames come at iterations of their own, and a loss read at
        different iterations would draw two identical runs as two); else at
        each one's newest frame."""
        if self._charts_held:
            return
        sides = self.sides.values()
        if not force and all(side.runner.playing for side in sides):
            a, b = (side.mark for side in sides)
            if a is not None and b is not None and a["iteration"] == b["iteration"]:
                if self.both_runs.add_points({"a": a, "b": b}):
                    self._forget_marks()
                return
            # once a point is due (and both reached the iteration last asked, or
            # one passed it unmarked), both are asked for one neither has reached
            asked = self._mark_asked
            if self.both_runs.due() and (asked is None or all(side.trainer.iteration >= asked for side in sides)):
                self._forget_marks()
                self._mark_asked = max(side.trainer.iteration for side in sides) + MARK_AHEAD
                for side in sides:
                    side.runner.worker.next_mark = self._mark_asked
            return
        self.both_runs.add({name: side.last_frame for name, side in self.sides.items()}, force=force)

    def _show_settings(self) -> None:
        diff = self.differences
        a, b = self.sides["a"].config, self.sides["b"].config
        rows = []
        for name in ExperimentConfig.field_names():
            if name in ("drawn_points", "device"):
                continue
            cls = ' class="ganlab-diff"' if name in diff else ""
            rows.append(f"<tr{cls}><td>{html.escape(name)}</td><td>{html.escape(_value_text(getattr(a, name)))}"
                        f"</td><td>{html.escape(_value_text(getattr(b, name)))}</td></tr>")
        self.table.object = (f'<table class="ganlab-compare-table"><tr><th>setting</th>'
                             f'<th style="color:{SIDE_COLOURS["a"]}">A</th>'
                             f'<th style="color:{SIDE_COLOURS["b"]}">B</th></tr>{"".join(rows)}</table>')
        for name, side in self.sides.items():
            own = ", ".join(f"{k} {_value_text(v[0 if name == 'a' else 1])}" for k, v in diff.items())
            side.title.object = (f'<span style="font-size:16px;color:{SIDE_COLOURS[name]}"><b>{name.upper()}</b>'
                                 f'</span> <span style="font-size:13px;color:#444">'
                                 f'{html.escape(own) if own else "the same settings as the other"}</span>')

    def _settings_changed(self, *events) -> None:
        if self.closed:
            return
        self._show_settings()
        if any(e.name == "loss" for e in events):   # the loss charts' axes follow the kinds of loss
            self.both_runs.redraw()
        if any(ExperimentConfig.is_structural(e.name) for e in events):
            # a rebuilt side starts over: pause both, so the runs stay comparable
            self.pause()
            name = next(n for n, s in self.sides.items() if s.config is events[0].obj)
            self._forget_marks()
            self.both_runs.forget(name)
            self.refresh()
        self._address.follow()

    def _data_changed(self, event) -> None:
        self.pause()
        for side in self.sides.values():
            try:
                side.config.distribution = event.new
            except (ConfigError, GANLabError, ValueError) as exc:
                self.notify(f"Cannot switch to {event.new}: {exc}", "warning")
                return
        self._start_over()
        self.refresh()

    def _start_over(self) -> None:
        """Both runs start over: their charted points and marks go."""
        self._forget_marks()
        self.both_runs.clear()

    def _forget_marks(self) -> None:
        """No point is asked for or kept (charted, or a run starts over)."""
        self._mark_asked = None
        for side in self.sides.values():
            side.runner.worker.next_mark = None
            side.mark = None

    def _speed_changed(self, event) -> None:
        for side in self.sides.values():
            side.runner.iterations_per_frame = event.new

    def _playing_changed(self, event) -> None:
        playing = any(side.runner.playing for side in self.sides.values())
        self.play.label = "Pause both" if playing else "Play both"
        self.play.color = "warning" if playing else "primary"
        if not event.new and not self._charts_held:   # (Pause charts both once they stand level)
            self._update_charts(force=True)

    def _release(self) -> None:
        for side in self.sides.values():
            side.close()
        self.both_runs.close()

    def __panel__(self):
        bar = pn.Row(pn.pane.HTML("<span style='font-size:24px;color:#444'><b>GAN</b> Lab · compare</span>",
                                  margin=(5, 20, 0, 5)),
                     self.play, self.reset, self.step, self.speed, self.data, margin=0,
                     styles={"background": "#eeeeee", "padding": "6px 12px"}, sizing_mode="stretch_width")
        columns = []
        for side in self.sides.values():
            columns.append(pn.Column(pn.Row(side.title, side.iteration, margin=0), side.layered.plot,
                                     pn.Card(side.editor, title="Settings", collapsed=True, width=340),
                                     margin=(0, 10)))
        root = Root(
            bar, self.message_box,
            pn.FlexBox(*columns, self.both_runs.column(), pn.Column(pn.pane.HTML("<b>Settings</b>"), self.table),
                       flex_wrap="wrap", margin=0),
            margin=0, sizing_mode="stretch_width", styles={"background": style.PANEL_BG})
        self._roots.add(root)
        return root
