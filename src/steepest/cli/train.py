"""``steepest train`` and ``steepest ladder``: flags, config files, checkpoints."""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
    from tqdm import tqdm

    from ..blas import limit_blas_threads
    from ..checkpoint import load_checkpoint, save_checkpoint
    from ..config import ConfigError
    from ..modelfile import save_model
    from ..training import TrainConfig, TrainingDiverged, TrainState, check_labels
    from ..training import run as run_training

    force = flags.pop("force")
    config_kwargs, opts = _resolve_settings(flags)
    resume = opts.get("resume")
    state, extra = None, {}
    if resume:
        state, extra = load_checkpoint(resume)
        saved = state.config
        for key, value in config_kwargs.items():
            if key != "epochs" and value != getattr(saved, key):
                raise ValueError(
                    f"{resume} was trained with {key}={getattr(saved, key)!r}, "
                    f"not {value!r}; drop that setting to resume, or start a new run"
                )
        config = saved.replace(epochs=config_kwargs.get("epochs", saved.epochs))
        for key in RUN_KEYS:
            opts.setdefault(key, extra.get(key))
    else:
        try:
            config = TrainConfig(**config_kwargs)
        except ConfigError as exc:  # name the file when the bad value came from it
            if exc.key in opts["from_file"]:
                raise ValueError(f"{flags['config_file']}: {exc}") from None
            raise
    # Every path the run will write is checked now, not after the run.
    output = writable_file(opts.get("output") or "model.npz")
    history_path = writable_file(output.parent / "history.json")
    every = opts.get("checkpoint_every") or 0
    if not isinstance(every, int) or isinstance(every, bool) or every < 0:
        raise ValueError(f"checkpoint_every must be an int >= 0, got {every!r}")
    ckpt_path = Path(opts.get("checkpoint") or output.parent / "checkpoint.npz")
    if every:
        writable_file(ckpt_path)
    if not force:
        refuse_to_replace([output, history_path] + ([ckpt_path] if every else []),
                          own=_resumed_files(resume, extra) if resume else ())
    if opts.get("plots"):
        writable_dir(opts["plots"])

    data = load_dataset(opts.get("data"))
    (x_train, y_train), (x_test, y_test) = data
    n_in = int(np.prod(x_train.shape[1:]))
    if state is None:
        state = TrainState.new(config, n_in, check_labels(None, y_train, y_test))
    elif state.network.sizes[0] != n_in:
        raise ValueError(f"{resume} expects {state.network.sizes[0]} inputs, "
                         f"the data has {n_in}")
    net = state.network
    meta = run_meta(config, opts.get("data"), data_checksums(data))
    n_fit = x_train.shape[0] - config.validation
    click.echo(f"network: {net.describe()}")
    click.echo(
        f"data: {n_fit:,} training"
        + (f" / {config.validation:,} validation" if config.validation else "")
        + f" / {x_test.shape[0]:,} test images ({meta['data']}); {config.epochs} epochs, "
        f"batch {config.batch_size}, {config.optimizer} at learning rate "
        f"{config.learning_rate:g} ({config.schedule}), seed {config.seed}"
    )
    if state.epoch:
        click.echo(f"resuming after epoch {state.epoch} from {resume}")

    bar = tqdm(total=-(-n_fit // config.batch_size), leave=False, disable=None, unit="batch",
               dynamic_ncols=True)
    records = [r.to_dict() for r in state.history]

    def on_batch(epoch, i, loss):
        bar.update(1)

    def on_epoch(record, state):
        records.append(record.to_dict())
        bar.reset()
        # Saved every epoch, atomically: if a later epoch diverges or the run
        # is interrupted, the last good model is on disk.
        save_model(output, net, {**meta, "history": records})
        write_history(history_path, records, meta)
        if every and record.epoch % every == 0:
            save_checkpoint(ckpt_path, state, {"output": str(output), "data": opts.get("data"),
                                               "plots": opts.get("plots")})
        tqdm.write(epoch_line(record, config.epochs))

    threads = blas_threads_for(config, n_in, opts.get("threads"))
    try:
        with limit_blas_threads(threads):
            result = run_training(config, data, state=state, on_batch=on_batch,
                                  on_epoch=on_epoch)
    except TrainingDiverged as exc:
        bar.close()
        kept = f"; the model of epoch {len(records)} is kept in {output}" if records else ""
        raise UserError(f"{exc}{kept}") from None
    except KeyboardInterrupt:
        bar.close()
        click.echo(f"interrupted; {output} holds the model after epoch {len(records)}", err=True)
        sys.exit(130)
    bar.close()
    meta["result"] = result_summary(result, len(records))
    save_model(output, net, {**meta, "history": records})
    write_history(history_path, records, meta)
    figures = ""
    if opts.get("plots"):
        from ..plots import write_run_figures

        written = write_run_figures(opts["plots"], net, records, (x_test, y_test), meta=meta)
        figures = f"; {len(written)} figures in {opts['plots']}"
    seconds = sum(r["seconds"] for r in records)
    if result.validation_accuracy is not None:
        score = (f"validation accuracy {100 * result.validation_accuracy:.2f}% (epoch "
                 f"{result.best_epoch}), test accuracy {100 * result.test_accuracy:.2f}%")
    else:
        score = f"test accuracy {100 * result.test_accuracy:.2f}%"
    stopped = " (stopped early)" if result.stopped_early else ""
    click.echo(f"done: {score} after {plural(len(records), 'epoch')}{stopped} in "
               f"{seconds:.1f} s of training; saved {output} and {history_path}{figures}")
    if result.warning:  # a finite loss far above chance: not divergence, but said plainly
        click.echo(f"steepest: warning: {result.warning}", err=True)


# ---------------------------------------------------------------------------
# steepest ladder


@main.command()
@click.argument("configs", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--rungs", help="Only these bundled rungs, by number (e.g. 1,2).")
@click.option("--data", type=click.Path(), default=None,
              help="Directory with MNIST-format IDX files (default: bundled MNIST).")
@click.option("--models", type=click.Path(file_okay=False), default="ladder", show_default=True,
              help="Directory for each rung's model file.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="ladder.md",
              show_default=True, help="Markdown table of the results.")
@click.option("--threads", type=int, default=None,
              help="BLAS threads.  [default: chosen per rung, as for train]")
def ladder(configs, rungs, data, models, output, threads):
    """Train the accuracy ladder, rung by rung, and write a Markdown table.

    With no CONFIGS, the bundled rungs (configs/*.toml) from the lecture's
    network to an augmented MLP.  Each rung selects its epoch on the last
    10,000 training images and is scored once on the test set.  The full
    ladder takes tens of minutes; try --rungs 1,2 first.
    """
    from tqdm import tqdm

    from ..blas import limit_blas_threads
    from ..ladder import Rung, bundled_configs, climb, environment_note, markdown_table, percent
    from ..machine import blas_pool_threads, describe_machine
    from ..modelfile import atomic_write_bytes, save_model

    paths = [Path(c) for c in configs] or bundled_configs()
    if rungs:
        wanted = parse_ints(rungs, "--rungs")
        paths = [p for p in paths if p.stem.split("-")[0].isdigit()
                 and int(p.stem.split("-")[0]) in wanted]
        if not paths:
            raise ValueError(f"no bundled rung numbered {rungs!r}")
    # Every rung file, the data and the output paths are checked before any training.
    ladder_rungs = [Rung.from_file(p, read_config_file) for p in paths]
    output = writable_file(output)
    models_dir = writable_dir(models)
    data_arrays = load_dataset(data)
    n_train = len(data_arrays[0][0])
    for rung in ladder_rungs:
        if rung.config.validation >= n_train:
            raise ValueError(f"rung {rung.name}: validation {rung.config.validation:,} must be "
                             f"smaller than the {n_train:,} training images")
    checksums = data_checksums(data_arrays)
    done = []

    machine, threads_used = describe_machine(), {}  # threads: filled as each rung starts

    def table() -> str:  # the results so far, and where they were measured
        return markdown_table(done) + "\n\n" + environment_note(machine, threads_used)

    def on_rung(rung):
        tqdm.write(f"rung {rung.name}: {rung.description}")

    def on_epoch(rung, record):
        tqdm.write("  " + epoch_line(record, rung.config.epochs))

    def on_result(row):
        done.append(row)
        history = [r.to_dict() for r in row.result.history]
        save_model(models_dir / f"{row.rung.name}.npz", row.result.network, {
            **run_meta(row.rung.config, data, checksums), "history": history,
            "result": result_summary(row.result, len(history)),
        })
        atomic_write_bytes(output, (table() + "\n").encode())
        tqdm.write(f"  -> validation {percent(row.result.validation_accuracy)}, test "
                   f"{percent(row.result.test_accuracy)}, {row.result.seconds:.0f} s")
        if row.result.warning:
            click.echo(f"steepest: warning: rung {row.rung.name}: {row.result.warning}", err=True)

    n_in = int(data_arrays[0][0][0].size)
    for rung in ladder_rungs:  # one at a time: each rung gets its own BLAS thread count
        with limit_blas_threads(blas_threads_for(rung.config, n_in, threads)):
            threads_used[rung.name] = blas_pool_threads()
            climb([rung], data_arrays, on_rung=on_rung, on_epoch=on_epoch, on_result=on_result)
    click.echo(table())
    click.echo(f"wrote {output} and {plural(len(done), 'model')} in {models_dir}")
