"""The lab's record of moments, and the code that drives it.

``GANLab`` records a moment of its experiment every so often (``history``);
the timeline scrubs through them. This part of the lab trains from code,
rewinds and resumes, and saves the experiment or its record (``export``,
``download``). It is one of the lab's rooms: a mixin, since the README's API
(``lab.train``, ``lab.frames``, ``lab.rewind``, ``lab.export``...) is the
lab's own, and it works on the lab's parts:

``trainer``, ``runner``, ``history``, ``film``, the ``charts``, ``timeline``,
``controls`` and ``layered`` views, ``refresh()``, ``notify()``, ``forget_data_edits()``,
``clear_notice()``, ``closed``, and ``_scene`` (the Scene shown last).
"""

from __future__ import annotations

import io
from pathlib import Path

from ganlab_panel.engine.errors import GANLabError
from ganlab_panel.engine.frames import Frame
from ganlab_panel.engine.recording import train_in_moments
from ganlab_panel.files.export import PNG_SIZE, export_files, write_export, zipped
from ganlab_panel.ui.document import batch

#: export kinds that save the whole record rather than the moment shown
RECORD_KINDS = ("gif", "mp4", "screen")


class Moments:
    """The lab's record: ``train``, ``frames``, ``rewind``, ``resume``, ``export``, ``download``."""

    def train(self, iterations: int, record_every: int = 50) -> Frame:
        """Train ``iterations`` iterations from code, recording a moment every
        ``record_every`` (GAN Lab's redraw interval by default), then redraw
        every view. From a rewound moment, training resumes there. Returns the
        last Frame."""
        if iterations < 0:
            raise ValueError(f"iterations must be >= 0, not {iterations}")
        from ganlab_panel.engine.backends import compiled as kernels

        self.runner.pause()
        self._resume_point()
        kernels.warm_up(wait=True)  # code, unlike live play, waits: the same run every time

        def record(trainer) -> bool:
            with trainer.lock:
                frame = trainer.snapshot()
                self.history.record(trainer, frame, force=True)
            if frame.diverged:
                self.notify(f"Training diverged at iteration {frame.iteration}: a loss or weight became NaN or "
                            "infinite. Press Reset, or lower the learning rates.", "danger")
            return frame.diverged
        train_in_moments(self.trainer, iterations, record_every, record)
        with batch():
            self.refresh()
            self.charts.update(self._scene.frame)
            self.controls.set_iteration(self.trainer.iteration)
            self.timeline.sync()
        return self._scene.frame

    @property
    def frames(self) -> list[Frame]:
        """The recorded moments' Frames, oldest first (see ``history``)."""
        return self.history.frames

    def rewind(self, index: int) -> Frame:
        """Put the experiment back to recorded moment ``index`` (of ``frames``;
        -1 is the newest): weights, optimizers, counters and settings as they
        were, every view showing it. Training (``train``, Play, a step, or
        ``resume``) continues from there and drops the later moments."""
        if not len(self.history):
            raise GANLabError("nothing is recorded yet: train first")
        if not -len(self.history) <= index < len(self.history):
            raise IndexError(f"moment {index} is not recorded: there are {len(self.history)}")
        self.runner.pause()
        moment = self.history.restore(self.trainer, index)
        with batch():
            self.refresh()
            self.controls.set_iteration(moment.iteration)
            self.timeline.sync()
        return self._scene.frame

    def resume(self) -> None:
        """Play from the moment rewound to (the later moments are dropped)."""
        self.runner.play()

    def _resume_point(self) -> None:
        """Before training: old notices go; from a rewound moment, drop what came after it."""
        self.clear_notice()
        if self.history.rewound:
            iteration = self.history[self.history.position].iteration
            self.history.truncate()
            self.charts.truncate(iteration)
            self.timeline.sync()
            self.notify(f"Resumed from iteration {iteration:,}: the moments recorded after it are dropped.", "info")

    def _scrub(self, index: int) -> None:
        """The timeline's slider moved."""
        if len(self.history) and not self.closed:
            self.rewind(index)

    def _new_record(self) -> None:
        """A new experiment (rebuilt, loaded, other data): its charts and record start over."""
        self.charts.reset()
        self.history.clear()
        self.timeline.sync()
        self.forget_data_edits()

    # ---------------------------------------------------------- saving
    def export(self, path, kind: str | None = None, layers=None, size: int = PNG_SIZE) -> list[Path]:
        """Save the experiment: ``lab.export("now.png")`` (the layered view),
        ``"run.gif"`` or ``"run.mp4"`` (the recorded training), ``"config.json"`` (settings),
        ``"model.npz"`` (our checkpoint), ``"model.zip"`` or ``kind="ganlab"``
        (GAN Lab's format), ``"model.pt2"`` (G and D for PyTorch alone:
        model_generator.pt2, model_discriminator.pt2). ``layers`` defaults to those switched on. Returns
        the files written."""
        return write_export(path, self.trainer, self._export_frames(kind or Path(path).suffix), kind=kind,
                            layers=self._export_layers(layers), size=size)

    def make_film(self) -> None:
        """Make an MP4 of the recorded run off the event loop (the files menu
        shows its progress, then offers it); ``export("run.mp4")`` makes one
        on the spot."""
        self.film.make(self.trainer, self._export_frames("mp4"), self._export_layers(), PNG_SIZE)

    def download(self, kind: str, stem: str = "ganlab") -> io.BytesIO | None:
        """A download's content: one of ``export.KINDS`` (several files come
        zipped, e.g. GAN Lab's format). A refused export is named in the
        message area and gives None: nothing downloads."""
        buffer = io.BytesIO()
        try:
            files = export_files(kind, self.trainer, self._export_frames(kind), stem=stem,
                                 layers=self._export_layers())
        except GANLabError as exc:
            self.notify(f"Cannot export: {exc}", "warning")
            return None
        buffer.write(next(iter(files.values())) if len(files) == 1 else zipped(files))
        buffer.seek(0)
        return buffer

    def _export_frames(self, kind: str) -> list[Frame]:
        if kind.lstrip(".") in RECORD_KINDS:   # the run's record: a film, or the charts of a screen
            return self.history.frames
        return [self._scene.frame] if self._scene is not None else []

    def _export_layers(self, layers=None) -> tuple:
        from ganlab_panel.files.pictures import (
            LAYERS,  # Pillow, only once something is exported
        )

        if layers is not None:
            return tuple(layers)
        return tuple(name for name in LAYERS if getattr(self.layered, name))
