// The Draw tab: live predictions for the drawing on the pad (debounced, one
// request in flight), the ten probabilities, the 28x28 image the network saw,
// and loading an MNIST test digit onto the pad.  The pad itself is pad.js.

import { api } from "./api.js";
import { renderInside } from "./inside.js";
import { onModelChange } from "./model.js";
import { followStrokes, padPayload, paintPixels, wipePad } from "./pad.js";
import { $, pct } from "./page.js";
import { drawGray } from "./pictures.js";
import { state } from "./state.js";

export function clearPad() {
  wipePad();
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

// A 28x28 MNIST image (0-255, ink bright) on the pad, with a note saying what it is.
export function loadPixels(pixels, note) {
  clearPad();
  paintPixels(pixels);
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

followStrokes(requestPredict);
$("clear").addEventListener("click", clearPad);
$("load-digit").addEventListener("click", loadTestDigit);
$("digit-index").addEventListener("keydown", (e) => { if (e.key === "Enter") loadTestDigit(); });
onModelChange(() => { if (state.hasInk) requestPredict(0); }); // ask the new model
