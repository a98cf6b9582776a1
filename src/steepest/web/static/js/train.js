// The Train tab: start a job from the form, follow its server-sent events
// (GET /api/train/events) into the Progress card, cancel it, and on loading
// the page show the last job (or join the running one).  The form is
// train-form.js, the curves and weight images train-progress.js.

import { api } from "./api.js";
import { followEvents } from "./events.js";
import { sayError } from "./messages.js";
import { onTrainingRunning, refreshModel } from "./model.js";
import { $, fmt } from "./page.js";
import { state } from "./state.js";
import { setTraining, showJobConfig, showTrainError, trainBody } from "./train-form.js";
import {
  bringProgressIntoView, enableControls, paceBody, showGallery, showPace, showPredictions,
} from "./train-pace.js";
import {
  addEpoch, drawCurves, rememberStart, resetCurve, showTrainWeights,
} from "./train-progress.js";
import { jobEndText, showServedModel } from "./train-served.js";

function followTraining() {
  if (state.events) return;
  const status = $("train-status");
  const finish = (ev, text) => {
    stopFollowing();
    status.textContent = text;
    status.dataset.state = ev.type;
    // the tab shows the model the job left in service: onModelChange shows a new one
    refreshModel().then((changed) => { if (!changed) showServedModel(); });
  };
  // Where the job is in its epoch ("progress" and "frame" events): the bar and the status line.
  const showBatch = (ev) => {
    $("train-progress").value = ev.batch / ev.batches;
    status.textContent = `Epoch ${ev.epoch}: batch ${ev.batch} of ${ev.batches}, loss ${fmt(ev.loss, 3)}`
      + (ev.paused ? " (paused)" : "");
  };
  state.events = followEvents("/api/train/events", {
    started: (ev) => {
      resetCurve(ev.job, ev.job_summary.config.epochs);
      status.textContent = ev.message;
      showPace(ev.job_summary.pace);
    },
    status: (ev) => { status.textContent = ev.message; },
    gallery: showGallery,
    pace: showPace,
    // The server keeps only the latest weight images for replay: a page that joins a
    // running job gets the first "weights" event without them (the last epoch's follow).
    weights: (ev) => {
      if (ev.layers) {
        rememberStart(ev.job, ev.layers);
        showTrainWeights(ev.layers, "(initial, random)", ev.job);
      }
      showPredictions(ev.gallery, "Before training");
      if (ev.paused) status.textContent = "Paused before the first batch: press Step or Play.";
    },
    // A look between two epochs: at a slow pace, and wherever the job waits, paused.
    frame: (ev) => {
      showBatch(ev);
      const when = `epoch ${ev.epoch}, batch ${ev.batch} of ${ev.batches}`;
      if (ev.layers) showTrainWeights(ev.layers, `(${when})`, ev.job);
      showPredictions(ev.gallery, `In ${when}`);
    },
    progress: showBatch,
    epoch: (ev) => {
      addEpoch(ev);
      $("train-progress").value = 1;
      status.textContent = `Epoch ${ev.epoch} of ${ev.epochs}: training loss ${fmt(ev.train_loss, 4)}, `
        + `test accuracy ${(100 * ev.test_accuracy).toFixed(2)}%`;
      if (ev.layers) showTrainWeights(ev.layers, `(after epoch ${ev.epoch})`, ev.job);
      showPredictions(ev.gallery, `After epoch ${ev.epoch}`);
      if (ev.paused && ev.epoch < ev.epochs) status.textContent += " (paused)";
      if (!state.model) refreshModel();
    },
    done: (ev) => finish(ev, jobEndText(ev)),
    cancelled: (ev) => finish(ev, jobEndText(ev)),
    error: (ev) => { finish(ev, `Stopped: ${ev.message}`); showTrainError(new Error(ev.message)); },
  }, stopFollowing);
  setTraining(true);
  showServedModel(); // says which model serves while the job runs
  enableControls(true);
}

function stopFollowing() {
  if (state.events) state.events.close();
  state.events = null;
  setTraining(false);
  enableControls(false);
}

async function startTraining(e) {
  e.preventDefault();
  showTrainError(null);
  try {
    const job = await api("/api/train", { method: "POST", body: { ...trainBody(), ...paceBody() } });
    resetCurve(job.id, job.config.epochs);
    $("train-status").textContent = "Training started.";
    $("train-status").dataset.state = "running";
    followTraining();
    showPace(job.pace);
    bringProgressIntoView();
  } catch (err) {
    $("train-status").textContent = `Not started: ${showTrainError(err)}`;
    $("train-status").dataset.state = "refused";
    $("train-progress").value = 0;
  }
}

async function cancelTraining() {
  try {
    const r = await api("/api/train/cancel", { method: "POST", body: {} });
    if (state.events) $("train-status").textContent = r.message; // unless the job's end came first
  } catch (err) {
    showTrainError(err);
  }
}

// On loading the page: the running job, followed; with no job running, the last job's
// state.  The curves and weight images of the model in service are train-served.js's,
// shown when refreshModel first reports the model (onModelChange).
export async function restoreTraining() {
  try {
    const s = await api("/api/train");
    if (s.job && s.running) {
      showJobConfig(s.job);
      showPace(s.job.pace);
      resetCurve(s.job.id, s.job.config.epochs, s.job.history);
      $("train-status").textContent = "A training job is running.";
    } else {
      if (s.job) $("train-status").textContent = `Last job: ${s.job.state}. ${s.job.message}`;
      drawCurves();
    }
    if (s.running) followTraining();
  } catch (err) {
    sayError($("train-error"), err.message, err);
  }
}

$("train-form").addEventListener("submit", startTraining);
$("train-cancel").addEventListener("click", cancelTraining);
onTrainingRunning(followTraining);
