// The Inside the network tab: inputs -> hidden units -> outputs for the
// current drawing.  Each hidden unit shows its weight image and activation;
// the lines between layers (an SVG behind the units) are each unit's
// contribution to the next layer, weight x activation.

import { api } from "./api.js";
import { onModelChange } from "./model.js";
import { $, fmt, pct } from "./page.js";
import { drawGray, drawWeights } from "./pictures.js";
import { state } from "./state.js";
import { whenShown } from "./tabs.js";

const svgNS = "http://www.w3.org/2000/svg";

export async function renderInside() {
  const note = $("inside-note"), box = $("diagram");
  try {
    if (!state.network || state.network.model_version !== state.modelVersion) {
      state.network = await api("/api/network");
    }
  } catch (err) {
    note.textContent = err.message;
    return;
  }
  const net = state.network, pred = state.lastPredict;
  const acts = pred && pred.model_version === net.model_version ? pred.hidden : null;
  note.textContent = (acts ? "Activations for your current drawing. "
    : "Draw a digit in the Draw tab to see the activations. ") + net.description;
  box.innerHTML = "";
  const rows = [inputRow(box, net, pred)];
  net.layers.forEach((layer, li) => {
    const isOut = li === net.layers.length - 1;
    const a = isOut ? (pred && acts ? pred.probabilities : null) : (acts ? acts[li] : null);
    rows.push(layerRow(box, layer, isOut, a));
  });
  box.dataset.layers = String(net.layers.length);
  drawContributions(box, rows, net, acts);
}

// The input image, as the server preprocessed it; returns the row's one element.
function inputRow(box, net, pred) {
  const row = document.createElement("div");
  row.className = "layer";
  row.innerHTML = `<h3>Input: ${net.sizes[0]} pixels (28×28)</h3>`;
  const units = document.createElement("div");
  units.className = "units";
  const inCanvas = document.createElement("canvas");
  inCanvas.className = "pixelated input-image";
  inCanvas.setAttribute("aria-label", "The preprocessed input");
  drawGray(inCanvas, pred ? pred.input.flat() : new Array(784).fill(0));
  units.appendChild(inCanvas);
  row.appendChild(units);
  box.appendChild(row);
  return [inCanvas];
}

// One layer's shown units, with their activations `a` (or null); returns their elements.
function layerRow(box, layer, isOut, a) {
  const row = document.createElement("div");
  row.className = "layer";
  const shownNote = layer.shown.length < layer.units
    ? ` (showing the first ${layer.shown.length} of ${layer.units})` : "";
  row.innerHTML = isOut
    ? `<h3>Output: ${layer.units} digits (softmax)</h3>`
    : `<h3>Hidden layer ${layer.layer}: ${layer.units} ${layer.activation} units${shownNote}</h3>`;
  const unitsEl = document.createElement("div");
  unitsEl.className = "units";
  unitsEl.style.setProperty("--n", String(layer.shown.length));
  const aMax = a ? Math.max(1e-9, ...layer.shown.map((j) => Math.abs(a[j]))) : 1;
  const els = layer.shown.map((j, k) => unitFigure(layer, j, k, isOut, a ? a[j] : null, aMax));
  unitsEl.append(...els);
  row.appendChild(unitsEl);
  box.appendChild(row);
  return els;
}

// Unit j (the k-th shown): an output's digit, or a hidden unit's weight image; its activation.
function unitFigure(layer, j, k, isOut, value, aMax) {
  const unit = document.createElement("figure");
  unit.className = isOut ? "unit out" : "unit";
  if (isOut) {
    unit.innerHTML = `<b>${j}</b><figcaption>${value === null ? "" : pct(value)}</figcaption>`;
  } else {
    const c = document.createElement("canvas");
    c.className = "pixelated wimg";
    drawWeights(c, layer.weights[k], layer.image_shape);
    unit.appendChild(c);
    const cap = document.createElement("figcaption");
    cap.textContent = value === null ? `#${j + 1}` : value.toFixed(2);
    unit.appendChild(cap);
  }
  if (value !== null) {
    const level = Math.abs(value) / (isOut ? 1 : aMax);
    unit.style.setProperty("--act", level.toFixed(3));
    unit.classList.add("active");
  }
  unit.setAttribute("aria-label", isOut
    ? `output ${j}${value === null ? "" : `: probability ${pct(value)}`}`
    : `hidden unit ${j + 1}${value === null ? "" : `: activation ${fmt(value, 3)}`}`);
  return unit;
}

// Lines between consecutive layers (after the first hidden one): weight x activation.
function drawContributions(box, rows, net, acts) {
  const old = box.querySelector("svg");
  if (old) old.remove();
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("class", "wires");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("width", box.scrollWidth);
  svg.setAttribute("height", box.scrollHeight);
  const wire = wireMaker(box, svg);
  let count = 0;
  for (let li = 1; acts && li < net.layers.length; li++) {
    const layer = net.layers[li], prev = net.layers[li - 1];
    const a = acts[li - 1];
    const contrib = layer.incoming.map((row, i) => row.map((w) => w * a[prev.shown[i]]));
    const cMax = Math.max(1e-12, ...contrib.flat().map(Math.abs));
    const from = rows[li], to = rows[li + 1];
    contrib.forEach((row, i) => row.forEach((c, k) => {
      if (Math.abs(c) < 0.02 * cMax) return;
      wire(from[i], to[k], c > 0 ? "#b2182b" : "#2166ac", (0.4 + 4.5 * Math.abs(c) / cMax).toFixed(2),
        (0.15 + 0.75 * Math.abs(c) / cMax).toFixed(2));
      count++;
    }));
  }
  for (const unit of rows[1] || []) { // every pixel feeds every first-layer unit: faint lines
    wire(rows[0][0], unit, "#9a9ab0", "0.8", "0.5");
  }
  svg.dataset.lines = String(count);
  box.prepend(svg);
}

// wire(from, to, colour, width, opacity): a line in `svg` from the bottom of one
// element of `box` to the top of another.
function wireMaker(box, svg) {
  const origin = box.getBoundingClientRect();
  return (fromEl, toEl, stroke, width, opacity) => {
    const f = fromEl.getBoundingClientRect(), t = toEl.getBoundingClientRect();
    const line = document.createElementNS(svgNS, "line");
    line.setAttribute("x1", f.left + f.width / 2 - origin.left + box.scrollLeft);
    line.setAttribute("y1", f.bottom - origin.top);
    line.setAttribute("x2", t.left + t.width / 2 - origin.left + box.scrollLeft);
    line.setAttribute("y2", t.top - origin.top);
    line.setAttribute("stroke", stroke);
    line.setAttribute("stroke-width", width);
    line.setAttribute("stroke-opacity", opacity);
    svg.appendChild(line);
  };
}

whenShown("inside", renderInside);
onModelChange(() => { if (!$("panel-inside").hidden) renderInside(); });
let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { if (!$("panel-inside").hidden) renderInside(); }, 150);
});
