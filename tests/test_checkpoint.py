"""Checkpoints: a run killed mid-way and resumed ends bit-identical to one never stopped."""

import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from craft import npz_with, peak_bytes_while, read_meta
from steepest.checkpoint import load_checkpoint, save_checkpoint
from steepest.modelfile import ModelFileError, load_model
from steepest.training import TrainConfig, TrainState, run

RUN_FLAGS = ["--hidden", "40", "--activation", "relu", "--init", "he", "--optimizer", "adam",
             "--learning-rate", "3e-3", "--schedule", "cosine", "--warmup-epochs", "1",
             "--dropout", "0.2", "--l2", "1e-4", "--max-norm", "4", "--validation", "300",
             "--augment", "--batch-size", "25", "--seed", "11"]


def steepest(*args):
    return [sys.executable, "-m", "steepest", *map(str, args)]


def test_killed_then_resumed_run_is_bit_identical(tmp_path, small_mnist_dir):
    epochs = 12
    full = tmp_path / "full" / "model.npz"
    done = subprocess.run(steepest("train", *RUN_FLAGS, "--epochs", epochs, "--data",
                                   small_mnist_dir, "-o", full), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    part = tmp_path / "part" / "model.npz"
    ckpt = tmp_path / "part" / "checkpoint.npz"
    proc = subprocess.Popen(steepest("train", *RUN_FLAGS, "--epochs", epochs, "--data",
                                     small_mnist_dir, "-o", part, "--checkpoint-every", 1),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if ckpt.exists() and load_checkpoint(ckpt)[0].epoch >= 3:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)  # no chance to clean up: the hardest interruption
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    stopped_at = load_checkpoint(ckpt)[0].epoch
    assert 3 <= stopped_at < epochs

    resumed = subprocess.run(steepest("train", "--resume", ckpt), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming after epoch {stopped_at}" in resumed.stdout

    net_a, info_a = load_model(full)
    net_b, info_b = load_model(part)
    for a, b in zip(net_a.get_weights(), net_b.get_weights()):
        assert a.tobytes() == b.tobytes()

    def strip(history):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in history]

    assert strip(info_a["history"]) == strip(info_b["history"])
    assert info_a["result"] == info_b["result"]


def test_resume_refuses_a_different_architecture(tmp_path, small_mnist_dir):
    out = tmp_path / "model.npz"
    r = subprocess.run(steepest("train", "--hidden", "20", "--epochs", 1, "--data",
                                small_mnist_dir, "-o", out, "--checkpoint-every", 1),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(steepest("train", "--resume", tmp_path / "checkpoint.npz", "--hidden", "30"),
                       capture_output=True, text=True)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip() == (
        f"steepest: error: {tmp_path / 'checkpoint.npz'} was trained with hidden=(20,), not "
        "(30,); drop that setting to resume, or start a new run"
    )


def test_checkpoint_arrays_that_do_not_fit_their_config(tmp_path, mnist_data):
    (x, y), (xt, yt) = mnist_data
    cfg = TrainConfig(hidden=(8,), epochs=1, batch_size=100)
    state = TrainState.new(cfg, 784, 10)
    run(cfg, ((x[:500], y[:500]), (xt[:100], yt[:100])), state=state)
    path = tmp_path / "c.npz"
    save_checkpoint(path, state)
    state.config = cfg.replace(hidden=(9,))  # now the arrays and the config disagree
    save_checkpoint(path, state)
    with pytest.raises(ModelFileError, match="checkpoint does not fit its settings"):
        load_checkpoint(path)


def test_a_model_file_is_not_a_checkpoint(tmp_path):
    from steepest.modelfile import save_model
    from steepest.network import Network

    save_model(tmp_path / "m.npz", Network((4, 3, 2), rng=np.random.default_rng(0)))
    with pytest.raises(ModelFileError) as err:
        load_checkpoint(tmp_path / "m.npz")
    assert str(err.value) == (f"{tmp_path / 'm.npz'} is not a steepest checkpoint; "
                              "it is a steepest model file (.npz)")


def test_a_picture_is_not_a_checkpoint(tmp_path):
    from PIL import Image

    Image.new("L", (28, 28), 255).save(tmp_path / "digit.png")
    with pytest.raises(ModelFileError) as err:
        load_checkpoint(tmp_path / "digit.png")
    assert str(err.value) == f"{tmp_path / 'digit.png'} is not a steepest checkpoint"


@pytest.fixture(scope="module")
def small_checkpoint(tmp_path_factory, mnist_data):
    """A real checkpoint: 1 epoch, Adam (moments), validation (best weights)."""
    (x, y), (xt, yt) = mnist_data
    cfg = TrainConfig(hidden=(8,), epochs=1, batch_size=50, optimizer="adam",
                      learning_rate=1e-3, validation=100)
    state = TrainState.new(cfg, 784, 10)
    run(cfg, ((x[:400], y[:400]), (xt[:50], yt[:50])), state=state)
    path = tmp_path_factory.mktemp("ckpt") / "checkpoint.npz"
    save_checkpoint(path, state, {"output": "model.npz"})
    return path


def test_a_config_declaring_a_huge_network_allocates_nothing(tmp_path, small_checkpoint):
    data = small_checkpoint.read_bytes()
    meta = read_meta(data)
    meta["config"]["hidden"] = [200_000]  # 160 MB of weights and as much per Adam moment
    (tmp_path / "c.npz").write_bytes(npz_with(data, meta))

    def load():
        # refused by the recorded sizes (or, in older files, by W0's shape) before allocating
        with pytest.raises(ModelFileError,
                           match=r"not fit .*(hidden \[200000\]|W0: expected shape \(784, 200000)"):
            load_checkpoint(tmp_path / "c.npz")

    assert peak_bytes_while(load) < 2_000_000


@pytest.mark.parametrize(("key", "value", "message"), [
    ("stopped_early", "false", "stopped_early must be true or false"),
    ("epoch", 2.5, "epoch must be a count"),
    ("best_score", float("nan"), "finite number"),
])
def test_bookkeeping_of_the_wrong_type_is_refused(tmp_path, small_checkpoint, key, value, message):
    data = small_checkpoint.read_bytes()
    (tmp_path / "c.npz").write_bytes(npz_with(data, read_meta(data) | {key: value}))
    with pytest.raises(ModelFileError, match=f"damaged checkpoint .*{message}"):
        load_checkpoint(tmp_path / "c.npz")


def test_a_real_checkpoint_round_trips(small_checkpoint):
    state, extra = load_checkpoint(small_checkpoint)
    assert extra == {"output": "model.npz"} and state.epoch == 1
    assert state.best_weights is not None and len(state.best_weights) == 4
    assert state.optimizer.steps == 6  # 300 training images / 50 per batch


def test_every_file_a_run_writes_follows_the_umask(tmp_path, small_mnist_dir):
    # umask 027 gives 0640: neither mkstemp's 0600 nor the common 0644.
    out = tmp_path / "run" / "model.npz"
    r = subprocess.run(steepest("train", "--hidden", "8", "--epochs", 1, "--data", small_mnist_dir,
                                "-o", out, "--checkpoint-every", 1, "--plots", tmp_path / "figs"),
                       capture_output=True, text=True, umask=0o027)
    assert r.returncode == 0, r.stderr
    written = {p.name: oct(p.stat().st_mode & 0o777) for p in tmp_path.rglob("*") if p.is_file()}
    assert sorted(written) == ["checkpoint.npz", "confusion.png", "history.json", "history.png",
                               "mistakes.png", "model.npz", "weights.png"]
    assert written == dict.fromkeys(written, "0o640")


def test_a_checkpoint_of_other_sizes_resumes_with_them(tmp_path):
    # 3 features and 4 classes: the checkpoint records its sizes, so resuming needs no hint
    from steepest.checkpoint import load_checkpoint, save_checkpoint
    from steepest.training import TrainConfig, TrainState

    state = TrainState.new(TrainConfig(hidden=(5,)), 3, 4)
    save_checkpoint(tmp_path / "c.npz", state)
    loaded, _ = load_checkpoint(tmp_path / "c.npz")
    assert loaded.network.sizes == (3, 5, 4)
    for a, b in zip(loaded.network.get_weights(), state.network.get_weights()):
        assert a.tobytes() == b.tobytes()
