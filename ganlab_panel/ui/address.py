"""The page's address: settings read from its URL query, and the URL kept in step.

A served page opens with the settings its address names
(``/ganlab?distribution=gaussians&d_lr=0.03``, ``/ganlab?preset=wgan-gp``,
``/compare?distribution=ring&b.loss=least_squares``) and, as the settings
change, writes them back, so a copied link opens the same setup. Only settings
that differ from GAN Lab's defaults are written. Values are parsed, never
evaluated; the ones refused are listed for the page's message area.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import urlencode

import panel as pn

from ganlab_panel.engine.config import (
    ExperimentConfig,
    parse_settings,
    query_text,
    setting_text,
)
from ganlab_panel.engine.errors import ConfigError
from ganlab_panel.engine.presets import preset_settings
from ganlab_panel.ui.document import served_document

#: the two sides of a comparison, as its address prefixes them (``a.d_lr``, ``b.loss``)
SIDES = ("a", "b")


def page_query(query: dict | None = None) -> dict:
    """``query``, or the served session's URL arguments, without Bokeh's own
    (an app embedded with autoload.js carries some): they are not settings."""
    if query is None:
        query = pn.state.session_args
    return {k: v for k, v in query.items() if not k.startswith("bokeh-")}


def ignored(problems: list) -> str:
    """The message naming what the address held that could not apply."""
    return "Ignored from the page address: " + "; ".join(str(p) for p in problems) + "."


class LabAddress(NamedTuple):
    """The lab's address, read."""

    config: ExperimentConfig   #: with the structural settings (the networks, the loss, the data...) applied
    hot: dict                  #: the settings still to apply (learning rates, optimizers, k, batch size)
    problems: list             #: what was refused
    reshaped: bool             #: the model's shape changes beyond its data: no pretrained model fits


def lab_settings(query: dict) -> LabAddress:
    """The lab's address read. ``preset=NAME`` is the base; the address's own
    settings apply over it."""
    query = dict(query)
    preset = query.pop("preset", None)
    values, problems = parse_settings(query)
    if preset is not None:
        try:
            values = {**preset_settings(query_text(preset)), **values}
        except ConfigError as exc:
            problems.append(exc)
    hot = {k: v for k, v in values.items() if not ExperimentConfig.is_structural(k)}
    config = ExperimentConfig()
    for name, value in values.items():
        if name in hot:
            continue
        try:
            config.param.update({name: value})
        except (ConfigError, ValueError) as exc:
            problems.append(ConfigError(str(exc), name))
    return LabAddress(config, hot, problems, reshapes(set(values) - set(hot)))


def reshapes(settings) -> bool:
    """Whether ``settings`` (names) change the model's shape beyond its data:
    then no pretrained model fits."""
    return bool({name for name in settings if ExperimentConfig.is_structural(name)} - {"distribution"})


def compare_settings(query: dict) -> tuple[list[ExperimentConfig], list]:
    """A comparison's address read: both sides' configs and what was refused.
    ``a.NAME`` / ``b.NAME`` set one side, plain names both. An address that
    leaves the two the same compares the other kind of loss on B."""
    per_side: dict[str, dict] = {side: {} for side in SIDES}
    problems: list = []
    for key, raw in query.items():
        prefix, _, name = key.partition(".")
        own = bool(name) and prefix in SIDES
        values, refused = parse_settings({name if own else key: raw})
        problems += refused
        for side in ([prefix] if own else SIDES):
            per_side[side].update(values)
    configs = []
    for side in SIDES:
        config = ExperimentConfig()   # GAN Lab's defaults, as the address leaves them out
        try:
            config.param.update(per_side[side])
        except (ConfigError, ValueError) as exc:
            problems.append(exc)
        configs.append(config)
    if query and not any(k.startswith("b.") for k in query) and not configs[0].differences(configs[1]):
        configs[1] = configs[1].copy(loss="least_squares" if configs[0].loss != "least_squares" else "log")
    return configs, problems


def compare_query(a: ExperimentConfig, b: ExperimentConfig) -> dict[str, str]:
    """A comparison's address: shared settings plain, a side's own prefixed."""
    qa, qb = a.to_query(), b.to_query()
    out = {}
    for name in ExperimentConfig.field_names():
        if name not in qa and name not in qb:
            continue
        if qa.get(name) == qb.get(name):
            out[name] = qa[name]
        else:
            out[f"a.{name}"] = setting_text(getattr(a, name))
            out[f"b.{name}"] = setting_text(getattr(b, name))
    return out


class Address:
    """A served page's URL, following ``to_query()`` (nothing outside a server).

    Watch the settings with ``follow``: each change writes the query."""

    def __init__(self, to_query: Callable[[], dict]):
        self.to_query = to_query
        self.location = pn.state.location if served_document() is not None else None

    @property
    def served(self) -> bool:
        return self.location is not None

    def follow(self, *events) -> None:
        """Write the settings into the page's URL (a param watcher)."""
        if self.location is None:
            return
        query = self.to_query()
        search = "?" + urlencode(query) if query else ""
        if self.location.search != search:
            self.location.search = search
