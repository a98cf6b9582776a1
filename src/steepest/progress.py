"""A progress bar for training runs: a widget in Jupyter, a bar in a terminal, quiet in a pipe.

The training loop never prints (:mod:`steepest.training` reports through
``on_batch`` / ``on_epoch`` callbacks).  :class:`TrainingProgress` is a pair
of such callbacks driving one `tqdm.auto` bar over every mini-batch of the
run, with the last epoch's loss and accuracy beside it:

    with training_progress(config, len(x_train)) as progress:
        result = run(config, data, on_batch=progress.on_batch, on_epoch=progress.on_epoch)

``tqdm.auto`` draws an ipywidgets bar inside Jupyter (text where ipywidgets is
missing) and a text bar elsewhere.  Outside Jupyter the bar is shown only when
its stream is a terminal (tqdm's ``disable=None``), so a run piped into a file
or another program writes nothing.

:func:`run_with_progress` is that ``with`` block in one call, with the BLAS
thread count ``steepest train`` would pick: what a notebook calls to train.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from .config import TrainConfig
    from .training import EpochRecord, RunResult, TrainState


class TrainingProgress:
    """``on_batch`` / ``on_epoch`` callbacks that move one progress bar.

    ``records`` collects every epoch's :class:`~steepest.training.EpochRecord`.

    Parameters
    ----------
    epochs : int
        epochs the run will train.
    steps_per_epoch : int
        mini-batches per epoch.
    description : str
        the bar's label.
    file : IO[str] or None
        where a text bar goes (default: standard error).
    disable : bool or None
        ``None`` (default) shows the bar in Jupyter and on a terminal
        only; ``True`` hides it, ``False`` always shows it.
    """

    def __init__(
        self,
        epochs: int,
        steps_per_epoch: int,
        description: str = "training",
        file: IO[str] | None = None,
        disable: bool | None = None,
    ) -> None:
        from tqdm.auto import tqdm

        self.epochs = epochs
        self.records: list[EpochRecord] = []
        self.bar = tqdm(total=epochs * steps_per_epoch, desc=description, unit="batch",
                        file=file, disable=disable, dynamic_ncols=True, mininterval=0.2)

    def on_batch(self, epoch: int, index: int, loss: float) -> None:
        """After every mini-batch: one step further."""
        self.bar.update(1)

    def on_epoch(self, record: EpochRecord, state: object = None) -> None:
        """After every epoch: show its number, loss and accuracy.

        Takes ``(record, state)`` as :func:`steepest.training.run` calls it, or
        ``(record)`` as :func:`~steepest.training.fit` does.
        """
        self.records.append(record)
        postfix = {"epoch": f"{record.epoch}/{self.epochs}", "loss": f"{record.train_loss:.4f}"}
        for key, label in (("val_accuracy", "validation"), ("test_accuracy", "test")):
            value = record.extra.get(key) if key != "test_accuracy" else record.test_accuracy
            if value is not None:
                postfix[label] = f"{100 * value:.2f}%"
        self.bar.set_postfix(postfix, refresh=False)

    def close(self) -> None:
        """Finish the bar (an early stop leaves it short of the total, as it should)."""
        self.bar.close()

    def __enter__(self) -> TrainingProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def training_progress(
    config: TrainConfig, n_train: int, description: str = "training", **kwargs
) -> TrainingProgress:
    """A :class:`TrainingProgress` sized for :func:`steepest.training.run` with ``config``.

    Parameters
    ----------
    config : TrainConfig
        the run's settings (epochs, batch size, validation split).
    n_train : int
        training images before the validation split, e.g. ``len(x_train)``.
    description : str
        the bar's label.
    **kwargs
        passed to :class:`TrainingProgress` (``file``, ``disable``).
    """
    n_fit = n_train - config.validation
    steps = -(-n_fit // config.batch_size)
    return TrainingProgress(config.epochs, steps, description, **kwargs)


def run_with_progress(
    config: TrainConfig,
    data,
    *,
    threads: int | None = None,
    description: str = "training",
    on_batch: Callable[[int, int, float], None] | None = None,
    on_epoch: Callable[[EpochRecord, TrainState], None] | None = None,
    **kwargs,
) -> RunResult:
    """:func:`steepest.training.run` with a progress bar, on as many BLAS threads as suits it.

    The same run as ``run(config, data, ...)``, bit for bit, except that

    * BLAS threads are chosen as ``steepest train`` chooses them
      (:func:`steepest.blas.blas_threads_for`: one for small networks like
      the lecture's), unless ``threads`` says how many;
    * a :func:`training_progress` bar counts the batches and shows each epoch's
      loss and accuracy (a widget in Jupyter, nothing in a pipe).

    Parameters
    ----------
    config : TrainConfig
        the run's settings.
    data : tuple
        ``((x_train, y_train), (x_test, y_test))``, as for ``run``.
    threads : int or None
        BLAS threads; None (default) picks them.
    description : str
        the bar's label.
    on_batch, on_epoch : Callable[[int, int, float], None] or None
        your own callbacks, as for ``run``; called after the bar's.
    **kwargs
        passed to :func:`steepest.training.run` (``state``, ``n_classes``).

    Returns
    -------
    RunResult
        ``run``'s :class:`~steepest.training.RunResult`.
    """
    import numpy as np

    from .blas import blas_threads_for, limit_blas_threads
    from .training import run

    x_train = data[0][0]
    n_in = int(np.prod(x_train.shape[1:]))
    progress = training_progress(config, len(x_train), description)
    with progress, limit_blas_threads(blas_threads_for(config, n_in, threads)):
        return run(config, data, on_batch=_then(progress.on_batch, on_batch),
                   on_epoch=_then(progress.on_epoch, on_epoch), **kwargs)


def _then(first: Callable, second: Callable | None) -> Callable:
    """A callback that calls ``first``, then ``second`` (if any), with the same arguments."""
    if second is None:
        return first

    def both(*args) -> None:
        first(*args)
        second(*args)

    return both
