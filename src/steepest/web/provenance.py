"""What the lab says about where a model came from: its training history, whether its
job was cancelled, and which kept model it is the same network as.

A model file's ``info`` is free-form JSON (``steepest train`` and the lab's jobs
write a ``history``; a user's file may hold anything), so every reader here takes
what it can use and ignores the rest.  The page draws a model's curves from
:func:`training_history`, whichever model is in service.

Two models with the same architecture and the same weights, bit for bit, are
the same network (:func:`fingerprint`): an identical re-run of a job (same
settings, same seed, same images) trains exactly that, so the lab serves the
model it already has instead of adding a copy under a new number.
"""

from __future__ import annotations

import hashlib
import sys

from ..messages import plural
from ..network import Network

#: Epoch records kept for the page; longer histories keep their last ones.
MAX_RECORDS = 1000


def _number(value) -> float | None:
    """``value`` as a float if it is a finite number, else None (JSON cannot carry NaN).

    An int is compared, never converted first: one past 1.8e308 (JSON carries ints of
    any size) is no finite float, so it is None too.

    >>> _number(3), _number(float("inf")), _number(10**400), _number(True)
    (3.0, None, None, None)
    """
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if number and abs(value) <= sys.float_info.max else None  # not NaN


def training_history(info: dict) -> list[dict]:
    """The model's epochs as the Train tab draws them.

    Each record has ``epoch``, ``train_loss``, ``test_accuracy`` and
    ``val_accuracy`` (a run with ``--validation`` scores the validation set
    each epoch and the test set once, at the end); a value that is missing,
    not a number or not in [0, 1] is ``None``.

    >>> first, second = training_history({"history": [
    ...     {"epoch": 1, "train_loss": 0.5, "test_accuracy": 0.9}, "junk",
    ...     {"epoch": 2, "train_loss": float("nan"), "val_accuracy": 0.8}]})
    >>> first
    {'epoch': 1, 'train_loss': 0.5, 'test_accuracy': 0.9, 'val_accuracy': None}
    >>> second
    {'epoch': 2, 'train_loss': None, 'test_accuracy': None, 'val_accuracy': 0.8}
    >>> training_history({"history": "junk"})
    []
    """
    history = info.get("history")
    if not isinstance(history, list):
        return []
    records = []
    for k, record in enumerate(history[-MAX_RECORDS:]):
        if not isinstance(record, dict):
            continue
        epoch = record.get("epoch")
        records.append({
            "epoch": epoch if isinstance(epoch, int) and not isinstance(epoch, bool) else k + 1,
            "train_loss": _number(record.get("train_loss")),
            "test_accuracy": fraction(record.get("test_accuracy")),
            "val_accuracy": fraction(record.get("val_accuracy")),
        })
    return records


def fraction(value) -> float | None:
    """``value`` as a float if it is a number in [0, 1], else None: how the lab reads an
    accuracy from a model file's info.

    >>> fraction(1), fraction(0.25), fraction(float("nan")), fraction(10**400), fraction("0.9")
    (1.0, 0.25, None, None, None)
    """
    number = _number(value)
    return number if number is not None and 0 <= number <= 1 else None


def cancelled_at(info: dict) -> dict | None:
    """``{"epoch": k, "epochs": n}`` when the model is a cancelled job's epoch ``k`` of ``n``.

    >>> cancelled_at({"cancelled": {"epoch": 2, "epochs": 5}})
    {'epoch': 2, 'epochs': 5}
    >>> cancelled_at({}) is None, cancelled_at({"cancelled": "yes"}) is None
    (True, True)
    """
    mark = info.get("cancelled")
    if not isinstance(mark, dict):
        return None
    epoch, epochs = mark.get("epoch"), mark.get("epochs")
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (epoch, epochs)):
        return None
    return {"epoch": epoch, "epochs": epochs}


def lab_source(info: dict) -> str:
    """How the list of models names a model trained in the lab (no job numbers: the
    user knows a model by its version only).

    >>> lab_source({"history": [{}, {}], "config": {"epochs": 2}})
    'trained in the lab, 2 epochs'
    >>> lab_source({"history": [{}], "cancelled": {"epoch": 1, "epochs": 5}})
    'trained in the lab, cancelled at epoch 1 of 5'
    """
    mark = cancelled_at(info)
    if mark is not None:
        return f"trained in the lab, cancelled at epoch {mark['epoch']} of {mark['epochs']}"
    history = info.get("history")
    epochs = len(history) if isinstance(history, list) else 0
    return f"trained in the lab, {plural(epochs, 'epoch')}"


def fingerprint(net: Network) -> str:
    """A digest of the network's architecture and weights: equal for the same network.

    >>> import numpy as np
    >>> a = Network((4, 3, 2), rng=np.random.default_rng(0))
    >>> b = Network((4, 3, 2), rng=np.random.default_rng(0))
    >>> c = Network((4, 3, 2), rng=np.random.default_rng(1))
    >>> fingerprint(a) == fingerprint(b) != fingerprint(c)
    True
    """
    digest = hashlib.sha256(repr((net.sizes, net.activations, net.dtype.name)).encode())
    for array in net.get_weights():
        digest.update(repr(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()
