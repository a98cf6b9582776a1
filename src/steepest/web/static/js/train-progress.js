// The Train tab's Progress card: the loss and accuracy curves, one point per
// epoch of the job followed (state.curve), and the first hidden layer's
// weight images as training changes them.

import { lineChart, zoomRange } from "./charts.js";
import { $ } from "./page.js";
import { drawWeights } from "./pictures.js";
import { state } from "./state.js";

const emptyCurve = (job, total) => ({ job, epochs: [], loss: [], acc: [], total });

// A new curve, for job `job` of `epochs` epochs, with the epoch records it has already
// (a running job's history, or a served model's): drawn once, with all of them.
export function resetCurve(job, epochs, history = []) {
  state.curve = emptyCurve(job, epochs);
  for (const h of history) record(state.curve, h);
  drawCurves();
}

export function drawCurves() {
  const c = state.curve || emptyCurve(null, 1);
  // Both y axes zoom to the data: 89 -> 93 % fills the chart instead of a flat line near the top.
  const loss = zoomRange(c.loss, { floor: 0, minSpan: 0.01 });
  lineChart($("chart-loss"), c.epochs, c.loss, {
    ...loss, xMax: c.total, empty: "no epochs yet", xTitle: "epoch", yTitle: "loss",
    yFormat: (y) => y.toFixed(decimals(loss.yStep)),
  });
  const of = c.accOf || "Test";
  $("chart-acc-caption").textContent = `${of} accuracy per epoch`;
  $("chart-acc").setAttribute("aria-label", `${of} accuracy per epoch`);
  const pct = c.acc.map((a) => (a === null ? null : 100 * a));
  const acc = zoomRange(pct, { floor: 0, ceil: 100, minSpan: 1 });
  lineChart($("chart-acc"), c.epochs, pct, {
    ...acc, xMax: c.total, color: "#2166ac", empty: "no epochs yet",
    xTitle: "epoch", yTitle: "accuracy (%)", yFormat: (y) => y.toFixed(decimals(acc.yStep)),
  });
}

// Decimals that show a tick step exactly: 0.05 -> 2, 2 -> 0.
const decimals = (step) => Math.max(0, Math.ceil(-Math.log10(step || 1) - 1e-9));

// One epoch's record as it comes (an "epoch" event): a point on each curve, drawn.
export function addEpoch(ev) {
  if (!state.curve || state.curve.job !== ev.job) resetCurve(ev.job, ev.epochs);
  if (!record(state.curve, ev)) return;
  state.curve.total = ev.epochs;
  drawCurves();
}

// Epoch record ev as a point on each of curve c's lines; false if c has that epoch already.
function record(c, ev) {
  if (c.epochs.includes(ev.epoch)) return false;
  // A run with a validation set (steepest train --validation) scores it each epoch and
  // the test set only once, at the end: its curve is the validation accuracy, named so.
  const scored = ev.test_accuracy ?? null, checked = ev.val_accuracy ?? null;
  if (scored === null && checked !== null) c.accOf = "Validation";
  c.epochs.push(ev.epoch); c.loss.push(ev.train_loss); c.acc.push(scored ?? checked);
  return true;
}

// The first layer's weights a job started from (its "weights" event), and the last
// weights shown: with "Show what training changed" ticked, the images are W - W_start.
let start = null; // {job, weights}
let last = null; // showTrainWeights' arguments, to redraw when the box is ticked

export function rememberStart(job, layers) {
  start = layers[0] ? { job, weights: layers[0].weights } : null;
}

// The first hidden layer's weight images (of job `job`, if they are a job's); at a slow
// pace this runs several times a second, so the canvases are redrawn in place.
export function showTrainWeights(layers, label, job) {
  last = [layers, label, job];
  const strip = $("train-weights");
  const layer = layers[0]; // the first hidden layer: 28x28 images
  const known = job !== undefined && start !== null && start.job === job
    && start.weights.length === (layer ? layer.weights.length : -1);
  $("train-weights-change").disabled = !known;
  const base = known && $("train-weights-change").checked ? start.weights : null;
  strip.dataset.showing = base ? "change" : "weights";
  $("train-weights-epoch").textContent = base ? label.replace(/\)$/, ": change since the start)") : label;
  if (!layer) { strip.innerHTML = ""; strip.dataset.key = ""; return; }
  const key = `${layer.shown.length} of ${layer.units}`;
  let canvases = strip.querySelectorAll("canvas");
  if (strip.dataset.key !== key) {
    strip.dataset.key = key;
    strip.innerHTML = "";
    layer.weights.forEach((_, k) => {
      const c = document.createElement("canvas");
      c.className = "pixelated wimg";
      c.setAttribute("aria-label", `weights of hidden unit ${layer.shown[k] + 1}`);
      strip.appendChild(c);
    });
    if (layer.shown.length < layer.units) {
      const more = document.createElement("span");
      more.className = "note";
      more.textContent = `(first ${layer.shown.length} of ${layer.units} units)`;
      strip.appendChild(more);
    }
    canvases = strip.querySelectorAll("canvas");
  }
  layer.weights.forEach((w, k) => drawWeights(
    canvases[k], base ? w.map((x, i) => x - base[k][i]) : w, layer.image_shape));
}

$("train-weights-change").addEventListener("change", () => { if (last) showTrainWeights(...last); });
