"""The Draw pad, the Descent plot, the Mistakes gallery and the page's messages, in Chromium.

What issue 17 asked of these tabs, as a person meets it: a learning rate that
makes the cost grow is flagged (and several λ paths can be compared on one
plot), the start-up model is waited for instead of asked 10 times a second,
the brush suits the drawing, a drawing too small is told so, every one of
these tabs has a keyboard path, and the learner reads sentences, not the
server's developer strings.  Same set-up as ``test_web_browser.py`` (its
helpers are ``browser_support.py``): a real server in a thread, Debian's
Chromium, any console error fails the test.
"""

from __future__ import annotations

import time

import pytest

# Its import skips these tests without Chromium or playwright (fails them under CI=true):
# hence everything browser-related comes through it.
import test_web_browser as base
from test_web_browser import (
    VIEWPORTS,
    Page,
    TrainConfig,
    create_app,
    draw,
    expect,
    open_page,
    serving,
    tab,
    wait_for_prediction,
)

# test_web_browser's fixtures: the server with the lecture's network, a page on it (Chromium
# is conftest's browser fixture).
lab, console_page, page = base.lab, base.console_page, base.page

STEPS = "document.getElementById('contour').dataset.steps === '{}'"


def descent_on(page: Page, surface: str, lr: str) -> None:
    """The Descent tab on ``surface``, a new path from its start with λ = ``lr``."""
    tab(page, "descent")
    expect(page.locator("#d-cost")).to_contain_text("step 0")
    page.select_option("#d-surface", surface)
    page.wait_for_function(STEPS.format(0))
    page.fill("#d-lr", lr)
    page.press("#d-lr", "Tab")
    page.wait_for_function(STEPS.format(0))


def colour_pixels(page: Page, selector: str, rgb: str) -> int:
    """How many pixels of the canvas are within 40 of the colour ``#rrggbb`` on every channel."""
    return page.evaluate("""([sel, hex]) => {
        const c = document.querySelector(sel);
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
        let n = 0;
        for (let i = 0; i < d.length; i += 4) {
            if (want.every((w, k) => Math.abs(d[i + k] - w) <= 40)) n++;
        }
        return n; }""", [selector, rgb])


# --- Descent: a growing cost is the lesson about λ -------------------------


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_growing_cost_is_flagged_at_lambda_055_on_the_valley(browser, lab, viewport):
    """λ = 0.55 on the valley: the cost grows ~43,000-fold in 30 steps without passing the
    divergence limit; the page says the cost grew and that λ is too large, and shows it
    where the learner looks after pressing Run (the plot, the cost and the word together)."""
    with open_page(browser, lab["url"], viewport) as (page, _):
        expect(page.locator("#model-status")).to_contain_text("Model v")
        descent_on(page, "valley", "0.55")
        page.click("#d-run")
        page.wait_for_function(STEPS.format(30))
        cost = page.locator("#d-cost")
        start, end = (float(cost.get_attribute(f"data-{k}")) for k in ("start", "cost"))
        ratio = end / start
        print(f"[{viewport}] valley, λ = 0.55, 30 steps: C {start:g} -> {end:g} ({ratio:,.0f}x)")
        assert start == pytest.approx(10.5) and ratio > 1000
        verdict = page.locator("#d-verdict")
        expect(verdict).to_be_visible()
        expect(verdict).to_contain_text("grew from 10.5 to 4.5e5")
        expect(verdict).to_contain_text("λ = 0.55 is too large")
        expect(verdict).to_contain_text("left the plot at step 3")
        # ... and the plot says so where the path leaves it (a red dot and words on its edge)
        assert colour_pixels(page, "#contour", "#b2182b") > 50
        height = VIEWPORTS[viewport]["height"]
        for selector in ("#contour", "#d-run", "#d-cost", "#d-verdict"):
            box = page.locator(selector).bounding_box()
            assert 0 <= box["y"] and box["y"] + box["height"] <= height, (selector, box)
        # a good λ: the cost falls, and the page says that too
        page.fill("#d-lr", "0.2")
        page.press("#d-lr", "Tab")
        page.wait_for_function(STEPS.format(0))
        page.click("#d-run")
        page.wait_for_function(STEPS.format(30))
        expect(verdict).to_contain_text("fell from 10.5")
        expect(verdict).not_to_contain_text("too large")


def test_the_cost_charts_axis_labels_are_not_cut(page):
    """The cost chart's y labels (up to 4.5e5 here) fit left of its axis: no ink in the
    canvas's first three columns, where a label wider than the margin is cut off."""
    descent_on(page, "valley", "0.55")
    page.click("#d-run")
    page.wait_for_function(STEPS.format(30))
    leftmost = page.evaluate("""() => {
        const c = document.getElementById('d-chart'), ctx = c.getContext('2d');
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        for (let x = 0; x < c.width; x++) for (let y = 0; y < c.height; y++) {
            if (d[4 * (y * c.width + x) + 3] > 0) return x;
        }
        return -1; }""")
    assert leftmost >= 3, f"ink in column {leftmost}: a y label is cut at the canvas's edge"


def test_several_lambda_paths_overlay_on_one_plot(page):
    """Keep the λ = 0.2 path, run λ = 0.45: both on the plot in distinct colours, a legend
    naming each λ with its cost; Clear removes the kept one."""
    descent_on(page, "valley", "0.2")
    page.click("#d-run")
    page.wait_for_function(STEPS.format(30))
    page.click("#d-keep")
    legend = page.locator("#d-legend li")
    expect(legend).to_have_count(2)  # the kept path, and the current one (the same, so far)
    page.fill("#d-lr", "0.45")
    page.press("#d-lr", "Tab")
    page.wait_for_function(STEPS.format(0))
    page.click("#d-run")
    page.wait_for_function(STEPS.format(30))
    expect(legend).to_have_count(2)
    expect(legend.nth(0)).to_contain_text("λ = 0.2")
    expect(legend.nth(1)).to_contain_text("λ = 0.45")
    colours = [legend.nth(i).get_attribute("data-colour") for i in range(2)]
    assert len(set(colours)) == 2, colours
    kept_colour = colours[0]
    assert colour_pixels(page, "#contour", kept_colour) > 100  # the kept path is drawn
    page.click("#d-keep")
    expect(legend).to_have_count(3)
    page.click("#d-clear-kept")
    expect(legend).to_have_count(1)
    expect(legend.first).to_contain_text("λ = 0.45")
    expect(page.locator("#d-clear-kept")).to_be_hidden()
    assert colour_pixels(page, "#contour", kept_colour) < 20  # only the band edges' stray pixels


def test_descent_from_the_keyboard_alone(page):
    """Tab reaches the plot; the arrows move the start (a new path), Enter takes a step."""
    tab(page, "descent")
    expect(page.locator("#d-cost")).to_contain_text("step 0")
    page.select_option("#d-surface", "bowl")  # window [-3, 3]², start (2.5, -2)
    page.wait_for_function(STEPS.format(0))
    page.focus("#tab-descent")
    page.keyboard.press("Tab")
    expect(page.locator("#contour")).to_be_focused()
    page.keyboard.press("ArrowLeft")  # 5% of the window: v1 2.5 -> 2.2
    page.keyboard.press("ArrowUp")  # v2 -2 -> -1.7
    expect(page.locator("#d-v1")).to_have_value("2.2")
    expect(page.locator("#d-v2")).to_have_value("-1.7")
    page.wait_for_function(STEPS.format(0))
    page.keyboard.press("Enter")
    page.wait_for_function(STEPS.format(1))
    first_row = page.locator("#d-table tbody tr").first.locator("td")
    expect(first_row.nth(1)).to_have_text("1.76")  # 2.2 - 0.1 * 2 * 2.2
    page.keyboard.press(" ")
    page.wait_for_function(STEPS.format(2))
    expect(page.locator("#contour")).to_be_focused()


# --- Messages: sentences for the learner, and no 503 storm at start-up ----


def test_the_learner_reads_what_to_do_not_the_servers_strings(console_page):
    """An empty λ and test digit #-1: a sentence saying what to type; the server's own
    message (if a request was made) is kept in data-detail for developers."""
    page, console = console_page
    console.allow_http(400, "/api/descent")  # asked below, on purpose
    descent_on(page, "valley", "0.2")
    page.fill("#d-lr", "")
    page.press("#d-lr", "Tab")
    error = page.locator("#d-error")
    expect(error).to_contain_text("Type a learning rate λ above 0 and at most 10 (0.2 descends")
    expect(error).not_to_contain_text("learning_rate")
    expect(error).to_have_attribute("data-detail", "learning_rate must be a number, got null")
    tab(page, "draw")
    note = page.locator("#draw-note")
    for typed in ("-1", "10000", "2.5"):
        page.fill("#digit-index", typed)
        page.click("#load-digit")
        expect(note).to_have_text("There are 10,000 MNIST test digits: type a number from 0 "
                                  "to 9999, then Load.")
    page.fill("#digit-index", "7")
    page.click("#load-digit")
    expect(note).to_contain_text("MNIST test digit #7 (its label: 9)")


def test_the_start_up_model_is_waited_for_not_asked_ten_times_a_second(browser, tmp_path):
    """``steepest serve`` with no model: a digit drawn while the start-up network trains
    sends no request (before: one every 100 ms, each a 503 and a console error); the page
    says it waits, and once the model is served it asks once and shows the answer."""
    from steepest.web.trainer import JobSpec

    spec = JobSpec(TrainConfig(epochs=1000), train_limit=2000)  # stopped by the test
    app = create_app(None, startup_spec=spec, work_dir=tmp_path)
    with serving(app) as url, open_page(browser, url) as (page, console):
        answers: list[int] = []
        page.on("response", lambda r: answers.append(r.status)
                if r.url.endswith("/api/predict") else None)
        expect(page.locator("#model-status")).to_contain_text("No model yet")
        draw(page, [(70, 60), (210, 60), (120, 240)], [(100, 150), (180, 150)])  # a 7
        confidence = page.locator("#confidence")
        expect(confidence).to_contain_text("Waiting for the model: the lecture's network is "
                                           "still training")
        tab(page, "mistakes")
        expect(page.locator("#mistakes-summary")).to_contain_text("still training")
        tab(page, "draw")
        draw(page, [(60, 200), (220, 200)])  # more ink, still no model
        expect(page.locator("#model-status")).to_contain_text("No model yet")
        assert answers == [] and console.errors == []
        # End the start-up once an epoch is done: its last epoch is served.
        deadline = time.monotonic() + 90
        while not page.request.get(url + "api/train").json()["job"]["history"]:
            assert time.monotonic() < deadline, "no epoch finished in 90 s"
            time.sleep(0.2)
        assert page.request.post(url + "api/train/cancel", data={}).ok
        expect(page.locator("#model-status")).to_contain_text("Model v1", timeout=90_000)
        wait_for_prediction(page)
        expect(confidence).to_contain_text("sure · model v1")
        expect(page.locator("#digit")).to_have_attribute("data-model-version", "1")
        expect(page.locator("#draw-note")).not_to_contain_text("training")
        page.wait_for_timeout(300)  # room for a second request, which must not come
        assert answers == [200], answers
        print(f"start-up: {len(answers)} request(s) to /api/predict, "
              f"{len(console.errors)} console errors")


# --- The draw pad: a brush that suits the drawing ------------------------


def five(height: float, centre: tuple[float, float] = (140, 140)) -> list[list[tuple]]:
    """The strokes of a 5, ``height`` pad pixels tall (the pad is 280x280)."""
    k, (cx, cy) = height / 100, centre
    shape = [[(30, 0), (-25, 0)],
             [(-25, 0), (-28, 45), (5, 38), (28, 55), (28, 80), (5, 100), (-28, 92)]]
    return [[(cx + k * x, cy + k * (y - 50)) for x, y in stroke] for stroke in shape]


def read(page: Page, strokes: list[list[tuple]]) -> tuple[str, float]:
    """Clear, draw, and return the digit read and the share of the 28x28 input that is ink."""
    page.click("#clear")
    draw(page, *strokes)
    wait_for_prediction(page)
    page.wait_for_function("""() => document.getElementById('digit').dataset.ink
        === document.getElementById('pad').dataset.ink""")  # the answer for the whole drawing
    digit = page.locator("#digit").text_content()
    ink = page.evaluate("""() => { const x = window.lab.state.lastPredict.input.flat();
        return x.filter((v) => v > 0.5).length / x.length; }""")
    return digit, ink


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_brush_suits_a_small_digit_and_says_it_is_small(browser, lab, viewport):
    """A 5 drawn 35 px tall (1/8 of the pad) keeps a 5's strokes after the server scales it
    up (a fixed 20 px brush made it a blob, read as 8 at 98.9 %): its 28x28 input has about
    the ink share of a 5 drawn 240 px tall.  The learner is told it is small."""
    with open_page(browser, lab["url"], viewport) as (page, _):
        expect(page.locator("#model-status")).to_contain_text("Model v")
        big_digit, big_ink = read(page, five(240))
        note = page.locator("#draw-note")
        expect(note).not_to_contain_text("small")
        small_digit, small_ink = read(page, five(35))
        print(f"[{viewport}] 5 drawn 240 px tall: {big_digit}, ink {big_ink:.3f}; "
              f"35 px tall: {small_digit}, ink {small_ink:.3f} ({small_ink / big_ink:.2f}x)")
        assert small_ink < 1.5 * big_ink, (small_ink, big_ink)  # a fixed brush: 3x
        assert (big_digit, small_digit) == ("5", "5")
        expect(note).to_contain_text("Your digit is small (")
        expect(note).to_contain_text("draw it bigger")
        read(page, five(120))
        expect(note).not_to_contain_text("small")


def test_a_tap_leaves_a_mark(page):
    box = page.locator("#pad").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    dark = page.evaluate("""() => {
        const c = document.getElementById('pad');
        const d = c.getContext('2d').getImageData(130, 130, 20, 20).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++; return n; }""")
    assert dark >= 12, f"{dark} dark pixels where the pad was tapped"
    wait_for_prediction(page)  # a dot is ink: the network is asked


# --- Keyboard paths: Draw and Mistakes (Descent's is above) --------------


def test_drawing_with_the_keyboard_alone(page):
    """Tab reaches the pad; Space lowers the pen, the arrows draw a 1, Space lifts it and the
    network reads it; Delete clears."""
    page.focus("#tab-draw")
    page.keyboard.press("Tab")
    expect(page.locator("#pad")).to_be_focused()
    for _ in range(5):
        page.keyboard.press("ArrowUp")  # the pen from the centre to near the top
    page.keyboard.press("Space")
    for _ in range(12):
        page.keyboard.press("ArrowDown")  # 12 steps of 14 px: a stroke 168 px long
    page.keyboard.press("Space")
    page.wait_for_function("""() => document.getElementById('digit').dataset.ink
        === document.getElementById('pad').dataset.ink""")
    expect(page.locator("#digit")).to_have_text("1")
    expect(page.locator("#confidence")).to_contain_text("sure")
    expect(page.locator("#pad")).to_be_focused()
    page.keyboard.press("Delete")
    expect(page.locator("#digit")).to_have_text("?")
    expect(page.locator("#confidence")).to_have_text("Draw a digit.")


def test_a_mistake_opened_from_the_keyboard_keeps_the_focus_on_it(page):
    """Keyboard only: End to the Mistakes tab, Tab to the first card, Enter: the Draw tab
    shows that digit and the focus is on it (the pad), not back at the top of the page."""
    page.focus("#tab-draw")
    page.keyboard.press("End")
    expect(page.locator("#tab-mistakes")).to_be_focused()
    first = page.locator("#mistakes button.mistake").first
    expect(first).to_be_visible()
    index = first.get_attribute("data-index")
    page.keyboard.press("Tab")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#tab-draw")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#pad")).to_be_focused()
    expect(page.locator("#draw-note")).to_contain_text(f"Test digit #{index}")
    wait_for_prediction(page)
