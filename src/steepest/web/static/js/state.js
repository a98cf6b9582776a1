// What the page knows, in one object (shown to the curious as window.lab.state).
// The first five fields are what the tabs share (the model in service, the
// drawing and its prediction); each of the others belongs to the one module
// named beside it.

export const state = {
  model: null,          // GET /api/model's "model", set by model.js
  modelVersion: 0,
  lastPredict: null,    // POST /api/predict's answer for the current drawing (draw.js)
  hasInk: false,
  drawingId: 0,         // changes on Clear and on loading an image: older answers are dropped
  events: null,         // EventSource following a training job (train.js)
  curve: null,          // {job, epochs, loss, acc, total, accOf} (train-progress.js)
  surfaces: {},         // the descent surfaces by name (descent.js)
  path: null,           // the descent path shown (descent.js)
  mistakesVersion: 0,   // the model the mistakes gallery shows (mistakes.js)
  mistakesOffset: 0,
};
