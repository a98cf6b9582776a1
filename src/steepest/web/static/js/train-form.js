// The Train tab's form: what it asks the server for (trainBody), showing what
// a running job was asked (showJobConfig), the Start / Cancel buttons' state,
// and a refusal shown beside Start with the field it names marked invalid.

import { plainWords, sayError } from "./messages.js";
import { $ } from "./page.js";

// POST /api/train's body: the form's fields as they are (the server checks them).
export function trainBody() {
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

// The form shows what the running job (for instance the startup job) was asked to do.
export function showJobConfig(job) {
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

export function setTraining(running) {
  $("train-start").disabled = running;
  $("train-cancel").disabled = !running;
}

// The message goes beside the Start button and into view; the field it names is marked.
export function showTrainError(err) {
  const box = $("train-error");
  for (const el of $("train-form").querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  if (!err) { sayError(box, ""); return ""; }
  const name = (err.message.match(/^\w+/) || [""])[0];
  const field = name && $("train-form").elements.namedItem(name);
  if (field && field.setAttribute) field.setAttribute("aria-invalid", "true");
  const text = ("status" in err && plainWords(err)) || inFormWords(err.message, name, field);
  sayError(box, text, err);
  box.scrollIntoView({ block: "nearest" });
  return text;
}

// The server's "learning_rate must be a number, got null" in the form's words:
// "Learning rate λ must be a number: its box is empty." (the field by its label).
function inFormWords(message, name, field) {
  const label = field && field.labels && field.labels[0];
  const words = label ? label.firstChild.textContent.trim() : null;
  if (!words) return message;
  const rest = message.slice(name.length).replace(/, got null$/, ": its box is empty");
  return `${words}${rest}${/[.!?]$/.test(rest) ? "" : "."}`;
}