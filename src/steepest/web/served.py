"""The model the page talks to: one at a time, swapped atomically between requests.

Requests are answered by many threads at once.  Two things keep them safe:

* a :class:`Snapshot` is never changed after it is made; a new model means a
  new snapshot, and :meth:`ServedModel.current` hands out whichever one is
  current -- a request that began with the old model finishes with it;
* predictions use :meth:`Network.infer`, which writes nothing to the network
  (:meth:`Network.forward`, for training, remembers each layer's last input and
  output in buffers it reuses); any number of threads can predict with one
  snapshot at once.

Every model served is kept (the start model and each one trained in the lab,
as its network and its ``.npz`` bytes, up to :data:`MAX_MODELS`), so that
training a new one never takes the old one away: :meth:`ServedModel.select`
serves an earlier one again.  A model that is the same network as one already
kept (:func:`~.provenance.fingerprint`: an identical re-run of a job) is not added
twice: the kept one is served again, under its own version.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..activations import softmax_
from ..metrics import mistakes
from ..modelfile import load_model
from ..network import Network
from ..preprocess import to_mnist
from . import provenance, views
from .gallery import Gallery
from .validate import ApiError, require_ink

N_PIXELS = 784  # 28 x 28: the page feeds MNIST-style images
N_CLASSES = 10
#: Models kept to switch between.  Past this, the oldest is forgotten -- never
#: the first (the model the lab started with) nor the one being served.
MAX_MODELS = 12


def recorded_test_accuracy(info: dict) -> float | None:
    """A model's test accuracy as its file records it, or None when it records none.

    A run with a validation split scores the test set once, at the end: that
    score is ``info["result"]["test_accuracy"]`` (written by ``steepest train``
    and ``steepest ladder``), and its epoch records have none.  Files without a
    result (the lab's own jobs) have the test score in their last epoch record.
    The info is the user's file: anything but a number in [0, 1] counts as none.

    >>> validated = {"result": {"test_accuracy": 0.95}, "history": [{"test_accuracy": None}]}
    >>> recorded_test_accuracy(validated)
    0.95
    >>> recorded_test_accuracy({"history": [{"test_accuracy": 0.8}, {"test_accuracy": 0.9}]})
    0.9
    >>> recorded_test_accuracy({"result": "junk", "history": [{"test_accuracy": "0.9"}]}) is None
    True
    """
    result = info.get("result")
    if isinstance(result, dict) and provenance.fraction(result.get("test_accuracy")) is not None:
        return provenance.fraction(result["test_accuracy"])
    history = info.get("history")
    if isinstance(history, list) and history and isinstance(history[-1], dict):
        return provenance.fraction(history[-1].get("test_accuracy"))
    return None


@dataclass(frozen=True)
class Snapshot:
    """One loaded model and what the page says about it."""

    net: Network
    info: dict  # the model file's free-form info (config, history, ...)
    version: int  # 1, 2, 3, ... in the order models were served
    source: str  # where it came from, for people: a file name or "trained in the lab"
    file_bytes: bytes  # the .npz, for download
    fingerprint: str = ""  # provenance.fingerprint(net): the same for the same network

    @property
    def id(self) -> int:
        """The model's id in the lab's list: its version, which no other model gets."""
        return self.version

    def summary(self) -> dict:
        history = self.info.get("history")
        config = self.info.get("config") if isinstance(self.info.get("config"), dict) else None
        return {
            "id": self.id,
            "version": self.version,
            "source": self.source,
            **views.describe(self.net),
            "epochs_trained": len(history) if isinstance(history, list) else 0,
            "test_accuracy": recorded_test_accuracy(self.info),
            "config": config,
            "history": provenance.training_history(self.info),  # its curves, for the Train tab
            "cancelled_at": provenance.cancelled_at(self.info),
        }

    def listing(self, served: bool) -> dict:
        """The model's entry in ``GET /api/models``."""
        return {"id": self.id, "source": self.source, "description": self.net.describe(),
                "test_accuracy": recorded_test_accuracy(self.info), "version": self.version,
                "served": served}


class ServedModel:
    """Holds the current :class:`Snapshot`; predicts; finds the test set's mistakes."""

    def __init__(self) -> None:
        self._swap_lock = threading.Lock()
        self._current: Snapshot | None = None
        self._models: list[Snapshot] = []  # oldest first
        self._version = 0
        self._test_lock = threading.Lock()  # one test-set pass at a time
        self._data_lock = threading.Lock()  # MNIST's test set is read once
        self._test_data: tuple[np.ndarray, np.ndarray] | None = None
        self._mistakes: tuple[int, dict] | None = None  # (version, result)

    # -- which model -----------------------------------------------------

    def load(self, path: str | Path, source: str | None = None) -> Snapshot:
        """Load a model file and serve it (see :meth:`add`, which also says whether it is new)."""
        return self.add(path, source)[0]

    def add(self, path: str | Path,
            source: str | Callable[[dict], str] | None = None) -> tuple[Snapshot, bool]:
        """Load a model file (see :mod:`steepest.modelfile`) and serve it from now on.

        Parameters
        ----------
        path : str or Path
            the model file.
        source : str or callable, optional
            what the list of models says it is (default: the file's name), or a
            function that says it from the file's info (so the file is read once).

        Returns
        -------
        Snapshot
            the model now in service: a kept one, with its own version and source,
            when it is the same network (no duplicate is added).
        bool
            True when the model was added to the list, False when a kept one was reused.

        Raises
        ------
        ModelFileError
            the file is missing or not a model (a ``ValueError``).
        ValueError
            the model does not take 28x28 images to 10 classes.
        """
        path = Path(path)
        net, info = load_model(path)  # errors name the file
        data = path.read_bytes()  # kept for download; the job's file may then be deleted
        if net.sizes[0] != N_PIXELS or net.sizes[-1] != N_CLASSES:
            raise ValueError(
                f"{path}: the web lab needs a 784-input, 10-class MNIST model, "
                f"this one is {net.describe()}"
            )
        digest = provenance.fingerprint(net)
        name = source(info) if callable(source) else source or path.name
        with self._swap_lock:
            for kept in self._models:
                if kept.fingerprint == digest:
                    self._current = kept
                    return kept, False
            self._version += 1
            snap = Snapshot(net, info, self._version, name, data, digest)
            self._current = snap
            self._models.append(snap)
            if len(self._models) > MAX_MODELS:
                del self._models[1]  # the oldest but the first; the newest is the one served
        return snap, True

    def models(self) -> tuple[list[Snapshot], Snapshot | None]:
        """Every model kept, oldest first, and the one in service (None: none yet)."""
        with self._swap_lock:
            return list(self._models), self._current

    def select(self, model_id: int) -> Snapshot:
        """Serve the kept model ``model_id`` from now on, or a 404 :class:`ApiError`."""
        with self._swap_lock:
            for snap in self._models:
                if snap.id == model_id:
                    self._current = snap
                    return snap
        raise ApiError(f"no model with id {model_id}; GET /api/models lists them", status=404)

    @property
    def ready(self) -> bool:
        return self._current is not None

    def current(self) -> Snapshot:
        """The model in service, or a 503 :class:`ApiError` while there is none yet."""
        snap = self._current
        if snap is None:
            raise ApiError("no model yet: the lecture's network is still training; "
                           "see the Train tab or GET /api/train", status=503)
        return snap

    # -- what the page asks ---------------------------------------------

    def predict(self, image: np.ndarray) -> dict:
        """Preprocess a drawing like MNIST (:func:`~steepest.preprocess.to_mnist`) and classify it.

        Returns the digit, all ten probabilities, the 28x28 input the network
        saw and every hidden layer's activations for it; a blank drawing is a
        422 :class:`~.validate.ApiError`.
        """
        x = to_mnist(image)  # (28, 28) in [0, 1]: the one shared implementation
        require_ink(x)  # 422 for a blank drawing, like `steepest predict` for a blank image
        snap = self.current()
        # Network.infer writes nothing to the network: threads need no lock around it.
        *hidden, logits = snap.net.infer(x.reshape(1, N_PIXELS).astype(snap.net.dtype))
        probs = softmax_(logits)[0]
        hidden = [h[0] for h in hidden]
        return {
            "digit": int(probs.argmax()),
            "probabilities": views.rounded(probs),
            "input": np.round(x, 3).tolist(),
            "hidden": [views.rounded(h) for h in hidden],
            "model_version": snap.version,
        }

    def network(self, max_units: int) -> dict:
        """The diagram's data: every layer's shown units, weight images and weights."""
        snap = self.current()
        return {
            "model_version": snap.version,
            "max_units": max_units,
            **views.describe(snap.net),
            "layers": views.layer_views(snap.net, max_units),
        }

    def gallery(self) -> dict:
        """The Train tab's ten test digits (:mod:`.gallery`), and the served model's answers."""
        snap = self.current()
        gallery = Gallery.of(*self._test_set())
        return {**gallery.to_json(), "predictions": gallery.predict(snap.net),
                "model_version": snap.version}

    def test_digit(self, index: int) -> dict:
        """Test image ``index`` as 784 gray levels 0-255 (ink bright), with its label."""
        x_test, y_test = self._test_set()
        if not 0 <= index < len(y_test):
            raise ApiError(f"test digit index must be in 0..{len(y_test) - 1}, got {index}", 404)
        return {"index": index, "label": int(y_test[index]),
                "pixels": x_test[index].reshape(-1).tolist()}

    def mistakes(self, limit: int, offset: int = 0) -> dict:
        """Test digits the current model gets wrong, most confident mistakes first."""
        snap = self.current()
        with self._test_lock:
            if self._mistakes is None or self._mistakes[0] != snap.version:
                self._mistakes = (snap.version, self._find_mistakes(snap))
            found = self._mistakes[1]
        x_test, _ = self._test_set()
        page = found["rows"][offset : offset + limit]
        return {
            "model_version": snap.version,
            "n_test": found["n_test"],
            "accuracy": found["accuracy"],
            "total": len(found["rows"]),
            "offset": offset,
            "mistakes": [
                {**row, "pixels": x_test[row["index"]].reshape(-1).tolist()} for row in page
            ],
        }

    # -- helpers ----------------------------------------------------------

    def _test_set(self) -> tuple[np.ndarray, np.ndarray]:
        if self._test_data is None:
            from ..datasets import mnist

            with self._data_lock:
                if self._test_data is None:
                    self._test_data = mnist.load_data()[1]
        return self._test_data

    def _find_mistakes(self, snap: Snapshot) -> dict:
        x_test, y_test = self._test_set()
        probs = snap.net.predict_proba(x_test)  # (10000, 10); writes nothing to the network
        pred = probs.argmax(axis=1)
        rows = [
            {
                "index": int(i),
                "label": int(y_test[i]),
                "prediction": int(pred[i]),
                "confidence": round(float(probs[i, pred[i]]), 4),
                "probabilities": views.rounded(probs[i]),
            }
            for i in mistakes(probs, y_test)  # most confident first
        ]
        return {"n_test": int(len(y_test)), "accuracy": float(np.mean(pred == y_test)),
                "rows": rows}

