// The drawing canvas (#pad): strokes by mouse, pen and touch alike (pointer
// events), wiping it, painting an MNIST image on it, and reading it back as
// the 112x112 gray levels the server takes (it does the preprocessing).
// What a stroke leads to -- a prediction -- is the Draw tab's: followStrokes.

import { $ } from "./page.js";
import { state } from "./state.js";

const SEND_SIDE = 112; // the drawing travels as 112x112 gray levels; the server does the rest
const pad = $("pad");
const padCtx = pad.getContext("2d", { willReadFrequently: true });
let stroke = null;

// White all over, and a new drawing: answers about the old one are dropped.
export function wipePad() {
  state.drawingId += 1;
  padCtx.fillStyle = "#fff";
  padCtx.fillRect(0, 0, pad.width, pad.height);
  state.hasInk = false;
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
  padCtx.imageSmoothingEnabled = true;
  padCtx.drawImage(tmp, 0, 0, 28, 28, 0, 0, pad.width, pad.height);
  state.hasInk = true;
}

function padPoint(e) {
  const r = pad.getBoundingClientRect();
  return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
}

function inkTo([x, y], pressure) {
  padCtx.lineCap = "round"; padCtx.lineJoin = "round"; padCtx.strokeStyle = "#000";
  padCtx.lineWidth = stroke.pen ? 12 + 14 * (pressure || 0.5) : 20;
  padCtx.beginPath(); padCtx.moveTo(...stroke.last); padCtx.lineTo(x, y); padCtx.stroke();
  stroke.last = [x, y];
  state.hasInk = true;
}

// Ink follows the pointer; onInk() runs as it draws and onInk(0) when a stroke ends.
export function followStrokes(onInk) {
  pad.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    pad.setPointerCapture(e.pointerId);
    stroke = { last: padPoint(e), pen: e.pointerType === "pen" };
    inkTo(padPoint(e), e.pressure);
    onInk();
  });
  pad.addEventListener("pointermove", (e) => {
    if (!stroke) return;
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of (events.length ? events : [e])) inkTo(padPoint(ev), ev.pressure);
    onInk();
  });
  for (const type of ["pointerup", "pointercancel"]) {
    pad.addEventListener(type, () => { if (stroke) { stroke = null; onInk(0); } });
  }
}

// The POST /api/predict body for the pad, or null when it holds no digit.
export function padPayload() {
  const small = document.createElement("canvas");
  small.width = small.height = SEND_SIDE;
  const ctx = small.getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(pad, 0, 0, SEND_SIDE, SEND_SIDE);
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
