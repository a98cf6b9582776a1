// The Train tab's Progress card: the loss and accuracy curves, one point per
// epoch of the job followed (state.curve), and the first hidden layer's
// weight images as training changes them.

import { lineChart } from "./charts.js";
import { $, fmt } from "./page.js";
import { drawWeights } from "./pictures.js";
import { state } from "./state.js";

export function resetCurve(job, epochs) {
  state.curve = { job, epochs: [], loss: [], acc: [], total: epochs };
  drawCurves();
}

export function drawCurves() {
  const c = state.curve || { epochs: [], loss: [], acc: [], total: 1 };
  lineChart($("chart-loss"), c.epochs, c.loss, {
    xMax: c.total, yMin: 0, empty: "no epochs yet", yFormat: (y) => fmt(y, 3),
  });
  lineChart($("chart-acc"), c.epochs, c.acc, {
    xMax: c.total, yMin: 0, yMax: 1, color: "#2166ac", empty: "no epochs yet",
    yFormat: (y) => `${Math.round(100 * y)}%`,
  });
}

// One epoch's record (an "epoch" event, or a finished job's history): a point on each curve.
export function addEpoch(ev) {
  if (!state.curve || state.curve.job !== ev.job) resetCurve(ev.job, ev.epochs);
  const c = state.curve;
  if (c.epochs.includes(ev.epoch)) return;
  c.epochs.push(ev.epoch); c.loss.push(ev.train_loss); c.acc.push(ev.test_accuracy);
  c.total = ev.epochs;
  drawCurves();
}

export function showTrainWeights(layers, label) {
  const strip = $("train-weights");
  strip.innerHTML = "";
  for (const layer of layers.slice(0, 1)) { // the first hidden layer: 28x28 images
    layer.weights.forEach((w, k) => {
      const c = document.createElement("canvas");
      c.className = "pixelated wimg";
      c.setAttribute("aria-label", `weights of hidden unit ${layer.shown[k] + 1}`);
      drawWeights(c, w, layer.image_shape);
      strip.appendChild(c);
    });
    if (layer.shown.length < layer.units) {
      const more = document.createElement("span");
      more.className = "note";
      more.textContent = `(first ${layer.shown.length} of ${layer.units} units)`;
      strip.appendChild(more);
    }
  }
  $("train-weights-epoch").textContent = label;
}
