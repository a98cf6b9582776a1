"""Training jobs: start one, follow it as server-sent events, cancel it.

One job at a time runs, in its own process (:mod:`steepest.web.trainer`, managed by
:mod:`steepest.web.jobs`); a page that stops following it lets it time out.

=======  ======================  ===============================================
GET      /api/train              the training job's state and history
POST     /api/train              start a job (409 while one runs)
POST     /api/train/cancel       cancel it
POST     /api/train/control      pause, play or step it; set its pace
GET      /api/train/events       the job's events, as server-sent events
=======  ======================  ===============================================
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, request

from .. import validate as v
from ..lab import MAX_STREAMS, MAX_UNITS, current, json_body
from ..pace import ACTIONS
from ..train_request import rate, spec_from_json

bp = Blueprint("train", __name__)


@bp.get("/api/train")
def train_status():
    """The job's state and history; asking counts as following it."""
    manager = current().manager
    manager.touch()
    return jsonify(manager.status())


@bp.post("/api/train")
def train_start():
    """Start the job the body describes (see :mod:`steepest.web.train_request`)."""
    spec = spec_from_json(json_body(), MAX_UNITS)
    return jsonify(current().manager.start(spec)), 202


@bp.post("/api/train/cancel")
def train_cancel():
    """Cancel the running job, if there is one."""
    v.reject_unknown(json_body(empty_ok=True), ())  # nothing to say but "cancel"
    cancelled = current().manager.cancel()
    return jsonify({"cancelled": cancelled, "message": "cancelling the training job"
                    if cancelled else "no training job is running"})


@bp.post("/api/train/control")
def train_control():
    """``{"action": "pause" | "play" | "step_batch" | "step_epoch", "pace": 50}``, either or
    both: ``pace`` is mini-batches per second, null for full speed."""
    body = json_body()
    v.reject_unknown(body, ("action", "pace"))
    if not body:
        raise v.ApiError(f"send an action ({', '.join(ACTIONS)}) or a pace")
    action = v.choice(body["action"], "action", ACTIONS) if "action" in body else None
    pace = rate(body.get("pace"))
    return jsonify(current().manager.control(action, pace, set_rate="pace" in body))


@bp.get("/api/train/events")
def train_events():
    """The job's events after ``Last-Event-ID`` (or ``?after=``), as they come."""
    lab = current()
    after = request.headers.get("Last-Event-ID") or request.args.get("after") or "0"
    after_id = v.int_text(after.strip(), "Last-Event-ID / after", 0, 2**63 - 1)
    if not lab.streams.acquire(blocking=False):
        raise v.ApiError(f"{MAX_STREAMS} pages already follow the training events; "
                         "close one, or poll GET /api/train", status=429)
    response = Response(_event_stream(lab, after_id), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    response.call_on_close(lab.streams.release)  # the stream ended, or the page went away
    return response


def _event_stream(lab, cursor: int):
    """Server-sent events: each job event after ``cursor``, keep-alives in between."""
    manager = lab.manager
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
