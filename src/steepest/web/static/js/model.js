// The header: the model in service and the picker that switches between the
// models the lab keeps.  The picker's chosen entry is the one place that
// describes the model (#model-status says it again, but only to screen
// readers); every other view names it as modelName() does, "model v2" (or
// sentenceModelName(), "Model v2", to begin a sentence): the Draw tab's
// "Asking model v2", and each .served-model element in the page.
// What the tabs do when the served model changes, or when a training job
// runs, they register here: onModelChange, onTrainingRunning.

import { api } from "./api.js";
import { $ } from "./page.js";
import { state } from "./state.js";

const changeListeners = [];
const trainingListeners = [];

// fn(model) runs whenever a different model is served.
export const onModelChange = (fn) => changeListeners.push(fn);
// fn() runs whenever the server says a training job is running.
export const onTrainingRunning = (fn) => trainingListeners.push(fn);
const trainingRuns = () => trainingListeners.forEach((fn) => fn());
// How every view names a model: the lab's one numbering.
export const modelName = (version) => `model v${version}`;
export const sentenceModelName = (version) => modelName(version).replace(/^m/, "M"); // "Model v2"

// The header's status line: shown while there is no model (or on an error), else heard only.
function say(text, heardOnly = false) {
  const status = $("model-status");
  status.textContent = text;
  status.classList.toggle("sr-only", heardOnly);
}

// Asks the server which model is served and shows it; resolves to true when a different
// model is served since the last call (the onModelChange listeners have then run).
export async function refreshModel() {
  let info;
  try {
    info = await api("/api/model");
  } catch (err) {
    say(`Cannot reach the server: ${err.message}`);
    return false;
  }
  const status = $("model-status");
  if (!info.ready) {
    const job = info.training.job;
    say(job && job.state !== "error"
      ? `No model yet: training the lecture's network (${job.epochs_done} epochs done)… the Train tab shows it.`
      : "No model yet.");
    status.dataset.version = "0";
    if (info.training.running) trainingRuns();
    return false;
  }
  const m = info.model;
  say(`${sentenceModelName(m.version)}: ${modelText(m)}`, true); // the picker shows it
  status.dataset.version = String(m.version);
  $("draw-model").textContent = `Asking ${modelName(m.version)}.`;
  $("draw-model").dataset.version = String(m.version);
  for (const el of document.querySelectorAll(".served-model")) {
    el.textContent = modelName(m.version);
    el.dataset.version = String(m.version);
  }
  const changed = m.version !== state.modelVersion;
  state.model = m;
  state.modelVersion = m.version;
  if (changed || $("model-select").value !== String(m.version)) refreshModelList();
  if (changed) changeListeners.forEach((fn) => fn(m));
  if (info.training.running) trainingRuns();
  return changed;
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
    $("model-pick").hidden = !models.length; // from the first model on: the header keeps its shape
  } catch (err) {
    say(`Cannot list the models: ${err.message}`);
  }
}

$("model-select").addEventListener("change", async () => {
  try {
    await api("/api/models/select", { method: "POST", body: { id: Number($("model-select").value) } });
  } catch (err) { // e.g. the model was dropped from the list meanwhile: show the list as it is
    say(`Cannot switch the model: ${err.message}`);
    return refreshModelList();
  }
  refreshModel();
});
