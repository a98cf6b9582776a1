"""A network's layers, output shapes and parameter counts, as text or as an HTML table.

What :meth:`steepest.network.Network.summary` returns and what Jupyter shows
for a :class:`~steepest.network.Network` (its ``_repr_html_``), in the manner
of Keras's ``model.summary()``.  ``N`` in an output shape is the batch size:
one example per row.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Protocol

import numpy as np


class NetworkLike(Protocol):
    """What a summary reads of a network: a :class:`~steepest.network.Network` has it all.

    This module names no class of :mod:`steepest.network`: that module imports this one
    (``Network.summary`` returns :func:`summary_text`), and the arrow points one way.
    Each of ``layers`` has ``activation``, ``n_in``, ``n_out`` and the parameters ``W``
    and ``b``, as :class:`~steepest.network.Dense` does.
    """

    sizes: tuple[int, ...]
    layers: Sequence
    dtype: np.dtype

    def describe(self) -> str:
        """One line: ``784 -> 15 sigmoid -> 10 softmax (11,935 parameters)``."""

    def num_parameters(self) -> int:
        """Weights and biases, all told."""

HEADER = ("layer", "activation", "output shape", "parameters", "W + b")


def summary_rows(network: NetworkLike) -> list[tuple[str, str, str, str, str]]:
    """One row per layer, the input first: name, activation, shape, count, formula.

    >>> import numpy as np
    >>> from steepest.network import Network
    >>> summary_rows(Network((784, 15, 10), rng=np.random.default_rng(0)))[1]
    ('dense 1', 'sigmoid', '(N, 15)', '11,775', '784·15 + 15')
    """
    rows = [("input", "", f"(N, {network.sizes[0]})", "0", "")]
    for i, layer in enumerate(network.layers, start=1):
        count = layer.W.value.size + layer.b.value.size
        rows.append((f"dense {i}", layer.activation, f"(N, {layer.n_out})", f"{count:,}",
                     f"{layer.n_in}·{layer.n_out} + {layer.n_out}"))
    return rows


def _title(network: NetworkLike) -> str:
    return "Network: " + network.describe().rsplit(" (", 1)[0]


def _total(network: NetworkLike) -> str:
    n = network.num_parameters()
    kib = n * network.dtype.itemsize / 1024
    return f"Total parameters: {n:,} ({network.dtype.name}, {kib:,.1f} KiB)"


def summary_text(network: NetworkLike) -> str:
    """The summary as a fixed-width table (what ``print(net.summary())`` shows).

    >>> import numpy as np
    >>> from steepest.network import Network
    >>> print(summary_text(Network((784, 15, 10), rng=np.random.default_rng(0))))
    Network: 784 -> 15 sigmoid -> 10 softmax
    layer    activation  output shape  parameters  W + b
    ----------------------------------------------------------
    input                (N, 784)               0
    dense 1  sigmoid     (N, 15)           11,775  784·15 + 15
    dense 2  softmax     (N, 10)              160  15·10 + 10
    ----------------------------------------------------------
    Total parameters: 11,935 (float32, 46.6 KiB)
    """
    rows = [HEADER, *summary_rows(network)]
    widths = [max(len(row[c]) for row in rows) for c in range(len(HEADER))]

    def line(row) -> str:
        cells = [cell.rjust(w) if c == 3 else cell.ljust(w)
                 for c, (cell, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    rule = "-" * len(line(["x" * w for w in widths]))
    body = [line(row) for row in rows[1:]]
    return "\n".join([_title(network), line(HEADER), rule, *body, rule, _total(network)])


def summary_html(network: NetworkLike) -> str:
    """The summary as an HTML table, for Jupyter."""
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in HEADER)
    body = "".join(
        "<tr>" + "".join(f'<td style="text-align: {"right" if c == 3 else "left"}">{esc(v)}</td>'
                         for c, v in enumerate(row)) + "</tr>"
        for row in summary_rows(network))
    title = esc(_title(network))
    return (f"<div><b>{title}</b><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
            f"</table><p>{esc(_total(network))}</p></div>")
