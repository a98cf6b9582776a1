"""What every route of the lab shares: the lab itself, and reading a request.

:class:`Lab` holds the served model, the training manager and the settings;
:func:`~.app.create_app` puts one in ``app.extensions["steepest_lab"]``, where
:func:`current` finds it for a route.  The readers turn a request's JSON body or
query string into checked values (:mod:`.validate` does the checking) or raise a
4xx :class:`~.validate.ApiError`, which the app answers as ``{"error": ...}``.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np
from flask import current_app, request

from . import validate as v
from .guard import Guard
from .jobs import TrainingManager
from .served import ServedModel

#: The page: ``index.html`` and what it loads.
STATIC = Path(__file__).parent / "static"
#: Hidden units per layer the diagram and the training events show.
MAX_UNITS = 20
#: Pages that may follow the training events at once (each holds a server thread).
MAX_STREAMS = 8


class Lab:
    """What the routes share: the served model, the training manager, the settings.

    Parameters
    ----------
    served : ServedModel
        the model the page talks to.
    manager : TrainingManager
        starts, follows and cancels training jobs.
    heartbeat : float
        seconds between keep-alive comments on the event stream.
    guard : Guard
        the app's :class:`~.guard.Guard`: :func:`.server.make_server` tells it the
        address the lab listens on.
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


def current() -> Lab:
    """The :class:`Lab` of the app handling the current request."""
    return current_app.extensions["steepest_lab"]


def json_body(*, empty_ok: bool = False) -> dict:
    """The request body as a JSON object, or a 400 saying what is wrong with it.

    Parameters
    ----------
    empty_ok : bool
        an empty body is ``{}`` (a route with nothing to be told), not a 400.

    Returns
    -------
    dict
        the parsed object; the route checks its fields.
    """
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    if not raw.strip():
        if empty_ok:
            return {}
        raise v.ApiError("the request body is empty; send a JSON object")
    return v.require_object(v.parse_json(raw))


def query_int(name: str, default: int, lo: int, hi: int) -> int:
    """Query parameter ``name`` as an int in ``[lo, hi]``, or ``default`` when absent."""
    raw = request.args.get(name)
    return default if raw is None else v.int_text(raw, f"query parameter {name}", lo, hi)


def finite(values) -> list:
    """Floats for JSON, with NaN and infinities (a diverged run) as null.

    >>> finite([1.5, float("nan"), float("inf")]) == [1.5, None, None]
    True
    """
    return [None if not math.isfinite(x) else x for x in np.asarray(values, float).ravel()]
