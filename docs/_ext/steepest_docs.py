"""A Sphinx extension for steepest's site: the course, solved, as the pages' notebooks.

The nine notebooks in ``src/steepest/notebooks`` are stored without outputs, and their
"Your turn" cells (tagged ``exercise``) raise ``NotImplementedError`` until a learner
writes them.  Before Sphinx reads its sources, :func:`write_solved_course` writes each one
into ``docs/course/`` (git-ignored: generated, never edited) with

* each exercise cell replaced by an import of the reference solution, exactly as
  ``tests/test_notebooks.py`` runs them (``from steepest.exercises.solutions import NAME``),
  so the checks below them show the reference solution's feedback and the later notebooks'
  ``yours()`` finds solved cells beside them;
* a note under the title saying so;
* a first cell, removed from the page, that hides ``ipywidgets`` from the kernel, so that
  progress bars are text and the lambda slider a static figure: the page needs no widget
  JavaScript;
* in that cell, a fingerprint of steepest's source, so that myst-nb's cache (keyed on the
  code cells) runs a notebook again when the library changes, and never otherwise.

A file is rewritten only when its text changes, so an unchanged rebuild reads nothing anew.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat

NOTE = (
    "```{{note}}\n"
    "This page is the course notebook `{name}` run top to bottom when the site was built, "
    "with every **Your turn** cell replaced by the reference solution "
    "(`from steepest.exercises.solutions import …`): the outputs below the exercises are the "
    "reference solution's results and its checker's feedback. "
    "To write the functions yourself, get the notebooks with `steepest notebooks` "
    "(see [the course](index.md)).\n"
    "```"
)

HIDDEN = (
    "# Written by docs/_ext/steepest_docs.py for the documentation site.\n"
    "# steepest source fingerprint: {fingerprint}\n"
    "import sys\n"
    "sys.modules['ipywidgets'] = None  # static output: text progress bars, no widget JavaScript"
)


def source_fingerprint(package: Path) -> str:
    """SHA-256 over every ``.py`` file of the package (paths and bytes), in path order."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def solved_notebook(path: Path, fingerprint: str) -> nbformat.NotebookNode:
    """The notebook at ``path`` as the site shows it (see the module's docstring)."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        name = cell.metadata.get("steepest", {}).get("exercise")
        if name is not None:
            cell.source = f"from steepest.exercises.solutions import {name}"
    hidden = nbformat.v4.new_code_cell(HIDDEN.format(fingerprint=fingerprint))
    hidden.metadata["tags"] = ["remove-cell"]
    note = nbformat.v4.new_markdown_cell(NOTE.format(name=path.name))
    title = 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0
    nb.cells[title:title] = [note]
    nb.cells.insert(0, hidden)
    for cell in nb.cells:  # nbformat's random ids would change the file on every build
        cell.pop("id", None)
    nb.nbformat_minor = 4
    return nb


def write_solved_course(app, config) -> None:
    import steepest

    package = Path(steepest.__file__).resolve().parent
    target = Path(app.srcdir) / "course"
    target.mkdir(exist_ok=True)
    fingerprint = source_fingerprint(package)
    wanted = set()
    for path in sorted((package / "notebooks").glob("*.ipynb")):
        text = nbformat.writes(solved_notebook(path, fingerprint))
        out = target / path.name
        wanted.add(out.name)
        if not out.exists() or out.read_text("utf-8") != text:
            out.write_text(text, "utf-8")
    for stale in target.glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()


def resolve_short_name(app, env, node, contnode):
    """Link ``:class:`TrainConfig``` to steepest's one object of that name, wherever it lives.

    Docstrings name steepest's objects as their readers know them: ``TrainConfig`` (defined
    in :mod:`steepest.config`, used everywhere), ``Network.forward``, or
    ``steepest.training.TrainConfig`` (re-exported there).  Sphinx looks only in the current
    module and class; this looks for the one documented object whose full name ends with
    ``.NAME`` (or whose own name is NAME's last part under the named module).  A name that
    matches no object, or several, stays unresolved, and nitpicky mode fails the build.
    """
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip(".~")
    domain = env.get_domain("py")
    objects = domain.objects
    matches = [name for name in objects if name.startswith("steepest.")
               and (name == target or name.endswith("." + target))]
    if len(matches) != 1 and target.startswith("steepest."):
        last = target.rsplit(".", 1)[-1]  # steepest.training.TrainConfig: a re-export
        matches = [name for name in objects if name.startswith("steepest.")
                   and name.endswith("." + last) and objects[name].objtype != "module"]
    if len(matches) != 1:
        return None
    name = matches[0]
    from sphinx.util.nodes import make_refnode

    entry = objects[name]
    return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id,
                        contnode, name)


def skip_foreign(app, what, name, obj, skip, options):
    """Leave out members another library put on a steepest class (scikit-learn's
    ``set_fit_request``): they are documented there, in that library's terms."""
    module = getattr(obj, "__module__", None) or ""
    if callable(obj) and module and not module.startswith("steepest"):
        return True
    return None


def remove_stale_api_pages(app, config) -> None:
    """Delete generated reference pages (``docs/reference/api``) of modules that are gone.

    autosummary writes a page per module but never removes one; a renamed module's old
    page would be an orphan, which the -W build refuses.
    """
    import pkgutil

    import steepest

    modules = {"steepest"} | {m.name for m in pkgutil.walk_packages(steepest.__path__,
                                                                     "steepest.")}
    for page in (Path(app.srcdir) / "reference" / "api").glob("*.rst"):
        if page.stem not in modules:
            page.unlink()


def label_commands(app, doctree) -> None:
    """Make each command's section on the CLI page a label (``{ref}`steepest-train```).

    sphinx-click gives every command a section whose id is its path (``steepest-train``)
    but registers no label, so other pages could not link to a command by name.
    """
    from docutils import nodes

    std = app.env.get_domain("std")
    docname = app.env.docname
    for section in doctree.findall(nodes.section):
        for node_id in section["ids"]:
            if node_id.startswith("steepest-") and docname == "reference/cli":
                title = section.next_node(nodes.title).astext()
                std.labels[node_id] = (docname, node_id, title)
                std.anonlabels[node_id] = (docname, node_id)


def setup(app):
    app.connect("doctree-read", label_commands)
    app.connect("config-inited", remove_stale_api_pages)
    app.connect("autodoc-skip-member", skip_foreign)
    app.connect("config-inited", write_solved_course)
    app.connect("missing-reference", resolve_short_name)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
