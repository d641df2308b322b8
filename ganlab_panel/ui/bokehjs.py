"""The app's code that BokehJS runs in the browser, besides the notebook's
pacing (``notebook_flow``): Bokeh's own drawing code, taught three things.

- Skip the CSS lookups nobody needs (``PLAIN_VISUALS_JS``): BokehJS reads a
  CSS variable for every style of every renderer on each paint.
- Take a press whose pointer then moves for a drag (``PRESS_THEN_DRAG_JS``):
  BokehJS takes a button held 300 ms without moving for a press and ignores
  the moves after it, and a page busy drawing a frame may not yet have seen
  the pointer move when the 300 ms are up.
- Measure zoomed elements in their own pixels (``ZOOM_AWARE_JS``): BokehJS
  reads sizes as they look, and draws a plot under a CSS ``zoom`` zoomed twice.

All three reach into BokehJS's internals (its views' visuals, its gesture
recogniser ``UIGestures``, ``UIElementView``), which no public API exposes:
they are plain JavaScript strings here, run by a ``CustomJS`` (``PAGE_JS``,
from ``notebook_flow.Root``) or a page's script (``views.fit``).
"""

from __future__ import annotations

#: Runs in the browser once the app's document is drawn (served) or its
#: first batch arrives (a notebook). On each paint BokehJS asks the page's CSS
#: for every line, fill and text style of every renderer (``--bk-line-color``
#: and the like, one ``getComputedStyle`` each); nothing sets them for the
#: app (Panel and Bokeh define none), and the lookups took 10-15 % of the
#: browser's time while playing, the most in JupyterLab, whose page sets ~600
#: CSS variables. For the app's documents they now answer "none set" at once;
#: other Bokeh documents on the page keep the lookup.
PLAIN_VISUALS_JS = """
const doc = cb_obj.document !== undefined ? cb_obj.document : cb_obj;
if (doc == null || doc.__ganlab_plain) return;
doc.__ganlab_plain = true;
if (window.__ganlab_plain || !(window.Bokeh && Bokeh.index && Bokeh.index.all_views)) return;
for (const view of Bokeh.index.all_views()) {
  for (const visual of view.visuals || []) {
    let proto = Object.getPrototypeOf(visual);
    while (proto && !Object.prototype.hasOwnProperty.call(proto, "_get_css_value")) proto = Object.getPrototypeOf(proto);
    if (proto == null) continue;
    const lookup = proto._get_css_value;
    proto._get_css_value = function (name) {
      const model = this.obj && this.obj.model;
      return model && model.document && model.document.__ganlab_plain ? "" : lookup.call(this, name);
    };
    window.__ganlab_plain = true;
    return;
  }
}
"""


#: BokehJS starts a timer when a button goes down on a plot: if it runs out
#: (300 ms) before the pointer has moved, the gesture is a press, and BokehJS
#: ignores the pointer's moves until the button comes up. A page busy for
#: longer (a frame being applied and painted while training, on a loaded
#: machine) runs the timer before the pointer's first moves have reached it:
#: a quick drag became a press, and a drawing stroke or a painted one came to
#: nothing (or a straight line, for a button held still before dragging). Now
#: a press whose pointer then moves becomes a drag from where the button went
#: down: every tool and listener gets the pan it would have got, after the
#: press. A button held still and let go is a press as before.
PRESS_THEN_DRAG_JS = """
const B = window.Bokeh
if (B == null || B.__ganlab_press_then_drag || typeof B.require !== "function") return
let UIGestures = null
try { UIGestures = B.require("core/ui_gestures").UIGestures } catch (error) { return }
const proto = UIGestures == null ? null : UIGestures.prototype
if (proto == null || typeof proto.on_move !== "function" || typeof proto.on_pan_start !== "function") return
B.__ganlab_press_then_drag = true
const move = proto.on_move
// called first thing for each move of the primary pointer; BokehJS then
// reads the phase, and sends a panning pointer's move on as a pan
proto.on_move = function (event) {
  move.call(this, event)
  if (this.phase !== "pressing" || this.pointers.size !== 1) return
  const pointer = this.pointers.get(event.pointerId)
  if (pointer == null) return
  const dx = event.x - pointer.init.x, dy = event.y - pointer.init.y
  if (dx * dx + dy * dy <= UIGestures.move_threshold * UIGestures.move_threshold) return
  this.phase = "panning"
  this.on_pan_start(pointer.init, 0, 0)
}
"""

#: What runs once on every page the app is drawn on, served or in a notebook
#: (each part returns early where it has nothing to do).
PAGE_JS = "\n".join(f"(() => {{{code}}})();" for code in (PLAIN_VISUALS_JS, PRESS_THEN_DRAG_JS))


#: BokehJS measures where each element is and how large with
#: ``getBoundingClientRect``, which gives a zoomed element's size as it looks,
#: while Bokeh lays it out and draws it in its own (unzoomed) pixels: a plot
#: inside an element with CSS ``zoom`` would be drawn zoomed twice, and
#: clipped. This makes Bokeh read the sizes of elements under a zoom in their
#: own pixels (``currentCSSZoom``; browsers without it are left as they are).
#: It defines ``ganlabZoomAware()``, called by ``views.fit.Zoomed`` before it
#: shows its child.
ZOOM_AWARE_JS = """
function ganlabZoomAware() {
  const B = window.Bokeh
  if (B == null || B.__ganlab_zoom_aware || typeof B.require !== "function") return
  B.__ganlab_zoom_aware = true
  const {UIElementView} = B.require("models/ui/ui_element")
  const {BBox} = B.require("core/util/bbox")
  const update = UIElementView.prototype._update_bbox
  UIElementView.prototype._update_bbox = function () {
    const before = this._bbox
    const changed = update.call(this)
    const zoom = this.el.currentCSSZoom ?? 1
    if (zoom === 1 || !this._is_displayed) return changed
    const b = this._bbox
    this._bbox = new BBox({left: Math.round(b.left / zoom), top: Math.round(b.top / zoom),
                           width: Math.floor(b.width / zoom), height: Math.floor(b.height / zoom)})
    return !before.equals(this._bbox)
  }
}
"""
