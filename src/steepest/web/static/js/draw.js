// The Draw tab: live predictions for the drawing on the pad (debounced, one
// request in flight), the ten probabilities, the 28x28 image the network saw,
// and loading an MNIST test digit onto the pad (from this tab or the Inside
// tab).  The pad itself is pad.js (and padkeys.js, drawing with the keyboard).
// Until a model is served (the start-up training) nothing is asked: the
// drawing waits, and is read once, when the model is ready.
// Views that follow the drawing (inside.js) register with onPrediction: this
// module imports none of them, so the modules form no cycle.

import { api } from "./api.js";
import { plainWords, say } from "./messages.js";
import { modelName, onModelChange } from "./model.js";
import { followStrokes, inkExtent, padPayload, paintPixels, wipePad } from "./pad.js";
import { followKeys } from "./padkeys.js";
import { $, pct } from "./page.js";
import { drawGray } from "./pictures.js";
import { state } from "./state.js";

const DRAW_NOTE = "Draw anywhere in the box; the prediction updates as you draw.";

export function clearPad() {
  wipePad();
  showNoDigit();
  say($("draw-note"), DRAW_NOTE);
  delete $("draw-note").dataset.small;
}

// After each stroke: a drawing smaller than a fifth of the box is read, but the learner is
// told why it may be read wrong (the server scales it up to 20x20, blurring it).
function checkSize() {
  const extent = inkExtent(), side = $("pad").width, note = $("draw-note");
  if (extent !== null && extent < 0.2 * side) {
    say(note, `Your digit is small (${Math.round(100 * extent / side)}% of the box): `
      + "MNIST's digits fill most of theirs, and a small drawing loses detail when it is scaled up. "
      + "Clear, and draw it bigger for a more reliable answer.");
    note.dataset.small = "yes";
  } else if (note.dataset.small) {
    delete note.dataset.small;
    say(note, DRAW_NOTE);
  }
}

// A drawing, and no model yet to read it: say so (once a model is served, onModelChange asks).
function showWaiting() {
  $("digit").textContent = "?";
  $("confidence").textContent = $("model-status").dataset.version === "0"
    ? "Waiting for the model: the lecture's network is still training (the Train tab shows it). "
      + "Your drawing is read as soon as it is ready."
    : "Waiting for the model…";
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
  if (!state.modelVersion) return showWaiting();
  const payload = padPayload(), ink = $("pad").dataset.ink;
  if (payload === null) return showNoDigit();
  predicting = true;
  const drawing = state.drawingId;
  try {
    const result = await api("/api/predict", { method: "POST", body: payload });
    if (drawing !== state.drawingId || !state.hasInk) return; // cleared or replaced meanwhile
    state.lastPredict = result;
    showPrediction(result);
    $("digit").dataset.ink = ink; // the pad as it was asked about (pad.js counts its changes)
    if ($("draw-note").dataset.detail) say($("draw-note"), DRAW_NOTE); // a failure before: over now
  } catch (err) {
    if (drawing !== state.drawingId) return;
    if (err.status === 422) showNoDigit();
    else say($("draw-note"), plainWords(err) || "The server could not read this drawing: clear it and draw again.", err);
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
  $("confidence").textContent = `${pct(r.probabilities[r.digit])} sure · ${modelName(r.model_version)}`;
  renderProbs(r.probabilities);
  drawGray($("seen"), r.input.flat());
  predictionListeners.forEach((fn) => fn(r));
}

const predictionListeners = [];
// fn(answer) runs after each prediction for the drawing is shown.
export const onPrediction = (fn) => predictionListeners.push(fn);

// A 28x28 MNIST image (0-255, ink bright) on the pad, with a note saying what it is.
export function loadPixels(pixels, note) {
  clearPad();
  paintPixels(pixels);
  say($("draw-note"), note);
  requestPredict(0);
}

// The MNIST test digit numbered in `input` (0 to its max) onto the pad (GET /api/digits/N),
// noted as said.loaded(digit) says.  Otherwise element `note` says why: said.range(max) for
// a number out of range, and for a failed request plain words or said.failed(number, max).
export async function loadTestDigit(input, note, said) {
  const index = input.value.trim(), last = Number(input.max);
  if (!/^[0-9]{1,6}$/.test(index) || Number(index) > last) return say(note, said.range(last));
  try {
    const d = await api(`/api/digits/${Number(index)}`);
    loadPixels(d.pixels, said.loaded(d));
  } catch (err) {
    say(note, plainWords(err) || said.failed(index, last), err);
  }
}

// The Draw tab's Load button: on a failed request, too, it says which numbers there are.
function loadDrawDigit() {
  const pick = (last) => `There are ${(last + 1).toLocaleString("en")} MNIST test digits: type a `
    + `number from 0 to ${last}, then Load.`;
  loadTestDigit($("digit-index"), $("draw-note"), {
    range: pick, failed: (index, last) => pick(last),
    loaded: (d) => `MNIST test digit #${d.index} (its label: ${d.label}).`,
  });
}

// Ink from the pointer or the keys: onInk() as a stroke goes, onInk(0) when it ends.
function onInk(delay) {
  requestPredict(delay);
  if (delay === 0) checkSize();
}
followStrokes(onInk);
followKeys(onInk, clearPad);
$("clear").addEventListener("click", clearPad);
$("load-digit").addEventListener("click", loadDrawDigit);
$("digit-index").addEventListener("keydown", (e) => { if (e.key === "Enter") loadDrawDigit(); });
onModelChange(() => { if (state.hasInk) requestPredict(0); }); // ask the new model
