"""Watching the network learn on the Train tab: play, pause, step, the pace, the gallery of
test digits, charts that zoom to the data, and Start bringing the progress into view.

Headless Debian Chromium against the real server, as ``test_web_browser.py`` runs it
(its helpers are in ``browser_support.py``); every test fails on any error the page
reports.  Nothing here times the page: each test waits for what it should see, and
"paused" is checked as "nothing changed over a wait", which load cannot fake.
"""

from __future__ import annotations

import re

import pytest

# These tests need what test_web_browser.py needs: importing it skips this module when
# something is missing, as it skips itself (or, under CI=true, fails it).
pytest.importorskip("test_web_browser")

from playwright.sync_api import Page, expect  # noqa: E402

from browser_support import (  # noqa: E402
    axe_script,
    axe_violations,
    open_page,
    serving,
    tab,
)
from steepest.web.app import create_app  # noqa: E402

#: 2,000 images in mini-batches of 32: 63 mini-batches an epoch.
BATCHES = 63
#: A checksum of every weight image's pixels, as the page shows them.
WEIGHT_PIXELS = """() => [...document.querySelectorAll('#train-weights canvas')].map(c =>
    c.getContext('2d').getImageData(0, 0, c.width, c.height).data
     .reduce((s, v, i) => (s + v * (i % 7919 + 1)) % 1000000007, 0)).join(',')"""
#: What the gallery says: each digit's prediction and confidence.
GALLERY = """() => [...document.querySelectorAll('#train-gallery li')].map(li =>
    `${li.dataset.label}:${li.dataset.digit}:${li.dataset.confidence}`).join(' ')"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory, mnist_data, save_lab_style_model):
    """The real server on a free loopback port, serving a small 784-15-10 network."""
    directory = tmp_path_factory.mktemp("pace")
    model = save_lab_style_model(directory / "small.npz", mnist_data, n_train=5000,
                                 hidden=(15,), seed=0)
    with serving(create_app(model, work_dir=directory / "jobs")) as url:
        yield url


@pytest.fixture
def page(browser, lab):
    with open_page(browser, lab) as (page, _):
        expect(page.locator("#model-status")).to_contain_text("Model v")
        yield page


def fill_job(page: Page, *, epochs: int, paused: bool = False, pace: str | None = None) -> None:
    """The Train form: 784-12-10 on the first 2,000 images, at ``pace`` batches/s ("" for
    full speed, None to leave the page's choice)."""
    tab(page, "train")
    page.fill("#t-hidden", "12")
    page.fill("#t-epochs", str(epochs))
    page.select_option("#t-limit", "2000")
    if paused:
        page.check("#t-paused")
    if pace is not None:
        page.select_option("#train-pace", pace)


def shown(page: Page) -> tuple[str, str, str]:
    """The weight images' pixels, the gallery's predictions, and what the status says."""
    return (page.evaluate(WEIGHT_PIXELS), page.evaluate(GALLERY),
            page.locator("#train-status").text_content())


def right_in_gallery(page: Page) -> int:
    return page.locator("#train-gallery li.right").count()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_step_and_pause_change_the_weights_and_the_gallery_only_when_asked(browser, lab,
                                                                           viewport):
    with open_page(browser, lab, viewport) as (page, _):
        expect(page.locator("#model-status")).to_contain_text("Model v")
        step_pause_and_play(page)


def step_pause_and_play(page: Page) -> None:
    """Start paused; step a batch, an epoch; play slowly, pause; play to the end."""
    fill_job(page, epochs=3, paused=True, pace="50")
    page.click("#train-start")
    status = page.locator("#train-status")
    expect(status).to_contain_text("Paused before the first batch")
    expect(page.locator("#train-gallery li")).to_have_count(10)
    expect(page.locator("#train-gallery li[data-digit]")).to_have_count(10)
    expect(page.locator("#train-weights canvas")).to_have_count(12)
    expect(page.locator("#train-pause")).to_have_text("Play")
    labels = page.locator("#train-gallery li").evaluate_all("l => l.map(li => li.dataset.label)")
    assert labels == [str(d) for d in range(10)]  # one test digit of each class
    start = shown(page)
    right_at_start = right_in_gallery(page)
    page.wait_for_timeout(1500)
    assert shown(page) == start, "a paused job changed what the page shows"

    page.click("#train-step-batch")
    expect(page.locator("#train-weights-epoch")).to_contain_text(f"batch 1 of {BATCHES}")
    one = shown(page)
    assert one[0] != start[0], "a step did not change the weight images"
    assert one[1] != start[1], "a step did not change the gallery's predictions"
    page.wait_for_timeout(1500)
    assert shown(page) == one, "the job went on after a one-batch step"

    page.click("#train-step-epoch")
    expect(page.locator("#train-weights-epoch")).to_contain_text("after epoch 1")
    expect(page.locator("#chart-acc")).to_have_attribute("data-points", "1")
    expect(status).to_contain_text("(paused)")
    epoch = shown(page)
    # seed 0 goes from 0 to 4 of 10 right; any net gain is predictions flipping to right
    assert right_in_gallery(page) > right_at_start, "an epoch of learning flipped none to right"
    assert axe_violations(page, axe_script()) == []  # the controls and the gallery: WCAG 2 AA
    page.wait_for_timeout(1500)
    assert shown(page) == epoch, "the job went on after an epoch step"

    # Play at 10 batches a second: it moves on, frame by frame; Pause holds it again.
    page.select_option("#train-pace", "10")
    page.click("#train-pause")
    expect(page.locator("#train-pause")).to_have_text("Pause")
    expect(page.locator("#train-weights-epoch")).to_contain_text(re.compile(r"epoch 2, batch"))
    page.click("#train-pause")
    expect(page.locator("#train-pause")).to_have_text("Play")
    expect(status).to_contain_text(re.compile(r"Epoch 2: batch \d+ of 63, loss [\d.]+ \(paused\)"))
    held = shown(page)
    page.wait_for_timeout(1500)
    assert shown(page) == held, "Pause did not hold the job"

    page.select_option("#train-pace", "")  # full speed, to the end
    page.click("#train-pause")
    expect(status).to_have_attribute("data-state", "done", timeout=90_000)
    expect(page.locator("#train-pause")).to_be_disabled()
    # the job's network is now the model in service: the gallery says so, with its answers
    expect(page.locator("#train-gallery-when")).to_contain_text(re.compile(r"^Model v\d+:"))
    served = page.locator("#model-status").get_attribute("data-version")
    assert page.locator("#train-gallery-when").text_content().startswith(f"Model v{served}:")


def test_the_weight_images_can_show_what_training_changed(page):
    fill_job(page, epochs=3, paused=True, pace="50")
    page.click("#train-start")
    expect(page.locator("#train-status")).to_contain_text("Paused before the first batch")
    strip = page.locator("#train-weights")
    expect(strip).to_have_attribute("data-showing", "weights")
    coloured = """() => [...document.querySelectorAll('#train-weights canvas')].reduce((n, c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) n += d[i] + d[i + 1] + d[i + 2] < 765;
        return n; }, 0)"""
    assert page.evaluate(coloured) > 12 * 700  # random N(0, 1) weights: colour nearly everywhere
    page.check("#train-weights-change")
    expect(strip).to_have_attribute("data-showing", "change")
    expect(page.locator("#train-weights-epoch")).to_contain_text("change since the start")
    assert page.evaluate(coloured) == 0  # nothing has changed yet: white
    page.click("#train-step-batch")
    expect(page.locator("#train-weights-epoch")).to_contain_text(f"batch 1 of {BATCHES}: change")
    changed = page.evaluate(coloured)
    # one mini-batch moves the weights of the pixels its 32 digits inked, not the border's
    assert 0 < changed < 12 * 784, changed
    page.uncheck("#train-weights-change")
    expect(strip).to_have_attribute("data-showing", "weights")
    assert page.evaluate(coloured) > 12 * 700
    page.click("#train-cancel")
    expect(page.locator("#train-status")).to_have_attribute("data-state", "cancelled")


def test_the_accuracy_axis_zooms_to_the_data_and_the_axes_have_titles(page):
    fill_job(page, epochs=3)  # at the page's pace
    page.click("#train-start")
    expect(page.locator("#train-status")).to_have_attribute("data-state", "done",
                                                            timeout=90_000)
    history = page.request.get(page.url.split("#")[0] + "api/train").json()["job"]["history"]
    accuracy = [100 * h["test_accuracy"] for h in history]
    chart = page.locator("#chart-acc")
    expect(chart).to_have_attribute("data-points", "3")
    lo, hi = (float(chart.get_attribute(a)) for a in ("data-y-min", "data-y-max"))
    assert 0 < lo <= min(accuracy) <= max(accuracy) <= hi <= 100, (lo, hi, accuracy)
    # the data fill at least a third of the axis (fixed at 0-100 %, a few points filled 5 %)
    assert (max(accuracy) - min(accuracy)) / (hi - lo) >= 1 / 3, (lo, hi, accuracy)
    for canvas, y_title in (("#chart-acc", "accuracy (%)"), ("#chart-loss", "loss")):
        chart = page.locator(canvas)
        expect(chart).to_have_attribute("data-x-title", "epoch")
        expect(chart).to_have_attribute("data-y-title", y_title)
        # the y title is drawn: ink left of the tick labels, where nothing else is
        ink = chart.evaluate("""c => {
            const d = c.getContext('2d').getImageData(0, 20, 16, c.height - 80).data;
            let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0; return n; }""")
        assert ink > 20, f"{canvas}: no y-axis title drawn ({ink} pixels)"


def test_on_a_phone_starting_training_brings_the_progress_into_view(browser, lab):
    with open_page(browser, lab, "phone") as (page, _):
        expect(page.locator("#model-status")).to_contain_text("Model v")
        fill_job(page, epochs=50)
        expect(page.locator("#train-status")).not_to_be_in_viewport()  # far below the form
        page.click("#train-start")
        try:
            expect(page.locator("#train-status")).to_contain_text(re.compile("Job|Epoch|train"))
            expect(page.locator("#train-status")).to_be_in_viewport()
            expect(page.locator("#train-pause")).to_be_focused()
            expect(page.locator("#train-pause")).to_be_in_viewport()
        finally:
            if page.locator("#train-cancel").is_enabled():
                page.click("#train-cancel")
            expect(page.locator("#train-status")).to_have_attribute(
                "data-state", re.compile("cancelled|done"), timeout=60_000)


def count_requests(page: Page, *paths: str) -> dict[str, int]:
    """From now on, how many requests the page sends to each of ``paths`` (updated live)."""
    counts = dict.fromkeys(paths, 0)

    def seen(request) -> None:
        path = "/" + request.url.split("/", 3)[-1].split("?")[0]
        if path in counts:
            counts[path] += 1

    page.on("request", seen)
    return counts


def test_the_served_model_is_fetched_once_on_loading_and_once_when_a_job_ends(page):
    """Loading the page, and a job that ends, show the model in service once: one
    GET /api/network (its weights) and one GET /api/gallery (its answers) each."""
    def served_model_shown() -> None:
        expect(page.locator("#train-weights-epoch")).to_contain_text("in service")
        expect(page.locator("#train-gallery-when")).to_contain_text(re.compile(r"^Model v\d+:"))
        page.wait_for_timeout(1000)  # a second showing would have asked by now

    tab(page, "train")
    served_model_shown()  # the fixture's page, done with its requests
    counts = count_requests(page, "/api/network", "/api/gallery")
    page.reload()
    served_model_shown()
    assert counts == {"/api/network": 1, "/api/gallery": 1}, counts

    fill_job(page, epochs=1, pace="")
    counts.update(dict.fromkeys(counts, 0))  # while the job runs, its events carry its weights
    page.click("#train-start")
    expect(page.locator("#train-status")).to_have_attribute("data-state", "done",
                                                            timeout=90_000)
    served_model_shown()
    assert counts == {"/api/network": 1, "/api/gallery": 1}, counts
