"""Bokeh's property defaults kept per class (``ui/bokeh_defaults``) give the
models and documents Bokeh's own lookups give."""

from __future__ import annotations

import contextlib
import re

import pytest
from bokeh.core.has_props import HasProps
from bokeh.core.json_encoder import serialize_json
from bokeh.document import Document
from bokeh.model import Model
from bokeh.themes import Theme

from ganlab_panel.ui import bokeh_defaults


@contextlib.contextmanager
def bokehs_own_lookups():
    bokeh_defaults.uninstall()
    try:
        yield
    finally:
        bokeh_defaults.install()


def _page_json() -> str:
    """The lab's page as its browser receives it, with Bokeh's and Panel's
    running ids replaced by the order they first appear in."""
    from panel.io.state import set_curdoc

    from ganlab_panel.ui.lab import GANLab

    document = Document()
    with set_curdoc(document):
        lab = GANLab.from_url({})
        lab.__panel__().server_doc(document)
        text = serialize_json(document.to_json())
    lab.close()
    ids: dict[str, str] = {}
    text = re.sub(r'(?<=[":])p\d+(?=")', lambda m: ids.setdefault(m.group(0), f"id{len(ids)}"), text)
    return re.sub(r'"name":"([A-Za-z]+)\d{5}"', r'"name":"\1"', text)


def test_importing_the_app_keeps_defaults_per_class():
    import ganlab_panel.ui.document  # noqa: F401

    assert bokeh_defaults.installed()


def test_the_labs_page_is_the_same_document_as_with_bokehs_own_lookups():
    _page_json()   # the first page also fills caches of HoloViews' and Panel's own
    kept = _page_json()
    with bokehs_own_lookups():
        bokehs = _page_json()
    assert len(kept) > 100_000
    assert kept == bokehs


def _model_classes():
    import panel.models  # noqa: F401  (Panel's own models join Bokeh's registry)

    seen, queue = set(), [HasProps]
    while queue:
        for sub in queue.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                queue.append(sub)
    return sorted((c for c in seen if issubclass(c, Model) and not getattr(c, "__abstract__", False)
                   and not c.__name__.startswith("_")), key=lambda c: (c.__module__, c.__name__))


def _values(cls):
    """Every property of a fresh instance: plain values as they are, models by class."""
    try:
        model = cls()
    except Exception:   # noqa: BLE001  (classes that need arguments, or are not meant to be made)
        return None
    def shown(value):
        if isinstance(value, HasProps):
            return ("model", type(value).__name__)
        if isinstance(value, (list, tuple)):
            return type(value)(shown(v) for v in value)
        if isinstance(value, dict):
            return {k: shown(v) for k, v in value.items()}
        return value
    return {name: shown(value) for name, value in model.properties_with_values(include_defaults=True, include_undefined=True).items()}


def test_every_model_class_has_the_defaults_bokeh_gives_it():
    classes = _model_classes()
    kept = {cls: _values(cls) for cls in classes}
    kept_again = {cls: _values(cls) for cls in classes}   # now from what was kept
    with bokehs_own_lookups():
        bokehs = {cls: _values(cls) for cls in classes}
    made = [cls for cls in classes if bokehs[cls] is not None]
    assert len(made) > 300
    for cls in made:
        assert kept[cls] == bokehs[cls] == kept_again[cls], cls.__name__


def test_mutable_defaults_stay_each_instances_own():
    from bokeh.models import ColumnDataSource, GlyphRenderer, Plot

    first, second = ColumnDataSource(), ColumnDataSource()
    first.data["x"] = [1, 2]
    assert second.data == {}
    a, b = Plot(), Plot()
    a.renderers.append(GlyphRenderer())
    assert b.renderers == [] and a.renderers != []
    assert a.x_range is not b.x_range


@pytest.mark.parametrize("kept", [True, False])
def test_a_theme_overrides_a_default_and_leaves_it_when_removed(kept):
    from bokeh.models import Plot

    with contextlib.nullcontext() if kept else bokehs_own_lookups():
        document = Document()
        plot = Plot()
        before = plot.width
        document.add_root(plot)
        document.theme = Theme(json={"attrs": {"Plot": {"width": before + 123, "outline_line_color": "red"}}})
        assert plot.width == before + 123 and plot.outline_line_color == "red"
        assert Plot().width == before   # a plot outside the document keeps the default
        document.theme = Theme(json={})
        assert plot.width == before and plot.outline_line_color != "red"
