"""Small pieces of the one-line messages steepest prints: counts and exception texts.

The CLI, the web lab, model-file reading and the sweep all say "1 epoch" but
"3 epochs", and all quote an exception in one line; these are the one place
that does either.
"""

from __future__ import annotations


def plural(n: int, word: str) -> str:
    """``plural(1, "epoch")`` -> ``"1 epoch"``; ``plural(3, "epoch")`` -> ``"3 epochs"``.

    >>> plural(1, "epoch"), plural(1200, "model")
    ('1 epoch', '1,200 models')
    """
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def one_line(exc: BaseException, limit: int | None = None) -> str:
    """The first line of ``exc``'s message (its type's name if it has none), cut to ``limit``.

    >>> one_line(ValueError("first\\nsecond")), one_line(KeyError()), one_line(OSError("x" * 9), 5)
    ('first', 'KeyError', 'xx...')
    """
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if limit is None or len(line) <= limit else line[: limit - 3] + "..."
