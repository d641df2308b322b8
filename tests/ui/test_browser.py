"""The served app in a real headless Chromium: what a user clicks and sees."""

from __future__ import annotations

import io
import re
import time

import numpy as np
import pytest
from PIL import Image

from .helpers import FAKE, REAL, click, heatmap, iteration, message, play_with_setting_in_view, samples, wait_until

pytestmark = pytest.mark.timeout(240)


def test_page_loads_without_console_errors(page):
    assert page.locator(".ganlab-overview").count() == 1
    assert page.locator(".ganlab-layered").count() == 1
    assert len(samples(page, REAL)) == 450 and len(samples(page, FAKE)) == 150
    time.sleep(1)
    assert page.errors == []


def test_play_raises_the_count_and_pause_stops_it(page):
    start = iteration(page)
    assert page.locator(".ganlab-play button").inner_text().strip() == "Play"
    click(page, "ganlab-play")
    wait_until(lambda: iteration(page) >= start + 12)
    assert page.locator(".ganlab-play button").inner_text().strip() == "Pause"
    click(page, "ganlab-play")
    wait_until(lambda: page.locator(".ganlab-play button").inner_text().strip() == "Play")
    time.sleep(0.8)
    stopped = iteration(page)
    time.sleep(1.5)
    assert iteration(page) == stopped


def test_steps_advance_by_one_and_move_what_they_train(page):
    n = iteration(page)
    fake0, heat0 = samples(page, FAKE), heatmap(page)
    click(page, "ganlab-step-d")
    wait_until(lambda: iteration(page) == n + 1)
    wait_until(lambda: not np.array_equal(heatmap(page), heat0))     # D changed the heatmap
    np.testing.assert_array_equal(samples(page, FAKE), fake0)        # ... not the fake samples
    heat1 = heatmap(page)
    click(page, "ganlab-step-g")
    wait_until(lambda: iteration(page) == n + 2)
    wait_until(lambda: not np.array_equal(samples(page, FAKE), fake0))  # G moved the fake samples
    # ... not D: the same field to float32 rounding (once, one cell of 900
    # differed by 6e-8 after a G step; a D step moves the field far more)
    np.testing.assert_allclose(heatmap(page), heat1, rtol=0, atol=1e-6)
    fake2 = samples(page, FAKE)
    click(page, "ganlab-step")
    wait_until(lambda: iteration(page) == n + 3)
    wait_until(lambda: not np.array_equal(heatmap(page), heat1) and not np.array_equal(samples(page, FAKE), fake2))


def test_choosing_ring_changes_the_real_samples(page):
    before = samples(page, REAL)
    click(page, "ganlab-distribution-ring")

    def on_ring():
        pts = samples(page, REAL)
        if len(pts) != 450 or np.allclose(pts, before):
            return False
        r = ((pts[:, 0] - 0.5) / 0.3) ** 2 + ((pts[:, 1] - 0.45) / 0.25) ** 2
        return abs(np.median(r) - 1.0) < 0.1
    wait_until(on_ring)


def test_switching_a_layer_off_hides_it(page):
    assert len(samples(page, REAL)) == 450
    page.locator(".ganlab-layer-real input").click()
    wait_until(lambda: len(samples(page, REAL)) == 0)
    page.locator(".ganlab-layer-real input").click()
    wait_until(lambda: len(samples(page, REAL)) == 450)


def _canvas_box(page):
    canvas = page.locator(".ganlab-drawing canvas").first
    canvas.wait_for(timeout=20_000)
    time.sleep(1.0)  # let Bokeh attach the drawing tools
    return canvas.bounding_box()


def test_drawing_nothing_is_refused_with_a_message(page):
    click(page, "ganlab-draw")
    _canvas_box(page)
    click(page, "ganlab-draw-done")
    wait_until(lambda: "Nothing was drawn" in message(page))
    assert page.locator(".ganlab-drawing").count() == 1  # still drawing


def test_drawn_and_tapped_points_become_the_training_data(page):
    assert page.locator(".ganlab-drawing").count() == 0     # the canvas joins the page on first use
    click(page, "ganlab-draw")
    box = _canvas_box(page)
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    # a horizontal stroke across the upper half, from x = 0.2 to 0.8 at y = 0.75
    page.mouse.move(x0 + 0.2 * w, y0 + 0.25 * h)
    page.mouse.down()
    for t in np.linspace(0.2, 0.8, 25):
        page.mouse.move(x0 + t * w, y0 + 0.25 * h)
    page.mouse.up()
    # and a tapped point at (0.5, 0.2)
    page.mouse.click(x0 + 0.5 * w, y0 + 0.8 * h)
    time.sleep(0.5)
    click(page, "ganlab-draw-done")
    wait_until(lambda: "your drawing" in message(page))

    def real_on_drawing():
        pts = samples(page, REAL)
        if len(pts) != 450:
            return False
        on_stroke = (np.abs(pts[:, 1] - 0.75) < 0.08) & (pts[:, 0] > 0.12) & (pts[:, 0] < 0.88)
        near_tap = np.hypot(pts[:, 0] - 0.5, pts[:, 1] - 0.2) < 0.08
        return (on_stroke | near_tap).mean() > 0.95 and on_stroke.mean() > 0.5
    wait_until(real_on_drawing)
    start = iteration(page)
    click(page, "ganlab-play")
    wait_until(lambda: iteration(page) > start + 6)
    click(page, "ganlab-play")


def test_learning_rate_change_mid_run_keeps_training(page):
    select, before = play_with_setting_in_view(page, "ganlab-d-lr")
    select.select_option("0.03")
    wait_until(lambda: iteration(page) > before + 12)   # still rising, never reset to 0
    assert select.input_value() == "0.03"
    click(page, "ganlab-play")


def test_slow_motion_shows_the_sub_steps_and_resets_cleanly(page, server_log):
    log_start = len(server_log())
    click(page, "ganlab-slow")
    time.sleep(0.5)  # a person's pace between two clicks
    click(page, "ganlab-play")
    tooltip = page.locator(".ganlab-tooltip")
    wait_until(lambda: tooltip.is_visible() and "generator" in tooltip.inner_text().lower(), timeout=20)
    click(page, "ganlab-play")
    # Reset mid-way through the sub-steps moves the overview back to sub-step 0
    # from an async callback, which Panel runs without the document lock
    click(page, "ganlab-reset")
    wait_until(lambda: iteration(page) == 0)
    time.sleep(1.0)
    log = server_log()[log_start:]
    assert "Traceback" not in log and "RuntimeError" not in log, log


def test_screenshot_shows_green_real_and_purple_fake_where_they_are(page):
    # dots only: the heatmap's own green and purple cells would blur the check
    for layer in ("heatmap", "manifold", "gradients"):
        page.locator(f".ganlab-layer-{layer} input").click()
    plot = page.locator(".ganlab-layered").first

    def misplaced() -> list[str]:
        """What the picture gets wrong (nothing, once the layers are off)."""
        box = plot.bounding_box()
        img = np.asarray(Image.open(io.BytesIO(plot.screenshot())).convert("RGB")).astype(int)
        scale = img.shape[1] / box["width"]

        def centroid(mask):
            ys, xs = np.nonzero(mask)
            return np.array([xs.mean(), ys.mean()]) / scale

        r, g, b = img[..., 0], img[..., 1], img[..., 2]
        green = (g - np.maximum(r, b)) > 50                   # saturated green: the real dots
        purple = (np.minimum(r, b) - g > 40) & (g < 120)       # saturated purple: fake dots, dense manifold
        if green.sum() <= 200 or purple.sum() <= 100:
            return [f"too few green ({green.sum()}) or purple ({purple.sum()}) pixels"]
        real, fake = samples(page, REAL), samples(page, FAKE)
        side = box["width"]
        expect_green = np.array([real[:, 0].mean() * side, (1 - real[:, 1].mean()) * side])
        expect_purple = np.array([fake[:, 0].mean() * side, (1 - fake[:, 1].mean()) * side])
        wrong = []
        if np.linalg.norm(centroid(green) - expect_green) >= 0.12 * side:
            wrong.append(f"green centred at {centroid(green)}, the real samples at {expect_green}")
        if np.linalg.norm(centroid(purple) - expect_purple) >= 0.2 * side:
            wrong.append(f"purple centred at {centroid(purple)}, the fake samples at {expect_purple}")
        return wrong

    # the layers go within a moment (longer on a busy machine)
    wait_until(lambda: not misplaced(), timeout=20, interval=0.5, message=lambda: "; ".join(misplaced()))


def test_switching_loss_and_data_mid_session(page, server_log):
    log_start = len(server_log())
    legend = page.locator(".ganlab-legend-d")
    assert legend.get_attribute("data-output") == "probability"
    loss, before = play_with_setting_in_view(page, "ganlab-loss")
    loss.select_option(label="Hinge loss")                         # a critic now, while training runs
    wait_until(lambda: legend.get_attribute("data-output") == "critic")
    wait_until(lambda: iteration(page) > before + 12)     # the loss is hot: training went on
    heat = heatmap(page)
    assert heat.min() >= 0 and heat.max() <= 1 and heat.max() - heat.min() > 0.5   # the scores span the colours
    # a benchmark mixture from the menu: training starts over on it, with its modes charted
    page.locator(".ganlab-more-data select").select_option(label="Ring of 8 (benchmark)")
    wait_until(lambda: "mode-collapse benchmark" in message(page))
    wait_until(lambda: page.locator(".ganlab-modes-chart").is_visible())
    click(page, "ganlab-play")
    wait_until(lambda: iteration(page) > 20)
    modes = page.locator(".ganlab-modes")
    # a number, not the "–" shown before the first measurement
    wait_until(lambda: modes.count() > 0 and re.fullmatch(r"\d+/8", modes.inner_text()))
    assert "%" in page.locator(".ganlab-hq").inner_text()
    assert 0 <= float(page.locator(".ganlab-mode-balance").inner_text()) <= np.log(8) + 1e-3   # how even
    assert loss.input_value() == "Hinge loss"                # the data changed, the loss stayed
    click(page, "ganlab-play")
    real = samples(page, REAL)
    radius = np.hypot(real[:, 0] - 0.5, real[:, 1] - 0.5)
    assert np.abs(radius - 0.35).max() < 0.03             # the ring of 8, scaled into the square
    log = server_log()[log_start:]
    assert "Traceback" not in log, log
