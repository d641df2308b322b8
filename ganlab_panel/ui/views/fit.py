"""Zoomed: a fixed-size drawing shown at the width its place on the page has.

The overview graph is drawn in pixels (``plots.OVERVIEW_W`` wide) with the
model's settings placed over it at pixel positions. Rather than lay it out
again for every window, the browser zooms the whole of it (plot, menus and
tooltips together) to the width of its column: smaller on a laptop, larger on
a big screen, never wider than its column.
"""

from __future__ import annotations

import param
from panel.custom import Child, JSComponent

from ganlab_panel.ui.document import ZOOM_AWARE_JS


class Zoomed(JSComponent):
    """Shows ``object``, laid out ``design_width`` px wide, zoomed to fit this
    component's own width (between ``min_zoom`` and ``max_zoom``)."""

    object = Child(doc="What to show at its design size.")
    design_width = param.Integer(default=880, bounds=(1, None))
    min_zoom = param.Number(default=0.5, bounds=(0.05, None))
    max_zoom = param.Number(default=2.0, bounds=(0.05, None))

    _esm = ZOOM_AWARE_JS + """
export function render({ model, el }) {
  ganlabZoomAware()
  const box = document.createElement("div")
  box.className = "ganlab-zoomed"
  box.style.width = `${model.design_width}px`
  box.append(model.get_child("object"))
  const fit = () => {
    const width = el.clientWidth
    if (width > 0) {
      const zoom = Math.min(model.max_zoom, Math.max(model.min_zoom, width / model.design_width))
      box.style.zoom = zoom.toFixed(4)
    }
  }
  const observer = new ResizeObserver(fit)
  observer.observe(el)
  model.on("remove", () => observer.disconnect())
  model.on(["design_width", "min_zoom", "max_zoom"], fit)
  fit()
  return box
}
"""
