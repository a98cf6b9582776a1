"""Shared fixtures: small deterministic data, so tests run offline in seconds."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def mnist_data():
    from steepest.datasets import mnist

    return mnist.load_data()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def write_mnist_dir(directory, n_train=2000, n_test=500):
    """Write the first images of the bundled MNIST as a small MNIST-format directory."""
    from steepest.datasets import mnist
    from steepest.datasets.idx import write_idx

    (x, y), (xt, yt) = mnist.load_data()
    directory.mkdir(parents=True, exist_ok=True)
    write_idx(directory / "train-images-idx3-ubyte.gz", x[:n_train])
    write_idx(directory / "train-labels-idx1-ubyte.gz", y[:n_train])
    write_idx(directory / "t10k-images-idx3-ubyte.gz", xt[:n_test])
    write_idx(directory / "t10k-labels-idx1-ubyte.gz", yt[:n_test])
    return directory


@pytest.fixture(scope="session")
def small_mnist_dir(tmp_path_factory):
    """2,000 training and 500 test images of the real MNIST, as IDX files."""
    return write_mnist_dir(tmp_path_factory.mktemp("small_mnist"))


@pytest.fixture
def make_mnist_dir():
    """``make_mnist_dir(path, n_train, n_test)`` writes a small real-MNIST directory."""
    return write_mnist_dir
