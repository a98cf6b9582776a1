"""Play, pause, step and pace a training job, without a browser.

Three levels: the :class:`~steepest.web.pace.Pace` itself (threads stand in for
the training process), the training loop of :mod:`steepest.web.trainer` run in a
thread, and the API (``POST /api/train/control``) through Flask's test client.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time

import numpy as np
import pytest

from lab_support import lab_app
from requires import WEB, require

require(WEB)  # the web lab needs Flask: skipped without it; under CI=true, failed

from steepest.training import TrainConfig  # noqa: E402
from steepest.web import pace as pace_module  # noqa: E402
from steepest.web import trainer  # noqa: E402
from steepest.web.gallery import first_of_each_class  # noqa: E402
from steepest.web.pace import Pace  # noqa: E402
from steepest.web.trainer import Cancelled, JobSpec  # noqa: E402

#: 500 images in mini-batches of 50: ten mini-batches an epoch.
SMALL = {"hidden": [8], "epochs": 2, "train_limit": 500, "batch_size": 50}


def in_thread(fn, *args) -> tuple[threading.Thread, list]:
    """Run ``fn(*args)`` in a thread; the list gets its exception, if any."""
    raised: list = []

    def target():
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 -- handed to the test
            raised.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, raised


# ---------------------------------------------------------------------------
# the Pace


def test_a_step_lets_one_mini_batch_through_then_holds():
    pace = Pace(paused=True)
    assert pace.holding()
    pace.step()
    assert not pace.holding() and pace.state() == {"paused": True, "rate": None,
                                                  "stepping": True}
    pace.tick(end_of_epoch=False)
    assert pace.holding() and pace.state()["stepping"] is False


def test_an_epoch_step_holds_only_at_the_end_of_the_epoch():
    pace = Pace(paused=True)
    pace.step(epoch=True)
    for _ in range(5):
        pace.tick(end_of_epoch=False)
        assert not pace.holding()
    pace.tick(end_of_epoch=True)
    assert pace.holding()


def test_play_runs_freely_and_pause_holds():
    pace = Pace()
    for _ in range(3):
        pace.tick(end_of_epoch=False)
    assert not pace.holding()
    pace.pause()
    assert pace.holding()
    pace.play()
    assert not pace.holding() and pace.state()["paused"] is False


def test_wait_blocks_while_paused_and_returns_on_play():
    pace = Pace(paused=True)
    thread, raised = in_thread(pace.wait, lambda: None)
    thread.join(0.7)  # more than one POLL: a wake-up alone does not let it through
    assert thread.is_alive(), "a paused wait returned"
    pace.play()
    thread.join(10)
    assert not thread.is_alive() and not raised


def test_a_cancel_reaches_a_paused_wait():
    pace = Pace(paused=True)
    cancel = threading.Event()

    def check():
        if cancel.is_set():
            raise Cancelled("stopped")

    thread, raised = in_thread(pace.wait, check)
    thread.join(0.2)
    assert thread.is_alive()
    cancel.set()
    pace.wake()
    thread.join(10)
    assert not thread.is_alive() and isinstance(raised[0], Cancelled)


def test_a_rate_spaces_the_mini_batches():
    pace = Pace(rate=20)  # at most 20 a second: 5 waits take at least 0.2 s
    start = time.monotonic()
    for _ in range(5):
        pace.wait(lambda: None)
    assert time.monotonic() - start >= 4 / 20 - 0.01
    assert pace.frame_every() == 4
    pace.apply(None, None, set_rate=True)  # back to full speed: no wait, no frames
    assert pace.frame_every() is None and pace.state()["rate"] is None


def test_a_lock_left_taken_does_not_hang_the_server(monkeypatch):
    """A training process killed while it held the shared lock never releases it: the
    server still reports the state, wakes nobody, and refuses a control instead of hanging."""
    monkeypatch.setattr(pace_module, "LOCK_TIMEOUT", 0.1)
    pace, taken, done = Pace(paused=True), threading.Event(), threading.Event()

    def hold():
        with pace._cond:
            taken.set()
            done.wait(30)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert taken.wait(10)
    try:
        assert pace.state() == {"paused": True, "rate": None, "stepping": False}
        pace.wake()  # gives up quietly: the process polls anyway
        with pytest.raises(TimeoutError, match="does not let go"):
            pace.play()
        assert pace.state()["paused"] is True
    finally:
        done.set()
        holder.join(10)
    pace.play()  # released: it works again
    assert pace.state()["paused"] is False


def test_the_gallery_is_the_first_test_digit_of_each_class(mnist_data):
    _, (x_test, y_test) = mnist_data
    indices = first_of_each_class(y_test)
    assert list(y_test[indices]) == list(range(10))
    assert all(k not in y_test[: i] for k, i in enumerate(indices))


# ---------------------------------------------------------------------------
# the training loop, paced (in a thread, as the training process would run it)


class Run:
    """``trainer.run`` in a thread, with a queue for its events."""

    def __init__(self, pace: Pace, directory, epochs: int = 2) -> None:
        config = TrainConfig(hidden=(8,), epochs=epochs, batch_size=50)
        self.spec = JobSpec(config, train_limit=500, max_units=8)
        self.events, self.cancel, self.pace = queue.Queue(), threading.Event(), pace
        self.thread, _ = in_thread(trainer.run, self.spec, str(directory / "model.npz"),
                                   self.events, self.cancel, os.getppid(), pace)

    def next(self, kind: str, timeout: float = 60) -> dict:
        """The next event of type ``kind`` (others are skipped)."""
        while True:
            event = self.events.get(timeout=timeout)
            if event["type"] == kind:
                return event

    def quiet(self, seconds: float) -> list[dict]:
        """Events that arrive within ``seconds``."""
        time.sleep(seconds)
        out = []
        while not self.events.empty():
            out.append(self.events.get())
        return out


def test_a_paused_run_shows_the_random_network_and_steps_one_batch(tmp_path):
    run = Run(Pace(paused=True), tmp_path)
    try:
        gallery = run.next("gallery")
        assert gallery["labels"] == list(range(10)) and len(gallery["images"][0]) == 784
        start = run.next("weights")
        assert start["paused"] is True and len(start["gallery"]) == 10
        assert run.quiet(0.8) == []  # paused: nothing trains
        run.pace.step()
        frame = run.next("frame")
        assert (frame["epoch"], frame["batch"], frame["paused"]) == (1, 1, True)
        before = np.array(start["layers"][0]["weights"])
        after = np.array(frame["layers"][0]["weights"])
        assert before.shape == after.shape == (8, 784) and not np.array_equal(before, after)
        assert frame["gallery"] != start["gallery"]  # the predictions' confidences moved
        assert run.quiet(0.8) == []  # and it holds again after the step
        run.pace.step(epoch=True)
        epoch = run.next("epoch")
        assert epoch["epoch"] == 1 and epoch["paused"] is True
        assert [e["type"] for e in run.quiet(0.8)] == []  # held at the epoch's end
    finally:
        run.cancel.set()
        run.pace.wake()
    assert run.next("cancelled")["message"] == "stopped in epoch 1"
    run.thread.join(10)


def test_a_slow_pace_sends_frames_between_epochs(tmp_path):
    run = Run(Pace(rate=25), tmp_path, epochs=1)  # 5 frames a second: one every 5 batches
    assert run.next("frame")["batch"] == 5
    assert run.next("epoch")["epoch"] == 1
    assert run.next("finished")
    run.thread.join(10)


def test_a_paused_run_still_finishes_its_last_epoch(tmp_path):
    """A step that ends the last epoch ends the run: its model must go into service."""
    run = Run(Pace(paused=True), tmp_path, epochs=1)
    run.next("weights")
    run.pace.step(epoch=True)
    run.next("epoch")
    assert run.next("finished", timeout=30)
    run.thread.join(10)


# ---------------------------------------------------------------------------
# the API


@pytest.fixture
def app(tmp_path, mnist_data, save_lab_style_model):
    model = save_lab_style_model(tmp_path / "m.npz", mnist_data, n_train=2000, hidden=(8,),
                                 seed=0)
    with lab_app(model, work_dir=tmp_path / "jobs") as app:
        yield app


def events_until(client, kind: str, after: int = 0) -> list[dict]:
    """The job's events from ``after`` until one of type ``kind``."""
    out = []
    manager = client.application.extensions["steepest_lab"].manager
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        events, ended = manager.wait_events(after, 1.0)
        out += events
        after = events[-1]["id"] if events else after
        if any(e["type"] == kind for e in events) or ended:
            return out
    raise AssertionError(f"no {kind} event in 60 s: {[e['type'] for e in out]}")


def test_the_api_pauses_steps_and_plays_a_job(app):
    client = app.test_client()
    r = client.post("/api/train", json={**SMALL, "paused": True, "pace": 50})
    assert r.status_code == 202 and r.get_json()["pace"] == {"paused": True, "rate": 50.0,
                                                             "stepping": False}
    seen = events_until(client, "weights")
    r = client.post("/api/train/control", json={"action": "step_batch"})
    assert r.status_code == 200 and r.get_json()["stepping"] is True
    seen += events_until(client, "frame", seen[-1]["id"])
    assert [e["batch"] for e in seen if e["type"] == "frame"] == [1]
    assert any(e["type"] == "pace" and e["action"] == "step_batch" for e in seen)
    r = client.post("/api/train/control", json={"action": "play", "pace": None})
    assert r.get_json() == {"paused": False, "rate": None, "stepping": False}
    seen += events_until(client, "done", seen[-1]["id"])
    assert seen[-1]["type"] == "done"
    history = client.get("/api/train").get_json()["job"]["history"]
    assert len(history) == 2 and not {"layers", "gallery", "paused"} & set(history[0])


def test_a_paused_job_can_be_cancelled(app):
    client = app.test_client()
    assert client.post("/api/train", json={**SMALL, "paused": True}).status_code == 202
    events_until(client, "weights")
    assert client.post("/api/train/cancel", json={}).get_json()["cancelled"] is True
    last = events_until(client, "cancelled")[-1]
    assert last["type"] == "cancelled" and "cancelled by request" in last["message"]


@pytest.mark.parametrize("limit, reason", [({"max_seconds": 1.0}, "the time limit of 1 s"),
                                           ({"idle_timeout": 1.0}, "no page has followed")])
def test_a_paused_job_does_not_hold_the_lab(tmp_path, mnist_data, save_lab_style_model,
                                            limit, reason):
    """Paused, a job still meets the limits of any job: the lab is free again after them."""
    model = save_lab_style_model(tmp_path / "m.npz", mnist_data, n_train=2000, hidden=(8,),
                                 seed=0)
    with lab_app(model, work_dir=tmp_path / "jobs", **limit) as app:
        manager = app.extensions["steepest_lab"].manager
        assert app.test_client().post("/api/train", json={**SMALL, "paused": True}).status_code \
            == 202
        deadline = time.monotonic() + 60
        while manager.status()["running"] and time.monotonic() < deadline:
            time.sleep(0.1)  # nobody follows the job: only the limit under test can end it
        job = manager.status()["job"]
        assert job["state"] == "cancelled" and reason in job["message"], job
        assert job["epochs_done"] == 0  # it never left its pause


@pytest.mark.parametrize("path, body, status, message", [
    ("/api/train", {**SMALL, "paused": "true"}, 400,
     'paused must be true or false, got "true" (a string)'),
    ("/api/train", {**SMALL, "paused": 1}, 400, "paused must be true or false, got 1"),
    ("/api/train", {**SMALL, "pace": "slow"}, 400, 'pace must be a number, got "slow"'),
    ("/api/train", {**SMALL, "pace": 0}, 400, "pace must be in [0.5, 1000], got 0"),
    ("/api/train", {**SMALL, "pace": 5000}, 400, "pace must be in [0.5, 1000], got 5000"),
    ("/api/train/control", {}, 400, "send an action (pause, play, step_batch, step_epoch)"),
    ("/api/train/control", {"action": "rewind"}, 400,
     'action must be one of: pause, play, step_batch, step_epoch; got "rewind"'),
    ("/api/train/control", {"action": True}, 400, "action must be one of"),
    ("/api/train/control", {"pace": True}, 400, "pace must be a number, got true (a boolean)"),
    ("/api/train/control", {"speed": 3}, 400, "unknown field(s) 'speed'"),
    ("/api/train/control", {"action": "pause"}, 409, "no training job is running"),
])
def test_pace_requests_are_checked(app, path, body, status, message):
    client = app.test_client()
    r = client.post(path, data=json.dumps(body), content_type="application/json")
    assert r.status_code == status and message in r.get_json()["error"], r.get_json()
    assert client.get("/api/train").get_json()["job"] is None  # nothing was started
