"""The model in service, as a person meets it in the web lab: real Chromium, real server.

One full session per screen size, from a lab started *without* a model: the
start-up training, a job trained from the Train tab, a job cancelled after some
epochs, an identical re-run, switches back and forth in the header, and every
tab visited after each step.  Throughout, the page must report no error at all,
every tab must name the model in service as the header does ("model v2"), the
Train tab must show that model's own curves and weights, and the header must
keep its shape.  Helpers and the skip rules are :mod:`browser_support`'s and
``test_web_browser.py``'s.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import urllib.request

import pytest

from requires import BROWSER, require

require(BROWSER, chromium=True)  # skipped without them; under CI=true, failed

from playwright.sync_api import Page, expect  # noqa: E402

from browser_support import (  # noqa: E402
    TABS,
    VIEWPORTS,
    open_page,
    serving,
    tab,
    use_tab,
)
from steepest.training import TrainConfig  # noqa: E402
from steepest.web.app import create_app  # noqa: E402
from steepest.web.trainer import JobSpec  # noqa: E402

JOB_TIMEOUT = 120_000  # ms: a job on 2,000 images, on a busy 2-core machine
#: The start-up training: the lecture's 784-15-10, 3 epochs on 2,000 images.  It waits,
#: paused, until the test has seen the page without a model (:func:`play`): on a busy
#: machine the page could otherwise open after the job is done.
STARTUP = JobSpec(TrainConfig(epochs=3), train_limit=2000, paused=True)
#: The tabs that use the model, and what in each names it.
NAMERS = {"draw": "#draw-model", "inside": "#panel-inside h2 .served-model",
          "train": "#train-model", "mistakes": "#mistakes-summary"}


@contextlib.contextmanager
def lab_without_a_model(tmp_path, spec: JobSpec = STARTUP):
    """``steepest serve`` with no model, on a free loopback port: it trains ``spec`` first."""
    with serving(create_app(None, startup_spec=spec, work_dir=tmp_path)) as url:
        yield url


def header_height(page: Page) -> float:
    return page.locator("header.top").bounding_box()["height"]


def served_version(page: Page) -> int:
    return int(page.locator("#model-status").get_attribute("data-version"))


def train(page: Page, hidden: str, epochs: int) -> None:
    """Start a job from the Train tab's form: 2,000 images, seed 0."""
    tab(page, "train")
    page.fill("#t-hidden", hidden)
    page.fill("#t-epochs", str(epochs))
    page.fill("#t-seed", "0")
    page.select_option("#t-limit", "2000")
    page.click("#train-start")
    expect(page.locator("#train-cancel")).to_be_enabled()


def check_every_tab_names(page: Page, version: int, units: int, epochs: int,
                          header: float | None) -> None:
    """Visit every tab: each names model ``version`` as the header does, and shows it.

    ``units`` is its hidden layer's size, ``epochs`` the length of its training history;
    ``header`` the header's height it must keep (None: not checked).
    """
    name = f"model v{version}"
    for t in TABS:
        tab(page, t)
        expect(page.locator("#model-select")).to_have_value(str(version))
        expect(page.locator("#model-status")).to_have_attribute("data-version", str(version))
        if t in NAMERS:
            namer = page.locator(NAMERS[t])
            expect(namer).to_contain_text(re.compile(re.escape(name), re.I))
            names = set(re.findall(r"model v(\d+)", namer.text_content(), re.I))
            assert names == {str(version)}, (t, namer.text_content())
        if t == "inside":
            expect(page.locator("#diagram figure.unit:not(.out)")).to_have_count(units)
        elif t == "train":
            expect(page.locator("#train-weights-epoch")).to_contain_text(f"({name}, in service")
            expect(page.locator("#train-weights canvas")).to_have_count(units)
            for chart in ("#chart-loss", "#chart-acc"):  # the served model's own history
                expect(page.locator(chart)).to_have_attribute("data-points", str(epochs))
        elif t == "mistakes":
            expect(page.locator("#mistakes button.mistake").first).to_be_visible()
        if header is not None:
            assert header_height(page) == header, (t, header_height(page), header)


def visible_text(page: Page) -> str:
    """What a sighted person can read: visible text (not screen-reader-only) and the
    picker's chosen entry (a closed <select> shows only that)."""
    return page.evaluate("""() => {
        const out = [];
        const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = walk.nextNode(); n; n = walk.nextNode()) {
            const el = n.parentElement;
            if (el.closest('select, .sr-only, script, style') || !el.checkVisibility()) continue;
            out.push(n.textContent);
        }
        for (const s of document.querySelectorAll('select')) {
            const chosen = s.selectedOptions[0];
            if (chosen && s.checkVisibility()) out.push(chosen.text);
        }
        return out.join(' ').replace(/\\s+/g, ' '); }""")


def all_text(page: Page) -> str:
    """Every text of the page, hidden or not, and every entry of every <select>."""
    return page.evaluate("""() => document.body.textContent + ' ' + Array.from(
        document.querySelectorAll('option'), o => o.text).join(' ')""")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_full_session_has_no_errors_and_every_tab_names_the_model_in_service(
        browser, tmp_path, viewport):
    """Start-up training, a job, a cancelled job, an identical re-run, switches: 0 errors."""
    desktop = viewport == "desktop"
    with lab_without_a_model(tmp_path) as url, open_page(browser, url, viewport) as (page, console):
        expect(page.locator("#model-status")).to_contain_text("No model yet")
        before = header_height(page)
        play(url)
        expect(page.locator("#model-status")).to_have_attribute("data-version", "1",
                                                                timeout=JOB_TIMEOUT)
        for t in TABS:  # each tab used once, as a person would
            use_tab(page, t)
        # on a phone the start-up message may wrap differently from the picker: from here on
        header = header_height(page)
        if desktop:
            assert header == before, ("the header changed shape when the model came", before,
                                      header)
        check_every_tab_names(page, 1, 15, 3, header)

        train(page, "12", 2)  # a job -> model v2
        expect(page.locator("#train-status")).to_have_attribute("data-state", "done",
                                                                timeout=JOB_TIMEOUT)
        expect(page.locator("#train-status")).to_contain_text("Model v2 is in service")
        check_every_tab_names(page, 2, 12, 2, header)

        train(page, "9", 100)  # a job cancelled after its second epoch -> model v3
        page.wait_for_function("Number(document.getElementById('chart-loss').dataset.points) >= 2",
                               timeout=JOB_TIMEOUT)
        page.click("#train-cancel")
        expect(page.locator("#train-status")).to_have_attribute("data-state", "cancelled",
                                                                timeout=JOB_TIMEOUT)
        expect(page.locator("#train-status")).to_contain_text("model v3")
        chosen = page.locator("#model-select option:checked")
        expect(chosen).to_have_text(re.compile(r"^v3: .* cancelled at epoch \d+ of 100$"))
        kept = int(re.search(r"cancelled at epoch (\d+) of 100", chosen.text_content())[1])
        assert kept >= 2
        check_every_tab_names(page, 3, 9, kept, header)

        train(page, "12", 2)  # the same settings and seed as v2: v2 again, no copy
        expect(page.locator("#train-status")).to_have_attribute("data-state", "done",
                                                                timeout=JOB_TIMEOUT)
        expect(page.locator("#train-status")).to_contain_text("no copy was added")
        expect(page.locator("#model-select option")).to_have_count(3)
        check_every_tab_names(page, 2, 12, 2, header)

        for version, units, epochs in ((1, 15, 3), (3, 9, kept), (1, 15, 3), (2, 12, 2)):
            page.select_option("#model-select", str(version))
            expect(page.locator("#model-status")).to_have_attribute("data-version", str(version))
            check_every_tab_names(page, version, units, epochs, header)

        # one numbering: models are v1, v2, v3; no job number anywhere on the page
        assert not re.search(r"\bjob #?\d", all_text(page), re.I), all_text(page)
        assert [o for o in page.locator("#model-select option").all_text_contents()
                if not re.match(r"v[123]: ", o)] == []
        assert console.errors == []  # the measured figure: 0 console errors (open_page checks too)


@pytest.fixture(scope="module")
def two_models(tmp_path_factory):
    """A lab started without a model (v1: 784-15-10, 1 epoch on 1,000 images) that has
    since trained v2 (784-12-10, 2 epochs on 2,000 images) through the API."""
    spec = JobSpec(TrainConfig(epochs=1), train_limit=1000)
    with lab_without_a_model(tmp_path_factory.mktemp("two"), spec) as url:
        wait_until(lambda: api(url, "api/model")["ready"])
        api(url, "api/train", {"hidden": [12], "epochs": 2, "train_limit": 2000})
        wait_until(lambda: not api(url, "api/train")["running"])
        assert api(url, "api/model")["model"]["version"] == 2
        yield url


def play(url: str) -> None:
    """Let the paused start-up job run."""
    api(url, "api/train/control", {"action": "play"})


def api(url: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(url + path, method="GET" if body is None else "POST",
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def wait_until(predicate, timeout: float = JOB_TIMEOUT / 1000) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_train_tab_follows_a_switch_in_the_header(browser, two_models, viewport):
    """After picking v1, the Train tab shows v1's weights and curves, named as v1."""
    api(two_models, "api/models/select", {"id": 2})
    with open_page(browser, two_models + "#train", viewport) as (page, _):
        label, weights = page.locator("#train-weights-epoch"), page.locator("#train-weights canvas")
        expect(label).to_contain_text("(model v2, in service")
        expect(weights).to_have_count(12)
        expect(page.locator("#chart-loss")).to_have_attribute("data-points", "2")
        page.select_option("#model-select", "1")
        expect(page.locator("#model-status")).to_have_attribute("data-version", "1")
        expect(label).to_contain_text("(model v1, in service")
        expect(weights).to_have_count(15)
        expect(page.locator("#chart-loss")).to_have_attribute("data-points", "1")
        expect(page.locator("#chart-acc")).to_have_attribute("data-points", "1")
        expect(label).to_have_text("(model v1, in service, after epoch 1)")
        expect(page.locator("#train-model")).to_contain_text("Model v1 is in service")
        shows_the_gallery_of(page, two_models, 1)
        page.select_option("#model-select", "2")
        expect(label).to_have_text("(model v2, in service, after epoch 2)")
        expect(page.locator("#chart-loss")).to_have_attribute("data-points", "2")
        shows_the_gallery_of(page, two_models, 2)


def shows_the_gallery_of(page, url: str, version: int) -> None:
    """The ten gallery digits carry model v``version``'s answers, and say whose they are."""
    expect(page.locator("#train-gallery-when")).to_contain_text(f"Model v{version}:")
    answer = page.request.get(url + "api/gallery").json()
    assert answer["model_version"] == version
    said = page.locator("#train-gallery li").evaluate_all("els => els.map(e => e.dataset.digit)")
    assert said == [str(p["digit"]) for p in answer["predictions"]]
    right = sum(p["digit"] == y for p, y in zip(answer["predictions"], answer["labels"]))
    expect(page.locator("#train-gallery-when")).to_have_text(
        f"Model v{version}: {right} of 10 right")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_model_description_appears_once(browser, two_models, viewport):
    """On the Draw tab, "784 -> 12 sigmoid -> 10 softmax" is read once: in the header's picker."""
    api(two_models, "api/models/select", {"id": 2})
    with open_page(browser, two_models, viewport) as (page, _):
        expect(page.locator("#model-select")).to_have_value("2")
        use_tab(page, "draw")
        expect(page.locator("#draw-model")).to_contain_text("Asking model v2")
        text = visible_text(page)
        assert text.count("784 -> 12 sigmoid -> 10 softmax") == 1, text
        expect(page.locator("#draw-model")).to_have_text("Asking model v2.")


def test_the_header_keeps_one_row_after_the_first_job(browser, tmp_path):
    """1280x800: the header is as tall with one model as with three (and while none is ready)."""
    spec = JobSpec(TrainConfig(epochs=1), train_limit=1000, paused=True)
    with lab_without_a_model(tmp_path, spec) as url, open_page(browser, url) as (page, _):
        expect(page.locator("#model-status")).to_contain_text("No model yet")
        heights = {"no model yet": header_height(page)}
        play(url)
        expect(page.locator("#model-status")).to_have_attribute("data-version", "1",
                                                                timeout=JOB_TIMEOUT)
        heights["v1"] = header_height(page)
        train(page, "12", 1)
        expect(page.locator("#model-status")).to_have_attribute("data-version", "2",
                                                                timeout=JOB_TIMEOUT)
        expect(page.locator("#model-select option")).to_have_count(2)
        heights["v2"] = header_height(page)
        assert len(set(heights.values())) == 1, heights
        title = page.locator("header.top h1").bounding_box()
        picker = page.locator("#model-pick").bounding_box()
        assert picker["y"] < title["y"] + title["height"], (title, picker)  # on the same row


def test_the_draw_cards_width_does_not_follow_its_note(browser, two_models):
    """A long note under the pad (a mistake loaded from the gallery) leaves the card as it was."""
    with open_page(browser, two_models) as (page, _):
        expect(page.locator("#model-status")).to_have_attribute("data-version", re.compile(r"\d"))
        card = page.locator("#panel-draw .card").first
        widths = {"short note": card.bounding_box()["width"]}
        use_tab(page, "draw")  # loads test digit 0: "MNIST test digit #0 (its label: 7)."
        widths["test digit"] = card.bounding_box()["width"]
        tab(page, "mistakes")
        page.locator("#mistakes button.mistake").first.click()
        expect(page.locator("#draw-note")).to_contain_text("Here it is redrawn and preprocessed")
        widths["long note"] = card.bounding_box()["width"]
        assert len(set(widths.values())) == 1, widths
