"""How changes reach the browser, served or in a notebook, and how work gets
back to the event loop that shows an app: the one place, with the modules it
names below, that knows Panel's and Bokeh's internals beyond their public API.

Served (``panel serve``), a session's changes go out through Bokeh's server
connection, and a training thread hands work to the session's event loop
(``Home``, ``Waker``: a document's next-tick callback, Tornado's
``add_callback``; ``Periodic`` where nothing can be woken); a session's end
closes what it showed (``register_session_end``).

In a notebook (JupyterLab, Notebook 7), each displayed output is its own Bokeh
document, permanently on hold: Panel sends the held changes over the output's
comm whenever one of its own objects changes, one message per change. Changes
made straight to Bokeh models (our per-frame data) wait for the next such
message. ``batch`` therefore collects a frame's changes and sends them as one
message (``push``: Panel's hold flag ``state._hold``, its rendered views
``state._views``, Bokeh's held document events and its serializer); without
it a frame would reach the notebook late, in pieces, or not until something
else changed. The kernel's event loop is woken from the training thread with a
``Waker``, as the server's is.

Elsewhere, for the same reason:

- ``notebook_flow``: ``Root``, the app's top column, which paces a notebook
  output to its browser and drops the browser's echoes;
- ``bokehjs``: BokehJS taught to skip CSS lookups nobody needs and to measure
  zoomed elements in their own pixels;
- ``widgets``: two of Panel's widgets (a button whose explanation shows below
  it, a download that may be refused);
- ``lean_glyphs``: the live plots' glyph renderers made with their glyph
  alone (no selection, hover or muted copies), through ``bokeh.plotting``'s
  private helpers;
- ``bokeh_defaults``: Bokeh's property defaults kept per class, not looked up
  anew at every read of an unset property (importing this module installs it).

Here too: a session's stylesheets named on this server however it was made
(``stylesheets_from_this_server``), a document ended as a server ends a
session (``end_unserved``), and Bokeh's port bound so that several processes
each listen on it (``port_shared_by_processes``).

Every name of theirs that the app uses can be imported from here too.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import threading
import weakref
from typing import Callable

import panel as pn
from bokeh.core.serialization import BytesRep, Serializer
from bokeh.model import Model
from panel.io.state import state

from ganlab_panel.ui import bokeh_defaults  # noqa: F401  (installs itself)
from ganlab_panel.ui.bokehjs import ZOOM_AWARE_JS
from ganlab_panel.ui.notebook_flow import (DOCUMENT_LOCK, EDITABLE, Root, anyone_watching, editable_source,
                                           notebook_root)
from ganlab_panel.ui.widgets import Button, Download

__all__ = ["DOCUMENT_LOCK", "EDITABLE", "ZOOM_AWARE_JS", "Button", "Download", "Home", "Periodic", "Root", "Waker",
           "anyone_watching", "batch", "editable_source", "end_unserved", "notebook_root",
           "port_shared_by_processes", "push", "quiet_closed_connections", "register_session_end",
           "served_document", "stylesheets_from_this_server"]


@contextlib.contextmanager
def batch():
    """Changes made inside reach the browser together, as one update.

    Served, this is ``pn.io.hold()``. In a notebook, Panel's own per-change
    messages are held back too, and each output receives everything at the
    end in one message. Batches nest: the outermost one sends.
    """
    with DOCUMENT_LOCK:
        previous = state._hold
        state._hold = True  # Panel's notebook sends nothing while this is set
        try:
            with pn.io.hold():
                yield
        finally:
            state._hold = previous
        if not previous:
            push()


def push() -> None:
    """Send every notebook output the changes held for it (nothing where
    nothing is shown in a notebook).

    Arrays go inside the message (base64) rather than beside it: Panel sends
    each binary buffer as two more comm messages, and a frame's ten buffers
    made twenty extra messages for the kernel, the server and JupyterLab to
    pass along one by one.
    """
    done = set()
    for viewable, root, doc, comm in list(state._views.values()):
        if comm is None or id(doc) in done:
            continue
        done.add(id(doc))
        if doc.callbacks._held_events:
            if isinstance(viewable, Root):
                viewable.stamp(root)
            msg = _patch_message(doc)
            if msg is not None:
                pn.io.notebook.push(doc, comm, binary=False, msg=msg)


def _patch_message(doc):
    """The message that tells a notebook output what changed in ``doc``, as
    Panel's ``diff`` makes it but with ``_FrameSerializer``; None if nothing did."""
    from bokeh.document.events import DocumentPatchedEvent
    from bokeh.document.json import PatchJson
    from bokeh.protocol.messages.patch_doc import patch_doc
    from panel.io.model import monkeypatch_events

    held = doc.callbacks._held_events
    events = [event for event in held if isinstance(event, DocumentPatchedEvent)]
    if not events:
        return None
    monkeypatch_events(events)
    serializer = _FrameSerializer(doc)
    content = PatchJson(events=serializer.encode(events))
    sent = set(map(id, events))
    doc.callbacks._held_events = [event for event in held if id(event) not in sent]
    doc.models.flush_synced(lambda model: not serializer.has_ref(model))
    return patch_doc(patch_doc.create_header(), {"use_buffers": False}, content)


class _FrameSerializer(Serializer):
    """Bokeh's serializer, for a notebook output's messages, with two costs
    of a frame taken out (together ~20 % of the kernel's main thread while
    playing):

    - Bokeh starts every message by writing down the reference of each model
      the browser already has (~1,200 for the app); here a model is looked up
      in the document when an event names it.
    - Bokeh gzips each array before it goes into the message as base64 (and
      BokehJS unzips it, in JavaScript). Between a kernel and a browser that
      cost buys nothing: here the arrays go in gzip's stored form, which
      BokehJS reads as it is.
    """

    def __init__(self, doc):
        super().__init__(deferred=False)
        self._models = doc.models

    def _known(self, obj) -> bool:
        """Whether ``obj`` is a model of this document that the browser has."""
        return (isinstance(obj, Model) and self._models.get_by_id(obj.id) is obj
                and obj not in self._models._new_models)

    def get_ref(self, obj):
        ref = super().get_ref(obj)
        if ref is None and self._known(obj):
            ref = self._references[id(obj)] = obj.ref
        return ref

    def has_ref(self, obj) -> bool:
        return super().has_ref(obj) or self._known(obj)

    def _encode_bytes(self, obj):
        data = obj.tobytes() if isinstance(obj, memoryview) else bytes(obj)
        return BytesRep(type="bytes", data=base64.b64encode(gzip.compress(data, compresslevel=0, mtime=1)).decode())


def served_document():
    """The served session's document being built or called back, or None
    (a notebook, a script)."""
    doc = pn.state.curdoc
    return doc if doc is not None and doc.session_context is not None else None


class Home:
    """Where an app's callbacks belong: the event loop that shows it.

    Served, that is the session's loop, found from the document being built or
    called back. In a notebook it is the kernel's main loop, where the app was
    made (a cell runs there). JupyterLab hands widget messages to the kernel
    on threads of their own (one subshell per comm target), so a click may
    reach the app on another thread: ``run`` and ``waker`` bring work back
    here. In a plain script there is no loop to come back to.
    """

    def __init__(self):
        self.loop = None
        self.thread = None
        if served_document() is None and threading.current_thread() is threading.main_thread():
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return  # a script: nothing runs an event loop here
            from tornado.ioloop import IOLoop

            self.loop = IOLoop.current()
            self.thread = threading.current_thread()

    @property
    def here(self) -> bool:
        """Whether this thread is home (always, served or in a script)."""
        return self.loop is None or threading.current_thread() is self.thread

    def run(self, fn: Callable) -> None:
        """Run ``fn`` (a function or a coroutine function) at home: now if this
        is home, else as soon as the home loop is free."""
        if self.here:
            pn.state.execute(fn)
        else:
            self.loop.add_callback(_at_home, fn)

    def waker(self, callback: Callable[[], None]) -> Waker | None:
        """A Waker that runs ``callback`` at home, or None if nothing can be
        woken (a script: a periodic callback must poll instead)."""
        doc = served_document()
        if doc is not None:
            try:
                loop = doc.session_context.server_context.application_context.io_loop
            except AttributeError:
                return None
            return Waker(loop, doc, callback)
        return Waker(self.loop, None, callback) if self.loop is not None else None


def _at_home(fn: Callable):
    # A callback handed to the loop from another thread runs with that
    # thread's context, where Panel's current document is the notebook
    # output's whose message was being handled; Panel then takes the home
    # thread for a foreign one (a periodic callback would never start). At
    # home, no document is current.
    pn.state.curdoc = None
    return fn()   # a coroutine is awaited by the loop, in this context


class Waker:
    """Run a callback on an event loop, woken from another thread.

    Served, the callback runs at the session document's next tick (with the
    document's lock, as Bokeh wants). In a notebook, it runs on the kernel's
    event loop. At most one wake-up is on its way at a time.
    """

    def __init__(self, loop, doc, callback: Callable[[], None]):
        self._loop = loop
        self._doc = doc
        self._callback = callback
        self._pending = threading.Event()

    def wake(self) -> None:
        """From any thread: have the callback run soon on the loop."""
        if self._pending.is_set():
            return
        self._pending.set()
        try:
            self._loop.add_callback(_at_home, self._on_loop)
        except Exception:  # the loop is closing
            self._pending.clear()

    def _on_loop(self) -> None:
        if self._doc is None:
            self._run()
            return
        # Asking the document for a next-tick callback from the training
        # thread races with a hold on the loop's thread, which can drop the
        # request; from the loop's own thread it is safe.
        try:
            self._doc.add_next_tick_callback(state._handle_exception_wrapper(self._run, self._doc))
        except Exception:  # the session is closing
            self._pending.clear()

    def _run(self) -> None:
        self._pending.clear()
        self._callback()


class Periodic:
    """A periodic callback at home that runs only while it is needed.

    ``period()`` says, when asked at home, how often (ms) the callback should
    run now, or None while it should not; ``sync`` makes it so. Panel's
    periodic callback does not reliably take a new period while it runs, so
    it is stopped and started again.
    """

    def __init__(self, home: Home, callback: Callable, period: Callable[[], int | None]):
        self._home = home
        self._callback = callback
        self._period = period
        self._periodic = None

    def sync(self) -> None:
        """From any thread: start, retime or stop the callback as ``period()`` says."""
        if not self._home.here:
            self._home.run(self.sync)   # the callback runs on the home loop
            return
        period = self._period()
        if self._periodic is None and period is None:
            return
        if self._periodic is None:
            self._periodic = pn.state.add_periodic_callback(self._callback, period=period, start=False)
        periodic = self._periodic
        if periodic.running and periodic.period != period:
            periodic.stop()
        if period is not None:
            periodic.period = period
            if not periodic.running:
                periodic.start()

    def stop(self) -> None:
        """Stop for good."""
        periodic, self._periodic = self._periodic, None
        if periodic is not None:
            try:
                periodic.stop()
            except Exception:  # the session's loop may already be gone
                pass


def quiet_closed_connections() -> None:
    """Keep the server's log for real problems.

    A browser tab that closes while a frame is on its way leaves Tornado's write
    of that frame failing with a closed-connection error that nothing awaits;
    asyncio would log it as an unretrieved task exception (Panel itself reports
    the same event as "Failed sending message as connection was closed"). Those,
    and only those, are dropped here; everything else reaches the previous handler.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if getattr(loop, "_ganlab_quiet_closed", False):
        return
    from tornado.iostream import StreamClosedError
    from tornado.websocket import WebSocketClosedError

    previous = loop.get_exception_handler()

    def handler(loop, context):
        if isinstance(context.get("exception"), (StreamClosedError, WebSocketClosedError)):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    loop._ganlab_quiet_closed = True


def stylesheets_from_this_server() -> None:
    """Have the served session's document, about to be built, name Panel's
    stylesheets on this server rather than on Panel's CDN, where the server
    serves its own resources.

    Panel points them at the server when it renders a session's page. A
    session Bokeh makes when its websocket arrives first never gets there: one
    whose page was rendered from a reused session (``pn.config.reuse_sessions``)
    or by another process (``--num-procs``). Built without this, it names the
    CDN, which a classroom's network may not reach."""
    from panel.io.resources import get_dist_path, use_cdn
    from panel.io.state import set_curdoc

    document = served_document()
    if document is not None and not use_cdn():
        with set_curdoc(document):
            document.template_variables.setdefault("dist_url", get_dist_path(cdn=False))


@contextlib.contextmanager
def port_shared_by_processes():
    """Bokeh servers started inside this context bind their port with
    ``SO_REUSEPORT``, so several processes each listen on a socket of their
    own and the kernel spreads new connections among them.

    Bokeh's own ``--num-procs`` binds one socket and forks: every process
    then waits on that one socket, and Tornado's accept loop takes every
    connection waiting at once, so whichever process wakes first takes most
    of a crowd arriving together."""
    from bokeh.server import server as bokeh_server
    from tornado import netutil

    def bind_shared(address, port):
        sockets = netutil.bind_sockets(port=port, address=address, reuse_port=True)
        return sockets, sockets[0].getsockname()[1]

    bokehs = bokeh_server.bind_sockets
    bokeh_server.bind_sockets = bind_shared
    try:
        yield
    finally:
        bokeh_server.bind_sockets = bokehs


def end_unserved(document) -> None:
    """End a document built outside a server (the warm-up's page) as Bokeh's
    server ends a session: its session-end callbacks run (Panel's among them,
    which forget the page's views), then it lets go of its models."""
    from bokeh.server.contexts import BokehSessionContext

    context = BokehSessionContext(f"unserved-{id(document)}", None, document)
    for callback in list(document.session_destroyed_callbacks):
        callback(context)
    document.callbacks.destroy()
    document.models.destroy()


def register_session_end(obj) -> None:
    """Have a served session's end call ``obj.close()`` (nothing outside a server)."""
    if served_document() is None:
        return
    quiet_closed_connections()
    ref = weakref.ref(obj)

    def on_destroyed(session_context, ref=ref):
        alive = ref()
        if alive is not None:
            alive.close()

    # Only with a live session: with none, Panel would register the
    # callback for every future session of the server.
    pn.state.on_session_destroyed(on_destroyed)
