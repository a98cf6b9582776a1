"""The training run behind the Train tab, in a process of its own.

Why a process and not a thread: Python runs one thread's bytecode at a time
(the GIL), so a training loop in the server process would make every
prediction wait for it.  In its own process the loop has its own interpreter,
and three more things leave the server a core to answer with:

* BLAS is limited to one thread (``threadpoolctl``, when installed);
* the process lowers its own priority (``os.nice``), so the scheduler
  prefers the server when both want the CPU;
* it checks for cancellation every few mini-batches (and while it waits,
  paused: :mod:`.pace`), and stops by itself if the server that started it
  is gone.

It talks to the server only through a queue of small dicts (its *events*)
and a model file, written atomically by :func:`steepest.modelfile.save_model`
after every epoch.  :func:`run` is the process's entry point; the server side
is :mod:`.jobs`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..blas import limit_blas_threads
from ..messages import plural
from ..modelfile import save_model
from ..training import TrainConfig, TrainingDiverged, TrainState
from ..training import run as run_training
from . import views
from .gallery import Gallery
from .pace import Pace

#: How much the training process lowers its priority (0 = normal, 19 = lowest).
NICENESS = 10
#: Progress events per epoch (besides the one at the end of each epoch).
PROGRESS_PER_EPOCH = 10
#: Mini-batches between two looks at the cancel flag.
CHECK_EVERY = 8


@dataclass
class JobSpec:
    """Everything a training process needs: the run's config and the lab's extras."""

    config: TrainConfig = field(default_factory=TrainConfig)
    train_limit: int | None = None  # use only the first N training images (demos, tests)
    max_units: int = 20  # hidden units per layer sent as weight images each epoch
    pace: float | None = None  # mini-batches per second; None: full speed
    paused: bool = False  # wait before the first mini-batch


class Cancelled(Exception):
    """Raised inside the training loop to stop it."""


def run(spec: JobSpec, model_path: str, events, cancel, parent_pid: int,
        pace: Pace | None = None) -> None:
    """Train as ``spec`` says, saving to ``model_path``; report through ``events``.

    Events (dicts with a ``type``): ``status`` (a message), ``gallery`` (the test
    digits whose predictions the page follows), ``weights`` (the start),
    ``progress`` (epoch, batch, batches, loss), ``frame`` (a look inside between
    two epochs: at a slow pace, and wherever the run waits, paused), ``epoch``
    (an :class:`EpochRecord`), then exactly one of ``finished``, ``cancelled``
    or ``error``.  ``weights``, ``frame`` and ``epoch`` carry the hidden units'
    weight images (``layers``) and the gallery's predictions (``gallery``).

    Parameters
    ----------
    spec : JobSpec
        what to train.
    model_path : str
        where the model goes after every epoch.
    events : multiprocessing.Queue
        to the server.
    cancel : multiprocessing.Event
        set means stop after this mini-batch.
    parent_pid : int
        the server's process id; if it changes, the server is gone.
    pace : Pace, optional
        play, pause, step and rate, set by the server (default: full speed).
    """
    with contextlib.suppress(OSError, AttributeError):
        os.nice(NICENESS)
    try:
        with limit_blas_threads(1):  # leave the other core to the server
            _train(spec, model_path, events, cancel, parent_pid, pace or Pace())
    except Cancelled as exc:
        events.put({"type": "cancelled", "message": str(exc)})
    except TrainingDiverged as exc:
        events.put({"type": "error", "message": str(exc)})
    except (ValueError, OSError, MemoryError) as exc:  # bad data, a full disk, too big a net
        events.put({"type": "error", "message": f"{type(exc).__name__}: {exc}"})


def _stopper(cancel, parent_pid: int, now: dict) -> Callable[[], None]:
    """A check that raises :class:`Cancelled` once ``cancel`` is set or the server is gone."""

    def check() -> None:
        if cancel.is_set():
            raise Cancelled(f"stopped in epoch {now['epoch']}")
        if os.getppid() != parent_pid:
            raise Cancelled("the server is gone")

    return check


def _train(spec: JobSpec, model_path: str, events, cancel, parent_pid: int, pace: Pace) -> None:
    from ..datasets import mnist

    config = spec.config
    events.put({"type": "status", "message": "loading MNIST"})
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    if spec.train_limit is not None:
        x_train, y_train = x_train[: spec.train_limit], y_train[: spec.train_limit]
    now = {"epoch": 1}  # where the run is, for a cancellation's message
    check = _stopper(cancel, parent_pid, now)
    state = TrainState.new(config, int(np.prod(x_train.shape[1:])), mnist.NUM_CLASSES)
    net = state.network
    batches = -(-x_train.shape[0] // config.batch_size)
    report_every = max(1, batches // PROGRESS_PER_EPOCH)
    info = {"config": config.to_dict(), "train_limit": spec.train_limit,
            "data": "bundled MNIST", "history": []}
    gallery = Gallery.of(x_test, y_test)

    def look(**where) -> dict:  # the network as the page shows it: weight images, predictions
        return {**where, "layers": views.hidden_weight_images(net, spec.max_units),
                "gallery": gallery.predict(net)}

    events.put({"type": "status", "message": f"training {net.describe()} on "
                f"{x_train.shape[0]:,} images", "batches": batches})
    events.put({"type": "gallery", **gallery.to_json()})
    events.put({"type": "weights", **look(epoch=0, paused=pace.holding())})
    pace.wait(check)  # started paused: the page shows the random network until asked to go on

    def on_batch(epoch: int, i: int, loss: float) -> None:
        now["epoch"] = epoch
        if i % CHECK_EVERY == 0:
            check()
        if (i + 1) % report_every == 0:
            events.put({"type": "progress", "epoch": epoch, "batch": i + 1,
                        "batches": batches, "loss": float(loss)})
        last = i + 1 == batches
        pace.tick(last)
        if last:  # the epoch's end is shown by its "epoch" event
            return

        def frame(paused: bool) -> None:
            events.put({"type": "frame", **look(epoch=epoch, batch=i + 1, batches=batches,
                                                loss=float(loss), paused=paused)})

        every = pace.frame_every()
        if every and (i + 1) % every == 0 and not pace.holding():
            frame(paused=False)
        pace.wait(check, on_hold=lambda: frame(paused=True))

    def on_epoch(record, state) -> None:
        info["history"].append(record.to_dict())
        save_model(model_path, net, info)  # atomic: the server never reads half a file
        events.put({"type": "epoch", "epochs": config.epochs, **record.to_dict(),
                    **look(paused=pace.holding())})
        if record.epoch < config.epochs:  # a paused run still ends, and its model is served
            pace.wait(check)

    # The same loop as ``steepest train``: any optimizer, schedule, L2 or dropout.
    run_training(config, ((x_train, y_train), (x_test, y_test)), state=state,
                 on_batch=on_batch, on_epoch=on_epoch)
    events.put({"type": "finished", "message": f"trained {plural(config.epochs, 'epoch')}"})
