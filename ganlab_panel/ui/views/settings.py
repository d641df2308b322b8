"""More settings: presets, and the settings beyond GAN Lab's model graph
(batch size, atlas size, seed, Adam's betas, penalties, spectral
normalisation, the learning-rate schedule, the average of G, Jacobian-based
truncation)."""

from __future__ import annotations

import html

import panel as pn
from panel.viewable import Viewer

from ganlab_panel.engine.config import ExperimentConfig
from ganlab_panel.engine.presets import PRESETS, matching_preset
from ganlab_panel.ui.views.deferred import Deferred

CSS = """
:host { font-size: 12px; }
.bk-input { font-size: 12px; }
"""

#: setting -> label, in the order shown
FIELDS = {
    "batch_size": "Batch size",
    "atlas_size": "Atlas size (GAN Lab: 12,000)",
    "seed": "Seed",
    "adam_beta1": "Adam β1",
    "adam_beta2": "Adam β2",
    "lr_half_life": "LR half-life (iterations, 0: constant)",
    "lr_decay_start": "LR decay starts at iteration",
    "gp_weight": "WGAN-GP λ",
    "r1_gamma": "R1 γ (0: off)",
    "d_spectral_norm": "Spectral normalisation of D",
    "d_pack": "PacGAN: samples D judges at once (1: off)",
    "g_ema": "Average of G's weights, decay β (0: off)",
    "jacobian_truncation": "Truncation: share of samples left out",
}

NO_PRESET = "Custom settings"


class SettingsView(Viewer):
    """A collapsible card: a preset menu and the less common settings, each
    linked both ways to ``config``. A preset chosen goes to ``on_preset(name)``."""

    def __init__(self, config: ExperimentConfig, on_preset, **params):
        super().__init__(**params)
        self.config = config
        self._on_preset = on_preset
        self.preset = pn.widgets.Select(
            label="Preset", options={NO_PRESET: "", **{p.title: name for name, p in PRESETS.items()}},
            value=matching_preset(config) or "", sizing_mode="stretch_width", css_classes=["ganlab-preset"])
        self.preset_text = pn.pane.HTML("", sizing_mode="stretch_width", margin=(0, 10),
                                        css_classes=["ganlab-preset-text"],
                                        stylesheets=[":host { font-size: 11px; color: #666; }"])
        self._following = False
        self.preset.param.watch(self._preset_chosen, "value")
        self.widgets = {}
        for name, label in FIELDS.items():
            css = [f"ganlab-{name.replace('_', '-')}"]
            p = config.param[name]
            if name == "d_spectral_norm":
                widget = pn.widgets.Checkbox.from_param(p, label=label, css_classes=css)
            elif name in ("batch_size", "atlas_size", "seed", "lr_half_life", "lr_decay_start", "d_pack"):
                widget = pn.widgets.IntInput.from_param(p, label=label, sizing_mode="stretch_width", css_classes=css)
            else:
                widget = pn.widgets.FloatInput.from_param(p, label=label, sizing_mode="stretch_width", css_classes=css)
            self.widgets[name] = widget
        self._watcher = config.param.watch(self._config_changed, list(ExperimentConfig.field_names()))
        self._describe(self.preset.value)
        # the card's body joins the page the first time it opens
        self._body = Deferred(lambda: [self.preset, self.preset_text, *self.widgets.values()],
                              sizing_mode="stretch_width")
        self.card = pn.Card(self._body, title="More settings", collapsed=True, sizing_mode="stretch_width",
                            stylesheets=[CSS], css_classes=["ganlab-settings"], margin=(8, 0))
        self.card.param.watch(lambda event: self._body.build(), "collapsed")

    def _preset_chosen(self, event) -> None:
        self._describe(event.new)
        if event.new and not self._following:
            self._on_preset(event.new)

    def _config_changed(self, *events) -> None:
        # a preset stays selected only while the settings are still its own
        name = matching_preset(self.config) or ""
        if name != self.preset.value:
            self._following = True
            try:
                self.preset.value = name
            finally:
                self._following = False

    def _describe(self, name: str) -> None:
        text = PRESETS[name].description if name else "Settings of your own: choose a preset to start from one."
        self.preset_text.object = html.escape(text)

    def clear(self) -> None:
        self.config.param.unwatch(self._watcher)

    def __panel__(self):
        return self.card
