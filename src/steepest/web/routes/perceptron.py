"""``GET/POST /api/perceptron``: the lecture's "go to the game?" table.

``GET`` gives it with the lecture's weights and threshold; ``POST`` with the
page's own (``{"weights": [3 numbers], "threshold": t}``).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ...perceptron import GAME_FEATURES, GAME_QUESTIONS, GAME_THRESHOLDS, GAME_WEIGHTS, game_table
from .. import validate as v
from ..lab import json_body

bp = Blueprint("perceptron", __name__)


@bp.route("/api/perceptron", methods=["GET", "POST"])
def perceptron():
    """Every situation of the game, its ``w . x`` and whether the perceptron goes."""
    weights, threshold = list(GAME_WEIGHTS), GAME_THRESHOLDS[0]
    if request.method == "POST":
        body = json_body()
        v.reject_unknown(body, ("weights", "threshold"))
        weights = v.numbers(body.get("weights", weights), "weights", 3, -1000, 1000)
        threshold = v.number(body.get("threshold", threshold), "threshold", -1000, 1000)
    rows = game_table(weights, [threshold])
    return jsonify({
        "features": list(GAME_FEATURES), "questions": list(GAME_QUESTIONS),
        "weights": weights, "threshold": threshold,
        "rows": [{"x": list(r["x"]), "wx": r["wx"], "go": r["go"][0]} for r in rows],
        "goes": sum(r["go"][0] for r in rows),  # situations that go, of len(rows)
    })
