"""The model in service, and the models served before it, to switch between.

Training in the lab serves the new model at once; the models served before stay
in :class:`~steepest.web.served.ServedModel`'s list (network and ``.npz`` bytes),
so the user can go back.

========  ====================  ==========================================================
GET       /api/model            the model in service (version, architecture, its own
                                training history) and the training job, if any
GET       /api/model/download   the model as a ``.npz`` file
GET       /api/network          weight images and weights for the diagram
GET       /api/models           ``{"models": [{"id", "source", "description",
                                "test_accuracy", "version", "served"}], "served": id}``
POST      /api/models/select    ``{"id": 1}`` -> the newly served model's summary, as
                                ``GET /api/model`` gives it (404: no model has that id)
========  ====================  ==========================================================
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from .. import validate as v
from ..lab import MAX_UNITS, current, json_body, query_int

#: Larger than any id a lab will give out; bounds what a request may name.
MAX_ID = 2**31 - 1

bp = Blueprint("model", __name__)


@bp.get("/api/model")
def model_info():
    """The model in service, and a word on the training job."""
    served, training = current().served, current().manager.status()
    return jsonify({
        "ready": served.ready,
        "model": served.current().summary() if served.ready else None,
        "training": {"running": training["running"], "job": training["job"] and {
            k: training["job"][k] for k in ("id", "state", "message", "startup",
                                            "epochs_done")}},
    })


@bp.get("/api/model/download")
def model_download():
    """The served model's ``.npz`` file."""
    snap = current().served.current()
    return Response(snap.file_bytes, mimetype="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="steepest-model-v{snap.version}.npz"',
    })


@bp.get("/api/network")
def network():
    """Weight images and weights of the first ``max_units`` units of each layer."""
    return jsonify(current().served.network(query_int("max_units", MAX_UNITS, 1, 256)))


@bp.get("/api/models")
def models():
    """Every model the lab has served, and which one it serves."""
    snaps, served = current().served.models()
    return jsonify({
        "models": [s.listing(served=s is served) for s in snaps],
        "served": served.id if served is not None else None,
    })


@bp.post("/api/models/select")
def select_model():
    """Serve an earlier model again."""
    body = json_body()
    v.reject_unknown(body, ("id",))
    model_id = v.integer(body.get("id"), "id", 0, MAX_ID)
    return jsonify(current().served.select(model_id).summary())
