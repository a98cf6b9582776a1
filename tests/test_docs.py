"""The documentation site: built from this checkout, served on 127.0.0.1, read in Chromium.

The site is built once per session exactly as the documented command builds it
(``python -m sphinx -W -b html docs OUT``: any warning, any broken cross-reference, any
notebook cell that raises fails the build), into a temporary folder, then served by a
plain HTTP server on a free loopback port and opened in Debian's Chromium through
playwright, as the web lab's browser tests do.  Every page visit records each request the
page makes and every console error; none may leave 127.0.0.1 and there may be none.

The course notebooks run through myst-nb's cache (``docs/_build/.jupyter_cache``): cold
in CI's fresh clone, and a test checks that every solved notebook is in the cache after
the build, so that a rebuild without changes runs none of them.

Without Sphinx's packages, playwright or Chromium these tests skip with the reason; under
``CI=true`` they fail instead.
"""

from __future__ import annotations

import functools
import html
import http.server
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from requires import require

try:
    import tomllib
except ImportError:  # Python 3.10: the tomli backport (a dependency there)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


require({module: "pip install -e '.[test]'"  # skipped without them; under CI=true, failed
         for module in ("sphinx", "myst_nb", "pydata_sphinx_theme", "sphinx_click", "numpydoc",
                        "sphinx_copybutton", "jupyter_cache", "playwright")}, chromium=True)

from docs_support import QuietHandler, commands, outside, parse, visit  # noqa: E402

#: Pages every build must have (besides the API pages, checked below).
PAGES = ["index", "getting-started", "course/index", "guide/index", "guide/training",
         "guide/evaluating", "guide/web-lab", "guide/sklearn", "guide/onnx", "guide/sweeps",
         "guide/reproducibility", "guide/bad-input", "reference/index", "reference/cli",
         "benchmarks", "contributing", "changelog", "license"]


# ---------------------------------------------------------------------------
# The build and the server


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The built site (``index.html`` and the rest), built with warnings as errors."""
    out = tmp_path_factory.mktemp("docs") / "html"
    command = [sys.executable, "-m", "sphinx", "-W", "-b", "html", str(DOCS), str(out)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"the docs build failed:\n{log[-6000:]}"
    return out


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, name="docs-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def visits():
    """Every request and console error of every page the tests open, by page."""
    return {}


# ---------------------------------------------------------------------------
# What the build made


def test_the_site_builds_with_every_page(site):
    missing = [p for p in PAGES if not (site / f"{p}.html").exists()]
    assert missing == []
    notebooks = sorted(p.stem for p in (ROOT / "src/steepest/notebooks").glob("*.ipynb"))
    assert len(notebooks) == 9
    assert sorted(p.stem for p in (site / "course").glob("0*.html")) == notebooks


def test_every_module_has_a_reference_page(site):
    import pkgutil

    import steepest

    modules = {"steepest"} | {m.name for m in pkgutil.walk_packages(steepest.__path__,
                                                                     "steepest.")}
    modules.discard("steepest.__main__")  # runs the CLI when imported: nothing to document
    pages = {p.stem for p in (site / "reference" / "api").glob("*.html")}
    assert sorted(modules - pages) == []


def test_every_course_page_shows_the_reference_solutions_results(site):
    from steepest.exercises import EXERCISES

    for page in sorted((site / "course").glob("0*.html")):
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text("utf-8")))  # the page's text
        number = int(page.name[:2])
        names = [e.name for e in EXERCISES.values() if e.notebook == number]
        assert "reference solution" in text, f"{page.name}: no note about the solutions"
        assert "not written yet" not in text.replace("is not written yet or", ""), page.name
        for name in names:  # each checker's feedback on the reference solution
            assert f"✓ {name}: " in text, f"{page.name}: no ✓ for {name}"
        assert "Traceback" not in text and "NotImplementedError" not in text, page.name


def test_a_rebuild_would_run_no_notebook_the_cache_has_them_all(site):
    import nbformat
    from jupyter_cache import get_cache

    cache = get_cache(str(DOCS / "_build" / ".jupyter_cache"))
    for path in sorted((DOCS / "course").glob("*.ipynb")):
        record = cache.match_cache_notebook(nbformat.read(path, as_version=4))  # KeyError if not
        assert record.uri, path.name


def test_every_benchmark_record_is_included_on_the_benchmarks_page():
    page = (DOCS / "benchmarks.md").read_text("utf-8")
    for result in sorted((ROOT / "benchmarks" / "results").glob("*.md")):
        assert f"```{{include}} ../benchmarks/results/{result.name}\n```" in page, result.name


def test_the_test_extra_installs_everything_the_docs_extra_does():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"][
        "optional-dependencies"]
    assert sorted(set(extras["docs"]) - set(extras["test"])) == []


# ---------------------------------------------------------------------------
# Links


def test_every_internal_link_and_source_resolves(site):
    # Every page; not the theme's Jinja macros it leaves in _static (not a page).
    pages = {p: parse(p) for p in site.rglob("*.html") if "_static" not in p.parts}
    broken = []
    for page, parsed in pages.items():
        for what, value in parsed.links:
            url = urlsplit(value)
            if url.scheme in ("http", "https", "mailto") or value.startswith("//"):
                continue
            if url.scheme in ("data", "javascript"):
                continue
            target = page if not url.path else (page.parent / unquote(url.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(site)}: {what}={value!r}"
            if not target.exists():
                broken.append(f"{where}: no such file")
            elif url.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(url.fragment) not in ids:
                    broken.append(f"{where}: no anchor #{url.fragment}")
    assert broken == []
    assert sum(len(p.links) for p in pages.values()) > 1000  # the crawl saw the site


def test_no_page_loads_anything_from_another_host(site):
    """Scripts, styles, images, fonts and frames: all from the site itself (every page)."""
    loads = re.compile(r"<(script|img|iframe|source|link)\b[^>]*?\b(src|href)=\"([^\"]+)\"")
    outside = []
    for page in site.rglob("*.html"):
        if "_static" in page.parts:
            continue
        for tag, _, url in loads.findall(page.read_text("utf-8")):
            if tag == "link" and "stylesheet" not in url and not url.endswith((".css", ".js")):
                continue  # <link rel="next"> and friends are links, not loads
            if urlsplit(url).scheme in ("http", "https") or url.startswith("//"):
                outside.append(f"{page.relative_to(site)}: {url}")
    for css in site.rglob("*.css"):
        outside += [f"{css.relative_to(site)}: {u}" for u in
                    re.findall(r"url\(['\"]?((?:https?:)?//[^)'\"]+)", css.read_text("utf-8"))]
    assert outside == []


# ---------------------------------------------------------------------------
# In the browser


def test_the_search_finds_backpropagation(browser, server, visits):
    with visit(browser, server, visits, "search.html?q=backpropagation") as page:
        page.wait_for_selector("#search-results ul.search li")
        hrefs = page.eval_on_selector_all("#search-results ul.search li a",
                                          "links => links.map(a => a.getAttribute('href'))")
    assert any("course/07-backprop.html" in h for h in hrefs), hrefs


@pytest.mark.parametrize("path", ["course/02-activations.html", "course/07-backprop.html"])
def test_a_course_page_shows_its_figures_and_rendered_math(browser, server, visits, path):
    with visit(browser, server, visits, path) as page:
        page.wait_for_selector("mjx-container")  # MathJax typeset the page's formulas
        page.wait_for_function("[...document.images].every(img => img.complete)")
        math = page.locator("mjx-container").count()
        widths = page.eval_on_selector_all(".cell_output img",
                                           "imgs => imgs.map(img => img.naturalWidth)")
        unrendered = page.locator("span.math:not(:has(mjx-container))").count()
    assert math >= 5
    assert unrendered == 0
    assert widths and all(w > 0 for w in widths), widths


def test_the_web_lab_page_shows_its_screenshots(browser, server, visits):
    with visit(browser, server, visits, "guide/web-lab.html") as page:
        page.wait_for_function("[...document.images].every(img => img.complete)")
        shots = page.eval_on_selector_all(
            "article img", "imgs => imgs.map(img => [img.alt, img.naturalWidth])")
    assert len(shots) == 6 and all(width >= 1000 for _, width in shots), shots


def test_the_reference_page_of_network_lists_forward_and_backward(browser, server, visits):
    with visit(browser, server, visits, "reference/api/steepest.network.html") as page:
        for method in ("forward", "backward"):
            entry = page.locator(f'dt[id="steepest.network.Network.{method}"]')
            assert entry.is_visible(), method
            assert method in entry.inner_text()


@pytest.mark.parametrize("module", ["activations", "losses", "optimizers", "descent"])
def test_the_reference_renders_the_formulas_as_math(browser, server, visits, module):
    with visit(browser, server, visits, f"reference/api/steepest.{module}.html") as page:
        page.wait_for_selector("mjx-container")
        rendered = page.locator("mjx-container").count()
        unrendered = page.locator("span.math:not(:has(mjx-container)), "
                                  "div.math:not(:has(mjx-container))").count()
    assert rendered >= 3 and unrendered == 0


def test_the_cli_page_lists_every_subcommand(browser, server, visits):
    from steepest.cli import main

    expected = commands(main, "steepest")
    assert len(expected) > 15  # steepest, its commands, and plot's
    with visit(browser, server, visits, "reference/cli.html") as page:
        shown = page.eval_on_selector_all(
            "section[id^='steepest']",
            "sections => sections.map(s => [s.id, s.querySelector('h1,h2,h3,h4,h5').innerText])")
    ids = {section_id for section_id, _ in shown}
    assert sorted(ids) == sorted(c.replace(" ", "-") for c in expected)
    titles = " ".join(title for _, title in shown)
    assert all(c.split()[-1] in titles for c in expected)


def test_the_cli_page_documents_every_option_of_every_command(site):
    import click

    from steepest.cli import main

    ids = parse(site / "reference" / "cli.html").ids
    missing = []
    for path in commands(main, "steepest"):
        command = main
        for name in path.split()[1:]:
            command = command.commands[name]
        for param in command.params:
            if isinstance(param, click.Option):
                for opt in param.opts + param.secondary_opts:
                    anchor = f"cmdoption-{path.replace(' ', '-')}-{opt.lstrip('-')}"
                    if anchor not in ids:
                        missing.append(f"{path} {opt}")
    assert missing == []
    assert sum(i.startswith("cmdoption-") for i in ids) > 100


def test_every_top_level_page_loads_cleanly(browser, server, visits):
    for page_name in PAGES:
        with visit(browser, server, visits, f"{page_name}.html"):
            pass


def test_no_console_errors_and_no_request_leaves_127_0_0_1(browser, server, visits):
    """Over every page the tests above opened: run last (pytest keeps the file's order)."""
    if len(visits) < len(PAGES):  # run alone: visit the pages first
        test_every_top_level_page_loads_cleanly(browser, server, visits)
    requests = [u for v in visits.values() for u in v["requests"]]
    assert len(requests) > 10 * len(visits) / 2  # pages load their scripts, styles, fonts
    assert {path: outside(v["requests"], server) for path, v in visits.items()} == {
        path: [] for path in visits}
    assert {path: v["errors"] for path, v in visits.items()} == {path: [] for path in visits}
