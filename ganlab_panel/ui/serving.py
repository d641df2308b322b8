"""A server process made ready before its first visitor.

The first page a fresh process builds costs several times what later ones do:
the training kernel loads (or compiles), Datashader compiles its functions,
and HoloViews, Panel and Bokeh import and cache what a page uses. ``warm_up``
pays all of that at start, by building one page nobody sees, so the first
visitor's page opens as fast as everyone else's.

A served process also keeps its memory lean (glibc's allocator, where there
is one): ``lean_allocator`` caps the allocator's per-thread arenas at two (each
training thread would otherwise get an arena of its own, kept when the thread
ends), and ``give_back_memory``, run every half minute, returns the heap's free
pages to the system, so what closed sessions freed stops counting against the
process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import signal
import sys
import time

from bokeh.document import Document
from panel.io.state import set_curdoc

from ganlab_panel.engine.backends import compiled
from ganlab_panel.live import scene
from ganlab_panel.ui.document import end_unserved


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
    elsewhere). With ``--num-procs``, Bokeh's first process forks the others
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


def warm_up() -> float:
    """Make a server process ready for its first visitor; returns the seconds it took."""
    from ganlab_panel.ui.lab import GANLab   # the lab's page, as a visitor's would be

    start = time.perf_counter()
    compiled.warm_up(wait=True)
    scene.warm_up()
    document = Document()
    with set_curdoc(document):
        lab = GANLab.from_url({})
        lab.__panel__().server_doc(document)
        document.to_json()   # what the page is sent as
        lab.close()
    end_unserved(document)   # nothing of the page outlives it but what it cached
    return time.perf_counter() - start
