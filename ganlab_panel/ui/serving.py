"""A server process made ready before its first visitor.

The first page a fresh process builds costs several times what later ones do:
the training kernel loads (or compiles), Datashader compiles its functions,
and HoloViews, Panel and Bokeh import and cache what a page uses. ``warm_up``
pays all of that at start, by building one page nobody sees, so the first
visitor's page opens as fast as everyone else's.
"""

from __future__ import annotations

import time

from bokeh.document import Document
from panel.io.state import set_curdoc

from ganlab_panel.engine.backends import compiled
from ganlab_panel.live import scene


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
    return time.perf_counter() - start
