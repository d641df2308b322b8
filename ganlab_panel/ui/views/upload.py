"""A file picker that checks the upload's size in the browser, before sending.

Panel's FileInput sends whatever is picked over the session's websocket; a file
larger than the server's message limit closes the connection and the session
with it. ``UploadBox`` reads the files' sizes first: too much in all, and only
their names and sizes go to the server, which says so in the message area.
"""

from __future__ import annotations

import base64
import binascii
from typing import Callable

import param
from panel.custom import JSComponent

#: the most one upload may hold in all. Uploads travel base64-encoded, and
#: ``panel serve``'s default websocket message limit is 20 MB.
MAX_UPLOAD_BYTES = 12 * 2**20


class UploadBox(JSComponent):
    """``<input type=file multiple>``; sends ``{name: bytes}`` to ``on_files``, or
    ``[(name, size), ...]`` to ``on_refused`` when the files are too large."""

    accept = param.String(default="", doc="File types offered by the browser's dialog.")
    max_bytes = param.Integer(default=MAX_UPLOAD_BYTES, bounds=(1, None),
                              doc="Largest total size sent to the server.")

    _esm = """
    export function render({ model, el }) {
      const input = document.createElement("input")
      input.type = "file"
      input.multiple = true
      input.accept = model.accept
      input.addEventListener("change", async () => {
        const files = Array.from(input.files)
        if (!files.length) return
        const total = files.reduce((sum, f) => sum + f.size, 0)
        if (total > model.max_bytes) {
          model.send_msg({refused: files.map((f) => [f.name, f.size])})
        } else {
          const sent = []
          for (const f of files) {
            const bytes = new Uint8Array(await f.arrayBuffer())
            let text = ""
            for (let i = 0; i < bytes.length; i += 0x8000)
              text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000))
            sent.push({name: f.name, data: btoa(text)})
          }
          model.send_msg({files: sent})
        }
        input.value = ""  // the same file can be picked again
      })
      el.appendChild(input)
    }
    """

    _stylesheets = [":host input { font-size: 13px; }"]

    def __init__(self, on_files: Callable[[dict[str, bytes]], object],
                 on_refused: Callable[[list[tuple[str, int]], int], object], **params):
        super().__init__(**params)
        self._on_files = on_files
        self._on_refused = on_refused

    def _handle_msg(self, data) -> None:
        self.receive(data)

    def receive(self, data) -> None:
        """Take what the browser sent: ``{"files": [{"name", "data" (base64)}, ...]}``,
        or ``{"refused": [[name, size], ...]}`` for files it held back."""
        if not isinstance(data, dict):
            return
        if "refused" in data:
            refused = [(str(name), int(size)) for name, size in data["refused"]]
            self._on_refused(refused, self.max_bytes)
            return
        files: dict[str, bytes] = {}
        for item in data.get("files", []):
            try:
                files[str(item["name"])] = base64.b64decode(item["data"], validate=True)
            except (KeyError, TypeError, binascii.Error):
                continue
        total = sum(len(v) for v in files.values())
        if total > self.max_bytes:  # a client that skipped the check
            self._on_refused([(name, len(content)) for name, content in files.items()], self.max_bytes)
        elif files:
            self._on_files(files)
