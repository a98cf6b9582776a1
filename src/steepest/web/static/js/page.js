// What every module uses to put things on the page: $ (an element by its id),
// showError (an error's message in a box, or the box hidden) and the two
// number formats, pct (a probability) and fmt (any other number).

export const $ = (id) => document.getElementById(id);

export function showError(el, err) {
  el.textContent = err ? (err.message || String(err)) : "";
  el.hidden = !err;
}

export const pct = (p) => `${(100 * p).toFixed(p > 0.999 || p < 0.001 ? 1 : 1)}%`;
export const fmt = (x, digits = 4) => (x === null || x === undefined) ? "—"
  : (Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0)) ? x.toExponential(2) : Number(x.toPrecision(digits)).toString();
