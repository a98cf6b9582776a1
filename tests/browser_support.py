"""Helpers for the browser tests (``test_web_browser.py``): a page that fails on any
console error, the pen, a tour of the tabs, and axe-core's accessibility checks.

Kept apart from the tests so that the test file reads as a list of things a
person does with the lab.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import numpy as np
from playwright.sync_api import Browser, Page, expect, sync_playwright

from lab_support import running
from requires import CHROMIUM

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
TABS = ["draw", "inside", "train", "descent", "perceptron", "mistakes"]
TIMEOUT = 30_000  # ms, for anything the page waits on
#: What axe-core checks: WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


class Console:
    """Everything a page reports as an error: console errors and uncaught exceptions.

    Chromium also logs each HTTP error answer ("Failed to load resource: ...
    status of 400"); a test that provokes one on purpose says so with
    :meth:`allow_http`, and every other error fails the test.
    """

    def __init__(self, page: Page) -> None:
        self.errors: list[tuple[str, str]] = []  # (message, url of its source)
        self._allowed: list[tuple[int, str]] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.errors.append((f"uncaught {exc}", "")))

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.errors.append((message.text, message.location.get("url", "")))

    def allow_http(self, status: int, path: str) -> None:
        """The test expects answers with ``status`` from ``path``: not an error here."""
        self._allowed.append((status, path))

    def unexpected(self) -> list[str]:
        def allowed(text: str, url: str) -> bool:
            return any(text.startswith("Failed to load resource: the server responded with a "
                                       f"status of {status} ") and url.split("?")[0].endswith(path)
                       for status, path in self._allowed)

        return [f"{text} ({url})" for text, url in self.errors if not allowed(text, url)]


@contextlib.contextmanager
def serving(app):
    """``app`` (:func:`steepest.web.app.create_app`) served by the lab's own server, as
    ``steepest serve`` serves it, on a free loopback port, in a thread.

    Yields the page's URL (``http://127.0.0.1:PORT/``); on exit the server stops and
    the lab closes, ending its training jobs.
    """
    try:
        with running(app) as server:
            yield f"http://127.0.0.1:{server.port}/"
    finally:
        app.extensions["steepest_lab"].close()


@contextlib.contextmanager
def chromium():
    """Debian's Chromium, launched by playwright (never a browser playwright downloads)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@contextlib.contextmanager
def open_page(browser: Browser, url: str, viewport: str = "desktop"):
    """A fresh browser context on ``url``; fails if the page reported any error."""
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    console = Console(page)
    try:
        page.goto(url)
        yield page, console
    finally:
        context.close()
    errors = console.unexpected()
    assert not errors, f"errors on the page: {errors}"


def draw(page: Page, *strokes: list[tuple[float, float]]) -> None:
    """Draw strokes with the mouse; points are in the pad's own 280x280 coordinates."""
    box = page.locator("#pad").bounding_box()
    scale = box["width"] / 280
    for points in strokes:
        x, y = points[0]
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
        page.mouse.down()
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            for t in np.linspace(0, 1, 8)[1:]:  # several moves per segment, like a real hand
                page.mouse.move(box["x"] + (x0 + t * (x1 - x0)) * scale,
                                box["y"] + (y0 + t * (y1 - y0)) * scale)
        page.mouse.up()


def wait_for_prediction(page: Page) -> str:
    page.wait_for_function("document.getElementById('digit').textContent !== '?'")
    return page.locator("#digit").text_content()


def tab(page: Page, name: str) -> None:
    page.click(f"#tab-{name}")
    expect(page.locator(f"#panel-{name}")).to_be_visible()


def use_tab(page: Page, name: str) -> None:
    """Open tab ``name`` and use it as a person would, until it shows its content.

    Call once per page and tab: the Descent tab runs a path of 30 steps.
    """
    tab(page, name)
    if name == "draw":
        page.fill("#digit-index", "0")
        page.click("#load-digit")
        wait_for_prediction(page)
        page.wait_for_timeout(300)  # let the probability bars finish their 0.15 s transition
    elif name == "inside":  # the units for the drawing, or the word that there is none
        expect(page.locator("#diagram")).to_have_attribute("data-state", re.compile("."))
    elif name == "train":  # the curves of the last job, or "no epochs yet"
        expect(page.locator("#chart-loss")).to_have_attribute("data-points", re.compile(r"\d"))
    elif name == "descent":
        expect(page.locator("#d-cost")).to_contain_text("step 0")
        page.click("#d-run")
        page.wait_for_function("document.getElementById('contour').dataset.steps === '30'")
    elif name == "perceptron":
        expect(page.locator("#p-table tbody tr")).to_have_count(8)
    elif name == "mistakes":
        expect(page.locator("#mistakes button.mistake").first).to_be_visible()


def axe_violations(page: Page, axe_script: str) -> list[str]:
    """axe-core's WCAG 2 A/AA violations on the page as it is now, one line per element."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_script)  # defines window.axe
    found = page.evaluate("""tags => axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
        .then(r => r.violations.flatMap(v => v.nodes.map(n =>
            `${v.id} (${v.impact}): ${n.target.join(' ')}: ${n.failureSummary}`)))""", WCAG_TAGS)
    return [" ".join(line.split()) for line in found]


def axe_script() -> str:
    """axe-core's ``axe.min.js``, as the ``axe-playwright-python`` package ships it."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text("utf-8")
