"""``steepest notebooks``: the course's notebooks, copied into a folder of your own."""

from __future__ import annotations

import shlex

import click

from .. import __version__
from .app import UserError, install_hint, main, writable_dir

#: What each status says in the summary, in the order the summary gives them.
STATUSES = ("copied", "updated", "kept your edits", "up to date")


@main.command()
@click.argument("folder", default="steepest-course", type=click.Path())
@click.option("--list", "list_only", is_flag=True,
              help="Only list the course's notebooks and their titles; copy nothing.")
def notebooks(folder: str, list_only: bool) -> None:
    """Copy the course's Jupyter notebooks into FOLDER.

    FOLDER defaults to ./steepest-course; open it with `jupyter lab FOLDER`
    (the notebooks extra brings JupyterLab).  Run it again after upgrading
    steepest: a notebook you have not changed is updated; one you edited is
    never overwritten -- steepest's new version goes beside it (e.g.
    04-network.steepest-0.2.0.ipynb).  A
    manifest, FOLDER/.steepest-course.json, records what was copied.
    """
    from ..course import MANIFEST, copy_course, course_folder, packaged_notebooks

    if list_only:
        course = packaged_notebooks()
        width = max(len(n.name) for n in course)
        for notebook in course:
            click.echo(f"{notebook.name:<{width}}  {notebook.title}")
        return
    writable_dir(course_folder(folder))  # one line, before anything is written
    done = copy_course(folder)
    width = max(len(c.name) for c in done.notebooks)
    click.echo(f"steepest {__version__}'s notebooks in {folder}:")
    for c in done.notebooks:
        line = f"  {c.name:<{width}}  {c.status}"
        if c.beside:
            line += f"; steepest's version is beside it: {c.beside}"
        click.echo(line)
    click.echo(summary(done.notebooks))
    click.echo(f"Open them with: jupyter lab {shlex.quote(folder)}")
    click.echo(f"(JupyterLab comes with steepest's notebooks extra: {install_hint('notebooks')})")
    if done.manifest_problem:
        raise UserError(f"{done.manifest_problem}: every notebook that differed from steepest's "
                        f"was kept as your edit, with steepest's version beside it, and a new "
                        f"{MANIFEST} was written")


def summary(done: list) -> str:
    """``8 notebooks: 1 updated, 1 kept your edits (steepest's version beside it), ...``."""
    parts = []
    for status in STATUSES:
        n = sum(c.status == status for c in done)
        if not n:
            continue
        parts.append(f"{n} {status}")
        beside = sum(c.beside is not None for c in done if c.status == status)
        if beside:
            parts[-1] += (" (steepest's version beside it)" if n == beside == 1 else
                          " (steepest's version beside each)" if n == beside else
                          f" ({beside} with steepest's version beside)")
    return f"{len(done)} notebooks: {', '.join(parts)}."
