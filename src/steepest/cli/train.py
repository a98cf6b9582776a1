"""``steepest train``: flags, config files, checkpoints (``steepest ladder`` is in ladder.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NamedTuple

import click
import numpy as np

from .. import activations as act
from ..blas import blas_threads_for
from ..config import RUN_KEYS, read_config_toml
from ..messages import plural
from ..network import INITS
from ..optimizers import OPTIMIZERS
from ..runrecord import data_checksums, result_summary, run_meta, write_history
from ..schedules import SCHEDULES
from .app import UserError, load_dataset, main, parse_ints, writable_dir, writable_file

# ---------------------------------------------------------------------------
# steepest train


def read_config_file(path: str) -> dict:
    """``steepest train`` settings from a TOML file, checked against the known keys.

    A model file (``.npz``) or a ``history.json`` written by ``steepest train``
    works too: its recorded config is read, so any result can be rerun from
    the model file alone.
    """
    if str(path).endswith((".npz", ".json")):
        return _recorded_config(path)
    return read_config_toml(path)


def _recorded_config(path: str) -> dict:
    """The ``config`` that ``steepest train`` recorded in a model file or history.json."""
    if str(path).endswith(".npz"):
        from ..modelfile import load_model

        _, info = load_model(path)
    else:
        try:
            with open(path, encoding="utf-8") as fh:
                info = json.load(fh).get("meta", {})
        except FileNotFoundError:
            raise ValueError(f"{path}: no such file") from None
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
            raise ValueError(f"{path}: not a history.json ({exc})") from None
    config = info.get("config") if isinstance(info, dict) else None
    if not isinstance(config, dict):
        raise ValueError(f"{path}: records no training config")
    return config


def epoch_line(record, epochs: int) -> str:
    """``epoch  3/40  train loss 0.3083  test accuracy 90.71%  0.15 s``."""
    score = (f"validation accuracy {100 * record.extra['val_accuracy']:.2f}%"
             if "val_accuracy" in record.extra
             else f"test accuracy {100 * record.test_accuracy:.2f}%")
    return (f"epoch {record.epoch:>3}/{epochs}  train loss {record.train_loss:.4f}  "
            f"{score}  {record.seconds:.2f} s")


def _option(*names, **kwargs):
    """A ``steepest train`` flag: default None, so unset flags defer to --config and defaults."""
    return click.option(*names, default=None, **kwargs)


TRAIN_FLAGS = [
    _option("--config", "config_file", type=click.Path(dir_okay=False),
            help="TOML file of settings (keys as the flags, with underscores); flags override it."),
    _option("--hidden", help="Hidden layer sizes, comma-separated (e.g. 800,800).  [default: 15]"),
    _option("--activation", type=click.Choice(list(act.HIDDEN_ACTIVATIONS)),
            help="Hidden activation.  [default: sigmoid]"),
    _option("--init", type=click.Choice(list(INITS)),
            help="Weight init; normal is the lecture's N(0, 1).  [default: normal]"),
    _option("--epochs", type=int, help="Passes over the training set.  [default: 40, ours]"),
    _option("--batch-size", type=int, help="Examples per gradient step.  [default: 32, ours]"),
    _option("--learning-rate", "--lr", "learning_rate", type=float,
            help="lambda in v <- v - lambda grad C (the peak, if scheduled); the lecture "
                 "leaves it open.  [default: 1.0, ours]"),
    _option("--optimizer", type=click.Choice(list(OPTIMIZERS)),
            help="Update rule.  [default: sgd]"),
    _option("--momentum", type=float, help="mu for momentum/nesterov.  [default: 0.9]"),
    _option("--beta1", type=float, help="Adam's beta1.  [default: 0.9]"),
    _option("--beta2", type=float, help="Adam's beta2.  [default: 0.999]"),
    _option("--weight-decay", type=float,
            help="AdamW's decoupled decay of the weights W, not biases; needs --optimizer adamw "
                 "(use --l2 with the others).  [default: 0]"),
    _option("--schedule", type=click.Choice(list(SCHEDULES)),
            help="Learning-rate schedule.  [default: constant]"),
    _option("--step-every", type=int, help="Step schedule: epochs per decay.  [default: 10]"),
    _option("--step-gamma", type=float, help="Step schedule: factor per decay.  [default: 0.1]"),
    _option("--warmup-epochs", type=float, help="Cosine schedule: warm-up epochs.  [default: 0]"),
    _option("--l2", type=float,
            help="L2 penalty on the weights W, not biases: C += (l2/2) sum W^2.  [default: 0]"),
    _option("--dropout", type=float, help="Dropout probability on hidden units.  [default: 0]"),
    _option("--input-dropout", type=float, help="Dropout probability on pixels.  [default: 0]"),
    _option("--max-norm", type=float, help="Cap on incoming-weight norms; 0 = off.  [default: 0]"),
    _option("--validation", type=int,
            help="Hold out the last N training images for validation.  [default: 0]"),
    _option("--augment/--no-augment", help="Distort training images afresh each epoch."),
    _option("--shift", type=int, help="Augmentation: max shift, pixels.  [default: 2]"),
    _option("--rotation", type=float, help="Augmentation: max rotation, degrees.  [default: 10]"),
    _option("--scale", type=float, help="Augmentation: max zoom change.  [default: 0.1]"),
    _option("--shear", type=float, help="Augmentation: max shear.  [default: 0.2]"),
    _option("--elastic-alpha", type=float, help="Elastic strength; 0 = off.  [default: 34]"),
    _option("--elastic-sigma", type=float, help="Elastic smoothness, pixels.  [default: 4]"),
    _option("--patience", type=int,
            help="Early stopping: epochs without a better validation score.  [default: off]"),
    _option("--restore-best/--no-restore-best",
            help="End with the best validation epoch's weights.  [default: on]"),
    _option("--seed", type=int, help="Random seed: same seed, same bits.  [default: 0]"),
    _option("--threads", type=int,
            help="BLAS threads for matrix products.  [default: 1, or all for large products "
                 "without augmentation]"),
    _option("--data", type=click.Path(),
            help="Directory with the four MNIST-format IDX files.  [default: bundled MNIST]"),
    _option("--output", "-o", type=click.Path(dir_okay=False),
            help="Model file; history.json goes beside it.  [default: model.npz]"),
    click.option("--force", is_flag=True, default=False,
                 help="Replace the model, history.json or checkpoint of an earlier run (without "
                      "it, train refuses to: give each run its own folder with -o DIR/model.npz)."),
    _option("--checkpoint-every", type=int, help="Save a checkpoint every N epochs."),
    _option("--checkpoint", type=click.Path(dir_okay=False),
            help="Checkpoint file.  [default: checkpoint.npz beside the model]"),
    _option("--resume", type=click.Path(dir_okay=False),
            help="Continue the run saved in this checkpoint (its settings are kept)."),
    _option("--plots", type=click.Path(file_okay=False),
            help="Write the run's figures into this directory at the end."),
]


def _with_flags(flags):
    def decorate(f):
        for flag in reversed(flags):
            f = flag(f)
        return f

    return decorate


def refuse_to_replace(paths, own=()) -> None:
    """Refuse, in one line, to replace an earlier run's files (``own``: this run's, resumed).

    A run's model, history.json and checkpoint are the work of that run; the
    default name ``model.npz`` is shared by every run, so ``steepest train`` twice
    in one folder would lose the first one without a word.
    """
    mine = {Path(p).resolve() for p in own}
    for path in paths:
        if path.exists() and path.resolve() not in mine:
            raise UserError(
                f"{path} exists (an earlier run's); train into a new folder with --output/-o "
                f"(e.g. -o run2/model.npz), or replace it with --force")


def _resumed_files(resume: str, extra: dict) -> list[Path]:
    """The files a checkpoint's own run wrote: resuming it continues them."""
    files = [Path(resume)]
    if extra.get("output"):
        files += [Path(extra["output"]), Path(extra["output"]).parent / "history.json"]
    return files


def _resolve_settings(flags: dict) -> tuple[dict, dict]:
    """Merge defaults < --config file < flags; return (TrainConfig kwargs, run options)."""
    from ..training import TrainConfig

    settings: dict = {}
    if flags.get("config_file"):
        settings.update(read_config_file(flags["config_file"]))
    from_file = set(settings)
    for key, value in flags.items():
        if value is not None and key != "config_file":
            settings[key] = value
            from_file.discard(key)
    if isinstance(settings.get("hidden"), str):
        settings["hidden"] = parse_ints(settings["hidden"], "hidden")
    run_opts = {k: settings.pop(k) for k in RUN_KEYS if k in settings}
    run_opts["from_file"] = from_file  # keys whose value came from --config
    config_keys = set(TrainConfig.keys())
    return {k: v for k, v in settings.items() if k in config_keys}, run_opts


@main.command()
@_with_flags(TRAIN_FLAGS)
def train(**flags):
    """Train a network on MNIST (default: the lecture's 784-15-10 network).

    The default is the lecture's network (784-15-10 sigmoid, softmax output,
    N(0, 1) weights and biases) trained by plain gradient descent
    v <- v - lambda grad C, with our choices where the lecture gives none:
    lambda = 1, batches of 32, 40 epochs, the test set scored after each
    epoch (see TrainConfig for why).  Every flag is also a key of a --config
    TOML file; flags given on the command line override the file.  Examples:

    \b
      steepest train
      steepest train --hidden 800,800 --activation relu --init he --optimizer adamw \\
          --learning-rate 1e-3 --schedule cosine --dropout 0.2 --validation 10000 \\
          -o mlp/model.npz
      steepest train --config configs/4-mlp-dropout.toml --checkpoint-every 5 -o rung4/model.npz
      steepest train --resume rung4/checkpoint.npz

    Each run goes in its own folder: train refuses to replace an earlier run's
    model file, history.json or checkpoint (--force replaces them); resuming
    continues its own run's files.
    """
    force = flags.pop("force")
    config, opts, state, extra = _config_and_checkpoint(flags)
    files = _run_files(opts, force, extra)  # every path the run writes, checked now
    data = load_dataset(opts.get("data"))
    state = _state_for(config, data, state, opts.get("resume"))
    meta = run_meta(config, opts.get("data"), data_checksums(data))
    _announce(config, state, data, meta, opts.get("resume"))
    records = [r.to_dict() for r in state.history]
    result = _train_with_progress(config, data, state, files, meta, opts, records)
    meta["result"] = result_summary(result, len(records))
    _save_run(files, state.network, meta, records)
    figures = ""
    if opts.get("plots"):
        from ..plots import write_run_figures

        written = write_run_figures(opts["plots"], state.network, records, data[1], meta=meta)
        figures = f"; {len(written)} figures in {opts['plots']}"
    click.echo(f"done: {_final_score(result)} after {plural(len(records), 'epoch')}"
               f"{' (stopped early)' if result.stopped_early else ''} in "
               f"{sum(r['seconds'] for r in records):.1f} s of training; saved {files.output} "
               f"and {files.history}{figures}")
    if result.warning:  # a finite loss far above chance: not divergence, but said plainly
        click.echo(f"steepest: warning: {result.warning}", err=True)


def _config_and_checkpoint(flags: dict) -> tuple:
    """``(config, run options, state, checkpoint extras)``: from the flags and the
    --config file, or, with --resume, from the checkpoint, whose settings only --epochs
    may change."""
    from ..checkpoint import load_checkpoint
    from ..config import ConfigError
    from ..training import TrainConfig

    config_kwargs, opts = _resolve_settings(flags)
    resume = opts.get("resume")
    if not resume:
        try:
            return TrainConfig(**config_kwargs), opts, None, {}
        except ConfigError as exc:  # name the file when the bad value came from it
            if exc.key in opts["from_file"]:
                raise ValueError(f"{flags['config_file']}: {exc}") from None
            raise
    state, extra = load_checkpoint(resume)
    saved = state.config
    for key, value in config_kwargs.items():
        if key != "epochs" and value != getattr(saved, key):
            raise ValueError(
                f"{resume} was trained with {key}={getattr(saved, key)!r}, "
                f"not {value!r}; drop that setting to resume, or start a new run"
            )
    for key in RUN_KEYS:
        opts.setdefault(key, extra.get(key))
    return saved.replace(epochs=config_kwargs.get("epochs", saved.epochs)), opts, state, extra


class _RunFiles(NamedTuple):
    """Where a run writes: the model, history.json, the checkpoint (every N epochs)."""

    output: Path
    history: Path
    checkpoint: Path
    checkpoint_every: int


def _run_files(opts: dict, force: bool, extra: dict) -> _RunFiles:
    """Check, before any training, that every file the run writes can be written, and
    that none is an earlier run's (unless ``force``)."""
    output = writable_file(opts.get("output") or "model.npz")
    history_path = writable_file(output.parent / "history.json")
    every = opts.get("checkpoint_every") or 0
    if not isinstance(every, int) or isinstance(every, bool) or every < 0:
        raise ValueError(f"checkpoint_every must be an int >= 0, got {every!r}")
    ckpt_path = Path(opts.get("checkpoint") or output.parent / "checkpoint.npz")
    if every:
        writable_file(ckpt_path)
    resume = opts.get("resume")
    if not force:
        refuse_to_replace([output, history_path] + ([ckpt_path] if every else []),
                          own=_resumed_files(resume, extra) if resume else ())
    if opts.get("plots"):
        writable_dir(opts["plots"])
    return _RunFiles(output, history_path, ckpt_path, every)


def _state_for(config, data, state, resume: str | None):
    """A new :class:`~steepest.training.TrainState` for ``data``, or the resumed one,
    which must take ``data``'s inputs."""
    from ..training import TrainState, check_labels

    (x_train, y_train), (x_test, y_test) = data
    n_in = int(np.prod(x_train.shape[1:]))
    if state is None:
        return TrainState.new(config, n_in, check_labels(None, y_train, y_test))
    if state.network.sizes[0] != n_in:
        raise ValueError(f"{resume} expects {state.network.sizes[0]} inputs, "
                         f"the data has {n_in}")
    return state


def _announce(config, state, data, meta: dict, resume: str | None) -> None:
    """The network, the data and the settings (``config``'s), before the first epoch."""
    n_fit = data[0][0].shape[0] - config.validation
    click.echo(f"network: {state.network.describe()}")
    click.echo(
        f"data: {n_fit:,} training"
        + (f" / {config.validation:,} validation" if config.validation else "")
        + f" / {data[1][0].shape[0]:,} test images ({meta['data']}); {config.epochs} epochs, "
        f"batch {config.batch_size}, {config.optimizer} at learning rate "
        f"{config.learning_rate:g} ({config.schedule}), seed {config.seed}"
    )
    if state.epoch:
        click.echo(f"resuming after epoch {state.epoch} from {resume}")


def _train_with_progress(config, data, state, files: _RunFiles, meta: dict, opts: dict,
                         records: list):
    """:func:`steepest.training.run` with a progress bar, saving the run after every epoch.

    Saved every epoch, atomically: if a later epoch diverges or the run is interrupted,
    the last good model is on disk.  Divergence is one line naming that model; Ctrl+C
    exits with status 130.
    """
    from tqdm import tqdm

    from ..blas import limit_blas_threads
    from ..checkpoint import save_checkpoint
    from ..training import TrainingDiverged
    from ..training import run as run_training

    n_fit = data[0][0].shape[0] - config.validation
    bar = tqdm(total=-(-n_fit // config.batch_size), leave=False, disable=None, unit="batch",
               dynamic_ncols=True)

    def on_epoch(record, state):
        records.append(record.to_dict())
        bar.reset()
        _save_run(files, state.network, meta, records)
        if files.checkpoint_every and record.epoch % files.checkpoint_every == 0:
            save_checkpoint(files.checkpoint, state, {"output": str(files.output),
                                                      "data": opts.get("data"),
                                                      "plots": opts.get("plots")})
        tqdm.write(epoch_line(record, config.epochs))

    threads = blas_threads_for(config, state.network.sizes[0], opts.get("threads"))  # n_in
    try:
        with limit_blas_threads(threads):
            return run_training(config, data, state=state, on_epoch=on_epoch,
                                on_batch=lambda epoch, i, loss: bar.update(1))
    except TrainingDiverged as exc:
        kept = f"; the model of epoch {len(records)} is kept in {files.output}" if records else ""
        raise UserError(f"{exc}{kept}") from None
    except KeyboardInterrupt:
        bar.close()
        click.echo(f"interrupted; {files.output} holds the model after epoch {len(records)}",
                   err=True)
        sys.exit(130)
    finally:
        bar.close()


def _save_run(files: _RunFiles, network, meta: dict, records: list) -> None:
    """The model file (with the history in its metadata) and history.json beside it."""
    from ..modelfile import save_model

    save_model(files.output, network, {**meta, "history": records})
    write_history(files.history, records, meta)


def _final_score(result) -> str:
    """``validation accuracy 97.10% (epoch 12), test accuracy 96.88%``, or the test's only."""
    if result.validation_accuracy is None:
        return f"test accuracy {100 * result.test_accuracy:.2f}%"
    return (f"validation accuracy {100 * result.validation_accuracy:.2f}% (epoch "
            f"{result.best_epoch}), test accuracy {100 * result.test_accuracy:.2f}%")
