"""Export a trained network as an ONNX model, for onnxruntime and every other ONNX runtime.

The graph is the forward pass of :class:`steepest.network.Network`, one
standard operator per formula, with steepest's names (``W1, b1`` are the
lecture's ``W, b`` and ``W, b`` of the last layer its ``Ŵ, b̂``, each ``W``
transposed; ``logits`` are its ``f``):

    z1 = x W1 + b1          MatMul, Add       x: float32 (N, n_in)
    h1 = f(z1)              Sigmoid | Tanh | Relu | Softplus  (identity: no node)
    ...
    logits = h W + b        MatMul, Add
    probabilities = softmax(logits)   Softmax over the classes

Rows are examples in steepest and in ONNX's MatMul alike, and ``W`` is
``(n_in, n_out)``, so ``x W + b`` needs no transposes.  The batch dimension
``N`` is symbolic: one graph classifies one image or ten thousand.

The input is what :meth:`Network.forward` takes: float32 features, for MNIST
the 784 pixels of a 28x28 image, row by row, **divided by 255** (0 = black
background, 1 = white ink), as steepest scales uint8 images; for a
scikit-learn estimator's model, the features as given to ``fit``.
:func:`input_description` says which, in the model's metadata and in
``steepest export``'s output.

The model's ``metadata_props`` say where it came from: ``steepest_version``
(the steepest that exported it), ``architecture``, ``input`` and ``output``,
then every entry of the model file's ``info`` except its per-epoch
``history`` -- for a model from ``steepest train``: ``config`` (the training
config, as JSON), ``seed``, ``data``, ``data_sha256`` (the SHA-256 of each
data array), ``version`` (the steepest that trained it) and ``result``.

Needs the ``onnx`` package, from steepest's ``onnx`` extra (in a checkout:
``python -m pip install -e ".[onnx]"``).  Inside this
package ``import onnx`` still means the third-party ``onnx``: imports are
absolute, and this module is ``steepest.onnx``.
"""

from __future__ import annotations

import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from . import __version__
from .modelfile import atomic_write_bytes
from .network import Network

#: The operator set the graph declares.  Opset 17 (2022) has every operator
#: used here in its current form, and onnxruntime runs it from version 1.12 on.
OPSET = 17
#: The IR version that goes with opset 17.  Set explicitly: ``make_model``
#: would write the newest the installed onnx knows, which older runtimes refuse.
IR_VERSION = 8
INPUT = "x"
OUTPUT = "probabilities"

#: steepest's hidden activations -> ONNX operators; identity needs none.
OPERATORS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "softplus": "Softplus",
             "identity": None}


def to_onnx(network: Network, info: dict | None = None) -> onnx.ModelProto:
    """The ONNX model that computes ``network.forward``: float32 in, probabilities out.

    Parameters
    ----------
    network : Network
        A trained (or any) :class:`~steepest.network.Network`.  Its weights are
        stored as float32; a float64 network is rounded to float32.
    info : dict or None, default None
        The model file's ``info`` (as from :func:`steepest.modelfile.load_model`):
        recorded in ``metadata_props``, all but its ``history``.

    Returns
    -------
    onnx.ModelProto
        Input ``x`` float32 ``(N, n_in)``, output ``probabilities`` float32
        ``(N, K)``, ``N`` dynamic.

    Examples
    --------
    >>> net = Network((3, 5, 4), activation="tanh", rng=np.random.default_rng(0))
    >>> model = to_onnx(net, {"seed": 0})
    >>> [node.op_type for node in model.graph.node]
    ['MatMul', 'Add', 'Tanh', 'MatMul', 'Add', 'Softmax']
    >>> {p.key: p.value for p in model.metadata_props}["seed"]
    '0'
    """
    nodes, weights = [], []
    a = INPUT
    last = len(network.layers)
    for i, layer in enumerate(network.layers, start=1):
        z = "logits" if i == last else f"z{i}"
        W, b = f"W{i}", f"b{i}"
        weights += [numpy_helper.from_array(layer.W.value.astype(np.float32), W),
                    numpy_helper.from_array(layer.b.value.astype(np.float32), b)]
        product = f"{a}{W}"  # "xW1", "h1W2": the layer's input times its weights
        nodes += [helper.make_node("MatMul", [a, W], [product]),
                  helper.make_node("Add", [product, b], [z], doc_string=f"{z} = {a} {W} + {b}")]
        if i == last:
            # softmax over the classes, one row per example (axis 1 of (N, K))
            nodes.append(helper.make_node("Softmax", [z], [OUTPUT], axis=1))
        elif OPERATORS[layer.activation] is None:
            a = z  # identity: the next layer reads z itself
        else:
            a = f"h{i}"
            nodes.append(helper.make_node(OPERATORS[layer.activation], [z], [a],
                                          doc_string=f"{a} = {layer.activation}({z})"))
    n_in, k = network.sizes[0], network.sizes[-1]
    graph = helper.make_graph(
        nodes, "steepest", [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["N", n_in])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["N", k])],
        initializer=weights, doc_string=network.describe(),
    )
    model = helper.make_model(graph, producer_name="steepest", producer_version=__version__,
                              opset_imports=[helper.make_opsetid("", OPSET)],
                              ir_version=IR_VERSION, doc_string=network.describe())
    helper.set_model_props(model, metadata(network, info))
    return model


def input_description(network: Network, info: dict | None = None) -> str:
    """What the ``x`` of :func:`to_onnx` holds, as true for this model as its file can say.

    A model of a scikit-learn estimator (its ``info`` has ``sklearn``) takes the
    features as they were given to ``fit`` (the graph divides nothing by 255).  Any
    other model of 784 inputs is steepest's MNIST network, which scales uint8
    images by 1/255; a model of another size takes its features as it was
    trained on them.

    Parameters
    ----------
    network : Network
        The network exported.
    info : dict or None, default None
        Its model file's ``info``.

    Returns
    -------
    str
        One line, for the model's ``input`` metadata and ``steepest export``.

    Examples
    --------
    >>> input_description(Network((784, 15, 10), rng=np.random.default_rng(0)))
    'the 784 pixels of a 28x28 image, row by row, / 255 (0 = background, 1 = ink)'
    >>> input_description(Network((30, 5, 2), rng=np.random.default_rng(0)), {"sklearn": {}})
    '30 features, as given to SteepestClassifier.fit'
    >>> input_description(Network((3, 5, 4), rng=np.random.default_rng(0)))
    '3 features, as the network was trained on them'
    """
    n_in = network.sizes[0]
    if isinstance(info, dict) and "sklearn" in info:
        return f"{n_in:,} features, as given to SteepestClassifier.fit"
    if n_in == 28 * 28:
        return "the 784 pixels of a 28x28 image, row by row, / 255 (0 = background, 1 = ink)"
    return f"{n_in:,} features, as the network was trained on them"


def metadata(network: Network, info: dict | None = None) -> dict[str, str]:
    """The ``metadata_props`` of :func:`to_onnx`: strings, JSON for anything else.

    Parameters
    ----------
    network : Network
        The network exported.
    info : dict or None, default None
        Its model file's ``info``: every entry but ``history`` is recorded.

    Returns
    -------
    dict of str to str
        ``info``'s entries (a string as it is, anything else as JSON), then
        ``steepest_version``, ``architecture``, ``input`` and ``output``.

    Examples
    --------
    >>> net = Network((784, 15, 10), rng=np.random.default_rng(0))
    >>> meta = metadata(net, {"config": {"hidden": [15]}, "history": [{"epoch": 1}]})
    >>> meta["config"], "history" in meta
    ('{"hidden": [15]}', False)
    >>> meta["input"][:50]
    'x: float32 (N, 784): the 784 pixels of a 28x28 ima'
    """
    recorded = {key: value if isinstance(value, str)
                else json.dumps(value, sort_keys=True, default=_plain)
                for key, value in (info or {}).items() if key != "history"}
    return {
        **recorded,
        "steepest_version": __version__,
        "architecture": network.describe(),
        "input": f"{INPUT}: float32 (N, {network.sizes[0]}): {input_description(network, info)}",
        "output": f"{OUTPUT}: float32 (N, {network.sizes[-1]}), each row sums to 1",
    }


def _plain(value):
    """NumPy scalars and arrays as plain numbers and lists, anything else as its str, for JSON."""
    return value.tolist() if isinstance(value, (np.generic, np.ndarray)) else str(value)


def save_onnx(path: str | os.PathLike, network: Network, info: dict | None = None) -> None:
    """Write :func:`to_onnx`'s model to ``path``, checked, atomically.

    ``onnx.checker.check_model`` runs first, so a file that is written is a
    valid ONNX model; a crash never leaves half a file at ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.onnx`` file to write.
    network : Network
        The network to export.
    info : dict or None, default None
        Its model file's ``info``, recorded as in :func:`to_onnx`.
    """
    model = to_onnx(network, info)
    onnx.checker.check_model(model, full_check=True)
    atomic_write_bytes(path, model.SerializeToString())
