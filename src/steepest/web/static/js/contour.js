// The Descent tab's contour plot (#contour): colour bands and contour lines of
// a cost surface from the server's grid, the axes, the paths kept to compare
// (each in its own colour) and the descent path on top (green start, red end;
// red all along when it diverged).  Coordinates: a surface's window
// [v1 from, v1 to, v2 from, v2 to] fills the canvas.

import { cssColour } from "./colours.js";

const contour = document.getElementById("contour");
const cctx = contour.getContext("2d");
let contourImage = null;

function toCanvas(s, [v1, v2]) {
  const [a0, a1, b0, b1] = s.window;
  return [(v1 - a0) / (a1 - a0) * contour.width, (1 - (v2 - b0) / (b1 - b0)) * contour.height];
}

// The point (v1, v2) under a click on the canvas.
export function clickedPoint(s, e) {
  const r = contour.getBoundingClientRect();
  const x = (e.clientX - r.left) * contour.width / r.width, y = (e.clientY - r.top) * contour.height / r.height;
  const [a0, a1, b0, b1] = s.window;
  return [a0 + (a1 - a0) * x / contour.width, b0 + (b1 - b0) * (1 - y / contour.height)];
}

export const hasContour = () => contourImage !== null;

// Colour bands and contour lines from the server's grid of C values (bilinear between points).
export function renderContour(s) {
  const { n, costs } = s.grid;
  const W = contour.width, H = contour.height;
  const flat = costs.flat(), lo = Math.min(...flat);
  const t = (c) => Math.log1p(c - lo); // spread the low values, where the valley is
  const tMax = t(Math.max(...flat)), LEVELS = 14;
  const level = new Int16Array(W * H);
  for (let y = 0; y < H; y++) {
    const gy = (1 - y / (H - 1)) * (n - 1), i0 = Math.min(n - 2, Math.floor(gy)), fy = gy - i0;
    for (let x = 0; x < W; x++) {
      const gx = x / (W - 1) * (n - 1), j0 = Math.min(n - 2, Math.floor(gx)), fx = gx - j0;
      const c = (costs[i0][j0] * (1 - fx) + costs[i0][j0 + 1] * fx) * (1 - fy)
        + (costs[i0 + 1][j0] * (1 - fx) + costs[i0 + 1][j0 + 1] * fx) * fy;
      level[y * W + x] = Math.min(LEVELS - 1, Math.floor(LEVELS * t(c) / (tMax || 1)));
    }
  }
  const img = cctx.createImageData(W, H);
  for (let p = 0; p < W * H; p++) {
    const k = level[p] / (LEVELS - 1);
    const edge = (p % W < W - 1 && level[p + 1] !== level[p]) || (p + W < W * H && level[p + W] !== level[p]);
    const rgb = edge ? [90, 90, 110] : [255 - 120 * k, 250 - 150 * k, 235 - 60 * k];
    img.data.set([...rgb, 255], 4 * p);
  }
  contourImage = img;
}

function drawAxes(s) {
  const [a0, a1, b0, b1] = s.window, W = contour.width, H = contour.height;
  cctx.save();
  cctx.strokeStyle = "rgba(0, 0, 0, .35)";
  cctx.setLineDash([4, 4]);
  const [x0, y0] = toCanvas(s, [0, 0]);
  if (a0 < 0 && a1 > 0) { cctx.beginPath(); cctx.moveTo(x0, 0); cctx.lineTo(x0, H); cctx.stroke(); }
  if (b0 < 0 && b1 > 0) { cctx.beginPath(); cctx.moveTo(0, y0); cctx.lineTo(W, y0); cctx.stroke(); }
  cctx.font = "13px system-ui, sans-serif";
  const boxes = [];
  const label = (text, x, y, align, baseline) => { // on a chip: readable over any band
    const w = cctx.measureText(text).width + 6, h = 17;
    const left = align === "right" ? x - w + 3 : x - 3, top = baseline === "bottom" ? y - h + 2 : y - 2;
    cctx.fillStyle = cssColour("--plot-label-bg", "#fff");
    cctx.fillRect(left, top, w, h);
    cctx.fillStyle = cssColour("--plot-label", "#222");
    cctx.textAlign = align; cctx.textBaseline = baseline;
    cctx.fillText(text, x, y);
    boxes.push([left, top, w, h].map(Math.round));
  };
  label(`v₁ = ${a0}`, 5, H - 4, "left", "bottom");
  label(`v₁ = ${a1}`, W - 5, H - 4, "right", "bottom");
  label(`v₂ = ${b1}`, W - 5, 4, "right", "top");
  contour.dataset.labelBoxes = JSON.stringify(boxes); // [left, top, width, height] each
  cctx.restore();
}

// One path on the plot: its line in `colour`, small dots at each step, start and end marked.
function drawOnePath(s, p, colour, startColour, endColour) {
  const pts = p.points.filter((v) => v[0] !== null && v[1] !== null);
  cctx.lineWidth = 2; cctx.strokeStyle = colour;
  cctx.beginPath();
  pts.forEach((v, i) => { const [x, y] = toCanvas(s, v); i ? cctx.lineTo(x, y) : cctx.moveTo(x, y); });
  cctx.stroke();
  pts.forEach((v, i) => {
    const [x, y] = toCanvas(s, v);
    cctx.fillStyle = i === 0 ? startColour : (i === pts.length - 1 ? endColour : colour);
    cctx.beginPath(); cctx.arc(x, y, i === 0 || i === pts.length - 1 ? 5 : 2.5, 0, 2 * Math.PI); cctx.fill();
  });
}

// The current path's colour: black, or red once it diverged (the legend's swatch shows it too).
export const pathColour = (p) => (p.diverged ? "#b2182b" : "#111");

// The surface's bands and axes, the kept paths (each {path, colour}) and path p on top
// (p may be null); data-steps counts p's steps.
export function drawContour(s, p, kept = []) {
  cctx.putImageData(contourImage, 0, 0);
  drawAxes(s);
  for (const k of kept) drawOnePath(s, k.path, k.colour, k.colour, k.colour);
  if (!p) return;
  drawOnePath(s, p, pathColour(p), "#1a9850", "#b2182b");
  markExit(s, p);
  contour.dataset.steps = String(p.points.length - 1);
}

// Where path p first leaves the plot, a word on the plot's edge: "left the plot at step k".
function markExit(s, p) {
  const k = exitStep(s, p);
  if (k < 1) return;
  const W = contour.width, H = contour.height, m = 10;
  const [x, y] = toCanvas(s, p.points[k].map((c) => c ?? 0)).map((c) => (Number.isFinite(c) ? c : 0));
  const ex = Math.min(W - m, Math.max(m, x)), ey = Math.min(H - m, Math.max(m, y));
  const text = `left the plot at step ${k}`;
  cctx.save();
  cctx.font = "bold 13px system-ui, sans-serif";
  const w = cctx.measureText(text).width + 8;
  const tx = Math.min(W - w - 2, Math.max(2, ex - w / 2)), ty = ey < H / 2 ? ey + 8 : ey - 26;
  cctx.fillStyle = "#b2182b";
  cctx.beginPath(); cctx.arc(ex, ey, 6, 0, 2 * Math.PI); cctx.fill();
  cctx.fillStyle = "rgba(255, 255, 255, .9)";
  cctx.fillRect(tx, ty, w, 18);
  cctx.fillStyle = "#b2182b";
  cctx.textBaseline = "top";
  cctx.fillText(text, tx + 4, ty + 2);
  cctx.restore();
}

// The first step of path p that is off the plot (0: it starts off it), or -1: none is.
export const exitStep = (s, p) => p.points.findIndex((v) => !onPlot(s, v));

// Is (v1, v2) inside the surface's window, the part of the plane the plot shows?
function onPlot(s, [v1, v2]) {
  const [a0, a1, b0, b1] = s.window;
  return v1 !== null && v2 !== null && v1 >= a0 && v1 <= a1 && v2 >= b0 && v2 <= b1;
}
