// steepest web lab: the page presents, the server computes.
//
// Every number shown here comes from the JSON API (see the README, "Web lab
// API"): predictions, the 28x28 preprocessing, weights, activations, descent
// paths, the perceptron's table.  This file only draws them and sends what
// the user does.  Plain JavaScript, no build step, nothing from the internet.
"use strict";

const $ = (id) => document.getElementById(id);
const SEND_SIDE = 112; // the drawing travels as 112x112 gray levels; the server does the rest
const state = {
  model: null,          // GET /api/model's "model"
  modelVersion: 0,
  network: null,        // GET /api/network, for state.modelVersion
  lastPredict: null,    // POST /api/predict's answer for the current drawing
  hasInk: false,
  drawingId: 0,         // changes on Clear and on loading an image: older answers are dropped
  events: null,         // EventSource following a training job
  curve: null,          // {job, epochs: [], loss: [], acc: []}
  surfaces: {},
  path: null,
  mistakesVersion: 0,
  mistakesOffset: 0,
};

// ---------------------------------------------------------------------------
// talking to the server

class ApiError extends Error {
  constructor(message, status) { super(message); this.status = status; }
}

async function api(path, { method = "GET", body } = {}) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(`cannot reach the server (${err.message})`, 0);
  }
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; }
  if (!response.ok) {
    throw new ApiError((data && data.error) || `HTTP ${response.status}`, response.status);
  }
  return data;
}

function showError(el, err) {
  el.textContent = err ? (err.message || String(err)) : "";
  el.hidden = !err;
}

const pct = (p) => `${(100 * p).toFixed(p > 0.999 || p < 0.001 ? 1 : 1)}%`;
const fmt = (x, digits = 4) => (x === null || x === undefined) ? "—"
  : (Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0)) ? x.toExponential(2) : Number(x.toPrecision(digits)).toString();

// ---------------------------------------------------------------------------
// tabs: click, or arrow keys / Home / End when a tab has focus

const tabs = Array.from(document.querySelectorAll('[role="tab"]'));
const onShow = {};

function selectTab(tab, focus = false) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
  }
  if (focus) tab.focus();
  history.replaceState(null, "", `#${tab.id.slice(4)}`);
  if (onShow[tab.id]) onShow[tab.id]();
}

tabs.forEach((tab, i) => {
  tab.addEventListener("click", () => selectTab(tab));
  tab.addEventListener("keydown", (e) => {
    const moves = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 };
    if (!(e.key in moves)) return;
    e.preventDefault();
    selectTab(tabs[(moves[e.key] + tabs.length) % tabs.length], true);
  });
});

// ---------------------------------------------------------------------------
// small drawing helpers

// Weight colours: red for positive, blue for negative, white for zero.
function diverging(v) {
  const t = Math.max(-1, Math.min(1, v));
  const [r, g, b] = t >= 0 ? [178, 24, 43] : [33, 102, 172];
  const a = Math.abs(t);
  return [255 + (r - 255) * a, 255 + (g - 255) * a, 255 + (b - 255) * a];
}

// A unit's incoming weights as an image, scaled by its largest |weight|.
function drawWeights(canvas, weights, shape) {
  const [rows, cols] = shape;
  canvas.width = cols; canvas.height = rows;
  const scale = Math.max(1e-12, ...weights.map(Math.abs));
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const [r, g, b] = i < weights.length ? diverging(weights[i] / scale) : [235, 235, 235];
    img.data.set([r, g, b, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

// Gray levels in [0, 1] (or 0-255 with max=255), ink bright, as MNIST shows them.
function drawGray(canvas, values, side = 28, max = 1) {
  canvas.width = side; canvas.height = side;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const v = Math.round(255 * Math.max(0, Math.min(1, values[i] / max)));
    img.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

// A line chart with axes: xs, ys (nulls skipped), labels and a fixed or fitted y range.
function lineChart(canvas, xs, ys, { yMin, yMax, xMax, color = "#b2182b", yFormat = fmt, empty = "" } = {}) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, L = 52, R = 12, T = 12, B = 28;
  ctx.clearRect(0, 0, W, H);
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = "#555"; ctx.strokeStyle = "#bbb"; ctx.lineWidth = 1;
  const pts = xs.map((x, i) => [x, ys[i]]).filter(([, y]) => y !== null && Number.isFinite(y));
  canvas.dataset.points = String(pts.length);
  if (!pts.length) {
    ctx.fillText(empty, L, H / 2);
    return;
  }
  let lo = yMin ?? Math.min(...pts.map((p) => p[1]));
  let hi = yMax ?? Math.max(...pts.map((p) => p[1]));
  if (hi - lo < 1e-9) { hi += 0.5; lo -= 0.5; }
  const x0 = Math.min(...pts.map((p) => p[0]), xs[0]);
  const x1 = Math.max(xMax ?? 0, ...pts.map((p) => p[0]), x0 + 1);
  const px = (x) => L + (W - L - R) * (x - x0) / (x1 - x0);
  const py = (y) => T + (H - T - B) * (1 - (y - lo) / (hi - lo));
  ctx.beginPath(); ctx.moveTo(L, T); ctx.lineTo(L, H - B); ctx.lineTo(W - R, H - B); ctx.stroke();
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (let k = 0; k <= 4; k++) {
    const y = lo + (hi - lo) * k / 4;
    ctx.fillText(yFormat(y), L - 6, py(y));
    ctx.strokeStyle = "#eee"; ctx.beginPath(); ctx.moveTo(L + 1, py(y)); ctx.lineTo(W - R, py(y)); ctx.stroke();
  }
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  const step = Math.max(1, Math.ceil((x1 - x0) / 8));
  for (let x = Math.ceil(x0); x <= x1; x += step) ctx.fillText(String(x), px(x), H - B + 6);
  ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = 2;
  ctx.beginPath();
  pts.forEach(([x, y], i) => (i ? ctx.lineTo(px(x), py(y)) : ctx.moveTo(px(x), py(y))));
  ctx.stroke();
  for (const [x, y] of pts) { ctx.beginPath(); ctx.arc(px(x), py(y), 3, 0, 2 * Math.PI); ctx.fill(); }
}

// ---------------------------------------------------------------------------
// the model in service

async function refreshModel() {
  let info;
  try {
    info = await api("/api/model");
  } catch (err) {
    $("model-status").textContent = `Cannot reach the server: ${err.message}`;
    return;
  }
  const status = $("model-status");
  if (!info.ready) {
    const job = info.training.job;
    status.textContent = job && job.state !== "error"
      ? `No model yet: training the lecture's network (${job.epochs_done} epochs done)… the Train tab shows it.`
      : "No model yet.";
    status.dataset.version = "0";
    if (info.training.running) followTraining();
    return;
  }
  const m = info.model;
  status.textContent = `Model v${m.version}: ${modelText(m)}`;
  status.dataset.version = String(m.version);
  $("draw-model").textContent = `Asking model v${m.version}: ${modelText(m)}`;
  $("draw-model").dataset.version = String(m.version);
  const changed = m.version !== state.modelVersion;
  state.model = m;
  state.modelVersion = m.version;
  if (changed) {
    state.network = null;
    if (state.hasInk) requestPredict(0);
    if (!$("panel-inside").hidden) renderInside();
    if (!$("panel-mistakes").hidden) loadMistakes();
    refreshModelList();
  }
  if (info.training.running) followTraining();
}

// "784 -> 15 sigmoid -> 10 softmax · test accuracy 95.10% · lecture.npz"
function modelText(m) {
  const acc = m.test_accuracy == null ? "" : ` · test accuracy ${(100 * m.test_accuracy).toFixed(2)}%`;
  return `${m.description}${acc} · ${m.source}`;
}

// The models the lab keeps (GET /api/models): the header's picker switches between them.
async function refreshModelList() {
  const select = $("model-select");
  try {
    const { models, served } = await api("/api/models");
    const label = (m) => `v${m.version}: ${m.description.replace(/ \(.*\)$/, "")}`  // no parameter count
      + `${m.test_accuracy == null ? "" : ` · ${(100 * m.test_accuracy).toFixed(2)}%`} · ${m.source}`;
    select.replaceChildren(...models.map((m) => new Option(label(m), String(m.id))));
    select.value = String(served);
    $("model-pick").hidden = models.length < 2;
  } catch (err) {
    $("model-status").textContent = `Cannot list the models: ${err.message}`;
  }
}

$("model-select").addEventListener("change", async () => {
  try {
    await api("/api/models/select", { method: "POST", body: { id: Number($("model-select").value) } });
  } catch (err) { // e.g. the model was dropped from the list meanwhile: show the list as it is
    $("model-status").textContent = `Cannot switch the model: ${err.message}`;
    return refreshModelList();
  }
  refreshModel();
});

// ---------------------------------------------------------------------------
// Draw: pointer events cover mouse, pen and touch alike

const pad = $("pad");
const padCtx = pad.getContext("2d", { willReadFrequently: true });
let stroke = null;

function clearPad() {
  state.drawingId += 1;
  padCtx.fillStyle = "#fff";
  padCtx.fillRect(0, 0, pad.width, pad.height);
  state.hasInk = false;
  showNoDigit();
  $("draw-note").textContent = "Draw anywhere in the box; the prediction updates as you draw.";
}

// Nothing to predict: the pad is empty (or all one colour), or the server found no ink.
function showNoDigit() {
  state.lastPredict = null;
  $("digit").textContent = "?";
  $("digit").dataset.modelVersion = "";
  $("confidence").textContent = "Draw a digit.";
  renderProbs(null);
  drawGray($("seen"), new Array(784).fill(0));
}

function padPoint(e) {
  const r = pad.getBoundingClientRect();
  return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
}

function inkTo([x, y], pressure) {
  padCtx.lineCap = "round"; padCtx.lineJoin = "round"; padCtx.strokeStyle = "#000";
  padCtx.lineWidth = stroke.pen ? 12 + 14 * (pressure || 0.5) : 20;
  padCtx.beginPath(); padCtx.moveTo(...stroke.last); padCtx.lineTo(x, y); padCtx.stroke();
  stroke.last = [x, y];
  state.hasInk = true;
}

pad.addEventListener("pointerdown", (e) => {
  e.preventDefault();
  pad.setPointerCapture(e.pointerId);
  stroke = { last: padPoint(e), pen: e.pointerType === "pen" };
  inkTo(padPoint(e), e.pressure);
  requestPredict();
});
pad.addEventListener("pointermove", (e) => {
  if (!stroke) return;
  const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
  for (const ev of (events.length ? events : [e])) inkTo(padPoint(ev), ev.pressure);
  requestPredict();
});
for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, () => { if (stroke) { stroke = null; requestPredict(0); } });
}

// Live prediction, debounced: at most one request in flight, at most one every 100 ms.
let predictTimer = null, predicting = false, dirty = false;
function requestPredict(delay = 100) {
  dirty = true;
  if (predictTimer !== null) {
    if (delay > 0) return;
    clearTimeout(predictTimer);
  }
  predictTimer = setTimeout(() => { predictTimer = null; runPredict(); }, delay);
}

function padPayload() {
  const small = document.createElement("canvas");
  small.width = small.height = SEND_SIDE;
  const ctx = small.getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(pad, 0, 0, SEND_SIDE, SEND_SIDE);
  const rgba = ctx.getImageData(0, 0, SEND_SIDE, SEND_SIDE).data;
  const gray = new Uint8Array(SEND_SIDE * SEND_SIDE);
  for (let i = 0; i < gray.length; i++) gray[i] = rgba[4 * i];
  // One gray level everywhere (a pad painted over) shows no digit: nothing to ask the server.
  if (gray.every((g) => g === gray[0])) return null;
  let binary = "";
  for (let i = 0; i < gray.length; i += 0x4000) {
    binary += String.fromCharCode.apply(null, gray.subarray(i, i + 0x4000));
  }
  return { width: SEND_SIDE, height: SEND_SIDE, pixels_base64: btoa(binary) };
}

async function runPredict() {
  if (predicting) return; // the request in flight re-checks `dirty` when it ends
  if (!dirty) return;
  dirty = false;
  if (!state.hasInk) return;
  const payload = padPayload();
  if (payload === null) return showNoDigit();
  predicting = true;
  const drawing = state.drawingId;
  try {
    const result = await api("/api/predict", { method: "POST", body: payload });
    if (drawing !== state.drawingId || !state.hasInk) return; // cleared or replaced meanwhile
    state.lastPredict = result;
    showPrediction(result);
  } catch (err) {
    if (drawing !== state.drawingId) return;
    if (err.status >= 400 && err.status < 500 && /no ink/i.test(err.message)) showNoDigit();
    else {
      $("draw-note").textContent = err.status === 503
        ? "The lecture's network is still training; predictions start when it is done."
        : `Prediction failed: ${err.message}`;
    }
  } finally {
    predicting = false;
    if (dirty) requestPredict();
  }
}

function renderProbs(probs) {
  const list = $("probs");
  if (!list.children.length) {
    for (let d = 0; d < 10; d++) {
      const li = document.createElement("li");
      li.innerHTML = `<span class="d">${d}</span><span class="bar"><span></span></span><span class="p"></span>`;
      list.appendChild(li);
    }
  }
  const best = probs ? probs.indexOf(Math.max(...probs)) : -1;
  Array.from(list.children).forEach((li, d) => {
    const p = probs ? probs[d] : 0;
    li.querySelector(".bar > span").style.width = `${100 * p}%`;
    li.querySelector(".p").textContent = probs ? pct(p) : "";
    li.classList.toggle("best", d === best);
    li.setAttribute("aria-label", probs ? `${d}: ${pct(p)}` : `${d}`);
  });
}

function showPrediction(r) {
  $("digit").textContent = String(r.digit);
  $("digit").dataset.modelVersion = String(r.model_version);
  $("confidence").textContent = `${pct(r.probabilities[r.digit])} sure · model v${r.model_version}`;
  renderProbs(r.probabilities);
  drawGray($("seen"), r.input.flat());
  if (!$("panel-inside").hidden) renderInside();
}

// A 28x28 MNIST image (0-255, ink bright) drawn big on the pad, dark on white like a drawing.
function loadPixels(pixels, note) {
  const tmp = document.createElement("canvas");
  tmp.width = tmp.height = 28;
  const tctx = tmp.getContext("2d");
  const img = tctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = 255 - pixels[i];
    img.data.set([v, v, v, 255], 4 * i);
  }
  tctx.putImageData(img, 0, 0);
  clearPad();
  padCtx.imageSmoothingEnabled = true;
  padCtx.drawImage(tmp, 0, 0, 28, 28, 0, 0, pad.width, pad.height);
  state.hasInk = true;
  $("draw-note").textContent = note;
  requestPredict(0);
}

async function loadTestDigit() {
  const index = $("digit-index").value.trim();
  try {
    const d = await api(`/api/digits/${encodeURIComponent(index === "" ? "x" : index)}`);
    loadPixels(d.pixels, `MNIST test digit #${d.index} (its label: ${d.label}).`);
  } catch (err) {
    $("draw-note").textContent = err.message;
  }
}

$("clear").addEventListener("click", clearPad);
$("load-digit").addEventListener("click", loadTestDigit);
$("digit-index").addEventListener("keydown", (e) => { if (e.key === "Enter") loadTestDigit(); });

// ---------------------------------------------------------------------------
// Inside the network: inputs -> hidden units -> outputs

async function renderInside() {
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
  const rows = [];

  const inputRow = document.createElement("div");
  inputRow.className = "layer";
  inputRow.innerHTML = `<h3>Input: ${net.sizes[0]} pixels (28×28)</h3>`;
  const units = document.createElement("div");
  units.className = "units";
  const inCanvas = document.createElement("canvas");
  inCanvas.className = "pixelated input-image";
  inCanvas.setAttribute("aria-label", "The preprocessed input");
  drawGray(inCanvas, pred ? pred.input.flat() : new Array(784).fill(0));
  units.appendChild(inCanvas);
  inputRow.appendChild(units);
  box.appendChild(inputRow);
  rows.push([inCanvas]);

  net.layers.forEach((layer, li) => {
    const isOut = li === net.layers.length - 1;
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
    const els = [];
    const a = isOut ? (pred && acts ? pred.probabilities : null) : (acts ? acts[li] : null);
    const aMax = a ? Math.max(1e-9, ...layer.shown.map((j) => Math.abs(a[j]))) : 1;
    layer.shown.forEach((j, k) => {
      const unit = document.createElement("figure");
      unit.className = isOut ? "unit out" : "unit";
      const value = a ? a[j] : null;
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
      unitsEl.appendChild(unit);
      els.push(unit);
    });
    row.appendChild(unitsEl);
    box.appendChild(row);
    rows.push(els);
  });
  box.dataset.layers = String(net.layers.length);
  drawContributions(box, rows, net, acts);
}

// Lines between consecutive layers (after the first hidden one): weight x activation.
function drawContributions(box, rows, net, acts) {
  const old = box.querySelector("svg");
  if (old) old.remove();
  const svgNS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("class", "wires");
  svg.setAttribute("aria-hidden", "true");
  const origin = box.getBoundingClientRect();
  svg.setAttribute("width", box.scrollWidth);
  svg.setAttribute("height", box.scrollHeight);
  let count = 0;
  for (let li = 1; acts && li < net.layers.length; li++) {
    const layer = net.layers[li], prev = net.layers[li - 1];
    const a = acts[li - 1];
    const contrib = layer.incoming.map((row, i) => row.map((w) => w * a[prev.shown[i]]));
    const cMax = Math.max(1e-12, ...contrib.flat().map(Math.abs));
    const from = rows[li], to = rows[li + 1];
    contrib.forEach((row, i) => row.forEach((c, k) => {
      if (Math.abs(c) < 0.02 * cMax) return;
      const f = from[i].getBoundingClientRect(), t = to[k].getBoundingClientRect();
      const line = document.createElementNS(svgNS, "line");
      line.setAttribute("x1", f.left + f.width / 2 - origin.left + box.scrollLeft);
      line.setAttribute("y1", f.bottom - origin.top);
      line.setAttribute("x2", t.left + t.width / 2 - origin.left + box.scrollLeft);
      line.setAttribute("y2", t.top - origin.top);
      line.setAttribute("stroke", c > 0 ? "#b2182b" : "#2166ac");
      line.setAttribute("stroke-width", (0.4 + 4.5 * Math.abs(c) / cMax).toFixed(2));
      line.setAttribute("stroke-opacity", (0.15 + 0.75 * Math.abs(c) / cMax).toFixed(2));
      svg.appendChild(line);
      count++;
    }));
  }
  const inp = rows[0][0].getBoundingClientRect();
  for (const unit of rows[1] || []) { // every pixel feeds every first-layer unit: faint lines
    const t = unit.getBoundingClientRect();
    const line = document.createElementNS(svgNS, "line");
    line.setAttribute("x1", inp.left + inp.width / 2 - origin.left + box.scrollLeft);
    line.setAttribute("y1", inp.bottom - origin.top);
    line.setAttribute("x2", t.left + t.width / 2 - origin.left + box.scrollLeft);
    line.setAttribute("y2", t.top - origin.top);
    line.setAttribute("stroke", "#9a9ab0");
    line.setAttribute("stroke-width", "0.8");
    line.setAttribute("stroke-opacity", "0.5");
    svg.appendChild(line);
  }
  svg.dataset.lines = String(count);
  box.prepend(svg);
}

onShow["tab-inside"] = renderInside;
let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { if (!$("panel-inside").hidden) renderInside(); }, 150);
});

// ---------------------------------------------------------------------------
// Train: start, follow the job's server-sent events, cancel

function trainBody() {
  const num = (id) => { const v = $(id).value.trim(); return v === "" ? null : Number(v); };
  const limit = $("t-limit").value;
  return {
    hidden: $("t-hidden").value,
    activation: $("t-activation").value,
    init: $("t-init").value,
    learning_rate: num("t-lr"),
    batch_size: num("t-batch"),
    epochs: num("t-epochs"),
    seed: num("t-seed"),
    optimizer: $("t-optimizer").value,
    schedule: $("t-schedule").value,
    l2: num("t-l2"),
    dropout: num("t-dropout"),
    train_limit: limit === "" ? null : Number(limit),
  };
}

function setTraining(running) {
  $("train-start").disabled = running;
  $("train-cancel").disabled = !running;
}

function resetCurve(job, epochs) {
  state.curve = { job, epochs: [], loss: [], acc: [], total: epochs };
  drawCurves();
}

function drawCurves() {
  const c = state.curve || { epochs: [], loss: [], acc: [], total: 1 };
  lineChart($("chart-loss"), c.epochs, c.loss, {
    xMax: c.total, yMin: 0, empty: "no epochs yet", yFormat: (y) => fmt(y, 3),
  });
  lineChart($("chart-acc"), c.epochs, c.acc, {
    xMax: c.total, yMin: 0, yMax: 1, color: "#2166ac", empty: "no epochs yet",
    yFormat: (y) => `${Math.round(100 * y)}%`,
  });
}

function addEpoch(ev) {
  if (!state.curve || state.curve.job !== ev.job) resetCurve(ev.job, ev.epochs);
  const c = state.curve;
  if (c.epochs.includes(ev.epoch)) return;
  c.epochs.push(ev.epoch); c.loss.push(ev.train_loss); c.acc.push(ev.test_accuracy);
  c.total = ev.epochs;
  drawCurves();
}

function showTrainWeights(layers, label) {
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

function followTraining() {
  if (state.events) return;
  const es = new EventSource("/api/train/events");
  state.events = es;
  setTraining(true);
  // (a connection problem also fires "error", without data: es.onerror deals with that)
  const on = (type, fn) => es.addEventListener(type, (e) => { if (e.data) fn(JSON.parse(e.data)); });
  const status = $("train-status");
  on("started", (ev) => { resetCurve(ev.job, ev.job_summary.config.epochs); status.textContent = ev.message; });
  on("status", (ev) => { status.textContent = ev.message; });
  // The server keeps only the latest weight images for replay: a page that joins a
  // running job gets the first "weights" event without them (the last epoch's follow).
  on("weights", (ev) => { if (ev.layers) showTrainWeights(ev.layers, "(initial, random)"); });
  on("progress", (ev) => {
    $("train-progress").value = ev.batch / ev.batches;
    status.textContent = `Epoch ${ev.epoch}: batch ${ev.batch} of ${ev.batches}, loss ${fmt(ev.loss, 3)}`;
  });
  on("epoch", (ev) => {
    addEpoch(ev);
    $("train-progress").value = 1;
    status.textContent = `Epoch ${ev.epoch} of ${ev.epochs}: training loss ${fmt(ev.train_loss, 4)}, `
      + `test accuracy ${(100 * ev.test_accuracy).toFixed(2)}%`;
    if (ev.layers) showTrainWeights(ev.layers, `(after epoch ${ev.epoch})`);
    if (!state.model) refreshModel();
  });
  const finish = (ev, text) => {
    es.close();
    state.events = null;
    setTraining(false);
    status.textContent = text;
    status.dataset.state = ev.type;
    refreshModel();
  };
  on("done", (ev) => finish(ev, `Done: ${ev.message}. The Draw tab now uses this model (v${ev.model.version}).`));
  on("cancelled", (ev) => finish(ev, `Cancelled: ${ev.message}.`));
  on("error", (ev) => { finish(ev, `Stopped: ${ev.message}`); showTrainError(new Error(ev.message)); });
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) { state.events = null; setTraining(false); }
  };
}

$("train-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  showTrainError(null);
  try {
    const job = await api("/api/train", { method: "POST", body: trainBody() });
    resetCurve(job.id, job.config.epochs);
    $("train-status").textContent = `Job ${job.id} started.`;
    $("train-status").dataset.state = "running";
    followTraining();
  } catch (err) {
    showTrainError(err);
    $("train-status").textContent = `Not started: ${err.message}`;
    $("train-status").dataset.state = "refused";
    $("train-progress").value = 0;
  }
});

// The message goes beside the Start button and into view; the field it names is marked.
function showTrainError(err) {
  const box = $("train-error");
  for (const el of $("train-form").querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  showError(box, err);
  if (!err) return;
  const field = $("train-form").elements.namedItem((err.message.match(/^\w+/) || [""])[0]);
  if (field && field.setAttribute) field.setAttribute("aria-invalid", "true");
  box.scrollIntoView({ block: "nearest" });
}

$("train-cancel").addEventListener("click", async () => {
  try {
    const r = await api("/api/train/cancel", { method: "POST", body: {} });
    $("train-status").textContent = r.message;
  } catch (err) {
    showTrainError(err);
  }
});

// The form shows what the running job (for instance the startup job) was asked to do.
function showJobConfig(job) {
  const c = job.config;
  $("t-hidden").value = c.hidden.join(",");
  $("t-activation").value = c.activation;
  $("t-init").value = c.init;
  $("t-lr").value = c.learning_rate;
  $("t-batch").value = c.batch_size;
  $("t-epochs").value = c.epochs;
  $("t-seed").value = c.seed;
  $("t-optimizer").value = c.optimizer;
  $("t-schedule").value = c.schedule;
  $("t-l2").value = c.l2;
  $("t-dropout").value = c.dropout;
  const limit = String(job.train_limit ?? "");
  if (![...$("t-limit").options].some((o) => o.value === limit)) {
    $("t-limit").add(new Option(`first ${Number(limit).toLocaleString("en")}`, limit));
  }
  $("t-limit").value = limit;
}

async function restoreTraining() {
  try {
    const s = await api("/api/train");
    if (s.job) {
      if (s.running) showJobConfig(s.job);
      resetCurve(s.job.id, s.job.config.epochs);
      for (const h of s.job.history) addEpoch({ ...h, job: s.job.id });
      $("train-status").textContent = s.running ? `Job ${s.job.id} is running.` : `Last job: ${s.job.state}. ${s.job.message}`;
    } else {
      drawCurves();
    }
    if (s.running) {
      followTraining();
    } else if (state.modelVersion || (await api("/api/model")).ready) {
      const net = await api("/api/network");
      if (net.layers.length > 1) showTrainWeights(net.layers, `(model v${net.model_version}, in service)`);
    }
  } catch (err) {
    showError($("train-error"), err);
  }
}

// ---------------------------------------------------------------------------
// Descent: the two-variable valley, interactive

const contour = $("contour");
const cctx = contour.getContext("2d");
let contourImage = null;

function surface() { return state.surfaces[$("d-surface").value]; }

function toCanvas([v1, v2]) {
  const [a0, a1, b0, b1] = surface().window;
  return [(v1 - a0) / (a1 - a0) * contour.width, (1 - (v2 - b0) / (b1 - b0)) * contour.height];
}

function toWorld(x, y) {
  const [a0, a1, b0, b1] = surface().window;
  return [a0 + (a1 - a0) * x / contour.width, b0 + (b1 - b0) * (1 - y / contour.height)];
}

// Colour bands and contour lines from the server's grid of C values (bilinear between points).
function renderContour() {
  const s = surface(), { n, costs } = s.grid;
  const W = contour.width, H = contour.height;
  const flat = costs.flat(), lo = Math.min(...flat);
  const t = (c) => Math.log1p(c - lo); // spread the low values, where the valley is
  const tMax = t(Math.max(...flat)), LEVELS = 14;
  const level = new Int16Array(W * H);
  for (let y = 0; y < H; y++) {
    const gy = (1 - y / (H - 1)) * (n - 1), i0 = Math.min(n - 2, Math.floor(gy)), fy = gy - i0;
    for (let x = 0; x < W; x++) {
      const gx = x / (W - 1) * (n - 1), j0 = Math.min(n - 2, Math.floor(gx)), fx = gx - j0;
      const c = (costs[i0][j0] * (1 - fx) + costs[i0][j0 + 1] * fx) * (1 - fy)
        + (costs[i0 + 1][j0] * (1 - fx) + costs[i0 + 1][j0 + 1] * fx) * fy;
      level[y * W + x] = Math.min(LEVELS - 1, Math.floor(LEVELS * t(c) / (tMax || 1)));
    }
  }
  const img = cctx.createImageData(W, H);
  for (let p = 0; p < W * H; p++) {
    const k = level[p] / (LEVELS - 1);
    const edge = (p % W < W - 1 && level[p + 1] !== level[p]) || (p + W < W * H && level[p + W] !== level[p]);
    const rgb = edge ? [90, 90, 110] : [255 - 120 * k, 250 - 150 * k, 235 - 60 * k];
    img.data.set([...rgb, 255], 4 * p);
  }
  contourImage = img;
  $("descent-formula").textContent = `${s.formula} · window v₁ ∈ [${s.window[0]}, ${s.window[1]}], `
    + `v₂ ∈ [${s.window[2]}, ${s.window[3]}] · a good λ here: ${s.good_lr} · click to choose the start`;
  drawPath();
}

function drawAxes() {
  const [a0, a1, b0, b1] = surface().window, W = contour.width, H = contour.height;
  cctx.save();
  cctx.strokeStyle = "rgba(0, 0, 0, .35)";
  cctx.setLineDash([4, 4]);
  const [x0, y0] = toCanvas([0, 0]);
  if (a0 < 0 && a1 > 0) { cctx.beginPath(); cctx.moveTo(x0, 0); cctx.lineTo(x0, H); cctx.stroke(); }
  if (b0 < 0 && b1 > 0) { cctx.beginPath(); cctx.moveTo(0, y0); cctx.lineTo(W, y0); cctx.stroke(); }
  cctx.fillStyle = "#222";
  cctx.font = "13px system-ui, sans-serif";
  cctx.textBaseline = "bottom";
  cctx.fillText(`v₁ = ${a0}`, 5, H - 4);
  cctx.textAlign = "right";
  cctx.fillText(`v₁ = ${a1}`, W - 5, H - 4);
  cctx.textBaseline = "top";
  cctx.fillText(`v₂ = ${b1}`, W - 5, 4);
  cctx.restore();
}

function drawPath() {
  if (!contourImage) return;
  cctx.putImageData(contourImage, 0, 0);
  drawAxes();
  const p = state.path;
  if (!p) return;
  const pts = p.points.filter((v) => v[0] !== null && v[1] !== null);
  cctx.lineWidth = 2; cctx.strokeStyle = p.diverged ? "#b2182b" : "#111";
  cctx.beginPath();
  pts.forEach((v, i) => { const [x, y] = toCanvas(v); i ? cctx.lineTo(x, y) : cctx.moveTo(x, y); });
  cctx.stroke();
  pts.forEach((v, i) => {
    const [x, y] = toCanvas(v);
    cctx.fillStyle = i === 0 ? "#1a9850" : (i === pts.length - 1 ? "#b2182b" : "#111");
    cctx.beginPath(); cctx.arc(x, y, i === 0 || i === pts.length - 1 ? 5 : 2.5, 0, 2 * Math.PI); cctx.fill();
  });
  contour.dataset.steps = String(p.points.length - 1);
  // the cost readout, the chart and the table
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
  renderContour();
  queueDescent(resetPath);
}

contour.addEventListener("click", (e) => {
  const r = contour.getBoundingClientRect();
  const [v1, v2] = toWorld((e.clientX - r.left) * contour.width / r.width, (e.clientY - r.top) * contour.height / r.height);
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
onShow["tab-descent"] = loadSurfaces;

// ---------------------------------------------------------------------------
// Perceptron: the lecture's "go to the game?" table, live

const sliders = ["p-w0", "p-w1", "p-w2", "p-t"];
let perceptronTimer = null, perceptronSeq = 0;

async function updatePerceptron() {
  for (const id of sliders) $(`${id}-out`).textContent = $(id).value;
  const seq = ++perceptronSeq;
  try {
    const r = await api("/api/perceptron", {
      method: "POST",
      body: { weights: sliders.slice(0, 3).map((id) => Number($(id).value)), threshold: Number($("p-t").value) },
    });
    if (seq !== perceptronSeq) return; // a newer answer is on its way
    $("p-caption").textContent = `w = (${r.weights.join(", ")}), t = ${r.threshold}: go when w·x ≥ ${r.threshold}`;
    $("p-goes").textContent = `Goes in ${r.goes} of ${r.rows.length} situations.`;
    const body = $("p-table").querySelector("tbody");
    body.innerHTML = "";
    for (const row of r.rows) {
      const tr = document.createElement("tr");
      tr.className = row.go ? "go" : "";
      tr.innerHTML = row.x.map((v) => `<td>${v ? "yes" : "no"}</td>`).join("")
        + `<td class="wx">${fmt(row.wx)}</td><td class="decision">${row.go ? "go ✓" : "stay"}</td>`;
      body.appendChild(tr);
    }
    showError($("p-error"), null);
  } catch (err) {
    showError($("p-error"), err);
  }
}

for (const id of sliders) {
  $(id).addEventListener("input", () => {
    $(`${id}-out`).textContent = $(id).value;
    clearTimeout(perceptronTimer);
    perceptronTimer = setTimeout(updatePerceptron, 30);
  });
}
onShow["tab-perceptron"] = updatePerceptron;

// ---------------------------------------------------------------------------
// Mistakes: test digits the model gets wrong; a click loads one into Draw

async function loadMistakes(more = false) {
  const gallery = $("mistakes"), summary = $("mistakes-summary");
  if (!more && state.mistakesVersion === state.modelVersion && gallery.children.length) return;
  if (!more) {
    gallery.innerHTML = "";
    state.mistakesOffset = 0;
    summary.textContent = "Looking through the 10,000 test digits…";
  }
  try {
    const r = await api(`/api/mistakes?limit=24&offset=${state.mistakesOffset}`);
    state.mistakesVersion = r.model_version;
    summary.textContent = `Model v${r.model_version} gets ${r.total.toLocaleString("en")} of `
      + `${r.n_test.toLocaleString("en")} test digits wrong (accuracy ${(100 * r.accuracy).toFixed(2)}%). `
      + "Most confident mistakes first; click one to load it into the Draw tab.";
    for (const m of r.mistakes) gallery.appendChild(mistakeCard(m));
    state.mistakesOffset = r.offset + r.mistakes.length;
    $("mistakes-more").hidden = state.mistakesOffset >= r.total;
  } catch (err) {
    summary.textContent = err.message;
  }
}

function mistakeCard(m) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "mistake";
  b.dataset.index = String(m.index);
  b.setAttribute("aria-label", `Test digit ${m.index}: true ${m.label}, predicted ${m.prediction} `
    + `with ${pct(m.confidence)}; load into the Draw tab`);
  const c = document.createElement("canvas");
  c.className = "pixelated";
  drawGray(c, m.pixels, 28, 255);
  b.appendChild(c);
  const t = document.createElement("span");
  t.className = "caption";
  t.innerHTML = `true <b>${m.label}</b> → said <b class="wrong">${m.prediction}</b> ${pct(m.confidence)}`;
  b.appendChild(t);
  const bars = document.createElement("span");
  bars.className = "minibars";
  bars.setAttribute("aria-hidden", "true");
  m.probabilities.forEach((p, d) => {
    const s = document.createElement("span");
    s.style.height = `${Math.max(2, 100 * p)}%`;
    s.title = `${d}: ${pct(p)}`;
    if (d === m.label) s.className = "true";
    else if (d === m.prediction) s.className = "said";
    bars.appendChild(s);
  });
  b.appendChild(bars);
  b.addEventListener("click", () => {
    loadPixels(m.pixels, `Test digit #${m.index}: its label is ${m.label}; the model said ${m.prediction} `
      + `(${pct(m.confidence)}) on the raw image. Here it is redrawn and preprocessed.`);
    selectTab($("tab-draw"));
  });
  return b;
}

$("mistakes-more").addEventListener("click", () => loadMistakes(true));
onShow["tab-mistakes"] = () => loadMistakes();

// ---------------------------------------------------------------------------
// start

clearPad();
drawCurves();
refreshModel();
restoreTraining();
window.lab = { state, api, loadPixels, selectTab }; // for the curious, and for the browser tests
const initial = tabs.find((t) => `#${t.id.slice(4)}` === location.hash);
selectTab(initial || tabs[0]);
