"""A server process made ready before its first visitor.

The first page a fresh process builds costs several times what later ones do:
the training kernel loads (or compiles), Datashader compiles its functions,
and HoloViews, Panel and Bokeh import and cache what a page uses. ``warm_up``
pays all of that at start, by building one page nobody sees, so the first
visitor's page opens as fast as everyone else's. With several processes
(``--num-procs``), the first one warms up and then forks the others, so they
start ready and share what it loaded (``settle_in`` freezes it for the
garbage collector, whose passes would otherwise write to every page of it).
Each forked process listens on a socket of its own (``SO_REUSEPORT``), and
the kernel spreads visitors among them; the first process watches them.

``ganlab serve`` renders each page from a session it keeps for that purpose
(Panel's ``reuse_sessions``) and builds a visitor's session when the page's
websocket arrives. A page costs one build wherever its websocket lands: with
``--num-procs`` the kernel hands it to any process, and the one that rendered
the page would otherwise have built a session nobody used.
``served_page`` has each session name Panel's stylesheets on this server, as
Panel does only for sessions it builds while rendering their page.

A served process also keeps its memory lean. ``lean_datashader`` imports
Datashader without what it imports only because it is installed: Dask's
arrays and dataframes (which it would accept as data; Dask is installed for
sweeps, and its arrays bring much of SciPy) and its examples' downloader,
which brings ``requests``. ``warm_up`` draws the first pictures without them
too, since xarray looks for Dask's arrays the first time it meets an array
and keeps the answer. The lab gives Datashader NumPy arrays. That is ~16 MB
less. (Only while Datashader is imported and first draws, and only in a
served process: later imports are untouched, and in a notebook a user's own
Datashader keeps Dask.) Once warm, the process compiles nothing more, so
``settle_in`` hands the kernel back the pages of LLVM's library (Numba's
compiler, ~70 MB) that compiling read; a later compile reads them again.
Where glibc is the C library, ``lean_allocator`` caps the allocator's
per-thread arenas at two (each training thread would otherwise get an
arena of its own, kept when the thread ends), and ``give_back_memory``, run
every half minute, returns the heap's free pages to the system, so what
closed sessions freed stops counting against the process.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import importlib.abc
import os
import signal
import sys
import time

from bokeh.document import Document
from panel.io.state import set_curdoc

from ganlab_panel.engine.backends import compiled
from ganlab_panel.live import scene
from ganlab_panel.ui.document import end_unserved, port_shared_by_processes, stylesheets_from_this_server


#: mallopt's parameter for the most arenas glibc's allocator makes
_M_ARENA_MAX = -8


@functools.cache
def glibc():
    """The C library, where it is glibc (which has mallopt and malloc_trim); else None."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim, libc.mallopt   # noqa: B018  (glibc's, not every C library's)
    except (OSError, AttributeError, TypeError):
        return None
    return libc


#: prctl's option: the signal a process gets when the one that forked it ends (Linux)
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """End this process when the one that forked it ends (Linux; nothing
    elsewhere). With ``--num-procs``, the first process forks the others
    and only watches them: stopping it would leave them serving on."""
    if not sys.platform.startswith("linux"):
        return
    libc = glibc()
    if libc is not None:
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))


def lean_allocator(arenas: int = 2) -> None:
    """Cap the allocator's arenas (call before any thread starts)."""
    libc = glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, arenas)


def give_back_memory() -> None:
    """Return the heap's free pages to the system."""
    libc = glibc()
    if libc is not None:
        libc.malloc_trim(0)


def serve(pages: dict, *, port: int, address: str, num_procs: int = 1, show: bool = False,
          origins: list | tuple = ()) -> None:
    """``ganlab serve``: serve ``pages`` (address under the server -> what
    builds a session of it) until stopped, with ``num_procs`` processes (0:
    one per core). Each process says ``GAN Lab: process PID ready`` once it
    takes visitors."""
    import logging

    import panel as pn
    from tornado.ioloop import PeriodicCallback
    from tornado.process import fork_processes

    # every script, stylesheet and font from this server, none from a CDN: a
    # classroom's network may reach nothing else
    os.environ.setdefault("BOKEH_RESOURCES", "server")
    lean_allocator()
    lean_datashader()
    # a line per request and per websocket, marked with the process that served it
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    pn.extension(notifications=False)
    # a page is rendered from one session kept per address (its HTML does not
    # depend on the address's arguments), and a visitor's session is built
    # when the page's websocket arrives, by whichever process it reaches
    pn.config.reuse_sessions = True
    pn.config.session_key_func = lambda request: request.path
    forks = num_procs != 1
    if forks:
        # the others are forked from this process once it is warm (nothing
        # warming up starts, a thread or an event loop, is left by then): they
        # start ready and share what it loaded. Each then listens on a socket
        # of its own, and the kernel spreads visitors among them. This
        # process stays to watch them, restarting one that fails.
        check_port_free(address, port)
        seconds = warm_up()
        settle_in()
        try:
            fork_processes(num_procs or None)
        except KeyboardInterrupt:   # Ctrl+C reaches every process: the watcher just goes
            return
        die_with_parent()
    with port_shared_by_processes() if forks else contextlib.nullcontext():
        server = pn.serve({name: served_page(make) for name, make in pages.items()}, port=port, address=address,
                          show=show and not forks, title="GAN Lab", start=False,
                          websocket_origin=[f"{address}:{port}", f"localhost:{port}", f"127.0.0.1:{port}", *origins],
                          websocket_max_message_size=80 * 2**20)
    if not forks:   # the port is taken first: a visitor arriving meanwhile waits instead of being refused
        seconds = warm_up()
        settle_in()
    print(f"GAN Lab: process {os.getpid()} ready ({seconds:.1f} s to warm up)", flush=True)
    cores = os.cpu_count() or 1
    if not forks and cores > 1:
        print(f"GAN Lab: one process builds pages on one core; --num-procs 0 uses all {cores} "
              "(a class opening the page at once)", flush=True)
    server.start()
    PeriodicCallback(give_back_memory, 30_000).start()
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass


def check_port_free(address: str, port: int) -> None:
    """Raise ``OSError`` now, in one process, if ``port`` cannot be bound
    (rather than in every forked process, each restarted in turn)."""
    from tornado import netutil

    for sock in netutil.bind_sockets(port=port, address=address, reuse_port=True):
        sock.close()


def served_page(make):
    """What builds a session of a page ``ganlab serve`` serves: ``make()``,
    with Panel's stylesheets named on this server."""
    def build():
        stylesheets_from_this_server()
        return make()
    return build


#: what a served process's Datashader is imported, and first draws, without (see the docstring)
DATASHADER_LEAVES_OUT = ("dask.array", "dask.dataframe", "pyct.cmd")


class _LeftOut(importlib.abc.MetaPathFinder):
    """Refuses to import the named modules (and their submodules), as if they
    were not installed."""

    def __init__(self, names):
        self.names = tuple(names)

    def find_spec(self, fullname, path=None, target=None):
        if any(fullname == name or fullname.startswith(name + ".") for name in self.names):
            raise ModuleNotFoundError(f"{fullname} is left out of this import", name=fullname)
        return None


@contextlib.contextmanager
def leaving_out(*names):
    """Imports of ``names`` fail inside this context (those already imported stay)."""
    finder = _LeftOut(names)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def lean_datashader() -> None:
    """Import Datashader without what it imports only if installed (call
    before anything imports it)."""
    with leaving_out(*DATASHADER_LEAVES_OUT):
        import datashader  # noqa: F401


def settle_in() -> None:
    """After warming up: what the process holds now (modules, caches) lives as
    long as it does, so the garbage collector's full passes skip it from here
    on (nor do they write to it: pages shared with a forked process stay
    shared), the heap's free pages go back to the system, and so do LLVM's
    (``page_out_compiler``)."""
    gc.collect()
    gc.freeze()
    give_back_memory()
    page_out_compiler()


#: madvise's advice: reclaim the range's pages now (Linux 5.4 and later)
_MADV_PAGEOUT = 21

#: madvise's advice: drop this process's mapping of the range's pages (a
#: file's unmodified pages are read again from it when next touched)
_MADV_DONTNEED = 4


def _library_mappings(prefix: str):
    """(start, end, writable, modified) for each mapping of the shared
    library whose file name starts with ``prefix`` (/proc/self/smaps):
    ``modified`` when any of its pages is this process's own copy (as the
    loader's relocations make), which must never be dropped."""
    found, current = [], None
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if fields and "-" in fields[0] and not fields[0].endswith(":"):
                current = None
                if len(fields) >= 6 and os.path.basename(fields[5]).startswith(prefix):
                    start, end = (int(x, 16) for x in fields[0].split("-"))
                    current = [start, end, "w" in fields[1], False]
                    found.append(current)
            elif current is not None and fields[0] == "Anonymous:" and int(fields[1]) > 0:
                current[3] = True
    return found


def page_out_compiler() -> int:
    """Hand the kernel back the pages of LLVM's library that this process
    holds: its code and read-only data, which only compiling runs (the
    compiled kernels live elsewhere). Pages no other process maps are
    reclaimed; this process's mapping of the others is dropped too, so that
    another server on the machine, handing back its own, reclaims them.
    Returns the bytes of the ranges handed back; 0 where that is not possible
    (not Linux, not glibc, a kernel before 5.4). A compile afterwards reads
    what it needs again."""
    libc = glibc()
    if libc is None or not sys.platform.startswith("linux"):
        return 0
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    advised = 0
    for start, end, writable, modified in _library_mappings("libllvmlite"):
        if writable or libc.madvise(start, end - start, _MADV_PAGEOUT) != 0:
            continue
        advised += end - start
        if not modified:
            libc.madvise(start, end - start, _MADV_DONTNEED)
    return advised


def warm_up() -> float:
    """Make a server process ready for its first visitor; returns the seconds it took."""
    from ganlab_panel.ui.lab import GANLab   # the lab's page, as a visitor's would be

    start = time.perf_counter()
    compiled.warm_up(wait=True)
    with leaving_out(*DATASHADER_LEAVES_OUT):   # xarray looks for Dask's arrays now, once
        scene.warm_up()
    document = Document()
    with set_curdoc(document):
        lab = GANLab.from_url({})
        lab.__panel__().server_doc(document)
        document.to_json()   # what the page is sent as
        lab.close()
    end_unserved(document)   # nothing of the page outlives it but what it cached
    return time.perf_counter() - start
