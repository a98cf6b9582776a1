"""MNIST test digits, one by one, and the ones the served model gets wrong.

=======  ==================  ==================================================
GET      /api/digits/<i>     MNIST test digit ``i``, with the model's answer
GET      /api/mistakes       test digits the model gets wrong (``limit``,
                             ``offset``)
GET      /api/gallery        the Train tab's ten test digits, and the model's
                             answers
=======  ==================  ==================================================
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..lab import current, query_int

bp = Blueprint("digits", __name__)


@bp.get("/api/digits/<int:index>")
def test_digit(index: int):
    """Test digit ``index``."""
    return jsonify(current().served.test_digit(index))


@bp.get("/api/mistakes")
def mistakes():
    """A page of the test digits the model gets wrong, most confident first."""
    limit = query_int("limit", 24, 1, 200)
    return jsonify(current().served.mistakes(limit, query_int("offset", 0, 0, 100_000)))


@bp.get("/api/gallery")
def gallery():
    """The first test digit of each class, and what the model in service says of each."""
    return jsonify(current().served.gallery())
