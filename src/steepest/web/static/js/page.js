// What every module uses to put things on the page: $ (an element by its id)
// and the two number formats, pct (a probability) and fmt (any other number).
// Error boxes are messages.js's sayError.

export const $ = (id) => document.getElementById(id);

export const pct = (p) => `${(100 * p).toFixed(p > 0.999 || p < 0.001 ? 1 : 1)}%`;
export const fmt = (x, digits = 4) => (x === null || x === undefined) ? "—"
  : (Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0)) ? x.toExponential(2) : Number(x.toPrecision(digits)).toString();
