"""Two of Panel's widgets, changed where Panel has no public switch: Panel
builds a widget's hover explanation (its Bokeh ``Tooltip``) always to the
right, and a download button always sends what its callback returns.

Internals touched: ``_process_param_change`` (the widget's properties on their
way to its Bokeh model) and ``FileDownload._sync_data``.
"""

from __future__ import annotations

import panel as pn
from bokeh.models import Tooltip


class _TipBelow:
    """A widget whose ``description`` shows below it, not to its right (where
    it would cover the bar's next control)."""

    def _process_param_change(self, params):
        params = super()._process_param_change(params)
        for name in ("description", "tooltip"):   # a button's model calls it its tooltip
            if isinstance(params.get(name), Tooltip):
                params[name].position = "bottom"
        return params


class Button(_TipBelow, pn.widgets.Button):
    """Panel's button, its explanation below it."""


class Download(_TipBelow, pn.widgets.FileDownload):
    """A download button whose callback may refuse: given None, nothing
    downloads (the app has said why in its message area)."""

    def _sync_data(self, fileobj):
        if fileobj is not None:
            super()._sync_data(fileobj)
