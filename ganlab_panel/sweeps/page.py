"""The sweep page: define a sweep, run it, and read its runs side by side.

    >>> page = SweepPage(ExperimentConfig(distribution="ring"), ["d_lr=0.01,0.1", "g_lr=0.01,0.1"],
    ...                  iterations=2000)
    >>> page                  # in a notebook: the page; press Run, or...
    >>> page.run()            # ...train every run here and now (the results' Dataset)
    >>> page.open("d_lr=0.1,g_lr=0.01,seed=0")   # one run in the full lab, where it ended

Served at ``/sweep`` (``panel serve apps/sweep.py``, ``ganlab serve``). The
inputs say what to sweep: the data, one or two settings with their values as
``v1,v2,...``, the seeds and the iterations. Each change is checked at once;
a refused value is named in the message area and Run waits until the inputs
are valid. Run trains the cells on a thread of their own (``Sweep.run`` with
an in-process Dask client, or the ``client`` given), so the page stays live,
and each run joins the page as it finishes: a small picture of its final real
(green) and generated (purple) samples, framed by its outcome (converged,
collapsed or diverged: see ``charts``), in a grid of the first axis down and
the second across; the phase diagram (final JS, mean over seeds) and every
run's JS curve follow. Stop cancels the cells not yet finished. "Open in the
lab" shows a run in the full lab in the page's place, from its checkpoint
(the page keeps its sweep's runs in a folder of its own until it closes);
"Back to the sweep" returns.
"""

from __future__ import annotations

import queue
import shutil
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

import numpy as np
import panel as pn
import param

from ganlab_panel.engine.config import ExperimentConfig, parse_settings, query_text
from ganlab_panel.engine.errors import ConfigError, GANLabError
from ganlab_panel.engine.trainer import Trainer
from ganlab_panel.live import style
from ganlab_panel.sweeps.charts import (
    OUTCOME_COLOURS,
    OUTCOMES,
    Run,
    js_curves,
    phase_diagram,
)
from ganlab_panel.sweeps.grid import RunGrid
from ganlab_panel.sweeps.inputs import SweepInputs
from ganlab_panel.sweeps.spec import Cell, parse_axis
from ganlab_panel.sweeps.sweep import Sweep
from ganlab_panel.ui import address
from ganlab_panel.ui.document import Home, Root, batch
from ganlab_panel.ui.session import Session

PAGE_CSS = f":host {{ background: {style.PANEL_BG}; font-family: Roboto, Helvetica, Arial, sans-serif; }}"
BAR_STYLES = {"background": "#eeeeee", "padding": "6px 12px"}


def final_samples(checkpoint: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A finished run's final real and generated samples, from its checkpoint."""
    trainer = Trainer.load(checkpoint)
    try:
        frame = trainer.snapshot(divergences=False)
        return frame.real, frame.fake
    finally:
        trainer.close()


class SweepPage(Session):
    """Define a sweep, run it, read its runs, open one in the lab (see the module docstring)."""

    running = param.Boolean(default=False, doc="A sweep is training.")
    done = param.Integer(default=0, doc="The runs of the current sweep finished so far.")
    total = param.Integer(default=0, doc="The runs of the current sweep.")

    def __init__(self, base: ExperimentConfig | None = None, axes=None, seeds: int = 1, iterations: int = 1000,
                 client=None, **params):
        super().__init__(**params)
        #: the base config: the data comes from the page's menu, the rest from here
        self.base = base.copy() if base is not None else ExperimentConfig(distribution="ring")
        #: a Dask client to train on; None: an in-process one for each sweep
        self.client = client
        #: the sweep last run, and its finished runs by cell key
        self.sweep: Sweep | None = None
        self.runs: dict[str, Run] = {}
        #: the run open in the lab (a GANLab), or None
        self.lab = None
        self._folder = Path(tempfile.mkdtemp(prefix="ganlab-sweep-"))
        self._out: Path | None = None
        self._count = 0
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._started = 0.0
        self._ending = ""
        self._home = Home()
        self._waker = None
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()   # work for the page, from the sweep's thread
        self._drain_lock = threading.Lock()
        #: the data, the axes, the seeds and the iterations
        self.inputs = SweepInputs(self.base, axes, seeds, iterations)
        self._make_buttons()
        #: the runs, one slot each
        self.grid = RunGrid()
        self.phase = pn.pane.HoloViews(None, visible=False, css_classes=["ganlab-sweep-phase"], margin=5)
        self.curves = pn.pane.HoloViews(None, visible=False, css_classes=["ganlab-sweep-curves"], margin=5)
        results = pn.FlexBox(self.grid.panel, pn.Column(self.phase, self.curves), flex_wrap="wrap", margin=0)
        self._sweep_view = pn.Column(self._bar(), self.message_box, results, margin=0, sizing_mode="stretch_width")
        self._page = pn.Column(self._sweep_view, margin=0, sizing_mode="stretch_width")
        self._check()
        self._end_with_session()

    @classmethod
    def from_url(cls, query: dict | None = None) -> SweepPage:
        """The page as its address sets it up, e.g. ``/sweep?distribution=ring&axis=d_lr=0.01,0.1&axis=g_lr=0.01,0.1
        &seeds=2&iterations=2000`` (other settings by name set the base).
        Values refused are named in the message area; the rest apply."""
        query = dict(address.page_query(query))
        axes_given = query.pop("axis", [])
        counts = {name: query.pop(name) for name in ("seeds", "iterations") if name in query}
        values, problems = parse_settings(query)
        base = ExperimentConfig(distribution="ring")
        try:
            base.param.update(values)
        except (ConfigError, ValueError) as exc:
            problems.append(exc)
        axes = []
        for raw in axes_given if isinstance(axes_given, (list, tuple)) else [axes_given]:
            try:
                axes.append(parse_axis(query_text(raw)))
            except ConfigError as exc:
                problems.append(exc)
        if len(axes) > 2:
            problems.append(f"axes after the first two ({', '.join(name for name, _ in axes[2:])})")
        numbers = {name: query_text(raw).strip() for name, raw in counts.items()}
        problems += [f"{name}={text!r} (a whole number)" for name, text in numbers.items() if not text.isdigit()]
        page = cls(base, dict(axes[:2]) or None, **{k: int(t) for k, t in numbers.items() if t.isdigit()})
        if problems:
            page.notify(address.ignored(problems), "warning")
        return page

    # ------------------------------------------------------------ inputs
    def _make_buttons(self) -> None:
        self.run_button = pn.widgets.Button(label="▶ Run", color="primary", width=80, margin=(22, 5, 5, 5),
                                            css_classes=["ganlab-sweep-run"])
        self.stop_button = pn.widgets.Button(label="■ Stop", width=80, disabled=True, margin=(22, 5, 5, 5),
                                             css_classes=["ganlab-sweep-stop"])
        self.progress = pn.pane.HTML(self._progress_html(), width=190, margin=(28, 10, 5, 10))
        for widget in self.inputs.widgets:
            self._watchers.append(widget.param.watch(self._check, "value"))
        self.run_button.on_click(lambda event: self._home.run(self.start))
        self.stop_button.on_click(lambda event: self.stop())

    def _bar(self) -> pn.FlexBox:
        title = pn.pane.HTML("<span style='font-size:24px;color:#444'><b>GAN</b> Lab · sweep</span>",
                             margin=(20, 20, 0, 5))
        return pn.FlexBox(title, *self.inputs.widgets, self.run_button, self.stop_button, self.progress,
                          flex_wrap="wrap", margin=0, styles=BAR_STYLES, sizing_mode="stretch_width",
                          css_classes=["ganlab-sweep-bar"])

    def define(self) -> Sweep | None:
        """The sweep the inputs define, or None with what is wrong in the message area."""
        try:
            sweep = self.inputs.sweep()
        except (ConfigError, GANLabError, ValueError, TypeError) as exc:
            self.notify(f"Cannot run this sweep: {exc}", "warning")
            return None
        if self.message_level == "warning" and self.message.startswith("Cannot run"):
            self.notify("")
        return sweep

    def _check(self, *events) -> None:
        """An input changed: say what is wrong at once; Run waits until nothing is."""
        ok = self.define() is not None
        self.run_button.disabled = self.running or not ok

    # ------------------------------------------------------------ running
    def start(self) -> bool:
        """Run: train the sweep the inputs define on a thread of its own, each
        run joining the page as it finishes. False if the inputs are refused
        (the message area says why) or a sweep is already running."""
        if self.running or self.closed:
            return False
        sweep = self.define()
        if sweep is None:
            return False
        self._begin(sweep)
        self._waker = self._home.waker(self._drain)   # None in a script: the thread shows each run itself
        self._thread = threading.Thread(target=self._work, args=(sweep,), name="ganlab-sweep", daemon=True)
        self._thread.start()
        return True

    def run(self):
        """Train the sweep the inputs define here and now (from code), showing
        each run as it finishes; its results' Dataset (None if the inputs are refused)."""
        if self.running or self.closed:
            raise RuntimeError("a sweep is already running on this page" if self.running else "the page is closed")
        sweep = self.define()
        if sweep is None:
            return None
        self._begin(sweep)
        self._waker = None
        return self._work(sweep)

    def stop(self) -> None:
        """Stop: cancel the runs not yet finished (those finished stay)."""
        if not self.running or self.sweep is None:
            return
        self._stopping = True
        self.sweep.stop()
        self._show_progress()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a sweep started with Run to end; whether it has."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def dataset(self):
        """The sweep's results as an xarray Dataset (see ``Sweep.dataset``), or None before any."""
        return self.sweep.dataset() if self.sweep is not None and self.runs else None

    def _begin(self, sweep: Sweep) -> None:
        self.back()
        if self._out is not None:
            shutil.rmtree(self._out, ignore_errors=True)
        self._count += 1
        self._out = self._folder / f"sweep-{self._count}"
        self.sweep, self.runs, self._stopping, self._ending = sweep, {}, False, ""
        self._started = time.perf_counter()
        with batch():
            self.param.update(running=True, done=0, total=len(sweep.cells))
            self.grid.layout(sweep)
            self._draw_charts()
            self.run_button.disabled, self.stop_button.disabled = True, False
            self.inputs.enable(False)
            self._show_progress()
            if self.message_level in ("info", "success"):
                self.notify("")

    def _work(self, sweep: Sweep):
        """The sweep's thread (or the caller's, from ``run``)."""
        results = None
        try:
            results = sweep.run(client=self.client, out=self._out, on_cell=partial(self._finished, sweep))
        except Exception as exc:  # noqa: BLE001  (whatever stopped it, the page says so)
            self._hand(partial(self.notify, f"The sweep stopped: {type(exc).__name__}: {exc}", "danger"))
        finally:
            self._hand(self._ended)
            if self.closed:
                shutil.rmtree(self._folder, ignore_errors=True)
        return results

    def _finished(self, sweep: Sweep, cell: Cell, result: dict) -> None:
        """A cell finished (on the sweep's thread): its final samples, then the page."""
        if self._stopping:
            sweep.stop()   # a Stop pressed while the sweep was starting
            return
        if self.closed:
            return
        try:
            real, fake = final_samples(result["checkpoint"])
        except Exception:  # noqa: BLE001  (a run whose checkpoint cannot be drawn still counts)
            real = fake = np.empty((0, 2))
        run = Run(cell, dict(result["row"]), list(result["curve"]), real, fake)
        self._hand(partial(self._show_run, run))

    def _hand(self, work) -> None:
        """Have ``work`` done on the page's event loop (or now, where none can be woken)."""
        self._inbox.put(work)
        waker = self._waker
        if waker is not None:
            waker.wake()
        else:
            self._drain()

    def _drain(self) -> None:
        """Do the work the sweep's thread handed over, as one update of the page."""
        with self._drain_lock:
            work = []
            while True:
                try:
                    work.append(self._inbox.get_nowait())
                except queue.Empty:
                    break
            if self.closed or not work:
                return
            with batch():
                for item in work:
                    item()
                self._draw_charts()

    def _ended(self) -> None:
        seconds = time.perf_counter() - self._started
        stopped = self._stopping or self.done < self.total
        self._ending = "stopped" if stopped else f"done in {seconds:.0f} s"
        self.param.update(running=False)
        self.stop_button.disabled = True
        self.inputs.enable(True)
        self._check()
        self._show_progress()
        if not stopped and self.message_level != "danger":
            counts = [f"{sum(r.outcome == o for r in self.runs.values())} {o}" for o in OUTCOMES]
            self.notify(f"The sweep is done: {', '.join(counts)}. Open a run to play it on in the lab.", "success")

    # ------------------------------------------------------------ views
    def _show_progress(self) -> None:
        self.progress.object = self._progress_html()

    def _progress_html(self) -> str:
        if not self.total:
            return "<span class='ganlab-sweep-progress' style='color:#666'>no sweep yet</span>"
        state = "stopping…" if self.running and self._stopping else "running…" if self.running else self._ending
        return (f"<span class='ganlab-sweep-progress'><span style='font-size:15px'><b>{self.done} / {self.total} "
                f"runs</b></span> <span style='color:#666'>{state}</span></span>")

    def _show_run(self, run: Run) -> None:
        if self.sweep is None or not self.grid.show(run, lambda key: self._home.run(partial(self.open, key))):
            return
        self.runs[run.key] = run
        self.done = len(self.runs)
        self._show_progress()

    def _draw_charts(self) -> None:
        if self.sweep is None:
            return
        runs = list(self.runs.values())
        self.phase.object = phase_diagram(runs, self.sweep.spec.axes)
        self.curves.object = js_curves(runs)
        self.phase.visible = self.curves.visible = True

    # ------------------------------------------------------------ a run in the lab
    def open(self, cell: Cell | str):
        """Show a finished run in the full lab, in the page's place, ready to
        play on from where it ended; the lab (a GANLab), or None if the run is
        not finished (the message area says so)."""
        key = cell.key if isinstance(cell, Cell) else str(cell)
        run = self.runs.get(key)
        if run is None or self.sweep is None:
            self.notify(f"No finished run {key} to open.", "warning")
            return None
        self.back()
        try:
            lab = self.sweep.open(key)
        except (GANLabError, OSError, ValueError) as exc:
            self.notify(f"Cannot open the run {key}: {exc}", "danger")
            return None
        self.lab = lab
        self.clear_notice()
        back = pn.widgets.Button(label="← Back to the sweep", color="primary", width=170,
                                 css_classes=["ganlab-sweep-back"])
        back.on_click(lambda event: self._home.run(self.back))
        about = pn.pane.HTML(f"<span class='ganlab-sweep-lab-run' style='font-size:15px'>Run <b>{run.cell.key}"
                             f"</b>: <span style='color:{OUTCOME_COLOURS[run.outcome]}'>{run.outcome}</span>, "
                             f"{int(run.row.get('iteration', 0)):,} iterations</span>", margin=(12, 10))
        self._page.objects = [pn.Row(back, about, margin=0, styles=BAR_STYLES, sizing_mode="stretch_width",
                                     css_classes=["ganlab-sweep-lab-bar"]), self.message_box, lab]
        return lab

    def back(self) -> None:
        """Back to the sweep from a run open in the lab (closing the lab)."""
        lab, self.lab = self.lab, None
        if lab is not None:
            self._page.objects = [self._sweep_view]
            lab.close()

    # ------------------------------------------------------------ lifecycle
    def _release(self) -> None:
        if self.sweep is not None and self.running:
            self._stopping = True
            self.sweep.stop()
        lab, self.lab = self.lab, None
        if lab is not None:
            lab.close()
        if self._thread is None or not self._thread.is_alive():
            shutil.rmtree(self._folder, ignore_errors=True)

    def __panel__(self):
        return Root(self._page, stylesheets=[PAGE_CSS], margin=0, sizing_mode="stretch_width",
                    styles={"background": style.PANEL_BG})
