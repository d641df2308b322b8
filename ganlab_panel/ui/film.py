"""The lab's MP4 film: made off the event loop, its progress shown as it goes.

Drawing and encoding a long record takes a while (seconds to a minute), so
``Film.make`` does it on a thread of its own: the page stays live, training
goes on, and the progress bar follows the images done. When the film is ready
the files menu offers it for download (``data``); a refusal or a failure is
said in the message area. Where nothing can be woken (a plain script), the
film is made on the spot.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence

import param

from ganlab_panel.engine.errors import GANLabError
from ganlab_panel.files.export import export_files, film_length


class Film(param.Parameterized):
    """One page's film: ``make`` it from the record, then ``data`` to download."""

    done = param.Integer(default=0, doc="Images of the film drawn and encoded so far.")
    total = param.Integer(default=0, doc="Images the film being made has.")
    making = param.Boolean(default=False, doc="Whether a film is being made.")
    size = param.Integer(default=0, doc="The ready film's bytes (0: none ready).")

    def __init__(self, home, notify: Callable[[str, str], None], **params):
        super().__init__(**params)
        self._home, self._notify = home, notify
        self._data: bytes | None = None
        # what the encoding thread hands over: images done, and at the end (bytes or error)
        self._progress = 0
        self._outcome: tuple[bytes | None, Exception | None] | None = None

    def make(self, trainer, frames: Sequence, layers: Sequence[str], size: int) -> None:
        """Start making a film of ``frames`` (refused, with a message, while one
        is being made or with fewer than two moments recorded)."""
        if self.making:
            self._notify("A film is being made already: its progress shows in the files menu.", "info")
            return
        try:
            total = film_length(frames)
        except GANLabError as exc:
            self._notify(f"Cannot export: {exc}", "warning")
            return
        self._progress, self._outcome = 0, None
        self.param.update(done=0, total=total, making=True)
        waker = self._home.waker(self._report)

        def encode() -> None:
            def told(n: int) -> None:
                self._progress = n
                if waker is not None:
                    waker.wake()
            try:
                files = export_files("mp4", trainer, list(frames), stem="ganlab", layers=layers, size=size,
                                     progress=told)
                self._outcome = (next(iter(files.values())), None)
            except Exception as exc:   # said in the message area; the page goes on
                self._outcome = (None, exc)
            if waker is not None:
                waker.wake()

        if waker is None:
            encode()
            self._report()
        else:
            threading.Thread(target=encode, name="ganlab-film", daemon=True).start()

    def _report(self) -> None:
        """At home: show how far the film got, and its end."""
        self.done = self._progress
        if self._outcome is None:
            return
        data, error = self._outcome
        self._outcome = None
        if error is not None:
            self.making = False
            self._notify(f"Cannot export the film: {error}", "warning")
            return
        self._data = data
        self.param.update(making=False, size=len(data))
        self._notify(f"The film is ready ({len(data) / 2**20:.1f} MB): download it from the files menu.", "success")

    def data(self) -> io.BytesIO | None:
        """The ready film, for a download (None when none is ready)."""
        return io.BytesIO(self._data) if self._data is not None else None


__all__ = ["Film"]
