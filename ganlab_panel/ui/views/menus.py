"""The settings' widgets as GAN Lab shows them, the same on every page: a
menu for each choice (with its human label: "Adam", "Log loss"), GAN Lab's
learning-rate menu, and number boxes for counts. Each carries the CSS class
``ganlab-<setting-name>`` and stays linked to its config both ways."""

from __future__ import annotations

import panel as pn
import param

from ganlab_panel.engine.config import LEARNING_RATE_CHOICES, ExperimentConfig


def lr_options(value: float) -> list[float]:
    """GAN Lab's learning-rate menu, plus the current value if it is another."""
    return sorted(set(LEARNING_RATE_CHOICES) | {float(value)})


def hook(name: str) -> str:
    """The CSS class a setting's widget carries."""
    return f"ganlab-{name.replace('_', '-')}"


def setting_widget(config: ExperimentConfig, name: str, label: str = "", **kw):
    """The widget for setting ``name`` of ``config``."""
    p = config.param[name]
    kw = {"css_classes": [hook(name)], **kw}
    if name.endswith("_lr"):
        widget = pn.widgets.Select(label=label, value=getattr(config, name), options=lr_options(getattr(config, name)),
                                   **kw)
        widget.link(config, value=name)

        def follow(event, menu=widget):   # a rate set from code joins the menu
            menu.param.update(options=lr_options(event.new), value=event.new)
        config.param.watch(follow, name)
        return widget
    if isinstance(p, param.Boolean):
        return pn.widgets.Checkbox.from_param(p, label=label or p.label, **kw)
    if isinstance(p, param.Selector):
        return pn.widgets.Select.from_param(p, label=label, **kw)
    if isinstance(p, param.Integer):
        return pn.widgets.IntInput.from_param(p, label=label, **kw)
    return pn.widgets.FloatInput.from_param(p, label=label, **kw)
