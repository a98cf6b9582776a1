"""Network.summary() and the HTML table Jupyter shows for a network."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pytest

from steepest.network import Network


class _Cells(HTMLParser):
    """The text of every <td>, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_td = False

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        self._in_td = tag in ("td", "th")

    def handle_endtag(self, tag):
        self._in_td = False

    def handle_data(self, data):
        if self._in_td:
            self.rows[-1].append(data)


def test_the_lecture_networks_summary_lists_layers_shapes_counts_and_total():
    text = Network((784, 15, 10), rng=np.random.default_rng(0)).summary()
    lines = text.splitlines()
    assert lines[0] == "Network: 784 -> 15 sigmoid -> 10 softmax"
    assert lines[3].split() == ["input", "(N,", "784)", "0"]
    assert lines[4].split() == ["dense", "1", "sigmoid", "(N,", "15)", "11,775", "784·15", "+",
                                "15"]
    assert lines[5].split() == ["dense", "2", "softmax", "(N,", "10)", "160", "15·10", "+", "10"]
    assert lines[-1] == "Total parameters: 11,935 (float32, 46.6 KiB)"


@pytest.mark.parametrize("sizes", [(784, 800, 800, 10), (3, 2), (2, 5, 4, 3)])
def test_the_summary_counts_add_up_to_num_parameters(sizes):
    net = Network(sizes, activation="relu", rng=np.random.default_rng(0), dtype=np.float64)
    rows = [line.split() for line in net.summary().splitlines() if line.startswith("dense")]
    counts = [int(row[5].replace(",", "")) for row in rows]
    assert len(rows) == len(sizes) - 1
    assert counts == [a * b + b for a, b in zip(sizes[:-1], sizes[1:])]
    assert f"Total parameters: {net.num_parameters():,} (float64," in net.summary()
    assert [row[2] for row in rows] == ["relu"] * (len(sizes) - 2) + ["softmax"]


def test_jupyter_shows_a_network_as_an_html_table_of_the_same_rows():
    net = Network((784, 15, 10), rng=np.random.default_rng(0))
    page = net._repr_html_()
    parser = _Cells()
    parser.feed(page)
    assert parser.rows[0] == ["layer", "activation", "output shape", "parameters", "W + b"]
    assert parser.rows[2] == ["dense 1", "sigmoid", "(N, 15)", "11,775", "784·15 + 15"]
    assert parser.rows[3] == ["dense 2", "softmax", "(N, 10)", "160", "15·10 + 10"]
    assert "Total parameters: 11,935" in page


def test_ipython_picks_the_html_table_for_a_network():
    formatters = pytest.importorskip("IPython.core.formatters")
    html = formatters.HTMLFormatter()(Network((4, 3), rng=np.random.default_rng(0)))
    assert "<table>" in html and "4·3 + 3" in html
