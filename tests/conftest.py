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
