// The Descent tab: gradient descent v <- v - λ∇C on a two-variable surface the
// server computes.  The controls (surface, λ, start, steps), the requests
// (queued, so that each runs on the path the one before left), and the
// numbers beside the contour plot: the cost, what it did (fell, or grew: λ too
// large), its chart and the step table.  Paths can be kept, to compare several
// λ on one plot, and the plot takes keys: arrows move the start, Enter steps.

import { api } from "./api.js";
import { lineChart } from "./charts.js";
import {
  clickedPoint, drawContour, exitStep, hasContour, pathColour, renderContour,
} from "./contour.js";
import { plainWords, sayError } from "./messages.js";
import { $, fmt } from "./page.js";
import { state } from "./state.js";
import { whenShown } from "./tabs.js";

function surface() { return state.surfaces[$("d-surface").value]; }

// Paths kept to compare ({path, colour}), on this surface; the colours are distinct
// from the current path's (black, or red once diverged) and from the bands.
const KEPT_COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#6a3d9a"];
let kept = [];

function drawPath() {
  if (!hasContour()) return;
  drawContour(surface(), state.path, kept);
  if (state.path) showPathNumbers(state.path);
  showLegend();
}

// A number short enough for an axis label or a sentence: 4.5e5, 0.012, 1.2e-3.
function short(x, digits = 4) {
  const a = Math.abs(x ?? 0);
  if (a === 0 || (a < 1e5 && a >= 1e-3)) return fmt(x, digits);
  const [m, e] = x.toExponential(1).split("e");
  return `${m}e${Number(e)}`;
}

const lastCost = (p) => p.costs.filter((c) => c !== null).pop();
const steps = (n) => (n === 1 ? "1 step" : `${n} steps`);

// What the path did, in words: the cost fell, or grew -- λ too large, each step
// overshoots -- and where the path left the plot.  null before the first step.
function verdict(p) {
  const n = p.points.length - 1;
  if (n === 0) return null;
  const s = surface(), c0 = p.costs[0], c = lastCost(p);
  const left = exitStep(s, p);
  const where = left > 0 ? ` The path left the plot at step ${left}.` : "";
  if (p.diverged || c > c0) {
    return { warn: true, text: `The cost grew from ${short(c0)} to ${short(c)} in ${steps(n)}: `
      + `λ = ${p.lr} is too large for this surface — each step overshoots the lowest point `
      + `by more than the last.${where} Try a smaller λ (${s.good_lr} descends well here).` };
  }
  const rose = p.actual.filter((d) => d !== null && d > 0).length;
  if (rose) {
    return { warn: true, text: `The cost fell from ${short(c0)} to ${short(c)}, but rose on `
      + `${rose} of ${n} steps: λ = ${p.lr} is close to too large here.${where}` };
  }
  return { warn: false, text: `The cost fell from ${short(c0)} to ${short(c)} in ${steps(n)}.${where}` };
}

// The legend: each kept path, then the current one, with its λ and cost, in its colour.
function showLegend() {
  const row = (p, colour, what) => {
    const li = document.createElement("li");
    li.dataset.colour = colour;
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = colour;
    swatch.setAttribute("aria-hidden", "true");
    li.append(swatch, `${what}: λ = ${p.lr}, C ${short(p.costs[0])} → ${short(lastCost(p))} `
      + `in ${steps(p.points.length - 1)}`);
    return li;
  };
  const rows = kept.map((k) => row(k.path, k.colour, "kept"));
  if (state.path) rows.push(row(state.path, pathColour(state.path), "this path"));
  $("d-legend").replaceChildren(...rows);
  $("d-clear-kept").hidden = !kept.length;
}

function keepPath() {
  const p = state.path;
  if (!p) return;
  const used = new Set(kept.map((k) => k.colour));
  const colour = KEPT_COLOURS.find((c) => !used.has(c)) || KEPT_COLOURS[kept.length % KEPT_COLOURS.length];
  if (kept.length === KEPT_COLOURS.length) kept.shift(); // the oldest makes room
  kept.push({ path: structuredClone(p), colour });
  drawPath();
}

function clearKept() {
  kept = [];
  drawPath();
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
    yFormat: (y) => short(Math.sign(y) * (10 ** Math.abs(y) - 1), 2), color: "#444",
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
  const said = verdict(p), box = $("d-verdict");
  box.textContent = said ? said.text : "";
  box.hidden = !said;
  box.classList.toggle("warn", Boolean(said && said.warn));
  sayError($("d-error"), p.diverged ? `Diverged after ${steps(p.points.length - 1)}: the numbers `
    + "grew too large to go on computing; the path stops here." : "");
}

// A refused or failed request, in plain words: which setting to change, and to what.
function failed(err) {
  const m = err.message || "";
  const text = plainWords(err)
    || (m.startsWith("learning_rate") ? `Type a learning rate λ above 0 and at most 10 (${surface().good_lr} `
      + "descends well here)."
    : m.startsWith("start") ? "Type a start point: v₁ and v₂ between −1000 and 1000 each (or click the plot)."
    : m.startsWith("steps") ? "Steps per run: type a whole number from 1 to 1000."
    : "The server could not run these settings: check λ, the start and the steps per run.");
  sayError($("d-error"), text, err);
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
    sayError($("d-error"), "");
    drawPath();
  } catch (err) {
    failed(err);
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
    failed(err);
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
  kept = []; // paths on another surface do not compare
  $("d-lr").value = s.good_lr;
  $("d-v1").value = s.start[0];
  $("d-v2").value = s.start[1];
  renderContour(s);
  $("descent-formula").textContent = `${s.formula} · window v₁ ∈ [${s.window[0]}, ${s.window[1]}], `
    + `v₂ ∈ [${s.window[2]}, ${s.window[3]}] · a good λ here: ${s.good_lr}`;
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
    failed(err);
  }
}

$("contour").addEventListener("click", (e) => {
  const [v1, v2] = clickedPoint(surface(), e);
  $("d-v1").value = v1.toFixed(2);
  $("d-v2").value = v2.toFixed(2);
  queueDescent(resetPath);
});
// The plot from the keyboard: arrows move the start (Shift: finer), Enter or Space steps.
$("contour").addEventListener("keydown", (e) => {
  const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
  if (e.key === "Enter" || e.key === " ") {
    e.preventDefault();
    queueDescent(() => extendPath(1, false));
  } else if (e.key in moves) {
    e.preventDefault();
    const [a0, a1, b0, b1] = surface().window, f = e.shiftKey ? 0.01 : 0.05;
    const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));
    const v1 = clamp(Number($("d-v1").value) + moves[e.key][0] * f * (a1 - a0), a0, a1);
    const v2 = clamp(Number($("d-v2").value) + moves[e.key][1] * f * (b1 - b0), b0, b1);
    $("d-v1").value = Number(v1.toFixed(2));
    $("d-v2").value = Number(v2.toFixed(2));
    queueDescent(resetPath);
  }
});
$("d-surface").addEventListener("change", chooseSurface);
$("d-keep").addEventListener("click", keepPath);
$("d-clear-kept").addEventListener("click", clearKept);
for (const id of ["d-v1", "d-v2", "d-lr"]) $(id).addEventListener("change", () => queueDescent(resetPath));
$("d-step").addEventListener("click", () => queueDescent(() => extendPath(1, false)));
$("d-run").addEventListener("click", () => queueDescent(
  () => extendPath(Math.max(1, Number($("d-steps").value) || 30), true)));
$("d-reset").addEventListener("click", () => queueDescent(resetPath));
whenShown("descent", loadSurfaces);
