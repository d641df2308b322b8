"""The sweep page's inputs, and the sweep they define.

The data (a menu), one or two axes (a setting from a menu, its values as text
``v1,v2,...``), the seeds and the iterations. ``sweep()`` reads them into a
``Sweep``, or raises ConfigError naming the setting it refuses: an axis's
value is parsed and checked as ``Sweep`` checks it (with the base config), two
axes over one setting are refused, and so are more runs than ``MAX_RUNS``.
"""

from __future__ import annotations

import panel as pn

from ganlab_panel.engine.config import ExperimentConfig, setting_text
from ganlab_panel.engine.data import DISTRIBUTIONS, EXTRA_DISTRIBUTIONS
from ganlab_panel.engine.errors import ConfigError
from ganlab_panel.sweeps.spec import NOT_AXES, axis_values, parse_axis
from ganlab_panel.sweeps.sweep import Sweep

#: the settings an axis offers: every one a sweep can vary (the device aside)
AXIS_SETTINGS = [n for n in ExperimentConfig.field_names() if n not in NOT_AXES and n != "device"]
NO_AXIS = "(none)"
DEFAULT_AXES = {"d_lr": [0.01, 0.1], "g_lr": [0.01, 0.1]}
#: the most runs one sweep of the page trains (a bigger one goes through ``Sweep`` or the CLI)
MAX_RUNS = 100


class SweepInputs:
    """The widgets that define a sweep over ``base`` (its distribution is the Data menu's)."""

    def __init__(self, base: ExperimentConfig, axes=None, seeds: int = 1, iterations: int = 1000):
        self.base = base
        if isinstance(axes, (list, tuple)):
            axes = dict(parse_axis(a) for a in axes)
        axes = dict(axes if axes is not None else DEFAULT_AXES)
        if not 1 <= len(axes) <= 2:
            raise ConfigError(f"the sweep page sweeps one or two settings, not {len(axes)}")
        data = [*DISTRIBUTIONS, *EXTRA_DISTRIBUTIONS]
        self.data = pn.widgets.Select(label="Data", options=data, width=120, css_classes=["ganlab-sweep-data"],
                                      value=base.distribution if base.distribution in data else "ring")
        self.axis_names, self.axis_texts = [], []
        for i, (name, values) in enumerate([*axes.items(), (NO_AXIS, [])][:2]):
            choices = AXIS_SETTINGS if i == 0 else [NO_AXIS, *AXIS_SETTINGS]
            self.axis_names.append(pn.widgets.Select(label=f"Axis {i + 1}", options=choices, value=name, width=130,
                                                     css_classes=[f"ganlab-sweep-axis-{i + 1}"]))
            self.axis_texts.append(pn.widgets.TextInput(label="its values", placeholder="v1,v2,...", width=150,
                                                        value=",".join(setting_text(v) for v in values),
                                                        css_classes=[f"ganlab-sweep-values-{i + 1}"]))
        self.seeds = pn.widgets.IntInput(label="Seeds", value=seeds, start=1, end=20, width=70,
                                         css_classes=["ganlab-sweep-seeds"])
        self.iterations = pn.widgets.IntInput(label="Iterations", value=iterations, start=0, end=1_000_000, step=100,
                                              width=100, css_classes=["ganlab-sweep-iterations"])
        #: every input, in the order the page shows them
        self.widgets = [self.data, *(w for pair in zip(self.axis_names, self.axis_texts) for w in pair), self.seeds,
                        self.iterations]

    def axes(self) -> dict[str, list]:
        """The axes the inputs say, parsed; ConfigError naming the setting refused."""
        axes: dict[str, list] = {}
        for menu, text in zip(self.axis_names, self.axis_texts):
            name = menu.value
            if name == NO_AXIS:
                continue
            if name in axes:
                raise ConfigError(f"both axes are {name}: choose another setting for axis 2", name)
            try:
                axes[name] = axis_values(name, (text.value or "").split(","))
            except ConfigError as exc:
                raise ConfigError(str(exc) if name in str(exc) else f"{name}: {exc}", name) from None
        return axes

    def sweep(self) -> Sweep:
        """The sweep the inputs define; ConfigError (or ValueError) saying what they lack."""
        sweep = Sweep(self.base.copy(distribution=self.data.value), self.axes(), self.seeds.value,
                      self.iterations.value)
        if len(sweep.cells) > MAX_RUNS:
            raise ConfigError(f"{len(sweep.cells)} runs are more than this page trains ({MAX_RUNS}): "
                              "fewer values or seeds, or run it with `ganlab sweep`")
        return sweep

    def enable(self, enabled: bool) -> None:
        for widget in self.widgets:
            widget.disabled = not enabled
