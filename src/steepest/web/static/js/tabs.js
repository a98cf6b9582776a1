// Tabs and navigation: which panel shows, the address's #hash, the arrow keys
// (and Home / End) between tabs, and what each tab does when it is shown
// (registered with whenShown).

import { $ } from "./page.js";

const tabs = Array.from(document.querySelectorAll('[role="tab"]'));
const onShow = {};

// fn() runs each time the tab named `name` ("draw", "inside", ...) is shown.
export function whenShown(name, fn) {
  onShow[`tab-${name}`] = fn;
}

export function selectTab(tab, focus = false) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
  }
  if (focus) tab.focus();
  history.replaceState(null, "", `#${tab.id.slice(4)}`);
  if (onShow[tab.id]) onShow[tab.id]();
}

// The tab the address names (#train, ...), or the first.
export function showInitialTab() {
  const initial = tabs.find((t) => `#${t.id.slice(4)}` === location.hash);
  selectTab(initial || tabs[0]);
}

tabs.forEach((tab, i) => {
  tab.addEventListener("click", () => selectTab(tab));
  tab.addEventListener("keydown", (e) => {
    const moves = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 };
    if (!(e.key in moves)) return;
    e.preventDefault();
    selectTab(tabs[(moves[e.key] + tabs.length) % tabs.length], true);
  });
});
