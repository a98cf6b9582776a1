"""One driver per study (steepest.sweep.lock), with real Optuna storage and a fake clock.

The real thing -- a second ``steepest sweep`` started on a running study -- is
in test_sweep.py; here each rule is tried alone, without waiting for it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

optuna = pytest.importorskip("optuna")

from steepest.sweep import lock as locks  # noqa: E402
from steepest.sweep.lock import DriverLock, DriverReplaced, StudyBusy  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.ERROR)


class Clock:
    """time.time and time.sleep, advanced by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now, self.slept = now, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def study(tmp_path):
    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path}/sweep.db")
    yield optuna.create_study(study_name="s", storage=storage)
    storage.engine.dispose()


def new_lock(study, clock, **kwargs) -> DriverLock:
    return DriverLock(study, clock=clock, sleep=clock.sleep, **kwargs)


def dead_pid() -> int:
    """The pid of a process that has ended (and been waited for)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_claim_names_its_driver_and_is_given_up_at_the_end(study):
    clock = Clock()
    with new_lock(study, clock) as held:
        claim = study.user_attrs["driver"]
        assert claim["pid"] == os.getpid() and claim["host"] == socket.gethostname()
        assert claim["token"] == held.claim["token"] and clock.slept == [locks.SETTLE]
        assert held.previous is None
        held.check()  # still ours
    assert study.user_attrs["driver"] is None


def test_a_second_driver_is_refused_in_one_line_saying_who_and_how_to_take_over(study):
    clock = Clock()
    with new_lock(study, clock):
        clock.now += 3
        with pytest.raises(StudyBusy) as err:
            new_lock(study, clock).acquire()
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("study 's' is being run by another steepest sweep (pid "
                              f"{os.getpid()} on host {socket.gethostname()}, started ")
    assert f"last heartbeat {locks.SETTLE + 3:.0f} s ago" in message and "--take-over" in message
    assert f"silent for {locks.STALE:.0f} s is taken over" in message


def test_a_driver_whose_process_ended_is_taken_over_at_once(study):
    clock = Clock()
    gone = new_lock(study, clock)
    gone.claim["pid"] = dead_pid()
    gone._write()  # a driver killed with SIGKILL: its claim stays, fresh
    taker = new_lock(study, clock)
    taker.acquire()
    try:
        assert taker.previous["pid"] == gone.claim["pid"]
        assert study.user_attrs["driver"]["token"] == taker.claim["token"]
    finally:
        taker.release()


def test_a_driver_on_another_host_is_taken_over_once_its_heartbeat_is_stale(study):
    clock = Clock()
    elsewhere = new_lock(study, clock)
    elsewhere.claim["host"] = "another-host"
    elsewhere._write()
    clock.now += locks.STALE - 1
    with pytest.raises(StudyBusy, match="on host another-host"):
        new_lock(study, clock).acquire()
    clock.now += 2  # no heartbeat for more than STALE seconds
    taker = new_lock(study, clock)
    taker.acquire()
    taker.release()
    assert taker.previous["host"] == "another-host"


def test_take_over_waits_for_the_live_holder_to_notice_and_the_holder_stops(study):
    clock = Clock()
    holder = new_lock(study, clock)
    holder.acquire()
    try:
        taker = new_lock(study, clock, take_over=True)
        taker.acquire()
        # long enough for two of the holder's heartbeats to see the claim is gone
        assert clock.slept[-1] == 2 * locks.HEARTBEAT + locks.SETTLE
        assert not holder.beat()
        with pytest.raises(DriverReplaced, match=r"study 's' was taken over by pid "):
            holder.check()
    finally:
        holder.release()
    assert study.user_attrs["driver"]["token"] == taker.claim["token"]  # not given up by holder
    taker.release()


def test_of_two_drivers_claiming_at_once_the_one_that_wrote_last_drives(study):
    clock = Clock()
    first, second = new_lock(study, clock), new_lock(study, clock)

    def meanwhile(seconds: float) -> None:  # the second found the study free too, and claims it
        second._write()

    first.sleep = meanwhile
    with pytest.raises(StudyBusy, match="is being run by another steepest sweep"):
        first.acquire()
    assert study.user_attrs["driver"]["token"] == second.claim["token"]  # the second drives
