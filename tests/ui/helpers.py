"""Reading the app's state out of the page: text readouts and Bokeh's data."""

from __future__ import annotations

import re
import time

import numpy as np

REAL = "#008837"
FAKE = "#7b3294"

# the layered view is the plot spanning the unit square (the overview spans pixels)
_GLYPHS_JS = """(colour) => {
  for (const doc of Bokeh.documents) for (const m of doc.all_models) {
    if ((m.type === 'Figure' || m.type === 'Plot') && m.x_range.end <= 1.0001 && m.visible !== false) {
      for (const r of m.renderers) {
        const fc = r.glyph && r.glyph.type === 'Scatter' ? r.glyph.fill_color : null;
        if (fc && fc.value === colour) {
          const d = r.data_source.data;
          return [Array.from(d.x), Array.from(d.y)];
        }
      }
    }
  }
  return null;
}"""

_HEATMAP_JS = """() => {
  for (const doc of Bokeh.documents) for (const m of doc.all_models) {
    if (m.type === 'GlyphRenderer' && m.glyph.type === 'Image') {
      const d = m.data_source.data;
      if (d.dw[0] === 1 && d.image[0].shape && d.image[0].shape[0] === 30) return Array.from(d.image[0]);
    }
  }
  return null;
}"""


def iteration(page, hook: str = "ganlab-iteration") -> int:
    """The iteration counter on the page (``ganlab-iteration-a``: the compare page's first run)."""
    return int(re.sub(r"\D", "", page.locator(f".{hook}").inner_text()) or 0)


def samples(page, colour: str) -> np.ndarray:
    xy = page.evaluate(_GLYPHS_JS, colour)
    return np.empty((0, 2)) if xy is None else np.column_stack(xy)


def heatmap(page) -> np.ndarray:
    return np.asarray(page.evaluate(_HEATMAP_JS), dtype=float)


def click(page, hook: str) -> None:
    page.locator(f".{hook} button").first.click()


def open_files(page) -> None:
    """Open the Files menu (save, export, load) unless it is open; its items
    are built on first opening, so it is open once its last one shows."""
    menu = page.locator(".ganlab-files-menu").first
    if not menu.is_visible():
        click(page, "ganlab-files")
        menu.wait_for(state="visible", timeout=10_000)
    page.locator(".ganlab-files-menu .ganlab-upload").first.wait_for(state="visible", timeout=20_000)


_BUSY_AFTER_PRESS_JS = """(ms) => document.addEventListener('pointerdown', () => setTimeout(() => {
  const t = performance.now(); while (performance.now() - t < ms) {} }, 0), {capture: true, once: true})"""


def busy_after_press(page, ms: int = 450) -> None:
    """Keep the page busy for ``ms`` right after the next button goes down, as
    a page applying and painting a frame on a loaded machine can be: longer
    than BokehJS's 300 ms before it takes a still button for a press."""
    page.evaluate(_BUSY_AFTER_PRESS_JS, ms)


def wait_until(condition, timeout: float = 20.0, interval: float = 0.1, message=None):
    """``condition()``'s first true value; an AssertionError after ``timeout``
    seconds (saying what ``message()`` returns, if given)."""
    deadline = time.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.time() > deadline:
            detail = f": {message()}" if message is not None else ""
            raise AssertionError(f"condition not met within {timeout} s{detail}")
        time.sleep(interval)


def message(page) -> str:
    return page.locator(".ganlab-message").inner_text()


def play_with_setting_in_view(page, hook: str):
    """Open the model editor, press Play and let a few iterations run; the
    setting's select (``.{hook} select``) and the iteration reached."""
    click(page, "ganlab-edit")
    select = page.locator(f".{hook} select")
    select.wait_for(state="visible")
    click(page, "ganlab-play")
    wait_until(lambda: iteration(page) > 6)
    return select, iteration(page)
