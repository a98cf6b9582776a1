"""``POST /api/predict``: a drawing -> digit, probabilities, 28x28 input, hidden activations.

The drawing is preprocessed as ``steepest predict`` preprocesses an image file
(:func:`steepest.preprocess.to_mnist`); a blank one is a 422, as it is refused there.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from .. import validate as v
from ..lab import current, json_body

#: Largest drawing side, in pixels.
MAX_SIDE = 1024

bp = Blueprint("predict", __name__)


@bp.post("/api/predict")
def predict():
    """What the served network makes of a drawing."""
    body = json_body()
    v.reject_unknown(body, ("pixels", "pixels_base64", "width", "height"))
    return jsonify(current().served.predict(v.image(body, MAX_SIDE)))  # 422 if blank
