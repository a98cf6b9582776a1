"""The course's "Your turn" exercises: a checker for each, and reference solutions.

A checker calls the learner's function on inputs it chooses, compares the
answer with steepest's own implementation and with central differences, and
returns a :class:`CheckResult` that Jupyter shows as a green or red line
saying exactly what is wrong -- a wrong shape, a transposed matrix, a missing
``1/N``, the wrong sign, an overflow at large inputs -- or what was checked.

In the lecture's order, the learner writes every piece of the network:

==================  ========  ==========================================================
exercise            notebook  the learner writes
==================  ========  ==========================================================
decide              1         the perceptron's output: 1 where ``w . x >= t``
rosenblatt_update   1         one step of Rosenblatt's rule, ``w <- w + eta (y - y_hat) x``
sigmoid             2         ``1 / (1 + e^-z)`` without overflow
sigmoid_prime       2         ``sigma'(z)``
softmax             2         the softmax of each row, stable at ±1000
one_hot             3         labels as one-hot rows (N, K)
init_network        4         ``[W1, b1, W2, b2]`` of 784-15-10, all from N(0, 1)
count_parameters    4         weights and biases of a network of given sizes
forward             4         ``h = sigmoid(x W1 + b1)``, ``o = softmax(h W2 + b2)``
nll                 5         ``L = -(1/N) sum log o[n, y_n]``
valley_gradient     6         the gradient of our example surface ``v1²/10 + 2 v2²``
sgd_step            6         ``v - lambda grad C``
nll_delta           7         ``dL/df = (o - onehot(y)) / N``
output_layer_grads  7         ``dL/dW2, dL/db2, dL/dh`` of ``f = h W2 + b2``
hidden_layer_grads  7         ``dL/dW1, dL/db1`` of ``h = sigmoid(x W1 + b1)``
backward            7         all four gradients, from the three pieces above
train_epoch         8         one epoch of mini-batch gradient descent
==================  ========  ==========================================================

Then :func:`~steepest.exercises.learner.yours` brings a learner's functions from
earlier notebooks into a later one (each checked first), :func:`check_training_step` compares one
training step of theirs with steepest's, tensor by tensor, and
:func:`train_yours` trains the learner's own network on MNIST.

>>> from steepest.exercises import check_softmax, solutions
>>> check_softmax(solutions.softmax).passed
True
>>> print(check_softmax(lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)))
✗ softmax: softmax(z) is unstable at large inputs (rows like (1000, 999, 998) and \
(-1000, -1001, -999) in float64): nan at index (0, 0), where the answer is 0.665241; \
an exp overflowed or a division became 0/0
"""

from __future__ import annotations

import numpy as np  # noqa: F401  (the doctest above uses it)

from . import solutions
from .activation_checks import check_sigmoid, check_sigmoid_prime, check_softmax
from .backprop_checks import check_backward, check_hidden_layer_grads, check_output_layer_grads
from .capstone import check_training_step, train_yours
from .catalogue import EXERCISES, Exercise, solution
from .data_checks import check_one_hot
from .descent_checks import check_sgd_step, check_valley_gradient
from .feedback import CheckResult
from .learner import yours
from .loss_checks import check_nll, check_nll_delta
from .network_checks import check_count_parameters, check_forward, check_init_network
from .perceptron_checks import check_decide, check_rosenblatt_update
from .training_checks import check_train_epoch

__all__ = [
    "EXERCISES", "CheckResult", "Exercise", "check_backward", "check_count_parameters",
    "check_decide", "check_forward", "check_hidden_layer_grads", "check_init_network",
    "check_nll", "check_nll_delta", "check_one_hot", "check_output_layer_grads",
    "check_rosenblatt_update", "check_sgd_step", "check_sigmoid", "check_sigmoid_prime",
    "check_softmax", "check_train_epoch", "check_training_step", "check_valley_gradient",
    "solution", "solutions", "train_yours", "yours",
]
