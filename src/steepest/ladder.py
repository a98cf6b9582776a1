"""The accuracy ladder: train a sequence of configs and tabulate what each rung buys.

Each rung is a TOML file of ``steepest train`` settings plus a one-line
``description`` of what changed.  Every rung holds out the last 10,000
training images for validation, selects its epoch on validation only, and
scores the test set once at the end, so the test column is an honest
estimate.  The bundled rungs live in ``steepest/configs/`` (the repository's
``configs/``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .config import read_config_toml
from .training import EpochRecord, RunResult, TrainConfig, run


def bundled_configs() -> list[Path]:
    """The shipped rung files, in order (their names start with the rung number)."""
    d = Path(str(resources.files("steepest") / "configs"))
    return sorted(d.glob("*.toml"))


@dataclass
class Rung:
    name: str  # file stem, e.g. "2-lecture-adam-l2"
    description: str  # what changed
    config: TrainConfig

    @classmethod
    def from_file(
        cls, path: str | os.PathLike, read: Callable[[str], dict] = read_config_toml
    ) -> Rung:
        """The rung a TOML file describes: training settings and a ``description``.

        Parameters
        ----------
        path : str or os.PathLike
            the rung's file; its stem names the rung.
        read : Callable[[str], dict]
            turns the path into a dict.  The default reads TOML and
            refuses unknown keys (:func:`steepest.config.read_config_toml`);
            ``steepest ladder`` passes its reader, which also takes model files.

        Examples
        --------
        >>> rung = Rung.from_file(bundled_configs()[0])
        >>> rung.name, rung.config.hidden
        ('1-lecture', (15,))
        """
        doc = read(str(path))
        # Only the training settings: where data comes from and goes is the ladder's business.
        settings = {k: v for k, v in doc.items() if k in TrainConfig.keys()}
        try:
            config = TrainConfig(**settings)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
        return cls(Path(path).stem, str(doc.get("description", "")), config)


@dataclass
class LadderRow:
    rung: Rung
    result: RunResult

    @property
    def epochs(self) -> int:
        return len(self.result.history)


def climb(
    rungs: Sequence[Rung],
    data,
    *,
    on_rung: Callable[[Rung], None] | None = None,
    on_epoch: Callable[[Rung, EpochRecord], None] | None = None,
    on_result: Callable[[LadderRow], None] | None = None,
) -> list[LadderRow]:
    """Train every rung on ``data`` in order; return one row per rung."""
    rows = []
    for rung in rungs:
        if on_rung is not None:
            on_rung(rung)
        callback = None if on_epoch is None else (lambda rec, st, r=rung: on_epoch(r, rec))
        result = run(rung.config, data, on_epoch=callback)
        row = LadderRow(rung, result)
        rows.append(row)
        if on_result is not None:
            on_result(row)
    return rows


def percent(value: float | None) -> str:
    """``"95.68 %"``, or ``"—"`` for a score that was not measured (a rung without validation).

    >>> percent(0.9568), percent(None)
    ('95.68 %', '—')
    """
    return "—" if value is None else f"{100 * value:.2f} %"


def markdown_table(rows: Sequence[LadderRow]) -> str:
    """The ladder as a Markdown table.

    >>> print(markdown_table([]))
    | rung | what changed | validation | test | epochs | wall time |
    | --- | --- | ---: | ---: | ---: | ---: |
    """
    lines = [
        "| rung | what changed | validation | test | epochs | wall time |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        r = row.result
        epochs = f"{row.epochs}" + (f" (best {r.best_epoch})" if r.best_epoch != row.epochs else "")
        minutes, seconds = divmod(r.seconds, 60)
        wall = f"{int(minutes)} min {seconds:02.0f} s" if minutes else f"{seconds:.1f} s"
        lines.append(
            f"| {row.rung.name} | {row.rung.description} | {percent(r.validation_accuracy)} | "
            f"{percent(r.test_accuracy)} | {epochs} | {wall} |"
        )
    return "\n".join(lines)


def environment_note(machine: dict, blas_threads: dict[str, int]) -> str:
    """Where the table was measured: date, CPU, BLAS kernel, each rung's BLAS threads.

    Results repeat bit for bit only on the same BLAS kernel and thread count:
    another kernel (e.g. AVX-512 instead of Haswell) rounds float32 products
    differently, and the runs drift apart from the first epoch on.

    >>> print(environment_note({"date": "2026-11-27T13:00:00+00:00", "cpu_model": "AMD EPYC",
    ...     "logical_cores": 2, "blas": [{"internal_api": "openblas", "version": "0.3.31",
    ...     "architecture": "Haswell"}]}, {"1-lecture": 1, "3-mlp-relu": 2}))
    Measured 2026-11-27 13:00 UTC on AMD EPYC (2 logical cores), openblas 0.3.31 Haswell; \
BLAS threads per rung: 1-lecture 1, 3-mlp-relu 2. Same config and seed give the same bits only \
on the same BLAS kernel and thread count.
    """
    from .machine import blas_label

    date = machine["date"][:16].replace("T", " ")
    threads = ", ".join(f"{name} {n}" for name, n in blas_threads.items())
    return (f"Measured {date} UTC on {machine['cpu_model']} ({machine['logical_cores']} logical "
            f"cores), {blas_label(machine)}; BLAS threads per rung: {threads}. Same config and "
            "seed give the same bits only on the same BLAS kernel and thread count.")
