"""Editing the real data in place, while training plays.

One of the lab's rooms: a mixin, since ``add_points``, ``erase_points``,
``undo_data`` and ``clear_data`` are the lab's own methods (the data tools
under the layered plot call them, and so can code). Each change is a hot one
(``Trainer.replace_data``): the weights, optimizers and counters stay, the real
atlas is drawn afresh from the new points, and the next frame shows the
generator chasing them. On one of the built-in distributions, the first
change starts a drawing made of the real samples the plot shows, plus the
change. Bad input is refused with a message and changes nothing.

It works on the lab's ``trainer``, ``config``, ``runner``, ``controls``,
``data_tools`` and ``_address``, and ``notify()``,
``_attempt()``, ``_refresh_soon()``.
"""

from __future__ import annotations

import numpy as np

from ganlab_panel.engine.data import DRAWING, MAX_USER_POINTS
from ganlab_panel.engine.errors import DataError
from ganlab_panel.engine.frames import real_shown
from ganlab_panel.ui.views.data_tools import ERASE_RADIUS

#: the most changes Undo can take back
UNDO_DEPTH = 100


class DataEdit:
    """The lab's data, edited in place: ``add_points``, ``erase_points``, ``undo_data``, ``clear_data``."""

    def _data_now(self) -> tuple[str, np.ndarray | None]:
        return self.config.distribution, (None if self.config.drawn_points is None
                                          else np.asarray(self.config.drawn_points, dtype=float))

    def _points_now(self) -> np.ndarray:
        """The points a change starts from: the drawing's, or the real samples shown."""
        distribution, points = self._data_now()
        if distribution == DRAWING and points is not None:
            return points
        shown = self.trainer.real_atlas[:real_shown()]
        return shown[((shown >= 0) & (shown <= 1)).all(axis=1)]

    def add_points(self, points) -> bool:
        """Add real points (an (n, 2) array in the unit square) to the data."""
        new = np.asarray(points, dtype=float).reshape(-1, 2)
        if not ((new >= 0) & (new <= 1)).all():
            self.notify("Cannot add points outside the plotted square (0 to 1 on both axes).", "warning")
            return False
        base = self._points_now()
        if len(base) + len(new) > MAX_USER_POINTS:
            self.notify(f"Cannot add {len(new):,} points: the data would hold {len(base) + len(new):,}, "
                        f"more than the {MAX_USER_POINTS:,} allowed.", "warning")
            return False
        was = self.config.distribution
        if not self._replace(np.vstack([base, new]), "Cannot add these points"):
            return False
        self._say_started(was, len(base), f"plus your {'tap' if len(new) == 1 else 'stroke'}")
        return True

    def _say_started(self, was: str, shown: int, change: str) -> None:
        """The first change on a built-in distribution: say what the data now is."""
        if was != DRAWING:
            self.notify(f"Your data now: the {shown:,} {was} samples shown, {change}. Tap to add points, drag to "
                        "paint, Erase to remove; Undo and Clear take changes back.", "info")

    def erase_points(self, near, radius: float = ERASE_RADIUS) -> bool:
        """Remove the data's points within ``radius`` of any of ``near`` ((n, 2))."""
        near = np.asarray(near, dtype=float).reshape(-1, 2)
        base = self._points_now()
        gone = (((base[:, None, :] - near[None]) ** 2).sum(-1) <= radius ** 2).any(axis=1)
        if not gone.any():
            return False
        if gone.all():
            self.notify("Cannot erase every point: the data needs at least one. Clear takes every change back.",
                        "warning")
            return False
        was = self.config.distribution
        if not self._replace(base[~gone], "Cannot erase these points"):
            return False
        self._say_started(was, len(base), f"less the {int(gone.sum()):,} you rubbed out")
        return True

    def undo_data(self) -> bool:
        """Take back the last change to the data."""
        if not self._data_undo:
            self.notify("Nothing to undo: the data is as it was.", "info")
            return False
        distribution, points = self._data_undo.pop()
        return self._replace(points, "Cannot undo", distribution=distribution, remember=False)

    def clear_data(self) -> bool:
        """Take back every change to the data since editing began."""
        if not self._data_undo:
            return False
        distribution, points = self._data_undo[0]
        self._data_undo.clear()
        return self._replace(points, "Cannot clear", distribution=distribution, remember=False)

    def _replace(self, points, what: str, distribution: str = DRAWING, remember: bool = True) -> bool:
        before = self._data_now()

        def change():
            if distribution == DRAWING and (points is None or not len(points)):
                raise DataError("the data needs at least one point")
            self.trainer.replace_data(distribution, points)

        if not self._attempt(what, change):
            return False
        if remember:
            self._data_undo.append(before)
            del self._data_undo[:-UNDO_DEPTH]
        self.controls.set_selected(distribution if distribution != DRAWING else "")
        self._address.follow()
        self.show_data_count()
        if not self.runner.playing:
            self._refresh_soon()   # playing, the next frame shows it
        return True

    def forget_data_edits(self) -> None:
        """A new experiment: its data is its own, with no changes to take back."""
        self._data_undo.clear()
        self.show_data_count()

    def show_data_count(self) -> None:
        """The readout: the drawing's points, or the real samples the plot shows."""
        distribution, points = self._data_now()
        drawing = distribution == DRAWING and points is not None
        self.data_tools.show_count(len(points) if drawing else len(self._points_now()), drawing)
