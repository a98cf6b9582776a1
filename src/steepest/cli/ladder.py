"""``steepest ladder``: the accuracy ladder, rung by rung, into a Markdown table."""

from __future__ import annotations

from pathlib import Path

import click

from ..blas import blas_threads_for
from ..messages import plural
from ..runrecord import data_checksums, result_summary, run_meta
from .app import load_dataset, main, parse_ints, writable_dir, writable_file
from .train import epoch_line, read_config_file


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

    With no CONFIGS, the bundled rungs (the TOML files in steepest's configs
    folder) from the lecture's network to an augmented MLP.  Each rung selects
    its epoch on the last 10,000 training images and is scored once on the
    test set.  The full ladder takes tens of minutes; try --rungs 1,2 first.
    """
    from tqdm import tqdm

    from ..blas import limit_blas_threads
    from ..ladder import Rung, climb, environment_note, markdown_table
    from ..machine import blas_pool_threads, describe_machine

    # Every rung file, the data and the output paths are checked before any training.
    ladder_rungs = [Rung.from_file(p, read_config_file) for p in _rung_paths(configs, rungs)]
    output = writable_file(output)
    models_dir = writable_dir(models)
    data_arrays = load_dataset(data)
    _check_validation_sizes(ladder_rungs, len(data_arrays[0][0]))
    checksums = data_checksums(data_arrays)
    done, machine, threads_used = [], describe_machine(), {}  # threads: as each rung starts

    def table() -> str:  # the results so far, and where they were measured
        return markdown_table(done) + "\n\n" + environment_note(machine, threads_used)

    def on_result(row):
        done.append(row)
        _save_rung(row, models_dir / f"{row.rung.name}.npz", data, checksums)
        _write_table(output, table())
        _report_rung(row)

    n_in = int(data_arrays[0][0][0].size)
    for rung in ladder_rungs:  # one at a time: each rung gets its own BLAS thread count
        with limit_blas_threads(blas_threads_for(rung.config, n_in, threads)):
            threads_used[rung.name] = blas_pool_threads()
            climb([rung], data_arrays, on_result=on_result,
                  on_rung=lambda r: tqdm.write(f"rung {r.name}: {r.description}"),
                  on_epoch=lambda r, record: tqdm.write("  " + epoch_line(record,
                                                                          r.config.epochs)))
    click.echo(table())
    click.echo(f"wrote {output} and {plural(len(done), 'model')} in {models_dir}")


def _rung_paths(configs: tuple[str, ...], rungs: str | None) -> list[Path]:
    """The rung files: CONFIGS, or the bundled ones (only those numbered in --rungs)."""
    from ..ladder import bundled_configs

    paths = [Path(c) for c in configs] or bundled_configs()
    if rungs:
        wanted = parse_ints(rungs, "--rungs")
        paths = [p for p in paths if p.stem.split("-")[0].isdigit()
                 and int(p.stem.split("-")[0]) in wanted]
        if not paths:
            raise ValueError(f"no bundled rung numbered {rungs!r}")
    return paths


def _check_validation_sizes(ladder_rungs: list, n_train: int) -> None:
    """Every rung must leave training images beside its validation set."""
    for rung in ladder_rungs:
        if rung.config.validation >= n_train:
            raise ValueError(f"rung {rung.name}: validation {rung.config.validation:,} must be "
                             f"smaller than the {n_train:,} training images")


def _save_rung(row, path: Path, data: str | None, checksums: dict) -> None:
    """A finished rung's model file, with its history and result in the metadata."""
    from ..modelfile import save_model

    history = [r.to_dict() for r in row.result.history]
    save_model(path, row.result.network, {
        **run_meta(row.rung.config, data, checksums), "history": history,
        "result": result_summary(row.result, len(history)),
    })


def _report_rung(row) -> None:
    """A line on how a finished rung did; a warning on stderr for a loss far above chance."""
    from tqdm import tqdm

    from ..ladder import percent

    result = row.result
    tqdm.write(f"  -> validation {percent(result.validation_accuracy)}, test "
               f"{percent(result.test_accuracy)}, {result.seconds:.0f} s")
    if result.warning:
        click.echo(f"steepest: warning: rung {row.rung.name}: {result.warning}", err=True)


def _write_table(output: Path, table: str) -> None:
    """The table so far, written atomically: a stopped ladder keeps its finished rungs."""
    from ..modelfile import atomic_write_bytes

    atomic_write_bytes(output, (table + "\n").encode())
