"""``steepest sweep`` under faults: two drivers, fake schedulers, bad addresses, Ctrl-C.

Real processes throughout, as in test_sweep.py (whose helpers these are): a
``dask scheduler`` and ``dask worker`` processes on 127.0.0.1, the command in
its own process, the SQLite study read back with Optuna.  A bound on time is a
subprocess timeout or a bound derived from ``--connect-timeout``, never a
measured speed.
"""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest
from click.testing import CliRunner

from steepest.cli import main
from test_sweep import (  # importorskips optuna, distributed and optuna_integration
    FINISHED,
    SLOW_SPACE,
    State,
    assert_accounted_for,
    child_env,
    dask_cluster,  # noqa: F401  (a fixture: a scheduler and two workers for this module)
    free_port,
    one_line_error,
    running_midway,
    study_trials,
    sweep_command,
    wait_for,
    write_space,
)

# Trials of 400 epochs (several seconds each), run with --no-prune: a study that is still
# running when a second driver arrives, or when --take-over's wait is over.
LONG_SPACE = SLOW_SPACE.replace("epochs = 80", "epochs = 400")
TINY_SPACE = """\
    hidden = [5]
    epochs = 1
    validation = 500
    [search]
    batch_size = [10, 20]
"""


def popen(args: list[str], *, sigint=signal.SIG_DFL, session: bool = False) -> subprocess.Popen:
    """``steepest sweep``, SIGINT as given (a terminal's default, or a background job's ignore)."""
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=child_env(), start_new_session=session,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, sigint))


def finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[str, str]:
    """The output of ``proc`` once it ends; killed if it runs past ``timeout``."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise


def finished_ok(trials) -> bool:
    return all(t.state in (State.COMPLETE, State.PRUNED) for t in trials)


# -- one driver per study ---------------------------------------------------------------------

@contextmanager
def first_driver(address: str, tmp_path, data, trials: int):
    """A sweep of LONG_SPACE running on ``address``, past a trial's first epoch: (it, its args)."""
    space, out = write_space(tmp_path, LONG_SPACE), tmp_path / "out"
    args = sweep_command(space, out, data, "--scheduler", address, "--trials", trials,
                         "--no-prune")
    first = popen(args)
    try:
        wait_for(first, out / "sweep.db", running_midway)
        yield first, args
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()


def test_a_second_driver_on_a_running_study_is_refused_and_the_first_finishes_unharmed(
        dask_cluster, tmp_path, small_mnist_dir):  # noqa: F811
    with first_driver(dask_cluster, tmp_path, small_mnist_dir, 4) as (first, args):
        second = subprocess.run(args, capture_output=True, text=True, env=child_env(),
                                timeout=300)
        assert first.poll() is None  # refused while the first was running
        line = one_line_error(second, "steepest: error: study 's' is being run by another "
                                      f"steepest sweep (pid {first.pid} on host "
                                      f"{socket.gethostname()}, started ", "--take-over")
        assert "\ntrial " not in second.stdout  # it ran nothing
        stdout, stderr = finish(first)
    assert first.returncode == 0, (line, stderr)
    trials = study_trials(tmp_path / "out" / "sweep.db")
    assert_accounted_for(trials, 4)
    assert finished_ok(trials) and len(trials) == 4  # nothing failed, nothing run twice
    assert sum(s.startswith("trial ") for s in stdout.splitlines()) == 4


def test_take_over_stops_the_live_driver_in_one_line_and_the_new_one_finishes_the_study(
        dask_cluster, tmp_path, small_mnist_dir):  # noqa: F811
    with first_driver(dask_cluster, tmp_path, small_mnist_dir, 6) as (first, args):
        second = subprocess.run([*args, "--take-over"], capture_output=True, text=True,
                                env=child_env(), timeout=300)
        _, first_err = finish(first, 120)
    assert second.returncode == 0, second.stderr
    assert f"study: took s over from pid {first.pid} on host " in second.stdout
    assert first.returncode == 1 and "Traceback" not in first_err
    assert first_err.strip().splitlines()[-1].startswith(
        "steepest: error: study 's' was taken over by pid ")
    trials = study_trials(tmp_path / "out" / "sweep.db")
    assert_accounted_for(trials, 6)
    # the first driver's running trials were failed and run again by the second
    assert [t for t in trials if t.state == State.FAIL and "error" not in t.user_attrs]


# -- schedulers that are not ------------------------------------------------------------------

@contextmanager
def silent_port():
    """A TCP port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for s in [*held, server]:
            s.close()


@contextmanager
def web_server(scheme: str = "tcp"):
    """A tiny HTTP server on loopback (what answers at a dashboard's port, say)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


TIMEOUT = 3  # --connect-timeout for the fake schedulers


@pytest.mark.parametrize("fake", [silent_port, web_server])
def test_a_scheduler_that_is_not_dask_gives_up_within_the_connect_timeout(
        tmp_path, small_mnist_dir, fake):
    space = write_space(tmp_path, TINY_SPACE)
    with fake() as address:
        t0 = time.monotonic()
        result = subprocess.run(
            sweep_command(space, tmp_path / "out", small_mnist_dir, "--scheduler", address,
                          "--connect-timeout", TIMEOUT),
            capture_output=True, text=True, env=child_env(), timeout=120)  # was: for ever
        elapsed = time.monotonic() - t0
    one_line_error(result, f"no Dask scheduler answered at {address} within {TIMEOUT} s")
    # asking who is there, then Dask's own connect: each bounded by the timeout, plus
    # starting Python and reading the data (seconds on a busy machine)
    assert elapsed < 3 * TIMEOUT + 45


def test_a_closed_port_is_always_cannot_reach_never_no_answer():
    # Dask's connect retries a refused port until its timeout, which ran out at the same
    # moment as ours: the message was "no Dask scheduler answered" about 2 times in 3.
    from steepest.sweep.cluster import check_address, identify

    messages = set()
    for _ in range(8):
        address = f"tcp://127.0.0.1:{free_port()}"
        with pytest.raises(ValueError) as caught:
            identify(address, 0.5, check_address(address, 0.5))
        messages.add(str(caught.value).split(" at ")[0])
    assert messages == {"cannot reach the Dask scheduler"}


@pytest.mark.parametrize("scheduler, timeout, exit_code, message", [
    ("tls://127.0.0.1:{port}", 3, 1, "tls:// needs certificates in Dask's settings"),
    ("wss://127.0.0.1:{port}", 3, 1, "wss:// needs certificates in Dask's settings"),
    ("ucx://127.0.0.1:{port}", 3, 1, "not ucx:// (UCX and in-process comms are not supported)"),
    ("inproc://127.0.0.1/1/1", 3, 1, "not inproc://"),
    ("http://127.0.0.1:{port}", 3, 1, "tcp://, tls://, ws://, wss://, not http://"),
    ("127.0.0.1", 3, 1, "not a Dask scheduler address: '127.0.0.1' (missing port number"),
    ("", 3, 2, "Invalid value for '--scheduler': needs an address"),
    ("  ", 3, 2, "Invalid value for '--scheduler': needs an address"),
    ("tcp://127.0.0.1:{port}", "nan", 2, "'--connect-timeout': must be a number of seconds"),
    ("tcp://127.0.0.1:{port}", "inf", 2, "'--connect-timeout': must be a number of seconds"),
    ("tcp://127.0.0.1:{port}", "-1", 2, "'--connect-timeout': must be a number of seconds"),
    ("tcp://127.0.0.1:{port}", "0", 2, "'--connect-timeout': must be a number of seconds"),
    ("tcp://127.0.0.1:{port}", "1e9", 2, "'--connect-timeout': must be a number of seconds"),
])
def test_an_address_or_timeout_no_sweep_can_use_is_one_line_before_any_work(
        tmp_path, small_mnist_dir, scheduler, timeout, exit_code, message):
    space, out = write_space(tmp_path, TINY_SPACE), tmp_path / "out"
    address = scheduler.format(port=free_port())
    result = CliRunner().invoke(main, ["sweep", str(space), "--data", str(small_mnist_dir),
                                       "-o", str(out), "--scheduler", address,
                                       "--connect-timeout", str(timeout)])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == exit_code
    (line,) = result.output.strip().splitlines()
    assert line.startswith("steepest: error: ") and message in line
    assert not out.exists()  # refused before the output directory was made


def test_an_int_too_large_for_a_float_is_a_refused_timeout_not_an_overflow():
    # The check converted the timeout to a float to ask whether it was finite:
    # 10**400 raised OverflowError instead of the one-line refusal.
    from steepest.sweep.cluster import check_address, valid_timeout

    assert valid_timeout(10**400) is False
    with pytest.raises(ValueError, match=r"the connect timeout must be a number of seconds "
                                         r"in \(0, 86,400\], got 1000"):
        check_address(f"tcp://127.0.0.1:{free_port()}", 10**400)


def test_a_websocket_address_where_a_web_server_answers_is_one_line(tmp_path, small_mnist_dir):
    space = write_space(tmp_path, TINY_SPACE)
    with web_server("ws") as address:
        result = subprocess.run(
            sweep_command(space, tmp_path / "out", small_mnist_dir, "--scheduler", address,
                          "--connect-timeout", TIMEOUT),
            capture_output=True, text=True, env=child_env(), timeout=120)
    one_line_error(result, f"no Dask scheduler at {address}: what answered there does not "
                           "speak Dask's protocol (WebSocketError")


# -- Ctrl-C -----------------------------------------------------------------------------------

def test_ctrl_c_at_the_terminal_stops_a_local_sweep_with_130_and_no_traceback(
        tmp_path, small_mnist_dir):
    # A terminal sends SIGINT to the whole foreground process group: the driver and
    # its local cluster's worker processes.
    space, out = write_space(tmp_path, SLOW_SPACE), tmp_path / "out"
    proc = popen(sweep_command(space, out, small_mnist_dir, "--trials", 6), session=True)
    try:
        wait_for(proc, out / "sweep.db", running_midway)
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "Error" not in stderr, stderr
    assert stderr.strip().splitlines()[-1].startswith("interrupted: ")
    trials = study_trials(out / "sweep.db")
    assert trials and all(t.state in (*FINISHED, State.WAITING) for t in trials)


def test_sigint_stops_a_sweep_started_as_a_background_job_with_130(
        dask_cluster, tmp_path, small_mnist_dir):  # noqa: F811
    # A script's `steepest sweep ... &` starts with SIGINT ignored; `kill -INT` still stops it.
    space, out = write_space(tmp_path, SLOW_SPACE), tmp_path / "out"
    proc = popen(sweep_command(space, out, small_mnist_dir, "--scheduler", dask_cluster,
                               "--trials", 6), sigint=signal.SIG_IGN)
    try:
        wait_for(proc, out / "sweep.db", running_midway)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("interrupted: ")
    assert not [t for t in study_trials(out / "sweep.db") if t.state == State.RUNNING]
