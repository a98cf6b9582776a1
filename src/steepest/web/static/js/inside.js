// The Inside the network tab: the current drawing through the network, layer by
// layer (POST /api/inside).  Each layer shows its most active units first.  A
// first-layer unit shows its weight image (one weight per pixel: red positive,
// blue negative); a later unit, whose weights are not a picture of anything,
// shows bars: the contribution a_j·W_jk of each unit j before it.  Each layer's
// details box says why its selected unit has its z and a; hovering or focusing
// a unit selects it (Tab into the units, then the arrow keys move).

import { api } from "./api.js";
import { plainWords, say } from "./messages.js";
import { loadTestDigit, onPrediction } from "./draw.js";
import { modelName, onModelChange } from "./model.js";
import { $, fmt, pct } from "./page.js";
import { drawGray, drawWeights } from "./pictures.js";
import { state } from "./state.js";
import { whenShown } from "./tabs.js";

const svgNS = "http://www.w3.org/2000/svg";
// a = f(z) for each activation, as the page writes it, for z named `z`
const F = { sigmoid: (z) => `σ(${z})`, tanh: (z) => `tanh(${z})`, relu: (z) => `max(0, ${z})`,
  softplus: (z) => `log(1 + exp(${z}))`, identity: (z) => z, softmax: (z) => `softmax(${z})` };
const f = (activation, z = "z") => (F[activation] || ((v) => `${activation}(${v})`))(z);

let asked = 0;       // requests sent: the answer to an older one is dropped
let view = null;     // POST /api/inside's answer for the current drawing
let input = null;    // the 784 gray levels it is for
let viewFor = null;  // the prediction (state.lastPredict) it is for
let at = [0, 0];     // [layer, position] of the unit that takes the keyboard focus

async function renderInside() {
  const note = $("inside-note"), box = $("diagram");
  const pred = state.lastPredict;
  const ticket = ++asked;
  if (pred && pred.model_version !== state.modelVersion) { // draw.js is asking the new model
    say(note, `Asking ${modelName(state.modelVersion)} about your drawing…`);
    return;
  }
  if (!pred) {
    view = viewFor = null;
    say(note, "Draw a digit in the Draw tab, or show a test digit here, "
      + "to see which units it excites.");
    box.replaceChildren();
    box.dataset.state = "empty";
    return;
  }
  if (viewFor === pred && box.dataset.state === "drawing") return; // shown already
  try {
    const x = pred.input.flat();
    const answer = await api("/api/inside", { method: "POST", body: { input: x } });
    if (ticket !== asked) return;
    view = answer; input = x; viewFor = pred;
  } catch (err) {
    if (ticket === asked) {
      say(note, plainWords(err) || "The network cannot be shown for this drawing: draw it again.", err);
    }
    return;
  }
  // the heading names the model; its description is in the header's picker, once
  say(note, "Activations for your current drawing, most active units first.");
  const hadFocus = box.contains(document.activeElement);
  box.replaceChildren(inputRow(), ...view.layers.map(layerRow));
  box.dataset.state = "drawing";
  view.layers.forEach((_, li) => select(li, 0));
  at = [Math.min(at[0], view.layers.length - 1), 0];
  moveFocus(at, hadFocus);
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function inputRow() {
  const row = el("section", "layer");
  row.append(el("h3", "", "Input x: the 28×28 image the network saw (784 gray levels, ink bright)"));
  const c = el("canvas", "pixelated input-image");
  c.setAttribute("role", "img");
  c.setAttribute("aria-label", "The 28 by 28 input");
  drawGray(c, input);
  row.append(c);
  return row;
}

// One layer: heading, legend, its shown units and the details box of the selected one.
function layerRow(layer, li) {
  const row = el("section", "layer");
  row.dataset.layer = String(li);
  const n = layer.shown.length;
  const which = n < layer.units ? `the ${n} most active of ${layer.units}` : `all ${layer.units}`;
  const [i, j] = li === 0 ? ["ᵢ", "ⱼ"] : ["ⱼ", "ₖ"]; // x or a of the layer before, this layer
  const z = `z${j} = Σ${i} ${li === 0 ? "x" : "a"}${i}·W${i}${j} + b${j}`;
  const fj = f(layer.activation, `z${j}`);
  row.append(el("h3", "", layer.output
    ? `Output: ${layer.units} digits, most probable first · p${j} = ${fj}, ${z}`
    : `Hidden layer ${layer.layer}: ${which} ${layer.activation} units, most active first · `
      + `a${j} = ${fj}, ${z}`));
  row.append(legend(layer, li));
  const units = el("div", "units");
  const top = Math.max(1e-12, ...(layer.contributions
    ? layer.contributions.flat().concat(layer.rest).map(Math.abs) : [0]));
  const aMax = Math.max(1, ...layer.a.map(Math.abs));
  layer.shown.forEach((_, k) => units.append(unitFigure(layer, li, k, top, aMax)));
  row.append(units);
  const details = el("div", "details");
  details.setAttribute("aria-live", "polite");
  row.append(details);
  return row;
}

function legend(layer, li) {
  const p = el("p", "legend");
  if (li === 0) {
    const scale = el("span", "scale"), bar = el("span", "colourbar");
    bar.setAttribute("aria-hidden", "true");
    scale.append(el("span", "neg", "−"), bar, el("span", "pos", "+"));
    p.append(el("span", "", "Weight image, one weight Wᵢⱼ per pixel i:"), scale,
      el("span", "", "red: Wᵢⱼ > 0, ink on that pixel raises zⱼ; blue: Wᵢⱼ < 0, ink there lowers "
        + "it; white: near 0 (each image scaled to its largest |W|). Full colour where your drawing "
        + "has ink, pale where it has none: those pixels add nothing to zⱼ."));
  } else {
    const prev = view.layers[li - 1];
    const rest = prev.shown.length < prev.units ? "; the last, gray bar: the units not shown" : "";
    p.textContent = `Bars: each unit j of the layer above, in its order, and its contribution `
      + `aⱼ·Wⱼₖ to this unit's zₖ (red up raises it, blue down lowers it${rest}).`;
  }
  return p;
}

// Unit k of the layer's shown units: weight image or contribution bars, name and activation.
function unitFigure(layer, li, k, top, aMax) {
  const j = layer.shown[k], a = layer.a[k];
  const fig = el("figure", layer.output ? "unit out" : "unit");
  Object.assign(fig.dataset, { layer: String(li), pos: String(k), unit: String(j) });
  fig.tabIndex = -1;
  if (layer.weights) {
    const c = el("canvas", "pixelated wimg");
    drawWeights(c, layer.weights[k], layer.image_shape, input);
    fig.append(c);
  } else {
    fig.append(bars(layer, li, k, top));
  }
  const level = el("span", "level");
  level.append(el("span"));
  level.firstChild.style.width = `${(100 * Math.abs(a) / aMax).toFixed(1)}%`;
  const cap = el("figcaption");
  cap.append(el("b", "", layer.output ? String(j) : `#${j + 1}`),
    ` ${layer.output ? pct(a) : `a = ${Math.abs(a) < 100 ? a.toFixed(2) : fmt(a, 2)}`}`);
  fig.append(level, cap);
  fig.setAttribute("aria-label", `${unitName(layer, j)}, rank ${k + 1}: `
    + (layer.output ? `probability ${pct(a)}` : `activation ${fmt(a, 3)}`));
  fig.addEventListener("mouseenter", () => select(li, k));
  fig.addEventListener("focus", () => { at = [li, k]; select(li, k); });
  return fig;
}

const unitName = (layer, j) => (layer.output ? `output ${j}`
  : `hidden unit #${j + 1} of layer ${layer.layer}`);

// Contribution bars of unit k: one per shown unit of the layer before, then the rest.
function bars(layer, li, k, top) {
  const values = layer.contributions[k].slice();
  const prev = view.layers[li - 1];
  if (prev.shown.length < prev.units) values.push(layer.rest[k]);
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("class", "bars");
  svg.setAttribute("viewBox", "0 0 84 48");
  svg.setAttribute("aria-hidden", "true");
  const w = 84 / values.length;
  values.forEach((c, i) => {
    const r = document.createElementNS(svgNS, "rect"), h = Math.max(0.5, 23 * Math.abs(c) / top);
    r.setAttribute("x", (i * w + 0.5).toFixed(2));
    r.setAttribute("width", Math.max(0.5, w - 1).toFixed(2));
    r.setAttribute("y", (c >= 0 ? 24 - h : 24).toFixed(2));
    r.setAttribute("height", h.toFixed(2));
    r.setAttribute("class", i >= prev.shown.length ? "rest" : (c >= 0 ? "up" : "down"));
    svg.append(r);
  });
  return svg;
}

// Unit k of layer li is the selected one: outlined, and its numbers in the layer's details box.
function select(li, k) {
  const row = $("diagram").querySelector(`.layer[data-layer="${li}"]`);
  if (!row || !view) return;
  row.querySelectorAll(".unit").forEach((u, i) => u.classList.toggle("selected", i === k));
  const layer = view.layers[li], details = row.querySelector(".details");
  details.replaceChildren(...(layer.weights ? inkDetails(layer, k) : contributionDetails(layer, li, k)));
  details.dataset.unit = String(layer.shown[k]);
}

function activationText(layer, k) {
  return layer.output ? `probability p = ${f(layer.activation)} = ${pct(layer.a[k])}`
    : `activation a = ${f(layer.activation)} = ${fmt(layer.a[k], 3)}`;
}

// A first-layer unit: its weights, the weights times the ink, and z's three parts.
function inkDetails(layer, k) {
  const j = layer.shown[k], [up, down] = layer.ink[k];
  const weights = layer.weights[k], products = weights.map((w, i) => w * input[i]);
  const pics = el("div", "pics");
  for (const [values, caption] of [[weights, "its weights"], [products, "weights × ink"]]) {
    const fig = el("figure"), c = el("canvas", "pixelated");
    drawWeights(c, values, layer.image_shape);
    fig.append(c, el("figcaption", "", caption));
    pics.append(fig);
  }
  const text = el("p", "", `${unitName(layer, j)} (rank ${k + 1}): z = ink on red pixels `
    + `${signed(up)} + ink on blue pixels ${signed(down)} + bias ${signed(layer.bias[k])} `
    + `= ${fmt(layer.z[k], 3)}; ${activationText(layer, k)}.`);
  return [pics, text];
}

// A later unit: z, and its largest contributions a_j·W_jk.
function contributionDetails(layer, li, k) {
  const j = layer.shown[k], prev = view.layers[li - 1];
  const parts = layer.contributions[k].map((c, i) => [c, i])
    .sort((p, q) => Math.abs(q[0]) - Math.abs(p[0])).slice(0, 5);
  const text = el("p", "", `${unitName(layer, j)} (rank ${k + 1}): zₖ = Σⱼ aⱼ·Wⱼₖ + bₖ = `
    + `${fmt(layer.z[k], 3)}; ${activationText(layer, k)}. Largest contributions aⱼ·Wⱼₖ:`);
  const list = el("ol", "contribs");
  for (const [c, i] of parts) {
    const cls = c >= 0 ? "pos" : "neg";
    const item = el("li");
    item.append(`#${prev.shown[i] + 1} (a = ${fmt(prev.a[i], 2)}): `, el("span", cls, signed(c)));
    list.append(item);
  }
  const others = prev.units - prev.shown.length;
  const tail = el("p", "", `${others ? `the other ${others} units: ${signed(layer.rest[k])}; ` : ""}`
    + `bias b = ${signed(layer.bias[k])}.`);
  return [text, list, tail];
}

const signed = (x) => `${x >= 0 ? "+" : "−"}${fmt(Math.abs(x), 3)}`;

// The units take the keyboard focus one at a time (one Tab stop): the arrows move it,
// left/right within a layer, up/down between layers; Home and End go to a layer's ends.
function moveFocus([li, k], focus = true) {
  const units = $("diagram").querySelectorAll(".unit");
  units.forEach((u) => { u.tabIndex = -1; });
  const row = $("diagram").querySelector(`.layer[data-layer="${li}"]`);
  const target = row && row.querySelectorAll(".unit")[k];
  if (!target) return;
  target.tabIndex = 0;
  at = [li, k];
  if (focus) target.focus();
}

$("diagram").addEventListener("keydown", (e) => {
  const unit = e.target.closest && e.target.closest(".unit");
  if (!unit || !view) return;
  const li = Number(unit.dataset.layer), k = Number(unit.dataset.pos);
  const last = (l) => view.layers[l].shown.length - 1;
  const moves = { ArrowRight: [li, k + 1], ArrowLeft: [li, k - 1], ArrowDown: [li + 1, k],
    ArrowUp: [li - 1, k], Home: [li, 0], End: [li, last(li)] };
  if (!(e.key in moves)) return;
  e.preventDefault();
  const l = Math.max(0, Math.min(view.layers.length - 1, moves[e.key][0]));
  moveFocus([l, Math.max(0, Math.min(last(l), moves[e.key][1]))]);
});

// A test digit from the keyboard, without the Draw tab: it goes onto the pad, as Load does there.
function showTestDigit() {
  loadTestDigit($("inside-digit"), $("inside-note"), {
    range: (last) => `Test digits are numbered 0 to ${last}.`,
    failed: (index) => `Test digit ${index} cannot be loaded: try another.`,
    loaded: (d) => `MNIST test digit #${d.index} (its label: ${d.label}), shown from the Inside tab.`,
  });
}

$("inside-load").addEventListener("click", showTestDigit);
$("inside-digit").addEventListener("keydown", (e) => { if (e.key === "Enter") showTestDigit(); });
whenShown("inside", renderInside);
onPrediction(() => { if (!$("panel-inside").hidden) renderInside(); });
onModelChange(() => { if (!$("panel-inside").hidden) renderInside(); });
