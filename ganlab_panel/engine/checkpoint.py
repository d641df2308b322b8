"""Our checkpoint: an experiment on disk (or in memory) and back.

A checkpoint (``Trainer.save`` / ``Trainer.load``) holds
:meth:`Trainer.state_dict`: config, weights, optimizer state, atlases, counters
and random streams. The file is NumPy's ``.npz`` (a zip of ``.npy`` arrays):
the arrays as ``a0``, ``a1``, ... and ``meta``, the dict as JSON with each
array in it written ``{"__array__": "a0"}``. ``numpy.load`` opens it anywhere,
and reading it never runs code from it (no pickles). Files of the first
version, written by ``torch.save``, still load (through torch, imported only
then, with ``weights_only=True``). The Trainer calls down to this module; this
module never imports the Trainer (it is handed the class to build). GAN Lab's
own model format is in ``files.ganlab_format``.
"""

from __future__ import annotations

import io
import json
import pickle
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ganlab_panel.engine.config import ExperimentConfig
from ganlab_panel.engine.errors import ConfigError, ModelFileError

CHECKPOINT_FORMAT = "ganlab-panel-checkpoint"
CHECKPOINT_VERSION = 2
#: our checkpoints' file name endings: NumPy's own, and the first version's
SUFFIXES = (".npz", ".pt")

#: files larger than this are refused before being read.
MAX_MODEL_FILE_BYTES = 64 * 1024 * 1024


def check_size(path: Path) -> None:
    """Refuse a model file that is missing, empty or too large, before reading it."""
    if not path.is_file():
        raise ModelFileError(f"no such file: {path}")
    size = path.stat().st_size
    if size == 0:
        raise ModelFileError(f"{path.name} is empty")
    if size > MAX_MODEL_FILE_BYTES:
        raise ModelFileError(f"{path.name} is {size / 2**20:.0f} MiB; model files over "
                             f"{MAX_MODEL_FILE_BYTES / 2**20:.0f} MiB are refused")


def _flatten(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """``value`` as JSON, each array set aside in ``arrays`` and named in its place."""
    if isinstance(value, np.ndarray):
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {"__array__": name}
    if isinstance(value, dict):
        return {str(k): _flatten(v, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_flatten(v, arrays) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _unflatten(value: Any, arrays) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return arrays[value["__array__"]]
        return {k: _unflatten(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_unflatten(v, arrays) for v in value]
    return value


def encode_state(state: dict) -> bytes:
    """A state dict as a checkpoint file's bytes (see the module docstring)."""
    arrays: dict[str, np.ndarray] = {}
    meta = json.dumps(_flatten(state, arrays))
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(meta), **arrays)
    return buffer.getvalue()


def _decode_npz(handle) -> dict:
    with np.load(handle, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files if name != "meta"}
        return _unflatten(json.loads(str(npz["meta"])), arrays)


def _decode_torch(handle) -> dict:
    """A first-version checkpoint (``torch.save``), its tensors as arrays."""
    import torch

    with warnings.catch_warnings():
        # a foreign pickle makes torch warn before it refuses it; the refusal is what counts
        warnings.simplefilter("ignore")
        state = torch.load(handle, map_location="cpu", weights_only=True)

    def arrays(value):
        if torch.is_tensor(value):
            return value.detach().numpy()
        if isinstance(value, dict):
            return {k: arrays(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(arrays(v) for v in value)
        return value

    return arrays(state)


def checkpoint_bytes(trainer) -> bytes:
    """The checkpoint file's content, for a download."""
    return encode_state(trainer.state_dict())


def save_checkpoint(trainer, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(checkpoint_bytes(trainer))
    return path


def read_checkpoint_state(source, name: str = "the checkpoint") -> dict:
    """The state dict in a checkpoint file (a path, or the file's bytes)."""
    if isinstance(source, (bytes, bytearray)):
        if not source:
            raise ModelFileError(f"{name} is empty")
        if len(source) > MAX_MODEL_FILE_BYTES:
            raise ModelFileError(f"{name} is over {MAX_MODEL_FILE_BYTES / 2**20:.0f} MiB")
        data = bytes(source)
    else:
        path = Path(source)
        check_size(path)
        name = path.name
        data = path.read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
        if "meta.npy" in names:
            state = _decode_npz(io.BytesIO(data))
        elif any(n.endswith("data.pkl") for n in names):
            state = _decode_torch(io.BytesIO(data))
        else:
            raise ModelFileError(f"{name} is not a ganlab-panel checkpoint")
    except ModelFileError:
        raise
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError,
            TypeError, AttributeError, KeyError, IndexError, OSError) as exc:
        raise ModelFileError(f"{name} is not a readable ganlab-panel checkpoint "
                             f"(corrupt or truncated?): {str(exc).splitlines()[0][:200]}") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ModelFileError(f"{name} is not a ganlab-panel checkpoint")
    return state


def trainer_from_state(make, state: dict, device: str | None = None, name: str = "the checkpoint"):
    """A trainer built by ``make(config)`` (the Trainer class) holding ``state``."""
    try:
        config = ExperimentConfig.from_json(state["config"])
    except (KeyError, ConfigError) as exc:
        raise ModelFileError(f"{name} holds an invalid config: {exc}") from None
    if device is not None:
        config.device = device
    trainer = make(config)
    try:
        trainer.load_state_dict(state)
        if trainer.diverged:
            raise ModelFileError(f"{name} holds NaN or infinite weights or losses (a diverged run); "
                                 "it cannot be trained further")
    except ModelFileError:
        trainer.close()
        raise
    return trainer


def load_checkpoint(make, source, device: str | None = None):
    """A trainer built by ``make`` and restored from :func:`save_checkpoint`'s
    file (a path or the file's bytes); ``Trainer.load`` is the way in."""
    name = Path(source).name if not isinstance(source, (bytes, bytearray)) else "the checkpoint"
    return trainer_from_state(make, read_checkpoint_state(source), device, name)


def restore(trainer, source) -> None:
    """Make ``trainer`` continue exactly where ``source`` stands, keeping its
    own config object (so anything linked to it follows) and its device.

    ``source`` is a complete, already validated trainer (e.g. from
    :func:`load_checkpoint`), so nothing here can fail half-way for a bad file.
    """
    values = source.config.to_dict()
    values.pop("device", None)
    if values.get("drawn_points") is not None:
        values["drawn_points"] = np.asarray(source.config.drawn_points, dtype=float)
    with trainer.lock:
        changed = {k: v for k, v in values.items() if not _same(getattr(trainer.config, k), v)}
        if changed:
            trainer.config.param.update(changed)
        trainer.load_state_dict(source.state_dict())


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return a is not None and b is not None and np.array_equal(np.asarray(a), np.asarray(b))
    return a == b


def copy_parameters(params: list[np.ndarray], values, what: str) -> None:
    """Copy ``values`` (arrays, or anything NumPy reads as one) into ``params``
    after checking that their number and shapes match; a mismatch is a
    ModelFileError naming ``what``."""
    if len(values) != len(params):
        raise ModelFileError(f"the {what} has {len(values)} tensors, this architecture needs {len(params)}")
    values = [np.asarray(v) for v in values]
    for i, (p, v) in enumerate(zip(params, values)):
        if tuple(v.shape) != tuple(p.shape):
            raise ModelFileError(
                f"{what} tensor {i} has shape {tuple(v.shape)}, this architecture needs {tuple(p.shape)}")
    for p, v in zip(params, values):
        p[...] = v
