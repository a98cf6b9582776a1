"""steepest: neural networks trained by gradient descent, in readable NumPy.

From Rosenblatt's perceptron to a handwritten-digit classifier on MNIST; every
formula is NumPy code you can read beside the math, and every gradient is
derived by hand and checked against finite differences.

>>> import numpy as np
>>> from steepest import Network, SGD, nll
>>> from steepest.datasets import mnist
>>> (x_train, y_train), (x_test, y_test) = mnist.load_data()
>>> net = Network((784, 15, 10), rng=np.random.default_rng(0))  # the lecture's network
>>> opt = SGD(net.parameters(), learning_rate=1.0)
>>> x = x_train[:32].reshape(32, 784) / np.float32(255)        # (32, 784) float32
>>> o = net.forward(x)                                          # (32, 10) probabilities
>>> loss, delta = nll(o, y_train[:32], net.logits)              # value, dL/df = (o - y)/N
>>> net.backward(delta); opt.step()                             # v <- v - lambda grad C
"""

from importlib.metadata import PackageNotFoundError, version

from .losses import NLL, nll, one_hot, to_categorical
from .network import Dense, Network, Parameter
from .optimizers import SGD
from .perceptron import Perceptron

try:
    __version__ = version("steepest")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "NLL",
    "SGD",
    "Dense",
    "Network",
    "Parameter",
    "Perceptron",
    "nll",
    "one_hot",
    "to_categorical",
    "__version__",
]
