"""The web lab's JSON API and page, as a Flask app (served by :mod:`.server`).

``create_app`` builds the app around a :class:`~.served.ServedModel` and a
:class:`~.jobs.TrainingManager`.  Every request first passes :mod:`.guard`
(the lab's own address and page, JSON bodies); every route answers JSON; every
refusal is ``{"error": "one line"}`` with a 4xx status (503 only while the
first model is still training), so a bad request can never crash the server or
reach the numerical code unchecked.  The routes (documented in the README's
"Web lab API" section):

=======  ==========================  ==============================================
GET      /                            the page
GET      /api/model                   the model in service (version, architecture)
GET      /api/model/download          the model as a ``.npz`` file
GET      /api/network                 weight images and weights for the diagram
POST     /api/predict                 a drawing -> digit, probabilities, 28x28 input,
                                      hidden activations
GET      /api/digits/<i>              MNIST test digit ``i``
GET      /api/mistakes                test digits the model gets wrong
GET      /api/train                   the training job's state and history
POST     /api/train                   start a job (409 while one runs)
POST     /api/train/cancel            cancel it
GET      /api/train/events            the job's events, as server-sent events
GET      /api/descent/surfaces        the cost surfaces, with a grid for contours
POST     /api/descent                 a gradient-descent path on one
GET/POST /api/perceptron              the "go to the game?" table
=======  ==========================  ==============================================
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from flask import Flask, Response, jsonify, request, send_from_directory
from werkzeug.exceptions import HTTPException

from .. import descent as gd
from ..perceptron import GAME_FEATURES, GAME_QUESTIONS, GAME_THRESHOLDS, GAME_WEIGHTS, game_table
from ..training import TrainConfig
from . import validate as v
from .guard import Guard, protect
from .jobs import TrainingManager
from .models_api import register_model_routes
from .served import ServedModel
from .train_request import spec_from_json
from .trainer import JobSpec

STATIC = Path(__file__).parent / "static"

#: Largest request body, in bytes: a 512x512 drawing as JSON fits easily.
MAX_CONTENT_LENGTH = 2 * 1024 * 1024
#: Largest drawing side, in pixels.
MAX_SIDE = 1024
#: Hidden units per layer the diagram and the training events show.
MAX_UNITS = 20
#: Steps one descent request may take.
MAX_STEPS = 1000
#: Grid points per side of a surface's contour data.
GRID = 80
#: Pages that may follow the training events at once (each holds a server thread).
MAX_STREAMS = 8


class Lab:
    """What the routes share: the served model, the training manager, the settings.

    ``guard`` is the app's :class:`~.guard.Guard`: :func:`.server.make_server`
    tells it the address the lab listens on.
    """

    def __init__(self, served: ServedModel, manager: TrainingManager, heartbeat: float,
                 guard: Guard) -> None:
        self.served = served
        self.manager = manager
        self.heartbeat = heartbeat
        self.guard = guard
        self.streams = threading.BoundedSemaphore(MAX_STREAMS)

    def close(self) -> None:
        """Cancel training and clean up; the app answers nothing useful afterwards."""
        self.manager.close()


def create_app(
    model_path: str | Path | None = None,
    *,
    train_if_missing: bool = True,
    startup_spec: JobSpec | None = None,
    work_dir: str | Path | None = None,
    idle_timeout: float = 30.0,
    max_seconds: float = 1800.0,
    heartbeat: float = 5.0,
    max_content_length: int = MAX_CONTENT_LENGTH,
    on_job_end: Callable[[dict, dict], None] | None = None,
) -> Flask:
    """The web lab as a Flask app.

    Args:
        model_path: a model file to serve.  Without one (and with
            ``train_if_missing``) the lecture's network -- ``784-15-10`` with
            :class:`~steepest.training.TrainConfig`'s defaults -- is trained in
            the background first, its progress on the page.
        train_if_missing: start that training when ``model_path`` is None.
        startup_spec: what that training is (default: the lecture's network,
            ``JobSpec(TrainConfig())``); tests and demos pass something smaller.
        work_dir: where training jobs write their model files (default: a
            temporary directory, removed by ``app.extensions["steepest_lab"].close()``).
        idle_timeout: seconds a training job runs with no page following it.
        max_seconds: wall-time limit of a training job.
        heartbeat: seconds between keep-alive comments on the event stream.
        max_content_length: largest request body, in bytes (larger gets 413).
        on_job_end: called as ``on_job_end(job_summary, final_event)`` when a
            training job has ended (see :class:`~.jobs.TrainingManager`).

    Raises:
        ValueError: ``model_path`` is not a readable 784-input, 10-class model.
    """
    served = ServedModel()
    if model_path is not None:
        served.load(model_path)
    manager = TrainingManager(served, work_dir, idle_timeout=idle_timeout,
                              max_seconds=max_seconds, on_job_end=on_job_end)

    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    app.url_map.converters["int"] = v.BoundedInt  # no 500 for /api/digits/<5,000 digits>
    app.config["MAX_CONTENT_LENGTH"] = max_content_length
    app.json.sort_keys = False
    lab = Lab(served, manager, heartbeat, protect(app))
    app.after_request(_scripts_as_javascript)
    app.extensions["steepest_lab"] = lab
    _register_errors(app)
    _register_routes(app, lab)
    register_model_routes(app, served, _json_body)  # GET /api/models, POST /api/models/select
    if model_path is None and train_if_missing:
        manager.start(startup_spec or JobSpec(TrainConfig(), None, MAX_UNITS), startup=True)
    return app


def _scripts_as_javascript(response: Response) -> Response:
    """Serve the page's ``.js`` files as ``text/javascript``, whatever the system's MIME table says.

    They are ES modules, which a browser runs only with a JavaScript type; a
    Windows registry, for one, may map ``.js`` to ``text/plain``.  Errors stay JSON.
    """
    if request.endpoint == "static" and request.path.endswith(".js") and response.status_code < 400:
        response.mimetype = "text/javascript"
    return response


# ---------------------------------------------------------------------------
# errors: always JSON, always one line


def _error(message: str, status: int, response: Response | None = None) -> Response:
    body = jsonify({"error": message})
    body.status_code = status
    if response is not None:  # keep headers such as Allow (405) or Retry-After
        for key in ("Allow", "Retry-After"):
            if key in response.headers:
                body.headers[key] = response.headers[key]
    return body


def _register_errors(app: Flask) -> None:
    @app.errorhandler(v.ApiError)
    def api_error(exc: v.ApiError):
        response = _error(exc.message, exc.status)
        if exc.status == 503:
            response.headers["Retry-After"] = "2"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        path = request.path if len(request.path) <= 80 else request.path[:80] + "..."
        messages = {
            404: f"no such route: {request.method[:20]} {path}",
            405: f"{request.method[:20]} is not allowed on {path}",
            413: f"request body too large (limit {app.config['MAX_CONTENT_LENGTH']:,} bytes)",
        }
        message = messages.get(exc.code, exc.description or exc.name)
        return _error(message, exc.code or 400, exc.get_response())

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # a bug, not a bad request: log it, keep serving
        app.logger.exception("unexpected error in %s %s", request.method, request.path)
        return _error(f"internal error ({type(exc).__name__}); the server keeps running", 500)


def _json_body(*, empty_ok: bool = False) -> dict:
    """The request body as a JSON object, or a 400 saying what is wrong with it."""
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    if not raw.strip():
        if empty_ok:
            return {}
        raise v.ApiError("the request body is empty; send a JSON object")
    return v.require_object(v.parse_json(raw))


def _query_int(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    return default if raw is None else v.int_text(raw, f"query parameter {name}", lo, hi)


def _finite(values) -> list:
    """Floats for JSON, with NaN and infinities (a diverged run) as null."""
    return [None if not math.isfinite(x) else x for x in np.asarray(values, float).ravel()]


# ---------------------------------------------------------------------------
# routes


def _register_routes(app: Flask, lab: Lab) -> None:
    served, manager = lab.served, lab.manager

    @app.get("/")
    def index():
        return send_from_directory(STATIC, "index.html")

    # -- the model ---------------------------------------------------------

    @app.get("/api/model")
    def model_info():
        training = manager.status()
        return jsonify({
            "ready": served.ready,
            "model": served.current().summary() if served.ready else None,
            "training": {"running": training["running"], "job": training["job"] and {
                k: training["job"][k] for k in ("id", "state", "message", "startup",
                                                "epochs_done")}},
        })

    @app.get("/api/model/download")
    def model_download():
        snap = served.current()
        return Response(snap.file_bytes, mimetype="application/octet-stream", headers={
            "Content-Disposition": f'attachment; filename="steepest-model-v{snap.version}.npz"',
        })

    @app.get("/api/network")
    def network():
        return jsonify(served.network(_query_int("max_units", MAX_UNITS, 1, 256)))

    @app.post("/api/predict")
    def predict():
        body = _json_body()
        v.reject_unknown(body, ("pixels", "pixels_base64", "width", "height"))
        return jsonify(served.predict(v.image(body, MAX_SIDE)))  # 422 if blank

    @app.get("/api/digits/<int:index>")
    def test_digit(index: int):
        return jsonify(served.test_digit(index))

    @app.get("/api/mistakes")
    def mistakes():
        limit = _query_int("limit", 24, 1, 200)
        return jsonify(served.mistakes(limit, _query_int("offset", 0, 0, 100_000)))

    # -- training ----------------------------------------------------------

    @app.get("/api/train")
    def train_status():
        manager.touch()
        return jsonify(manager.status())

    @app.post("/api/train")
    def train_start():
        spec = spec_from_json(_json_body(), MAX_UNITS)
        return jsonify(manager.start(spec)), 202

    @app.post("/api/train/cancel")
    def train_cancel():
        v.reject_unknown(_json_body(empty_ok=True), ())  # nothing to say but "cancel"
        cancelled = manager.cancel()
        return jsonify({"cancelled": cancelled, "message": "cancelling the training job"
                        if cancelled else "no training job is running"})

    @app.get("/api/train/events")
    def train_events():
        after = request.headers.get("Last-Event-ID") or request.args.get("after") or "0"
        after_id = v.int_text(after.strip(), "Last-Event-ID / after", 0, 2**63 - 1)

        if not lab.streams.acquire(blocking=False):
            raise v.ApiError(f"{MAX_STREAMS} pages already follow the training events; "
                             "close one, or poll GET /api/train", status=429)

        def stream():
            cursor = after_id
            yield "retry: 2000\n\n"
            while not manager.closing:
                manager.touch()  # a page is following: the job is wanted
                events, ended = manager.wait_events(cursor, lab.heartbeat)
                for event in events:
                    cursor = event["id"]
                    yield (f"id: {event['id']}\nevent: {event['type']}\n"
                           f"data: {json.dumps(event)}\n\n")
                if ended:
                    return
                if not events:
                    yield ": keep-alive\n\n"  # also how a closed page is noticed

        response = Response(stream(), mimetype="text/event-stream",
                            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        response.call_on_close(lab.streams.release)  # the stream ended, or the page went away
        return response

    # -- descent and the perceptron ------------------------------------------

    @app.get("/api/descent/surfaces")
    def surfaces():
        n = _query_int("grid", GRID, 10, 200)
        out = []
        for s in gd.SURFACES.values():
            a0, a1, b0, b1 = s.window
            v1, v2 = np.meshgrid(np.linspace(a0, a1, n), np.linspace(b0, b1, n))
            out.append({"name": s.name, "formula": s.formula, "window": list(s.window),
                        "start": list(s.start), "good_lr": s.good_lr,
                        "grid": {"n": n, "costs": np.round(s.cost(v1, v2), 4).tolist()}})
        return jsonify({"surfaces": out})

    @app.post("/api/descent")
    def descent():
        body = _json_body()
        v.reject_unknown(body, ("surface", "start", "learning_rate", "steps"))
        name = v.choice(body.get("surface"), "surface", tuple(gd.SURFACES))
        start = v.numbers(body.get("start"), "start", 2, -1e3, 1e3)
        lr = v.number(body.get("learning_rate"), "learning_rate", 0, 10, lo_open=True)
        steps = v.integer(body.get("steps", 1), "steps", 0, MAX_STEPS)  # 0: just C(start)
        path = gd.descend(name, tuple(start), lr, steps)
        return jsonify({
            "surface": name, "learning_rate": lr,
            "points": [_finite(p) for p in path.points],
            "costs": _finite(path.costs),
            "predicted_changes": _finite(path.predicted_changes),  # grad C . delta v
            "actual_changes": _finite(np.diff(path.costs)),
            "diverged": bool(path.diverged),
        })

    @app.route("/api/perceptron", methods=["GET", "POST"])
    def perceptron():
        weights, threshold = list(GAME_WEIGHTS), GAME_THRESHOLDS[0]
        if request.method == "POST":
            body = _json_body()
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
