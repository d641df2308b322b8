"""Hands on the data: tapping and dragging on the layered plot while it trains."""

from __future__ import annotations

import time

import numpy as np

from .helpers import REAL, busy_after_press, click, iteration, message, samples, wait_until

#: three taps in the corners, where the ring has no points
TAPS = [(0.06, 0.94), (0.94, 0.94), (0.94, 0.06)]


def data_count(page) -> int:
    return int(page.locator(".ganlab-data-count").first.get_attribute("data-count"))


def plot_box(page) -> dict:
    canvas = page.locator(".ganlab-layered canvas").first
    canvas.wait_for(timeout=20_000)
    return canvas.bounding_box()


def at(box: dict, x: float, y: float) -> tuple[float, float]:
    """Where plot point (x, y) is on the page (the plot spans the unit square, y up)."""
    return box["x"] + x * box["width"], box["y"] + (1 - y) * box["height"]


def start_editing(page) -> dict:
    click(page, "ganlab-distribution-ring")
    wait_until(lambda: data_count(page) == 450)
    click(page, "ganlab-edit-data")
    page.locator(".ganlab-data-undo").first.wait_for(state="visible", timeout=20_000)
    return plot_box(page)


def shown_near(page, x: float, y: float, radius: float = 0.08) -> bool:
    pts = samples(page, REAL)
    return bool(len(pts)) and bool((np.hypot(pts[:, 0] - x, pts[:, 1] - y) < radius).any())


def drag(page, box: dict, end: float = 1.1, hold: float = 0.0) -> None:
    """A stroke along the top at y = 0.95, from x = 0.2 to ``end`` (past the
    plot's right edge unless told), the button held still ``hold`` seconds first."""
    page.mouse.move(*at(box, 0.2, 0.95))
    page.mouse.down()
    time.sleep(hold)
    for t in np.linspace(0.2, end, 34):
        page.mouse.move(*at(box, t, 0.95))
        time.sleep(0.02)
    page.mouse.up()


def test_taps_on_the_plot_while_it_plays_add_real_points_there(page):
    box = start_editing(page)
    before = data_count(page)
    assert not any(shown_near(page, x, y) for x, y in TAPS)
    click(page, "ganlab-play")
    wait_until(lambda: iteration(page) > 0)
    for x, y in TAPS:           # tapped in quick succession (a second tap soon after a first is a double tap)
        page.mouse.click(*at(box, x, y))
    wait_until(lambda: data_count(page) == before + 3, message=lambda: f"{data_count(page)} points")
    assert "plus your tap" in message(page)
    # training never stopped, and the real layer shows the new points
    still = iteration(page)
    wait_until(lambda: iteration(page) > still + 100)
    for x, y in TAPS:
        wait_until(lambda x=x, y=y: shown_near(page, x, y))
    assert page.locator(".ganlab-play button").inner_text().strip() == "Pause"
    click(page, "ganlab-play")


def test_a_drag_paints_a_stroke_that_undo_takes_back_and_erase_rubs_out(page):
    box = start_editing(page)
    click(page, "ganlab-play")
    before = data_count(page)
    drag(page, box)
    wait_until(lambda: data_count(page) > before + 40)   # what lies inside the square counts
    painted = data_count(page)
    assert "outside" not in message(page)

    def on_stroke() -> int:
        pts = samples(page, REAL)
        return int(((np.abs(pts[:, 1] - 0.95) < 0.05) & (pts[:, 0] > 0.15)).sum())
    wait_until(lambda: on_stroke() > 20)
    click(page, "ganlab-data-undo")
    wait_until(lambda: data_count(page) == before)
    wait_until(lambda: on_stroke() == 0)
    # a drag begun as the page is busy (a frame being drawn) is a drag all the same
    busy_after_press(page)
    drag(page, box)
    wait_until(lambda: on_stroke() > 20)
    click(page, "ganlab-data-undo")
    wait_until(lambda: data_count(page) == before)
    # a button held still before the drag (Bokeh's press, then a pan) paints the stroke all the same...
    drag(page, box, end=0.8, hold=0.6)
    wait_until(lambda: data_count(page) > before + 40)
    wait_until(lambda: on_stroke() > 20)
    click(page, "ganlab-data-undo")
    wait_until(lambda: data_count(page) == before)
    # ...and held still, adds a point where it is
    page.mouse.move(*at(box, 0.94, 0.06))
    page.mouse.down()
    time.sleep(0.6)
    page.mouse.up()
    wait_until(lambda: data_count(page) == before + 1)
    click(page, "ganlab-data-undo")
    wait_until(lambda: data_count(page) == before)
    # erase: a tap rubs out what lies near it
    page.mouse.click(*at(box, 0.06, 0.94))          # a point of our own...
    wait_until(lambda: data_count(page) == before + 1)
    page.locator(".ganlab-data-mode button", has_text="Erase").first.click()
    wait_until(lambda: "rub them out" in page.locator(".ganlab-data-hint").first.inner_text())
    page.mouse.click(*at(box, 0.5, 0.5))            # (nothing at the ring's centre: nothing goes)
    page.mouse.click(*at(box, 0.06, 0.94))          # ...rubbed out
    wait_until(lambda: data_count(page) == before, message=lambda: f"{data_count(page)} points, {message(page)}")
    assert painted > before + 40 and iteration(page) > 0
    click(page, "ganlab-data-clear")                 # every change taken back: the ring again
    wait_until(lambda: data_count(page) == 450 and "ring" in
               page.locator(".ganlab-distribution-ring button").get_attribute("class") + "ring")
    assert page.errors == []
