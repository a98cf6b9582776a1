"""Sphinx configuration for steepest's documentation site.

Build it from the repository root (warnings are errors):

    python -m pip install -e ".[docs]"
    python -m sphinx -W -b html docs docs/_build/html

The course notebooks are executed at build time, with the reference solutions, through
myst-nb's cache (``docs/_build/.jupyter_cache``): a rebuild without changes runs nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
SRC = ROOT / "src"

# Document (and run the notebooks against) this checkout's steepest, whatever is installed:
# autodoc imports it in this process, the notebook kernels inherit PYTHONPATH.
sys.path.insert(0, str(SRC))
sys.path.insert(0, str(DOCS / "_ext"))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])
# Figures in a headless build; warnings in a notebook would show on its page.
os.environ.setdefault("MPLBACKEND", "Agg")

import steepest  # noqa: E402

project = "steepest"
author = "the steepest authors"
copyright = "steepest's authors, MIT licence"
release = steepest.__version__
version = release

extensions = [
    "myst_nb",                    # Markdown pages (MyST) and the notebooks
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",                   # NumPy-style docstrings
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",     # MathJax 3 served from the site itself, no CDN
    "sphinx_click",               # the command line, generated from click
    "sphinx_copybutton",
    "steepest_docs",              # docs/_ext: the solved course, guarded links
]

root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
templates_path = ["_templates"]
html_static_path = ["_static"]

# --- Warnings are errors (-W), and every cross-reference must resolve -------------
nitpicky = True
# No network at build time, so no intersphinx inventories: a type from another project
# (NumPy, the standard library, matplotlib...) named in a signature cannot be linked.  Those,
# and only those, are ignored (each pattern here was needed: the build warns without it);
# a broken reference to steepest's own code still fails.  Bare names are annotations that
# their modules import only for type checking.
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np)\..*"),
    (r"py:.*", r"(collections\.abc|os|pathlib|_io|_thread|socket|platform|multiprocessing)\..*"),
    (r"py:.*", r"zipfile|Path"),
    (r"py:.*", r"(matplotlib|flask|werkzeug|click|sklearn|onnx)\..*|Figure|Traversable"),
    (r"py:class", r"Map"),  # werkzeug.routing.Map, in BoundedInt's inherited signature
]
# Every constant steepest names is documented (a ``#:`` comment): nothing else is ignored.
nitpick_ignore: list[tuple[str, str]] = []

# --- The API reference (docs/reference/api/, generated, not committed) -----------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# A method documents itself or not at all (no click or scikit-learn text inherited).
autodoc_inherit_docstrings = False
# Every public function, class and method is listed, documented or not yet.
# numpydoc renders the sections; the members come from autodoc, not a second table.
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

# --- Markdown and notebooks ------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "cache"
nb_execution_cache_path = str(DOCS / "_build" / ".jupyter_cache")
nb_execution_timeout = 600
nb_execution_raise_on_error = True   # a failing cell fails the build
nb_execution_show_tb = True
nb_merge_streams = True
nb_ipywidgets_js = {}                # the course is built without widgets: nothing to load

# --- The theme: everything served from the site itself ---------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"steepest {release}"
html_theme_options = {
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# The theme's script reads the light/dark mode from here; left empty it logs a console error.
html_context = {"default_mode": "auto"}
# Without an icon Chromium asks for /favicon.ico, a 404 and a console error on every page.
html_favicon = "_static/favicon.svg"
html_show_sourcelink = False
html_copy_source = False
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
