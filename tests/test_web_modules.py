"""The lab's front end as a reader meets it: ES modules, each saying what it owns, no import cycle.

A cycle between two modules works in a browser only by the order in which they
happen to run, and it means neither can be read alone; the lab's modules form a
tree from ``static/app.js`` instead (a module that must react to another's event
takes a callback from it, as ``onModelChange`` does).
"""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "src" / "steepest" / "web" / "static"
IMPORT = re.compile(r"""^\s*import\s[^;]*?from\s+["'](\.{1,2}/[^"']+)["']""", re.M | re.S)


def modules() -> dict[Path, list[Path]]:
    """Every module of the page and the modules it imports (resolved paths)."""
    files = [STATIC / "app.js", *sorted((STATIC / "js").glob("*.js"))]
    return {f: [(f.parent / spec).resolve() for spec in IMPORT.findall(f.read_text())]
            for f in files}


def find_cycle(graph: dict[Path, list[Path]]) -> list[Path]:
    """One import cycle of ``graph`` as a list of modules (first == last), or ``[]``."""
    state: dict[Path, str] = {}  # "open" while on the current path, "done" after

    def visit(node: Path, path: list[Path]) -> list[Path]:
        state[node] = "open"
        for nxt in graph.get(node, []):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [node, nxt] if nxt in path else [node, nxt]
            if nxt not in state and (cycle := visit(nxt, path + [node])):
                return cycle
        state[node] = "done"
        return []

    for start in graph:
        if start not in state and (cycle := visit(start, [])):
            return cycle
    return []


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_tree():
    a, b, c = Path("a.js"), Path("b.js"), Path("c.js")
    assert find_cycle({a: [b], b: [c], c: []}) == []
    cycle = find_cycle({a: [b], b: [c], c: [a]})
    assert cycle[0] == cycle[-1] and set(cycle) == {a, b, c}


def test_every_import_names_a_module_that_exists():
    graph = modules()
    assert len(graph) > 10
    missing = [f"{f.name} -> {m}" for f, deps in graph.items() for m in deps if not m.exists()]
    assert missing == []


def test_the_modules_import_each_other_without_a_cycle():
    cycle = find_cycle(modules())
    assert cycle == [], " -> ".join(p.name for p in cycle)


def test_every_module_begins_by_saying_what_it_owns():
    silent = [f.name for f in modules() if not f.read_text().lstrip().startswith("//")]
    assert silent == []


def test_the_page_entry_point_names_every_module():
    """``app.js``'s header is the map of the front end: every module of js/ is on it."""
    header = (STATIC / "app.js").read_text().split("\nimport ")[0]
    named = set(re.findall(r"[a-z][a-z-]*", header))
    unnamed = [f.stem for f in sorted((STATIC / "js").glob("*.js")) if f.stem not in named]
    assert unnamed == []
