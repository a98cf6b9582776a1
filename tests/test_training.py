import numpy as np
import pytest

from steepest.network import Network
from steepest.optimizers import SGD
from steepest.training import TrainConfig, TrainingDiverged, fit, iterate_minibatches, train


def subset(data, n_train=3000, n_test=1000):
    (x, y), (xt, yt) = data
    return (x[:n_train], y[:n_train]), (xt[:n_test], yt[:n_test])


def test_minibatches_cover_every_example_once():
    x = np.arange(23 * 4, dtype=np.uint8).reshape(23, 2, 2)
    y = np.arange(23)
    seen, sizes = [], []
    for xb, yb in iterate_minibatches(x, y, 5, np.random.default_rng(0)):
        assert xb.dtype == np.float32
        np.testing.assert_allclose(xb * 255, x[yb].reshape(len(yb), 4), rtol=1e-6)
        seen += yb.tolist()
        sizes.append(len(yb))
    assert sorted(seen) == list(range(23)) and sizes == [5, 5, 5, 5, 3]
    assert seen != list(range(23))  # shuffled


def test_same_seed_gives_bit_identical_weights_and_history(mnist_data):
    data = subset(mnist_data)
    cfg = TrainConfig(epochs=2, batch_size=32, learning_rate=1.0, seed=7)
    net_a, hist_a = fit(cfg, data)
    net_b, hist_b = fit(cfg, data)
    for a, b in zip(net_a.get_weights(), net_b.get_weights()):
        assert a.tobytes() == b.tobytes()
    assert [(r.train_loss, r.test_accuracy) for r in hist_a] == [
        (r.train_loss, r.test_accuracy) for r in hist_b
    ]
    net_c, _ = fit(TrainConfig(epochs=2, batch_size=32, learning_rate=1.0, seed=8), data)
    assert net_c.get_weights()[0].tobytes() != net_a.get_weights()[0].tobytes()


def test_loss_falls_and_accuracy_rises(mnist_data):
    _, hist = fit(TrainConfig(epochs=6, batch_size=10, learning_rate=1.0), subset(mnist_data))
    losses = [r.train_loss for r in hist]
    assert all(b < a for a, b in zip(losses, losses[1:]))
    assert losses[-1] < losses[0] * 0.5  # measured: 1.22 -> 0.29
    assert hist[-1].test_accuracy > 0.75  # measured: 0.68 -> 0.83


def test_callbacks_and_records(mnist_data):
    seen_batches, seen_epochs = [], []
    _, hist = fit(TrainConfig(epochs=2, batch_size=1000), subset(mnist_data),
                  on_batch=lambda e, i, loss: seen_batches.append((e, i)),
                  on_epoch=seen_epochs.append)
    assert seen_batches == [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)]
    assert seen_epochs == hist
    rec = hist[0].to_dict()
    assert set(rec) >= {"epoch", "train_loss", "test_accuracy", "seconds"}


def test_divergence_raises_with_epoch(mnist_data):
    (x, y), _ = subset(mnist_data)
    net = Network((784, 15, 10), rng=np.random.default_rng(0))
    with pytest.raises(TrainingDiverged, match=r"epoch 1: loss is inf; try a smaller learning"):
        train(net, SGD(net.parameters(), 1e6), x, y, epochs=2, batch_size=32,
              rng=np.random.default_rng(0))


@pytest.mark.parametrize("field, value", [("epochs", 0), ("batch_size", -1),
                                          ("learning_rate", -0.1), ("learning_rate", float("nan"))])
def test_config_rejects_bad_values(field, value):
    with pytest.raises(ValueError, match=f"{field} must be a positive"):
        TrainConfig(**{field: value})


def test_default_run_reaches_the_lecture_accuracy(mnist_data):
    # The full default: 784-15-10, N(0, 1), SGD, 40 epochs of batch 32 at lambda = 1.
    # Seeds 0, 1, 2 measured 93.49 %, 93.73 %, 94.09 %; this guards the defaults.
    _, hist = fit(TrainConfig(), mnist_data)
    assert hist[-1].test_accuracy >= 0.93


# --- run(): validation, early stopping, augmentation, the whole config ---

from steepest.training import TrainState, run, split_validation  # noqa: E402


def test_split_validation_holds_out_the_last_images(mnist_data):
    (x, y), _ = mnist_data
    (xa, ya), (xv, yv) = split_validation((x, y), 10000)
    assert xa.shape == (50000, 28, 28) and xv.shape == (10000, 28, 28)  # Nielsen's 50k/10k
    assert (xv[0] == x[50000]).all() and (yv == y[50000:]).all()


def test_validation_runs_score_the_test_set_once_at_the_end(mnist_data, monkeypatch):
    import steepest.network

    scored = []
    real = steepest.network.Network.accuracy

    def spy(self, x, y):
        scored.append(len(x))
        return real(self, x, y)

    monkeypatch.setattr(steepest.network.Network, "accuracy", spy)
    data = subset(mnist_data, 3000, 700)
    result = run(TrainConfig(epochs=3, batch_size=20, validation=500), data)
    assert all(r.test_accuracy is None for r in result.history)
    assert all("val_accuracy" in r.extra for r in result.history)
    assert scored == [700]  # one look at the test set, at the end
    assert result.test_accuracy is not None


def test_early_stopping_restores_the_best_validation_weights(mnist_data):
    data = subset(mnist_data, 2000, 300)
    # A learning rate this large makes validation accuracy bounce, so patience triggers.
    cfg = TrainConfig(epochs=40, batch_size=50, learning_rate=8.0, validation=400, patience=2)
    result = run(cfg, data)
    vals = [r.extra["val_accuracy"] for r in result.history]
    assert result.stopped_early and len(vals) < 40
    assert result.history[-1].extra.get("stopped_early")
    best = int(np.argmax(vals))
    assert result.best_epoch == best + 1 and len(vals) - 1 - best == 2  # stopped 2 epochs later
    (x, y), _ = data
    (_, _), (xv, yv) = split_validation((x, y), 400)
    assert result.network.accuracy(xv, yv) == max(vals) == result.validation_accuracy


def test_patience_needs_validation():
    with pytest.raises(ValueError, match="patience .* needs a validation split"):
        TrainConfig(patience=3)


def test_the_whole_ladder_of_options_trains_and_is_deterministic(mnist_data):
    data = subset(mnist_data, 1500, 300)
    cfg = TrainConfig(hidden=(32, 16), activation="relu", init="he", optimizer="adamw",
                      learning_rate=3e-3, weight_decay=1e-2, schedule="cosine", warmup_epochs=1,
                      l2=1e-4, dropout=0.2, input_dropout=0.1, max_norm=3.0, augment=True,
                      epochs=4, batch_size=32, validation=300, seed=3)
    a, b = run(cfg, data), run(cfg, data)
    for p, q in zip(a.network.get_weights(), b.network.get_weights()):
        assert p.tobytes() == q.tobytes()
    losses = [r.train_loss for r in a.history]
    assert losses[-1] < losses[0]
    for layer in a.network.layers:
        assert np.linalg.norm(layer.W.value, axis=0).max() <= 3.0 + 1e-4
    plain = run(cfg.replace(augment=False), data)
    assert plain.network.get_weights()[0].tobytes() != a.network.get_weights()[0].tobytes()


@pytest.mark.parametrize("key, value, message", [
    ("optimizer", "rmsprop", "unknown optimizer 'rmsprop'; choose one of: sgd, momentum"),
    ("activation", "swish", "unknown activation 'swish'; choose one of: sigmoid, tanh"),
    ("schedule", "linear", "unknown schedule 'linear'; choose one of: constant, step, cosine"),
    ("dropout", 1.0, r"dropout must be in \[0, 1\), got 1.0"),
    ("learning_rate", -1e-3, "learning_rate must be a positive number, got -0.001"),
])
def test_bad_settings_name_value_and_choices(key, value, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**{key: value})


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(ValueError, match="unknown config key 'lr'; valid keys: hidden, activation"):
        TrainConfig.from_dict({"lr": 0.1})


def test_state_new_uses_the_seed_for_the_initial_weights():
    a = TrainState.new(TrainConfig(seed=4), 784, 10).network.get_weights()
    b = TrainState.new(TrainConfig(seed=4), 784, 10).network.get_weights()
    assert all(p.tobytes() == q.tobytes() for p, q in zip(a, b))
