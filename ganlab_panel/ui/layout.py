"""The lab's page: its three columns, its styles, and how they are put together.

``lab_page`` lays the lab's parts out (the parts themselves are the views):
the top bar, then the overview graph (A), the layered distributions (B) with
the drawing canvas over them, and the side column with the layer switches,
the charts and the settings.
"""

from __future__ import annotations

import panel as pn

from ganlab_panel.live import style
from ganlab_panel.ui import plots
from ganlab_panel.ui.document import Root
from ganlab_panel.ui.views.fit import Zoomed

#: the three columns' widths: the overview graph (A) takes what is left; the
#: layered plot (B) is a square as wide as the window allows beside it, and
#: short enough that the page's first screen holds it; the side column with
#: the layer switches and the charts is narrow. Where the three do not fit in
#: a row (a notebook's output beside a side panel), A has a line of its own.
#: (``cqw``: a hundredth of the row's width.)
COLUMN_STYLES = {
    "overview": {"flex": "1 1 480px", "min-width": "0"},
    "layered": {"flex": "0 0 clamp(320px, 30cqw, calc(100vh - 260px))", "min-width": "0"},
    "side": {"flex": "0 0 clamp(230px, 17cqw, 340px)", "min-width": "0"},
}

LAYERS_TIP = ("Switch each layer of plot B on or off. The heatmap is D's verdict on a 30×30 grid (green: real, "
              "purple: fake), the high-resolution field the same at 200×200; the density shows where 40,000 "
              "generated samples land, the manifold how the generator warps its noise; the arrows show where "
              "each fake sample is pulled.")

#: shown or hidden, keeping its place and size in the page
SHOWN = {"visibility": "visible", "opacity": "1", "pointer-events": "auto"}
HIDDEN = {"visibility": "hidden", "opacity": "0", "pointer-events": "none"}
DRAWING_STYLES = {"position": "absolute", "top": "0", "bottom": "0", "left": "0", "right": "0", "z-index": "5",
                  "background": style.PANEL_BG}

PAGE_CSS = f"""
:host {{ background: {style.PANEL_BG}; font-family: Roboto, Helvetica, Arial, sans-serif;
         --design-primary-color: {style.HEADER_BG}; }}
.ganlab-section-title {{ color: #555; font-size: 15px; text-transform: uppercase; margin: 4px 0; }}
"""


def section_title(text: str, letter: str) -> pn.pane.HTML:
    """A column's title, after its letter in a grey disc (GAN Lab's A and B)."""
    return pn.pane.HTML(
        f"<div class='ganlab-section-title'><span style='display:inline-block;width:26px;height:26px;"
        f"border-radius:13px;background:#888;color:white;text-align:center;line-height:26px;"
        f"margin-right:8px'>{letter}</span>{text}</div>", stylesheets=[PAGE_CSS], margin=(4, 0))


def main_plot_styles(drawing: bool) -> tuple[dict, dict]:
    """The layered plot's and the drawing canvas's styles: both stay in the
    page (their plots keep their models and sizes), only one shows."""
    return (HIDDEN if drawing else SHOWN), dict(DRAWING_STYLES, **(SHOWN if drawing else HIDDEN))


def lab_page(*, controls, message, overview, edit, layered_box, drawing_box, layer_toggles, charts, settings,
             on_caught_up, on_closed) -> Root:
    """The lab's page. ``layered_box`` and ``drawing_box`` lie one over the
    other (see ``main_plot_styles``); ``message`` floats over the columns."""
    column_a = pn.Column(
        pn.Row(section_title("Model overview graph", "A"), edit, margin=0),
        Zoomed(object=overview, design_width=plots.OVERVIEW_W, max_zoom=1.8, sizing_mode="stretch_width", margin=0),
        margin=(0, 10), styles=COLUMN_STYLES["overview"])
    column_b = pn.Column(section_title("Layered distributions", "B"),
                         pn.Column(layered_box, drawing_box, margin=0, sizing_mode="stretch_width",
                                   styles={"position": "relative"}),
                         margin=(0, 10), styles=COLUMN_STYLES["layered"])
    layers = pn.Row(pn.pane.HTML("<b>Layers</b>", margin=(12, 0, 0, 0)),
                    pn.widgets.TooltipIcon(value=LAYERS_TIP, margin=(10, 4, 0, 4)), margin=0)
    # a rule drawn with a border: Panel's Divider fetches a stylesheet of its own,
    # which a page that adds the lab later (the sweep's "Open in the lab") asks a CDN for
    rule = pn.Spacer(height=1, margin=(8, 0), sizing_mode="stretch_width", styles={"border-top": "1px solid #e0e0e0"})
    side = pn.Column(layers, layer_toggles, rule, charts, settings, margin=(0, 10),
                     styles=COLUMN_STYLES["side"])
    main = pn.FlexBox(column_a, column_b, side, flex_wrap="wrap", margin=0, sizing_mode="stretch_width",
                      stylesheets=[":host { container-type: inline-size; }"])
    return Root(
        controls,
        pn.Column(message, main, margin=0, sizing_mode="stretch_width", styles={"position": "relative"}),
        stylesheets=[PAGE_CSS], margin=0, sizing_mode="stretch_width",
        on_caught_up=on_caught_up, on_closed=on_closed,
    )
