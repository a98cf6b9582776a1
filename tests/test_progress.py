"""steepest.progress: a bar on a terminal and in Jupyter, nothing in a pipe."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
import textwrap

import pytest

from steepest.progress import TrainingProgress, training_progress
from steepest.training import TrainConfig, fit, run

# A tiny run with the progress bar on its default stream (standard error).
SCRIPT = textwrap.dedent("""
    from steepest.datasets import mnist
    from steepest.progress import training_progress
    from steepest.training import TrainConfig, run

    (x, y), (xt, yt) = mnist.load_data()
    config = TrainConfig(epochs=2, batch_size=50, validation=200)
    with training_progress(config, 1000) as progress:
        run(config, ((x[:1000], y[:1000]), (xt[:100], yt[:100])),
            on_batch=progress.on_batch, on_epoch=progress.on_epoch)
""")


def _env():
    src = os.path.dirname(os.path.dirname(sys.modules["steepest"].__file__))
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_in_a_pipe_the_progress_bar_writes_nothing():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""


def test_on_a_terminal_the_progress_bar_shows_the_batches_and_the_last_epoch():
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # 24x120
    try:
        proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=slave, env=_env())
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        assert proc.wait(timeout=120) == 0
    finally:
        os.close(master)
    screen = b"".join(chunks).decode()
    assert "training: 100%" in screen
    assert "32/32" in screen  # 2 epochs of 800 images in batches of 50
    assert "epoch=2/2" in screen and "validation=" in screen


def test_the_bar_counts_every_batch_of_a_run_with_a_validation_split(mnist_data):
    (x, y), (xt, yt) = mnist_data
    config = TrainConfig(epochs=3, batch_size=64, validation=300)
    with training_progress(config, 1000, file=io.StringIO(), disable=False) as progress:
        batches = []
        result = run(config, ((x[:1000], y[:1000]), (xt[:100], yt[:100])),
                     on_batch=lambda *a: (batches.append(a), progress.on_batch(*a)),
                     on_epoch=progress.on_epoch)
        assert progress.bar.total == len(batches) == 3 * 11  # ceil(700 / 64) = 11 per epoch
    assert [r.epoch for r in progress.records] == [1, 2, 3]
    assert progress.records == result.history


def test_fit_style_on_epoch_takes_the_record_alone(mnist_data):
    (x, y), (xt, yt) = mnist_data
    progress = TrainingProgress(epochs=1, steps_per_epoch=10, file=io.StringIO(), disable=False)
    fit(TrainConfig(epochs=1, batch_size=50), ((x[:500], y[:500]), (xt[:100], yt[:100])),
        on_batch=progress.on_batch, on_epoch=progress.on_epoch)
    progress.close()
    assert len(progress.records) == 1 and progress.records[0].test_accuracy is not None
    assert progress.bar.n == 10


@pytest.mark.parametrize("disable", [True, False])
def test_disable_overrides_the_terminal_rule(disable, tmp_path):
    path = tmp_path / "bar.txt"
    with open(path, "w") as fh, TrainingProgress(1, 5, file=fh, disable=disable) as progress:
        for i in range(5):
            progress.on_batch(1, i, 0.5)
    assert ("5/5" in path.read_text()) is not disable


def _blas_threads() -> set[int]:
    """Threads of every BLAS loaded (NumPy's, and SciPy's once another test imported it)."""
    from threadpoolctl import threadpool_info

    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_run_with_progress_is_run_on_the_blas_threads_steepest_train_picks(mnist_data):
    from threadpoolctl import threadpool_limits

    from steepest.blas import limit_blas_threads
    from steepest.progress import run_with_progress

    (x, y), (xt, yt) = mnist_data
    data = ((x[:600], y[:600]), (xt[:100], yt[:100]))
    config = TrainConfig(epochs=2, batch_size=32, validation=100, seed=3)  # 784-15-10: 1 thread
    seen, batches = [], []
    with threadpool_limits(limits=2, user_api="blas"):  # outside: two threads
        assert _blas_threads() == {2}
        result = run_with_progress(config, data, on_batch=lambda *a: batches.append(a),
                                   on_epoch=lambda record, state: seen.append(_blas_threads()))
        assert _blas_threads() == {2}  # the limit ends with the run
    assert seen == [{1}, {1}]  # every epoch ran on one BLAS thread
    assert len(batches) == 2 * 16  # your callbacks see every batch: ceil(500 / 32) = 16
    with limit_blas_threads(1):  # the same run, by hand, on the same thread count
        plain = run(config, data)
    assert [r.to_dict() | {"seconds": 0} for r in result.history] == \
        [r.to_dict() | {"seconds": 0} for r in plain.history]
    for mine, theirs in zip(result.network.get_weights(), plain.network.get_weights()):
        assert mine.tobytes() == theirs.tobytes()  # bit for bit
    assert result.test_accuracy == plain.test_accuracy


def test_run_with_progress_takes_a_thread_count(mnist_data):
    from steepest.blas import limit_blas_threads
    from steepest.progress import run_with_progress

    (x, y), (xt, yt) = mnist_data
    data, seen = ((x[:200], y[:200]), (xt[:50], yt[:50])), []
    with limit_blas_threads(1):  # outside: one thread; the run asks for two
        run_with_progress(TrainConfig(epochs=1, batch_size=50), data, threads=2,
                          on_epoch=lambda record, state: seen.append(_blas_threads()))
    assert seen == [{2}]
    with pytest.raises(ValueError, match="threads must be a positive int, got 0"):
        run_with_progress(TrainConfig(epochs=1), ((x[:200], y[:200]), None), threads=0)
