// The Train tab's view of the model in service: when no job is being followed,
// the curves are the served model's own training history (GET /api/model's
// "history", stored in its file) and the weight images its first layer's, both
// labelled with its name, and what it says of the ten gallery digits; after a
// switch in the header they follow it.  While
// a job runs, the tab shows the job, and #train-model says which model serves.

import { api } from "./api.js";
import { modelName, onModelChange, sentenceModelName } from "./model.js";
import { $ } from "./page.js";
import { state } from "./state.js";
import { showGallery, showPredictions } from "./train-pace.js";
import { resetCurve, showTrainWeights } from "./train-progress.js";

// "Model v3 is in service: trained in the lab, 5 epochs."
const inService = (m) => `${sentenceModelName(m.version)} is in service`;

// Curves and weight images of the model in service (state.model), unless a job is followed.
export async function showServedModel() {
  const m = state.model, line = $("train-model");
  if (!m) return;
  line.dataset.version = String(m.version);
  const status = $("train-status");
  if (state.events) {
    delete status.dataset.model; // the job's own messages follow
    line.textContent = `${inService(m)} until this job ends; the curves and weights below are the job's.`;
    return;
  }
  if (status.dataset.model && status.dataset.model !== String(m.version)) { // a switch since
    status.textContent = "No training job is running.";
    delete status.dataset.model;
  }
  const history = m.history || [];
  line.textContent = `${inService(m)}: ${m.source}. `
    + (history.length ? `Its training, epoch by epoch, and its first layer's weights:`
      : "Its file records no training history; its first layer's weights:");
  const key = modelName(m.version), total = m.cancelled_at ? m.cancelled_at.epochs : history.length;
  resetCurve(key, Math.max(1, total), history);
  let net;
  try {
    net = await api("/api/network");
  } catch (err) {
    line.textContent = `${inService(m)}, but its weights cannot be shown: ${err.message}`;
    return;
  }
  if (state.events || net.model_version !== state.modelVersion) return; // a job or a switch came first
  const after = history.length ? `, after epoch ${history[history.length - 1].epoch}` : "";
  showServedGallery();
  if (net.layers.length > 1) {
    showTrainWeights(net.layers, `(${modelName(net.model_version)}, in service${after})`);
  } else {
    $("train-weights").replaceChildren();
    $("train-weights-epoch").textContent = `(${modelName(net.model_version)} has no hidden layer)`;
  }
}

// The gallery's ten test digits with the served model's answers (GET /api/gallery).
async function showServedGallery() {
  let g;
  try {
    g = await api("/api/gallery");
  } catch (err) {
    $("train-gallery-when").textContent = `(cannot be shown: ${err.message})`;
    return;
  }
  if (state.events || g.model_version !== state.modelVersion) return; // a job or a switch came first
  showGallery(g);
  showPredictions(g.predictions, sentenceModelName(g.model_version));
}

// What the Progress card says when a job ends: which model it left in service
// (until the user serves another: showServedModel then drops the message).
export function jobEndText(ev) {
  const m = ev.model;
  $("train-status").dataset.model = m ? String(m.version) : "";
  if (ev.type === "done") {
    return ev.new_model === false
      ? `Done: ${ev.message}. The same network as ${modelName(m.version)} (same settings, seed and `
        + `images), so ${modelName(m.version)} is in service again; no copy was added.`
      : `Done: ${ev.message}. ${inService(m)} in every tab.`;
  }
  if (!m) return `Cancelled: ${ev.message}. No epoch was finished: nothing was kept.`;
  const kept = m.cancelled_at ? `epoch ${m.cancelled_at.epoch} of ${m.cancelled_at.epochs}` : "its epochs";
  return ev.new_model === false
    ? `Cancelled: ${ev.message}. Its ${kept} is the same network as ${modelName(m.version)}, in service again.`
    : `Cancelled: ${ev.message}. Its finished epochs are kept: ${modelName(m.version)} (${kept}) is in service.`;
}

onModelChange(showServedModel);
