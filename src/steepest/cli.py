"""The ``steepest`` command line: it presents, the library computes.

User errors (bad files, bad flags, a diverging run) print one line on
stderr and exit with status 1 (2 for a malformed command line); set
``STEEPEST_DEBUG=1`` to see the traceback instead.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click
import numpy as np

from . import __version__
from . import activations as act


class UserError(click.ClickException):
    """One line on stderr, exit status 1."""

    def show(self, file=None) -> None:
        click.echo(f"steepest: error: {self.format_message()}", err=True)


class Steepest(click.Group):
    """A click group that turns library errors about user input into one line."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:  # a malformed command line: one line, exit 2
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            click.echo(f"steepest: error: {exc.format_message()}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("steepest: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)  # --help and --version return 0

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (ValueError, OSError, ArithmeticError) as exc:
            if os.environ.get("STEEPEST_DEBUG"):
                raise
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise UserError(message) from None
        except MemoryError:
            raise UserError("out of memory; try a smaller batch or network") from None


def parse_ints(value: str, what: str) -> tuple[int, ...]:
    """``"800,800"`` -> ``(800, 800)``; ``""`` -> ``()``."""
    value = value.strip()
    if not value:
        return ()
    try:
        ints = tuple(int(v) for v in value.replace(" ", "").split(","))
    except ValueError:
        raise click.BadParameter(f"{what} must be comma-separated ints, got {value!r}") from None
    if any(v < 1 for v in ints):
        raise click.BadParameter(f"{what} must be positive, got {value!r}")
    return ints


def parse_floats(value: str, what: str) -> tuple[float, ...]:
    try:
        floats = tuple(float(v) for v in value.replace(" ", "").split(","))
    except ValueError:
        raise click.BadParameter(f"{what} must be comma-separated numbers, got {value!r}") from None
    if not all(np.isfinite(floats)):
        raise click.BadParameter(f"{what} must be finite, got {value!r}")
    return floats


def load_dataset(data: str | None):
    from .datasets import mnist

    return mnist.load_data(data)


@click.group(cls=Steepest, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="steepest")
def main() -> None:
    """steepest: neural networks trained by gradient descent, from the perceptron to MNIST."""


# ---------------------------------------------------------------------------
# steepest perceptron


@main.command()
@click.option("--weights", default="1,6,3", show_default=True,
              help="Weights for (cheap, available, interested), comma-separated.")
@click.option("--threshold", "thresholds", multiple=True, type=float,
              help="Threshold t: go when w.x > t.  Repeat for several.  [default: 9 and 7]")
@click.option("--learn", type=click.Choice(["and", "or", "xor"]),
              help="Instead: learn a two-input gate with Rosenblatt's rule.")
@click.option("--max-epochs", default=25, show_default=True, type=click.IntRange(1),
              help="With --learn: passes before giving up.")
def perceptron(weights: str, thresholds: tuple[float, ...], learn: str | None,
               max_epochs: int) -> None:
    """The lecture's perceptron: "go to the game?" as a table.

    Each row is one situation x = (ticket cheap?, ticket available?,
    interested?); the perceptron goes when w.x > t (bias form: H(w.x + b),
    b = -t).
    """
    from .perceptron import game_table
    from .perceptron import learn as rosenblatt

    if learn:
        gates = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "xor": [0, 1, 1, 0]}
        x = [[0, 0], [0, 1], [1, 0], [1, 1]]
        result = rosenblatt(x, gates[learn], max_epochs=max_epochs)
        p = result.perceptron
        click.echo(f"Rosenblatt's rule on {learn.upper()}: mistakes per epoch {result.mistakes}")
        click.echo("  x1 x2  target  output")
        for xi, yi, oi in zip(x, gates[learn], p.predict(x)):
            click.echo(f"   {xi[0]}  {xi[1]}     {yi}       {oi}")
        w = ", ".join(f"{v:g}" for v in p.weights)
        if result.converged:
            click.echo(f"converged after {result.epochs} epochs: w = ({w}), b = {p.bias:g}")
        else:
            click.echo(f"not converged after {result.epochs} epochs: {learn.upper()} is not "
                       "linearly separable, so no line splits its 0s from its 1s")
        return
    w = parse_floats(weights, "--weights")
    if len(w) != 3:
        raise click.BadParameter(f"need 3 weights, got {weights!r}", param_hint="--weights")
    thresholds = thresholds or (9.0, 7.0)
    rows = game_table(w, thresholds)
    heads = [f"t={t:g}" for t in thresholds]
    click.echo(f"w = ({', '.join(f'{v:g}' for v in w)}); go when w.x > t")
    click.echo("cheap  available  interested    w.x  " + "  ".join(f"{h:>5}" for h in heads))
    for row in rows:
        c, a, i = row["x"]
        decisions = "  ".join(f"{'go' if g else '-':>5}" for g in row["go"])
        click.echo(f"{c:>5}  {a:>9}  {i:>10}  {row['wx']:>5g}  {decisions}")


# ---------------------------------------------------------------------------
# steepest train


def _write_history(path: Path, records: list[dict], meta: dict) -> None:
    from .modelfile import atomic_write_bytes

    doc = {"meta": meta, "epochs": records}
    atomic_write_bytes(path, (json.dumps(doc, indent=1) + "\n").encode())


#: Keys of a --config file beyond TrainConfig's: where data comes from and goes,
#: and a one-line description (shown by ``steepest ladder``).
RUN_KEYS = ("data", "output", "checkpoint", "checkpoint_every", "resume", "plots", "description",
            "threads")


def blas_threads_for(config, n_in: int, threads: int | None) -> int | None:
    """BLAS threads for a run: the user's choice, else :mod:`steepest.blas`'s rule.

    Augmented runs get one thread: the augmentation worker needs the other core.
    """
    from .blas import suggested_blas_threads

    if threads is not None:
        if threads < 1:
            raise ValueError(f"threads must be a positive int, got {threads!r}")
        return threads
    if config.augment:
        return 1
    return suggested_blas_threads((n_in, *config.hidden, 10), config.batch_size)


def read_config_file(path: str) -> dict:
    """A TOML file of ``steepest train`` settings, checked against the known keys."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    from .training import TrainConfig

    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise ValueError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from None
    valid = TrainConfig.keys() + list(RUN_KEYS)
    for key in doc:
        if key not in valid:
            raise ValueError(f"{path}: unknown config key {key!r}; valid keys: {', '.join(valid)}")
    return doc


def data_checksums(data) -> dict[str, str]:
    """SHA-256 of each array's bytes: which data a model was trained and tested on."""
    import hashlib

    (x, y), (xt, yt) = data
    arrays = {"x_train": x, "y_train": y, "x_test": xt, "y_test": yt}
    return {k: hashlib.sha256(np.ascontiguousarray(a).data).hexdigest() for k, a in arrays.items()}


def _option(*names, **kwargs):
    """A ``steepest train`` flag: default None, so unset flags defer to --config and defaults."""
    return click.option(*names, default=None, **kwargs)


TRAIN_FLAGS = [
    _option("--config", "config_file", type=click.Path(dir_okay=False),
            help="TOML file of settings (keys as the flags, with underscores); flags override it."),
    _option("--hidden", help="Hidden layer sizes, comma-separated (e.g. 800,800).  [default: 15]"),
    _option("--activation", type=click.Choice(list(act.HIDDEN_ACTIVATIONS)),
            help="Hidden activation.  [default: sigmoid]"),
    _option("--init", type=click.Choice(["normal", "scaled", "xavier", "glorot", "he"]),
            help="Weight init; normal is the lecture's N(0, 1).  [default: normal]"),
    _option("--epochs", type=int, help="Passes over the training set.  [default: 40]"),
    _option("--batch-size", type=int, help="Examples per gradient step.  [default: 32]"),
    _option("--learning-rate", "--lr", "learning_rate", type=float,
            help="lambda in v <- v - lambda grad C (the peak, if scheduled).  [default: 1.0]"),
    _option("--optimizer", type=click.Choice(["sgd", "momentum", "nesterov", "adam", "adamw"]),
            help="Update rule.  [default: sgd]"),
    _option("--momentum", type=float, help="mu for momentum/nesterov.  [default: 0.9]"),
    _option("--beta1", type=float, help="Adam's beta1.  [default: 0.9]"),
    _option("--beta2", type=float, help="Adam's beta2.  [default: 0.999]"),
    _option("--weight-decay", type=float, help="AdamW's decoupled weight decay.  [default: 0]"),
    _option("--schedule", type=click.Choice(["constant", "step", "cosine"]),
            help="Learning-rate schedule.  [default: constant]"),
    _option("--step-every", type=int, help="Step schedule: epochs per decay.  [default: 10]"),
    _option("--step-gamma", type=float, help="Step schedule: factor per decay.  [default: 0.1]"),
    _option("--warmup-epochs", type=float, help="Cosine schedule: warm-up epochs.  [default: 0]"),
    _option("--l2", type=float, help="L2 penalty: C += (l2/2) sum W^2.  [default: 0]"),
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


def _resolve_settings(flags: dict) -> tuple[dict, dict]:
    """Merge defaults < --config file < flags; return (TrainConfig kwargs, run options)."""
    from .training import TrainConfig

    settings: dict = {}
    if flags.get("config_file"):
        settings.update(read_config_file(flags["config_file"]))
    for key, value in flags.items():
        if value is not None and key != "config_file":
            settings[key] = value
    if isinstance(settings.get("hidden"), str):
        settings["hidden"] = parse_ints(settings["hidden"], "hidden")
    run_opts = {k: settings.pop(k) for k in RUN_KEYS if k in settings}
    config_keys = set(TrainConfig.keys())
    return {k: v for k, v in settings.items() if k in config_keys}, run_opts


@main.command()
@_with_flags(TRAIN_FLAGS)
def train(**flags):
    """Train a network on MNIST (default: the lecture's 784-15-10 network, plain SGD).

    Every flag is also a key of a --config TOML file; flags given on the
    command line override the file.  Examples:

    \b
      steepest train
      steepest train --hidden 800,800 --activation relu --init he --optimizer adamw \\
          --learning-rate 1e-3 --schedule cosine --dropout 0.2 --validation 10000
      steepest train --config configs/mlp.toml --checkpoint-every 5
      steepest train --resume checkpoint.npz
    """
    from tqdm import tqdm

    from .blas import limit_blas_threads
    from .checkpoint import load_checkpoint, save_checkpoint
    from .modelfile import save_model
    from .training import TrainConfig, TrainingDiverged, TrainState
    from .training import run as run_training

    config_kwargs, opts = _resolve_settings(flags)
    resume = opts.get("resume")
    state = None
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
        config = TrainConfig(**config_kwargs)
    output = Path(opts.get("output") or "model.npz")
    history_path = output.parent / "history.json"
    every = opts.get("checkpoint_every") or 0
    if every < 0:
        raise ValueError(f"checkpoint_every must be >= 0, got {every!r}")
    ckpt_path = Path(opts.get("checkpoint") or output.parent / "checkpoint.npz")

    data = load_dataset(opts.get("data"))
    (x_train, y_train), (x_test, y_test) = data
    n_in = int(np.prod(x_train.shape[1:]))
    if state is None:
        state = TrainState.new(config, n_in, 10)
    elif state.network.sizes[0] != n_in:
        raise ValueError(f"{resume} expects {state.network.sizes[0]} inputs, "
                         f"the data has {n_in}")
    output.parent.mkdir(parents=True, exist_ok=True)
    net = state.network
    meta = {
        "config": config.to_dict(),
        "seed": config.seed,
        "version": __version__,
        "data": str(opts.get("data") or "bundled MNIST"),
        "data_sha256": data_checksums(data),
    }
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
        _write_history(history_path, records, meta)
        if every and record.epoch % every == 0:
            save_checkpoint(ckpt_path, state, {"output": str(output), "data": opts.get("data"),
                                               "plots": opts.get("plots")})
        score = (f"validation accuracy {100 * record.extra['val_accuracy']:.2f}%"
                 if "val_accuracy" in record.extra
                 else f"test accuracy {100 * record.test_accuracy:.2f}%")
        tqdm.write(f"epoch {record.epoch:>3}/{config.epochs}  train loss {record.train_loss:.4f}  "
                   f"{score}  {record.seconds:.2f} s")

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
    summary = {"test_accuracy": result.test_accuracy,
               "validation_accuracy": result.validation_accuracy,
               "best_epoch": result.best_epoch, "stopped_early": result.stopped_early,
               "epochs_run": len(records)}
    meta["result"] = summary
    save_model(output, net, {**meta, "history": records})
    _write_history(history_path, records, meta)
    figures = ""
    if opts.get("plots"):
        from .plots import write_run_figures

        written = write_run_figures(opts["plots"], net, records, (x_test, y_test), meta=meta)
        figures = f"; {len(written)} figures in {opts['plots']}"
    seconds = sum(r["seconds"] for r in records)
    if result.validation_accuracy is not None:
        score = (f"validation accuracy {100 * result.validation_accuracy:.2f}% (epoch "
                 f"{result.best_epoch}), test accuracy {100 * result.test_accuracy:.2f}%")
    else:
        score = f"test accuracy {100 * result.test_accuracy:.2f}%"
    stopped = " (stopped early)" if result.stopped_early else ""
    click.echo(f"done: {score} after {len(records)} epochs{stopped} in {seconds:.1f} s of "
               f"training; saved {output} and {history_path}{figures}")


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

    from .blas import limit_blas_threads
    from .ladder import Rung, bundled_configs, climb, markdown_table
    from .modelfile import atomic_write_bytes, save_model

    paths = [Path(c) for c in configs] or bundled_configs()
    if rungs:
        wanted = parse_ints(rungs, "--rungs")
        paths = [p for p in paths if p.stem.split("-")[0].isdigit()
                 and int(p.stem.split("-")[0]) in wanted]
        if not paths:
            raise ValueError(f"no bundled rung numbered {rungs!r}")
    ladder_rungs = [Rung.from_file(p, read_config_file) for p in paths]
    data_arrays = load_dataset(data)
    models_dir = Path(models)
    models_dir.mkdir(parents=True, exist_ok=True)
    done = []

    def on_rung(rung):
        tqdm.write(f"rung {rung.name}: {rung.description}")

    def on_epoch(rung, record):
        tqdm.write(f"  epoch {record.epoch:>3}/{rung.config.epochs}  train loss "
                   f"{record.train_loss:.4f}  validation accuracy "
                   f"{100 * record.extra['val_accuracy']:.2f}%  {record.seconds:.1f} s")

    def on_result(row):
        done.append(row)
        save_model(models_dir / f"{row.rung.name}.npz", row.result.network, {
            "config": row.rung.config.to_dict(), "version": __version__,
            "history": [r.to_dict() for r in row.result.history],
            "result": {"test_accuracy": row.result.test_accuracy,
                       "validation_accuracy": row.result.validation_accuracy,
                       "best_epoch": row.result.best_epoch},
        })
        atomic_write_bytes(output, (markdown_table(done) + "\n").encode())
        tqdm.write(f"  -> validation {100 * row.result.validation_accuracy:.2f}%, test "
                   f"{100 * row.result.test_accuracy:.2f}%, {row.result.seconds:.0f} s")

    n_in = int(data_arrays[0][0][0].size)
    for rung in ladder_rungs:  # one at a time: each rung gets its own BLAS thread count
        with limit_blas_threads(blas_threads_for(rung.config, n_in, threads)):
            climb([rung], data_arrays, on_rung=on_rung, on_epoch=on_epoch, on_result=on_result)
    click.echo(markdown_table(done))
    click.echo(f"wrote {output} and {len(done)} models in {models_dir}")


# ---------------------------------------------------------------------------
# steepest evaluate


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--data", type=click.Path(), default=None,
              help="Directory with MNIST-format IDX files (default: bundled MNIST).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead.")
def evaluate(model, data, as_json):
    """Accuracy, per-digit accuracy and confusion matrix of MODEL on the test set."""
    from .modelfile import load_model

    net, _ = load_model(model)
    _, (x_test, y_test) = load_dataset(data)
    if int(np.prod(x_test.shape[1:])) != net.sizes[0]:
        raise ValueError(f"{model} expects {net.sizes[0]} inputs, images have "
                         f"{int(np.prod(x_test.shape[1:]))} pixels")
    from .metrics import confusion_matrix

    k = net.sizes[-1]
    confusion = confusion_matrix(y_test, net.predict(x_test), k)  # rows: true, cols: predicted
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    accuracy = float(confusion.trace() / confusion.sum())
    if as_json:
        click.echo(json.dumps({
            "accuracy": accuracy,
            "per_class_accuracy": [float(v) for v in per_class],
            "confusion": confusion.tolist(),
            "n": int(confusion.sum()),
        }))
        return
    click.echo(f"{model}: {net.describe()}")
    click.echo(f"test accuracy: {100 * accuracy:.2f}% ({confusion.trace():,} of "
               f"{confusion.sum():,})")
    click.echo("per digit: " + "  ".join(f"{d}: {100 * a:.1f}%" for d, a in enumerate(per_class)))
    click.echo("confusion matrix (rows: true digit, columns: predicted):")
    click.echo("      " + "".join(f"{d:>6}" for d in range(k)))
    for d in range(k):
        click.echo(f"{d:>6}" + "".join(f"{v:>6}" for v in confusion[d]))


# ---------------------------------------------------------------------------
# steepest predict


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.argument("images", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per image, in a list.")
def predict(model, images, as_json):
    """Classify drawn digits (PNG/JPEG, dark-on-light or light-on-dark).

    Each image is preprocessed like MNIST: grayscale, inverted if needed,
    cropped to the ink, fit into 20x20, centred by mass in 28x28.
    """
    from .modelfile import load_model
    from .preprocess import preprocess_file

    net, _ = load_model(model)
    if net.sizes[0] != 784:
        raise ValueError(f"{model} expects {net.sizes[0]} inputs, not 28x28 = 784 pixels")
    x = np.stack([preprocess_file(p).reshape(784) for p in images])  # all read before output
    probs = net.predict_proba(x)  # (n_images, 10)
    results = [
        {"image": str(p), "digit": int(pr.argmax()), "probabilities": [float(v) for v in pr]}
        for p, pr in zip(images, probs)
    ]
    if as_json:
        click.echo(json.dumps(results))
        return
    for r in results:
        ps = "  ".join(f"{d}:{v:.3f}" for d, v in enumerate(r["probabilities"]))
        click.echo(f"{r['image']}: {r['digit']} ({100 * r['probabilities'][r['digit']]:.1f}%)  "
                   f"[{ps}]")


# ---------------------------------------------------------------------------
# steepest gradcheck


@main.command()
@click.option("--hidden", default="15", show_default=True, help="Hidden layer sizes.")
@click.option("--activation", default="sigmoid", show_default=True,
              type=click.Choice(list(act.HIDDEN_ACTIVATIONS)))
@click.option("--samples", default=8, show_default=True, type=click.IntRange(1, 1000),
              help="MNIST training images in the mini-batch.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--eps", default=1e-6, show_default=True, type=click.FloatRange(min=0, min_open=True))
def gradcheck(hidden, activation, samples, seed, eps):
    """Compare backprop with central finite differences (float64).

    Default: the lecture's 784-15-10 network, every one of its 11,935
    parameters, on a mini-batch of MNIST digits.
    """
    from .datasets import mnist
    from .gradcheck import check_network
    from .network import Network

    (x, y), _ = mnist.load_data()
    rng = np.random.default_rng(seed)
    idx = rng.choice(x.shape[0], samples, replace=False)
    xb = x[idx].reshape(samples, -1).astype(np.float64) / 255
    net = Network((784, *parse_ints(hidden, "--hidden"), 10), activation=activation, rng=rng,
                  dtype=np.float64)
    click.echo(f"network: {net.describe()}; {samples} MNIST images; float64; eps = {eps:g}")
    t0 = time.perf_counter()
    results = check_network(net, xb, y[idx], eps=eps)
    click.echo(f"{'param':<6} {'shape':<12} {'max |backprop|':>15} {'max |diff|':>12} "
               f"{'rel. error':>11}")
    for r in results:
        click.echo(f"{r.name:<6} {str(r.shape):<12} {r.max_abs_grad:>15.3e} "
                   f"{r.max_abs_diff:>12.3e} {r.relative_error:>11.2e}  "
                   f"{'ok' if r.ok() else 'FAIL'}")
    worst = max(r.relative_error for r in results)
    n = sum(int(np.prod(r.shape)) for r in results)
    verdict = "backprop agrees" if worst < 1e-6 else "MISMATCH"
    click.echo(f"{verdict}: {n:,} parameters, worst relative error {worst:.2e} "
               f"(tolerance 1e-6), {time.perf_counter() - t0:.1f} s")
    if worst >= 1e-6:
        sys.exit(1)


# ---------------------------------------------------------------------------
# steepest serve


@main.command()
@click.argument("model", required=False, type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default is reachable from this machine only.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one.")
def serve(model, host, port):
    """The web lab: draw a digit, look inside the network, watch it learn.

    Serves MODEL (a .npz from `steepest train`); without one, the lecture's
    784-15-10 network is trained in the background first, its progress on the
    page.  Needs Flask: pip install 'steepest[web]'.
    """
    import signal

    try:
        from .web.app import create_app
        from .web.server import make_server
    except ImportError as exc:
        raise UserError(f"the web lab needs Flask ({exc}); pip install 'steepest[web]'") from None

    app = create_app(model)
    lab = app.extensions["steepest_lab"]
    try:
        server = make_server(app, host, port)
    except OSError as exc:
        lab.close()
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                        "(try another --port, or --port 0 for a free one)") from None
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"steepest web lab: http://{shown}:{server.port}/  (Ctrl+C to stop)")
    if model is None:
        click.echo("no model given: training the lecture's network first; the page shows progress")

    def stop(signum, frame):  # `kill` stops the server as cleanly as Ctrl+C does
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        lab.close()


# ---------------------------------------------------------------------------
# steepest plot


@main.group()
def plot() -> None:
    """Draw the lecture's figures from real numbers, as PNG or SVG.

    Each command writes one figure (--output/-o FILE, .png or .svg) and prints
    its name.  Needs matplotlib: pip install 'steepest[plots]'.
    """


def _plots(output: str):
    """Import steepest.plots (and so matplotlib) and check the output's suffix first."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UserError("the plot commands need matplotlib; "
                        "pip install 'steepest[plots]'") from None
    from . import plots

    plots.figure_format(output)  # a bad suffix fails before any work is done
    return plots


def _output(default: str):
    return click.option("--output", "-o", type=click.Path(dir_okay=False), default=default,
                        show_default=True, help="The figure file: .png or .svg.")


def _data_option():
    return click.option("--data", type=click.Path(), default=None,
                        help="Directory with MNIST-format IDX files (default: bundled MNIST).")


def _save(plots, fig, output) -> None:
    click.echo(f"wrote {plots.save(fig, output)}")


def _model_and_test_set(model: str, data: str | None):
    from .modelfile import load_model

    net, _ = load_model(model)  # before the data, so a bad model file fails fast
    _, (x_test, y_test) = load_dataset(data)
    return net, x_test, y_test


@plot.command("activations")
@_output("activations.png")
def plot_activations(output):
    """Step, ReLU, softplus and sigmoid, each with its derivative."""
    plots = _plots(output)
    _save(plots, plots.activations_figure(), output)


@plot.command("nll")
@_output("nll.png")
def plot_nll(output):
    """The cost of one example, -log(o), for o in (0, 1]."""
    plots = _plots(output)
    _save(plots, plots.nll_figure(), output)


@plot.command("descent")
@click.option("--surface", default="valley", show_default=True,
              help="The cost C(v1, v2): bowl, valley, saddle or rosenbrock.")
@click.option("--start", default=None, help="Start point X,Y.  [default: the surface's own]")
@click.option("--lrs", default=None,
              help="1 to 5 learning rates, comma-separated.  [default: a too-small, a good "
                   "and a too-large one for the surface]")
@click.option("--steps", default=None, type=click.IntRange(1, 100_000),
              help="Steps per path.  [default: depends on the surface]")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="The figure file: .png or .svg.  [default: descent-SURFACE.png]")
def plot_descent(surface, start, lrs, steps, output):
    """Gradient descent v <- v - lambda grad C(v) on a cost of two variables.

    Left, the contour plot with one path per learning rate; right, C after
    each step.  Try --surface rosenbrock, or --lrs 0.1,0.45,0.55 on the valley.
    """
    from .descent import get_surface

    s = get_surface(surface)  # an unknown name: one line, exit 1
    output = output or f"descent-{s.name}.png"
    plots = _plots(output)
    point = None
    if start is not None:
        point = parse_floats(start, "--start")
        if len(point) != 2:
            raise click.BadParameter(f"need two numbers X,Y, got {start!r}", param_hint="--start")
    rates = parse_floats(lrs, "--lrs") if lrs is not None else None
    _save(plots, plots.descent_figure(s, point, rates, steps), output)


@plot.command("history")
@click.argument("history_json", type=click.Path(dir_okay=False))
@_output("history.png")
def plot_history(history_json, output):
    """Loss and accuracy per epoch from a run's HISTORY_JSON (from `steepest train`)."""
    plots = _plots(output)
    records, meta = plots.load_history(history_json)
    _save(plots, plots.history_figure(records, meta), output)


@plot.command("confusion")
@click.argument("model", type=click.Path(dir_okay=False))
@_data_option()
@_output("confusion.png")
def plot_confusion(model, data, output):
    """MODEL's confusion matrix on the test set: true digit against prediction."""
    plots = _plots(output)
    net, x_test, y_test = _model_and_test_set(model, data)
    _save(plots, plots.confusion_figure(net, x_test, y_test), output)


@plot.command("weights")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--units", default=30, show_default=True, type=click.IntRange(1),
              help="Draw at most this many units (the first ones).")
@_output("weights.png")
def plot_weights(model, units, output):
    """Each first-layer unit's 784 incoming weights as a 28x28 image."""
    from .modelfile import load_model

    plots = _plots(output)
    net, _ = load_model(model)
    _save(plots, plots.weights_figure(net, max_units=units), output)


@plot.command("mistakes")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--count", default=24, show_default=True, type=click.IntRange(1, 200),
              help="How many misclassified digits to show.")
@_data_option()
@_output("mistakes.png")
def plot_mistakes(model, count, data, output):
    """Test digits MODEL gets wrong, most confident first: label, prediction, confidence."""
    plots = _plots(output)
    net, x_test, y_test = _model_and_test_set(model, data)
    _save(plots, plots.mistakes_figure(net, x_test, y_test, count=count), output)


@plot.command("inside")
@click.argument("model", type=click.Path(dir_okay=False))
@click.argument("image", type=click.Path(dir_okay=False))
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="The figure file: .png or .svg.  [default: inside-IMAGE.png]")
def plot_inside(model, image, output):
    """IMAGE through MODEL: the input after preprocessing, hidden activations, outputs."""
    from .modelfile import load_model
    from .preprocess import load_image, to_mnist

    output = output or f"inside-{Path(image).stem}.png"
    plots = _plots(output)
    net, _ = load_model(model)
    original = load_image(image)
    fig = plots.inside_figure(net, to_mnist(original), original, title=Path(image).name)
    _save(plots, fig, output)


if __name__ == "__main__":
    main()
