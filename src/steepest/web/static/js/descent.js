// The Descent tab: gradient descent v <- v - λ∇C on a two-variable surface the
// server computes.  The controls (surface, λ, start, steps), the requests
// (queued, so that each runs on the path the one before left), and the
// numbers beside the contour plot: the cost, its chart and the step table.

import { api } from "./api.js";
import { lineChart } from "./charts.js";
import { clickedPoint, drawContour, hasContour, renderContour } from "./contour.js";
import { $, fmt, showError } from "./page.js";
import { state } from "./state.js";
import { whenShown } from "./tabs.js";

function surface() { return state.surfaces[$("d-surface").value]; }

function drawPath() {
  if (!hasContour()) return;
  drawContour(surface(), state.path);
  if (state.path) showPathNumbers(state.path);
}

// The cost readout, the chart of the cost per step and the table of the last 60 steps.
function showPathNumbers(p) {
  const c0 = p.costs[0], c = p.costs[p.costs.length - 1];
  const cost = $("d-cost");
  cost.textContent = `step ${p.points.length - 1}: C = ${fmt(c)} (start ${fmt(c0)})`;
  cost.dataset.cost = String(c);
  cost.dataset.start = String(c0);
  const symlog = (y) => (y === null ? null : Math.sign(y) * Math.log10(1 + Math.abs(y)));
  lineChart($("d-chart"), p.costs.map((_, i) => i), p.costs.map(symlog), {
    yFormat: (y) => fmt(Math.sign(y) * (10 ** Math.abs(y) - 1), 2), color: "#444",
  });
  const body = $("d-table").querySelector("tbody");
  body.innerHTML = "";
  const first = Math.max(1, p.points.length - 60); // the last 60 steps
  for (let i = first; i < p.points.length; i++) {
    const tr = document.createElement("tr");
    const [v1, v2] = p.points[i];
    tr.innerHTML = `<td>${i}</td><td>${fmt(v1)}</td><td>${fmt(v2)}</td><td>${fmt(p.costs[i])}</td>`
      + `<td>${fmt(p.predicted[i - 1])}</td><td>${fmt(p.actual[i - 1])}</td>`;
    body.appendChild(tr);
  }
  showError($("d-error"), p.diverged
    ? new Error(`Diverged after ${p.points.length - 1} steps: λ = ${p.lr} is too large for this surface; `
      + "each step overshoots the valley floor by more than the last.") : null);
}

async function descentFrom(start, steps) {
  const lr = $("d-lr").value.trim();
  return api("/api/descent", {
    method: "POST",
    body: { surface: surface().name, start, learning_rate: lr === "" ? null : Number(lr), steps },
  });
}

async function resetPath() {
  const v1 = Number($("d-v1").value), v2 = Number($("d-v2").value);
  try {
    const r = await descentFrom([v1, v2], 0);
    state.path = { points: r.points, costs: r.costs, predicted: [], actual: [], diverged: false, lr: r.learning_rate };
    showError($("d-error"), null);
    drawPath();
  } catch (err) {
    showError($("d-error"), err);
  }
}

async function extendPath(steps, animate) {
  const p = state.path;
  if (!p) return resetPath();
  if (p.diverged) return;
  try {
    const r = await descentFrom(p.points[p.points.length - 1], steps);
    p.lr = r.learning_rate;
    const add = (i) => {
      p.points.push(r.points[i]); p.costs.push(r.costs[i]);
      p.predicted.push(r.predicted_changes[i - 1]); p.actual.push(r.actual_changes[i - 1]);
    };
    for (let i = 1; i < r.points.length; i++) {
      add(i);
      if (animate && i % 2 === 0) { drawPath(); await new Promise((ok) => setTimeout(ok, 25)); }
    }
    p.diverged = r.diverged;
    drawPath();
  } catch (err) {
    showError($("d-error"), err);
  }
}

// Every change and click queues its request behind the ones before it.  Editing λ and
// then clicking Run fires "change" (a new path) and then "click" (extend the path): run
// one after the other, the click extends the new path -- it is neither lost nor applied
// to the old path that the reset then throws away.
let descentQueue = Promise.resolve();
function queueDescent(task) {
  descentQueue = descentQueue.then(task); // each task catches its own errors
  return descentQueue;
}

function chooseSurface() {
  const s = surface();
  $("d-lr").value = s.good_lr;
  $("d-v1").value = s.start[0];
  $("d-v2").value = s.start[1];
  renderContour(s);
  $("descent-formula").textContent = `${s.formula} · window v₁ ∈ [${s.window[0]}, ${s.window[1]}], `
    + `v₂ ∈ [${s.window[2]}, ${s.window[3]}] · a good λ here: ${s.good_lr} · click to choose the start`;
  drawPath();
  queueDescent(resetPath);
}

async function loadSurfaces() {
  if (Object.keys(state.surfaces).length) return;
  try {
    const { surfaces } = await api("/api/descent/surfaces");
    const select = $("d-surface");
    for (const s of surfaces) {
      state.surfaces[s.name] = s;
      const o = document.createElement("option");
      o.value = s.name; o.textContent = `${s.name}: ${s.formula}`;
      select.appendChild(o);
    }
    select.value = surfaces.some((s) => s.name === "valley") ? "valley" : surfaces[0].name;
    chooseSurface();
  } catch (err) {
    showError($("d-error"), err);
  }
}

$("contour").addEventListener("click", (e) => {
  const [v1, v2] = clickedPoint(surface(), e);
  $("d-v1").value = v1.toFixed(2);
  $("d-v2").value = v2.toFixed(2);
  queueDescent(resetPath);
});
$("d-surface").addEventListener("change", chooseSurface);
for (const id of ["d-v1", "d-v2", "d-lr"]) $(id).addEventListener("change", () => queueDescent(resetPath));
$("d-step").addEventListener("click", () => queueDescent(() => extendPath(1, false)));
$("d-run").addEventListener("click", () => queueDescent(
  () => extendPath(Math.max(1, Number($("d-steps").value) || 30), true)));
$("d-reset").addEventListener("click", () => queueDescent(resetPath));
whenShown("descent", loadSurfaces);
