"""The layered distributions view (GAN Lab's panel B)."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import panel as pn
import param
from panel.viewable import Viewer

from ganlab_panel.live import style
from ganlab_panel.live.scene import Scene
from ganlab_panel.ui import plots
from ganlab_panel.ui.lean_glyphs import LeanHoloViews
from ganlab_panel.ui.views.direct import FastPipe, image_columns, point_columns, segment_columns

#: the layers, in drawing order: name -> (label, on by default)
LAYERS = {
    "heatmap": ("Discriminator heatmap (30×30)", True),
    "d_field": ("High-resolution discriminator field", False),
    "density": ("Generator density (40,000 samples)", False),
    "manifold": ("Generator manifold", True),
    "real": ("Real samples", True),
    "fake": ("Fake samples", True),
    "gradients": ("Generator gradients", True),
}

#: layer name -> (HoloViews group, kind of data)
GROUPS = {
    "heatmap": ("Heatmap", "image"), "d_field": ("DField", "image"), "density": ("Density", "raster"),
    "manifold": ("Manifold", "raster"), "manifold_lines": ("ManifoldLines", "segments"),
    "real": ("Real", "points"), "fake": ("Fake", "points"), "left_out": ("LeftOut", "points"),
    "gradients": ("Gradients", "segments"),
}

_D_PROBABILITY = f"""
<div class="ganlab-legend-d" data-output="probability" style="margin-top:6px">Background colours are the
discriminator's prediction in each cell (its probability that a sample there is real):</div>
<div><span class="cell" style="background:{style.D_CMAP[-40]}"></span>Samples here are probably real.</div>
<div><span class="cell" style="background:{style.D_CMAP[128]}"></span>Hard to tell real from fake.</div>
<div><span class="cell" style="background:{style.D_CMAP[40]}"></span>Samples here are probably fake.</div>
"""

_D_CRITIC = f"""
<div class="ganlab-legend-d" data-output="critic" style="margin-top:6px">Background colours are the critic's
score in each cell. A critic gives no probability, only a score, higher for more real-looking samples; the
colours span this frame's scores:</div>
<div><span class="cell" style="background:{style.D_CMAP[-40]}"></span>Scored more real than the average sample.</div>
<div><span class="cell" style="background:{style.D_CMAP[128]}"></span>Midway between the mean scores of real and
fake samples.</div>
<div><span class="cell" style="background:{style.D_CMAP[40]}"></span>Scored more fake than the average sample.</div>
"""


def legend_html(critic: bool = False, noise_dim: int = 2, truncation: float = 0.0) -> str:
    """The layered view's legend; what the background means depends on
    whether D outputs a probability or a critic's score, the manifold is
    drawn only for 1-D or 2-D noise, and hollow dots only with Jacobian-based
    truncation on."""
    left_out = (f'<div class="ganlab-legend-left-out"><span class="dot" style="border:1px solid {style.FAKE}">'
                f'</span>Fake samples left out: the {100 * truncation:.3g} % that the generator stretches most, '
                "its jumps from one mode to the next (Jacobian-based truncation).</div>" if truncation else "")
    if noise_dim <= 2:
        manifold = (f'<div><span class="cell" style="background:{style.FAKE};opacity:.5"></span>Purple mesh: the '
                    "generator's manifold (darker = more samples land there).</div>")
    else:
        manifold = (f'<div class="ganlab-manifold-note"><span class="cell" style="background:{style.FAKE};'
                    f'opacity:.5"></span>No manifold: it is drawn for 1-D or 2-D noise, and this generator takes '
                    f"{noise_dim}-D noise. Switch on the generator density layer to see where its samples land.</div>")
    return f"""
<div class="ganlab-legend">
<div>Each dot is a sample:</div>
<div><span class="dot" style="background:{style.REAL}"></span>Real samples</div>
<div><span class="dot" style="background:{style.FAKE}"></span>Fake samples (by the generator)</div>
{left_out}
{_D_CRITIC if critic else _D_PROBABILITY}
<div style="margin-top:6px"><span class="bar" style="background:{style.GRADIENT}"></span>Pink arrows: where the
generator is pulled (gradient of D at each fake sample).</div>
{manifold}
</div>
"""


LEGEND_CSS = """
.ganlab-legend { font-size: 12px; color: #555; line-height: 18px; }
.ganlab-legend .dot { display:inline-block; width:8px; height:8px; border-radius:50%; margin-right:6px;
                     box-sizing:border-box; }
.ganlab-legend .cell { display:inline-block; width:10px; height:10px; margin-right:6px; vertical-align:middle; }
.ganlab-legend .bar { display:inline-block; width:14px; height:3px; margin-right:6px; vertical-align:middle; }
"""


class LayeredView(Viewer):
    """D's heatmap, the manifold, real and fake samples and the gradients,
    layered on the unit square; each layer can be switched on and off."""

    heatmap = param.Boolean(default=LAYERS["heatmap"][1], doc=LAYERS["heatmap"][0])
    d_field = param.Boolean(default=LAYERS["d_field"][1], doc=LAYERS["d_field"][0])
    density = param.Boolean(default=LAYERS["density"][1], doc=LAYERS["density"][0])
    manifold = param.Boolean(default=LAYERS["manifold"][1], doc=LAYERS["manifold"][0])
    real = param.Boolean(default=LAYERS["real"][1], doc=LAYERS["real"][0])
    fake = param.Boolean(default=LAYERS["fake"][1], doc=LAYERS["fake"][0])
    gradients = param.Boolean(default=LAYERS["gradients"][1], doc=LAYERS["gradients"][0])

    def __init__(self, size: int | None = None, **params):
        super().__init__(**params)
        self._scene: Scene | None = None
        self.pipe = hv.streams.Pipe(data={})
        self.dmap = hv.DynamicMap(lambda data: plots.layered_overlay(data), streams=[self.pipe])
        #: called with each Bokeh figure the plot is drawn in (``on_figure``)
        self._figure_hooks: list = []
        square = plots.square(size)
        square["hooks"] = [*square.get("hooks", []), plots.weak_hook(self._figure_made)]
        self.overlay = self.dmap.opts(
            **plots.CANVAS, **square, xlim=(0, 1), ylim=(0, 1), xaxis=None, yaxis=None,
            toolbar=None, bgcolor=style.PLOT_BG, show_legend=False, border=0,
            default_tools=[], active_tools=[])
        self.plot = LeanHoloViews(linked_axes=False, object=self.overlay, css_classes=["ganlab-layered"],
                                      margin=0, **plots.square_pane(size))
        self.toggles = pn.Column(*[
            pn.widgets.Checkbox.from_param(self.param[name], label=label, css_classes=[f"ganlab-layer-{name}"],
                                           margin=(0, 5))
            for name, (label, _) in LAYERS.items()
        ])
        self._legend_key = (False, 2, 0.0)
        self.legend = pn.pane.HTML(legend_html(*self._legend_key), stylesheets=[LEGEND_CSS],
                                   sizing_mode="stretch_width", margin=(5, 0))
        self.fast = FastPipe(self.pipe, self.plot)
        self.direct = self.fast.direct

    def on_figure(self, hook) -> None:
        """Have ``hook(figure)`` called with every Bokeh figure the plot is drawn
        in (a notebook output, a page), the figures drawn so far included."""
        self._figure_hooks.append(hook)

    def _figure_made(self, plot, element) -> None:
        for hook in self._figure_hooks:
            hook(plot.state)

    @property
    def wants(self) -> dict:
        """The dense layers the next Scene should carry."""
        return {"d_field": self.d_field, "density": self.density}

    def update(self, scene: Scene) -> None:
        """Send a Scene's data to every layer that is on (empty data to the others)."""
        self._scene = scene
        key = (scene.frame.is_critic, scene.frame.noise_dim, scene.frame.info.get("jacobian_truncation", 0.0))
        if key != self._legend_key:
            self._legend_key = key
            self.legend.object = legend_html(*key)
        data = self.layer_data(scene)
        # a layer appearing or vanishing is a new structure, for HoloViews to render
        self.fast.send(data, tuple(n for n, v in data.items() if v is not None), self.columns)

    @staticmethod
    def columns(data: dict) -> dict:
        """The Bokeh columns of every layer that has data."""
        out = {}
        for name, value in data.items():
            if value is None:
                continue
            group, kind = GROUPS[name]
            if kind == "image":
                out[group] = image_columns(value)
            elif kind == "raster":
                out[group] = image_columns(plots.alpha_bytes(value))
            elif kind == "points":
                out[group] = point_columns(value)
            else:
                out[group] = segment_columns(value)
        return out

    def displayed(self, group: str) -> dict:
        """The columns a layer shows in the (first) rendered plot."""
        sources = self.direct.sources(group)
        if sources:
            return {k: np.asarray(v[0]) if k == "image" else np.asarray(v) for k, v in sources[0].data.items()}
        name = next(n for n, (g, _) in GROUPS.items() if g == group)
        value = (self.pipe.data or {}).get(name)
        return self.columns({name: value}).get(group, {}) if value is not None else {}

    def layer_data(self, scene: Scene) -> dict:
        """What each layer that is on shows for this Scene."""
        f = scene.frame
        data = {
            "heatmap": f.d_shown(f.d_grid) if self.heatmap else None,
            "d_field": f.d_shown(scene.d_field) if self.d_field and scene.d_field is not None else None,
            "density": scene.density if self.density else None,
            "manifold": scene.manifold_raster if self.manifold else None,
            "manifold_lines": plots.manifold_segments(f.manifold) if self.manifold else None,
            "real": f.real if self.real else None,
            "fake": f.fake if self.fake else None,
            "left_out": f.left_out if self.fake else None,
            "gradients": plots.arrow_segments(f.fake, f.gradients) if self.gradients else None,
        }
        return data

    @param.depends(*LAYERS, watch=True)
    def _redraw(self):
        if self._scene is not None:
            self.fast.invalidate()  # a layer switched: render the new structure in full
            self.update(self._scene)

    def clear(self) -> None:
        """Forget the streams' subscribers (a closed session)."""
        self.pipe.clear()

    def __panel__(self):
        return pn.Column(self.plot, self.legend, margin=0)
