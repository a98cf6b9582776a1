// The drawing canvas (#pad): strokes by mouse, pen and touch alike (pointer
// events) or from the keyboard (draw.js), kept as points and drawn with a
// brush that suits the drawing's size; wiping it, painting an MNIST image on
// it, and reading it back as the 112x112 gray levels the server takes (it does
// the preprocessing).  What a stroke leads to -- a prediction -- is the Draw
// tab's: followStrokes.

import { $ } from "./page.js";
import { state } from "./state.js";

const SEND_SIDE = 112; // the drawing travels as 112x112 gray levels; the server does the rest
const pad = $("pad");
const padCtx = pad.getContext("2d", { willReadFrequently: true });
// The brush suits the drawing, as a pen suits the paper: MNIST's strokes are about
// 2.5 px in a 20 px digit, so the width is BRUSH_SHARE of the drawing's extent (its
// largest side), within [MIN_BRUSH, MAX_BRUSH] pad pixels.  A fixed 20 px brush made a
// small digit a blob once the server scaled it up to 20x20.
const BRUSH_SHARE = 0.14, MIN_BRUSH = 5, MAX_BRUSH = 20;
let strokes = [];       // the drawing: strokes of [x, y, width factor] points, in pad pixels
let background = null;  // an MNIST image painted on the pad (28x28 canvas), or null
let stroke = null;      // the stroke being drawn
let cursor = null;      // the keyboard's pen: {x, y, down}, drawn as a ring (never sent), or null

// White all over, and a new drawing: answers about the old one are dropped.
export function wipePad() {
  state.drawingId += 1;
  strokes = [];
  background = null;
  changed();
}

// A 28x28 MNIST image (0-255, ink bright) drawn big on the pad, dark on white like a drawing.
export function paintPixels(pixels) {
  const tmp = document.createElement("canvas");
  tmp.width = tmp.height = 28;
  const tctx = tmp.getContext("2d");
  const img = tctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = 255 - pixels[i];
    img.data.set([v, v, v, 255], 4 * i);
  }
  tctx.putImageData(img, 0, 0);
  background = tmp;
  changed();
}

// The larger side of the box around the strokes' points (pad pixels), or null: no strokes.
function strokesSide() {
  const pts = strokes.flat();
  if (!pts.length) return null;
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  return Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
}

// The brush for the drawing as it is now (see BRUSH_SHARE); over an MNIST image, the widest.
function brushWidth() {
  const side = strokesSide();
  if (background || side === null) return MAX_BRUSH;
  // width = share * (side + width): the drawing's extent counts the brush too
  return Math.min(MAX_BRUSH, Math.max(MIN_BRUSH, BRUSH_SHARE * side / (1 - BRUSH_SHARE)));
}

// The strokes' extent in pad pixels, brush included (null when none are drawn).
export function inkExtent() {
  const side = strokesSide();
  return side === null ? null : side + brushWidth();
}

// The drawing changed: count it (which drawing a prediction answers, see draw.js) and show it.
function changed() {
  state.hasInk = Boolean(background || strokes.length);
  pad.dataset.ink = String(Number(pad.dataset.ink || 0) + 1);
  render();
}

// The keyboard's pen at [x, y] (pad pixels), down (drawing) or up; null hides it.
export function showCursor(at, down = false) {
  cursor = at && { x: at[0], y: at[1], down };
  render();
}

// The pad from scratch: white, the MNIST image if any, every stroke with today's brush
// (a stroke of one point, a tap, is a dot), and the keyboard's pen unless `bare`.
function render(bare = false) {
  padCtx.fillStyle = "#fff";
  padCtx.fillRect(0, 0, pad.width, pad.height);
  if (background) {
    padCtx.imageSmoothingEnabled = true;
    padCtx.drawImage(background, 0, 0, 28, 28, 0, 0, pad.width, pad.height);
  }
  const width = brushWidth();
  padCtx.lineCap = "round"; padCtx.lineJoin = "round";
  padCtx.strokeStyle = padCtx.fillStyle = "#000";
  for (const points of strokes) {
    if (points.length === 1) {
      const [x, y, f] = points[0];
      padCtx.beginPath(); padCtx.arc(x, y, width * f / 2, 0, 2 * Math.PI); padCtx.fill();
    }
    for (let i = 1; i < points.length; i++) {
      padCtx.lineWidth = width * points[i][2];
      padCtx.beginPath(); padCtx.moveTo(points[i - 1][0], points[i - 1][1]);
      padCtx.lineTo(points[i][0], points[i][1]); padCtx.stroke();
    }
  }
  if (cursor && !bare) {
    padCtx.lineWidth = 2;
    padCtx.strokeStyle = "#3b3bb3";
    padCtx.beginPath(); padCtx.arc(cursor.x, cursor.y, width / 2 + 4, 0, 2 * Math.PI); padCtx.stroke();
    if (!cursor.down) {
      padCtx.beginPath(); padCtx.moveTo(cursor.x - 4, cursor.y); padCtx.lineTo(cursor.x + 4, cursor.y);
      padCtx.moveTo(cursor.x, cursor.y - 4); padCtx.lineTo(cursor.x, cursor.y + 4); padCtx.stroke();
    }
  }
}

function padPoint(e) {
  const r = pad.getBoundingClientRect();
  return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
}

// A pen's pressure widens or narrows its stroke (0.6 to 1.3 times the brush); mouse and touch: 1.
const widthFactor = (e) => (e.pointerType === "pen" ? 0.6 + 0.7 * (e.pressure || 0.5) : 1);

// A new stroke from point [x, y] (pad pixels), and the points it goes on to; for the
// pointer and for the keyboard (draw.js) alike.
export function startStroke([x, y], factor = 1) {
  stroke = [[x, y, factor]];
  strokes.push(stroke);
  changed();
}

export function extendStroke([x, y], factor = 1) {
  if (!stroke) return startStroke([x, y], factor);
  stroke.push([x, y, factor]);
  changed();
}

export function endStroke() { stroke = null; }

// Ink follows the pointer; onInk() runs as it draws and onInk(0) when a stroke ends.
export function followStrokes(onInk) {
  let drawing = false;
  pad.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    pad.setPointerCapture(e.pointerId);
    drawing = true;
    startStroke(padPoint(e), widthFactor(e));
    onInk();
  });
  pad.addEventListener("pointermove", (e) => {
    if (!drawing || !stroke) return;
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of (events.length ? events : [e])) stroke.push([...padPoint(ev), widthFactor(ev)]);
    changed();
    onInk();
  });
  for (const type of ["pointerup", "pointercancel"]) {
    pad.addEventListener(type, () => { if (drawing) { drawing = false; endStroke(); onInk(0); } });
  }
}

// The POST /api/predict body for the pad, or null when it holds no digit.
export function padPayload() {
  const small = document.createElement("canvas");
  small.width = small.height = SEND_SIDE;
  const ctx = small.getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  if (cursor) render(true); // the drawing without the keyboard's pen
  ctx.drawImage(pad, 0, 0, SEND_SIDE, SEND_SIDE);
  if (cursor) render();
  const rgba = ctx.getImageData(0, 0, SEND_SIDE, SEND_SIDE).data;
  const gray = new Uint8Array(SEND_SIDE * SEND_SIDE);
  for (let i = 0; i < gray.length; i++) gray[i] = rgba[4 * i];
  // One gray level everywhere (a pad painted over) shows no digit: nothing to ask the server.
  if (gray.every((g) => g === gray[0])) return null;
  let binary = "";
  for (let i = 0; i < gray.length; i += 0x4000) {
    binary += String.fromCharCode.apply(null, gray.subarray(i, i + 0x4000));
  }
  return { width: SEND_SIDE, height: SEND_SIDE, pixels_base64: btoa(binary) };
}
