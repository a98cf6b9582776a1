"""The checks of a space file whose cost must stay bounded, whatever the file holds.

:mod:`steepest.sweep.space` parses a space; these are the parts of checking it
that a hostile or careless file could make expensive or crash:

* :func:`read_document` -- the file's bytes to a TOML table, by
  :func:`steepest.config.read_toml`: at most
  :data:`~steepest.config.MAX_TOML_BYTES`, a UTF-8 byte-order mark accepted,
  nesting too deep for the TOML parser's recursion a one-line error, and
  dotted keys of more than :data:`~steepest.config.MAX_KEY_PARTS` parts
  refused before parsing;
* :func:`check_document` -- nesting depth and the size of every int, walked
  without recursion: a searched int must be exact as a float (Optuna records a
  searched number as one), any other must fit in 64 bits (Dask's messages and
  NumPy carry no more);
* :func:`check_values` -- every value a trial can take, through
  ``TrainConfig``'s checks, in time linear in the number of values;
* :func:`check_steps` -- a stepped range's number of steps, before it is counted;
* :func:`check_grid` -- the grid sampler's size, counted before a value is built.

Each error is one line, ``SOURCE: KEY: what is wrong``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from ..config import read_toml

#: Deepest nesting of tables and lists (a space needs 3: [search], a key, a layer list).
MAX_DEPTH = 16
#: Largest searched int: Optuna stores a searched number as a float, exact up to 2**53.
MAX_SEARCHED_INT = 2**53
#: Largest other int: NumPy's and Dask's messages carry 64-bit ints.
MAX_INT = 2**63 - 1
#: Most trials a grid may have (the grid sampler lists every combination).
MAX_GRID = 10_000
#: Most values in a searched list.
MAX_VALUES = 10_000


def read_document(path: str | Path, error: type[ValueError]) -> dict:
    """The TOML table in ``path``, read in bounded time and memory.

    Parameters
    ----------
    path : str or pathlib.Path
        The space file.
    error : type of ValueError
        The exception to raise (:class:`~steepest.sweep.space.SpaceError`).

    Returns
    -------
    dict
        The document, as :func:`steepest.config.read_toml` reads it.

    Raises
    ------
    ValueError
        An ``error``, one line naming ``path``, if it cannot be read or parsed.
    """
    try:
        return read_toml(path, "space file")
    except ValueError as exc:
        raise error(str(exc)) from None


def check_document(doc: dict, source: str, error: type[ValueError]) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` and ints no sweep can carry.

    Walked with a stack, not recursion, so any depth the parser accepted is safe.

    Parameters
    ----------
    doc : dict
        The parsed document.
    source : str
        Where it came from, to begin a message with.
    error : type of ValueError
        The exception to raise.

    Raises
    ------
    ValueError
        An ``error``, ``SOURCE: KEY: what is wrong``, on the first value nested
        too deep or an int too large: beyond 2**53 under ``search``, 64 bits elsewhere.

    Examples
    --------
    >>> check_document({"search": {"seed": [2**60]}}, "space", ValueError)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: space: search.seed[0]: 1,152,921,504,606,846,976 is too large: Optuna records ...
    """
    stack: list[tuple[str, Any, int]] = [(key, value, 1) for key, value in doc.items()]
    while stack:
        where, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise error(f"{source}: {where}: nested more than {MAX_DEPTH} levels deep; a space "
                        f"file needs at most 3")
        if isinstance(value, dict):
            stack.extend((f"{where}.{k}", v, depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", v, depth + 1) for i, v in enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            searched = where.startswith("search.")
            limit = MAX_SEARCHED_INT if searched else MAX_INT
            if abs(value) > limit:
                why = ("Optuna records a searched number as a float, exact only up to 2**53"
                       if searched else "a sweep's numbers travel as 64-bit ints")
                raise error(f"{source}: {where}: {_show_int(value)} is too large: {why} "
                            f"({limit:,})")


def _show_int(value: int) -> str:
    """The int itself, or its size when it is too long to echo."""
    if value.bit_length() <= 128:
        return f"{value:,}"
    return f"an int of about {int(value.bit_length() * math.log10(2)) + 1:,} digits"


def kind(value: Any) -> Hashable:
    """What ``TrainConfig``'s rules *between* keys can tell apart in a value.

    Those rules (``weight_decay`` needs ``optimizer = "adamw"``, ``patience``
    needs ``validation``) test a number's type, its truth and how it compares
    with 0 and 1, and compare strings and booleans for equality.  So two values
    of one key with the same kind pass or fail together with any value of
    another key: checking one value of each kind covers the rest.
    ``tests/test_sweep_space.py`` holds ``TrainConfig`` to this.

    Parameters
    ----------
    value : object
        A value of a searched key, as ``TrainConfig`` takes it.

    Returns
    -------
    collections.abc.Hashable
        Equal for two values of the same kind.

    Examples
    --------
    >>> kind(0.1) == kind(0.5), kind(0.0) == kind(0.5), kind("adam") == kind("adamw")
    (True, False, False)
    """
    if isinstance(value, (bool, str)):
        return type(value).__name__, value
    if isinstance(value, (int, float)):
        return type(value).__name__, (value > 0) - (value < 0), (value > 1) - (value < 1)
    if isinstance(value, tuple):
        return "tuple", len(value), frozenset(kind(v) for v in value)
    return type(value).__name__, repr(value)


def one_of_each_kind(values: list) -> list:
    """The first value of each :func:`kind`, in order.

    Parameters
    ----------
    values : list
        A searched key's values.

    Returns
    -------
    list
        The first value of each kind in ``values``, in their order.

    Examples
    --------
    >>> one_of_each_kind([0.1, 0.5, 2.0, 0.0, 3.0])
    [0.1, 2.0, 0.0]
    """
    first: dict = {}
    for value in values:
        first.setdefault(kind(value), value)
    return list(first.values())


def check_values(candidates: dict[str, list], config_error: Callable[[dict], str | None],
                 source: str, error: type[ValueError]) -> None:
    """Every value a trial can take, and every pair of kinds, through ``config_error``.

    A trial sets every searched key, and a sampler may combine any values:
    each check sets all of them (the first value of each, but for the one or
    two keys being checked), so every error found is a trial that could be
    proposed.  Each value is checked once; then, as ``TrainConfig``'s rules
    tie at most two keys, each pair of :func:`kind` representatives: the
    work grows with the number of values, not with their product.

    Parameters
    ----------
    candidates : dict of str to list
        Each searched key's values to check (a list's values, a range's
        ends), as ``TrainConfig`` takes them.
    config_error : callable
        Takes the searched keys' values (a dict); returns ``TrainConfig``'s
        complaint about the fixed keys with them, or None.
    source : str
        Where the space came from, to begin a message with.
    error : type of ValueError
        The exception to raise.

    Raises
    ------
    ValueError
        An ``error`` naming the first value, or pair of values, a trial could
        not run with, and ``TrainConfig``'s complaint.

    Examples
    --------
    >>> def config_error(values):
    ...     return "too small" if values["epochs"] < 1 else None
    >>> check_values({"epochs": [5, 0]}, config_error, "space", ValueError)
    Traceback (most recent call last):
    ...
    ValueError: space: search.epochs: too small
    """
    base = {name: values[0] for name, values in candidates.items()}
    for name, values in candidates.items():
        for value in values:
            message = config_error({**base, name: value})
            if message is not None:
                raise error(_blame(name, value, message, base, candidates, config_error,
                                   source))
    kinds = {name: one_of_each_kind(values) for name, values in candidates.items()}
    for a, b in itertools.combinations(candidates, 2):
        for va, vb in itertools.product(kinds[a], kinds[b]):
            message = config_error({**base, a: va, b: vb})
            if message is not None:
                raise error(f"{source}: search.{a} = {va!r} with search.{b} = {vb!r}: "
                            f"{message}")


def _blame(name: str, value: Any, message: str, base: dict, candidates: dict,
           config_error: Callable[[dict], str | None], source: str) -> str:
    """Name ``value`` alone, or the other searched value it fails with if another would do."""
    for other, values in candidates.items():
        if other == name:
            continue
        for v in one_of_each_kind(values):
            if config_error({**base, name: value, other: v}) is None:
                return (f"{source}: search.{other} = {base[other]!r} with search.{name} = "
                        f"{value!r}: {message}")
    return f"{source}: search.{name}: {message}"


def check_steps(low, high, step, ints: bool, where: str, error: type[ValueError]) -> None:
    """Refuse a range whose ``high - low`` is no whole number of steps, or too many for a float.

    Parameters
    ----------
    low, high : int or float
        The range's ends.
    step : int or float
        Its step, positive.
    ints : bool
        Whether the range's values are ints (checked exactly) or floats.
    where : str
        ``SOURCE: search.KEY``, to begin a message with.
    error : type of ValueError
        The exception to raise.

    Raises
    ------
    ValueError
        An ``error`` saying which.

    Examples
    --------
    >>> check_steps(0.1, 0.5, 0.1, False, "space: search.dropout", ValueError)  # 4 steps
    >>> check_steps(2, 9, 2, True, "space: search.step_every", ValueError)
    Traceback (most recent call last):
    ...
    ValueError: space: search.step_every: high - low (7) is not a multiple of step 2
    """
    if ints:
        if (high - low) % step:
            raise error(f"{where}: high - low ({high - low}) is not a multiple of step {step}")
        return
    n = (high - low) / step
    if not n < MAX_SEARCHED_INT:  # also inf: high - low overflowed, or the step is tiny
        raise error(f"{where}: step {step:g} is too small for the range {low:g}..{high:g}: "
                    f"more than 2**53 steps")
    if abs(n - round(n)) > 1e-9 * max(1.0, abs(n)):
        raise error(f"{where}: high - low ({high - low:g}) is not a multiple of step {step:g}")


def check_grid(params: list, source: str, error: type[ValueError]) -> None:
    """Refuse a grid of more than :data:`MAX_GRID` trials, from each key's count of values.

    Parameters
    ----------
    params : list of Param
        The space's :class:`~steepest.sweep.space.Param` objects; each counts
        its values without listing them.
    source : str
        Where the space came from, to begin a message with.
    error : type of ValueError
        The exception to raise.

    Raises
    ------
    ValueError
        An ``error`` naming the key with too many values, or the grid's size.
    """
    counts = {p.name: p.count() for p in params}
    for p in params:
        if counts[p.name] > MAX_GRID:
            values = ("the list" if p.kind == "categorical"
                      else f"{p.low:g}..{p.high:g} step {p.step or 1:g}")
            raise error(f"{source}: search.{p.name}: {values} is {counts[p.name]:,} values; "
                        f"the grid sampler runs at most {MAX_GRID:,} trials: use a larger "
                        f"step, or sampler 'tpe'")
    total = math.prod(counts.values())
    if total > MAX_GRID:
        sizes = " x ".join(f"{count:,}" for count in counts.values())
        keys = ", ".join(f"search.{name}" for name in counts)
        raise error(f"{source}: sampler 'grid': {sizes} = {total:,} trials ({keys}); at most "
                    f"{MAX_GRID:,}: search fewer values, or use sampler 'tpe'")
