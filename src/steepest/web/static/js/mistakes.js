// The Mistakes tab: the test digits the served model gets wrong, most
// confident first, 24 at a time; a click loads one into the Draw tab.

import { api } from "./api.js";
import { loadPixels } from "./draw.js";
import { plainWords, say } from "./messages.js";
import { onModelChange, sentenceModelName } from "./model.js";
import { $, pct } from "./page.js";
import { drawGray } from "./pictures.js";
import { state } from "./state.js";
import { selectTab, whenShown } from "./tabs.js";

async function loadMistakes(more = false) {
  const gallery = $("mistakes"), summary = $("mistakes-summary");
  if (!state.modelVersion) { // no model yet (the start-up training?): onModelChange comes back here
    return say(summary, $("model-status").dataset.version === "0"
      ? "The lecture's network is still training; its mistakes show here once it is ready." : "Loading…");
  }
  if (!more && state.mistakesVersion === state.modelVersion && gallery.children.length) return;
  if (!more) {
    gallery.innerHTML = "";
    state.mistakesOffset = 0;
    summary.textContent = "Looking through the 10,000 test digits…";
  }
  try {
    const r = await api(`/api/mistakes?limit=24&offset=${state.mistakesOffset}`);
    state.mistakesVersion = r.model_version;
    say(summary, `${sentenceModelName(r.model_version)} gets ${r.total.toLocaleString("en")} of `
      + `${r.n_test.toLocaleString("en")} test digits wrong (accuracy ${(100 * r.accuracy).toFixed(2)}%). `
      + "Most confident mistakes first; click one to load it into the Draw tab.");
    for (const m of r.mistakes) gallery.appendChild(mistakeCard(m));
    state.mistakesOffset = r.offset + r.mistakes.length;
    $("mistakes-more").hidden = state.mistakesOffset >= r.total;
  } catch (err) {
    say(summary, plainWords(err) || "The server could not list the mistakes; try reloading the page.", err);
  }
}

// One mistake as a button: the image, "true 4 -> said 9 87%", and ten small bars.
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
  b.appendChild(probabilityBars(m));
  b.addEventListener("click", () => {
    loadPixels(m.pixels, `Test digit #${m.index}: its label is ${m.label}; the model said ${m.prediction} `
      + `(${pct(m.confidence)}) on the raw image. Here it is redrawn and preprocessed.`);
    selectTab($("tab-draw"));
    $("pad").focus(); // the keyboard goes on from the digit it opened, not the top of the page
  });
  return b;
}

// Ten bars, one per digit: the true label's and the model's answer marked.
function probabilityBars(m) {
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
  return bars;
}

$("mistakes-more").addEventListener("click", () => loadMistakes(true));
whenShown("mistakes", () => loadMistakes());
onModelChange(() => { if (!$("panel-mistakes").hidden) loadMistakes(); });
