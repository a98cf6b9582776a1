import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from concurrency import answers_from_threads, mixed_batches
from steepest import activations as act
from steepest.gradcheck import check_network, numerical_gradient, relative_error
from steepest.losses import nll, one_hot
from steepest.network import Dense, Network
from steepest.optimizers import SGD

HIDDEN = ["sigmoid", "tanh", "relu", "softplus", "identity"]


def test_lecture_parameter_counts():
    net = Network((784, 15, 10), rng=np.random.default_rng(0))
    first, second = net.layers
    # The lecture: 784 * 15 + 15 = 11,775 and 15 * 10 + 10 = 160.
    assert first.W.value.size + first.b.value.size == 11_775
    assert second.W.value.size + second.b.value.size == 160
    assert net.num_parameters() == 11_935
    assert first.W.value.shape == (784, 15)  # rows are examples: W is (n_in, n_out)
    assert net.activations == ["sigmoid", "softmax"]


def test_default_init_is_standard_normal_for_weights_and_biases():
    net = Network((784, 100, 10), rng=np.random.default_rng(0))
    w = np.concatenate([p.value.ravel() for p in net.parameters()])
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02
    b = net.layers[0].b.value
    assert b.std() > 0.5  # biases drawn too, not zero


@pytest.mark.parametrize("init, std", [("scaled", 1 / np.sqrt(784)), ("he", np.sqrt(2 / 784)),
                                       ("xavier", np.sqrt(2 / (784 + 300)))])
def test_scaled_inits(init, std):
    net = Network((784, 300, 10), init=init, rng=np.random.default_rng(0))
    assert net.layers[0].W.value.std() == pytest.approx(std, rel=0.02)


def test_output_delta_is_o_minus_onehot():
    rng = np.random.default_rng(0)
    net = Network((6, 4, 3), rng=rng, dtype=np.float64)
    x, y = rng.normal(size=(5, 6)), np.array([0, 2, 1, 1, 0])
    o = net.forward(x)
    _, delta = nll(o, y)
    np.testing.assert_allclose(delta * 5, o - one_hot(y, 3, np.float64), atol=1e-15)


@pytest.mark.parametrize("activation", HIDDEN)
def test_whole_model_gradients_match_central_differences(activation):
    rng = np.random.default_rng(42)
    net = Network((7, 5, 4, 3), activation=activation, rng=rng, dtype=np.float64)
    x, y = rng.normal(size=(6, 7)), rng.integers(0, 3, 6)
    results = check_network(net, x, y)
    assert [r.name for r in results] == ["W1", "b1", "W2", "b2", "W3", "b3"]
    for r in results:
        assert r.relative_error < 1e-6, r
        assert r.max_abs_grad > 0


def test_lecture_network_gradients_on_mnist(mnist_data):
    (x, y), _ = mnist_data
    net = Network((784, 15, 10), rng=np.random.default_rng(3), dtype=np.float64)
    results = check_network(net, x[:4].reshape(4, -1) / 255.0, y[:4])
    assert max(r.relative_error for r in results) < 1e-6


def test_gradcheck_catches_a_wrong_derivative(monkeypatch):
    # If backprop used the wrong derivative (say, forgot sigmoid'), the check must say so.
    rng = np.random.default_rng(0)
    net = Network((4, 3, 2), rng=rng, dtype=np.float64)
    net.layers[0]._f_prime = np.ones_like
    results = check_network(net, rng.normal(size=(5, 4)), rng.integers(0, 2, 5))
    assert max(r.relative_error for r in results) > 1e-2


@pytest.mark.parametrize("activation", HIDDEN + ["softmax"])
def test_each_layer_gradients_match_central_differences(activation):
    rng = np.random.default_rng(7)
    layer = Dense(5, 4, activation, rng, dtype=np.float64)
    x = rng.normal(size=(3, 5))
    r = rng.normal(size=(3, 4))  # L = sum(a * r): dL/da = r

    def loss():
        return float(np.sum(layer.forward(x) * r))

    layer.forward(x)
    grad_x = layer.backward(r)
    for p in layer.parameters():
        analytic = p.grad.copy()
        numeric = numerical_gradient(loss, p.value)
        assert relative_error(analytic, numeric) < 1e-6, p.name
    numeric_x = numerical_gradient(loss, x)
    assert relative_error(grad_x, numeric_x) < 1e-6


def test_one_sgd_step_by_hand():
    # A 2-1-2 network, sigmoid hidden unit, worked out on paper.
    net = Network((2, 1, 2), rng=np.random.default_rng(0), dtype=np.float64)
    net.set_weights([np.zeros((2, 1)), np.zeros(1), np.array([[1.0, -1.0]]), np.zeros(2)])
    x, y = np.array([[1.0, 0.0]]), np.array([0])
    # Forward: z = 0, h = sigmoid(0) = 1/2; f = h (1, -1) = (1/2, -1/2);
    # o = softmax(f) = (s, 1 - s) with s = e^.5 / (e^.5 + e^-.5) = sigmoid(1).
    s = 1 / (1 + np.exp(-1.0))
    o = net.forward(x)
    np.testing.assert_allclose(o, [[s, 1 - s]], rtol=1e-15)
    loss, delta = nll(o, y)
    assert loss == pytest.approx(-np.log(s), rel=1e-15)
    # dL/df = o - onehot(0) = (s - 1, 1 - s) = (-q, q), q = 1 - s.
    q = 1 - s
    np.testing.assert_allclose(delta, [[-q, q]], rtol=1e-15)
    net.backward(delta)
    # dL/dW2 = h^T dL/df = (-q/2, q/2); dL/db2 = (-q, q)
    # dL/dh = dL/df W2^T = -q * 1 + q * (-1) = -2q; dL/dz = -2q * h(1 - h) = -q/2
    # dL/dW1 = x^T dL/dz = ((-q/2), (0)); dL/db1 = -q/2
    SGD(net.parameters(), learning_rate=0.5).step()
    W1, b1, W2, b2 = net.get_weights()
    np.testing.assert_allclose(W1, [[q / 4], [0.0]], rtol=1e-15)  # 0 - 0.5 * (-q/2)
    np.testing.assert_allclose(b1, [q / 4], rtol=1e-15)
    np.testing.assert_allclose(W2, [[1 + q / 4, -1 - q / 4]], rtol=1e-15)
    np.testing.assert_allclose(b2, [q / 2, -q / 2], rtol=1e-15)
    assert q == pytest.approx(0.2689414213699951)


def test_forward_rejects_wrong_shape():
    net = Network((784, 15, 10), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 784\), got \(2, 783\)"):
        net.forward(np.zeros((2, 783), np.float32))


def test_bad_architecture_errors_echo_the_value():
    with pytest.raises(ValueError, match="unknown hidden activation 'swish'"):
        Network((4, 3, 2), activation="swish", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="n_out must be a positive int, got 0"):
        Network((4, 0, 2), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="unknown init 'zeros'"):
        Network((4, 3, 2), init="zeros", rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        Network((4, 3, 2), rng=42)


def test_same_seed_same_weights_and_float32():
    a = Network((784, 15, 10), rng=np.random.default_rng(5))
    b = Network((784, 15, 10), rng=np.random.default_rng(5))
    for p, q in zip(a.get_weights(), b.get_weights()):
        assert p.dtype == np.float32
        np.testing.assert_array_equal(p, q)


def test_predict_proba_accepts_uint8_images():
    net = Network((784, 15, 10), rng=np.random.default_rng(0))
    img = np.full((3, 28, 28), 255, np.uint8)
    np.testing.assert_allclose(net.predict_proba(img), net.forward(np.ones((3, 784), np.float32)))
    assert net.predict(img).shape == (3,)


def test_derivative_tables_cover_every_activation():
    assert set(act.ACTIVATIONS) == set(act.DERIVATIVES) == set(act.DERIVATIVES_FROM_OUTPUT)


def test_dropout_gradients_match_central_differences_with_fixed_masks():
    # The same seed draws the same masks on every forward pass, so the loss is a
    # smooth function of the weights and central differences apply.
    rng = np.random.default_rng(0)
    net = Network((6, 5, 4, 3), activation="tanh", rng=rng, dtype=np.float64)
    x, y = rng.normal(size=(8, 6)), rng.integers(0, 3, 8)
    dropout = (0.2, 0.5, 0.3)

    def loss():
        return nll(net.forward(x, dropout, np.random.default_rng(99)), y)[0]

    _, delta = nll(net.forward(x, dropout, np.random.default_rng(99)), y)
    net.backward(delta)
    for p in net.parameters():
        analytic = p.grad.copy()
        assert relative_error(analytic, numerical_gradient(loss, p.value)) < 1e-6


def test_inverted_dropout_keeps_the_expected_activation():
    net = Network((1000, 10), rng=np.random.default_rng(0), dtype=np.float64)
    x = np.ones((200, 1000))
    net.forward(x, (0.5,), np.random.default_rng(1))
    dropped = net.layers[0].x
    assert set(np.unique(dropped)) == {0.0, 2.0}  # survivors scaled by 1 / (1 - p)
    assert dropped.mean() == pytest.approx(1.0, abs=0.01)
    net.forward(x)  # no dropout at test time
    assert (net.layers[0].x == 1).all()


def test_backward_before_any_forward_says_to_call_forward_first():
    net = Network((6, 4, 3), rng=np.random.default_rng(0))
    with pytest.raises(RuntimeError, match="backward before forward: call forward on the batch"):
        net.backward(np.zeros((2, 3), np.float32))
    layer = Dense(6, 4, "sigmoid", np.random.default_rng(0))
    for backward, name in ((layer.backward, "dL/da"), (layer.backward_z, "dL/dz")):
        with pytest.raises(RuntimeError, match=f"backward before forward: .* its {name}"):
            backward(np.zeros((2, 4), np.float32))


def test_a_delta_for_another_batch_size_echoes_both_shapes():
    net = Network((6, 4, 3), rng=np.random.default_rng(0))
    net.forward(np.zeros((8, 6), np.float32))
    with pytest.raises(ValueError, match=r"delta of shape \(5, 3\) has 5 rows, but the last "
                                         r"forward saw a batch of 8 \(input \(8, 6\)\)"):
        net.backward(np.zeros((5, 3), np.float32))
    # the usual way into it: a forward pass on other data between forward and backward
    x, y = np.ones((8, 6), np.float32), np.zeros(8, int)
    _, delta = nll(net.forward(x), y)
    net.forward(np.ones((3, 6), np.float32))
    with pytest.raises(ValueError, match=r"forward saw a batch of 3 \(input \(3, 6\)\)"):
        net.backward(delta)
    net.forward(x)
    net.backward(delta)  # forward on the same batch again, and it works


def test_predicting_between_forward_and_backward_changes_nothing_backward_uses():
    net = Network((6, 4, 3), rng=np.random.default_rng(0))
    x, y = np.random.default_rng(1).standard_normal((8, 6)).astype(np.float32), np.zeros(8, int)
    _, delta = nll(net.forward(x), y)
    net.backward(delta)
    expected = [p.grad.copy() for p in net.parameters()]
    net.forward(x)
    net.predict_proba(np.ones((3, 6), np.float32))  # Network.infer: saves nothing
    net.predict_log_proba(np.ones((5, 6), np.float32))
    net.backward(delta)
    for p, g in zip(net.parameters(), expected):
        np.testing.assert_array_equal(p.grad, g)


@pytest.mark.parametrize("shape", [(8, 4), (8,), (8, 3, 1), (3, 8)])
def test_a_delta_with_the_wrong_columns_says_how_many(shape):
    net = Network((6, 4, 3), rng=np.random.default_rng(0))
    net.forward(np.zeros((8, 6), np.float32))
    with pytest.raises(ValueError) as info:
        net.backward(np.zeros(shape, np.float32))
    assert str(info.value) == (f"delta must have shape (N, 3), one column per output unit; "
                               f"got {shape}")


def test_a_layers_backward_checks_its_gradient_against_the_saved_batch():
    layer = Dense(6, 4, "tanh", np.random.default_rng(0))
    layer.forward(np.zeros((8, 6), np.float32))
    with pytest.raises(ValueError, match=r"dL/da of shape \(2, 4\) has 2 rows, .* batch of 8"):
        layer.backward(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"dL/dz must have shape \(N, 4\), .* got \(8, 6\)"):
        layer.backward_z(np.zeros((8, 6), np.float32))
    assert layer.backward(np.zeros((8, 4), np.float32)).shape == (8, 6)


def test_infer_gives_forwards_bits_and_writes_nothing_to_the_network():
    rng = np.random.default_rng(3)
    net = Network((20, 16, 8, 5), activation="tanh", rng=rng)
    x = rng.standard_normal((40, 20)).astype(np.float32)
    o = net.forward(x)  # the training path: saves x, a and the logits in its buffers
    *hidden, logits = net.infer(x)
    for layer, h in zip(net.layers, hidden):
        np.testing.assert_array_equal(h, layer.a)
    np.testing.assert_array_equal(logits, net.logits)
    saved = [(layer.x, layer.a, layer.z, {k: b.copy() for k, b in layer._buffers.items()})
             for layer in net.layers]
    net.infer(rng.standard_normal((300, 20)).astype(np.float32))  # more rows than forward's
    net.predict_proba(rng.standard_normal((7, 20)))
    for layer, (x_, a, z, buffers) in zip(net.layers, saved):
        assert layer.x is x_ and layer.a is a and layer.z is z
        assert layer._buffers.keys() == buffers.keys()
        for k, b in buffers.items():
            np.testing.assert_array_equal(layer._buffers[k], b)
    np.testing.assert_array_equal(net.layers[-1].a, o)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 20\), got \(3, 4\)"):
        net.infer(np.zeros((3, 4), np.float32))


def test_predict_proba_from_many_threads_gives_one_threads_answers():
    X = np.random.default_rng(0).standard_normal((4000, 50)).astype(np.float32)
    net = Network((50, 64, 10), activation="relu", init="he", rng=np.random.default_rng(1))
    batches = mixed_batches(X, 30)
    # One BLAS thread per call: the race is NumPy's (shared buffers), and 4 threads
    # each asking OpenBLAS for 2 on 2 cores would only make the test 20x slower.
    with threadpool_limits(1):
        for predict in (net.predict_proba, net.predict_log_proba):
            wrong, errors = answers_from_threads(predict, batches, threads=4, rounds=10)
            assert (wrong, errors) == (0, [])  # before Network.infer: ~140 of 1,200 wrong
