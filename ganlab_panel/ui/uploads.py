"""Files dropped on the lab, or picked in its file menu, and where they go.

An upload is our checkpoint (.npz, or an older version's .pt), GAN Lab's model (.json with its .bin, or
both in a .zip), settings (a .json of ExperimentConfig's fields) or points to
train on (.csv). ``read_upload`` sorts the files (a .zip opened, too much or
nothing refused); ``Uploads`` applies what they hold to the experiment, and
says in the message area what it did, or why it changed nothing.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from ganlab_panel.engine.checkpoint import SUFFIXES, restore
from ganlab_panel.engine.config import ExperimentConfig
from ganlab_panel.engine.data import DRAWING, parse_points_csv
from ganlab_panel.engine.errors import ConfigError
from ganlab_panel.engine.trainer import Trainer
from ganlab_panel.files.ganlab_format import ganlab_model_from_bytes
from ganlab_panel.ui.session import attempt
from ganlab_panel.ui.views.upload import MAX_UPLOAD_BYTES

#: what a .zip may hold: its first members, each no larger than this
ZIP_MEMBERS = 16
ZIP_MEMBER_BYTES = 64 * 2**20

NOTHING_TO_LOAD = ("Nothing to load: upload a model (.npz, or GAN Lab's .json with its .bin, or a .zip of both) "
                   "or points (.csv).")


class Refused(Exception):
    """An upload that cannot be read; its text says why."""


class Upload(NamedTuple):
    """The files of an upload, sorted: what they are (``model``, ``ganlab``,
    ``settings``, ``points``, or ``nothing`` we load), the file that names
    it, and every file."""

    kind: str
    name: str
    files: dict

    @property
    def content(self) -> bytes:
        return self.files[self.name]

    def trainer(self, device: str) -> Trainer:
        """The model the upload holds (a ``model`` or ``ganlab`` upload)."""
        if self.kind == "model":
            return Trainer.load(self.content, device=device)
        bins = {Path(n).name: v for n, v in self.files.items() if Path(n).suffix.lower() == ".bin"}
        return ganlab_model_from_bytes(self.content, bins, name=self.name, device=device)


def is_settings(content: bytes) -> bool:
    """Whether a .json upload holds our settings rather than a GAN Lab model."""
    try:
        values = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(values, dict) and bool(values) and set(values) <= set(ExperimentConfig.field_names())


def too_large(names, total: int, limit: int = MAX_UPLOAD_BYTES) -> str:
    """The message for an upload larger than ``limit`` bytes in all."""
    return (f"Cannot load {', '.join(names)}: {total / 2**20:.1f} MiB is more than the "
            f"{limit / 2**20:.0f} MiB an upload may hold")


def _unzipped(files: dict[str, bytes]) -> dict[str, bytes]:
    """``files`` with every .zip replaced by its members (by their own names)."""
    out = dict(files)
    for name, content in files.items():
        if not name.lower().endswith(".zip"):
            continue
        out.pop(name)
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as zf:
                for member in zf.infolist()[:ZIP_MEMBERS]:
                    if member.file_size <= ZIP_MEMBER_BYTES and not member.is_dir():
                        out[Path(member.filename).name] = zf.read(member)
        except (zipfile.BadZipFile, OSError) as exc:
            raise Refused(f"Cannot read {name}: not a valid zip file ({exc})") from None
    return out


def read_upload(files: dict[str, bytes]) -> Upload:
    """Sort an upload; raises ``Refused`` for one too large, empty or a broken zip."""
    files = dict(files)
    total = sum(len(v) for v in files.values())
    if total > MAX_UPLOAD_BYTES:
        raise Refused(too_large(files, total) + ".")
    empty = [name for name, content in files.items() if not content]
    if empty:
        raise Refused(f"Cannot load {empty[0]}: the file is empty.")
    files = _unzipped(files)
    by_ext: dict[str, list] = {}
    for name in files:
        by_ext.setdefault(Path(name).suffix.lower(), []).append(name)
    ours = [name for suffix in SUFFIXES for name in by_ext.get(suffix, [])]
    if ours:
        return Upload("model", ours[0], files)
    if ".json" in by_ext:
        name = by_ext[".json"][0]
        settings = ".bin" not in by_ext and is_settings(files[name])
        return Upload("settings" if settings else "ganlab", name, files)
    if ".csv" in by_ext:
        return Upload("points", by_ext[".csv"][0], files)
    return Upload("nothing", "", files)


def settings_changes(config: ExperimentConfig, text: bytes | str) -> dict:
    """The settings of a config JSON (all of ``to_json``'s keys, or any of
    them) that differ from ``config``'s, checked together: ``{name: value}``."""
    values = json.loads(text)
    if not isinstance(values, dict):
        raise ConfigError("a config must be a JSON object")
    checked = ExperimentConfig.from_dict({**config.to_dict(), **values})
    return {k: getattr(checked, k) for k in config.differences(checked)}


class Uploads:
    """Applies uploads to one experiment.

    ``trainer()`` is the experiment's trainer (restored in place by a model);
    ``pause`` stops training first; ``notify(text, level)`` speaks in the
    message area. After a change: ``on_model`` (a model was loaded: a new
    record), ``on_settings`` (settings applied), ``on_points`` (a .csv is the
    data now).
    """

    def __init__(self, config: ExperimentConfig, trainer: Callable[[], Trainer], *, pause, notify,
                 on_model, on_settings, on_points):
        self.config = config
        self.trainer = trainer
        self.pause = pause
        self.notify = notify
        self.on_model = on_model
        self.on_settings = on_settings
        self.on_points = on_points

    def load(self, files: dict[str, bytes]) -> bool:
        """Load an upload; anything refused leaves the experiment as it was and says why."""
        try:
            upload = read_upload(files)
        except Refused as exc:
            self.notify(str(exc), "warning")
            return False
        self.pause()
        if upload.kind == "settings":
            return self.apply_settings(upload.content, upload.name)
        if upload.kind == "points":
            return self.use_points(upload.content, upload.name)
        if upload.kind == "nothing":
            self.notify(NOTHING_TO_LOAD, "warning")
            return False
        return self.load_model(upload.name, lambda: upload.trainer(self.config.device))

    def apply_settings(self, text: bytes | str, name: str = "config.json") -> bool:
        """Apply a config JSON; a refused file changes nothing."""
        changed: dict = {}

        def apply():
            changes = settings_changes(self.config, text)
            self.config.param.update(changes)
            changed.update(changes)
        if not attempt(self.notify, f"Cannot apply {name}", apply):
            return False
        self.on_settings()
        self.notify(f"Applied {name}: " + (", ".join(sorted(changed)) + " changed." if changed
                                           else "nothing changed."), "success")
        return True

    def use_points(self, content: bytes, name: str) -> bool:
        """Train on the points of a .csv."""
        def use():
            self.config.param.update(distribution=DRAWING, drawn_points=parse_points_csv(content))
        if not attempt(self.notify, f"Cannot use {name}", use):
            return False
        self.on_points()
        self.notify(f"Training data: {len(self.config.drawn_points):,} points from {name}.", "success")
        return True

    def load_model(self, name: str, make: Callable[[], Trainer]) -> bool:
        """Restore the experiment's trainer from the model ``make()`` reads."""
        def load():
            other = make()
            try:
                restore(self.trainer(), other)
            finally:
                other.close()
        if not attempt(self.notify, f"Cannot load {name}", load):
            return False
        self.on_model()
        self.notify(f"Loaded {name}: {self.config.distribution}, iteration {self.trainer().iteration:,}.",
                    "success")
        return True

    def refused(self, files: list[tuple[str, int]], limit: int = MAX_UPLOAD_BYTES) -> None:
        """The browser held back an upload that was too large."""
        self.notify(too_large([name for name, _ in files], sum(size for _, size in files), limit)
                    + ". Nothing was sent or changed.", "warning")
