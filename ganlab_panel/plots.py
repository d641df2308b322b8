"""Pure functions from plain arrays (a Frame's, a Scene's) to HoloViews elements.

Nothing here knows Panel or holds state: each function takes data and returns
an element with its options, so views can build DynamicMaps around them and
tests can check types, dimensions and bounds. Colours come from ``style``.

Coordinates of the layered view are GAN Lab's unit square, y up. The overview
graph is drawn in pixel coordinates (``OVERVIEW_W`` × ``OVERVIEW_H``, y up) so
that Panel widgets can be laid over it at known places.
"""

from __future__ import annotations

from dataclasses import dataclass

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401  (registers the Bokeh options used below)
import numpy as np

from . import style
from .frames import GRADIENT_ARROW_UNIT, Frame

BOUNDS = (0.0, 0.0, 1.0, 1.0)


def square(size: int | None = None) -> dict:
    """HoloViews options of a square plot ``size`` px wide, or (``None``) as
    wide as the column it is in."""
    return dict(width=size, height=size) if size else dict(responsive=True, aspect=1, hooks=[_width_sets_height])


def _width_sets_height(plot, element) -> None:
    # HoloViews renders a responsive square "scale_both" when it draws it
    # again, which needs a height from the page: the width is what it has
    plot.state.sizing_mode = "scale_width"


def square_pane(size: int | None = None) -> dict:
    """The matching options of the Panel pane that shows it. (Unsized, the
    plot takes its size when it is laid out: hide it with CSS
    ``visibility``, not ``display``, or it comes back with no height.)"""
    return dict(width=size, height=size, sizing_mode="fixed") if size else dict(sizing_mode="scale_width")


#: draw on a 2D canvas, not WebGL: without a GPU (a laptop's integrated one
#: aside, and any headless browser), WebGL is emulated in software and each
#: frame costs several times more.
CANVAS = {"backend_opts": {"plot.output_backend": "canvas"}}

# ------------------------------------------------------------------ layered


def alpha_bytes(raster: np.ndarray) -> np.ndarray:
    """A 0..1 raster (NaN = empty) as 0..255 bytes: a quarter of the float data
    to send each frame, and precise enough for an opacity."""
    return (np.nan_to_num(np.asarray(raster, dtype=np.float32), nan=0.0).clip(0, 1) * 255 + 0.5).astype(np.uint8)


def _image(values: np.ndarray | None, cmap, bounds=BOUNDS, vdim: str = "value", group: str = "Image",
           clim: tuple = (0, 1)) -> hv.Image:
    """An Image from a (rows, cols) array whose row 0 is at the bottom; no data
    gives a fully transparent image. NaN cells are drawn transparent."""
    hidden = values is None
    arr = np.zeros((2, 2), dtype=np.float32) if hidden else np.asarray(values)
    if not hidden and not np.isfinite(arr).any():
        arr, hidden = np.zeros((2, 2), dtype=np.float32), True
    img = hv.Image(np.flipud(arr), bounds=bounds, kdims=["x", "y"], vdims=[vdim], group=group)
    return img.opts(cmap=cmap, clim=clim, visible=not hidden, clipping_colors={"NaN": "transparent"},
                    colorbar=False, tools=[])


def d_heatmap(values: np.ndarray | None, bounds=BOUNDS, group: str = "Heatmap") -> hv.Image:
    """D's output on a grid (GAN Lab's 30×30 cells, or a finer field), PRGn."""
    return _image(values, style.D_CMAP, bounds, vdim="D(x)", group=group)


def manifold_image(raster: np.ndarray | None, bounds=BOUNDS, group: str = "Manifold") -> hv.Image:
    """The manifold raster: purple with GAN Lab's per-quad opacity (as bytes, 0 = none)."""
    return _image(None if raster is None else alpha_bytes(raster), style.MANIFOLD_CMAP, bounds,
                  vdim="opacity", group=group, clim=(0, 255))


def density_image(raster: np.ndarray | None) -> hv.Image:
    """The generator's density from many samples (0 = none)."""
    return _image(None if raster is None else alpha_bytes(raster), style.DENSITY_CMAP, vdim="density",
                  group="Density", clim=(0, 255))


def manifold_segments(manifold: np.ndarray | None, box=BOUNDS) -> np.ndarray:
    """(n, 4) segments of the manifold's grid lines (2D noise) or curve (1D
    noise), mapped into ``box``; empty when there is none or it is not finite."""
    if manifold is None or not np.isfinite(manifold).all():
        return np.empty((0, 4))
    m = to_box(manifold, box)
    if m.ndim == 2:
        return np.column_stack([m[:-1], m[1:]])
    along_j = np.column_stack([m[:, :-1].reshape(-1, 2), m[:, 1:].reshape(-1, 2)])
    along_i = np.column_stack([m[:-1, :].reshape(-1, 2), m[1:, :].reshape(-1, 2)])
    return np.vstack([along_j, along_i])


def segments_inside(segments: np.ndarray, box) -> np.ndarray:
    """The segments whose both ends lie inside ``box`` (thumbnails clip their content)."""
    b = box.bounds if isinstance(box, Box) else box
    if len(segments) == 0:
        return segments
    x, y = segments[:, [0, 2]], segments[:, [1, 3]]
    keep = ((x >= b[0]) & (x <= b[2]) & (y >= b[1]) & (y <= b[3])).all(axis=1)
    return segments[keep]


def manifold_lines(segments: np.ndarray | None, group: str = "ManifoldLines") -> hv.Segments:
    """The manifold's grid lines, thin grey (see :func:`manifold_segments`)."""
    segs = np.empty((0, 4)) if segments is None else segments
    return hv.Segments(segs, kdims=["x0", "y0", "x1", "y1"], group=group).opts(
        color=style.MANIFOLD_EDGE, alpha=0.6, line_width=1)


def samples(points: np.ndarray | None, colour: str, group: str, size: float = 4, hover: bool = True) -> hv.Points:
    """Real or fake samples as dots; hovering shows their coordinates."""
    pts = np.empty((0, 2)) if points is None else np.asarray(points)
    return hv.Points(pts, kdims=["x", "y"], group=group).opts(
        color=colour, size=size, alpha=style.POINT_ALPHA, line_alpha=0,
        tools=["hover"] if hover else [], muted_alpha=0)


def arrow_segments(origins: np.ndarray | None, vectors: np.ndarray | None,
                   unit: float = GRADIENT_ARROW_UNIT, box=BOUNDS) -> np.ndarray:
    """(3n, 4) segments x0, y0, x1, y1: a shaft of length ∝ |vector| (``unit``
    per unit) and two barbs at its tip, for each origin; mapped into ``box``."""
    if origins is None or vectors is None or len(origins) == 0:
        return np.empty((0, 4))
    o = np.asarray(origins, dtype=float)
    v = np.asarray(vectors, dtype=float) * unit
    tip = o + v
    length = np.linalg.norm(v, axis=1, keepdims=True)
    unit_v = np.divide(v, length, out=np.zeros_like(v), where=length > 0)
    head = np.minimum(length, 0.02) * 0.6
    back = -unit_v * head
    normal = np.column_stack([-unit_v[:, 1], unit_v[:, 0]]) * head * 0.6
    shafts = np.column_stack([o, tip])
    barb1 = np.column_stack([tip, tip + back + normal])
    barb2 = np.column_stack([tip, tip + back - normal])
    segs = np.vstack([shafts, barb1, barb2])
    segs = segs[np.isfinite(segs).all(axis=1)]
    x0, y0, w, h = box[0], box[1], box[2] - box[0], box[3] - box[1]
    return segs * [w, h, w, h] + [x0, y0, x0, y0]


def gradients(segments: np.ndarray | None, line_width: float = 1.5, group: str = "Gradients") -> hv.Segments:
    """Generator gradients as pink arrows (see :func:`arrow_segments`)."""
    segments = np.empty((0, 4)) if segments is None else segments
    return hv.Segments(segments, kdims=["x0", "y0", "x1", "y1"], group=group).opts(
        color=style.GRADIENT, alpha=style.GRADIENT_ALPHA, line_width=line_width)


def drawn_points(points: np.ndarray | None) -> hv.Points:
    """The user's drawing: the points training will sample around."""
    return samples(points, style.REAL, "Drawn", size=6)


def layered_overlay(layers: dict) -> hv.Overlay:
    """The layered distributions view from a dict of layer data (missing or
    ``None`` = hidden): heatmap, d_field, density, manifold (raster),
    manifold_lines (segments), real, fake, gradients (segments). Every layer is
    always present, so the overlay keeps one structure from frame to frame."""
    get = layers.get
    return (d_heatmap(get("heatmap")) * d_heatmap(get("d_field"), group="DField") * density_image(get("density"))
            * manifold_image(get("manifold")) * manifold_lines(get("manifold_lines"))
            * samples(get("real"), style.REAL, "Real") * samples(get("fake"), style.FAKE, "Fake")
            * gradients(get("gradients")))


# ----------------------------------------------------------------- charts


def iteration_axis() -> dict:
    """An x axis of iterations: whole numbers on a few ticks (12,500)."""
    from bokeh.models import BasicTicker, NumeralTickFormatter

    return dict(xticks=BasicTicker(desired_num_ticks=3, min_interval=1), xformatter=NumeralTickFormatter(format="0,0"))


def padded_range(values) -> tuple[float, float] | None:
    """A chart axis's range for ``values``: their finite span and 5 % more
    (a flat line gets a little room too); None without a finite value."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return None
    low, high = float(v.min()), float(v.max())
    pad = 0.05 * (high - low) if high > low else max(abs(high) * 0.05, 1e-3)
    return low - pad, high + pad


def _chart_opts(ylabel: str, **opts) -> dict:
    """What every chart shares: the legend above the plot (never over the
    newest data), the iteration axis."""
    return dict(legend_position="top", legend_cols=2, legend_opts={"label_text_font_size": "8pt", "spacing": 6,
                                                                   "padding": 0, "margin": 0},
                ylabel=ylabel, show_grid=True, **iteration_axis(), **opts)


def loss_chart(data) -> hv.Overlay:
    """D loss and G loss against iteration."""
    d = hv.Curve(data, "iteration", "d_loss", group="DLoss", label="D loss").opts(color=style.D_BLUE, line_width=2)
    g = hv.Curve(data, "iteration", "g_loss", group="GLoss", label="G loss").opts(color=style.G_PURPLE, line_width=2)
    return (d * g).opts(**_chart_opts("loss"))


def divergence_chart(data) -> hv.Overlay:
    """Grid KL and JS divergence (bits) against iteration."""
    kl = hv.Curve(data, "iteration", "kl", group="KL", label="KL (by grid)").opts(color=style.KL_COLOUR, line_width=2)
    js = hv.Curve(data, "iteration", "js", group="JS", label="JS (by grid)").opts(color=style.JS_COLOUR, line_width=2)
    return (kl * js).opts(**_chart_opts("bits"))


def modes_chart(data) -> hv.Overlay:
    """For mixture data: the share of modes captured and of high-quality
    samples (the published protocol), in percent, against iteration."""
    m = hv.Curve(data, "iteration", "modes_pct", group="Modes", label="modes captured").opts(
        color=style.MODES_COLOUR, line_width=2)
    q = hv.Curve(data, "iteration", "hq_pct", group="HQ", label="high-quality samples").opts(
        color=style.HQ_COLOUR, line_width=2)
    return (m * q).opts(**_chart_opts("%", ylim=(0, 105)))


# --------------------------------------------------------- overview graph

OVERVIEW_W, OVERVIEW_H = 880, 520


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


#: where each component of the model overview graph sits (pixels, y up).
BOXES: dict[str, Box] = {
    "noise": Box(20, 225, 80, 285),
    "generator": Box(140, 180, 290, 330),
    "real": Box(360, 320, 420, 380),
    "fake": Box(360, 195, 420, 255),
    "discriminator": Box(480, 180, 630, 330),
    "pred_real": Box(690, 320, 750, 380),
    "pred_fake": Box(690, 195, 750, 255),
    "d_loss": Box(780, 330, 860, 345),
    "g_loss": Box(780, 235, 860, 250),
    "g_grad": Box(360, 40, 420, 100),
    "d_grad": Box(480, 420, 630, 440),
}

LABELS: dict[str, tuple[float, float, str]] = {
    "noise": (50, 213, "Noise"),
    "generator": (215, 168, "Generator"),
    "real": (390, 392, "Real"),
    "fake": (390, 267, "Fake"),
    "samples": (390, 183, "Samples"),
    "discriminator": (555, 168, "Discriminator"),
    "pred_real": (720, 392, "Real"),
    "pred_fake": (720, 267, "Fake"),
    "predictions": (720, 183, "Prediction of Samples"),
    "d_loss": (820, 318, "Discriminator loss"),
    "g_loss": (820, 222, "Generator loss"),
    "g_grad": (390, 28, "Gradients (G)"),
    "d_grad": (555, 452, "Gradients (D)"),
}

#: the data flow, as polylines between components.
FORWARD_PATHS = [
    [(80, 255), (140, 255)],                      # noise -> G
    [(290, 225), (360, 225)],                     # G -> fake samples
    [(420, 350), (450, 350), (450, 290), (480, 290)],   # real -> D
    [(420, 225), (480, 225)],                     # fake -> D
    [(630, 290), (660, 290), (660, 350), (690, 350)],   # D -> prediction on real
    [(630, 225), (690, 225)],                     # D -> prediction on fake
]
D_UPDATE_PATHS = [
    [(750, 350), (765, 350), (765, 338), (780, 338)],   # predictions -> D loss
    [(750, 225), (765, 225), (765, 338), (780, 338)],
    [(860, 338), (870, 338), (870, 430), (555, 430)],   # D loss -> gradients -> D, unbroken
    [(555, 430), (555, 330)],
]
G_UPDATE_PATHS = [
    [(750, 225), (765, 225), (765, 243), (780, 243)],   # prediction on fake -> G loss
    [(860, 243), (870, 243), (870, 70), (420, 70)],     # G loss -> gradients
    [(360, 70), (215, 70), (215, 180)],           # gradients -> G
]


def to_box(points: np.ndarray, box) -> np.ndarray:
    """Map unit-square coordinates (..., 2) into a box given as bounds."""
    b = box.bounds if isinstance(box, Box) else box
    p = np.asarray(points, dtype=float)
    return np.stack([b[0] + p[..., 0] * (b[2] - b[0]), b[1] + p[..., 1] * (b[3] - b[1])], axis=-1)


def _path_length(path: np.ndarray) -> np.ndarray:
    return np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))]


def flow_dots(paths: list, phase: float, spacing: float = 18.0) -> np.ndarray:
    """Dots spaced ``spacing`` pixels apart along each polyline, shifted by
    ``phase`` pixels: advancing the phase animates the flow."""
    out = []
    for path in paths:
        p = np.asarray(path, dtype=float)
        s = _path_length(p)
        if s[-1] == 0:
            continue
        at = np.arange(phase % spacing, s[-1], spacing)
        out.append(np.column_stack([np.interp(at, s, p[:, 0]), np.interp(at, s, p[:, 1])]))
    return np.vstack(out) if out else np.empty((0, 2))


def _inside(points: np.ndarray, key: str) -> np.ndarray:
    b = BOXES[key]
    return (points[:, 0] >= b.x0) & (points[:, 0] <= b.x1) & (points[:, 1] >= b.y0) & (points[:, 1] <= b.y1)


def thumbnail_layers(frame: Frame | None) -> dict:
    """The overview's thumbnail dots, mapped into their boxes (dots outside a box
    are dropped): noise, real and fake samples as (n, 2) arrays, and both
    predictions as ``pred`` columns x, y, score (D's output after GAN Lab's
    sqrt stretch, coloured on PRGn)."""
    empty = np.empty((0, 2))
    if frame is None:
        return {"noise": empty, "real": empty, "fake": empty,
                "pred": {"x": np.empty(0), "y": np.empty(0), "score": np.empty(0)}}
    noise = frame.noise if frame.noise_dim >= 2 else np.column_stack([frame.noise[:, 0], np.full(len(frame.noise), 0.5)])
    out = {}
    for key, pts in (("noise", noise[:, :2]), ("real", frame.real), ("fake", frame.fake)):
        boxed = to_box(pts, BOXES[key])
        out[key] = boxed[_inside(boxed, key)]
    pr, pf = to_box(frame.real, BOXES["pred_real"]), to_box(frame.fake, BOXES["pred_fake"])
    keep_r, keep_f = _inside(pr, "pred_real"), _inside(pf, "pred_fake")
    xy = np.vstack([pr[keep_r], pf[keep_f]])
    score = np.concatenate([style.sqrt_abs(np.nan_to_num(frame.d_shown(frame.d_real), nan=0.5))[keep_r],
                            style.sqrt_abs(np.nan_to_num(frame.d_shown(frame.d_fake), nan=0.5))[keep_f]])
    out["pred"] = {"x": xy[:, 0], "y": xy[:, 1], "score": score}
    return out


def loss_bar_width(loss: float, loss_name: str, network: str) -> float:
    """GAN Lab's loss-bar length in pixels: D (shown halved) and G, per loss."""
    if not np.isfinite(loss):
        return 0.0
    if network == "d":
        computed = 2 * loss
        width = computed * 50.0 if loss_name == "least_squares" else (computed * 0.5) ** 2 * 50.0
    else:
        width = loss * 2.0 * 50.0 if loss_name == "least_squares" else loss**2 * 50.0
    return float(min(width, 80.0))


def loss_bars(frame: Frame | None) -> dict:
    """The two loss bars (D, then G) as rectangle columns with their colours."""
    cols = {"x0": [], "y0": [], "x1": [], "y1": [], "color": [style.D_BLUE, style.G_PURPLE]}
    for key, net in (("d_loss", "d"), ("g_loss", "g")):
        b = BOXES[key]
        value = getattr(frame, key) if frame is not None else float("nan")
        loss_name = frame.info.get("loss", "log") if frame is not None else "log"
        cols["x0"].append(b.x0)
        cols["y0"].append(b.y0)
        cols["x1"].append(b.x0 + loss_bar_width(value, loss_name, net))
        cols["y1"].append(b.y1)
    return {k: np.asarray(v, dtype=object if k == "color" else float) for k, v in cols.items()}


def loss_labels(frame: Frame | None) -> dict:
    texts = []
    for key, attr in (("d_loss", "d_loss"), ("g_loss", "g_loss")):
        v = getattr(frame, attr) if frame is not None else float("nan")
        texts.append("–" if not np.isfinite(v) else f"{v:.3f}")
    return {"x": [BOXES["d_loss"].x0, BOXES["g_loss"].x0], "y": [BOXES["d_loss"].y1 + 10, BOXES["g_loss"].y1 + 10],
            "text": texts}


def overview_static() -> hv.Overlay:
    """What never changes in the overview: thumbnail frames, paths and labels."""
    frames = [(b.x0, b.y0, b.x1, b.y1) for k, b in BOXES.items() if k not in ("d_loss", "g_loss", "d_grad")]
    boxes = hv.Rectangles(frames).opts(fill_color="white", line_color="#dddddd", line_width=1)
    big = hv.Rectangles([BOXES["generator"].bounds]).opts(fill_alpha=0, line_color=style.G_PURPLE, line_width=3) * \
        hv.Rectangles([BOXES["discriminator"].bounds]).opts(fill_alpha=0, line_color=style.D_BLUE, line_width=3)
    fwd = hv.Path([np.array(p) for p in FORWARD_PATHS]).opts(color=style.PATH_GREY, line_width=2, line_dash="dashed")
    dup = hv.Path([np.array(p) for p in D_UPDATE_PATHS]).opts(color=style.PATH_GREY, line_width=2, line_dash="dashed")
    gup = hv.Path([np.array(p) for p in G_UPDATE_PATHS]).opts(color=style.PATH_GREY, line_width=2, line_dash="dashed")
    xs, ys, texts = zip(*LABELS.values())
    labels = hv.Labels({"x": xs, "y": ys, "text": texts}, ["x", "y"], "text").opts(
        text_font_size="12px", text_color="#333333", text_align="center", text_baseline="middle")
    return fwd * dup * gup * boxes * big * labels


def highlight_rects(components: list[str], colour_for_d: bool) -> hv.Rectangles:
    """Outlines around the components a slow-motion sub-step is about."""
    rects = []
    for key in components:
        b = BOXES[key]
        rects.append((b.x0 - 4, b.y0 - 4, b.x1 + 4, b.y1 + 4))
    colour = style.D_BLUE if colour_for_d else style.G_PURPLE
    return hv.Rectangles(rects if rects else np.empty((0, 4)), group="Highlight").opts(
        fill_alpha=0.08, fill_color=colour, line_color=colour, line_width=3)


def thumbnail_dots(layers: dict | None) -> hv.Overlay:
    """The thumbnails' dots: noise, real, fake, and the predictions coloured by D."""
    layers = layers if layers is not None else thumbnail_layers(None)
    dots = dict(size=2.5, line_alpha=0, alpha=0.85, tools=[])
    return (hv.Points(layers["noise"], kdims=["x", "y"], group="NoiseDots").opts(color=style.FAKE, **dots)
            * hv.Points(layers["real"], kdims=["x", "y"], group="RealDots").opts(color=style.REAL, **dots)
            * hv.Points(layers["fake"], kdims=["x", "y"], group="FakeDots").opts(color=style.FAKE, **dots)
            * hv.Points(layers["pred"], kdims=["x", "y"], vdims=["score"], group="PredDots").opts(
                color="score", cmap=style.D_CMAP, clim=(0, 1), colorbar=False, **dots))


def loss_bar_rects(rects: dict | None) -> hv.Rectangles:
    rects = rects if rects is not None else loss_bars(None)
    return hv.Rectangles(rects, vdims=["color"], group="LossBars").opts(color="color", line_alpha=0)


def loss_text(data: dict | None) -> hv.Labels:
    return hv.Labels(data if data is not None else loss_labels(None), ["x", "y"], "text", group="LossText").opts(
        text_font_size="12px", text_align="left", text_baseline="bottom", text_color="#444444")


def flow(data: np.ndarray | None, colour: str, group: str) -> hv.Points:
    """Dots travelling along one kind of path (forward, D's update or G's)."""
    pts = np.empty((0, 2)) if data is None else np.asarray(data).reshape(-1, 2)
    return hv.Points(pts, kdims=["x", "y"], group=group).opts(color=colour, size=5, line_alpha=0, tools=[])


def overview_overlay(data: dict) -> hv.Overlay:
    """The overview's changing parts from a dict: d_image, gen_raster,
    gen_lines (segments), points (thumbnail dots), g_grad (segments), bars,
    bar_text, flow, flow_d, flow_g (dots on the paths) and highlight
    ((components, for_d) or None)."""
    get = data.get
    gbox, dbox = BOXES["generator"].bounds, BOXES["discriminator"].bounds
    components, for_d = get("highlight") or ((), True)
    return (d_heatmap(get("d_image"), bounds=dbox, group="DThumb")
            * manifold_image(get("gen_raster"), bounds=gbox, group="GThumb")
            * manifold_lines(get("gen_lines"), group="GThumbLines") * thumbnail_dots(get("points"))
            * gradients(get("g_grad"), 1, group="GGrad")
            * loss_bar_rects(get("bars")) * loss_text(get("bar_text"))
            * flow(get("flow"), style.PATH_GREY, "Flow") * flow(get("flow_d"), style.D_BLUE, "FlowD")
            * flow(get("flow_g"), style.G_PURPLE, "FlowG")
            * highlight_rects(list(components), for_d))


def overview_opts() -> dict:
    return dict(**CANVAS, width=OVERVIEW_W, height=OVERVIEW_H, xlim=(0, OVERVIEW_W), ylim=(0, OVERVIEW_H),
                xaxis=None, yaxis=None, toolbar=None, show_frame=False, border=0,
                bgcolor=style.PANEL_BG, default_tools=[], active_tools=[], show_legend=False)


# -------------------------------------------------------------- thumbnails


def points_svg(points: np.ndarray, colour: str = style.REAL, size: int = 36, radius: float = 0.9) -> str:
    """A small square SVG of points in the unit square (distribution thumbnails)."""
    pts = np.asarray(points, dtype=float)
    pts = pts[((pts >= 0) & (pts <= 1)).all(axis=1)]
    circles = "".join(f'<circle cx="{x * size:.1f}" cy="{(1 - y) * size:.1f}" r="{radius}"/>' for x, y in pts)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}">'
            f'<rect width="{size}" height="{size}" fill="white"/><g fill="{colour}" fill-opacity="0.8">{circles}</g></svg>')
