"""Pure functions from plain arrays (a Frame's, a Scene's) to HoloViews elements.

Nothing here knows Panel or holds state: each function takes data and returns
an element with its options, so views can build DynamicMaps around them and
tests can check types, dimensions and bounds. Colours come from ``style``.

Where things go (segments, arrows, the overview graph's boxes and paths) is
in ``live.geometry``, shared with the pictures in ``files``.
"""

from __future__ import annotations

import weakref

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401  (registers the Bokeh options used below)
import numpy as np

from ganlab_panel.live import style
from ganlab_panel.live.geometry import (  # noqa: F401  (the views and notebooks reach them here too)
    BOUNDS,
    BOXES,
    D_UPDATE_PATHS,
    FORWARD_PATHS,
    G_UPDATE_PATHS,
    LABELS,
    OVERVIEW_H,
    OVERVIEW_W,
    Box,
    arrow_segments,
    flow_dots,
    loss_bar_width,
    loss_bars,
    loss_labels,
    manifold_segments,
    padded_range,
    segments_inside,
    thumbnail_layers,
    to_box,
)


def square(size: int | None = None) -> dict:
    """HoloViews options of a square plot ``size`` px wide, or (``None``) as
    wide as the column it is in."""
    return dict(width=size, height=size) if size else dict(responsive=True, aspect=1, hooks=[_width_sets_height])


def weak_hook(method):
    """A plot hook (``hooks=[...]``) that calls ``method`` while its object
    lives, without keeping it alive.

    HoloViews keeps an element's options, hooks included, in a store of its own
    until the element is garbage. A bound method there keeps its object alive,
    and with it the element: a closed session's views would never be freed."""
    ref = weakref.WeakMethod(method)

    def hook(plot, element):
        alive = ref()
        if alive is not None:
            alive(plot, element)
    return hook


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

#: the live plots hide their toolbars, so their elements bring no tools
#: (HoloViews would give each figure pan, zooms, save and reset: ~30 Bokeh
#: models a page nobody can use); an element drawn in a fixed frame (the
#: layered view, the overview, the drawing canvas: xlim and ylim set it) has no
#: say in the frame's ranges either (working them out from the data took a
#: tenth of a page's build)
NO_TOOLS = {"default_tools": []}
FIXED_FRAME = {**NO_TOOLS, "apply_ranges": False}

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
                    colorbar=False, tools=[], **FIXED_FRAME)


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


def manifold_lines(segments: np.ndarray | None, group: str = "ManifoldLines") -> hv.Segments:
    """The manifold's grid lines, thin grey (see :func:`manifold_segments`)."""
    segs = np.empty((0, 4)) if segments is None else segments
    return hv.Segments(segs, kdims=["x0", "y0", "x1", "y1"], group=group).opts(
        color=style.MANIFOLD_EDGE, alpha=0.6, line_width=1, **FIXED_FRAME)


def samples(points: np.ndarray | None, colour: str, group: str, size: float = 4, hover: bool = True) -> hv.Points:
    """Real or fake samples as dots; hovering shows their coordinates."""
    pts = np.empty((0, 2)) if points is None else np.asarray(points)
    return hv.Points(pts, kdims=["x", "y"], group=group).opts(
        color=colour, size=size, alpha=style.POINT_ALPHA, line_alpha=0,
        tools=["hover"] if hover else [], muted_alpha=0, **FIXED_FRAME)


def left_out(points: np.ndarray | None, size: float = 5) -> hv.Points:
    """The samples Jacobian-based truncation leaves out: hollow fake dots."""
    pts = np.empty((0, 2)) if points is None else np.asarray(points)
    return hv.Points(pts, kdims=["x", "y"], group="LeftOut").opts(
        fill_color=None, line_color=style.FAKE, line_alpha=style.POINT_ALPHA, line_width=1, size=size,
        muted_alpha=0, **FIXED_FRAME)


def gradients(segments: np.ndarray | None, line_width: float = 1.5, group: str = "Gradients") -> hv.Segments:
    """Generator gradients as pink arrows (see :func:`arrow_segments`)."""
    segments = np.empty((0, 4)) if segments is None else segments
    return hv.Segments(segments, kdims=["x0", "y0", "x1", "y1"], group=group).opts(
        color=style.GRADIENT, alpha=style.GRADIENT_ALPHA, line_width=line_width, **FIXED_FRAME)


def drawn_points(points: np.ndarray | None) -> hv.Points:
    """The user's drawing: the points training will sample around."""
    return samples(points, style.REAL, "Drawn", size=6)


def layered_overlay(layers: dict) -> hv.Overlay:
    """The layered distributions view from a dict of layer data (missing or
    ``None`` = hidden): heatmap, d_field, density, manifold (raster),
    manifold_lines (segments), real, fake, left_out, gradients (segments).
    Every layer is always present, so the overlay keeps one structure from
    frame to frame."""
    get = layers.get
    return (d_heatmap(get("heatmap")) * d_heatmap(get("d_field"), group="DField") * density_image(get("density"))
            * manifold_image(get("manifold")) * manifold_lines(get("manifold_lines"))
            * samples(get("real"), style.REAL, "Real") * samples(get("fake"), style.FAKE, "Fake")
            * left_out(get("left_out")) * gradients(get("gradients")))


# ----------------------------------------------------------------- charts


def iteration_axis() -> dict:
    """An x axis of iterations: whole numbers on a few ticks (12,500)."""
    from bokeh.models import BasicTicker, NumeralTickFormatter

    return dict(xticks=BasicTicker(desired_num_ticks=3, min_interval=1), xformatter=NumeralTickFormatter(format="0,0"))


def _chart_opts(ylabel: str, **opts) -> dict:
    """What every chart shares: the legend above the plot (never over the
    newest data), the iteration axis."""
    return dict(legend_position="top", legend_cols=2, legend_opts={"label_text_font_size": "8pt", "spacing": 6,
                                                                   "padding": 0, "margin": 0},
                ylabel=ylabel, show_grid=True, **iteration_axis(), **opts)


def _line(data, column: str, group: str, label: str, colour: str) -> hv.Curve:
    """One of a chart's two lines: ``column`` against iteration."""
    return hv.Curve(data, "iteration", column, group=group, label=label).opts(color=colour, line_width=2, **NO_TOOLS)


def loss_chart(data) -> hv.Overlay:
    """D loss and G loss against iteration."""
    return (_line(data, "d_loss", "DLoss", "D loss", style.D_BLUE)
            * _line(data, "g_loss", "GLoss", "G loss", style.G_PURPLE)).opts(**_chart_opts("loss"))


def divergence_chart(data) -> hv.Overlay:
    """Grid KL and JS divergence (bits) against iteration."""
    return (_line(data, "kl", "KL", "KL (by grid)", style.KL_COLOUR)
            * _line(data, "js", "JS", "JS (by grid)", style.JS_COLOUR)).opts(**_chart_opts("bits"))


def modes_chart(data) -> hv.Overlay:
    """For mixture data: the share of modes captured and of high-quality
    samples (the published protocol), in percent, against iteration."""
    return (_line(data, "modes_pct", "Modes", "modes captured", style.MODES_COLOUR)
            * _line(data, "hq_pct", "HQ", "high-quality samples", style.HQ_COLOUR)).opts(
                **_chart_opts("%", ylim=(0, 105)))


# --------------------------------------------------------- overview graph

def overview_backdrop() -> str:
    """What never changes in the overview (the thumbnails' frames, the two
    networks' outlines, the dashed paths, the labels) as one SVG, drawn
    behind the graph's plot: one element for the browser to show, where
    glyphs would be a dozen models to build for every page."""
    def y(v: float) -> float:  # the graph's y runs up, SVG's down
        return OVERVIEW_H - v

    def rect(b: Box, stroke: str, width: float, fill: str) -> str:
        return (f'<rect x="{b.x0}" y="{y(b.y1)}" width="{b.x1 - b.x0}" height="{b.y1 - b.y0}" fill="{fill}" '
                f'stroke="{stroke}" stroke-width="{width}"/>')

    frames = "".join(rect(b, "#dddddd", 1, "white") for k, b in BOXES.items()
                     if k not in ("d_loss", "g_loss", "d_grad"))
    outlines = rect(BOXES["generator"], style.G_PURPLE, 3, "none") + rect(BOXES["discriminator"], style.D_BLUE, 3, "none")
    paths = "".join(
        f'<polyline points="{" ".join(f"{px},{y(py)}" for px, py in path)}" fill="none" stroke="{style.PATH_GREY}" '
        f'stroke-width="2" stroke-dasharray="6"/>' for path in FORWARD_PATHS + D_UPDATE_PATHS + G_UPDATE_PATHS)
    labels = "".join(f'<text x="{lx}" y="{y(ly)}">{text}</text>' for lx, ly, text in LABELS.values())
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{OVERVIEW_W}" height="{OVERVIEW_H}" '
            f'style="display:block">{paths}{frames}{outlines}'
            f'<g font-size="12px" font-family="Helvetica, Arial, sans-serif" fill="#333333" text-anchor="middle" '
            f'dominant-baseline="middle">{labels}</g></svg>')


def highlight_rects(components: list[str], colour_for_d: bool) -> hv.Rectangles:
    """Outlines around the components a slow-motion sub-step is about."""
    rects = []
    for key in components:
        b = BOXES[key]
        rects.append((b.x0 - 4, b.y0 - 4, b.x1 + 4, b.y1 + 4))
    colour = style.D_BLUE if colour_for_d else style.G_PURPLE
    return hv.Rectangles(rects if rects else np.empty((0, 4)), group="Highlight").opts(
        fill_alpha=0.08, fill_color=colour, line_color=colour, line_width=3, **FIXED_FRAME)


def thumbnail_dots(layers: dict | None) -> hv.Points:
    """The thumbnails' dots in one layer: noise, real and fake samples in
    their colours, and the predictions coloured by D's score."""
    cols = thumbnail_dot_columns(layers if layers is not None else thumbnail_layers(None))
    return hv.Points(cols, kdims=["x", "y"], vdims=["color"], group="Dots").opts(
        color="color", size=2.5, line_alpha=0, alpha=0.85, tools=[], **FIXED_FRAME)


def thumbnail_dot_columns(layers: dict) -> dict:
    """The columns x, y and color of every thumbnail dot."""
    groups = [(np.asarray(layers[k], float).reshape(-1, 2), colour)
              for k, colour in (("noise", style.FAKE), ("real", style.REAL), ("fake", style.FAKE),
                                ("generator", style.FAKE))]
    pred = layers["pred"]
    score_colours = style.cmap_colours(pred["score"], style.D_CMAP)
    xs = np.concatenate([p[:, 0] for p, _ in groups] + [np.asarray(pred["x"], float)])
    ys = np.concatenate([p[:, 1] for p, _ in groups] + [np.asarray(pred["y"], float)])
    colours = np.concatenate([np.full(len(p), c, dtype=object) for p, c in groups] + [score_colours])
    return {"x": xs.astype(np.float32), "y": ys.astype(np.float32), "color": colours}


def loss_bar_rects(rects: dict | None) -> hv.Rectangles:
    rects = rects if rects is not None else loss_bars(None)
    return hv.Rectangles(rects, vdims=["color"], group="LossBars").opts(color="color", line_alpha=0, **FIXED_FRAME)


def loss_text(data: dict | None) -> hv.Labels:
    return hv.Labels(data if data is not None else loss_labels(None), ["x", "y"], "text", group="LossText").opts(
        text_font_size="12px", text_align="left", text_baseline="bottom", text_color="#444444", **FIXED_FRAME)


def flow(data: dict | None) -> hv.Points:
    """Dots travelling along the paths: forward (grey), D's update (blue) and
    G's (purple), from ``flow_columns``."""
    cols = data if data is not None else flow_columns(None, None, None)
    return hv.Points(cols, kdims=["x", "y"], vdims=["color"], group="Flow").opts(
        color="color", size=5, line_alpha=0, tools=[], **FIXED_FRAME)


def flow_columns(forward, d_update, g_update) -> dict:
    """The flow layer's columns x, y and color from each kind's dots (None: none)."""
    parts = [(np.empty((0, 2)) if dots is None else np.asarray(dots, float).reshape(-1, 2), colour)
             for dots, colour in ((forward, style.PATH_GREY), (d_update, style.D_BLUE), (g_update, style.G_PURPLE))]
    return {"x": np.concatenate([p[:, 0] for p, _ in parts]).astype(np.float32),
            "y": np.concatenate([p[:, 1] for p, _ in parts]).astype(np.float32),
            "color": np.concatenate([np.full(len(p), c, dtype=object) for p, c in parts])}


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
            * flow(flow_columns(get("flow"), get("flow_d"), get("flow_g")))
            * highlight_rects(list(components), for_d))


def overview_opts() -> dict:
    return dict(width=OVERVIEW_W, height=OVERVIEW_H, xlim=(0, OVERVIEW_W), ylim=(0, OVERVIEW_H),
                xaxis=None, yaxis=None, toolbar=None, show_frame=False, border=0,
                default_tools=[], active_tools=[], show_legend=False,
                # see-through: the backdrop (``overview_backdrop``) shows behind it
                backend_opts={**CANVAS["backend_opts"], "plot.background_fill_alpha": 0,
                              "plot.border_fill_alpha": 0})


# -------------------------------------------------------------- thumbnails


def points_svg(points: np.ndarray, colour: str = style.REAL, size: int = 36, radius: float = 0.9) -> str:
    """A small square SVG of points in the unit square (distribution thumbnails)."""
    pts = np.asarray(points, dtype=float)
    pts = pts[((pts >= 0) & (pts <= 1)).all(axis=1)]
    circles = "".join(f'<circle cx="{x * size:.1f}" cy="{(1 - y) * size:.1f}" r="{radius}"/>' for x, y in pts)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}">'
            f'<rect width="{size}" height="{size}" fill="white"/><g fill="{colour}" fill-opacity="0.8">{circles}</g></svg>')
