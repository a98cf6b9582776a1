// Line charts on a canvas, with axes and ticks: the Train tab's loss and
// accuracy per epoch, the Descent tab's cost per step.  Each chart says how
// many points it drew in data-points (the browser tests read it).

import { cssColour } from "./colours.js";
import { fmt } from "./page.js";

// A line chart with axes: xs, ys (nulls skipped), labels and a fixed or fitted y range.
export function lineChart(canvas, xs, ys, { yMin, yMax, xMax, color = "#b2182b", yFormat = fmt, empty = "" } = {}) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, L = 52, R = 12, T = 12, B = 28;
  ctx.clearRect(0, 0, W, H);
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = cssColour("--plot-label"); ctx.strokeStyle = cssColour("--plot-axis"); ctx.lineWidth = 1;
  const pts = xs.map((x, i) => [x, ys[i]]).filter(([, y]) => y !== null && Number.isFinite(y));
  canvas.dataset.points = String(pts.length);
  if (!pts.length) {
    ctx.fillText(empty, L, H / 2);
    return;
  }
  let lo = yMin ?? Math.min(...pts.map((p) => p[1]));
  let hi = yMax ?? Math.max(...pts.map((p) => p[1]));
  if (hi - lo < 1e-9) { hi += 0.5; lo -= 0.5; }
  const x0 = Math.min(...pts.map((p) => p[0]), xs[0]);
  const x1 = Math.max(xMax ?? 0, ...pts.map((p) => p[0]), x0 + 1);
  const px = (x) => L + (W - L - R) * (x - x0) / (x1 - x0);
  const py = (y) => T + (H - T - B) * (1 - (y - lo) / (hi - lo));
  ctx.beginPath(); ctx.moveTo(L, T); ctx.lineTo(L, H - B); ctx.lineTo(W - R, H - B); ctx.stroke();
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (let k = 0; k <= 4; k++) {
    const y = lo + (hi - lo) * k / 4;
    ctx.fillText(yFormat(y), L - 6, py(y));
    ctx.strokeStyle = cssColour("--plot-grid"); ctx.beginPath(); ctx.moveTo(L + 1, py(y)); ctx.lineTo(W - R, py(y)); ctx.stroke();
  }
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  const step = Math.max(1, Math.ceil((x1 - x0) / 8));
  for (let x = Math.ceil(x0); x <= x1; x += step) ctx.fillText(String(x), px(x), H - B + 6);
  ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = 2;
  ctx.beginPath();
  pts.forEach(([x, y], i) => (i ? ctx.lineTo(px(x), py(y)) : ctx.moveTo(px(x), py(y))));
  ctx.stroke();
  for (const [x, y] of pts) { ctx.beginPath(); ctx.arc(px(x), py(y), 3, 0, 2 * Math.PI); ctx.fill(); }
}
