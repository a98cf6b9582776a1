"""A search space: SPACE.toml read and checked against :class:`TrainConfig` before anything runs.

A space file holds fixed ``TrainConfig`` keys, as a ``steepest train --config``
file does, and a ``[search]`` table of the keys to search::

    hidden = [15]
    epochs = 10
    validation = 10000          # the objective is validation accuracy (default 10,000)
    sampler = "tpe"             # or "random", "grid"

    [search]
    learning_rate = { low = 0.01, high = 100.0, log = true }   # a float range
    batch_size = [10, 32, 100]                                  # a list: categorical
    step_every = { low = 2, high = 10, step = 2 }               # an int range

    [pruner]                    # Optuna's MedianPruner, on unless --no-prune
    startup_trials = 5          # never prune before this many trials have finished
    warmup_epochs = 0           # never prune in a trial's first N epochs

Every value a trial can take is checked the way ``steepest train`` checks a
config, so a wrong type, an out-of-range bound or a forbidden combination (say
``weight_decay`` with ``optimizer = "sgd"``) is a one-line error naming the
file and the key -- not a failed trial an hour later.  This module needs no
Optuna: :meth:`Space.distributions` imports it only when a sweep runs.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import ConfigError, TrainConfig, is_int, is_number
from ..messages import one_line
from . import checks

SAMPLERS = ("tpe", "random", "grid")
#: Keys a space file may have besides TrainConfig's, and their types.
SPACE_KEYS = {"description": str, "sampler": str, "search": dict, "pruner": dict}
PRUNER_KEYS = {"startup_trials": 5, "warmup_epochs": 0}
RANGE_KEYS = ("low", "high", "log", "step")
DEFAULT_VALIDATION = 10_000
#: Characters of an error message after the file's name: a value echoed in it is cut short.
MESSAGE_LIMIT = 300
#: Keys that cannot be searched: the objective must be scored on one validation set.
NOT_SEARCHABLE = ("validation",)
_FIELD_TYPES = {f.name: f.type for f in dataclasses.fields(TrainConfig)}


class SpaceError(ValueError):
    """A bad space file; the message is one line naming the file and the key."""


@dataclass(frozen=True)
class Param:
    """One searched key: a list of choices, or an int or float range.

    Parameters
    ----------
    name : str
        The :class:`TrainConfig` key searched.
    kind : {"categorical", "int", "float"}
        A list of values, or a range of ints or floats.
    choices : tuple, default ()
        A list's values, as Optuna stores them (``hidden``'s as ``"800-800"``).
    low, high : float, default 0.0
        A range's ends, both included.
    log : bool, default False
        Whether a range is sampled on a log scale.
    step : float, optional
        A range's step; None for a continuous float range (an int range steps by 1).

    Examples
    --------
    >>> Param("batch_size", "int", low=10, high=30, step=10).grid()
    [10, 20, 30]
    """

    name: str
    kind: str
    choices: tuple = ()
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    step: float | None = None

    def encode(self, value: Any) -> Any:
        """The value as Optuna stores it: a layer list becomes ``"800-800"``.

        Parameters
        ----------
        value : object
            A value of this key, as :class:`TrainConfig` takes it.

        Returns
        -------
        object
            ``value`` itself, but for ``hidden``: its layer sizes joined by ``-``.

        Examples
        --------
        >>> Param("hidden", "categorical").encode([800, 800])
        '800-800'
        """
        if self.name == "hidden":
            return "-".join(str(h) for h in _as_layers(value))
        return value

    def decode(self, value: Any) -> Any:
        """The TrainConfig value for Optuna's ``value``: :meth:`encode` undone.

        Parameters
        ----------
        value : object
            A value as Optuna stores it.

        Returns
        -------
        object
            ``value`` itself, but for ``hidden``: a tuple of layer sizes.

        Examples
        --------
        >>> Param("hidden", "categorical").decode("800-800")
        (800, 800)
        """
        if self.name == "hidden":
            return tuple(int(h) for h in str(value).split("-"))
        return value

    def count(self) -> int:
        """How many values :meth:`grid` lists, without listing them.

        Returns
        -------
        int
            The choices, or the steps of a range plus one (an int range steps
            by 1 if it has no step; a float range needs a step).
        """
        if self.kind == "categorical":
            return len(self.choices)
        if self.kind == "int":
            return (int(self.high) - int(self.low)) // int(self.step or 1) + 1
        return round((self.high - self.low) / self.step) + 1

    def grid(self) -> list:
        """Every value, for the grid sampler.

        Returns
        -------
        list
            A list's choices, or a range's values from ``low`` to ``high`` by
            ``step`` (a float range's rounded to 12 decimals: 0.3, not
            0.30000000000000004).
        """
        if self.kind == "categorical":
            return list(self.choices)
        if self.kind == "int":
            return list(range(int(self.low), int(self.high) + 1, int(self.step or 1)))
        values = (self.low + i * self.step for i in range(self.count()))
        # round(): 0.1 + 2 * 0.1 is 0.30000000000000004, and the grid should say 0.3
        return [round(v, 12) for v in values]

    def describe(self) -> dict:
        """What this key's values are, for :meth:`Space.describe`.

        Returns
        -------
        dict
            ``name``, ``kind``, and ``choices`` or ``low``, ``high``, ``log``, ``step``.
        """
        if self.kind == "categorical":
            return {"name": self.name, "kind": self.kind, "choices": list(self.choices)}
        return {"name": self.name, "kind": self.kind, "low": self.low, "high": self.high,
                "log": self.log, "step": self.step}


@dataclass
class Space:
    """A parsed, checked space file (:func:`read_space`, :func:`parse_space`).

    Parameters
    ----------
    fixed : dict
        The fixed :class:`TrainConfig` keys and their values; ``validation`` is
        always among them.
    params : list of Param
        The searched keys.
    sampler : {"tpe", "random", "grid"}, default "tpe"
        Optuna's sampler.
    startup_trials : int, default 5
        Trials to finish before the pruner stops any.
    warmup_epochs : int, default 0
        Epochs of each trial the pruner never stops.
    description : str, default ""
        The file's ``description``.
    source : str, default "space"
        The file's name, for messages.
    """

    fixed: dict
    params: list[Param]
    sampler: str = "tpe"
    startup_trials: int = PRUNER_KEYS["startup_trials"]
    warmup_epochs: int = PRUNER_KEYS["warmup_epochs"]
    description: str = ""
    source: str = "space"

    def config(self, params: dict) -> TrainConfig:
        """The TrainConfig of a trial with Optuna's ``params``.

        Parameters
        ----------
        params : dict
            Each searched key's value, as Optuna stores it.

        Returns
        -------
        TrainConfig
            The fixed keys with these values.

        Examples
        --------
        >>> space = parse_space({"epochs": 2, "search": {"hidden": [[30], [100, 30]]}})
        >>> space.config({"hidden": "100-30"}).hidden
        (100, 30)
        """
        by_name = {p.name: p for p in self.params}
        values = {name: by_name[name].decode(v) for name, v in params.items()}
        return TrainConfig(**{**self.fixed, **values})

    def distributions(self) -> dict:
        """Optuna distributions by parameter name (imports optuna).

        Returns
        -------
        dict of str to optuna.distributions.BaseDistribution
            A ``CategoricalDistribution`` for a list, an ``IntDistribution`` or
            ``FloatDistribution`` for a range.
        """
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        out = {}
        for p in self.params:
            if p.kind == "categorical":
                out[p.name] = CategoricalDistribution(p.choices)
            elif p.kind == "int":
                out[p.name] = IntDistribution(int(p.low), int(p.high), log=p.log,
                                              step=int(p.step or 1))
            else:
                out[p.name] = FloatDistribution(p.low, p.high, log=p.log, step=p.step)
        return out

    def grid(self) -> dict[str, list]:
        """The grid sampler's search space.

        Returns
        -------
        dict of str to list
            Every value of each searched key (:meth:`Param.grid`).
        """
        return {p.name: p.grid() for p in self.params}

    def grid_size(self) -> int:
        """Trials in the grid: counted, not listed.

        Returns
        -------
        int
            The product of each searched key's number of values.
        """
        return math.prod(p.count() for p in self.params)

    def describe(self) -> dict:
        """What defines the study's trials (JSON): a resumed study must have the same.

        The fixed keys are the file's own (as TrainConfig normalises them), not
        every default, so a study does not depend on defaults the file never named.

        Returns
        -------
        dict
            ``{"fixed": {key: value}, "search": [Param.describe(), ...]}``.
        """
        config = TrainConfig(**self.fixed).to_dict()
        return {"fixed": {k: config[k] for k in sorted(self.fixed)},
                "search": [p.describe() for p in self.params]}

    @property
    def validation(self) -> int:
        """Validation images held out of the training set, on which every trial is scored."""
        return int(self.fixed["validation"])


def read_space(path: str | Path) -> Space:
    """Read and check a space file; see the module docstring for its form.

    Parameters
    ----------
    path : str or pathlib.Path
        The space file (TOML).

    Returns
    -------
    Space
        The space, every value a trial can take checked.

    Raises
    ------
    SpaceError
        One line, ``PATH: what is wrong`` (a value echoed in it is cut short).
    """
    doc = checks.read_document(path, SpaceError)
    try:
        return parse_space(doc, str(path))
    except SpaceError as exc:
        raise SpaceError(one_line(exc, MESSAGE_LIMIT + len(str(path)))) from None
    except ConfigError as exc:
        raise SpaceError(one_line(SpaceError(f"{path}: {exc}"),
                                  MESSAGE_LIMIT + len(str(path)))) from None


def parse_space(doc: dict, source: str = "space") -> Space:
    """Check a space document (a parsed TOML table).

    Parameters
    ----------
    doc : dict
        The document, as ``tomllib.loads`` returns it.
    source : str, default "space"
        Where it came from, to begin each message with.

    Returns
    -------
    Space
        The space, every value a trial can take checked.

    Raises
    ------
    SpaceError
        A key or value no space has, or a search that no trial could run.
    ConfigError
        The fixed keys alone are not a valid :class:`TrainConfig`.

    Examples
    --------
    >>> space = parse_space({"epochs": 2, "search": {"batch_size": [10, 100]}})
    >>> space.fixed, space.params[0].choices
    ({'epochs': 2, 'validation': 10000}, (10, 100))
    >>> parse_space({"search": {"learning_rate": {"low": 1.0, "high": 0.1}}})
    Traceback (most recent call last):
    ...
    steepest.sweep.space.SpaceError: space: search.learning_rate: low 1.0 is greater than high 0.1
    """
    checks.check_document(doc, source, SpaceError)
    valid = TrainConfig.keys() + list(SPACE_KEYS)
    for key, value in doc.items():
        if key not in valid:
            raise SpaceError(f"{source}: unknown key {key!r}; valid keys: {', '.join(valid)}")
        kind = SPACE_KEYS.get(key)
        if kind is not None and not isinstance(value, kind):
            what = "a table" if kind is dict else "a string"
            raise SpaceError(f"{source}: {key} must be {what}, got {value!r}")
    fixed = {k: v for k, v in doc.items() if k not in SPACE_KEYS}
    fixed.setdefault("validation", DEFAULT_VALIDATION)
    TrainConfig(**fixed)  # the fixed keys alone must make a valid config
    if fixed["validation"] < 1:
        raise SpaceError(f"{source}: validation must be at least 1: a sweep chooses by "
                         f"validation accuracy (default {DEFAULT_VALIDATION:,})")
    sampler = doc.get("sampler", "tpe")
    if sampler not in SAMPLERS:
        raise SpaceError(f"{source}: unknown sampler {sampler!r}; choose one of: "
                         f"{', '.join(SAMPLERS)}")
    search = doc.get("search")
    if not search:
        raise SpaceError(f"{source}: no [search] table: name at least one key to search")
    params = [_param(name, spec, source) for name, spec in search.items()]
    for p in params:
        if p.name in fixed:
            raise SpaceError(f"{source}: search.{p.name}: {p.name} is both fixed and searched; "
                             f"keep one")
    if sampler == "grid":
        for p in params:
            if p.kind == "float" and p.step is None:
                raise SpaceError(f"{source}: search.{p.name}: sampler 'grid' needs a list or "
                                 f"a range with a step")
        checks.check_grid(params, source, SpaceError)
    checks.check_values({p.name: _candidates(p) for p in params},
                        lambda values: _config_error(fixed, values), source, SpaceError)
    return Space(fixed, params, sampler, description=doc.get("description", ""), source=source,
                 **_pruner(doc.get("pruner", {}), source))


def _pruner(table: dict, source: str) -> dict:
    out = {}
    for key, value in table.items():
        if key not in PRUNER_KEYS:
            raise SpaceError(f"{source}: unknown key pruner.{key}; valid keys: "
                             f"{', '.join(PRUNER_KEYS)}")
        if not is_int(value) or value < 0:
            raise SpaceError(f"{source}: pruner.{key} must be an int >= 0, got {value!r}")
        out[key] = value
    return out


def _param(name: str, spec: Any, source: str) -> Param:
    where = f"{source}: search.{name}"
    if name not in _FIELD_TYPES:
        raise SpaceError(f"{where}: unknown config key {name!r}; valid keys: "
                         f"{', '.join(TrainConfig.keys())}")
    if name in NOT_SEARCHABLE:
        raise SpaceError(f"{where}: {name} cannot be searched: every trial is scored on the "
                         f"same validation images")
    if isinstance(spec, list):
        if not spec:
            raise SpaceError(f"{where}: the list of values is empty")
        if len(spec) > checks.MAX_VALUES:
            raise SpaceError(f"{where}: {len(spec):,} values; a list has at most "
                             f"{checks.MAX_VALUES:,}: search a range instead")
        param = Param(name, "categorical", choices=tuple(_choice(name, v, where) for v in spec))
        seen: set = set()
        for value in param.choices:
            if value in seen:
                raise SpaceError(f"{where}: the value {value!r} appears twice")
            seen.add(value)
        return param
    if isinstance(spec, dict):
        return _range(name, spec, where)
    raise SpaceError(f"{where}: expected a list of values or a table "
                     f"{{ low = ..., high = ... }}, got {spec!r}")


def _choice(name: str, value: Any, where: str) -> Any:
    if name == "hidden":
        return Param(name, "categorical").encode(_checked_layers(value, where))
    if not isinstance(value, (bool, int, float, str)):
        raise SpaceError(f"{where}: {value!r} is not a single value")
    return value


def _range(name: str, spec: dict, where: str) -> Param:
    kind = _FIELD_TYPES[name]
    if kind not in ("int", "float"):
        raise SpaceError(f"{where}: {name} is not a number: list its values instead of a range")
    unknown = sorted(set(spec) - set(RANGE_KEYS))
    if unknown:
        raise SpaceError(f"{where}: unknown key {unknown[0]!r}; a range has "
                         f"{', '.join(RANGE_KEYS)}")
    for key in ("low", "high"):
        if key not in spec:
            raise SpaceError(f"{where}: a range needs low and high")
    number = is_int if kind == "int" else is_number
    what = "an int" if kind == "int" else "a number"
    for key in ("low", "high", "step"):
        if key in spec and not number(spec[key]):
            raise SpaceError(f"{where}: {key} must be {what}, got {spec[key]!r} "
                             f"(a {type(spec[key]).__name__})")
    low, high, step = spec["low"], spec["high"], spec.get("step")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise SpaceError(f"{where}: log must be true or false, got {log!r}")
    if low > high:
        raise SpaceError(f"{where}: low {low!r} is greater than high {high!r}")
    if log and low <= 0:
        raise SpaceError(f"{where}: a log range needs low > 0, got {low!r}")
    if step is not None:
        if log:
            raise SpaceError(f"{where}: log and step cannot be used together")
        if step <= 0:
            raise SpaceError(f"{where}: step must be positive, got {step!r}")
        checks.check_steps(low, high, step, kind == "int", where, SpaceError)
    if kind == "float":
        low, high = float(low), float(high)
        step = None if step is None else float(step)
    return Param(name, kind, low=low, high=high, log=log, step=step)


def _config_error(fixed: dict, values: dict) -> str | None:
    """TrainConfig's own complaint about the fixed keys with ``values``, or None."""
    try:
        TrainConfig(**{**fixed, **values})
    except ConfigError as exc:
        return str(exc)
    return None


def _candidates(p: Param) -> list:
    """The values to check: every choice, or both ends of a range."""
    if p.kind == "categorical":
        return [p.decode(c) for c in p.choices]
    return [p.low, p.high]


def _checked_layers(value: Any, where: str) -> tuple[int, ...]:
    try:
        return TrainConfig(hidden=value).hidden
    except ConfigError as exc:
        raise SpaceError(f"{where}: {exc}") from None


def _as_layers(value: Any) -> tuple[int, ...]:
    return (value,) if isinstance(value, int) else tuple(value)
