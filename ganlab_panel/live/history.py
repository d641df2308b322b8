"""History: the record of one experiment, to scrub back through and resume from.

Each recorded *moment* holds the Frame (everything the views draw), the
trainer's training state (weights, optimizer states, counters, random streams:
see :meth:`Trainer.training_state`) and the hot settings in force. Restoring a
moment puts the trainer exactly where it was, so every view can show that
moment and training can resume from it as if it had never gone further.

The record is bounded: at most ``max_moments`` moments and ``max_bytes`` bytes
(defaults: 400 moments, 64 MiB). Moments are recorded every ``stride``
iterations; when either bound is reached, every other moment is dropped (the
first and the newest are always kept) and the stride doubles, so the record
always spans the whole run at an even spacing. A GAN Lab model's moment is
~30 kB, so 400 moments take ~12 MB; for a 5 × 100 network with Adam (~0.6 MB a
moment) the byte bound holds it to ~100.

Pure Python and NumPy: no Panel, HoloViews or Bokeh.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from ganlab_panel.engine.config import ExperimentConfig
from ganlab_panel.engine.frames import Frame

DEFAULT_MAX_MOMENTS = 400
DEFAULT_MAX_BYTES = 64 * 2**20

#: Frame fields that stay the same for a whole experiment: moments share one copy.
_SHARED_FIELDS = ("real", "noise", "grid_centres")


@dataclass(frozen=True, eq=False)
class Moment:
    """One recorded point of a run."""

    frame: Frame
    #: the trainer's training state at that point (see Trainer.training_state)
    state: dict
    #: the hot settings (learning rates, optimizers, loss, k, ...) in force
    settings: dict
    #: bytes this moment holds (shared arrays counted once, with the first moment)
    nbytes: int

    @property
    def iteration(self) -> int:
        return self.frame.iteration


def _nbytes(value: Any, seen: set[int]) -> int:
    if isinstance(value, np.ndarray):
        if id(value) in seen:
            return 0
        seen.add(id(value))
        return value.nbytes
    if isinstance(value, dict):
        return sum(_nbytes(v, seen) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_nbytes(v, seen) for v in value)
    if isinstance(value, (str, bytes)):
        return len(value)
    return 8


class History:
    """A bounded, evenly thinned record of one experiment (see the module docstring)."""

    def __init__(self, max_moments: int = DEFAULT_MAX_MOMENTS, max_bytes: int = DEFAULT_MAX_BYTES,
                 stride: int = 1):
        if max_moments < 2:
            raise ValueError("a history needs room for at least 2 moments")
        self.max_moments = int(max_moments)
        self.max_bytes = int(max_bytes)
        self._initial_stride = max(1, int(stride))
        self.moments: list[Moment] = []
        self.stride = self._initial_stride
        #: the moment the trainer was rewound to, while it is not the newest
        self.position: int | None = None

    # ----------------------------------------------------------- reading
    def __len__(self) -> int:
        return len(self.moments)

    def __getitem__(self, index: int) -> Moment:
        return self.moments[index]

    @property
    def frames(self) -> list[Frame]:
        return [m.frame for m in self.moments]

    @property
    def iterations(self) -> list[int]:
        return [m.iteration for m in self.moments]

    @property
    def nbytes(self) -> int:
        return sum(m.nbytes for m in self.moments)

    @property
    def rewound(self) -> bool:
        """Whether the trainer stands at an earlier moment than the newest."""
        return self.position is not None

    def index_of(self, iteration: int) -> int:
        """The last moment at or before ``iteration`` (the first if none is)."""
        index = 0
        for i, m in enumerate(self.moments):
            if m.iteration <= iteration:
                index = i
        return index

    # ----------------------------------------------------------- writing
    def clear(self) -> None:
        """Forget everything (a new experiment)."""
        self.moments = []
        self.stride = self._initial_stride
        self.position = None

    def due(self, iteration: int) -> bool:
        """Whether a frame at ``iteration`` would be recorded."""
        if self.position is not None:
            return False
        if not self.moments:
            return True
        last = self.moments[-1].iteration
        return iteration < last or iteration >= last + self.stride

    def record(self, trainer, frame: Frame, force: bool = False) -> bool:
        """Record ``trainer``'s state with its ``frame`` if one is due (every
        ``stride`` iterations, or ``force``). Call with the trainer's lock held
        since the frame was taken. Nothing is recorded while rewound. A frame
        earlier than the newest moment starts the record over (a reset)."""
        if self.position is not None:
            return False
        if self.moments and frame.iteration < self.moments[-1].iteration:
            self.clear()
        if not (force or self.due(frame.iteration)):
            return False
        if self.moments and frame.iteration == self.moments[-1].iteration:
            self.moments.pop()  # the same iteration again (e.g. paused): keep the newer
        with trainer.lock:
            state = trainer.training_state()
            settings = {name: getattr(trainer.config, name) for name in ExperimentConfig.hot_params()}
        frame = self._share(frame)
        seen: set[int] = set()
        for m in self.moments[:1]:
            for name in _SHARED_FIELDS:
                seen.add(id(getattr(m.frame, name)))
        size = sum(_nbytes(getattr(frame, f.name), seen) for f in dataclasses.fields(frame))
        size += _nbytes(state, seen) + _nbytes(settings, seen)
        self.moments.append(Moment(frame, state, settings, size))
        while len(self.moments) > self.max_moments or (self.nbytes > self.max_bytes and len(self.moments) > 2):
            self._thin()
        return True

    def _share(self, frame: Frame) -> Frame:
        """The frame, holding the first moment's copy of the arrays that never change."""
        if not self.moments:
            return frame
        first = self.moments[0].frame
        same = {}
        for name in _SHARED_FIELDS:
            a, b = getattr(first, name), getattr(frame, name)
            if a is not b and a.shape == b.shape and np.array_equal(a, b):
                same[name] = a
        return dataclasses.replace(frame, **same) if same else frame

    def _thin(self) -> None:
        """Keep every other moment (the first and the newest always), at twice the stride."""
        newest = self.moments[-1]
        kept = self.moments[:-1:2]
        # the new stride: at least the spacing left (frames may come less often than the stride asked)
        spacing = (kept[-1].iteration - kept[0].iteration) // max(1, len(kept) - 1)
        if kept[-1] is not newest:
            kept.append(newest)
        self.moments = kept
        self.stride = max(self.stride * 2, spacing)

    # ------------------------------------------------------- rewinding
    def restore(self, trainer, index: int) -> Moment:
        """Put ``trainer`` back to moment ``index``: its hot settings, then its
        weights, optimizer states, counters and random streams. Later moments
        are kept (scrub forward again) until :meth:`truncate` drops them."""
        moment = self.moments[index]
        with trainer.lock:
            changed = {k: v for k, v in moment.settings.items() if getattr(trainer.config, k) != v}
            if changed:
                trainer.config.param.update(changed)
            trainer.load_training_state(moment.state)
        index = index % len(self.moments)
        self.position = None if index == len(self.moments) - 1 else index
        return moment

    def truncate(self) -> None:
        """Resume from the moment rewound to: the moments after it are dropped."""
        if self.position is not None:
            del self.moments[self.position + 1:]
            self.position = None


__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_MOMENTS", "History", "Moment"]
