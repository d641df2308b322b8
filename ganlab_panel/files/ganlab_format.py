"""GAN Lab's model file: read one GAN Lab saved, write one GAN Lab can read.

GAN Lab's "Save model" writes ``NAME.json`` (topology, settings, iteration and a
weights manifest) and ``NAME.weights.bin`` (float32 little-endian values, in
manifest order, W stored [in, out]). :func:`load_ganlab_model` turns such a pair
into a Trainer; :func:`save_ganlab_model` writes one GAN Lab can read.

GAN Lab's own files are read as GAN Lab reads them: the shape's name in any
case (its ring model says "Ring"), and the manifest's weight paths as written
(its ring model names ``../pretrained_models/pretrained_ring.weights.bin``),
falling back to the file of that name beside the JSON. What we write uses the
names GAN Lab itself writes (lower case) and a path beside the JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ganlab_panel.engine.checkpoint import check_size, copy_parameters
from ganlab_panel.engine.config import ExperimentConfig
from ganlab_panel.engine.data import DRAWING
from ganlab_panel.engine.errors import ConfigError, DataError, ModelFileError
from ganlab_panel.engine.trainer import Trainer

GANLAB_NOISE_TYPES = {
    "1D Uniform": ("uniform", 1), "1D Gaussian": ("gaussian", 1),
    "2D Uniform": ("uniform", 2), "2D Gaussian": ("gaussian", 2),
}
GANLAB_OPTIMIZERS = {"SGD": "sgd", "Adam": "adam"}
GANLAB_LOSSES = {"Log loss": "log", "LeastSq loss": "least_squares"}
GANLAB_SHAPES = ("line", "gaussians", "ring", "disjoint", DRAWING)


def _invert(mapping: dict) -> dict:
    return {v: k for k, v in mapping.items()}


def ganlab_config(topology: dict[str, Any], **settings) -> ExperimentConfig:
    """Map GAN Lab's ``modelTopology`` to an ExperimentConfig (extra settings,
    e.g. ``drawn_points``, are applied on top)."""
    try:
        cfg = topology["config"]
        noise_type, noise_dim = GANLAB_NOISE_TYPES[cfg["selectedNoiseType"]]
        if int(cfg.get("noiseSize", noise_dim)) != noise_dim:
            raise ModelFileError(f"noiseSize {cfg['noiseSize']} contradicts {cfg['selectedNoiseType']!r}")
        shape = str(topology.get("shape_name", "gaussians")).strip().lower()
        values = dict(
            distribution=shape,
            noise_type=noise_type, noise_dim=noise_dim,
            g_layers=int(cfg["numGeneratorLayers"]), d_layers=int(cfg["numDiscriminatorLayers"]),
            g_neurons=int(cfg["numGeneratorNeurons"]), d_neurons=int(cfg["numDiscriminatorNeurons"]),
            d_lr=float(cfg["dLearningRate"]), g_lr=float(cfg["gLearningRate"]),
            d_optimizer=GANLAB_OPTIMIZERS[cfg["dOptimizerType"]],
            g_optimizer=GANLAB_OPTIMIZERS[cfg["gOptimizerType"]],
            loss=GANLAB_LOSSES[cfg["lossType"]],
            k_d=int(cfg["kDSteps"]), k_g=int(cfg["kGSteps"]),
        )
    except KeyError as exc:
        raise ModelFileError(f"the GAN Lab file lacks or has an unknown value for {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"the GAN Lab file has a malformed setting: {exc}") from None
    if shape not in GANLAB_SHAPES:
        raise ModelFileError(f"the GAN Lab file's shape {shape!r} is not one of {GANLAB_SHAPES}")
    if shape == DRAWING and settings.get("drawn_points") is None:
        raise ModelFileError("this GAN Lab model was trained on a drawing, which GAN Lab does not save; "
                             "pass drawn_points=... (or distribution=...) to load it")
    values.update(settings)
    try:
        return ExperimentConfig(**values)
    except ConfigError as exc:
        raise ModelFileError(f"the GAN Lab file's settings are out of range: {exc}") from None


def _read_ganlab_weights(read_bin, manifest: Any) -> dict[str, np.ndarray]:
    if not isinstance(manifest, list) or not manifest:
        raise ModelFileError("the GAN Lab file has no weightsManifest")
    tensors: dict[str, np.ndarray] = {}
    for group in manifest:
        try:
            paths, specs = group["paths"], group["weights"]
            blob = b""
            for p in paths:
                blob += read_bin(str(p))
            offset = 0
            for spec in specs:
                if spec.get("dtype", "float32") != "float32":
                    raise ModelFileError(f"weight {spec['name']!r} has dtype {spec['dtype']!r}; only float32 is supported")
                shape = tuple(int(s) for s in spec["shape"])
                count = int(np.prod(shape)) if shape else 1
                end = offset + 4 * count
                if end > len(blob):
                    raise ModelFileError(f"the weights file is truncated: {spec['name']!r} needs bytes "
                                         f"{offset}-{end}, the file has {len(blob)}")
                tensors[str(spec["name"])] = np.frombuffer(blob[offset:end], dtype="<f4").reshape(shape).copy()
                offset = end
            if offset != len(blob):
                raise ModelFileError(f"the weights file has {len(blob) - offset} bytes more than its manifest describes")
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"the GAN Lab weights manifest is malformed: {exc}") from None
    return tensors


def _ordered(tensors: dict[str, np.ndarray], prefix: str) -> list[np.ndarray]:
    names = sorted((n for n in tensors if n.startswith(prefix + "-")), key=lambda n: int(n.split("-", 1)[1]))
    expected = [f"{prefix}-{i}" for i in range(len(names))]
    if names != expected:
        raise ModelFileError(f"the GAN Lab file's {prefix} weights are not numbered {prefix}-0, {prefix}-1, ...")
    return [tensors[n] for n in names]


def load_ganlab_model(path, **settings) -> Trainer:
    """A Trainer from a model file GAN Lab saved (``NAME.json`` with
    ``NAME.weights.bin`` beside it): config mapped, weights loaded, iteration set.

    Keyword settings override the file's (e.g. ``seed=3``, ``device="cpu"``;
    ``drawn_points=...`` is required for a model trained on a drawing).
    Optimizer state is not in GAN Lab's file, so optimizers start fresh.
    """
    path = Path(path)
    check_size(path)

    def read_bin(written: str) -> bytes:
        # the path as written, from the JSON's folder; else the file of that name beside the JSON
        for bin_path in (path.parent / written, path.parent / Path(written).name):
            if bin_path.is_file():
                break
        check_size(bin_path)
        return bin_path.read_bytes()

    return ganlab_model_from_bytes(path.read_bytes(), read_bin, name=path.name, **settings)


def ganlab_model_from_bytes(json_bytes: bytes, bin_files, name: str = "the model file", **settings) -> Trainer:
    """Like :func:`load_ganlab_model`, from the JSON's bytes and either a dict
    ``{file name: bytes}`` of weight files (found by the file name the
    manifest's path ends in) or a function taking the path as written -> bytes."""
    if callable(bin_files):
        read_bin = bin_files
    else:
        def read_bin(written: str) -> bytes:
            file_name = Path(written).name
            if file_name not in bin_files:
                raise ModelFileError(f"the weights file {file_name!r} that {name} names was not given")
            return bin_files[file_name]
    if not json_bytes:
        raise ModelFileError(f"{name} is empty")
    try:
        doc = json.loads(json_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{name} is not a GAN Lab model file (not JSON): {exc}") from None
    if not isinstance(doc, dict) or "modelTopology" not in doc:
        raise ModelFileError(f"{name} is not a GAN Lab model file (no modelTopology)")
    topology = doc["modelTopology"]
    if not isinstance(topology, dict):
        raise ModelFileError(f"{name}: modelTopology must be an object")
    if settings.get("drawn_points") is not None and "distribution" not in settings:
        settings["distribution"] = DRAWING
    try:
        config = ganlab_config(topology, **settings)
    except DataError as exc:
        raise ModelFileError(str(exc)) from None
    tensors = _read_ganlab_weights(read_bin, doc.get("weightsManifest"))
    if not all(np.isfinite(t).all() for t in tensors.values()):
        raise ModelFileError(f"{name} holds NaN or infinite weights")
    trainer = Trainer(config)
    try:
        copy_parameters(trainer.generator.ordered_parameters(), _ordered(tensors, "g"), "generator")
        copy_parameters(trainer.discriminator.ordered_parameters(), _ordered(tensors, "d"), "discriminator")
    except ModelFileError as exc:
        trainer.close()
        raise ModelFileError(f"{name} does not match its own settings: {exc}") from None
    try:
        trainer.iteration = max(0, int(topology.get("iter_count", 0) or 0))
    except (TypeError, ValueError):
        trainer.close()
        raise ModelFileError(f"{name} has a malformed iter_count") from None
    return trainer


def ganlab_model_files(trainer: Trainer, stem: str = "ganlab_trained_model") -> dict[str, bytes]:
    """``{stem.json: ..., stem.weights.bin: ...}`` in GAN Lab's format.

    Only what GAN Lab can express is written; a setting it has no counterpart
    for (e.g. a loss it lacks) raises :class:`ConfigError`.
    """
    cfg = trainer.config
    noise_names = _invert(GANLAB_NOISE_TYPES)
    for name, table in (("loss", GANLAB_LOSSES), ("d_optimizer", GANLAB_OPTIMIZERS), ("g_optimizer", GANLAB_OPTIMIZERS)):
        if getattr(cfg, name) not in table.values():
            raise ConfigError(f"GAN Lab's format has no {name} {getattr(cfg, name)!r}", name)
    if (cfg.noise_type, cfg.noise_dim) not in noise_names:
        raise ConfigError(f"GAN Lab's format has no {cfg.noise_dim}D {cfg.noise_type} noise", "noise_dim")
    if cfg.distribution not in GANLAB_SHAPES:
        raise ConfigError(f"GAN Lab's format has no distribution {cfg.distribution!r}", "distribution")
    defaults = ExperimentConfig()
    for name in ("d_spectral_norm", "d_pack", "r1_gamma", "g_ema", "adam_beta1", "adam_beta2"):
        if getattr(cfg, name) != getattr(defaults, name):
            raise ConfigError(f"GAN Lab's format has no {name} (it is {getattr(cfg, name)!r} here)", name)
    shape = cfg.distribution
    bin_name = f"{stem}.weights.bin"
    with trainer.lock:
        named = [(f"d-{i}", p) for i, p in enumerate(trainer.discriminator.ordered_parameters())]
        named += [(f"g-{i}", p) for i, p in enumerate(trainer.generator.ordered_parameters())]
        arrays = [(n, np.asarray(p).astype("<f4")) for n, p in named]
        iteration = trainer.iteration
    doc = {
        "modelTopology": {
            "shape_name": shape,
            "iter_count": iteration,
            "config": {
                "selectedNoiseType": noise_names[(cfg.noise_type, cfg.noise_dim)],
                "noiseSize": cfg.noise_dim,
                "numGeneratorLayers": cfg.g_layers,
                "numDiscriminatorLayers": cfg.d_layers,
                "numGeneratorNeurons": cfg.g_neurons,
                "numDiscriminatorNeurons": cfg.d_neurons,
                "dLearningRate": cfg.d_lr,
                "gLearningRate": cfg.g_lr,
                "dOptimizerType": _invert(GANLAB_OPTIMIZERS)[cfg.d_optimizer],
                "gOptimizerType": _invert(GANLAB_OPTIMIZERS)[cfg.g_optimizer],
                "lossType": _invert(GANLAB_LOSSES)[cfg.loss],
                "kDSteps": cfg.k_d,
                "kGSteps": cfg.k_g,
            },
        },
        "weightsManifest": [{
            "paths": [f"./{bin_name}"],
            "weights": [{"name": n, "shape": list(a.shape), "dtype": "float32"} for n, a in arrays],
        }],
    }
    return {
        f"{stem}.json": json.dumps(doc, indent=1).encode("utf-8"),
        bin_name: b"".join(a.tobytes(order="C") for _, a in arrays),
    }


def save_ganlab_model(trainer: Trainer, path) -> tuple[Path, Path]:
    """Write ``path`` (JSON) and ``<stem>.weights.bin`` beside it in GAN Lab's format."""
    path = Path(path)
    if path.suffix != ".json":
        path = path.with_suffix(".json")
    stem = path.name[: -len(".json")]
    files = ganlab_model_files(trainer, stem)
    path.parent.mkdir(parents=True, exist_ok=True)
    bin_path = path.with_name(f"{stem}.weights.bin")
    bin_path.write_bytes(files[bin_path.name])
    path.write_bytes(files[path.name])
    return path, bin_path
