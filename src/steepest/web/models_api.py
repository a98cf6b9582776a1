"""The lab's list of models: which ones it has served, and switching between them.

Training in the lab serves the new model at once; the models served before
stay in :class:`~.served.ServedModel`'s list (network and ``.npz`` bytes), so
the user can go back.  Two routes (documented in the README's "Web lab API"):

=======  ====================  ===========================================================
GET      /api/models           ``{"models": [{"id", "source", "description",
                               "test_accuracy", "version", "served"}], "served": id}``
POST     /api/models/select    ``{"id": 1}`` -> the newly served model's summary, as
                               ``GET /api/model`` gives it (404: no model has that id)
=======  ====================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, jsonify

from . import validate as v
from .served import ServedModel

#: Larger than any id a lab will give out; bounds what a request may name.
MAX_ID = 2**31 - 1


def register_model_routes(app: Flask, served: ServedModel, json_body: Callable[[], dict]) -> None:
    """Add ``GET /api/models`` and ``POST /api/models/select`` to ``app``.

    Args:
        app: the lab's Flask app (its error handlers turn :class:`~.validate.ApiError`
            into ``{"error": ...}``).
        served: the models to list and switch between.
        json_body: reads a request's JSON object body, or raises a 4xx
            :class:`~.validate.ApiError` -- the app's own, so that these routes
            check a body exactly as every other route does.
    """

    @app.get("/api/models")
    def models():
        snaps, current = served.models()
        return jsonify({
            "models": [s.listing(served=s is current) for s in snaps],
            "served": current.id if current is not None else None,
        })

    @app.post("/api/models/select")
    def select_model():
        body = json_body()
        v.reject_unknown(body, ("id",))
        model_id = v.integer(body.get("id"), "id", 0, MAX_ID)
        return jsonify(served.select(model_id).summary())
