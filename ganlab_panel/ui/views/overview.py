"""The model overview graph (GAN Lab's panel A).

Noise -> generator (manifold thumbnail) -> fake samples; real samples;
discriminator (heatmap thumbnail) -> its predictions on real and on fake ->
discriminator and generator loss bars; the gradient paths back to D and G.
Everything is one HoloViews overlay in pixel coordinates; in edit mode the
config's widgets appear over it, next to what they change.
"""

from __future__ import annotations

import holoviews as hv
import numpy as np
import panel as pn
import param
from panel.viewable import Viewer

from ganlab_panel.engine.config import ExperimentConfig
from ganlab_panel.engine.frames import manifold_noise, manifold_opacity
from ganlab_panel.live import style
from ganlab_panel.live.scene import THUMB_SIZE, Scene, rasterize_manifold
from ganlab_panel.ui import plots
from ganlab_panel.ui.lean_glyphs import LeanHoloViews
from ganlab_panel.ui.runner import SubStep
from ganlab_panel.ui.views.deferred import Deferred
from ganlab_panel.ui.views.direct import FastPipe, image_columns, segment_columns
from ganlab_panel.ui.views.menus import setting_widget

H = plots.OVERVIEW_H

WIDGET_CSS = """
:host { font-size: 11px; }
.bk-input { font-size: 11px; padding: 0 4px; height: 24px; min-height: 24px; }
label { font-size: 11px; }
"""


def _at(obj, left: float, top: float, width: int | None = None):
    styles = {"position": "absolute", "left": f"{left}px", "top": f"{top}px", "z-index": "10",
              "pointer-events": "auto"}
    obj.styles = {**(obj.styles or {}), **styles}
    if width is not None:
        obj.width = width
    return obj


#: the sub-step explanation's size (px), and its gap from what it explains
TOOLTIP_W, TOOLTIP_H, TOOLTIP_GAP = 330, 64, 8


def tooltip_place(components) -> tuple[int, int]:
    """Where (left, top, in the graph's pixels from its top left) a sub-step's
    explanation goes: just under the parts it lights up, or above them where
    there is no room below, and never outside the graph."""
    boxes = [plots.BOXES[c] for c in components if c in plots.BOXES]
    if not boxes:
        return 8, 8
    x0 = min(b.x0 for b in boxes)
    top_edge, bottom_edge = H - max(b.y1 for b in boxes), H - min(b.y0 for b in boxes)
    top = bottom_edge + TOOLTIP_GAP
    if top + TOOLTIP_H > H:
        top = top_edge - TOOLTIP_GAP - TOOLTIP_H
    left = min(max(x0, 0), plots.OVERVIEW_W - TOOLTIP_W)
    return int(left), int(max(top, 0))


def _line(*parts) -> pn.Row:
    """One line of the model editor: widgets with words between them, as GAN
    Lab writes "2 hidden layer(s) · 11 neuron(s)" under a network."""
    return pn.Row(*[pn.pane.HTML(f"<span style='font-size:12px;color:#555;white-space:nowrap'>{p}</span>",
                                 margin=(5, 4, 0, 4)) if isinstance(p, str) else p for p in parts], margin=0)


class OverviewGraph(Viewer):
    """The data flow of a GAN, drawn from the current Scene."""

    edit_mode = param.Boolean(default=False, doc="Show the model's settings inside the graph.")

    def __init__(self, config: ExperimentConfig, **params):
        super().__init__(**params)
        self.config = config
        self._phase = 0.0
        self._scene: Scene | None = None
        self._data: dict = {}
        self.pipe = hv.streams.Pipe(data={})
        dynamic = hv.DynamicMap(lambda data: plots.overview_overlay(data), streams=[self.pipe])
        self.overlay = dynamic.opts(**plots.overview_opts())
        self.backdrop = pn.pane.HTML(plots.overview_backdrop(), width=plots.OVERVIEW_W, height=plots.OVERVIEW_H,
                                     margin=0, styles={"position": "absolute", "left": "0", "top": "0"})
        self.plot = LeanHoloViews(linked_axes=False, object=self.overlay, width=plots.OVERVIEW_W, height=plots.OVERVIEW_H,
                                      sizing_mode="fixed", margin=0, css_classes=["ganlab-overview"])
        self.tooltip = _at(pn.pane.HTML("", width=TOOLTIP_W, visible=False, stylesheets=[":host { font-size: 12px; }"]),
                           8, 8)
        self.animate_button = _at(pn.widgets.Button(label="▶ noise → manifold", color="light", width=130,
                                                    height=26, css_classes=["ganlab-animate"],
                                                    stylesheets=[WIDGET_CSS]), 150, 372)
        self.animate_button.on_click(lambda event: self.animate_generator())
        self._animation = None
        self._widgets: list | None = None
        # the editor's menus are made, and join the page, the first time it
        # opens; placed at the graph's top left, as the menus' own positions are
        self._editor = Deferred(lambda: self.widgets, width=plots.OVERVIEW_W, height=plots.OVERVIEW_H,
                                styles={"position": "absolute", "left": "0", "top": "0", "z-index": "10",
                                        "pointer-events": "none"})   # the graph stays reachable between menus
        self.fast = FastPipe(self.pipe, self.plot)

    # -------------------------------------------------------- widgets
    @property
    def widgets(self) -> list:
        """The model editor's groups of menus, placed where they act (made on first use)."""
        if self._widgets is None:
            self._widgets = self._make_widgets()
        return self._widgets

    def _make_widgets(self) -> list:
        c = self.config
        kw = dict(stylesheets=[WIDGET_CSS], margin=(1, 0), height=26)

        def sel(name, width=84):
            return setting_widget(c, name, width=width, **kw)

        def num(name, width=52):
            return setting_widget(c, name, width=width, **kw)

        def lr_sel(name):
            return setting_widget(c, name, width=72, **kw)

        column = lambda *rows: pn.Column(*rows, margin=0)  # noqa: E731
        # where GAN Lab puts them: each network's shape under it, each
        # optimizer on its update loop, the updates per iteration by the loops
        groups = [
            # above the noise, left of the generator
            _at(column(_line("Noise"), sel("noise_type", width=92), _line(num("noise_dim", width=46), "dim(s)")),
                0, 120),
            # under each network: its shape
            _at(_line(num("g_layers", width=46), "hidden layer(s)", num("g_neurons"), "neuron(s)"), 96, 364),
            _at(_line(num("d_layers", width=46), "hidden layer(s)", num("d_neurons"), "neuron(s)"), 436, 364),
            # on the generator's update loop (below), and its updates per iteration
            _at(column(_line("Optimizer", sel("g_optimizer")), _line("Learning rate", lr_sel("g_lr"))), 150, 396),
            _at(_line(num("k_g", width=46), "G update(s) per iteration"), 450, 490),
            # on the discriminator's update loop (above), and its updates per iteration
            _at(column(_line("Optimizer", sel("d_optimizer")), _line("Learning rate", lr_sel("d_lr")),
                       _line(num("k_d", width=46), "D update(s) per iteration")), 620, 0),
            # the loss, by the two losses
            _at(_line("Loss", sel("loss", width=150)), 650, 398),
        ]
        for g in groups:
            g.visible = self.edit_mode
        return groups

    @param.depends("edit_mode", watch=True)
    def _show_widgets(self):
        if self.edit_mode:
            self._editor.build()
        for g in self._widgets or []:
            g.visible = self.edit_mode
        self.animate_button.visible = not self.edit_mode

    # ---------------------------------------------------------- update
    def update(self, scene: Scene, playing: bool = False, substep: SubStep | None = None) -> None:
        self._scene = scene
        f = scene.frame
        gbox = plots.BOXES["generator"].bounds
        self._data.update(
            d_image=f.d_shown(f.d_grid),
            gen_raster=scene.manifold_thumb,
            gen_lines=plots.segments_inside(plots.manifold_segments(f.manifold, box=gbox), gbox),
            points=plots.thumbnail_layers(f),
            g_grad=plots.segments_inside(plots.arrow_segments(f.fake, f.gradients, box=plots.BOXES["g_grad"].bounds),
                                         plots.BOXES["g_grad"].bounds),
            bars=plots.loss_bars(f),
            bar_text=plots.loss_labels(f),
        )
        # noise of more than two dimensions has no manifold to morph into
        self.animate_button.disabled = f.manifold is None
        self.set_flow(playing, substep)

    def set_flow(self, playing: bool, substep: SubStep | None = None) -> None:
        """Animate the paths while training runs; light up one half in slow motion."""
        d = self._data
        d["flow"] = d["flow_d"] = d["flow_g"] = None
        d["highlight"] = None
        if substep is not None:
            self._phase += 4.0
            d["flow"] = plots.flow_dots(plots.FORWARD_PATHS, self._phase)
            if substep.network == "d":
                d["flow_d"] = plots.flow_dots(plots.D_UPDATE_PATHS, self._phase)
            else:
                d["flow_g"] = plots.flow_dots(plots.G_UPDATE_PATHS, self._phase)
            d["highlight"] = (substep.components, substep.network == "d")
            colour = style.D_BLUE if substep.network == "d" else style.G_PURPLE
            self.tooltip.object = (f'<div class="ganlab-tooltip" data-step="{substep.number}" style="background:{colour};'
                                   f'color:white;padding:6px 8px;border-radius:3px"><b style="font-size:18px;'
                                   f'margin-right:6px">{substep.number}</b>{substep.text}</div>')
            left, top = tooltip_place(substep.components)
            self.tooltip.styles = {**self.tooltip.styles, "left": f"{left}px", "top": f"{top}px"}
            self.tooltip.visible = True
        else:
            self.tooltip.visible = False
            if playing:
                self._phase += 6.0
                d["flow"] = plots.flow_dots(plots.FORWARD_PATHS, self._phase)
                d["flow_d"] = plots.flow_dots(plots.D_UPDATE_PATHS, self._phase)
                d["flow_g"] = plots.flow_dots(plots.G_UPDATE_PATHS, self._phase)
        self._send()

    @property
    def shown(self) -> dict:
        """What the graph shows now, by layer: the data, the flowing dots of
        training (``flow``, ``flow_d``, ``flow_g``: None when still), the
        sub-step lit up (``highlight``)..."""
        return dict(self._data)

    def _send(self) -> None:
        data = dict(self._data)
        # only an image gaining or losing data changes how HoloViews must draw it
        self.fast.send(data, tuple(data.get(k) is None for k in ("d_image", "gen_raster")), self.columns)

    @staticmethod
    def columns(data: dict) -> dict:
        """The Bokeh columns of the overview's changing layers."""
        def rect_columns(cols):
            return {"left": cols["x0"], "bottom": cols["y0"], "right": cols["x1"], "top": cols["y1"]}

        out = {}
        get = data.get
        if get("d_image") is not None:
            out["DThumb"] = image_columns(get("d_image"))
        if get("gen_raster") is not None:
            out["GThumb"] = image_columns(plots.alpha_bytes(get("gen_raster")))
        out["GThumbLines"] = segment_columns(get("gen_lines") if get("gen_lines") is not None else np.empty((0, 4)))
        thumbs = get("points") if get("points") is not None else plots.thumbnail_layers(None)
        out["Dots"] = plots.thumbnail_dot_columns(thumbs)
        out["GGrad"] = segment_columns(get("g_grad") if get("g_grad") is not None else np.empty((0, 4)))
        bars = get("bars") if get("bars") is not None else plots.loss_bars(None)
        out["LossBars"] = {**rect_columns(bars), "color": bars["color"]}
        text = get("bar_text") if get("bar_text") is not None else plots.loss_labels(None)
        out["LossText"] = {"x": np.asarray(text["x"], float), "y": np.asarray(text["y"], float),
                           "text": np.asarray(text["text"], dtype=object)}
        out["Flow"] = plots.flow_columns(get("flow"), get("flow_d"), get("flow_g"))
        components, _ = get("highlight") or ((), True)
        boxes = [plots.BOXES[c] for c in components]
        out["Highlight"] = {"left": np.array([b.x0 - 4 for b in boxes], float),
                            "bottom": np.array([b.y0 - 4 for b in boxes], float),
                            "right": np.array([b.x1 + 4 for b in boxes], float),
                            "top": np.array([b.y1 + 4 for b in boxes], float)}
        return out

    # ------------------------------------------------------- animation
    def generator_animation_frames(self, steps: int = 20) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """(manifold, raster) pairs morphing the square noise grid into the
        current manifold: GAN Lab's "how the generator transforms noise"."""
        if self._scene is None or self._scene.frame.manifold is None:
            return []
        f = self._scene.frame
        target = f.manifold
        if f.manifold_opacity is not None:
            side = target.shape[0]
            source = manifold_noise(2).reshape(side, side, 2)
        else:
            u = manifold_noise(1)[:, 0]
            source = np.column_stack([u, np.full_like(u, 0.5)])
        frames = []
        for t in np.linspace(0.0, 1.0, steps):
            ease = 0.5 - 0.5 * np.cos(np.pi * t)
            m = (1 - ease) * source + ease * target
            raster = None
            if f.manifold_opacity is not None:
                raster = rasterize_manifold(m, manifold_opacity(m, f.info.get("noise_type", "uniform")), THUMB_SIZE)
            frames.append((m, raster))
        return frames

    def animate_generator(self, period: int = 100) -> None:
        frames = self.generator_animation_frames()
        if not frames:
            return
        if self._animation is not None:
            self._animation.stop()
        queue = list(frames)

        gbox = plots.BOXES["generator"].bounds

        def next_frame():
            if not queue:
                return
            m, raster = queue.pop(0)
            self._data.update(gen_lines=plots.segments_inside(plots.manifold_segments(m, box=gbox), gbox),
                              gen_raster=raster)
            self._send()

        next_frame()
        self._animation = pn.state.add_periodic_callback(next_frame, period=period, count=len(queue))

    def clear(self) -> None:
        if self._animation is not None:
            try:
                self._animation.stop()
            except Exception:
                pass
        self.pipe.clear()

    def __panel__(self):
        return pn.Column(self.backdrop, self.plot, self.tooltip, self.animate_button, self._editor,
                         styles={"position": "relative"}, width=plots.OVERVIEW_W, height=plots.OVERVIEW_H,
                         margin=0)
