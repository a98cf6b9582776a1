"""``steepest sweep`` end to end, on real components.

A real ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1 (each
in its own process group, always stopped at the end), the real command in its
own process, the SQLite study read back with Optuna.  Tiny networks on 2,000
real MNIST images keep each trial around a second.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")
pytest.importorskip("distributed")
pytest.importorskip("optuna_integration")

import steepest  # noqa: E402
from steepest.cli import main  # noqa: E402
from steepest.modelfile import load_model  # noqa: E402

State = optuna.trial.TrialState
FINISHED = (State.COMPLETE, State.PRUNED, State.FAIL)
SRC = str(Path(steepest.__file__).resolve().parents[1])

# Trials of ~80 epochs of 150 steps: long enough to stop one half-way.
SLOW_SPACE = """\
    hidden = [20]
    epochs = 80
    batch_size = 10
    validation = 500
    [search]
    learning_rate = { low = 0.3, high = 3.0, log = true }
    [pruner]
    startup_trials = 3
"""
FAST_SPACE = """\
    hidden = [10]
    epochs = 5
    validation = 500
    [search]
    learning_rate = { low = 0.1, high = 10.0, log = true }
    batch_size = [20, 50]
"""


def child_env() -> dict:
    """The environment of every child: this checkout's steepest, no debug tracebacks."""
    env = {k: v for k, v in os.environ.items() if k != "STEEPEST_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join([SRC, *filter(None, [env.get("PYTHONPATH")])])
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    """A child in its own process group (so stopping it stops its children too)."""
    with open(log, "w") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                env=env or child_env(), start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 20)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def dask_scheduler(log_dir: Path):
    """A real ``dask scheduler`` on a free loopback port: its address, stopped at the end."""
    port = free_port()
    proc = start([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port",
                  str(port), "--no-dashboard", "--idle-timeout", "600"],
                 log_dir / f"scheduler-{port}.log")
    try:
        yield f"tcp://127.0.0.1:{port}"
    finally:
        stop(proc)


@contextmanager
def dask_worker(address: str, log_dir: Path, name: str, *, path_first: Path | None = None):
    """A real ``dask worker`` (one single-threaded process, under a nanny), stopped at the end.

    ``path_first``: a directory its Python searches before steepest's.
    """
    env = child_env()
    if path_first is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(path_first), env["PYTHONPATH"]])
    proc = start([sys.executable, "-m", "dask", "worker", address, "--host", "127.0.0.1",
                  "--nthreads", "1", "--nworkers", "1", "--no-dashboard", "--name", name,
                  "--death-timeout", "60", "--local-directory", str(log_dir / name)],
                 log_dir / f"{name}.log", env)
    try:
        yield proc
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A real ``dask scheduler`` and two ``dask worker`` processes: the scheduler's address."""
    from distributed import Client

    log_dir = tmp_path_factory.mktemp("dask")
    with (dask_scheduler(log_dir) as address, dask_worker(address, log_dir, "w1"),
          dask_worker(address, log_dir, "w2")):
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address


def write_space(directory: Path, text: str, name: str = "s.toml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


def sweep_command(space: Path, out: Path, data: Path, *args) -> list[str]:
    return [sys.executable, "-m", "steepest", "sweep", str(space), "-o", str(out), "--data",
            str(data), *map(str, args)]


def run_sweep(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(sweep_command(*args, **kwargs), capture_output=True, text=True,
                          env=child_env(), timeout=300)


def popen_sweep(*args) -> subprocess.Popen:
    # SIGINT back to its default in the child, as in a terminal (a shell's
    # background job would ignore it, and so would the sweep).
    return subprocess.Popen(sweep_command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=child_env(),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def stopped_sweep(args: tuple, sig: int, ready) -> tuple[subprocess.Popen, str, str]:
    """Start ``steepest sweep`` with ``args``, send ``sig`` once ``ready(trials)``; it ended."""
    proc = popen_sweep(*args)
    try:
        wait_for(proc, args[1] / "sweep.db", ready)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    return proc, out, err


def study_trials(db: Path, name: str = "s") -> list:
    """The study's trials as the SQLite file holds them now (empty before the study exists)."""
    if not db.exists():
        return []
    # Optuna would create missing tables, racing the scheduler that creates them:
    # look with sqlite3, read-only, first.
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        try:
            found = connection.execute("SELECT 1 FROM studies WHERE study_name = ?",
                                       (name,)).fetchone()
        except sqlite3.OperationalError:  # no table yet, or the schema is being written
            return []
    if not found:
        return []
    storage = optuna.storages.RDBStorage(f"sqlite:///{db}")
    try:
        return optuna.load_study(study_name=name, storage=storage).get_trials()
    finally:
        storage.engine.dispose()


def wait_for(proc: subprocess.Popen, db: Path, condition, timeout: float = 120.0) -> list:
    """Poll the study until ``condition(trials)`` is true; the trials then.

    Fails at once if the sweep ``proc`` ends first.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        trials = study_trials(db)
        if condition(trials):
            return trials
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the sweep ended first ({proc.returncode}):\n{out}\n{err}")
        time.sleep(0.05)
    raise AssertionError(f"timed out; trials: {[(t.number, t.state.name) for t in trials]}")


def running_midway(trials) -> list:
    """Trials some worker is training, past their first epoch."""
    return [t for t in trials if t.state == State.RUNNING and t.intermediate_values
            and "pid" in t.user_attrs]


def counted(trials) -> list:
    """COMPLETE, PRUNED, and FAIL with an error; a FAIL without one was interrupted."""
    return [t for t in trials if t.state in (State.COMPLETE, State.PRUNED)
            or (t.state == State.FAIL and "error" in t.user_attrs)]


def assert_accounted_for(trials, n: int) -> None:
    """Every trial finished -- none RUNNING or WAITING -- n of them count, and each
    interrupted one that had reached a worker was run again with the same parameters."""
    assert all(t.state in FINISHED for t in trials), [(t.number, t.state) for t in trials]
    assert len(counted(trials)) == n
    for failed in (t for t in trials if t.state == State.FAIL and "error" not in t.user_attrs):
        retry = [t for t in trials if t.user_attrs.get("retry_of") == failed.number]
        assert len(retry) == (1 if failed.params else 0)
        assert not retry or retry[0].params == failed.params


def assert_best_model_is_the_best_trial(out: Path, trials) -> None:
    best = max((t for t in trials if t.state == State.COMPLETE), key=lambda t: (t.value, -t.number))
    network, info = load_model(out / "best.npz")
    assert info["sweep"]["trial"] == best.number and info["sweep"]["params"] == best.params
    assert info["result"]["validation_accuracy"] == best.value
    assert 0 < info["result"]["test_accuracy"] <= 1
    assert network.sizes[0] == 784 and info["config"]["validation"] == 500


def test_a_sweep_on_a_real_dask_cluster_survives_a_worker_killed_during_a_trial(
        dask_cluster, tmp_path, small_mnist_dir):
    space, out = write_space(tmp_path, SLOW_SPACE), tmp_path / "out"
    proc = popen_sweep(space, out, small_mnist_dir, "--scheduler", dask_cluster, "--trials", 6)
    try:
        victim = running_midway(wait_for(proc, out / "sweep.db", running_midway))[0]
        os.kill(victim.user_attrs["pid"], signal.SIGKILL)  # the worker process, mid-trial
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    trials = study_trials(out / "sweep.db")
    assert_accounted_for(trials, 6)
    after = trials[victim.number]
    # Dask ran the lost trial again on a live worker, to the end (it fails only if it
    # kills distributed.scheduler.allowed-failures workers, 3 by default)
    assert after.state in (State.COMPLETE, State.PRUNED) and after.user_attrs["restarts"] == 1
    assert after.user_attrs["pid"] != victim.user_attrs["pid"]
    (line,) = [s for s in stdout.splitlines() if s.startswith(f"trial {victim.number:>3} ")]
    assert "(rerun 1x: worker lost)" in line
    assert_best_model_is_the_best_trial(out, trials)
    assert sum(line.startswith("trial ") for line in stdout.splitlines()) == 6


def test_ctrl_c_leaves_the_study_consistent_and_the_same_command_resumes_it(
        dask_cluster, tmp_path, small_mnist_dir):
    space, out = write_space(tmp_path, SLOW_SPACE), tmp_path / "out"
    args = (space, out, small_mnist_dir, "--scheduler", dask_cluster, "--trials", 6)
    proc, _, stderr = stopped_sweep(args, signal.SIGINT, lambda ts: running_midway(ts) and sum(
        t.state == State.COMPLETE for t in ts) >= 2)
    assert proc.returncode == 130
    assert stderr.strip().splitlines()[-1].startswith("interrupted: ")
    assert "Traceback" not in stderr
    trials = study_trials(out / "sweep.db")
    assert not [t for t in trials if t.state == State.RUNNING]  # nothing left half-recorded
    failed = [t for t in trials if t.state == State.FAIL]
    waiting = [t for t in trials if t.state == State.WAITING]
    assert failed and [t.user_attrs["retry_of"] for t in waiting] == [t.number for t in failed]
    kept = {t.number: (t.state, t.value, t.datetime_complete) for t in trials
            if t.state in (State.COMPLETE, State.PRUNED)}

    again = run_sweep(*args)
    assert again.returncode == 0, again.stderr
    assert f"{len(kept)} of 6 trials finished" in again.stdout
    trials = study_trials(out / "sweep.db")
    assert_accounted_for(trials, 6)
    assert {t.number: (t.state, t.value, t.datetime_complete) for t in trials
            if t.number in kept} == kept  # nothing finished was lost or run again
    assert_best_model_is_the_best_trial(out, trials)


def test_a_crashed_sweep_is_resumed_and_a_changed_space_is_refused(
        dask_cluster, tmp_path, small_mnist_dir):
    space, out = write_space(tmp_path, SLOW_SPACE), tmp_path / "out"
    args = (space, out, small_mnist_dir, "--scheduler", dask_cluster, "--trials", 4)
    # SIGKILL: the sweep has no chance to clean up
    stopped_sweep(args, signal.SIGKILL, lambda ts: running_midway(ts) and any(
        t.state == State.COMPLETE for t in ts))
    left = [t.number for t in study_trials(out / "sweep.db") if t.state == State.RUNNING]
    assert left

    again = run_sweep(*args)
    assert again.returncode == 0, again.stderr
    assert f"{len(left)} trial{'s' if len(left) > 1 else ''} left running by an interrupted " \
           f"run will run again" in again.stdout
    trials = study_trials(out / "sweep.db")
    assert_accounted_for(trials, 4)
    assert all(trials[n].state == State.FAIL for n in left)

    write_space(tmp_path, SLOW_SPACE.replace("hidden = [20]", "hidden = [30]"))
    changed = run_sweep(*args)
    assert changed.returncode == 1 and "Traceback" not in changed.stderr
    assert changed.stderr.strip().splitlines() == [
        "steepest: error: study 's' was run with other search space or fixed settings than "
        "now; continue it with the same ones, or start a new study with --study NAME"]


def test_the_default_local_cluster_sweep_its_best_model_rerun_and_its_figure(
        tmp_path, small_mnist_dir):
    space, out = write_space(tmp_path, FAST_SPACE), tmp_path / "out"
    first = run_sweep(space, out, small_mnist_dir, "--trials", 4)
    assert first.returncode == 0, first.stderr
    n = os.cpu_count()
    assert (f"cluster: a local cluster, {n} worker{'s' if n != 1 else ''} running {n} "
            f"trial{'s' if n != 1 else ''} at a time") in first.stdout
    lines = [line for line in first.stdout.splitlines() if line.startswith("trial ")]
    assert len(lines) == 4 and all("tcp://127.0.0.1:" in line for line in lines)
    trials = study_trials(out / "sweep.db")
    assert_accounted_for(trials, 4)
    assert_best_model_is_the_best_trial(out, trials)
    assert sorted(p.name for p in (out / "trials").iterdir()) == [
        f"{t.number:04d}.json" for t in trials]
    rows = (out / "trials.csv").read_text().splitlines()
    values = [float(r.split(",")[2]) for r in rows[1:]]
    assert len(rows) == 5 and values == sorted(values, reverse=True)

    # the best model reruns alone: same config, same seed, same data -> same bits
    _, info = load_model(out / "best.npz")
    rerun = subprocess.run([sys.executable, "-m", "steepest", "train", "--config",
                            str(out / "best.npz"), "--data", str(small_mnist_dir), "-o",
                            str(tmp_path / "rerun.npz")], capture_output=True, text=True,
                           env=child_env(), timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    _, again = load_model(tmp_path / "rerun.npz")
    assert again["result"]["validation_accuracy"] == info["result"]["validation_accuracy"]
    assert again["result"]["test_accuracy"] == info["result"]["test_accuracy"]

    # the same command again: nothing to do, nothing repeated
    second = run_sweep(space, out, small_mnist_dir, "--trials", 4)
    assert second.returncode == 0, second.stderr
    assert "4 of 4 trials finished" in second.stdout and "\ntrial " not in second.stdout
    assert len(study_trials(out / "sweep.db")) == 4

    figure = subprocess.run([sys.executable, "-m", "steepest", "plot", "sweep", str(out), "-o",
                             str(tmp_path / "sweep.png")], capture_output=True, text=True,
                            env=child_env(), timeout=120)
    assert figure.returncode == 0, figure.stderr
    assert (tmp_path / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def test_an_unreachable_scheduler_is_one_line_within_the_timeout(tmp_path, small_mnist_dir):
    space = write_space(tmp_path, FAST_SPACE)
    t0 = time.monotonic()
    result = run_sweep(space, tmp_path / "out", small_mnist_dir, "--scheduler",
                       f"tcp://127.0.0.1:{free_port()}", "--connect-timeout", 2)
    one_line_error(result, "cannot reach the Dask scheduler at tcp://127.0.0.1:", "within 2 s")
    assert time.monotonic() - t0 < 60  # 2 s to give up, plus starting Python


def test_a_scheduler_without_workers_is_one_line_within_the_timeout(tmp_path, small_mnist_dir):
    space = write_space(tmp_path, FAST_SPACE)
    with dask_scheduler(tmp_path) as address:
        result = run_sweep(space, tmp_path / "out", small_mnist_dir, "--scheduler", address,
                           "--connect-timeout", 5)
    one_line_error(result, f"the Dask scheduler at {address} has no worker after 5 s",
                   f"dask worker {address}")


def test_a_worker_that_cannot_run_trials_is_refused_before_the_first_trial(tmp_path,
                                                                          small_mnist_dir):
    # This worker's Python finds an optuna_integration that cannot be imported.
    fake = tmp_path / "fake" / "optuna_integration"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('no optuna-integration here')\n")
    space = write_space(tmp_path, FAST_SPACE)
    with (dask_scheduler(tmp_path) as address,
          dask_worker(address, tmp_path, "bad", path_first=fake.parent)):
        result = run_sweep(space, tmp_path / "out", small_mnist_dir, "--scheduler", address,
                           "--connect-timeout", 60)
    one_line_error(result, "the Dask cluster cannot run trials (no optuna-integration here)",
                   f"install steepest {steepest.__version__} with its sweep extra on the scheduler "
                   "and every worker (user guide, Sweeps: Scaling out)")
    assert not (tmp_path / "out" / "sweep.db").exists()


def test_a_storage_the_scheduler_cannot_open_is_one_line(dask_cluster, tmp_path,
                                                         small_mnist_dir):
    space = write_space(tmp_path, FAST_SPACE)
    result = run_sweep(space, tmp_path / "out", small_mnist_dir, "--scheduler", dask_cluster,
                       "--storage", f"sqlite:///{tmp_path}/no/such/dir/sweep.db")
    one_line_error(result, "the Dask scheduler cannot open storage 'sqlite:///",
                   "unable to open database file")


@pytest.mark.parametrize("args, message", [
    (["--storage", "nosuchdb://x"], "cannot open storage 'nosuchdb://x'"),
    (["--storage", "not a url"], "cannot open storage 'not a url'"),
])
def test_a_storage_url_nothing_can_open_is_refused_before_any_work(tmp_path, small_mnist_dir,
                                                                    args, message):
    from click.testing import CliRunner

    space = write_space(tmp_path, FAST_SPACE)
    result = CliRunner().invoke(main, ["sweep", str(space), "--data", str(small_mnist_dir),
                                       "-o", str(tmp_path / "out"), *args])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"steepest: error: {message}: ")
    assert not (tmp_path / "out" / "sweep.db").exists()  # refused before a cluster started


def test_flags_and_data_that_cannot_work_are_refused_in_one_line(tmp_path, small_mnist_dir):
    from click.testing import CliRunner

    space = write_space(tmp_path, FAST_SPACE.replace("validation = 500", "validation = 5000"))
    result = CliRunner().invoke(main, ["sweep", str(space), "--data", str(small_mnist_dir),
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "validation 5,000 must be smaller than the 2,000 training images" in result.output
    result = CliRunner().invoke(main, ["sweep", str(space), "--scheduler", "tcp://x:1",
                                       "--workers", "2"])
    assert result.exit_code == 2 and "--workers sizes the local cluster" in result.output


def test_sweep_has_help_and_the_overview_lists_it():
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["sweep", "--help"])
    assert result.exit_code == 0 and "--scheduler" in result.output
    assert "sweep" in CliRunner().invoke(main, ["--help"]).output
