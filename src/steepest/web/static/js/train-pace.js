// Watching the network learn, on the Train tab: play / pause / step buttons and
// the pace (POST /api/train/control), and the gallery -- ten fixed test digits,
// one per class, with what the network in training says of each, frame by frame.
// train.js calls these from the job's events.

import { api } from "./api.js";
import { sayError } from "./messages.js";
import { $, pct } from "./page.js";
import { drawGray } from "./pictures.js";

// What POST /api/train adds for the pace: the chosen rate, and whether to start paused.
export function paceBody() {
  const rate = $("train-pace").value;
  return { pace: rate === "" ? null : Number(rate), paused: $("t-paused").checked };
}

// The buttons follow the job: {paused, rate, stepping}, from the server.
export function showPace(p) {
  if (!p) return;
  const button = $("train-pause");
  button.textContent = p.paused ? "Play" : "Pause";
  button.dataset.paused = String(p.paused);
  $("train-controls").dataset.paused = String(p.paused);
  if (p.rate === undefined) return;
  const pace = $("train-pace"), value = p.rate ? String(p.rate) : ""; // a job started elsewhere
  if (![...pace.options].some((o) => o.value === value)) pace.add(new Option(`${value} batches/s`, value));
  pace.value = value;
}

export function enableControls(running) {
  for (const id of ["train-pause", "train-step-batch", "train-step-epoch"]) $(id).disabled = !running;
  if (!running) showPace({ paused: false });
}

async function control(body) {
  try {
    showPace(await api("/api/train/control", { method: "POST", body }));
  } catch (err) {
    sayError($("train-error"), err.message, err);
  }
}

// After Start: the progress card comes into view (on a phone it is far below the button),
// and the keyboard lands on Pause, the next thing to use.
export function bringProgressIntoView() {
  const r = $("train-status").getBoundingClientRect();
  if (r.top < 0 || r.bottom > window.innerHeight) $("train-progress-card").scrollIntoView({ block: "start" });
  $("train-pause").focus({ preventScroll: true });
}

// The gallery's images and true labels: once per job (its "gallery" event).
export function showGallery(ev) {
  const list = $("train-gallery");
  list.innerHTML = "";
  ev.images.forEach((pixels, k) => {
    const li = document.createElement("li");
    li.dataset.label = String(ev.labels[k]);
    const c = document.createElement("canvas");
    c.className = "pixelated g-img";
    c.setAttribute("role", "img");
    c.setAttribute("aria-label", `MNIST test image ${ev.indices[k]}, a handwritten ${ev.labels[k]}`);
    drawGray(c, pixels, 28, 255);
    const said = document.createElement("span");
    said.className = "g-said";
    said.textContent = "…";
    li.append(c, said);
    list.appendChild(li);
  });
}

// What the network says of each gallery digit now: ✓ or ✗, the digit and its confidence.
export function showPredictions(preds, when) {
  const items = $("train-gallery").children;
  if (!preds || items.length !== preds.length) return;
  let right = 0;
  preds.forEach((p, k) => {
    const li = items[k];
    const ok = String(p.digit) === li.dataset.label;
    right += ok;
    li.className = ok ? "right" : "wrong";
    li.dataset.digit = String(p.digit);
    li.dataset.confidence = String(p.confidence);
    li.querySelector(".g-said").textContent = `${ok ? "✓" : "✗"} ${p.digit} ${pct(p.confidence)}`;
  });
  $("train-gallery-when").textContent = `${when}: ${right} of ${preds.length} right`;
}

$("train-pause").addEventListener("click", (e) => {
  control({ action: e.currentTarget.dataset.paused === "true" ? "play" : "pause" });
});
$("train-step-batch").addEventListener("click", () => control({ action: "step_batch" }));
$("train-step-epoch").addEventListener("click", () => control({ action: "step_epoch" }));
$("train-pace").addEventListener("change", () => {
  if (!$("train-pause").disabled) control({ pace: paceBody().pace });
});
