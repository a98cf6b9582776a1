"""Gradient descent on the example cost surfaces (ours: the lecture gives no formula).

=======  ======================  ===============================================
GET      /api/descent/surfaces   the cost surfaces, with a grid for contours
POST     /api/descent            a gradient-descent path on one
=======  ======================  ===============================================
"""

from __future__ import annotations

import numpy as np
from flask import Blueprint, jsonify

from ... import descent as gd
from .. import validate as v
from ..lab import finite, json_body, query_int

#: Steps one descent request may take.
MAX_STEPS = 1000
#: Grid points per side of a surface's contour data.
GRID = 80

bp = Blueprint("descent", __name__)


@bp.get("/api/descent/surfaces")
def surfaces():
    """Each surface's formula, window, start and costs on an ``n`` x ``n`` grid."""
    n = query_int("grid", GRID, 10, 200)
    out = []
    for s in gd.SURFACES.values():
        a0, a1, b0, b1 = s.window
        v1, v2 = np.meshgrid(np.linspace(a0, a1, n), np.linspace(b0, b1, n))
        out.append({"name": s.name, "formula": s.formula, "window": list(s.window),
                    "start": list(s.start), "good_lr": s.good_lr,
                    "grid": {"n": n, "costs": np.round(s.cost(v1, v2), 4).tolist()}})
    return jsonify({"surfaces": out})


@bp.post("/api/descent")
def descent():
    """``v <- v - lambda grad C(v)`` from ``start``, with the change each step predicts."""
    body = json_body()
    v.reject_unknown(body, ("surface", "start", "learning_rate", "steps"))
    name = v.choice(body.get("surface"), "surface", tuple(gd.SURFACES))
    start = v.numbers(body.get("start"), "start", 2, -1e3, 1e3)
    lr = v.number(body.get("learning_rate"), "learning_rate", 0, 10, lo_open=True)
    steps = v.integer(body.get("steps", 1), "steps", 0, MAX_STEPS)  # 0: just C(start)
    path = gd.descend(name, tuple(start), lr, steps)
    return jsonify({
        "surface": name, "learning_rate": lr,
        "points": [finite(p) for p in path.points],
        "costs": finite(path.costs),
        "predicted_changes": finite(path.predicted_changes),  # grad C . delta v
        "actual_changes": finite(np.diff(path.costs)),
        "diverged": bool(path.diverged),
    })
