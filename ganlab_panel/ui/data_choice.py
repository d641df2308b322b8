"""What the lab trains on: GAN Lab's distributions (pretrained or not), the
extra ones, a preset's settings, or a drawing of the user's own.

One of the lab's rooms: a mixin, since ``choose_distribution``,
``start_drawing``, ``finish_drawing``... are the lab's own methods (the top
bar and the drawing canvas call them, and so can code). It works on the lab's
``config``, ``trainer``, ``runner``, ``use_pretrained`` and ``drawing``, the
``controls`` and ``drawing_view`` views, and ``notify()``, ``_attempt()``,
``_new_record()``, ``_refresh_soon()``.
"""

from __future__ import annotations

import numpy as np

from ganlab_panel.engine.checkpoint import restore
from ganlab_panel.engine.data import (
    DISTRIBUTIONS,
    DRAWING,
    DRAWING_JITTER,
    MIXTURES,
    validate_points,
)
from ganlab_panel.engine.presets import PRESETS, apply_preset
from ganlab_panel.engine.trainer import Trainer
from ganlab_panel.ui.pretrained import pretrained_path

#: the reference points the drawing canvas shows under the strokes
REFERENCE_POINTS = 450


class DataChoice:
    """The lab's data: ``choose_distribution``, ``choose_preset``, drawing."""

    def choose_distribution(self, name: str) -> None:
        """Train on one of GAN Lab's distributions (pretrained if the toggle is
        on) or one of the extra ones (always from scratch)."""
        self.runner.pause()
        self.cancel_drawing()
        if self.use_pretrained and name in DISTRIBUTIONS and self._load_pretrained(name):
            return
        already = self.config.distribution == name
        if self._attempt(f"Cannot switch to {name}", lambda: setattr(self.config, "distribution", name)):
            if already:
                # already on it: a click starts the experiment over, as in GAN Lab
                self.trainer.reset()
                self._new_record()
                self._refresh_soon()
            if name in MIXTURES:
                self.notify(f"{name}: a mode-collapse benchmark ({len(MIXTURES[name].centres)} Gaussians). The "
                            "Monitor charts the modes captured and the share of high-quality samples.", "info")
            else:
                self.notify("", "info")

    def choose_preset(self, name: str) -> None:
        """Switch to a named preset's settings (the data and seed stay); the
        experiment starts over."""
        self.runner.pause()
        if self._attempt(f"Cannot apply the preset {name!r}", lambda: apply_preset(self.config, name)):
            preset = PRESETS[name]
            self.notify(f"Preset: {preset.title}. {preset.description} Press Play to train.", "info")

    def _load_pretrained(self, name: str, quiet: bool = False) -> bool:
        """Load the model pretrained on ``name``, if the package has one."""
        path = pretrained_path(name)
        if path is None:
            if not quiet:
                self.notify(f"No pretrained model for {name}; training from scratch.", "info")
            return False
        ok = self._attempt(f"Cannot load the pretrained {name} model",
                           lambda: restore(self.trainer, Trainer.load(path, device=self.config.device)))
        if ok:
            self._new_record()
            self.controls.set_selected(name)
            self._refresh_soon()
            if not quiet:
                self.notify(f"Loaded the model pretrained on {name} "
                            f"({self.trainer.iteration:,} iterations); press Play to continue.", "info")
        return ok

    # ---------------------------------------------------------- drawing
    def start_drawing(self) -> None:
        """Open the drawing canvas in place of the layered plot."""
        self.runner.pause()
        self.drawing_view.reset()
        self.drawing_view.show_reference(self.trainer.real_atlas[:REFERENCE_POINTS])
        self.drawing = True

    def cancel_drawing(self) -> None:
        """Close the drawing canvas; the data stays as it was."""
        self.drawing = False

    def finish_drawing(self, points) -> bool:
        """Train on the drawn points; nothing drawn is refused with a message."""
        pts = np.asarray(points, dtype=float).reshape(-1, 2)
        if len(pts) == 0:
            self.notify("Nothing was drawn: drag on the canvas to draw strokes, or tap to add points, "
                        "then press Done.", "warning")
            return False
        ok = self._attempt("Cannot train on this drawing",
                           lambda: self.config.param.update(distribution=DRAWING, drawn_points=validate_points(pts)))
        if ok:
            self.drawing = False
            if len(pts) == 1:
                self.notify(f"Training data: your drawing (1 point: the real data is a small blob around it, "
                            f"σ = {DRAWING_JITTER}; draw more points to shape a distribution). Press Play.",
                            "success")
            else:
                self.notify(f"Training data: your drawing ({len(pts):,} points). Press Play.", "success")
        return ok
