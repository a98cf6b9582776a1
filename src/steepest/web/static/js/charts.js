// Line charts on a canvas, with axes and ticks: the Train tab's loss and
// accuracy per epoch, the Descent tab's cost per step.  Each chart says how
// many points it drew in data-points, and its y range and axis titles in
// data-y-min, data-y-max, data-x-title and data-y-title (the browser tests read them).

import { cssColour } from "./colours.js";
import { fmt } from "./page.js";

// A round tick step near raw: 1, 2 or 5 times a power of ten.
function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

// A y range that zooms to the data: its extent plus a margin (at least minSpan
// wide), widened to round ticks and kept within [floor, ceil].
// Returns {yMin, yMax, yStep} for lineChart, or {} with no finite value.
export function zoomRange(values, { floor = -Infinity, ceil = Infinity, margin = 0.1, minSpan = 1e-9, ticks = 4 } = {}) {
  const ys = values.filter((y) => y !== null && Number.isFinite(y));
  if (!ys.length) return {};
  let lo = Math.min(...ys), hi = Math.max(...ys);
  const pad = Math.max(margin * (hi - lo), (minSpan - (hi - lo)) / 2);
  lo -= pad; hi += pad;
  const step = niceStep((hi - lo) / ticks);
  return {
    yMin: Math.max(floor, Math.floor(lo / step) * step),
    yMax: Math.min(ceil, Math.ceil(hi / step) * step),
    yStep: step,
  };
}

// A line chart with axes: xs, ys (nulls skipped), a fixed or fitted y range (ticks every
// yStep, or four), and optional axis titles (xTitle under the axis, yTitle along it).
export function lineChart(canvas, xs, ys, {
  yMin, yMax, yStep, xMax, color = "#b2182b", yFormat = fmt, empty = "", xTitle = "", yTitle = "",
} = {}) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, R = 12, T = 12;
  const L = yTitle ? 66 : 52, B = xTitle ? 44 : 28;
  ctx.clearRect(0, 0, W, H);
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = cssColour("--plot-label"); ctx.strokeStyle = cssColour("--plot-axis"); ctx.lineWidth = 1;
  canvas.dataset.xTitle = xTitle; canvas.dataset.yTitle = yTitle;
  axisTitles(ctx, W, H, L, T, B, xTitle, yTitle);
  const pts = xs.map((x, i) => [x, ys[i]]).filter(([, y]) => y !== null && Number.isFinite(y));
  canvas.dataset.points = String(pts.length);
  if (!pts.length) {
    delete canvas.dataset.yMin; delete canvas.dataset.yMax;
    ctx.fillText(empty, L, H / 2);
    return;
  }
  let lo = yMin ?? Math.min(...pts.map((p) => p[1]));
  let hi = yMax ?? Math.max(...pts.map((p) => p[1]));
  if (hi - lo < 1e-9) { hi += 0.5; lo -= 0.5; }
  canvas.dataset.yMin = String(lo); canvas.dataset.yMax = String(hi);
  const x0 = Math.min(...pts.map((p) => p[0]), xs[0]);
  const x1 = Math.max(xMax ?? 0, ...pts.map((p) => p[0]), x0 + 1);
  const px = (x) => L + (W - L - R) * (x - x0) / (x1 - x0);
  const py = (y) => T + (H - T - B) * (1 - (y - lo) / (hi - lo));
  ctx.beginPath(); ctx.moveTo(L, T); ctx.lineTo(L, H - B); ctx.lineTo(W - R, H - B); ctx.stroke();
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  const yTicks = yStep
    ? Array.from({ length: Math.round((hi - lo) / yStep) + 1 }, (_, k) => lo + k * yStep)
    : [0, 1, 2, 3, 4].map((k) => lo + (hi - lo) * k / 4);
  const grid = cssColour("--plot-grid");
  for (const y of yTicks) {
    ctx.fillText(yFormat(y), L - 6, py(y));
    ctx.strokeStyle = grid; ctx.beginPath(); ctx.moveTo(L + 1, py(y)); ctx.lineTo(W - R, py(y)); ctx.stroke();
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

// The axes' titles: xTitle centred under the x axis, yTitle turned along the y axis.
function axisTitles(ctx, W, H, L, T, B, xTitle, yTitle) {
  ctx.save();
  ctx.fillStyle = cssColour("--plot-label"); ctx.textAlign = "center";
  if (xTitle) { ctx.textBaseline = "bottom"; ctx.fillText(xTitle, L + (W - L) / 2, H - 4); }
  if (yTitle) {
    ctx.translate(4, T + (H - T - B) / 2); ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "top"; ctx.fillText(yTitle, 0, 0);
  }
  ctx.restore();
}
