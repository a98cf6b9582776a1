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
    # lambda = 1e38 pushes the weights past float32's largest number in the first
    # steps: the logits, and so the loss, stop being finite.
    (x, y), _ = subset(mnist_data)
    net = Network((784, 15, 10), rng=np.random.default_rng(0))
    with pytest.raises(TrainingDiverged,
                       match=r"epoch 1: loss is (inf|nan); try a smaller learning"):
        train(net, SGD(net.parameters(), 1e38), x, y, epochs=2, batch_size=32,
              rng=np.random.default_rng(0))


def confident_mistake_network() -> Network:
    """A 2 -> 2 network (no hidden layer) whose logits for x = (1, 0) are (0, 120)."""
    net = Network((2, 2), rng=np.random.default_rng(0))
    net.set_weights([np.array([[0, 120], [0, 0]], np.float32), np.zeros(2, np.float32)])
    return net


def test_a_confident_mistake_is_a_finite_loss_not_divergence():
    # o[0] = e^-120 / (1 + e^-120) rounds to 0 in float32, but -log o[0] = 120 exactly:
    # the old loss (from o) was inf and training stopped with "diverged".
    net = confident_mistake_network()
    x, y = np.array([[1, 0]], np.float32), np.array([0])
    assert net.forward(x)[0, 0] == 0
    history = train(net, SGD(net.parameters(), 0.1), x, y, epochs=1, batch_size=1,
                    rng=np.random.default_rng(0))
    assert history[0].train_loss == pytest.approx(120, rel=1e-6)
    # and the step followed the gradient o - onehot(y) = (-1, 1): W[0] moved by 0.1 each way
    np.testing.assert_allclose(net.layers[0].W.value[0], [0.1, 119.9], rtol=1e-6)


def test_a_weight_that_overflows_on_an_epochs_last_step_is_divergence(mnist_data):
    (x, y), _ = subset(mnist_data, 64)
    net = Network((784, 15, 10), rng=np.random.default_rng(0))
    opt = SGD(net.parameters(), 0.1)
    real_step = opt.step

    def overflowing_step():
        real_step()
        if opt.steps == 2:  # the second and last step of the epoch
            net.layers[1].W.value[0, 0] = np.inf

    opt.step = overflowing_step
    with pytest.raises(TrainingDiverged, match="epoch 1: a weight in W2 is nan"):
        train(net, opt, x, y, epochs=1, batch_size=32, rng=np.random.default_rng(0))


def test_validation_loss_is_finite_for_confident_mistakes():
    import json

    from steepest.training import TrainState, run

    # one training and one validation example, both (1, 0) with label 0: a confident
    # mistake whose validation loss is 120 (it used to be inf, and history.json said Infinity)
    config = TrainConfig(hidden=(), epochs=1, batch_size=1, learning_rate=1e-6, validation=1)
    net = confident_mistake_network()
    state = TrainState(config, net, SGD(net.parameters(), 1e-6), np.random.default_rng(0))
    x, y = np.array([[1, 0], [1, 0]], np.float32), np.array([0, 0])
    result = run(config, ((x, y), (x[:1], y[:1])), state=state)
    record = result.history[0].to_dict()
    assert record["val_loss"] == pytest.approx(120, rel=1e-6)
    json.dumps(record, allow_nan=False)  # strict JSON


def test_default_run_reaches_93_percent(mnist_data):
    # The full default: the lecture's 784-15-10, N(0, 1), with our SGD settings: 40 epochs of
    # batch 32 at lambda = 1 (the lecture gives no accuracy to reach, nor these settings).
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


def spy_on_scoring(monkeypatch) -> list[np.ndarray]:
    """Record every array that a network scores (predict, accuracy, predict_(log_)proba)."""
    import steepest.network

    scored = []
    real = steepest.network.Network._predict

    def spy(self, x, batch_size, log):
        scored.append(np.array(x, copy=True))
        return real(self, x, batch_size, log)

    monkeypatch.setattr(steepest.network.Network, "_predict", spy)
    return scored


def test_validation_runs_score_the_test_set_once_at_the_end(mnist_data, monkeypatch):
    scored = spy_on_scoring(monkeypatch)
    (x, y), (xt, yt) = data = subset(mnist_data, 3000, 700)
    result = run(TrainConfig(epochs=3, batch_size=20, validation=500), data)
    assert all(r.test_accuracy is None for r in result.history)
    assert all("val_accuracy" in r.extra for r in result.history)
    # every epoch scores exactly the validation images; the test set is seen once, last
    assert len(scored) == 4
    for seen in scored[:3]:
        np.testing.assert_array_equal(seen, x[-500:])
    np.testing.assert_array_equal(scored[3], xt)
    assert result.test_accuracy is not None


def test_validation_images_are_never_augmented(mnist_data, monkeypatch):
    import steepest.augment

    scored = spy_on_scoring(monkeypatch)
    augmented_from = []
    real_init = steepest.augment.AugmentedEpochs.__init__

    def init_spy(self, x_train, *args, **kwargs):
        augmented_from.append(np.array(x_train, copy=True))
        real_init(self, x_train, *args, **kwargs)

    monkeypatch.setattr(steepest.augment.AugmentedEpochs, "__init__", init_spy)
    (x, y), (xt, yt) = data = subset(mnist_data, 1200, 100)
    run(TrainConfig(epochs=2, batch_size=50, validation=200, augment=True), data)
    # only the 1,000 training images are distorted; validation is scored as it is
    (augmented,) = augmented_from
    np.testing.assert_array_equal(augmented, x[:1000])
    assert [len(s) for s in scored] == [200, 200, 100]
    for seen in scored[:2]:
        np.testing.assert_array_equal(seen, x[1000:])


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


def test_state_new_uses_the_seed_for_the_initial_weights():
    a = TrainState.new(TrainConfig(seed=4), 784, 10).network.get_weights()
    b = TrainState.new(TrainConfig(seed=4), 784, 10).network.get_weights()
    assert all(p.tobytes() == q.tobytes() for p, q in zip(a, b))


def three_blobs(rng, n=300):
    """Small tabular data: 3 features, 3 well-separated classes."""
    centres = np.array([[2, 0, 0], [0, 2, 0], [0, 0, 2]], np.float32)
    y = rng.integers(0, 3, n)
    x = centres[y] + rng.normal(0, 0.3, (n, 3)).astype(np.float32)
    return x, y


def test_tabular_data_trains_with_any_number_of_features_and_classes():
    rng = np.random.default_rng(0)
    x, y = three_blobs(rng)
    config = TrainConfig(hidden=(8,), epochs=20, batch_size=16, learning_rate=0.5,
                         validation=60)
    result = run(config, ((x, y), None))  # no test set: nothing is scored on one
    assert result.network.sizes == (3, 8, 3)
    assert result.test_accuracy is None and result.validation_accuracy > 0.95
    assert all(r.test_accuracy is None for r in result.history)


def test_n_classes_sets_the_output_layer_and_labels_are_checked():
    rng = np.random.default_rng(0)
    x, y = three_blobs(rng, 40)
    result = run(TrainConfig(hidden=(4,), epochs=1), ((x, y), (x, y)), n_classes=5)
    assert result.network.sizes[-1] == 5 and result.test_accuracy is not None
    with pytest.raises(ValueError, match=r"labels must be ints in \[0, 2\), got 2"):
        run(TrainConfig(epochs=1), ((x, y), None), n_classes=2)
    with pytest.raises(ValueError, match=r"labels must be ints in \[0, K\), got dtype float"):
        run(TrainConfig(epochs=1), ((x, y.astype(float)), None))


# --- a finite loss far above chance: not divergence, but said plainly ---


def test_a_loss_far_above_chance_is_not_divergence_but_the_result_says_so(mnist_data):
    # λ = 1e30: the weights stay finite (so no TrainingDiverged) and the loss is ~1e30,
    # where guessing scores ln 10 = 2.30; the run used to end as if all were well
    from steepest.training import chance_loss

    result = run(TrainConfig(epochs=2, learning_rate=1e30), subset(mnist_data))
    loss = result.history[-1].train_loss
    assert np.isfinite(loss) and loss > 1e20 * chance_loss(10)
    assert result.warning == (f"the training loss {loss:.3g} is far above chance (ln 10 = 2.30): "
                              "the learning rate 1e+30 (or the initial weights) is probably "
                              "too large")


def test_a_run_that_learns_has_no_warning(mnist_data):
    result = run(TrainConfig(epochs=1), subset(mnist_data))
    assert result.history[-1].train_loss < 2.3 and result.warning is None


def test_far_above_chance_means_ten_times_ln_k():
    from steepest.training import FAR_ABOVE_CHANCE, chance_loss, loss_warning

    assert FAR_ABOVE_CHANCE == 10 and chance_loss(2) == pytest.approx(np.log(2))
    assert loss_warning(23.0, 10) is None  # just under 10 ln 10 = 23.03
    assert loss_warning(23.1, 10).startswith("the training loss 23.1 is far above chance "
                                             "(ln 10 = 2.30): the learning rate (or")
    assert loss_warning(6.8, 2) is None and loss_warning(7.0, 2) is not None  # 10 ln 2 = 6.93
    assert loss_warning(float("nan"), 10) is None  # not finite: that is TrainingDiverged's
    # with an L2 penalty in the loss, l2 may be the cause as well
    assert loss_warning(1e4, 10, 0.1, l2=0.5) == (
        "the training loss 1e+04 (with its L2 penalty) is far above chance (ln 10 = 2.30): "
        "the learning rate 0.1, the initial weights or l2 0.5 is probably too large")
