"""Rewind, export, share and compare, in a real headless Chromium."""

from __future__ import annotations

import io
import re
import subprocess
import time
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import numpy as np
import pytest
from PIL import Image

from ganlab_panel.files.export import PNG_SIZE

from .conftest import open_page
from .helpers import FAKE, click, iteration, message, open_files, samples, wait_until

pytestmark = pytest.mark.timeout(300)


def drag_timeline(page, share: float) -> None:
    """Drag the timeline's handle to ``share`` of its track, as a person would."""
    track = page.locator(".ganlab-timeline .noUi-target").first.bounding_box()
    page.locator(".ganlab-timeline .noUi-handle").first.hover()
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] * share, track["y"] + track["height"] / 2, steps=8)
    page.mouse.up()


def timeline_label(page) -> str:
    return page.locator(".ganlab-timeline-label").inner_text()


def settled(page) -> tuple[int, str]:
    """The counter and the timeline's readout once they stop changing (a drag
    sends several positions on its way, and a busy machine may take most of
    a second to show each)."""
    def read():
        return iteration(page), timeline_label(page)

    def still():
        first = read()
        for _ in range(3):
            time.sleep(0.5)
            if read() != first:
                return None
        return first

    return wait_until(still)


def pause(page) -> int:
    """Pause, and wait until the page shows where training stopped; that iteration."""
    click(page, "ganlab-play")
    wait_until(lambda: page.locator(".ganlab-play button").inner_text().strip() == "Play")
    wait_until(lambda: f"up to iteration {iteration(page):,};" in timeline_label(page))
    return iteration(page)


def test_the_timeline_rewinds_every_view_and_resumes_from_there(page, server_log):
    log_start = len(server_log())
    start = iteration(page)                                   # the pretrained model's
    click(page, "ganlab-play")
    wait_until(lambda: iteration(page) > start + 3000)
    newest = pause(page)
    drag_timeline(page, 0.25)
    rewound, label = settled(page)
    assert "Rewound to iteration" in label and rewound < newest
    assert f"{rewound:,}" in label and f"of {newest:,}" in label
    fake_then = samples(page, FAKE)
    assert page.locator(".ganlab-resume").is_visible()
    # scrubbing to the end comes back to where training stood
    drag_timeline(page, 1.05)
    wait_until(lambda: iteration(page) == newest)
    assert settled(page)[0] == newest
    assert not page.locator(".ganlab-resume").is_visible()
    drag_timeline(page, 0.25)
    assert settled(page)[0] == rewound
    np.testing.assert_allclose(samples(page, FAKE), fake_then)  # the same moment, the same samples
    click(page, "ganlab-resume")                              # resume: play from the rewound moment
    wait_until(lambda: "Resumed from iteration" in message(page))
    wait_until(lambda: iteration(page) > rewound + 200)
    pause(page)
    assert "Traceback" not in server_log()[log_start:]
    assert page.errors == []


def _pt2_pair(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return sorted(zf.namelist()) == ["ganlab_discriminator.pt2", "ganlab_generator.pt2"]


def test_png_gif_settings_and_networks_download(page):
    start = iteration(page)
    click(page, "ganlab-play")
    wait_until(lambda: iteration(page) > start + 2000)
    pause(page)
    open_files(page)
    for hook, check in (("export-png", lambda b: Image.open(io.BytesIO(b)).format == "PNG"),
                        ("export-png2x", lambda b: Image.open(io.BytesIO(b)).width == 2 * PNG_SIZE),
                        ("export-gif", lambda b: Image.open(io.BytesIO(b)).n_frames > 2),
                        ("export-config", lambda b: b'"distribution"' in b),
                        ("save-pt2", _pt2_pair)):
        with page.expect_download() as info:
            page.locator(f".ganlab-{hook} button, .ganlab-{hook} a").first.click()
        with open(info.value.path(), "rb") as f:
            data = f.read()
        assert data and check(data), hook
    assert page.errors == []


def test_the_mp4_film_shows_its_progress_while_the_page_plays_on_then_downloads(page, tmp_path):
    import imageio_ffmpeg

    start = iteration(page)
    click(page, "ganlab-play")
    wait_until(lambda: iteration(page) > start + 1500)
    pause(page)
    # the film is one frame a moment of the timeline (a moment every 50
    # iterations at most: fewer where the page drew fewer frames, under load)
    label = page.locator(".ganlab-timeline-label").first.inner_text()
    moments = int(re.search(r"(\d+) moments recorded", label).group(1))
    assert moments >= 10, label
    open_files(page)
    click(page, "ganlab-export-mp4")
    progress = page.locator(".ganlab-film-progress").first
    progress.wait_for(state="visible", timeout=20_000)
    # made off the event loop: the page takes a step while the film is made
    at = iteration(page)
    click(page, "ganlab-step")
    wait_until(lambda: iteration(page) == at + 1)
    download = page.locator(".ganlab-film-download").first
    download.wait_for(state="visible", timeout=120_000)
    assert not progress.is_visible() and "film is ready" in message(page)
    with page.expect_download() as info:
        page.locator(".ganlab-film-download button, .ganlab-film-download a").first.click()
    film = tmp_path / "film.mp4"
    film.write_bytes(Path(info.value.path()).read_bytes())
    described = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(film)],
                               capture_output=True, text=True).stderr
    assert "Video: h264" in described and f"{PNG_SIZE}x" in described
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(film))
    assert moments <= frames <= moments + 1     # (the moment Pause keeps may show after the label was read)
    assert page.errors == []


def test_a_copied_link_opens_the_same_setup(browser, app_url):
    page = open_page(browser, f"{app_url}?{urlencode({'distribution': 'ring', 'd_lr': '0.03'})}")
    try:
        # the page's address follows every change of a setting...
        click(page, "ganlab-edit")
        select = page.locator(".ganlab-g-optimizer select")
        select.wait_for(state="visible")
        select.select_option(label="Adam")
        wait_until(lambda: "g_optimizer=adam" in page.evaluate("() => window.location.search"))
        query = parse_qs(page.evaluate("() => window.location.search")[1:])
        assert query["distribution"] == ["ring"] and query["d_lr"] == ["0.03"]
        link = page.evaluate("() => window.location.href")
    finally:
        page.context.close()
    # ...so the link, opened anew, has them all
    other = open_page(browser, link)
    try:
        assert "bk-btn-primary" in other.locator(".ganlab-distribution-ring button").get_attribute("class")
        click(other, "ganlab-edit")
        select = other.locator(".ganlab-g-optimizer select")
        select.wait_for(state="visible")
        assert select.input_value() == "Adam"
        assert other.locator(".ganlab-d-lr select").input_value() == "0.03"
        assert other.errors == []
    finally:
        other.context.close()


def test_compare_trains_both_runs_and_shows_what_differs(browser, app_url):
    url = app_url.replace("/ganlab", "/compare") + "?" + urlencode({"distribution": "gaussians",
                                                                    "b.loss": "least_squares"})
    page = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(url)
        page.wait_for_selector(".ganlab-compare-settings", timeout=60_000)
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].is_idle",
                               timeout=60_000)
        time.sleep(0.5)
        diff = page.locator(".ganlab-compare-settings tr.ganlab-diff")
        assert diff.count() == 1 and "Least squares" in diff.inner_text()
        counters = [page.locator(f".ganlab-iteration-{s}") for s in "ab"]
        count = lambda c: int(re.sub(r"\D", "", c.inner_text()) or 0)  # noqa: E731
        click(page, "ganlab-play")
        wait_until(lambda: all(count(c) > 500 for c in counters))
        click(page, "ganlab-play")
        # trained in step: after Pause both stand at the same iteration
        wait_until(lambda: count(counters[0]) == count(counters[1]) > 500)
        # both runs drawn, each with its own fake samples
        fakes = page.evaluate("""() => {
          const out = [];
          for (const doc of Bokeh.documents) for (const m of doc.all_models)
            if ((m.type === 'Figure' || m.type === 'Plot') && m.x_range.end <= 1.0001)
              for (const r of m.renderers)
                if (r.glyph && r.glyph.type === 'Scatter' && r.glyph.fill_color.value === '#7b3294')
                  out.push(Array.from(r.data_source.data.x));
          return out;
        }""")
        assert len(fakes) == 2 and fakes[0] != fakes[1]
        # the data is both runs': choosing other data starts both over on it
        page.locator(".ganlab-compare-data select").select_option("ring")
        wait_until(lambda: all(count(c) == 0 for c in counters))
        assert "distribution=ring" in page.evaluate("() => window.location.search")
        assert errors == []
    finally:
        page.context.close()
