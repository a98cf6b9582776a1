"""How a checker calls the learner's function and says exactly what is wrong.

A checker runs the learner's function on inputs it chose, then compares the
answer with steepest's own and with central differences.  Before calling an
answer "wrong values" it tries the usual mistakes one by one -- a transposed
matrix, the wrong sign, a missing or extra ``1/N``, a constant factor, and the
known wrong formulas each checker lists -- so the message names the mistake,
not just the symptom.
"""

from __future__ import annotations

import html
import itertools
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

#: Relative and absolute tolerance of every comparison (float64 inputs; the
#: answers are a few operations deep, so a right one agrees to ~1e-12).
RTOL, ATOL = 1e-6, 1e-9


class Wrong(Exception):
    """The learner's answer is wrong; the message says how."""


class NotWritten(Exception):
    """The learner's function still raises ``NotImplementedError``.

    ``args[0]`` names the function that raised it: the one checked, or one
    it calls that is not written yet.
    """


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one checker: shows as a green or red line in Jupyter.

    ``bool(result)`` is ``result.passed``.
    """

    exercise: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = "✓" if self.passed else "✗"
        return f"{mark} {self.exercise}: {self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour, background = ("#1a7f37", "#e6f4ea") if self.passed else ("#b3261e", "#fce8e6")
        return (f'<div style="border-left: 4px solid {colour}; background: {background}; '
                f'padding: 6px 10px; font-family: sans-serif">'
                f"<b>{'✓' if self.passed else '✗'} {html.escape(self.exercise)}</b>: "
                f"{html.escape(self.message)}</div>")


def run_check(exercise: str, body: Callable[[], str]) -> CheckResult:
    """Run a checker's ``body``; its return value is the message of a pass."""
    try:
        return CheckResult(exercise, True, body())
    except NotWritten as exc:
        who = exc.args[0] if exc.args else ""
        if who and who != exercise:
            return CheckResult(exercise, False, f"{exercise} calls {who}, which is not written "
                               f"yet: write {who} first, then run this cell again")
        return CheckResult(exercise, False, "not written yet: replace "
                           "`raise NotImplementedError` with your code, then run this cell again")
    except Wrong as exc:
        return CheckResult(exercise, False, str(exc))


# NumPy's errors for the classic slips, by kind: (pattern of the message, default hint).
_ERRORS = {
    "matmul": (r"matmul|shapes .* not aligned|core dimension",
               "the inner sizes of a matrix product do not match: rows are examples, so a "
               "layer is x @ W with x (N, n_in) and W (n_in, n_out), and the gradient goes "
               "back through W.T"),
    "broadcast": (r"could not be broadcast", "the shapes do not line up"),
    "truth": (r"truth value of an array", "an `if` (or and/or) on a whole array: compare "
                                          "elementwise instead, e.g. (a >= t) gives one "
                                          "True/False per entry, or use np.where"),
    "scalar": (r"converted to Python scalars|only length-1 arrays",
               "math.exp, math.log, float() take one number: np.exp and np.log work on every "
               "entry of an array at once"),
    "axis": (r"axis -?\d+ is out of bounds", "that axis does not exist: one example is a 1-D "
                                             "array"),
    "index": (r"index -?\d+ is out of bounds", "an index past the end of an axis"),
}


def _raised_in(exc: BaseException, fn: Callable) -> str:
    """The function whose ``raise NotImplementedError`` this is: "" for ``fn`` itself."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None or tb.tb_frame.f_code is getattr(fn, "__code__", None):
        return ""
    return tb.tb_frame.f_code.co_name


def call(
    fn: Callable, *args: object, names: Sequence[str], hints: dict[str, str] | None = None,
    protect: bool = True,
) -> tuple[object, list[str]]:
    """``fn(*copies of args)``: its answer and the warnings it raised.

    With ``protect=False`` the arguments are passed as they are (no copies,
    for large ones), and no change to them is noticed.

    ``hints`` replaces the default hint for a kind of NumPy error (``"matmul"``,
    ``"broadcast"``) with what that mistake means in this exercise.

    Raises
    ------
    NotWritten
        ``fn`` raised NotImplementedError.
    Wrong
        ``fn`` raised anything else (with a hint for NumPy's shape
        errors), or changed one of its inputs in place.
    """
    copies = [np.array(a, copy=True) if protect and isinstance(a, np.ndarray) else a
              for a in args]
    # Underflow to 0 is harmless (a stable softmax does it on purpose); the rest is not.
    with warnings.catch_warnings(record=True) as caught, np.errstate(
        over="warn", divide="warn", invalid="warn", under="ignore"
    ):
        warnings.simplefilter("always")
        try:
            got = fn(*copies)
        except NotImplementedError as exc:
            raise NotWritten(_raised_in(exc, fn)) from None
        except Exception as exc:  # the learner's bug, reported rather than raised
            hint = next(((hints or {}).get(kind, default) for kind, (pattern, default)
                         in _ERRORS.items() if re.search(pattern, str(exc))), "")
            raise Wrong(f"your function raised {type(exc).__name__}: {exc}"
                        + (f" -- {hint}" if hint else "")) from None
    for name, before, after in zip(names, args, copies):
        if (protect and isinstance(before, np.ndarray)
                and not np.array_equal(before, after, equal_nan=True)):
            raise Wrong(f"your function changed its input {name} in place; the caller still "
                        "needs it: compute a new array (write `a = a - m`, not `a -= m`)")
    return got, [str(w.message) for w in caught]


def as_array(got: object, what: str, want: np.ndarray) -> np.ndarray:
    """``got`` as a float array, or :class:`Wrong` saying what it is instead."""
    if got is None:
        raise Wrong(f"{what} is None: did you forget `return`?")
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should be an array of shape {want.shape}, got "
                    f"{type(got).__name__}") from None
    return arr


def _close(a: np.ndarray, b: np.ndarray, rtol: float = RTOL, atol: float = ATOL) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def compare(
    got: object,
    want: np.ndarray,
    what: str,
    *,
    n: int | None = None,
    known: Sequence[tuple[np.ndarray, str]] = (),
    large: str = "",
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """Raise :class:`Wrong` naming the mistake unless ``got`` equals ``want``.

    Parameters
    ----------
    got : object
        the learner's answer.
    want : ndarray
        steepest's answer.
    what : str
        how to call the answer in a message, e.g. ``"grad_W"``.
    n : int or None
        the batch size N, when a factor of N is a likely slip.
    known : Sequence[tuple[ndarray, str]]
        ``(wrong answer, message)`` pairs for this exercise's classic
        mistakes, tried before the generic diagnoses.
    large : str
        describes the inputs (e.g. ``"z = ±1000"``) when they are
        large: then a NaN or infinity means an unstable formula.
    rtol, atol : float
        the tolerance; looser for float32 inputs, where a right
        answer computed another way differs in the last digits.
    """
    got = as_array(got, what, want)
    _known_mistake(got, want, what, known, rtol, atol)
    _shape_mistake(got, want, what)
    _not_finite(got, want, what, large)
    if not _close(got, want, rtol, atol):
        _value_mistake(got, want, what, n)


def _known_mistake(got: np.ndarray, want: np.ndarray, what: str,
                   known: Sequence[tuple[np.ndarray, str]], rtol: float, atol: float) -> None:
    """Raise :class:`Wrong` with a known mistake's message if ``got`` is that mistake
    (even one of another shape or with NaNs) and not the answer."""
    for wrong, message in known:
        if (_close(got, np.asarray(wrong, dtype=np.float64), rtol, atol)
                and not _close(got, want, rtol, atol)):
            raise Wrong(f"{what}: {message}")


def _shape_mistake(got: np.ndarray, want: np.ndarray, what: str) -> None:
    """Raise :class:`Wrong` if the shapes differ: transposed, or just wrong."""
    if got.shape != want.shape:
        if got.ndim == 2 and got.shape == want.shape[::-1]:
            raise Wrong(f"{what} is transposed: shape {got.shape}, expected {want.shape}")
        raise Wrong(f"{what} has the wrong shape: {got.shape}, expected {want.shape}")


def _not_finite(got: np.ndarray, want: np.ndarray, what: str, large: str) -> None:
    """Raise :class:`Wrong` at the first NaN or infinity where the answer is finite
    (with ``large`` inputs: an unstable formula)."""
    bad = ~np.isfinite(got) & np.isfinite(want)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        value = got[where]
        if large:
            raise Wrong(f"{what} is unstable at large inputs ({large}): {value} at index "
                        f"{where}, where the answer is {want[where]:.6g}; an exp overflowed "
                        "or a division became 0/0")
        raise Wrong(f"{what} is {value} at index {where}; expected {want[where]:.6g}")


def _value_mistake(got: np.ndarray, want: np.ndarray, what: str, n: int | None) -> None:
    """Raise :class:`Wrong` naming what is wrong with values that differ from the answer:
    the sign, a factor N, a transpose, a constant factor, or else the largest difference."""
    if _close(got, -want):
        raise Wrong(f"{what} has the wrong sign: every entry is the negative of the answer")
    if n is not None and n > 1:
        if _close(got, want * n):
            raise Wrong(f"{what} is missing the 1/N: it is N = {n} times too large "
                        "(the loss is the mean over the batch's N examples)")
        if _close(got, want / n):
            raise Wrong(f"{what} is divided by N = {n} once too often: it is N times too small")
    if got.ndim == 2 and got.shape[0] == got.shape[1] and _close(got, want.T):
        raise Wrong(f"{what} is transposed")
    mask = np.abs(want) > 1e-8
    if mask.any():
        ratio = got[mask] / want[mask]
        if np.allclose(ratio, ratio[0], rtol=1e-6) and _close(got[~mask], want[~mask]):
            raise Wrong(f"{what} is off by a constant factor: {ratio[0]:.6g} times the answer")
    where = np.unravel_index(int(np.argmax(np.abs(got - want))), got.shape)
    index = tuple(int(i) for i in where)
    raise Wrong(f"{what} has wrong values: the largest difference is at index {index}, "
                f"{got[where]:.6g} where the answer is {want[where]:.6g}")


def no_warnings(caught: list[str], what: str, large: str) -> None:
    """Raise :class:`Wrong` if the function warned on large inputs (an overflow)."""
    if caught:
        raise Wrong(f"{what} is unstable at large inputs ({large}): NumPy warned "
                    f"{caught[0]!r}; the value came out right here, but an exp overflowed "
                    "on the way")


def unpack(
    got: object,
    what: str,
    names: Sequence[str],
    wants: Sequence[np.ndarray],
    zero_hints: dict[str, str] | None = None,
) -> list[np.ndarray]:
    """The learner's tuple of arrays, after the mistakes a tuple invites.

    Raises :class:`Wrong` for a single array where several belong, the wrong
    count, an entry that is ``None``, the right arrays in the wrong order, or
    an entry that is all zeros where the answer is not (``zero_hints`` says
    what that entry should be).  The values themselves are left to
    :func:`compare`.
    """
    expected = f"({', '.join(names)})"
    if not isinstance(got, (tuple, list)):
        raise Wrong(f"{what} should return {len(names)} things, {expected}; got "
                    f"{type(got).__name__}" + (f" of shape {got.shape}"
                                               if isinstance(got, np.ndarray) else ""))
    if len(got) != len(names):
        raise Wrong(f"{what} returned {len(got)} values; return {len(names)}: {expected}")
    for name, g in zip(names, got):
        if g is None:
            raise Wrong(f"{what}: {name} is None: compute it and return it in its place, "
                        f"{expected}")
    arrays = [as_array(g, name, w) for name, g, w in zip(names, got, wants)]
    if not all(_close(a, w) for a, w in zip(arrays, wants)):
        for order in itertools.permutations(range(len(names))):
            if order != tuple(range(len(names))) and all(
                    _close(arrays[i], wants[j]) for i, j in enumerate(order)):
                returned = ", ".join(names[j] for j in order)
                raise Wrong(f"{what} returns the right arrays in the wrong order: "
                            f"({returned}); return {expected}")
    for name, a, w in zip(names, arrays, wants):
        if a.shape == w.shape and a.size and not a.any() and w.any():
            raise Wrong(f"{what}: {name} is all zeros"
                        + (f": {zero_hints[name]}" if zero_hints and name in zero_hints else ""))
    return arrays
