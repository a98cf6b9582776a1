"""Inside the network, contrast and phones: headless Chromium against the real server.

What a learner sees in the Inside tab (the most active units for the drawing, each
unit's details on hover and keyboard focus, readable at 390 px), and the contrast
of what the page draws, *measured* in the page: the computed colours of every
control's border and of the Inside view's text, and the colours the canvases
draw with (style.css's ``--plot-*`` properties, which the JS reads), against
WCAG 2.1's 1.4.11 (3:1 for a control's boundary) and 1.4.3 (4.5:1 for text).

Same set-up as ``test_web_browser.py``: Debian's Chromium via playwright; any
console error fails a test; without Chromium these tests skip, and under
``CI=true`` they fail instead.
"""

from __future__ import annotations

import json
import re

import pytest

from requires import BROWSER, require

require(BROWSER, chromium=True)  # skipped without them; under CI=true, failed

from playwright.sync_api import Page, expect  # noqa: E402

import test_web_browser as shared  # noqa: E402
from browser_support import (  # noqa: E402
    TABS,
    open_page,
    serving,
    tab,
    use_tab,
    wait_for_prediction,
)
from steepest.web.app import create_app  # noqa: E402

lab = shared.lab  # the same fixture: the lecture's network (Chromium: conftest's browser)

#: WCAG 2.1 AA: text (1.4.3) and a control's boundary or a graph's lines (1.4.11).
TEXT, NON_TEXT = 4.5, 3.0

#: Colour maths in the page: parse a computed colour, relative luminance, contrast
#: ratio, and the opaque colour behind an element (its ancestors' backgrounds laid
#: one on another, from the page's white up).
COLOUR_JS = """
window.__c = (() => {
  const parse = (s) => { const m = s.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const v = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
  const over = (top, below) => top.slice(0, 3).map((c, i) => c * top[3] + below[i] * (1 - top[3]));
  const lum = (rgb) => { const [r, g, b] = rgb.map((c) => { c /= 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)];
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const behind = (el) => { const chain = [];
    for (let e = el; e; e = e.parentElement) chain.unshift(e);
    let rgb = [255, 255, 255];
    for (const e of chain) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) rgb = over(c, rgb); }
    return rgb; };
  const prop = (name) => { const probe = document.createElement('i');
    probe.style.color = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    document.body.appendChild(probe); const c = parse(getComputedStyle(probe).color);
    probe.remove(); return probe.style.color ? c : null; };
  return { parse, over, lum, ratio, behind, prop };
})();
"""

#: A label drawn on the contour canvas, inside box [x, y, w, h]: its background is the
#: box's most common colour, its text the pixel that differs most from it; their ratio.
LABEL_CONTRAST_JS = """([x, y, w, h]) => {
  const d = document.getElementById('contour').getContext('2d')
    .getImageData(x + 1, y + 1, w - 2, h - 2).data;
  const px = [], count = {};
  for (let i = 0; i < d.length; i += 4) px.push([d[i], d[i + 1], d[i + 2]]);
  px.forEach((p) => { count[p] = (count[p] || 0) + 1; });
  const common = Object.entries(count).sort((a, b) => b[1] - a[1])[0][0];
  const bg = common.split(',').map(Number);
  return Math.max(...px.map((p) => __c.ratio(p, bg)));
}"""


def ready(page: Page) -> Page:
    expect(page.locator("#model-status")).to_contain_text("Model v")
    page.evaluate(COLOUR_JS)
    return page


# -- contrast ----------------------------------------------------------------------------


def control_borders(page: Page) -> list[dict]:
    """Every visible, enabled input, select and button with a border, and the drawing pad
    and the Inside tab's units: the border's contrast with the colour around it (text-only
    buttons, such as the tabs, have none)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll(
            'input, select, button, #pad, #diagram .unit'))
        .filter((el) => el.checkVisibility() && !el.disabled)
        .flatMap((el) => {
          const s = getComputedStyle(el), border = __c.parse(s.borderTopColor);
          const none = parseFloat(s.borderTopWidth) === 0 || s.borderTopStyle === 'none';
          if (none || !border[3]) return [];
          const around = __c.behind(el.parentElement);
          return [{ control: el.id || `${el.tagName.toLowerCase()}.${el.className.split(' ')[0]}`,
                    ratio: __c.ratio(__c.over(border, around), around) }];
        })""")


def test_every_controls_border_has_3_to_1_contrast_in_every_tab(browser, lab):
    with open_page(browser, lab["url"]) as (page, _):
        ready(page)
        measured = {}
        for name in TABS:
            use_tab(page, name)
            for m in control_borders(page):  # the lowest of those that share a name
                measured[m["control"]] = min(round(m["ratio"], 2), measured.get(m["control"], 99))
    assert {"digit-index", "pad", "figure.unit", "t-hidden", "t-activation", "d-lr", "d-surface",
            "clear", "d-step"} <= set(measured), measured  # it saw the controls it is about
    low = {control: ratio for control, ratio in measured.items() if ratio < NON_TEXT}
    assert not low, f"borders below 3:1 (measured {measured})"


def test_plot_colours_the_canvases_use_meet_wcag(browser, lab):
    """The colours the charts and the contour plot draw with are style.css's properties:
    labels 4.5:1 on the chart's white and on the label's chip, axes 3:1."""
    with open_page(browser, lab["url"]) as (page, _):
        ready(page)
        colours = page.evaluate("""() => Object.fromEntries(['--plot-label', '--plot-label-bg',
            '--plot-axis'].map((n) => [n, __c.prop(n)]))""")
        assert all(colours.values()), colours  # every property is set
        white = [255, 255, 255]
        ratio = lambda a, b: page.evaluate("([a, b]) => __c.ratio(a, b)", [a, b])  # noqa: E731
        assert ratio(colours["--plot-label"], white) >= TEXT
        assert ratio(colours["--plot-label"], colours["--plot-label-bg"]) >= TEXT
        assert ratio(colours["--plot-axis"], white) >= NON_TEXT


def test_contour_labels_measured_on_the_canvas_have_4_5_to_1_contrast(browser, lab):
    """The axis labels drawn over the colour bands, read back from the canvas's pixels:
    the darkest pixel of each label against the colour around it."""
    with open_page(browser, lab["url"]) as (page, _):
        ready(page)
        use_tab(page, "descent")
        for surface in page.locator("#d-surface option").evaluate_all(
                "os => os.map((o) => o.value)"):
            page.select_option("#d-surface", surface)
            expect(page.locator("#d-cost")).to_contain_text("step 0")
            boxes = page.locator("#contour").get_attribute("data-label-boxes")
            assert boxes, "the contour plot does not say where it drew its labels"
            boxes = json.loads(boxes)
            assert len(boxes) == 3
            for box in boxes:
                measured = page.evaluate(LABEL_CONTRAST_JS, box)
                assert measured >= TEXT, (surface, box, measured)


def test_inside_text_has_4_5_to_1_contrast(browser, lab):
    """Every piece of text in the Inside view, the outputs' digits and percentages
    included, against the colour behind it, for a digit the network is sure of."""
    with open_page(browser, lab["url"]) as (page, _):
        ready(page)
        use_tab(page, "draw")  # test digit 0, a 7 the network is sure of
        tab(page, "inside")
        expect(page.locator("#diagram .unit.out").first).to_be_visible()
        measured = page.evaluate("""() => Array.from(document.querySelectorAll('#diagram *'))
            .filter((el) => el.checkVisibility() && Array.from(el.childNodes).some(
                (n) => n.nodeType === 3 && n.textContent.trim()))
            .map((el) => { const c = __c.parse(getComputedStyle(el).color), bg = __c.behind(el);
                return [el.textContent.trim().slice(0, 20), __c.ratio(__c.over(c, bg), bg)]; })""")
    assert len(measured) >= 20, measured  # the outputs' digits and probabilities at least
    low = [(text, round(r, 2)) for text, r in measured if r < TEXT]
    assert not low, low


# -- inside the network ------------------------------------------------------------------


def show_test_digit(page: Page, index: int) -> None:
    """Test digit ``index`` loaded in the Draw tab, then the Inside tab for it."""
    tab(page, "draw")
    page.fill("#digit-index", str(index))
    page.click("#load-digit")
    expect(page.locator("#draw-note")).to_contain_text(f"#{index} ")
    wait_for_prediction(page)
    tab(page, "inside")
    expect(page.locator("#diagram .unit.out").first).to_be_visible()


def shown_units(page: Page, layer: int, units: str = "") -> list[int]:
    """The units of layer ``layer`` (0: the first hidden, 1: the outputs), or those that
    selector ``units`` finds, as shown from left to right: hidden units 0-based, outputs by
    digit, read from the names that the page gives them."""
    units = units or ("#diagram .unit.out" if layer else "#diagram .unit:not(.out)")
    names = page.locator(units).evaluate_all("us => us.map((u) => u.getAttribute('aria-label'))")
    found = [re.match(r"(hidden unit #?|output )(\d+)", name) for name in names]
    return [int(m[2]) - (0 if m[1] == "output " else 1) for m in found]


def test_the_most_active_hidden_units_come_first_with_their_activation(browser, lab):
    with open_page(browser, lab["url"]) as (page, _):
        ready(page)
        show_test_digit(page, 3)  # a 0
        hidden = page.evaluate("window.lab.state.lastPredict.hidden[0]")
        shown = shown_units(page, 0)
        assert sorted(shown) == list(range(15))
        in_order = [hidden[j] for j in shown]  # the Draw tab's activations, 4 decimals
        assert in_order == sorted(in_order, reverse=True), in_order
        assert in_order[0] > 0.5 > in_order[-1]  # the drawing excites some units, not others
        first = page.locator('#diagram .layer[data-layer="0"] .unit').first
        expect(first.locator("figcaption")).to_have_text(f"#{shown[0] + 1} a = {in_order[0]:.2f}")
        heading = page.locator('#diagram .layer[data-layer="0"] h3')
        expect(heading).to_contain_text("all 15 sigmoid units, most active first")
        expect(heading).to_contain_text("aⱼ = σ(zⱼ)")
        probs = page.evaluate("window.lab.state.lastPredict.probabilities")
        digits = shown_units(page, 1)
        assert sorted(digits) == list(range(10))
        assert [probs[d] for d in digits] == sorted(probs, reverse=True)
        assert digits[0] == int(page.locator("#digit").text_content())


def test_outputs_show_each_hidden_units_contribution_as_bars(browser, lab):
    """Not weight images: 15 bars per output, one per hidden unit, red up or blue down."""
    with open_page(browser, lab["url"]) as (page, _):
        ready(page)
        show_test_digit(page, 0)
        outputs = page.locator("#diagram .unit.out")
        expect(outputs).to_have_count(10)
        assert outputs.locator("canvas").count() == 0
        for k in range(10):
            expect(outputs.nth(k).locator("svg.bars rect")).to_have_count(15)
        kinds = outputs.first.locator("svg.bars rect").evaluate_all(
            "rs => rs.map((r) => r.getAttribute('class'))")
        assert set(kinds) <= {"up", "down"} and "up" in kinds
        legend = page.locator('#diagram .layer[data-layer="1"] .legend')
        expect(legend).to_contain_text("contribution aⱼ·Wⱼₖ")
        expect(page.locator('#diagram .layer[data-layer="0"] .legend')).to_contain_text(
            "ink on that pixel raises zⱼ")


def test_hovering_a_unit_shows_why_it_has_its_z(browser, lab):
    with open_page(browser, lab["url"]) as (page, _):
        ready(page)
        show_test_digit(page, 0)
        view = page.evaluate("""() => fetch('/api/inside', {method: 'POST',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({input: window.lab.state.lastPredict.input.flat()})})
            .then((r) => r.json())""")
        hidden, out = view["layers"]
        details = page.locator('#diagram .layer[data-layer="0"] .details')
        page.locator('#diagram .layer[data-layer="0"] .unit').nth(2).hover()
        j = hidden["shown"][2]
        expect(details).to_have_attribute("data-unit", str(j))
        expect(details).to_contain_text(f"hidden unit #{j + 1} of layer 1 (rank 3)")
        up, down = hidden["ink"][2]
        expect(details).to_contain_text(f"ink on red pixels +{up:.3g}")
        expect(details.locator("canvas")).to_have_count(2)  # its weights, and weights x ink
        page.locator("#diagram .unit.out").nth(1).hover()
        out_details = page.locator('#diagram .layer[data-layer="1"] .details')
        expect(out_details).to_contain_text(f"output {out['shown'][1]} (rank 2)")
        expect(out_details).to_contain_text("Largest contributions aⱼ·Wⱼₖ")
        expect(out_details.locator("li")).to_have_count(5)


def test_inside_works_from_the_keyboard_alone(browser, lab):
    """Tabs, a test digit, the units: arrows move between units, each showing its details,
    with a focus ring of 3:1 against the page."""
    with open_page(browser, lab["url"]) as (page, _):
        ready(page)
        page.focus("#tab-draw")
        page.keyboard.press("ArrowRight")
        expect(page.locator("#panel-inside")).to_be_visible()
        page.keyboard.press("Tab")  # the panel's first control
        expect(page.locator("#inside-digit")).to_be_focused()
        page.keyboard.press("Control+A")
        page.keyboard.type("7")
        page.keyboard.press("Enter")
        expect(page.locator("#diagram")).to_have_attribute("data-state", "drawing")
        expect(page.locator("#draw-note")).to_contain_text("#7 ")
        page.keyboard.press("Tab")  # the Show button
        page.keyboard.press("Tab")  # the units: one Tab stop
        units = page.locator('#diagram .layer[data-layer="0"] .unit')
        expect(units.first).to_be_focused()
        page.keyboard.press("ArrowRight")
        expect(units.nth(1)).to_be_focused()
        details = page.locator('#diagram .layer[data-layer="0"] .details')
        expect(details).to_have_attribute("data-unit", units.nth(1).get_attribute("data-unit"))
        ring = page.evaluate("""() => { const u = document.activeElement, s = getComputedStyle(u);
            return [s.outlineStyle, parseFloat(s.outlineWidth),
                    __c.ratio(__c.parse(s.outlineColor), __c.behind(u.parentElement))]; }""")
        assert ring[0] == "solid" and ring[1] >= 2 and ring[2] >= NON_TEXT, ring
        page.keyboard.press("ArrowDown")
        outputs = page.locator("#diagram .unit.out")
        expect(outputs.nth(1)).to_be_focused()
        page.keyboard.press("End")
        expect(outputs.nth(9)).to_be_focused()
        expect(page.locator('#diagram .layer[data-layer="1"] .details')).to_have_attribute(
            "data-unit", outputs.nth(9).get_attribute("data-unit"))
        page.keyboard.press("Tab")  # out of the units: one Tab stop, not 25
        expect(page.locator("#diagram .unit:focus")).to_have_count(0)


def test_inside_is_readable_on_a_phone(browser, lab):
    """At 390 px: nothing sticks out sideways, weight images and bars are >= 64 CSS px,
    text is >= 12 px."""
    with open_page(browser, lab["url"], "phone") as (page, _):
        ready(page)
        show_test_digit(page, 0)
        sizes = page.evaluate("""() => {
            const q = (s) => Array.from(document.querySelectorAll(s));
            const widths = (s) => q(s).map((e) => e.getBoundingClientRect().width);
            return { page: [document.scrollingElement.scrollWidth, innerWidth],
                     right: Math.max(...q('#diagram *').map(
                        (e) => e.getBoundingClientRect().right)),
                     images: widths('#diagram .unit .wimg'), bars: widths('#diagram .unit .bars'),
                     text: Math.min(...q('#diagram figcaption, #diagram .details p').map(
                        (e) => parseFloat(getComputedStyle(e).fontSize))) }; }""")
    assert sizes["page"][0] <= sizes["page"][1] and sizes["right"] <= 390, sizes
    assert len(sizes["images"]) == 15 and min(sizes["images"]) >= 64, sizes["images"]
    assert len(sizes["bars"]) == 10 and min(sizes["bars"]) >= 64, sizes["bars"]
    assert sizes["text"] >= 12, sizes


@pytest.fixture(scope="module")
def wide_lab(tmp_path_factory):
    """A server for an untrained 784-40-30-10 ReLU network: wider layers than the page shows."""
    import numpy as np

    from steepest.modelfile import save_model
    from steepest.network import Network

    directory = tmp_path_factory.mktemp("wide")
    model = directory / "wide.npz"
    save_model(model, Network((784, 40, 30, 10), "relu", init="he", rng=np.random.default_rng(0)))
    with serving(create_app(model, work_dir=directory / "jobs")) as url:
        yield {"url": url}


def test_a_wide_layer_shows_its_16_most_active_units_and_bars_for_the_rest(browser, wide_lab):
    with open_page(browser, wide_lab["url"]) as (page, _):
        ready(page)
        show_test_digit(page, 0)
        first, second = (page.locator(f'#diagram .layer[data-layer="{i}"]') for i in (0, 1))
        expect(first.locator("h3")).to_contain_text("the 16 most active of 40 relu units")
        expect(first.locator("h3")).to_contain_text("aⱼ = max(0, zⱼ)")
        hidden = page.evaluate("window.lab.state.lastPredict.hidden[0]")
        shown = shown_units(page, 0, '#diagram .layer[data-layer="0"] .unit')
        assert len(shown) == 16
        assert min(hidden[j] for j in shown) >= max(hidden[j] for j in set(range(40)) - set(shown))
        expect(first.locator(".unit canvas.wimg")).to_have_count(16)
        # the second hidden layer: contributions, not weight images; a gray bar for the
        # 24 units of the first that are not shown
        expect(second.locator("h3")).to_contain_text("the 16 most active of 30 relu units")
        expect(second.locator(".unit canvas")).to_have_count(0)
        expect(second.locator(".unit").first.locator("svg.bars rect")).to_have_count(17)
        expect(second.locator(".unit").first.locator("svg.bars rect.rest")).to_have_count(1)
        expect(second.locator(".legend")).to_contain_text("the last, gray bar: the units not shown")
        second.locator(".unit").first.hover()
        expect(second.locator(".details")).to_contain_text("the other 24 units:")
        expect(page.locator("#diagram .unit.out").first.locator("svg.bars rect")).to_have_count(17)
