"""The web lab's JSON API and page, as a Flask app (served by :mod:`.server`).

``create_app`` builds the app around a :class:`~.served.ServedModel` and a
:class:`~.jobs.TrainingManager` (held together by a :class:`~.lab.Lab`) and
registers the routes, one blueprint per area (:mod:`.routes`).  Every request
first passes :mod:`.guard` (the lab's own address and page, JSON bodies); every
route answers JSON; every refusal is ``{"error": "one line"}`` with a 4xx status
(503 only while the first model is still training), so a bad request can never
crash the server or reach the numerical code unchecked.  The routes (documented
in the user guide's web lab page, "The JSON API"):

========  ==========================  ============================================================
GET       /                           the page
GET       /api/model                  the model in service (version, architecture)
GET       /api/model/download         the model as a ``.npz`` file
GET       /api/network                weight images and weights of the first units
GET       /api/models                 the models served so far
POST      /api/models/select          serve one of them again
POST      /api/predict                a drawing -> digit, probabilities, 28x28 input, hidden
                                      activations
POST      /api/inside                 one input, layer by layer: the most active units
GET       /api/digits/<i>             MNIST test digit ``i``
GET       /api/mistakes               test digits the model gets wrong
GET       /api/gallery                the Train tab's ten test digits and the model's answers
GET       /api/train                  the training job's state and history
POST      /api/train                  start a job (409 while one runs)
POST      /api/train/cancel           cancel it
POST      /api/train/control          pause, play or step it; set its pace
GET       /api/train/events           the job's events, as server-sent events
GET       /api/descent/surfaces       the cost surfaces, with a grid for contours
POST      /api/descent                a gradient-descent path on one
GET/POST  /api/perceptron             the "go to the game?" table
========  ==========================  ============================================================
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from ..training import TrainConfig
from . import validate as v
from .guard import protect
from .jobs import TrainingManager
from .lab import MAX_STREAMS, MAX_UNITS, STATIC, Lab
from .routes import BLUEPRINTS
from .served import ServedModel
from .trainer import JobSpec

__all__ = ["MAX_CONTENT_LENGTH", "MAX_STREAMS", "MAX_UNITS", "Lab", "create_app"]

#: Largest request body, in bytes: a 512x512 drawing as JSON fits easily.
MAX_CONTENT_LENGTH = 2 * 1024 * 1024


def create_app(model_path: str | Path | None = None, *, train_if_missing: bool = True,
               startup_spec: JobSpec | None = None, work_dir: str | Path | None = None,
               idle_timeout: float = 30.0, max_seconds: float = 1800.0, heartbeat: float = 5.0,
               max_content_length: int = MAX_CONTENT_LENGTH,
               on_job_end: Callable[[dict, dict], None] | None = None) -> Flask:
    """The web lab as a Flask app.

    Parameters
    ----------
    model_path : str or Path, optional
        a model file to serve.  Without one (and with ``train_if_missing``) the
        lecture's network -- ``784-15-10`` with :class:`~steepest.training.TrainConfig`'s
        defaults -- is trained in the background first, its progress on the page.
    train_if_missing : bool
        start that training when ``model_path`` is None.
    startup_spec : JobSpec, optional
        what that training is (default: the lecture's network,
        ``JobSpec(TrainConfig())``); tests and demos pass something smaller.
    work_dir : str or Path, optional
        where training jobs write their model files (default: a temporary directory,
        removed by ``app.extensions["steepest_lab"].close()``).
    idle_timeout : float
        seconds a training job runs with no page following it.
    max_seconds : float
        wall-time limit of a training job.
    heartbeat : float
        seconds between keep-alive comments on the event stream.
    max_content_length : int
        largest request body, in bytes (larger gets 413).
    on_job_end : callable, optional
        called as ``on_job_end(job_summary, final_event)`` when a training job has
        ended (see :class:`~.jobs.TrainingManager`).

    Returns
    -------
    Flask
        the app; ``app.extensions["steepest_lab"]`` is its :class:`~.lab.Lab`.

    Raises
    ------
    ValueError
        ``model_path`` is not a readable 784-input, 10-class model.
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
    app.extensions["steepest_lab"] = Lab(served, manager, heartbeat, protect(app))
    app.after_request(_scripts_as_javascript)
    _register_errors(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
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
