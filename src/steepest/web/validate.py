"""Checking what a client sends: every bad value becomes a one-line :class:`ApiError`.

The server never trusts a request body.  Each helper here either returns a
clean Python/NumPy value or raises :class:`ApiError`, which the app turns into
``{"error": "..."}`` with a 4xx status -- so malformed input can never reach
the numerical code as something it does not expect.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from werkzeug.routing import IntegerConverter

from ..preprocess import is_blank

#: Digits an integer in a request may have: far more than any field's range needs
#: (a seed has at most 10), far fewer than the 4,300 at which Python's ``int("...")``
#: gives up -- and few enough that every such integer is a finite float.
MAX_INT_DIGITS = 100


class ApiError(Exception):
    """A request the server refuses, with the HTTP status to say so (400 by default)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def parse_json(raw: bytes) -> Any:
    """A request body as strict JSON (RFC 8259), or a 400 saying what is wrong with it.

    Python's ``json.loads`` accepts ``NaN`` and ``Infinity``, which JSON
    does not have, and raises ``ValueError`` on an integer of more than 4,300
    digits; here the first are malformed JSON and integers have at most
    :data:`MAX_INT_DIGITS` digits.

    >>> parse_json(b'{"epochs": 3, "l2": 1e-4}')
    {'epochs': 3, 'l2': 0.0001}
    >>> parse_json(b'{"l2": NaN}')
    Traceback (most recent call last):
    ...
    steepest.web.validate.ApiError: malformed JSON: NaN is not a JSON number; send finite numbers
    """
    try:
        return json.loads(raw, parse_int=_bounded_int, parse_constant=_not_json)
    except UnicodeDecodeError:
        raise ApiError("the request body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ApiError(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") \
            from None
    except RecursionError:
        raise ApiError("malformed JSON: nested too deeply") from None


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise ApiError(f"an integer in the request has {digits:,} digits; "
                       f"the lab reads at most {MAX_INT_DIGITS}")
    return int(text)


def _not_json(name: str) -> float:
    raise ApiError(f"malformed JSON: {name} is not a JSON number; send finite numbers")


def int_text(text: str, name: str, lo: int, hi: int) -> int:
    """An int in ``[lo, hi]`` written in decimal digits, as in a query string: ``"24"``.

    Not what :class:`int` also reads (``" 24"``, ``"2_4"``, ``"٢٤"``), and
    never a 5,000-digit number turned into an int first.
    """
    if re.fullmatch("-?[0-9]+", text) is None:
        raise ApiError(f"{name} must be an integer, got {_kind(text)}")
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ApiError(f"{name} must be between {lo} and {hi}, "
                       f"got an integer of {len(text.lstrip('-')):,} digits")
    return integer(int(text), name, lo, hi)


class BoundedInt(IntegerConverter):
    """``<int:name>`` in a route: decimal digits, at most :data:`MAX_INT_DIGITS` of them.

    Werkzeug's own converter makes an int of any run of digits, and one of more
    than 4,300 raises ``ValueError`` while the URL is matched: a 500.  Here such a
    URL matches no route: a 404.
    """

    regex = f"[0-9]{{1,{MAX_INT_DIGITS}}}"


def require_object(body: Any) -> dict:
    """The parsed JSON body must be an object (a dict)."""
    if not isinstance(body, dict):
        raise ApiError(f"the request body must be a JSON object, got {_kind(body)}")
    return body


def reject_unknown(body: Mapping, allowed: Sequence[str]) -> None:
    """Refuse fields the endpoint does not know (a typo should not be silently ignored)."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        named = ", ".join(repr(k) if len(k) <= 40 else f"{k[:40]!r}..." for k in unknown[:5])
        more = f" and {len(unknown) - 5:,} more" if len(unknown) > 5 else ""
        raise ApiError(f"unknown field(s) {named}{more}; allowed: {', '.join(allowed) or 'none'}")


def integer(value: Any, name: str, lo: int, hi: int) -> int:
    """An int in ``[lo, hi]``: a JSON integer such as ``3``.

    Checked by type, like a config file's values: ``15.7`` is not an integer
    (nor is ``3.0``: JavaScript's ``JSON.stringify(3)`` writes ``3``, so only
    a client that means a fraction sends a decimal point), ``true`` is not
    ``1`` and ``"3"`` is a string.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(f"{name} must be an integer, got {_kind(value)}")
    if not lo <= value <= hi:
        raise ApiError(f"{name} must be between {lo} and {hi}, got {_kind(value)}")
    return value


def number(value: Any, name: str, lo: float, hi: float, *, lo_open: bool = False) -> float:
    """A finite float in ``[lo, hi]`` (or ``(lo, hi]`` with ``lo_open``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ApiError(f"{name} must be a number, got {_kind(value)}")
    bracket = "(" if lo_open else "["
    try:
        value = float(value)
    except OverflowError:  # an int past 1.8e308
        raise ApiError(f"{name} must be in {bracket}{lo:g}, {hi:g}], got {_kind(value)}") \
            from None
    if not math.isfinite(value):
        raise ApiError(f"{name} must be a finite number, got {value!r}")
    if value < lo or value > hi or (lo_open and value == lo):
        raise ApiError(f"{name} must be in {bracket}{lo:g}, {hi:g}], got {value:g}")
    return value


def boolean(value: Any, name: str) -> bool:
    """``true`` or ``false``: not ``"true"``, ``1`` or ``null``.

    >>> boolean("false", "paused")
    Traceback (most recent call last):
    ...
    steepest.web.validate.ApiError: paused must be true or false, got "false" (a string)
    """
    if not isinstance(value, bool):
        raise ApiError(f"{name} must be true or false, got {_kind(value)}")
    return value


def numbers(value: Any, name: str, length: int, lo: float, hi: float) -> list[float]:
    """A JSON list of exactly ``length`` finite numbers, each in ``[lo, hi]``."""
    if not isinstance(value, list) or len(value) != length:
        raise ApiError(f"{name} must be a list of {length} numbers, got {_kind(value)}")
    return [number(v, f"{name}[{i}]", lo, hi) for i, v in enumerate(value)]


def choice(value: Any, name: str, options: Sequence[str]) -> str:
    """One of ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ApiError(f"{name} must be one of: {', '.join(options)}; got {_kind(value)}")
    return value


def int_list(value: Any, name: str, lo: int, hi: int, max_len: int) -> tuple[int, ...]:
    """``[800, 800]`` or ``"800,800"`` -> ``(800, 800)``; ``[]`` / ``""`` -> ``()``."""
    if isinstance(value, str):
        parts = [p for p in value.replace(" ", "").split(",") if p]
        if not all(re.fullmatch("[0-9]+", p) for p in parts):  # not "15.7", "1e3" or "x"
            raise ApiError(f"{name} must be comma-separated integers, got {_kind(value)}")
        value = [int_text(p, f"{name}[{i}]", lo, hi) for i, p in enumerate(parts)]
    if not isinstance(value, list):
        raise ApiError(f"{name} must be a list of integers, got {_kind(value)}")
    if len(value) > max_len:
        raise ApiError(f"{name} may have at most {max_len} entries, got {len(value)}")
    return tuple(integer(v, f"{name}[{i}]", lo, hi) for i, v in enumerate(value))


def image(body: Mapping, max_side: int) -> np.ndarray:
    """The drawing in a predict request as an (H, W) float32 image in [0, 1].

    ``width`` and ``height`` (default 28) give its size; the gray levels come
    row by row (0 black, 1 white; either polarity works, see
    :func:`steepest.preprocess.to_mnist`) in exactly one of two forms:

    * ``pixels``: a list of ``width * height`` numbers in [0, 1] -- easy to read
      and to write by hand;
    * ``pixels_base64``: ``width * height`` bytes (0-255, divided by 255 here),
      base64-encoded -- what the page sends: a 112x112 canvas is 17 kB and costs
      the server microseconds to decode instead of a millisecond of JSON numbers.
    """
    width = integer(body.get("width", 28), "width", 1, max_side)
    height = integer(body.get("height", 28), "height", 1, max_side)
    n = width * height
    if ("pixels" in body) == ("pixels_base64" in body):
        raise ApiError("send the drawing as exactly one of pixels (a list of numbers in [0, 1]) "
                       "or pixels_base64 (base64 of one byte per pixel)")
    if "pixels_base64" in body:
        return _image_from_base64(body["pixels_base64"], width, height)
    pixels = body["pixels"]
    if not isinstance(pixels, list):
        raise ApiError(f"pixels must be a list of {n} numbers, got {_kind(pixels)}")
    if len(pixels) != n:
        raise ApiError(
            f"wrong pixel count: width {width} x height {height} needs {n} values, "
            f"got {len(pixels)}"
        )
    try:
        a = np.array(pixels)  # let NumPy infer: numbers give a numeric 1-D array
    except (TypeError, ValueError, OverflowError):
        a = None
    if a is None or a.ndim != 1 or a.dtype.kind not in "iuf":
        raise ApiError("pixels must all be numbers")  # strings, null, nested lists, booleans
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise ApiError("pixel values must be finite numbers (no NaN or Infinity)")
    if a.size and (a.min() < 0 or a.max() > 1):
        raise ApiError(f"pixel values must be in [0, 1], got {a.min():g} to {a.max():g}")
    return a.astype(np.float32).reshape(height, width)


def require_ink(image: np.ndarray) -> None:
    """Refuse a blank drawing with a 422, by the rule ``steepest predict`` uses for a file.

    The rule is :func:`steepest.preprocess.is_blank`, the one ``steepest
    predict`` applies: no pixel differs from the background -- an empty
    canvas, white or black, or one flat grey.  A network asked about nothing
    still answers some digit with some confidence; saying "draw a digit" is
    the honest reply.  A drawing is blank exactly when its
    :func:`~steepest.preprocess.to_mnist` digit is, so the 28x28 digit is
    checked, not the drawing again.
    """
    if is_blank(image):
        raise ApiError("no ink: the drawing is blank; draw a digit", status=422)


def _image_from_base64(text: Any, width: int, height: int) -> np.ndarray:
    if not isinstance(text, str):
        raise ApiError(f"pixels_base64 must be a base64 string, got {_kind(text)}")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError("pixels_base64 is not valid base64") from None
    if len(raw) != width * height:
        raise ApiError(
            f"wrong pixel count: width {width} x height {height} needs {width * height} "
            f"bytes, pixels_base64 holds {len(raw)}"
        )
    gray = np.frombuffer(raw, dtype=np.uint8).reshape(height, width)
    return gray.astype(np.float32) * np.float32(1 / 255)


def _kind(value: Any) -> str:
    """A JSON value for a message, with its type: ``"5" (a string)``, ``true (a boolean)``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{json.dumps(value)} (a boolean)"
    if isinstance(value, str):
        return f"{json.dumps(value[:40], ensure_ascii=False)} (a string)"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, int) and value.bit_length() > 128:  # 39 digits and more, shortened
        return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1:,} digits"
    return repr(value)
