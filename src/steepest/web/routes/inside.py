"""``POST /api/inside``: one input through the network, for the Inside tab.

The body is ``{"input": [784 numbers in [0, 1]], "top": 16}``: the 28x28 image
the network saw, row by row -- what ``POST /api/predict`` answers as ``input`` --
and how many units to show per layer (optional).  The answer is
:func:`steepest.web.inside.inside_view`'s, with the model's version and summary.
"""

from __future__ import annotations

import numpy as np
from flask import Blueprint, jsonify

from .. import validate as v
from .. import views
from ..inside import TOP_UNITS, inside_view
from ..lab import current, json_body
from ..served import N_PIXELS

#: Most units a request may ask to see per layer.
MAX_TOP = 256

bp = Blueprint("inside", __name__)


@bp.post("/api/inside")
def inside():
    """The served network's layers for one input: most active units, and why."""
    body = json_body()
    v.reject_unknown(body, ("input", "top"))
    x = np.array(v.numbers(body.get("input"), "input", N_PIXELS, 0.0, 1.0))
    top = v.integer(body.get("top", TOP_UNITS), "top", 1, MAX_TOP)
    snap = current().served.current()
    return jsonify({"model_version": snap.version, **views.describe(snap.net),
                    **inside_view(snap.net, x, top)})
