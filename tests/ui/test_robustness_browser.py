"""Bad input, divergence and several sessions, in a real headless Chromium."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import numpy as np
import pytest

from .conftest import open_page
from .helpers import REAL, click, iteration, message, samples, wait_until

pytestmark = pytest.mark.timeout(300)

#: SGD at the largest learning rate on the largest nets: NaN within a few dozen iterations
DIVERGING = {"d_lr": 10, "g_lr": 10, "d_layers": 5, "d_neurons": 100, "g_layers": 5, "g_neurons": 100}


def upload(page, tmp_path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    if not page.locator(".ganlab-upload input[type=file]").count():
        page.locator(".ganlab-files button").click()           # the files menu, built on first opening
    page.locator(".ganlab-upload input[type=file]").set_input_files(str(path))


def test_bad_uploads_say_why_and_keep_the_experiment(page, tmp_path):
    before = samples(page, REAL)
    n = iteration(page)
    cases = [
        ("points.csv", b"0.1,0.2\n0.5,nan\n", "NaN or infinite"),
        ("empty.csv", b"", "empty"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        ("model.pt", b"\x80\x04 not a checkpoint", "not a readable"),
        ("settings.json", b'{"d_lr": 50}', "d_lr"),
    ]
    for name, content, words in cases:
        upload(page, tmp_path, name, content)
        wait_until(lambda: name in message(page) and words in message(page))
        assert page.locator(".ganlab-message").get_attribute("data-level") == "warning"
    # too large: the browser sends only the name and size
    upload(page, tmp_path, "huge.csv", b"0.5,0.5\n" * (13 * 2**20 // 8))
    wait_until(lambda: "huge.csv" in message(page) and "Nothing was sent" in message(page))
    assert iteration(page) == n
    np.testing.assert_allclose(samples(page, REAL), before)
    # and the session still trains, and takes good input
    click(page, "ganlab-step")
    wait_until(lambda: iteration(page) == n + 1)
    upload(page, tmp_path, "good.csv", b"x,y\n0.2,0.2\n0.8,0.8\n0.5,0.5\n")
    wait_until(lambda: "3 points from good.csv" in message(page))
    wait_until(lambda: np.abs(samples(page, REAL) - 0.5).max() < 0.45 and
               np.abs(samples(page, REAL)[:, 0] - samples(page, REAL)[:, 1]).max() < 0.2)
    assert page.errors == []


def test_url_settings_apply_and_bad_values_are_named(browser, app_url):
    query = urlencode({"distribution": "ring", "g_optimizer": "adam", "k_d": "many", "d_lr": "-1"})
    page = open_page(browser, f"{app_url}?{query}")
    try:
        text = message(page)
        assert "k_d" in text and "d_lr" in text and "Ignored from the page address" in text
        assert "bk-btn-primary" in page.locator(".ganlab-distribution-ring button").get_attribute("class")
        # the good settings are in the model's editor
        click(page, "ganlab-edit")
        wait_until(lambda: page.locator(".ganlab-g-optimizer select").count() > 0)
        assert page.locator(".ganlab-g-optimizer select").input_value() == "Adam"
        click(page, "ganlab-play")
        wait_until(lambda: iteration(page) > 0)
        assert page.errors == []
    finally:
        page.context.close()


def test_divergence_pauses_tells_the_user_and_reset_recovers(browser, app_url):
    page = open_page(browser, f"{app_url}?{urlencode({k: str(v) for k, v in DIVERGING.items()})}")
    try:
        click(page, "ganlab-play")
        wait_until(lambda: "diverged" in message(page), timeout=60)
        assert page.locator(".ganlab-message").get_attribute("data-level") == "danger"
        wait_until(lambda: page.locator(".ganlab-play button").inner_text().strip() == "Play")
        stopped = iteration(page)
        time.sleep(1.0)
        assert iteration(page) == stopped > 0
        click(page, "ganlab-reset")
        wait_until(lambda: iteration(page) == 0 and "Reset" in message(page))
        click(page, "ganlab-step")
        wait_until(lambda: iteration(page) == 1)
        assert page.errors == []
    finally:
        page.context.close()


def test_three_sessions_never_see_each_others_changes(browser, app_url, server_log):
    log_start = len(server_log())  # the server is shared: judge only what happens here
    a, b, c = (open_page(browser, app_url) for _ in range(3))
    try:
        first = samples(c, REAL)  # the default data (gaussians)
        click(a, "ganlab-distribution-line")
        wait_until(lambda: not np.allclose(samples(a, REAL), first))
        click(b, "ganlab-distribution-ring")
        wait_until(lambda: not np.allclose(samples(b, REAL), first))
        counts = [iteration(p) for p in (a, b, c)]
        click(a, "ganlab-play")
        wait_until(lambda: iteration(a) > counts[0] + 50)
        time.sleep(0.5)
        assert [iteration(b), iteration(c)] == counts[1:]
        click(b, "ganlab-play")
        wait_until(lambda: iteration(b) > counts[1] + 50)
        click(a, "ganlab-play")
        click(b, "ganlab-play")
        # each page shows its own data; the untouched one still shows the default
        np.testing.assert_allclose(samples(c, REAL), first)
        assert not np.allclose(samples(a, REAL), samples(b, REAL))
        assert iteration(c) == counts[2]
        assert "bk-btn-primary" in c.locator(".ganlab-distribution-gaussians button").get_attribute("class")
        for p in (a, b, c):
            assert p.errors == []
        log = server_log()[log_start:]
        problems = [line for line in log.splitlines() if "Traceback" in line or "ERROR" in line]
        assert problems == [], log[-4000:]
    finally:
        for p in (a, b, c):
            p.context.close()
