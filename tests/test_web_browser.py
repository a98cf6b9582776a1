"""The web lab as a person uses it: headless Chromium against the real server.

The server runs in a thread on a free loopback port with a small lecture
network (784-15-10, two epochs); Chromium is Debian's (``/usr/bin/chromium``),
driven by the ``playwright`` package -- never a browser that playwright
downloads.  Screenshots of every tab, at 1280x800 and phone size, go to
``artifacts/screenshots/``.  Every test fails on any error the page reports
(console errors and uncaught exceptions), except the HTTP errors it provokes
on purpose; axe-core (from the ``axe-playwright-python`` package) checks every
tab against WCAG 2 A/AA.

Without Chromium or playwright these tests skip with the reason; under
``CI=true`` they fail instead, so CI cannot pass without running them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from requires import BROWSER, require

require(BROWSER, chromium=True)  # skipped without them; under CI=true, failed

SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"

from playwright.sync_api import Page, expect  # noqa: E402

from browser_support import (  # noqa: E402
    TABS,
    VIEWPORTS,
    axe_script,
    axe_violations,
    draw,
    open_page,
    serving,
    tab,
    use_tab,
    wait_for_prediction,
)
from steepest.modelfile import load_model  # noqa: E402
from steepest.training import TrainConfig  # noqa: E402
from steepest.web.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The real server, on a free loopback port, serving the lecture's network after 2 epochs,
    trained as ``steepest train --validation 10000`` trains it."""
    from click.testing import CliRunner

    from steepest.cli import main

    directory = tmp_path_factory.mktemp("lab")
    model = directory / "lecture.npz"
    result = CliRunner().invoke(main, ["train", "--epochs", "2", "--validation", "10000",
                                       "-o", str(model)])
    assert result.exit_code == 0, result.output
    with serving(create_app(model, work_dir=directory / "jobs")) as url:
        yield {"url": url, "dir": directory, "model": model}


@pytest.fixture
def console_page(browser, lab):
    """A page on the lab at 1280x800, its model loaded, and its :class:`Console`."""
    with open_page(browser, lab["url"]) as (page, console):
        expect(page.locator("#model-status")).to_contain_text("Model v")
        yield page, console


@pytest.fixture
def page(console_page):
    return console_page[0]


def served_model(page: Page, lab, name: str) -> Path:
    """The model the server serves right now, downloaded as the page's link does."""
    response = page.request.get(lab["url"] + "api/model/download")
    assert response.ok
    path = lab["dir"] / name
    path.write_bytes(response.body())
    return path


# ---------------------------------------------------------------------------


def test_drawing_with_the_mouse_gives_a_prediction(page):
    draw(page, [(70, 60), (210, 60), (120, 240)])  # a 7
    digit = wait_for_prediction(page)
    assert re.fullmatch(r"[0-9]", digit), repr(digit)
    items = page.locator("#probs li")
    expect(items).to_have_count(10)
    assert all("%" in items.nth(d).text_content() for d in range(10))
    seen_ink = page.evaluate("""() => {
        const c = document.getElementById('seen');
        const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
        let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i]; return s; }""")
    assert seen_ink > 0  # the 28x28 input the server computed is shown
    page.click("#clear")
    expect(page.locator("#digit")).to_have_text("?")


def test_the_header_shows_the_models_test_accuracy(page, lab):
    """The lab's model was trained with --validation: its test score is its result's."""
    _, info = load_model(lab["model"])
    assert info["history"][-1]["test_accuracy"] is None
    accuracy = 100 * info["result"]["test_accuracy"]
    status = page.locator("#model-status")
    expect(status).to_contain_text(f"test accuracy {accuracy:.2f}%")
    assert "null" not in status.text_content()


def test_a_validated_models_curve_is_its_validation_accuracy_named_so(page, lab):
    """--validation scores the validation set each epoch (the test set once): the Train tab
    draws those scores, and its caption says they are validation accuracies."""
    _, info = load_model(lab["model"])
    assert [h["val_accuracy"] is not None for h in info["history"]] == [True, True]
    use_tab(page, "train")
    expect(page.locator("#chart-acc")).to_have_attribute("data-points", "2")
    expect(page.locator("#chart-acc-caption")).to_have_text("Validation accuracy per epoch")
    low = float(page.locator("#chart-acc").get_attribute("data-y-min"))
    assert low <= 100 * min(h["val_accuracy"] for h in info["history"])


def test_mnist_digits_on_the_canvas_get_the_cli_prediction(page, lab, mnist_data):
    """Real test digits, loaded onto the canvas by the page itself, vs ``steepest predict``."""
    from click.testing import CliRunner
    from PIL import Image

    from steepest.cli import main
    from steepest.modelfile import load_model
    from steepest.preprocess import to_mnist

    model = served_model(page, lab, "served.npz")
    net, _ = load_model(model)
    _, (x_test, _) = mnist_data
    # Digits the network is sure about (>= 95%), one per label, so that resampling
    # on the canvas cannot tip a borderline case.
    chosen: dict[int, int] = {}
    for i in range(300):
        p = net.predict_proba(to_mnist(x_test[i]).reshape(1, 784))[0]
        if p.max() >= 0.95 and int(p.argmax()) not in chosen:
            chosen[int(p.argmax())] = i
        if len(chosen) == 6:
            break
    indices = sorted(chosen.values())
    pngs = []
    for i in indices:
        pngs.append(str(lab["dir"] / f"test-{i}.png"))
        Image.fromarray(x_test[i]).save(pngs[-1])
    result = CliRunner().invoke(main, ["predict", str(model), *pngs, "--json"])
    assert result.exit_code == 0, result.output
    cli = [r["digit"] for r in json.loads(result.output)]

    page_says = []
    for i in indices:
        page.click("#clear")
        page.fill("#digit-index", str(i))
        page.click("#load-digit")
        expect(page.locator("#draw-note")).to_contain_text(f"#{i} ")
        page_says.append(int(wait_for_prediction(page)))
    assert page_says == cli


def test_inside_the_network_shows_units_and_contributions(page):
    draw(page, [(140, 40), (140, 240)])  # a 1
    wait_for_prediction(page)
    tab(page, "inside")
    expect(page.locator("#diagram figure.unit:not(.out)")).to_have_count(15)
    expect(page.locator("#diagram figure.unit.out")).to_have_count(10)
    expect(page.locator("#diagram .unit.out svg.bars rect").first).to_be_visible()
    assert "Activations for your current drawing" in page.locator("#inside-note").text_content()


def test_tabs_work_from_the_keyboard(page):
    page.focus("#tab-draw")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-inside")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#tab-inside")).to_be_focused()
    page.keyboard.press("End")
    expect(page.locator("#panel-mistakes")).to_be_visible()


def test_perceptron_tab_shows_the_lectures_decisions_and_sliders_change_them(page):
    tab(page, "perceptron")
    heads = page.locator("#p-table thead th")
    assert heads.all_text_contents() == ["cheap", "time", "care", "w·x", "go?"]
    assert heads.nth(1).get_attribute("title") == "Do I have the time to go?"
    expect(page.locator("#panel-perceptron .note").first).to_contain_text(
        "Do I have the time to go?")
    wx = page.locator("#p-table tbody td.wx")
    expect(wx).to_have_count(8)
    assert wx.all_text_contents() == ["10", "1", "7", "4", "9", "0", "3", "6"]
    decisions = page.locator("#p-table tbody td.decision")
    goes = page.locator("#p-table tbody tr.go")
    # t = 9: "I'll only go if I'm both available and interested": w.x = 10 and 9 go.
    expect(page.locator("#p-caption")).to_have_text("w = (1, 6, 3), t = 9: go when w·x ≥ 9")
    expect(goes).to_have_count(2)
    assert decisions.all_text_contents() == ["go ✓", "stay", "stay", "stay", "go ✓", "stay",
                                             "stay", "stay"]
    assert goes.locator("td.wx").all_text_contents() == ["10", "9"]
    expect(page.locator("#p-goes")).to_have_text("Goes in 2 of 8 situations.")
    # t = 7: "I'll also go if the tickets are cheap and I'm available": w.x = 7 goes too.
    page.focus("#p-t")
    for _ in range(4):
        page.keyboard.press("ArrowLeft")  # t: 9 -> 7 in steps of 0.5
    expect(page.locator("#p-caption")).to_have_text("w = (1, 6, 3), t = 7: go when w·x ≥ 7")
    expect(goes).to_have_count(3)
    assert goes.locator("td.wx").all_text_contents() == ["10", "7", "9"]
    assert goes.nth(1).locator("td").all_text_contents()[:3] == ["yes", "yes", "no"]
    expect(page.locator("#p-goes")).to_have_text("Goes in 3 of 8 situations.")
    page.focus("#p-w0")
    for _ in range(4):
        page.keyboard.press("ArrowRight")  # w_cheap: 1 -> 3 in steps of 0.5
    expect(page.locator("#p-w0-out")).to_have_text("3")
    expect(page.locator("#p-caption")).to_contain_text("w = (3, 6, 3)")
    expect(wx.first).to_have_text("12")
    page.focus("#p-t")
    page.keyboard.press("Home")  # t = -10: everything goes
    expect(page.locator("#p-caption")).to_contain_text("t = -10")
    expect(goes).to_have_count(8)
    expect(page.locator("#p-error")).to_be_hidden()


def test_descent_runs_downhill_and_diverges_when_lambda_is_too_large(page):
    tab(page, "descent")
    expect(page.locator("#d-cost")).to_contain_text("step 0")
    page.select_option("#d-surface", "bowl")
    expect(page.locator("#d-lr")).to_have_value("0.1")
    page.click("#d-run")
    page.wait_for_function("document.getElementById('contour').dataset.steps === '30'")
    cost = page.locator("#d-cost")
    assert float(cost.get_attribute("data-cost")) < 0.01 * float(cost.get_attribute("data-start"))
    expect(page.locator("#d-table tbody tr")).to_have_count(30)
    expect(page.locator("#d-error")).to_be_hidden()
    # a new start point by clicking on the contour plot
    box = page.locator("#contour").bounding_box()
    page.mouse.click(box["x"] + 0.2 * box["width"], box["y"] + 0.3 * box["height"])
    page.wait_for_function("document.getElementById('contour').dataset.steps === '0'")
    v1, v2 = (float(page.locator(f"#d-v{k}").input_value()) for k in (1, 2))
    assert v1 < 0 < v2  # left of centre, above the middle
    page.click("#d-step")
    page.wait_for_function("document.getElementById('contour').dataset.steps === '1'")
    # lambda = 1.5 > 1: each step overshoots the bowl's floor further
    page.fill("#d-lr", "1.5")
    page.press("#d-lr", "Tab")
    page.wait_for_function("document.getElementById('contour').dataset.steps === '0'")
    page.click("#d-run")
    expect(page.locator("#d-error")).to_contain_text("Diverged")
    assert float(cost.get_attribute("data-cost")) > 100 * float(cost.get_attribute("data-start"))


def test_descent_clicks_right_after_an_edit_run_the_new_path(page):
    """Type a new λ or start, then click Run or Step: the edit's "change" starts a new path
    and the click runs it -- the click is not lost, nor applied to the old path."""
    steps = "document.getElementById('contour').dataset.steps === '{}'"
    first_row = page.locator("#d-table tbody tr").first.locator("td")
    tab(page, "descent")
    expect(page.locator("#d-cost")).to_contain_text("step 0")
    page.select_option("#d-surface", "bowl")  # C = v1² + v2², from (2.5, -2) with λ = 0.1
    page.click("#d-run")
    page.wait_for_function(steps.format(30))
    page.click("#d-step")
    page.wait_for_function(steps.format(31))
    page.fill("#d-lr", "0.05")  # typed, and straight to Run: the click ends the edit
    page.click("#d-run")
    page.wait_for_function(steps.format(30))
    expect(first_row.nth(1)).to_have_text("2.25")  # v1 = 2.5 - 0.05 * 2 * 2.5
    expect(first_row.nth(2)).to_have_text("-1.8")  # v2 = -2 - 0.05 * 2 * -2
    page.fill("#d-v1", "-1.5")
    page.click("#d-step")
    page.wait_for_function(steps.format(1))
    expect(first_row.nth(1)).to_have_text("-1.35")  # from the new start
    expect(page.locator("#d-table tbody tr")).to_have_count(1)


def test_mistakes_gallery_loads_a_digit_into_draw(page):
    tab(page, "mistakes")
    cards = page.locator("#mistakes button.mistake")
    expect(cards.first).to_be_visible()
    assert cards.count() == 24
    expect(page.locator("#mistakes-summary")).to_contain_text("test digits wrong")
    index = cards.first.get_attribute("data-index")
    cards.first.click()
    expect(page.locator("#tab-draw")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#draw-note")).to_contain_text(f"Test digit #{index}")
    wait_for_prediction(page)


def test_bad_requests_show_the_servers_message(console_page, lab):
    page, console = console_page
    for status, path in ((400, "/api/train"), (400, "/api/descent"), (404, "/api/digits/12345"),
                         (400, "/api/predict"), (413, "/api/predict"), (404, "/api/nowhere"),
                         (405, "/api/predict")):
        console.allow_http(status, path)  # each asked for below
    tab(page, "train")
    page.fill("#t-hidden", "15,x")
    page.click("#train-start")
    expect(page.locator("#train-error")).to_contain_text(
        "Hidden layer sizes must be comma-separated integers")  # the field's label, not its key
    expect(page.locator("#train-error")).to_have_attribute(
        "data-detail", re.compile(r"^hidden must be comma-separated integers"))
    tab(page, "descent")
    expect(page.locator("#d-cost")).to_contain_text("step 0")
    page.fill("#d-lr", "0")
    page.press("#d-lr", "Tab")
    expect(page.locator("#d-error")).to_contain_text("Type a learning rate λ above 0")
    expect(page.locator("#d-error")).to_have_attribute(  # the server's message, for developers
        "data-detail", re.compile(re.escape("learning_rate must be in (0, 10]")))
    tab(page, "draw")
    page.fill("#digit-index", "12345")
    page.click("#load-digit")  # refused by the page, which knows the range: no request
    expect(page.locator("#draw-note")).to_contain_text("type a number from 0 to 9999")
    answers = page.evaluate("""async () => {
        const out = [], headers = {'Content-Type': 'application/json'};
        for (const [path, init] of [
            ['/api/predict', {method: 'POST', headers, body: '{"pixels": [0.5,'}],
            ['/api/predict', {method: 'POST', headers, body: JSON.stringify({pixels: [2, 0.5]})}],
            ['/api/predict', {method: 'POST', headers, body: 'x'.repeat(3 * 1024 * 1024)}],
            ['/api/nowhere', {}],
            ['/api/predict', {method: 'GET'}]]) {
            const r = await fetch(path, init);
            out.push([r.status, (await r.json()).error]);
        }
        return out; }""")
    assert [status for status, _ in answers] == [400, 400, 413, 404, 405]
    assert "malformed JSON" in answers[0][1] and "wrong pixel count" in answers[1][1]
    # ... and the lab goes on working
    draw(page, [(140, 40), (140, 240)])
    wait_for_prediction(page)


def test_training_in_the_page_grows_the_curve_and_switches_the_model(page, lab):
    version = int(page.locator("#model-status").get_attribute("data-version"))
    tab(page, "train")
    page.evaluate("""() => {  // record every value the loss chart's point count takes
        window.__points = [];
        const c = document.getElementById('chart-loss');
        new MutationObserver(() => window.__points.push(c.dataset.points))
            .observe(c, {attributes: true, attributeFilter: ['data-points']}); }""")
    page.fill("#t-hidden", "12")
    page.fill("#t-epochs", "3")
    page.select_option("#t-limit", "2000")
    page.click("#train-start")
    expect(page.locator("#train-status")).to_have_attribute("data-state", "done", timeout=90_000)
    points = page.evaluate("window.__points")
    assert [p for p in ["1", "2", "3"] if p in points] == ["1", "2", "3"], points
    assert points.index("1") < points.index("2") < points.index("3")
    expect(page.locator("#train-weights canvas")).to_have_count(12)
    expect(page.locator("#train-weights-epoch")).to_contain_text("after epoch 3")
    status = page.locator("#model-status")
    expect(status).to_have_attribute("data-version", str(version + 1))
    expect(status).to_contain_text("784 -> 12 sigmoid -> 10 softmax")
    expect(page.locator("#train-start")).to_be_enabled()
    # the Draw tab now asks the new model
    tab(page, "draw")
    page.fill("#digit-index", "0")
    page.click("#load-digit")
    wait_for_prediction(page)
    expect(page.locator("#digit")).to_have_attribute("data-model-version", str(version + 1))
    tab(page, "inside")
    expect(page.locator("#diagram figure.unit:not(.out)")).to_have_count(12)
    # and it can be downloaded
    net, _ = load_model(served_model(page, lab, "trained.npz"))
    assert net.sizes == (784, 12, 10)


def test_switching_back_to_an_earlier_model(page, lab):
    """After the training test: two models kept; the header switches, the Draw tab follows."""
    expect(page.locator("#model-pick")).to_be_visible()  # shown from two models on
    versions = [int(v) for v in page.locator("#model-select option").evaluate_all(
        "options => options.map(o => o.value)")]
    assert len(versions) >= 2, "the training test should have added a model"
    first, latest = versions[0], versions[-1]
    expect(page.locator("#model-select")).to_have_value(str(latest))
    draw_model, chosen = page.locator("#draw-model"), page.locator("#model-select option:checked")
    expect(draw_model).to_have_text(f"Asking model v{latest}.")
    expect(chosen).to_contain_text(f"v{latest}: 784 -> 12 sigmoid")  # the one description
    page.fill("#digit-index", "3")
    page.click("#load-digit")
    expect(page.locator("#digit")).to_have_attribute("data-model-version", str(latest))

    page.select_option("#model-select", str(first))
    expect(page.locator("#model-status")).to_have_attribute("data-version", str(first))
    expect(draw_model).to_have_text(f"Asking model v{first}.")
    expect(chosen).to_contain_text(f"v{first}: 784 -> 15 sigmoid")
    expect(chosen).to_contain_text("lecture.npz")
    # the drawing on the pad is asked again, of the model now served
    expect(page.locator("#digit")).to_have_attribute("data-model-version", str(first))
    assert served_model(page, lab, "switched.npz").read_bytes() == lab["model"].read_bytes()
    tab(page, "inside")
    expect(page.locator("#diagram figure.unit:not(.out)")).to_have_count(15)

    page.select_option("#model-select", str(latest))
    expect(page.locator("#model-status")).to_have_attribute("data-version", str(latest))
    tab(page, "draw")
    expect(page.locator("#digit")).to_have_attribute("data-model-version", str(latest))


def test_a_page_joining_a_running_job_shows_it_without_errors(console_page, lab):
    """Reload while a job trains: the replayed events (the first without its weight images,
    which the server keeps only for the latest epoch) draw the job, and nothing throws."""
    page, _ = console_page
    tab(page, "train")
    page.fill("#t-hidden", "9")
    page.fill("#t-epochs", "60")
    page.select_option("#t-limit", "2000")
    page.click("#train-start")
    # the new job's curve (the page showed the last job's until now), three epochs or more
    expect(page.locator("#train-status")).to_have_attribute("data-state", "running")
    expect(page.locator("#chart-loss")).to_have_attribute(
        "data-points", re.compile(r"^([3-9]|\d\d)$"), timeout=90_000)
    try:
        page.reload()
        expect(page.locator("#tab-train")).to_have_attribute("aria-selected", "true")
        # the latest weight images: an epoch's, or at the page's pace a frame's
        expect(page.locator("#train-weights-epoch")).to_contain_text(
            re.compile(r"after epoch \d+|epoch \d+, batch \d+ of"))
        expect(page.locator("#train-weights canvas")).to_have_count(9)
        assert int(page.locator("#chart-loss").get_attribute("data-points")) >= 3
        expect(page.locator("#train-cancel")).to_be_enabled()
    finally:
        page.click("#train-cancel")
        expect(page.locator("#train-status")).to_have_attribute("data-state", "cancelled",
                                                                timeout=30_000)


def test_without_a_model_the_page_shows_training_then_predicts(browser, tmp_path):
    """``steepest serve`` with no model: the lecture's network trains first, the page shows it."""
    from steepest.web.trainer import JobSpec

    spec = JobSpec(TrainConfig(epochs=40), train_limit=5000)  # the default run, on less data
    app = create_app(None, startup_spec=spec, work_dir=tmp_path)
    with serving(app) as url, open_page(browser, url + "#train") as (page, _):
        expect(page.locator("#model-status")).to_contain_text("No model yet")
        expect(page.locator("#train-status")).to_contain_text("Epoch")
        expect(page.locator("#model-status")).to_contain_text("Model v1", timeout=90_000)
        expect(page.locator("#chart-loss")).to_have_attribute("data-points", "40")
        tab(page, "draw")
        expect(page.locator("#draw-model")).to_have_text("Asking model v1.")
        expect(page.locator("#model-select option:checked")).to_contain_text("v1: 784 -> 15")
        draw(page, [(140, 40), (140, 240)])
        wait_for_prediction(page)


def test_a_blank_drawing_asks_for_a_digit(page):
    expect(page.locator("#confidence")).to_have_text("Draw a digit.")  # nothing drawn yet
    draw(page, [(140, 40), (140, 240)])
    wait_for_prediction(page)
    # paint the whole pad black: one gray level everywhere is no digit either
    draw(page, *[[(0, y), (280, y)] for y in range(0, 281, 10)])
    expect(page.locator("#confidence")).to_have_text("Draw a digit.")
    expect(page.locator("#digit")).to_have_text("?")
    expect(page.locator("#probs li.best")).to_have_count(0)
    page.click("#clear")
    expect(page.locator("#confidence")).to_have_text("Draw a digit.")


def test_train_form_errors_show_where_the_user_looks(console_page):
    page, console = console_page
    console.allow_http(400, "/api/train")
    tab(page, "train")
    page.fill("#t-epochs", "1000")
    page.click("#train-start")
    error = page.locator("#train-error")
    expect(error).to_contain_text("Epochs must be between 1 and 100")
    box = error.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= 800, box  # in sight at 1280x800
    expect(page.locator("#t-epochs")).to_have_attribute("aria-invalid", "true")
    status = page.locator("#train-status")
    expect(status).to_have_attribute("data-state", "refused")
    expect(status).to_contain_text("Not started: Epochs must be between")


def test_an_empty_train_field_is_named_by_its_label_in_plain_words(console_page):
    """The server says "learning_rate must be a number, got null"; the learner reads the
    box's own label and what is wrong with it, and the server's words stay in data-detail."""
    page, console = console_page
    console.allow_http(400, "/api/train")
    tab(page, "train")
    page.fill("#t-lr", "")
    page.click("#train-start")
    error = page.locator("#train-error")
    expect(error).to_have_text("Learning rate λ must be a number: its box is empty.")
    expect(error).to_have_attribute("data-detail", "learning_rate must be a number, got null")
    expect(page.locator("#t-lr")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#train-status")).to_have_text(
        "Not started: Learning rate λ must be a number: its box is empty.")


def test_every_tab_is_reachable_on_a_phone(browser, lab):
    with open_page(browser, lab["url"], "phone") as (page, _):
        expect(page.locator("#model-status")).to_contain_text("Model v")
        for name in TABS:
            use_tab(page, name)
            for other in TABS:
                box = page.locator(f"#tab-{other}").bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, other, box)
                assert box["y"] >= 0 and box["y"] + box["height"] <= 844, (name, other, box)
            width = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
            assert width[0] <= width[1], (name, width)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_tab_meets_wcag_2_aa_by_axe(browser, lab, viewport):
    script = axe_script()
    with open_page(browser, lab["url"], viewport) as (page, _):
        expect(page.locator("#model-status")).to_contain_text("Model v")
        found = {}
        for name in TABS:
            use_tab(page, name)
            found[name] = axe_violations(page, script)
    assert found == {name: [] for name in TABS}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_screenshots_of_every_tab(browser, lab, viewport):
    """Each tab in use, at 1280x800 and phone size, saved to artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob(f"{viewport}-*.png"):  # count only what this run writes
        old.unlink()
    with open_page(browser, lab["url"], viewport) as (page, _):
        expect(page.locator("#model-status")).to_contain_text("Model v")
        for name in TABS:
            use_tab(page, name)
            page.screenshot(path=SCREENSHOTS / f"{viewport}-{name}.png", full_page=True)
    written = sorted(p.name for p in SCREENSHOTS.glob(f"{viewport}-*.png"))
    assert written == sorted(f"{viewport}-{name}.png" for name in TABS)
