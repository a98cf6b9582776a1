"""Every hyperparameter of a training run, in one checked dataclass.

:class:`TrainConfig` is what ``steepest train`` flags, ``--config`` TOML files,
the web lab's training form and a model file's recorded settings all turn
into.  Its values are checked by type as well as range, because a config file
can say anything: ``augment = "no"`` is a string, not a boolean (and a
non-empty string would act as true), and ``hidden = [15.7]`` is not a layer
size.  Each refusal is one line naming the key, the value and what was
expected.  :func:`read_config_toml` reads such a file (:func:`read_toml`, any
TOML file), with one-line errors too.
"""

from __future__ import annotations

import codecs
import dataclasses
import os
import re
from dataclasses import asdict, dataclass

import numpy as np

from . import schedules
from .activations import HIDDEN_ACTIVATIONS
from .network import INITS
from .optimizers import OPTIMIZERS


class ConfigError(ValueError):
    """A bad setting; ``key`` names it, so callers can say which file it came from."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass
class TrainConfig:
    """Every hyperparameter of a training run, in one place.

    The defaults are the lecture's network (784-15-10 sigmoid, softmax output,
    every weight and bias from N(0, 1)) trained by plain gradient descent
    ``v <- v - lambda grad C``, with choices the lecture leaves open, which are
    ours:

    * lambda = 1: in 10-epoch runs at batch 32 it learned about as fast as any
      we tried (0.1 crawls, 10 is erratic);
    * batches of 32: a common size; 1,875 steps per epoch, each one small
      matrix product per layer;
    * 40 epochs: the test accuracy has levelled off near 93.5 % by then, in
      about 5 s on 2 cores;
    * no validation split, so the test set is scored after each epoch, to watch
      it learn (choose epochs or settings on a validation split instead).

    Each field is also a ``steepest train`` flag (``--batch-size`` for
    ``batch_size``) and a key of a ``--config`` TOML file.

    >>> TrainConfig(hidden=[800, 800], activation="relu").hidden
    (800, 800)
    >>> TrainConfig(augment="no")
    Traceback (most recent call last):
    ...
    steepest.config.ConfigError: augment must be true or false (a boolean), got 'no' (a str)
    """

    # -- the network
    hidden: tuple[int, ...] = (15,)  # hidden layer sizes; (15,) is the lecture's 784-15-10
    activation: str = "sigmoid"  # hidden activation: sigmoid, tanh, relu, softplus
    init: str = "normal"  # weight init: the lecture's N(0, 1), or scaled/xavier/he
    # -- the descent
    epochs: int = 40  # passes over the training images (40: ours, the lecture gives none)
    batch_size: int = 32  # examples per gradient step (32: ours, the lecture has no batches)
    learning_rate: float = 1.0  # lambda in v <- v - lambda * grad C (peak if scheduled); 1: ours
    optimizer: str = "sgd"  # sgd, momentum, nesterov, adam, adamw
    momentum: float = 0.9  # mu for momentum / nesterov
    beta1: float = 0.9  # Adam's decay of the gradient average
    beta2: float = 0.999  # Adam's decay of the squared-gradient average
    weight_decay: float = 0.0  # AdamW's decoupled decay of the weights W (not biases); adamw only
    schedule: str = "constant"  # learning-rate schedule: constant, step, cosine
    step_every: int = 10  # step schedule: epochs between decays
    step_gamma: float = 0.1  # step schedule: factor per decay
    warmup_epochs: float = 0.0  # cosine schedule: linear warm-up length, in epochs
    # -- regularisation
    l2: float = 0.0  # L2 penalty on the weights W (not biases): C += (l2 / 2) * sum W^2
    dropout: float = 0.0  # dropout probability on hidden units
    input_dropout: float = 0.0  # dropout probability on input pixels
    max_norm: float = 0.0  # cap on each unit's incoming-weight norm; 0 = off
    # -- data
    validation: int = 0  # hold out the last N training images (Nielsen: 10000); 0: ours, none
    augment: bool = False  # distort the training images afresh every epoch
    shift: int = 2  # augmentation: max translation, pixels
    rotation: float = 10.0  # augmentation: max rotation, degrees
    scale: float = 0.1  # augmentation: zoom in [1 - scale, 1 + scale]
    shear: float = 0.2  # augmentation: max horizontal shear
    elastic_alpha: float = 34.0  # augmentation: elastic strength (Simard 2003); 0 = off
    elastic_sigma: float = 4.0  # augmentation: elastic smoothness, pixels
    # -- model selection (validation only)
    patience: int = 0  # stop after this many epochs without a better validation score; 0 = off
    restore_best: bool = True  # end with the weights of the best validation epoch
    seed: int = 0  # one seed for init, shuffling and dropout: same seed, same bits

    def __post_init__(self) -> None:
        self.hidden = _layer_sizes(self.hidden)
        for name, choices in _CHOICES.items():
            _choice(name, getattr(self, name), choices)
        for name in _BOOLS:
            value = getattr(self, name)
            if not isinstance(value, (bool, np.bool_)):
                raise ConfigError(name, f"{name} must be true or false (a boolean), "
                                        f"got {_show(value)}")
            setattr(self, name, bool(value))
        for name, low in _INTS.items():
            value = getattr(self, name)
            if not is_int(value) or value < low:
                kind = "a positive int" if low else "an int >= 0"
                raise ConfigError(name, f"{name} must be {kind}, got {_show(value)}")
            setattr(self, name, int(value))
        for name, (low, high, what) in _FLOATS.items():
            value = getattr(self, name)
            ok = is_number(value) and (value > low if what == "positive" else value >= low)
            if not ok or (high is not None and not value < high):
                raise ConfigError(name, f"{name} must be {_FLOAT_KINDS[what]}, "
                                        f"got {_show(value)}")
            setattr(self, name, float(value))
        if self.step_gamma > 1:
            raise ConfigError("step_gamma", f"step_gamma must be in (0, 1], "
                                            f"got {self.step_gamma!r}")
        if self.weight_decay and self.optimizer != "adamw":
            raise ConfigError(
                "weight_decay",
                f"weight_decay {self.weight_decay:g} needs optimizer 'adamw' (decoupled decay), "
                f"not {self.optimizer!r}; with {self.optimizer} use l2 (a penalty in the loss)"
            )
        if self.patience and not self.validation:
            raise ConfigError("patience",
                              "patience (early stopping) needs a validation split: set validation")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """Build from a dict (a config file, a model file); unknown keys are an error."""
        unknown = sorted(set(d) - set(cls.keys()))
        if unknown:
            raise ConfigError(
                unknown[0],
                f"unknown config key {unknown[0]!r}; valid keys: {', '.join(cls.keys())}",
            )
        return cls(**d)

    def replace(self, **changes) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def augment_config(self):
        """The :class:`steepest.augment.AugmentConfig` these fields describe."""
        from .augment import AugmentConfig

        return AugmentConfig(
            shift=self.shift, rotation=self.rotation, scale=self.scale, shear=self.shear,
            elastic_alpha=self.elastic_alpha, elastic_sigma=self.elastic_sigma,
        )


# What each field holds: these tables drive TrainConfig's checks.
_CHOICES = {"activation": HIDDEN_ACTIVATIONS, "init": tuple(INITS),
            "optimizer": tuple(OPTIMIZERS), "schedule": schedules.SCHEDULES}
_BOOLS = ("augment", "restore_best")
#: int fields -> smallest allowed value
_INTS = {"epochs": 1, "batch_size": 1, "step_every": 1,
         "validation": 0, "patience": 0, "seed": 0, "shift": 0}
#: float fields -> (lower bound, upper bound (exclusive) or None, kind)
_FLOATS = {
    "learning_rate": (0, None, "positive"), "step_gamma": (0, None, "positive"),
    **{name: (0, None, "non-negative") for name in (
        "weight_decay", "l2", "max_norm", "warmup_epochs", "rotation", "scale", "shear",
        "elastic_alpha", "elastic_sigma")},
    **{name: (0, 1, "fraction") for name in (
        "dropout", "input_dropout", "momentum", "beta1", "beta2")},
}
_FLOAT_KINDS = {"positive": "a positive number", "non-negative": "a number >= 0",
                "fraction": "a number in [0, 1)"}


def _show(value) -> str:
    """``'no' (a str)``: a bad value and its type, for error messages."""
    return f"{value!r} (a {type(value).__name__})"


def _choice(name: str, value, choices) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(name, f"unknown {name} {value!r}; choose one of: {', '.join(choices)}")


def is_int(value) -> bool:
    """An int (Python's or NumPy's), not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value) -> bool:
    """A finite int or float (Python's or NumPy's), not a bool.

    Python's ints are finite at any size (``np.isfinite`` cannot take one of
    2**64 or more), so only floats are asked.
    """
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    return isinstance(value, (float, np.floating)) and bool(np.isfinite(value))


def _layer_sizes(hidden) -> tuple[int, ...]:
    """``hidden`` as a tuple of positive ints: an int, or a list or tuple of them."""
    if is_int(hidden):
        hidden = (hidden,)
    if not isinstance(hidden, (list, tuple)):
        raise ConfigError("hidden", f"hidden must be a list of positive ints, got {_show(hidden)}")
    for h in hidden:
        if not is_int(h):
            raise ConfigError("hidden", f"hidden must be a list of positive ints, "
                                        f"got {list(hidden)!r}: {_show(h)}")
        if h < 1:
            raise ConfigError("hidden", f"hidden sizes must be positive ints, "
                                        f"got {list(hidden)!r}")
    return tuple(int(h) for h in hidden)


# ---------------------------------------------------------------------------
# Config files


#: The largest TOML file read: a hand-written config or space is a few hundred bytes, and
#: a sweep space's 10,000 values of a list about 100 KB.
MAX_TOML_BYTES = 256 * 1024
#: Most parts of a dotted key or table name (``a.b.c`` has 3): tomllib's work grows with
#: the square of a key's parts (2,000 parts took 18 MB, 20,000 took 1.6 GB).
MAX_KEY_PARTS = 32
#: Text that cannot be part of a dotted key: a key's parts are what lies between.
_NOT_IN_A_KEY = re.compile(r"[^\w\-.\"' \t]+")


def read_toml(path: str | os.PathLike, kind: str = "config file") -> dict:
    """A TOML file as a dict, read in bounded time and memory; any failure is one ``ValueError``.

    The file is at most :data:`MAX_TOML_BYTES`; a UTF-8 byte-order mark is
    skipped; dotted keys of more than :data:`MAX_KEY_PARTS` parts, nesting too
    deep for the parser and integers of more digits than Python converts are
    refused in one line naming the file.  The keys are not checked here:
    :func:`read_config_toml` checks a config file's.

    Parameters
    ----------
    path : str or os.PathLike
        the file.
    kind : str
        what the file is, for messages: ``PATH: no such config file``.
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_TOML_BYTES + 1)
    except OSError as exc:
        why = {FileNotFoundError: f"no such {kind}",
               IsADirectoryError: f"is a directory, not a {kind}"}.get(
                   type(exc), f"cannot read the {kind} ({exc.strerror or exc})")
        raise ValueError(f"{path}: {why}") from None
    if len(raw) > MAX_TOML_BYTES:
        raise ValueError(f"{path}: more than {MAX_TOML_BYTES // 1024:,} KB: too large for a "
                         f"{kind}")
    raw = raw.removeprefix(codecs.BOM_UTF8)  # an editor's byte-order mark: not TOML, but harmless
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML (not UTF-8 text at byte {exc.start})") from None
    # Counted generously (a dotted run in a string counts too), and in linear time.
    parts = max(piece.count(".") for piece in _NOT_IN_A_KEY.split(text)) + 1
    if parts > MAX_KEY_PARTS:
        raise ValueError(f"{path}: a dotted key or table name of more than {MAX_KEY_PARTS} "
                         f"parts ({parts:,}); a {kind} needs at most 3")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:
        raise ValueError(f"{path}: not valid TOML here (lists or tables nested too deeply)") \
            from None
    except ValueError as exc:  # an int of more digits than Python converts (4,300)
        raise ValueError(f"{path}: not valid TOML ({exc})") from None


#: Keys of a ``steepest train --config`` file beyond TrainConfig's -- where data
#: comes from and goes, and a one-line description (shown by ``steepest ladder``) --
#: and their types.
RUN_KEYS = {"data": str, "output": str, "checkpoint": str, "checkpoint_every": int,
            "resume": str, "plots": str, "description": str, "threads": int}


def read_config_toml(path: str | os.PathLike) -> dict:
    """A ``steepest train --config`` TOML file, its keys and run keys' types checked.

    The TrainConfig values themselves are checked when a :class:`TrainConfig`
    is built from them.
    """
    doc = read_toml(path)
    valid = TrainConfig.keys() + list(RUN_KEYS)
    for key, value in doc.items():
        if key not in valid:
            raise ValueError(f"{path}: unknown config key {key!r}; valid keys: {', '.join(valid)}")
        kind = RUN_KEYS.get(key)
        if kind is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            what = "a string" if kind is str else "an int"
            raise ValueError(f"{path}: {key} must be {what}, got {value!r} "
                             f"(a {type(value).__name__})")
    return doc
