"""Pictures of a moment, drawn without a browser: PNG stills, GIF and MP4 films.

:func:`layered_image` draws a Frame as the layered distributions view shows it
(D's heatmap, the generator manifold, real and fake samples, the gradient
arrows, in the same colours) into a Pillow image, with a caption of the
iteration and losses. :func:`png_bytes`, :func:`gif_bytes` and
:func:`mp4_bytes` (H.264, by the ffmpeg of the ``imageio-ffmpeg`` wheel) encode them. The
app's downloads, ``GANLab.export`` and ``ganlab train --export`` all use these,
so a picture is the same wherever it is made.

Shapes are drawn at twice the size and scaled down, which smooths their edges.
"""

from __future__ import annotations

import io
import itertools
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ganlab_panel.engine.frames import Frame
from ganlab_panel.live import style

#: the layers drawn by default: GAN Lab's own
DEFAULT_LAYERS = ("heatmap", "manifold", "real", "fake", "gradients")
LAYERS = DEFAULT_LAYERS

CAPTION_HEIGHT = 22
DOT_DIAMETER = 4.5        # px at the image's size, as the app's dots
SUPERSAMPLE = 2


_D_LUT = np.array([style.hex_to_rgb(c) for c in style.D_CMAP], dtype=np.uint8)


def _heatmap(values: np.ndarray, size: int) -> Image.Image:
    """A [row=y, col=x] grid of 0..1 values (row 0 at the bottom) as PRGn cells."""
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=0.5).clip(0, 1)
    idx = (v * (len(_D_LUT) - 1)).round().astype(int)
    cells = Image.fromarray(_D_LUT[np.flipud(idx)], "RGB")
    return cells.resize((size, size), Image.NEAREST)


def _manifold(raster: np.ndarray, size: int) -> Image.Image:
    """The manifold raster (0..1 opacity, NaN empty, row 0 at the bottom) as purple with that alpha."""
    alpha = (np.nan_to_num(np.flipud(np.asarray(raster, dtype=float)), nan=0.0).clip(0, 1) * 255).astype(np.uint8)
    rgba = np.empty(alpha.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = style.hex_to_rgb(style.FAKE)
    rgba[..., 3] = alpha
    return Image.fromarray(rgba, "RGBA").resize((size, size), Image.BILINEAR)


def _to_pixels(points: np.ndarray, size: int) -> np.ndarray:
    """Unit-square coordinates (y up) to pixel coordinates (y down)."""
    p = np.asarray(points, dtype=float).reshape(-1, 2)
    return np.column_stack([p[:, 0] * size, (1.0 - p[:, 1]) * size])


def _segments(draw: ImageDraw.ImageDraw, segs: np.ndarray, size: int, colour: str, alpha: float,
              width: float) -> None:
    if len(segs) == 0:
        return
    a = _to_pixels(segs[:, :2], size)
    b = _to_pixels(segs[:, 2:], size)
    fill = (*style.hex_to_rgb(colour), int(alpha * 255))
    w = max(1, round(width))
    for (x0, y0), (x1, y1) in zip(a, b):
        draw.line([(x0, y0), (x1, y1)], fill=fill, width=w)


def _dots(draw: ImageDraw.ImageDraw, points: np.ndarray, size: int, colour: str, diameter: float,
          hollow: bool = False) -> None:
    fill = (*style.hex_to_rgb(colour), int(style.POINT_ALPHA * 255))
    r = diameter / 2
    for x, y in _to_pixels(points, size):
        if np.isfinite(x) and np.isfinite(y):
            if hollow:
                draw.ellipse([x - r, y - r, x + r, y + r], outline=fill, width=SUPERSAMPLE)
            else:
                draw.ellipse([x - r, y - r, x + r, y + r], fill=fill)


def font(size: int):
    """Pillow's default font at ``size`` px (its one bitmap size on an old Pillow)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow before 10.1: one bitmap size
        return ImageFont.load_default()


def caption_text(frame: Frame) -> str:
    fmt = lambda v: "–" if not np.isfinite(v) else f"{v:.3f}"  # noqa: E731
    text = f"iteration {frame.iteration:,}   D loss {fmt(frame.d_loss)}   G loss {fmt(frame.g_loss)}"
    if frame.modes is not None and frame.modes_total:
        text += f"   modes {frame.modes}/{frame.modes_total}"
    return text


def layered_image(frame: Frame, size: int = 400, layers: Iterable[str] = DEFAULT_LAYERS,
                  manifold_raster: np.ndarray | None = None, caption: bool = True) -> Image.Image:
    """The layered distributions view of ``frame`` as an RGB image of
    ``size`` × ``size`` pixels (plus a caption strip below, if ``caption``).

    ``layers``: any of heatmap, manifold, real, fake, gradients (fake draws
    the samples Jacobian-based truncation left out as hollow dots, as the app
    does). The manifold is rasterised with Datashader unless
    ``manifold_raster`` (a Scene's) is given.
    """
    from ganlab_panel.live import geometry  # the arrow and grid-line geometry the app draws
    from ganlab_panel.live.scene import rasterize_manifold

    layers = set(layers)
    unknown = layers - set(LAYERS)
    if unknown:
        raise ValueError(f"unknown layers {sorted(unknown)}; choose from {', '.join(LAYERS)}")
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (*style.hex_to_rgb(style.PLOT_BG), 255))
    if "heatmap" in layers:
        image.paste(_heatmap(frame.d_shown(frame.d_grid), big))
    if "manifold" in layers and frame.manifold is not None and frame.finite:
        if frame.manifold_opacity is not None:
            raster = manifold_raster if manifold_raster is not None else rasterize_manifold(
                frame.manifold, frame.manifold_opacity, size)
            image.alpha_composite(_manifold(raster, big))
        lines = Image.new("RGBA", (big, big), (0, 0, 0, 0))
        _segments(ImageDraw.Draw(lines), geometry.manifold_segments(frame.manifold), big, style.MANIFOLD_EDGE,
                  0.6 if frame.manifold_opacity is None else style.MANIFOLD_EDGE_ALPHA * 2, SUPERSAMPLE)
        image.alpha_composite(lines)
    for name, points, colour in (("real", frame.real, style.REAL), ("fake", frame.fake, style.FAKE)):
        if name in layers:
            dots = Image.new("RGBA", (big, big), (0, 0, 0, 0))
            _dots(ImageDraw.Draw(dots), points, big, colour, DOT_DIAMETER * SUPERSAMPLE)
            if name == "fake" and frame.left_out is not None:   # what Jacobian-based truncation left out
                _dots(ImageDraw.Draw(dots), frame.left_out, big, colour, 1.2 * DOT_DIAMETER * SUPERSAMPLE, hollow=True)
            image.alpha_composite(dots)
    if "gradients" in layers and frame.finite:
        arrows = Image.new("RGBA", (big, big), (0, 0, 0, 0))
        _segments(ImageDraw.Draw(arrows), geometry.arrow_segments(frame.fake, frame.gradients), big,
                  style.GRADIENT, style.GRADIENT_ALPHA, 1.5 * SUPERSAMPLE)
        image.alpha_composite(arrows)
    out = image.convert("RGB").resize((size, size), Image.LANCZOS)
    if not caption:
        return out
    framed = Image.new("RGB", (size, size + CAPTION_HEIGHT), style.hex_to_rgb(style.PANEL_BG))
    framed.paste(out, (0, 0))
    ImageDraw.Draw(framed).text((6, size + 4), caption_text(frame), fill=(60, 60, 60), font=font(12))
    return framed


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def gif_bytes(images: Sequence[Image.Image], fps: float = 10.0) -> bytes:
    """An animated GIF of ``images`` (looping, ``fps`` frames a second)."""
    if not images:
        raise ValueError("no frames to animate")
    # one palette for the whole film: colours do not flicker from frame to frame
    palette = images[-1].quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    frames = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], loop=0,
                   duration=max(20, int(round(1000 / fps))), disposal=1, optimize=False)
    return buffer.getvalue()


def mp4_bytes(images: Iterable[Image.Image], fps: float = 10.0, crf: int = 23,
              progress: Callable[[int], None] | None = None) -> bytes:
    """An H.264 film (MP4, yuv420p: it plays in browsers and on phones) of
    ``images``, all of one even-sided size, encoded by the ffmpeg that the
    ``imageio-ffmpeg`` wheel ships. Images may come one at a time (a
    generator): each is encoded as it comes, and ``progress(n)`` told after it."""
    import imageio_ffmpeg

    images = iter(images)
    first = next(images, None)
    if first is None:
        raise ValueError("no frames to animate")
    with tempfile.TemporaryDirectory(prefix="ganlab-film-") as folder:
        path = Path(folder) / "film.mp4"
        writer = imageio_ffmpeg.write_frames(
            str(path), first.size, fps=fps, codec="libx264", pix_fmt_in="rgb24", pix_fmt_out="yuv420p",
            quality=None, macro_block_size=2, ffmpeg_log_level="error",
            output_params=["-crf", str(crf), "-preset", "medium", "-movflags", "+faststart"])
        writer.send(None)   # starts ffmpeg
        try:
            for n, image in enumerate(itertools.chain([first], images), 1):
                writer.send(np.asarray(image.convert("RGB")))
                if progress is not None:
                    progress(n)
        finally:
            writer.close()
        return path.read_bytes()


def film_frames(frames: Sequence[Frame], max_frames: int = 200) -> list[Frame]:
    """Up to ``max_frames`` of ``frames``, evenly picked (the first and last always)."""
    frames = list(frames)
    if len(frames) > max_frames:
        picks = np.unique(np.linspace(0, len(frames) - 1, max_frames).round().astype(int))
        frames = [frames[i] for i in picks]
    return frames


def film_images(frames: Sequence[Frame], size: int = 300, layers: Iterable[str] = DEFAULT_LAYERS,
                max_frames: int = 200) -> Iterator[Image.Image]:
    """The images of up to ``max_frames`` of ``frames`` (see :func:`film_frames`), drawn one at a time."""
    layers = tuple(layers)
    for frame in film_frames(frames, max_frames):
        yield layered_image(frame, size=size, layers=layers)


__all__ = ["DEFAULT_LAYERS", "LAYERS", "caption_text", "film_frames", "film_images", "font", "gif_bytes",
           "layered_image", "mp4_bytes", "png_bytes"]
