// Images on a canvas, one pixel per value: a unit's weights (red positive,
// blue negative, white zero) and MNIST-style gray images (ink bright).

// Weight colours: red for positive, blue for negative, white for zero.
function diverging(v) {
  const t = Math.max(-1, Math.min(1, v));
  const [r, g, b] = t >= 0 ? [178, 24, 43] : [33, 102, 172];
  const a = Math.abs(t);
  return [255 + (r - 255) * a, 255 + (g - 255) * a, 255 + (b - 255) * a];
}

// A unit's incoming weights as an image, scaled by its largest |weight|.  With `ink`
// (one value in [0, 1] a pixel), pixels without ink are pale: they add nothing to z.
export function drawWeights(canvas, weights, shape, ink = null) {
  const [rows, cols] = shape;
  canvas.width = cols; canvas.height = rows;
  const scale = Math.max(1e-12, ...weights.map(Math.abs));
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const strength = ink ? 0.3 + 0.7 * ink[i] : 1;
    const [r, g, b] = i < weights.length ? diverging(strength * weights[i] / scale) : [235, 235, 235];
    img.data.set([r, g, b, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

// Gray levels in [0, 1] (or 0-255 with max=255), ink bright, as MNIST shows them.
export function drawGray(canvas, values, side = 28, max = 1) {
  canvas.width = side; canvas.height = side;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const v = Math.round(255 * Math.max(0, Math.min(1, values[i] / max)));
    img.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}
