"""The sweep page served by `panel serve`, in a real headless Chromium: define
a sweep, run it, watch its runs arrive, open one in the lab and come back."""

from __future__ import annotations

import os
import time

import pytest

from .conftest import open_page, served
from .helpers import iteration, message, wait_until

pytestmark = pytest.mark.timeout(300)

#: where the test leaves a picture of the page after its sweep (for a person to look at)
SCREENSHOT = os.environ.get("GANLAB_SWEEP_SCREENSHOT")


@pytest.fixture(scope="module")
def sweep_url(tmp_path_factory):
    """`panel serve apps/sweep.py` on a free port: the page's URL."""
    with served(["sweep"], "sweep", tmp_path_factory.mktemp("server") / "panel-serve-sweep.log") as url:
        yield url


@pytest.fixture
def sweep_page(browser, sweep_url):
    pg = open_page(browser, sweep_url, {"width": 1500, "height": 1000}, ready=".ganlab-sweep-run button")
    yield pg
    pg.context.close()


def type_into(page, hook: str, text: str) -> None:
    """Type ``text`` into the input with CSS class ``hook`` and leave it (its value is sent)."""
    box = page.locator(f".{hook} input").first
    box.fill(text)
    box.press("Tab")


def run_disabled(page) -> bool:
    return page.locator(".ganlab-sweep-run button").first.is_disabled()


def test_a_bad_value_is_named_and_run_waits(sweep_page):
    type_into(sweep_page, "ganlab-sweep-values-1", "0.01,abc")
    wait_until(lambda: "d_lr" in message(sweep_page) and "abc" in message(sweep_page))
    wait_until(lambda: run_disabled(sweep_page))
    type_into(sweep_page, "ganlab-sweep-values-1", "0.01,0.1")
    wait_until(lambda: not run_disabled(sweep_page))
    assert "abc" not in message(sweep_page)


def test_a_two_by_two_sweep_runs_and_a_run_opens_in_the_lab(sweep_page):
    page = sweep_page
    page.locator(".ganlab-sweep-axis-1 select").select_option("d_lr")
    type_into(page, "ganlab-sweep-values-1", "0.01,0.1")
    page.locator(".ganlab-sweep-axis-2 select").select_option("g_lr")
    type_into(page, "ganlab-sweep-values-2", "0.01,0.1")
    type_into(page, "ganlab-sweep-seeds", "1")
    type_into(page, "ganlab-sweep-iterations", "200")
    wait_until(lambda: not run_disabled(page))
    page.locator(".ganlab-sweep-run button").click()

    cells = page.locator(".ganlab-sweep-cell")
    wait_until(lambda: cells.count() == 4, timeout=180, message=lambda: page.locator(".ganlab-sweep-progress")
               .inner_text())
    wait_until(lambda: "4 / 4 runs" in page.locator(".ganlab-sweep-progress").inner_text())
    keys = {page.locator(".ganlab-sweep-cell .ganlab-sweep-key").nth(i).get_attribute("data-key") for i in range(4)}
    assert keys == {f"d_lr={d},g_lr={g},seed=0" for d in ("0.01", "0.1") for g in ("0.01", "0.1")}
    assert page.locator(".ganlab-sweep-phase").count() == 1 and page.locator(".ganlab-sweep-curves").count() == 1
    if SCREENSHOT:
        time.sleep(1.0)
        page.screenshot(path=SCREENSHOT, full_page=True)

    # the run d_lr=0.1, g_lr=0.01 in the lab: its own 200 iterations
    chosen = page.locator(".ganlab-sweep-cell").filter(
        has=page.locator('[data-key="d_lr=0.1,g_lr=0.01,seed=0"]'))
    chosen.locator(".ganlab-sweep-open button").click()
    page.wait_for_selector(".ganlab-layered", state="visible", timeout=60_000)
    wait_until(lambda: iteration(page) == 200, timeout=60)
    assert page.locator(".ganlab-sweep-back").count() == 1
    assert "d_lr=0.1,g_lr=0.01,seed=0" in page.locator(".ganlab-sweep-lab-run").inner_text()
    if SCREENSHOT:
        time.sleep(1.0)
        page.screenshot(path=SCREENSHOT.replace(".png", "-lab.png"))

    page.locator(".ganlab-sweep-back button").click()
    wait_until(lambda: page.locator(".ganlab-layered").count() == 0 and cells.count() == 4, timeout=30)
    assert page.errors == []


def test_stop_ends_a_sweep_early(sweep_page):
    page = sweep_page
    type_into(page, "ganlab-sweep-values-1", "0.01,0.02,0.03,0.05,0.1,0.2,0.3,0.5")
    type_into(page, "ganlab-sweep-iterations", "20000")
    wait_until(lambda: not run_disabled(page))
    page.locator(".ganlab-sweep-run button").click()
    stop = page.locator(".ganlab-sweep-stop button").first
    wait_until(lambda: not stop.is_disabled(), timeout=30)
    stop.click()
    progress = page.locator(".ganlab-sweep-progress")
    wait_until(lambda: "stopped" in progress.inner_text(), timeout=120, message=progress.inner_text)
    assert "16 / 16" not in progress.inner_text()
    wait_until(lambda: stop.is_disabled() and not run_disabled(page))
    assert page.errors == []
