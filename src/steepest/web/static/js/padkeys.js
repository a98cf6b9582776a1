// The drawing pad from the keyboard: the arrow keys move a pen over the pad
// (Home, End, Page Up, Page Down: the diagonals; Shift: small steps), Space or
// Enter lowers or lifts it -- moving while it is down draws -- and Delete or
// Backspace clears.  The pen shows as a ring while the pad has the keyboard's focus.

import { endStroke, extendStroke, showCursor, startStroke } from "./pad.js";
import { $ } from "./page.js";

const STEP = 14, SMALL_STEP = 3; // pad pixels (the pad is 280 wide)
const MOVES = {
  ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1],
  Home: [-1, -1], PageUp: [1, -1], End: [-1, 1], PageDown: [1, 1],
};
const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));

// onInk() runs as the pen draws and onInk(0) when it is lifted; onClear() on Delete.
export function followKeys(onInk, onClear) {
  const pad = $("pad");
  let at = [pad.width / 2, pad.height / 2], down = false;
  const lift = () => { if (down) { down = false; endStroke(); onInk(0); } };
  // The ring when the keyboard brought the focus (not a click, which draws); any key shows it.
  pad.addEventListener("focus", () => { if (pad.matches(":focus-visible")) showCursor(at, down); });
  pad.addEventListener("blur", () => { lift(); showCursor(null); });
  pad.addEventListener("keydown", (e) => {
    if (e.key in MOVES && !e.altKey && !e.ctrlKey && !e.metaKey) {
      const step = e.shiftKey ? SMALL_STEP : STEP, [dx, dy] = MOVES[e.key];
      at = [clamp(at[0] + dx * step, 0, pad.width), clamp(at[1] + dy * step, 0, pad.height)];
      if (down) { extendStroke(at); onInk(); }
    } else if (e.key === " " || e.key === "Enter") {
      if (down) lift();
      else { down = true; startStroke(at); onInk(); }
    } else if (e.key === "Delete" || e.key === "Backspace") {
      lift();
      onClear();
    } else {
      return;
    }
    e.preventDefault();
    showCursor(at, down);
  });
}
