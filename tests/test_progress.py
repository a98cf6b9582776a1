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
