"""A picture of the whole screen, drawn without a browser: the model overview
graph, the layered distributions and the charts of the run, side by side.

The graph is drawn from the same geometry the app's overview uses
(``geometry.BOXES``, ``geometry.LABELS`` and the paths), its thumbnails are small
layered views of the frame (``render.layered_image`` with one or two layers),
and the charts are the recorded moments' losses and grid divergences.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from PIL import Image, ImageDraw

from ganlab_panel.engine.frames import Frame
from ganlab_panel.files import pictures as render
from ganlab_panel.live import geometry, style

GRAPH_W, GRAPH_H = geometry.OVERVIEW_W, geometry.OVERVIEW_H
CHART_W, CHART_H = 320, 240
GAP = 16

#: what each box of the graph shows: the layers of a small layered view
THUMBNAILS = {
    "generator": ("manifold",),
    "real": ("real",),
    "fake": ("fake",),
    "discriminator": ("heatmap",),
    "pred_real": ("heatmap", "real"),
    "pred_fake": ("heatmap", "fake"),
    "g_grad": ("fake", "gradients"),
}


def _flip(y: float) -> float:
    return GRAPH_H - y   # the graph's geometry has y up


def _dashed(draw: ImageDraw.ImageDraw, points, colour, dash: float = 5, gap: float = 4, width: int = 2) -> None:
    for (x0, y0), (x1, y1) in zip(points[:-1], points[1:]):
        a, b = np.array([x0, _flip(y0)], float), np.array([x1, _flip(y1)], float)
        length = float(np.linalg.norm(b - a))
        for start in np.arange(0, length, dash + gap):
            p = a + (b - a) * start / max(length, 1e-9)
            q = a + (b - a) * min(start + dash, length) / max(length, 1e-9)
            draw.line([tuple(p), tuple(q)], fill=colour, width=width)


def graph_image(frame: Frame) -> Image.Image:
    """The model overview graph of ``frame``, GRAPH_W × GRAPH_H."""
    image = Image.new("RGB", (GRAPH_W, GRAPH_H), style.hex_to_rgb(style.PANEL_BG))
    draw = ImageDraw.Draw(image)
    grey = style.hex_to_rgb(style.PATH_GREY)
    for path in (*geometry.FORWARD_PATHS, *geometry.D_UPDATE_PATHS, *geometry.G_UPDATE_PATHS):
        _dashed(draw, path, grey)
    for name, box in geometry.BOXES.items():
        left, top, right, bottom = box.x0, _flip(box.y1), box.x1, _flip(box.y0)
        side = int(min(right - left, bottom - top))
        if name in THUMBNAILS:
            thumb = render.layered_image(frame, size=side, layers=THUMBNAILS[name], caption=False)
            image.paste(thumb, (int(left), int(top)))
            outline = {"generator": style.G_PURPLE, "discriminator": style.D_BLUE}.get(name, "#cccccc")
            draw.rectangle([left, top, left + side, top + side], outline=outline, width=3 if side > 100 else 1)
        elif name == "noise":
            draw.rectangle([left, top, right, bottom], fill=(255, 255, 255), outline="#cccccc")
            for x, y in np.asarray(frame.noise, float).reshape(-1, frame.noise.shape[-1])[:150, :2]:
                cx, cy = left + 2 + x * (side - 4), bottom - 2 - y * (side - 4)
                draw.ellipse([cx - 1.5, cy - 1.5, cx + 1.5, cy + 1.5], fill=style.hex_to_rgb(style.FAKE))
    for name, loss, colour in (("d_loss", frame.d_loss, style.D_BLUE), ("g_loss", frame.g_loss, style.G_PURPLE)):
        box = geometry.BOXES[name]
        draw.rectangle([box.x0, _flip(box.y1), box.x0 + 20, _flip(box.y0)], fill=style.hex_to_rgb(colour))
        draw.text((box.x0, _flip(box.y1) - 16), "–" if not np.isfinite(loss) else f"{loss:.3f}",
                  fill=(60, 60, 60), font=render.font(12))
    for x, y, text in geometry.LABELS.values():
        font = render.font(13)
        width = draw.textlength(text, font=font)
        draw.text((x - width / 2, _flip(y) - 7), text, fill=(40, 40, 40), font=font)
    return image


def chart_image(frames: Sequence[Frame], curves: Iterable[tuple[str, str, str]], title: str) -> Image.Image:
    """A line chart against iteration: ``curves`` are (Frame attribute, label, colour)."""
    image = Image.new("RGB", (CHART_W, CHART_H), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    font = render.font(11)
    left, top, right, bottom = 44, 24, CHART_W - 10, CHART_H - 24
    draw.rectangle([left, top, right, bottom], outline=(200, 200, 200))
    curves = list(curves)
    its = np.array([f.iteration for f in frames], float)
    values = {attr: np.array([getattr(f, attr) for f in frames], float) for attr, _, _ in curves}
    span = geometry.padded_range(np.concatenate(list(values.values()))) if values else None
    if len(its) and span is not None:
        x0, x1 = its.min(), max(its.max(), its.min() + 1)
        y0, y1 = span
        for attr, _, colour in curves:
            v = values[attr]
            keep = np.isfinite(v)
            xs = left + (its[keep] - x0) / (x1 - x0) * (right - left)
            ys = bottom - (v[keep] - y0) / (y1 - y0) * (bottom - top)
            if len(xs) > 1:
                draw.line(list(zip(xs, ys)), fill=style.hex_to_rgb(colour), width=2)
        for value, y in ((y1, top), (y0, bottom)):
            draw.text((4, y - 6), f"{value:.3g}", fill=(90, 90, 90), font=font)
        for value, x, anchor in ((x0, left, "la"), (x1, right, "ra")):
            draw.text((x, bottom + 4), f"{int(value):,}", fill=(90, 90, 90), font=font, anchor=anchor)
    draw.text((4, 4), title, fill=(40, 40, 40), font=font)
    x = 4 + draw.textlength(title, font=font)
    for _, label, colour in curves:   # the legend, above the plot
        draw.line([(x + 12, 10), (x + 26, 10)], fill=style.hex_to_rgb(colour), width=2)
        draw.text((x + 30, 4), label, fill=(60, 60, 60), font=font)
        x += 40 + draw.textlength(label, font=font)
    return image


def screen_image(frames: Sequence[Frame], layers: Iterable[str] = render.DEFAULT_LAYERS) -> Image.Image:
    """The whole screen at the newest of ``frames`` (the record, oldest first):
    the graph, the layered view and the charts."""
    if not len(frames):
        raise ValueError("no moment to draw")
    frame = frames[-1]
    layered = render.layered_image(frame, size=GRAPH_H, layers=tuple(layers))
    losses = chart_image(frames, [("d_loss", "D loss", style.D_BLUE), ("g_loss", "G loss", style.G_PURPLE)], "loss")
    divergences = chart_image(frames, [("kl", "KL", style.KL_COLOUR), ("js", "JS", style.JS_COLOUR)], "grid, bits")
    width = GRAPH_W + GAP + layered.width + GAP + CHART_W + GAP
    height = max(GRAPH_H, layered.height, 2 * CHART_H + GAP) + 2 * GAP
    image = Image.new("RGB", (width, height), style.hex_to_rgb(style.PANEL_BG))
    image.paste(graph_image(frame), (GAP // 2, GAP))
    image.paste(layered, (GAP // 2 + GRAPH_W + GAP, GAP))
    x = GAP // 2 + GRAPH_W + GAP + layered.width + GAP
    image.paste(losses, (x, GAP))
    image.paste(divergences, (x, GAP + CHART_H + GAP))
    return image


__all__ = ["chart_image", "graph_image", "screen_image"]
