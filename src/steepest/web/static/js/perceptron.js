// The Perceptron tab: the lecture's "go to the game?" table, live.  The
// sliders set w and t; the server answers the eight situations' w·x and
// decisions (go when w·x ≥ t), and only the newest answer is shown.

import { api } from "./api.js";
import { sayError } from "./messages.js";
import { $, fmt } from "./page.js";
import { whenShown } from "./tabs.js";

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
    sayError($("p-error"), "");
  } catch (err) {
    sayError($("p-error"), err.message, err);
  }
}

for (const id of sliders) {
  $(id).addEventListener("input", () => {
    $(`${id}-out`).textContent = $(id).value;
    clearTimeout(perceptronTimer);
    perceptronTimer = setTimeout(updatePerceptron, 30);
  });
}
whenShown("perceptron", updatePerceptron);
