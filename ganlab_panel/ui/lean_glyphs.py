"""Glyph renderers with their glyph alone, for plots nobody selects, hovers
over as a highlight, or mutes from a legend.

Bokeh's plotting API, which HoloViews calls for every layer it draws, gives
each glyph renderer copies of its glyph for non-selected and muted data, and
HoloViews then adds one for selected data: three more models per layer, each
built, attached to the document and serialised. The layered view and the
overview never select, highlight or mute anything (their data changes every
frame, they bring no tools for it, and they have no legend to click), yet
their 17 layers carried 54 such models: an eighth of a page's models, and
about a tenth of the server's time to build a page. The charts keep their
muted copies only: a click on a chart's legend greys its line out.

Inside :func:`lean_renderers`, Bokeh's plotting API makes each renderer with
its glyph alone (``selection_glyph``, ``nonselection_glyph``,
``hover_glyph`` and ``muted_glyph`` None: BokehJS then draws the glyph
itself in every state). :class:`LeanHoloViews` is Panel's HoloViews pane
building its plot that way. Elsewhere, in a user's own plots or the sweep
page's, nothing changes.

This reaches into ``bokeh.plotting``'s private helpers (one of the modules
``ui/document.py`` names); where they are not as expected, renderers are
made as Bokeh makes them.
"""

from __future__ import annotations

import contextlib
import contextvars

import panel as pn
import param
from bokeh.models import GlyphRenderer
from bokeh.plotting import _decorators, _renderer

_LEAN = contextvars.ContextVar("ganlab_lean_renderers", default=False)

#: the prefixes of the state glyphs' visual properties
_STATE_PREFIXES = ("selection_", "nonselection_", "hover_", "muted_")

_HELPERS = ("_convert_data_source", "pop_legend_kwarg", "update_legend", "_pop_renderer_args", "pop_visuals",
            "_process_sequence_literals", "make_glyph", "_GLYPH_SOURCE_MSG")

_bokehs_create_renderer = _renderer.create_renderer


def _lean_create_renderer(glyphclass, plot, **kwargs):
    """``bokeh.plotting``'s ``create_renderer``, without the state glyphs inside :func:`lean_renderers`."""
    if not _LEAN.get():
        return _bokehs_create_renderer(glyphclass, plot, **kwargs)
    is_user_source = _renderer._convert_data_source(kwargs)
    legend_kwarg, legend_name = _renderer.pop_legend_kwarg(kwargs)
    renderer_kws = _renderer._pop_renderer_args(kwargs)
    visuals = _renderer.pop_visuals(glyphclass, kwargs)
    muted = (_renderer.pop_visuals(glyphclass, kwargs, prefix="muted_", defaults=visuals,
                                   override_defaults={"alpha": 0.2})   # Bokeh's own muted look
             if _LEAN.get() == KEEP_MUTED else None)
    for key in [k for k in kwargs if k.startswith(_STATE_PREFIXES)]:
        del kwargs[key]
    source = renderer_kws["data_source"]
    bad = (_renderer._process_sequence_literals(glyphclass, kwargs, source, is_user_source)
           + _renderer._process_sequence_literals(glyphclass, visuals, source, is_user_source))
    if bad:   # refused as Bokeh refuses them
        raise RuntimeError(_renderer._GLYPH_SOURCE_MSG % ", ".join(bad))
    renderer = GlyphRenderer(glyph=_renderer.make_glyph(glyphclass, kwargs, visuals), selection_glyph=None,
                             nonselection_glyph=None, hover_glyph=None,
                             muted_glyph=_renderer.make_glyph(glyphclass, kwargs, muted), **renderer_kws)
    plot.renderers.append(renderer)
    if legend_kwarg:
        _renderer.update_legend(plot, legend_kwarg, legend_name, renderer)
    return renderer


if all(hasattr(_renderer, name) for name in _HELPERS) and _decorators.create_renderer is _bokehs_create_renderer:
    _decorators.create_renderer = _lean_create_renderer


#: :func:`lean_renderers`' second mode: the glyph and its muted copy
KEEP_MUTED = "keep muted"


@contextlib.contextmanager
def lean_renderers(mode=True):
    """Renderers made by Bokeh's plotting API in this context have their glyph
    alone (with ``mode=KEEP_MUTED``, and the copy a legend's click shows)."""
    token = _LEAN.set(mode)
    try:
        yield
    finally:
        _LEAN.reset(token)


class LeanHoloViews(pn.pane.HoloViews):
    """Panel's HoloViews pane, its plot's renderers made with their glyph alone
    (``keep_muted``: and their muted copy, for a plot with a legend)."""

    keep_muted = param.Boolean(default=False, doc="Keep each renderer's muted copy (a legend's click shows it).")

    #: never the pane ``pn.panel`` picks for a HoloViews object by itself
    priority = 0

    _rename = {**pn.pane.HoloViews._rename, "keep_muted": None}

    def _get_model(self, *args, **kwargs):
        with lean_renderers(KEEP_MUTED if self.keep_muted else True):
            return super()._get_model(*args, **kwargs)
