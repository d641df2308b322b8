"""Exports: what an experiment can be saved as, the same from the app, the API and the CLI.

========== ===================================== ===========================
kind       what                                   files
========== ===================================== ===========================
png        the layered view at this moment        NAME.png (600 px; ``size=`` sets it)
png2x      the same at twice the size             NAME@2x.png
screen     the graph, layered view and charts     NAME.png
gif        the recorded training, as a film       NAME.gif (480 px)
mp4        the same as an H.264 film              NAME.mp4 (600 px, the picture's size)
config     the settings (``ExperimentConfig``)    NAME.json
checkpoint the whole training state (ours)        NAME.npz
ganlab     the model in GAN Lab's own format      NAME.json, NAME.weights.bin
pt2        G and D as ``torch.export`` programs   NAME_generator.pt2,
           (run with PyTorch alone)               NAME_discriminator.pt2
========== ===================================== ===========================
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ganlab_panel.engine.errors import GANLabError

KINDS = ("png", "png2x", "screen", "gif", "mp4", "config", "checkpoint", "ganlab", "pt2")

#: the pictures' size (px): the layered view's side; a film's frames are smaller
PNG_SIZE = 600
GIF_SIZE = 480

#: file suffix -> kind, for ``GANLab.export(path)``
SUFFIXES = {".png": "png", ".gif": "gif", ".mp4": "mp4", ".json": "config", ".npz": "checkpoint", ".zip": "ganlab",
            ".pt2": "pt2"}

#: a film's frames per second, and its most frames (evenly picked from the record)
GIF_FPS = 10
GIF_MAX_FRAMES = 200
FILM_KINDS = ("gif", "mp4")


def film_length(frames: Sequence) -> int:
    """How many images a film of ``frames`` has; GANLabError with fewer than two."""
    if len(frames) < 2:
        raise GANLabError("nothing to animate yet: train first, so that the record holds moments to show")
    return min(len(frames), GIF_MAX_FRAMES)


def export_files(kind: str, trainer, frames: Sequence = (), stem: str = "ganlab",
                 layers: Iterable[str] | None = None, size: int = PNG_SIZE,
                 progress: Callable[[int], None] | None = None) -> dict[str, bytes]:
    """The files of one export ``kind`` (see the module docstring).

    ``frames`` are what the pictures show: ``png`` draws the last one (a fresh
    snapshot when there is none), a film (``gif``, ``mp4``) all of them (at
    most GIF_MAX_FRAMES, evenly picked; ``progress(n)`` is told as each of
    its ``film_length(frames)`` images is done). Raises GANLabError when
    there is nothing to export, or when GAN Lab's format cannot express the model.
    """
    from ganlab_panel.engine.checkpoint import checkpoint_bytes
    from ganlab_panel.files import pictures as render
    from ganlab_panel.files.ganlab_format import ganlab_model_files

    layers = tuple(render.DEFAULT_LAYERS if layers is None else layers)
    if kind in ("png", "png2x"):
        frame = frames[-1] if len(frames) else trainer.snapshot()
        scale, name = (2, f"{stem}@2x.png") if kind == "png2x" else (1, f"{stem}.png")
        return {name: render.png_bytes(render.layered_image(frame, size=size * scale, layers=layers))}
    if kind == "screen":
        from ganlab_panel.files.screen import screen_image

        history = list(frames) if len(frames) else [trainer.snapshot()]
        return {f"{stem}.png": render.png_bytes(screen_image(history, layers=layers))}
    if kind in FILM_KINDS:
        film_length(frames)   # refuses a record too short to animate
        images = render.film_images(frames, size=min(size, GIF_SIZE) if kind == "gif" else size, layers=layers,
                                    max_frames=GIF_MAX_FRAMES)
        if kind == "mp4":
            return {f"{stem}.mp4": render.mp4_bytes(images, fps=GIF_FPS, progress=progress)}
        drawn = []
        for image in images:
            drawn.append(image)
            if progress is not None:
                progress(len(drawn))
        return {f"{stem}.gif": render.gif_bytes(drawn, fps=GIF_FPS)}
    if kind == "config":
        return {f"{stem}.json": trainer.config.to_json(indent=1).encode()}
    if kind == "checkpoint":
        return {f"{stem}.npz": checkpoint_bytes(trainer)}
    if kind == "ganlab":
        return ganlab_model_files(trainer, stem)   # a model it cannot hold: a ConfigError naming why
    if kind == "pt2":
        from ganlab_panel.files.portable import exported_programs

        return exported_programs(trainer, stem)
    raise GANLabError(f"unknown export {kind!r}; choose one of {', '.join(KINDS)}")


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def write_export(path, trainer, frames: Sequence = (), kind: str | None = None, **options) -> list[Path]:
    """Write an export to ``path``; ``kind`` defaults from its suffix (.png,
    .gif, .mp4, .json, .npz, .zip for GAN Lab's format zipped, or .pt2: ``run.pt2``
    writes ``run_generator.pt2`` and ``run_discriminator.pt2``; ``kind="ganlab"``
    with a .json path writes the .json and .weights.bin pair). Returns the
    files written."""
    path = Path(path)
    if kind is None:
        kind = SUFFIXES.get(path.suffix.lower())
        if kind is None:
            raise GANLabError(f"cannot tell what to export from {path.name!r}: name a .png, .gif, .mp4, .json "
                              "(settings), .npz (checkpoint), .zip (GAN Lab's format) or .pt2 (the networks for "
                              "PyTorch), or give kind=")
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    if kind == "ganlab" and stem.endswith(".weights"):
        stem = stem[: -len(".weights")]
    files = export_files(kind, trainer, frames, stem=stem, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "ganlab" and path.suffix.lower() == ".zip":
        path.write_bytes(zipped(files))
        return [path]
    written = []
    for name, content in files.items():
        target = path.with_name(name)
        target.write_bytes(content)
        written.append(target)
    return written


__all__ = ["FILM_KINDS", "GIF_FPS", "GIF_MAX_FRAMES", "GIF_SIZE", "KINDS", "PNG_SIZE", "SUFFIXES", "export_files",
           "film_length", "write_export", "zipped"]
