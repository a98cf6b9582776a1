// The colours the canvases draw with, read from style.css's custom properties
// (--plot-label, --plot-axis, ...), so that one sheet sets every colour on the
// page and the browser tests can measure the contrast of what is drawn.

const root = document.documentElement;

// The value of custom property `name` ("--plot-label"), or `fallback` if the sheet has none.
export function cssColour(name, fallback = "#000") {
  return getComputedStyle(root).getPropertyValue(name).trim() || fallback;
}
