"""The screen as a newcomer meets it, in headless Chromium: it fits laptops
without scrolling sideways, and every action says what it did."""

from __future__ import annotations

import time

import pytest

from .conftest import open_page
from .helpers import busy_after_press, click, iteration, message, open_files, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

#: what must be on the first screen, together: GAN Lab's one row of A and B
KEY_ELEMENTS = ["ganlab-play", "ganlab-overview", "ganlab-layered", "ganlab-layer-heatmap",
                "ganlab-layer-gradients", "ganlab-monitor"]

_BOX_JS = """(hook) => {
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.classList && el.classList.contains(hook)) return el
      if (el.shadowRoot) { const found = find(el.shadowRoot); if (found) return found }
    }
    return null
  }
  const el = find(document)
  if (el == null) return null
  const r = el.getBoundingClientRect()
  return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height}
}"""


def box(page, hook: str) -> dict | None:
    return page.evaluate(_BOX_JS, hook)


def test_the_first_screen_fits_without_scrolling(browser, app_url):
    page = open_page(browser, app_url, viewport={"width": 1280, "height": 800})
    try:
        for width, height in [(1280, 800), (1366, 768), (1600, 900), (1920, 1080)]:
            page.set_viewport_size({"width": width, "height": height})
            time.sleep(1.5)   # the overview graph takes its zoom once its column is laid out again
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{overflow} px wider than a {width}-px window"
            for hook in KEY_ELEMENTS:
                b = box(page, hook)
                assert b is not None and b["width"] > 0 and b["height"] > 0, (width, hook)
                assert b["left"] >= 0 and b["top"] >= 0 and b["right"] <= width and b["bottom"] <= height, \
                    (width, hook, b)
            # the graph is zoomed to its column, not cut off by it, and grows with the window
            graph, layered = box(page, "ganlab-overview"), box(page, "ganlab-layered")
            assert graph["right"] <= layered["left"]
            assert graph["width"] > 0.4 * width - 120, (width, graph)
    finally:
        page.context.close()


def test_the_file_menu_gathers_saving_exporting_and_loading(page):
    assert not page.locator(".ganlab-files-menu").first.is_visible()
    open_files(page)
    for hook in ("ganlab-save", "ganlab-save-ganlab", "ganlab-save-pt2", "ganlab-export-png", "ganlab-export-png2x",
                 "ganlab-export-gif", "ganlab-export-config", "ganlab-upload"):
        assert page.locator(f".{hook}").first.is_visible(), hook
    assert page.get_by_text("points (.csv", exact=False).first.is_visible()   # what Load takes
    click(page, "ganlab-files")
    page.locator(".ganlab-files-menu").first.wait_for(state="hidden", timeout=10_000)


def test_a_refused_export_says_why_and_downloads_nothing(page):
    page.locator(".ganlab-settings .card-header").first.click()          # More settings
    page.locator(".ganlab-preset select").first.select_option(label="Wasserstein GAN with gradient penalty")
    wait_until(lambda: "Wasserstein" in message(page))
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    open_files(page)
    page.locator(".ganlab-save-ganlab button, .ganlab-save-ganlab a").first.click()
    wait_until(lambda: "Cannot export" in message(page))
    time.sleep(2.0)
    assert downloads == []
    assert page.locator(".ganlab-message-box").first.is_visible()
    click(page, "ganlab-message-close")                                 # a problem stays until dismissed
    wait_until(lambda: not page.locator(".ganlab-message-box").first.is_visible())


def test_a_notice_goes_when_the_user_acts(page):
    click(page, "ganlab-distribution-ring")
    wait_until(lambda: "press Play" in message(page))
    click(page, "ganlab-play")
    wait_until(lambda: message(page) == "")
    click(page, "ganlab-play")


def test_a_structural_edit_while_playing_keeps_training_the_rebuilt_model(page):
    click(page, "ganlab-play")
    wait_until(lambda: iteration(page) > 10_200)
    click(page, "ganlab-edit")
    layers = page.locator(".ganlab-g-layers input").first
    layers.fill("3")
    layers.press("Enter")
    wait_until(lambda: "Rebuilt the model" in message(page) and "G layers: 3" in message(page))
    wait_until(lambda: iteration(page) > 100, timeout=30)                 # from 0, and on
    assert page.locator(".ganlab-play button").first.inner_text().strip() == "Pause"
    click(page, "ganlab-play")


def test_a_step_in_slow_motion_shows_its_own_sub_steps_and_says_what_it_trained(page):
    n = iteration(page)
    click(page, "ganlab-slow")
    wait_until(lambda: "Slow motion is on" in message(page))
    click(page, "ganlab-step-d")
    tooltip = page.locator(".ganlab-tooltip").first
    wait_until(lambda: tooltip.is_visible() and "discriminator" in tooltip.inner_text().lower())
    graph = page.locator(".ganlab-zoomed").first.bounding_box()
    seen = {}

    def watch():
        step = tooltip.get_attribute("data-step") if tooltip.is_visible() else None
        if step is not None:
            seen[step] = tooltip.bounding_box()
        return "5" in seen
    wait_until(watch, timeout=30)
    assert set(seen) <= {"1", "2", "3", "4", "5"}                        # D's half only
    wait_until(lambda: "Trained the discriminator alone" in message(page), timeout=30)
    assert iteration(page) == n + 1                                     # GAN Lab's counting, said aloud
    # the explanation sits by what it explains (under the discriminator), not in a corner
    tip = seen["5"]
    assert tip["y"] > graph["y"] + 0.3 * graph["height"] and tip["x"] > graph["x"] + 0.3 * graph["width"]


def test_draw_clear_and_done_are_honest(page):
    click(page, "ganlab-draw")
    canvas = page.locator(".ganlab-drawing canvas").first
    canvas.wait_for(timeout=20_000)
    time.sleep(1.0)  # let Bokeh attach the drawing tools
    b = canvas.bounding_box()

    def stroke(y):
        page.mouse.move(b["x"] + 0.2 * b["width"], b["y"] + y * b["height"])
        page.mouse.down()
        for i in range(20):
            page.mouse.move(b["x"] + (0.2 + 0.03 * i) * b["width"], b["y"] + y * b["height"])
        page.mouse.up()
        time.sleep(0.5)

    stroke(0.3)
    click(page, "ganlab-draw-clear")
    time.sleep(0.5)
    click(page, "ganlab-draw-done")                                     # cleared: nothing to train on
    wait_until(lambda: "Nothing was drawn" in message(page))
    busy_after_press(page)                                              # a stroke begun as the page is busy
    stroke(0.7)                                                         # is a stroke all the same
    click(page, "ganlab-draw-done")
    wait_until(lambda: "your drawing" in message(page))
    click(page, "ganlab-draw")                                          # a new drawing, empty...
    canvas.wait_for(timeout=20_000)
    time.sleep(1.0)
    click(page, "ganlab-draw-done")                                     # ...so Done is refused
    wait_until(lambda: "Nothing was drawn" in message(page))
    assert page.errors == []


def test_hidden_parts_join_the_page_on_first_use_and_sit_where_they_did(page):
    """The files menu, More settings and the model editor are not in a fresh
    page; each appears when first opened, laid out as if it had always been there."""
    for hook in ("ganlab-save", "ganlab-batch-size", "ganlab-g-layers"):
        assert page.locator(f".{hook}").count() == 0, f"{hook} is in the page before it is used"
    open_files(page)
    page.locator(".ganlab-save").first.wait_for(timeout=20_000)
    menu, upload = (page.locator(f".{hook}").first.bounding_box() for hook in ("ganlab-files-menu", "ganlab-upload"))
    assert upload["y"] + upload["height"] <= menu["y"] + menu["height"]   # the whole menu on its white card
    click(page, "ganlab-files")                                         # closed again
    page.locator(".ganlab-settings").get_by_text("More settings").click()
    page.locator(".ganlab-batch-size input").first.wait_for(timeout=20_000)
    click(page, "ganlab-edit")
    spinner = page.locator(".ganlab-g-layers").first
    spinner.wait_for(timeout=20_000)
    words = page.get_by_text("hidden layer(s)").first
    layers, text = spinner.bounding_box(), words.bounding_box()
    neurons = page.locator(".ganlab-g-neurons").first.bounding_box()
    # "[2] hidden layer(s) [16] neuron(s)": the words between the two menus, under neither
    assert layers["x"] + layers["width"] - 1 <= text["x"] < text["x"] + text["width"] <= neurons["x"] + 1
    assert page.errors == []
