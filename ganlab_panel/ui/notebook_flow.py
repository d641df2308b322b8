"""Pacing a notebook output: the browser applies what the kernel sends it in
order, so frames sent faster than it draws pile up in front of it (and of
every other message). ``Root``, the column at the top of an app, numbers each
batch it is sent and learns from the browser whether batches come late;
``Runner`` sends the next frame only once the browser has caught up.

Internals touched, and why (Panel and Bokeh have no public API for these):

- a notebook output's comm messages (``Root._on_msg``): the browser's echoes
  of what the kernel sent are dropped, and its answers about batches read;
- Panel's notebook code in the browser (``_FLOW_JS``), quieted so that it no
  longer echoes every change back;
- Panel's rendered views (``state._views``), its render hooks, its inline
  stylesheet swap and its clean-up of a removed output;
- IPython's cell events, which say when a cell's outputs are gone;
- a served session's count of connected browsers (Bokeh's ``ServerSession``,
  reached through the document's session context): Bokeh ends a session whose
  browser went only after a while, and meanwhile nobody sees its frames.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Callable

import panel as pn
from panel.io.state import state

from ganlab_panel.ui.bokehjs import PAGE_JS

#: Held by a notebook output's root while it applies a message from the
#: browser, and by ``document.batch`` while it changes and sends a frame.
#: JupyterLab hands widget messages to the kernel on threads of their own (one subshell
#: per comm target), and applying one releases every change the document
#: holds; without this lock a frame changed on the kernel's main thread could
#: be released, and never sent, by a message applied halfway through it.
DOCUMENT_LOCK = threading.RLock()

#: the kinds of document events that change a ColumnDataSource's data
_DATA_EVENTS = {"ColumnsPatched", "ColumnsStreamed", "ColumnDataChanged"}

#: the tag of a data source that the browser edits (its changes are not echoes)
EDITABLE = "ganlab-editable"

#: the start of the tag that numbers the batches a notebook output was sent
#: (``ganlab-sent:<number>:<kernel's clock, ms>``), and of the beacon's name
#: with which the browser answers (``ganlab-applied:<number>:<late 0/1>:<count>``)
_STAMP = "ganlab-sent:"
_ANSWER = "ganlab-applied:"

#: Runs in the browser whenever a batch's number arrives on a beacon.
#:
#: The first time, it quiets Panel's notebook code there, which otherwise sends
#: the kernel back every change it applies from the kernel: whole data columns
#: (~0.2 MB a frame for the app, more than the frames themselves), old values
#: of widgets, and one message per frame that JupyterLab answers by redrawing
#: its toolbar and status bar (the kernel is busy, then idle again), which
#: alone halved the frames painted. From then on nothing the kernel sent goes
#: back.
#:
#: Each time, it tells whether the batch came late: the kernel's clock and the
#: page's differ by a constant, so the least difference of the last WINDOW_MS
#: is the trip with no waiting, and what a batch took on top of that it waited
#: behind others. The browser answers (on the beacon's name) only while
#: batches come more than LATE_MS late, and once when they no longer do; at
#: most once every ANSWER_GAP_MS, each answer naming the newest batch applied
#: (every answer costs a slow browser the redraw of JupyterLab's toolbar).
_FLOW_JS = """
const doc = cb_obj.document;
if (doc == null) return;
let flow = doc.__ganlab_flow;
if (flow == null) {
  flow = doc.__ganlab_flow = {least: [], late: false, answers: 0, timer: null, answered: -Infinity};
  for (const manager of doc.all_models) {
    if (typeof manager.msg_handler !== "function" || typeof manager._document_changed !== "function") continue;
    const handle = manager.msg_handler.bind(manager), changed = manager._document_changed.bind(manager);
    let applying = 0;
    manager.msg_handler = (msg) => { applying += 1; try { handle(msg); } finally { applying -= 1; } };
    manager._document_changed = (event) => {
      const answer = event.model === cb_obj && event.attr === "name";
      if (applying && !answer) return;
      changed(event);
      if (answer) manager.process_events();   // at once: a timer would wait behind the batches queued up
    };
  }
}
const stamp = String(cb_obj.tags[0] || "").split(":");
const number = Number(stamp[1]), now = performance.now(), trip = now - Number(stamp[2]);
if (!Number.isFinite(trip)) return;
const least = flow.least;   // the least trips of the window, oldest first, rising
while (least.length && now - least[0][0] > WINDOW_MS) least.shift();
while (least.length && least[least.length - 1][1] >= trip) least.pop();
least.push([now, trip]);
const late = trip - least[0][1] > LATE_MS;
if (late || flow.late) {
  flow.number = number;
  flow.said = late;
  const answer = () => {
    flow.timer = null;
    flow.answered = performance.now();
    flow.answers += 1;
    cb_obj.name = `ganlab-applied:${flow.number}:${flow.said ? 1 : 0}:${flow.answers}`;
  };
  if (flow.timer == null) {
    const wait = flow.answered + ANSWER_GAP_MS - now;
    if (wait <= 0) answer(); else flow.timer = setTimeout(answer, wait);
  }
}
flow.late = late;
"""

#: a batch that waited more than this (ms) behind others in the browser came
#: late; the browser's longest tasks while drawing the app in JupyterLab take
#: ~0.15 s, and a batch may wait behind one
LATE_MS = 250

#: the browser's memory (ms) of how quick a trip can be
WINDOW_MS = 5000

#: the least time (ms) between two answers of the browser
ANSWER_GAP_MS = 100

#: an output whose browser said it is late, and has not answered since for
#: this long (s), is not waited for (it was closed, or its page is gone). A
#: browser far behind answers only once it has worked through what is queued
#: in front of its answer.
STALE_AFTER = 10.0

#: how long (ms) Panel's notebook code in the browser collects changes before
#: sending them to the kernel (Panel's own default is 50), and the longest it
#: waits for the kernel's answer to its last message before it sends the next
#: (Panel's: 5 s). That answer travels behind every frame sent before it, so
#: waiting for it would tie the browser's answers to how fast it draws.
ECHO_DELAY = 10
ECHO_WAIT = 40


class Root(pn.Column):
    """The column at the top of an app, wherever it is shown.

    In a notebook output, Panel's code in the browser sends back every change
    the kernel sends it, once it has applied it. ``Root`` stops that and
    keeps the browser's pace another way:

    - Every batch sent to an output carries a number and the time it went
      (on a beacon, see ``stamp``). From the first one on, the browser sends
      back nothing it applies (see ``_FLOW_JS``), and answers only while
      batches reach it late, having waited behind others; ``caught_up`` is
      then False until it has applied every batch sent or says they come in
      time again. So frames go out only as fast as the browser takes them,
      instead of piling up in front of it (and of every other message, a
      cell's output included), with no message from the browser while it
      keeps up. ``on_caught_up`` is called when it is caught up again.
    - Echoes that still come (those of the first batch; a browser where
      ``_FLOW_JS`` finds no Panel code to quiet) are dropped for the data of
      the plots, which nobody edits in the browser: applying one would put an
      old frame back into the kernel's copy, and for a replaced data column
      Panel finds the source by walking the whole document (~0.2 s for the
      app). A source the browser does edit (a drawing tool's) carries the tag
      ``EDITABLE`` and keeps its messages.
    - The browser's other messages are applied under ``DOCUMENT_LOCK``.
    - Served or in a notebook, the browser skips looking up CSS styles that
      nothing sets each time it paints, and a drag stays a drag on a busy
      page (see ``PAGE_JS``).
    - When a notebook output goes (its cell runs again, or Panel is told the
      output was removed), ``on_closed`` is called: an app nobody sees any
      more can stop training. Running a cell again clears its outputs in the
      browser without a word to the kernel, so the kernel's own notice that a
      cell starts (IPython's ``pre_run_cell``, with the cell's id) says it.

    It also renders quickly with ``pn.extension(inline=True)``: inline, Panel
    swaps every model's linked stylesheets for inline copies after the model
    joins its document, and each swap recomputes the document's whole model
    graph (~170 swaps of ~0.1 s for the app: 12-16 s a render). Swapped while
    the freshly built models are still detached, the same work takes ~0.2 s
    and Panel finds nothing left to swap.
    """

    def __init__(self, *objects, on_caught_up: Callable[[], None] | None = None,
                 on_closed: Callable[[], None] | None = None, **params):
        super().__init__(*objects, **params)
        self._hooks.append(_swap_inline_stylesheets)
        self._on_caught_up = on_caught_up
        self._on_closed = on_closed
        #: root model id -> what that notebook output was sent and has applied
        self._flow: dict[str, _Output] = {}
        #: beacon id -> root model id
        self._beacons: dict[str, str] = {}
        #: root model id -> the id of the notebook cell whose output shows it
        self._cells: dict[str, str] = {}

    def caught_up(self, now: float | None = None) -> bool:
        """Whether every notebook output showing this root is close enough
        behind what it was sent (always, served or not shown in a notebook),
        at ``now`` (``time.monotonic()``; by default, now): an output that
        has said nothing for STALE_AFTER is not waited for."""
        now = time.monotonic() if now is None else now
        return all(output.caught_up(now) for output in list(self._flow.values()))

    @property
    def shown(self) -> bool:
        """Whether this root is rendered anywhere now (an output whose cell
        ran again is not)."""
        return any(ref not in self._cells or self._cells[ref] is not None for ref in list(self._models))

    @property
    def watched(self) -> bool:
        """Whether anyone may see this root now: False only where it is served
        and no browser is connected to its session (a closed tab's session
        lives on for a while, with nobody to see it). A notebook output that
        went is the lab's own concern (``on_closed``)."""
        if not self._models:
            return True
        for model, _ in list(self._models.values()):
            doc = model.document
            session = getattr(getattr(doc, "session_context", None), "_session", None)
            if session is None or session.connection_count > 0:
                return True
        return False

    def get_root(self, doc=None, comm=None, preprocess=True):
        model = super().get_root(doc, comm, preprocess)
        if comm is None and doc is not None and doc.session_context is not None:   # served
            from bokeh.models import CustomJS

            doc.js_on_event("document_ready", CustomJS(code=PAGE_JS))
        cell = _running_cell() if comm is not None else None
        if cell is not None:
            self._cells[model.ref["id"]] = cell
            _watch_cells(self)
        return model

    def _cleanup(self, root=None) -> None:
        super()._cleanup(root)
        if root is not None:
            self._flow.pop(root.ref["id"], None)
            self._cells.pop(root.ref["id"], None)
        self._outputs_went()

    def _cell_runs(self, cell: str) -> bool:
        """A notebook cell starts running: the outputs it showed are gone.
        Whether this root lost any."""
        gone = [ref for ref, shown_by in self._cells.items() if shown_by == cell]
        for ref in gone:
            self._cells[ref] = None
            self._flow.pop(ref, None)
        return bool(gone)

    def _outputs_went(self) -> None:
        if self._on_closed is not None:
            self._on_closed()

    def stamp(self, root):
        """Number the batch about to be sent to the output of ``root`` (a root
        model). The number goes on a beacon: a data source of its own, beside
        the app in the output's document, which nothing draws (changing a
        layout's own properties would make the browser lay it out again).
        Returns the beacon."""
        ref = root.ref["id"]
        output = self._flow.get(ref)
        if output is None:
            from bokeh.models import ColumnDataSource, CustomJS

            beacon = ColumnDataSource(data={}, name="ganlab-beacon")
            flow = CustomJS(args={"LATE_MS": LATE_MS, "WINDOW_MS": WINDOW_MS, "ANSWER_GAP_MS": ANSWER_GAP_MS},
                            code=_FLOW_JS)
            beacon.js_on_change("tags", CustomJS(code=PAGE_JS), flow)
            root.document.add_root(beacon)
            self._beacons[beacon.id] = ref
            output = self._flow[ref] = _Output(beacon)
        output.sent += 1
        output.beacon.tags = [f"{_STAMP}{output.sent}:{1000 * time.monotonic():.1f}"]
        return output.beacon

    def _on_msg(self, ref, manager, msg) -> None:
        if getattr(manager, "debounce", ECHO_DELAY) != ECHO_DELAY:
            manager.update(debounce=ECHO_DELAY, timeout=ECHO_WAIT)  # in the browser with the next batch
        with DOCUMENT_LOCK:
            answered = self.take_echoes(ref, msg)
            events = _events(msg)
            if events is None or events:  # nothing left to apply when all were echoes
                super()._on_msg(ref, manager, msg)
        if answered and self._on_caught_up is not None and self.caught_up():
            self._on_caught_up()

    def take_echoes(self, ref: str, msg) -> bool:
        """Take the browser's answers about batches and the plots' data echoes
        out of a browser's message; whether an answer said an output caught up."""
        events = _events(msg)
        view = state._views.get(ref)
        if not events or view is None:
            return False
        doc = view[2]
        caught_up = False
        kept = []
        for event in events:
            kind = event.get("kind")
            model_id = (event.get("model") or {}).get("id", "")
            if kind == "ModelChanged" and model_id in self._beacons:
                output = self._flow.get(self._beacons[model_id])
                answer = event.get("new") if event.get("attr") == "name" else None
                if output is not None and isinstance(answer, str) and answer.startswith(_ANSWER):
                    number, late = answer[len(_ANSWER):].split(":")[:2]
                    caught_up = output.answer(int(number), late == "1") or caught_up
                continue
            if kind in _DATA_EVENTS or (kind == "ModelChanged" and event.get("attr") == "data"):
                model = doc.get_model_by_id(model_id)
                if model is not None and EDITABLE not in model.tags:
                    continue
            kept.append(event)
        msg["content"]["events"] = kept
        return caught_up


def anyone_watching(roots) -> bool:
    """Whether anyone sees an app shown in ``roots`` (its ``Root`` columns): one
    of them is watched, or it is shown nowhere yet (code drives it)."""
    roots = list(roots)
    return not roots or any(root.watched for root in roots)


class _Output:
    """What one notebook output of a Root was sent and what its browser said."""

    def __init__(self, beacon):
        self.beacon = beacon
        self.sent = 0              # batches sent
        self.applied = 0           # the newest batch the browser said it applied
        self.late = False          # it said that batch came late
        self.answered = 0.0        # when it said so (time.monotonic())

    def answer(self, number: int, late: bool) -> bool:
        """The browser applied batch ``number`` (``late``: after waiting behind
        others); whether the output is caught up now."""
        self.applied = max(self.applied, number)
        self.late = late
        self.answered = time.monotonic()
        return self.caught_up(self.answered)

    def caught_up(self, now: float) -> bool:
        if not self.late or self.applied >= self.sent:
            return True
        return now - self.answered > STALE_AFTER   # no word for long: closed, or asleep in a hidden tab


def _running_cell() -> str | None:
    """The id of the notebook cell running now (JupyterLab and Notebook 7
    send it with each execution), or None."""
    try:
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)
        return (kernel.get_parent().get("metadata") or {}).get("cellId") if kernel is not None else None
    except Exception:  # not in a kernel, or one that does not say
        return None


#: the Roots shown in this kernel's notebook outputs (a kernel has one user)
_NOTEBOOK_ROOTS: weakref.WeakSet = weakref.WeakSet()


def _watch_cells(root: Root) -> None:
    """Tell ``root`` when a cell runs (one pair of hooks per kernel)."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None and _cell_started not in shell.events.callbacks["pre_run_cell"]:
        shell.events.register("pre_run_cell", _cell_started)
        shell.events.register("post_run_cell", _cell_finished)
    _NOTEBOOK_ROOTS.add(root)


#: the Roots that lost an output to the cell running now
_LOST: weakref.WeakSet = weakref.WeakSet()


def _cell_started(info) -> None:
    cell = getattr(info, "cell_id", None)
    if cell is not None:
        for root in list(_NOTEBOOK_ROOTS):
            if root._cell_runs(cell):
                _LOST.add(root)


def _cell_finished(result) -> None:
    # after the cell, so that an app the cell shows again keeps playing
    for root in list(_LOST):
        _LOST.discard(root)
        root._outputs_went()


def _events(msg) -> list | None:
    content = msg.get("content") if isinstance(msg, dict) else None
    events = content.get("events") if isinstance(content, dict) else None
    return events if isinstance(events, list) else None


def editable_source(plot, element) -> None:
    """A HoloViews hook: the browser edits this plot's data (a drawing tool),
    so a notebook applies what it sends (see ``Root``)."""
    source = plot.handles.get("source")
    if source is not None and EDITABLE not in source.tags:
        source.tags = [*source.tags, EDITABLE]


def _swap_inline_stylesheets(viewable, root) -> None:
    if not pn.config.inline or root.document is not None:
        return
    from bokeh.models import UIElement
    from panel.io.notebook import patch_inline_stylesheets

    for model in root.select({"type": UIElement}):
        patch_inline_stylesheets(model)


def notebook_root(ref: str) -> bool:
    """Whether the rendered root ``ref`` is a notebook output (it has a comm)."""
    view = state._views.get(ref)
    return view is not None and view[3] is not None


__all__ = ["DOCUMENT_LOCK", "EDITABLE", "ECHO_DELAY", "ECHO_WAIT", "LATE_MS", "STALE_AFTER", "Root", "editable_source",
           "notebook_root"]
