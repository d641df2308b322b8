"""Parts of a page built on first use.

Every Bokeh model a session's page holds is built (and sent) when the page
opens, at about a millisecond of server time each. Much of the lab is not on
screen when it opens: the drawing canvas, the files menu, the "More
settings" card's body, the model editor's menus, the mode chart. A
``Deferred`` stands in for such a part: an empty box in the page until
``build()`` (the part's first use) fills it, in every page showing it.
"""

from __future__ import annotations

from collections.abc import Callable

import panel as pn


class Deferred:
    """A box whose contents ``make()`` returns, made on the first ``build()``."""

    def __init__(self, make: Callable[[], list], **box_params):
        self._make = make
        self.box = pn.Column(margin=box_params.pop("margin", 0), **box_params)

    @property
    def built(self) -> bool:
        return bool(self.box.objects)

    def build(self) -> None:
        """Fill the box (once)."""
        if not self.built:
            self.box.objects = list(self._make())

    def __panel__(self):
        return self.box
