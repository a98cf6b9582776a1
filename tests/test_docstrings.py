"""Public docstrings keep the promises of the sections they claim, by numpydoc's validation.

The reference pages are rendered from the docstrings by numpydoc, so a section numpydoc
cannot read, or a Parameters section that no longer matches the signature, is a wrong page.
For every public function, class and method of the modules in :data:`MODULES` (every
module of steepest that defines one: a test holds a new module to that), this runs
``numpydoc.validate.validate`` and fails on these codes:

* always: ``GL06`` (a section numpydoc does not know: misspelt, or Keras style with a
  colon) and ``GL07`` (sections out of numpydoc's order), and :data:`KERAS` below: a
  Keras-style ``Args:`` / ``Returns:`` header, which numpydoc reads as plain text, so that
  every check of its section would silently pass (the docs build renders such a header as
  text too: it has no Keras-style reader any more).  That one is also checked in every
  docstring of the package's source, private ones included;
* where the docstring has a **Parameters** section: ``PR01`` (a parameter of the
  signature left out), ``PR02`` (a documented parameter the signature does not have),
  ``PR03`` (not in the signature's order), ``PR04`` (no type) and ``PR07`` (no
  description);
* where it has a **Returns** or **Yields** section: ``RT03`` (no description of the value).

Not checked, on purpose: a missing section (``PR01`` / ``RT01`` / ``EX01`` on a docstring
that claims no such section: a one-line docstring of an obvious function is complete as it
is; ``python tests/test_docstrings.py`` counts those), style (``SS0x``, ``PR08``-``PR10``:
capitals and full stops), and ``SA01`` / ``ES01``.  The ``>>>`` examples run as doctests
(``--doctest-modules``), so an Examples section is checked there.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")  # the test extra brings it
from numpydoc.docscrape import NumpyDocString  # noqa: E402

#: The modules held to numpydoc (packages: every module in them): since issue 15's second
#: phase converted the last Keras-style docstrings (sweep, cli.sweep), all of steepest's that
#: define a public object.  A new module must be added here
#: (test_every_module_with_public_objects_is_held).
MODULES = ["activations", "losses", "perceptron", "descent", "gradcheck", "optimizers",
           "schedules", "regularizers", "metrics", "datasets", "preprocess", "augment",
           "config", "progress", "course", "exercises", "plots", "summary", "ladder",
           "machine", "messages", "network", "checks", "training", "web",
           "cli.app", "cli.basics", "cli.course", "cli.export", "cli.ladder", "cli.plot",
           "cli.serve", "cli.sweep", "cli.train",
           "blas", "npzfile", "modelfile", "checkpoint", "onnx", "runrecord", "sklearn",
           "sweep"]

ALWAYS = {"GL06", "GL07"}
PARAMETERS = {"PR01", "PR02", "PR03", "PR04", "PR07"}
RETURNS = {"RT03"}
#: A Keras-style section header on a line of its own.
KERAS = re.compile(r"^\s*(Args|Arguments|Returns|Raises|Yields|Attributes|Examples?|Notes?):\s*$",
                   re.MULTILINE)


def _modules(names=MODULES) -> list:
    found = []
    for name in names:
        module = importlib.import_module(f"steepest.{name}")
        found.append(module)
        if hasattr(module, "__path__"):
            found += [importlib.import_module(m.name)
                      for m in pkgutil.walk_packages(module.__path__, f"{module.__name__}.")]
    return found


def public_objects(modules) -> list[tuple[str, object]]:
    """``(qualified name, object)`` for each public function, class, method and property
    defined in ``modules`` (not imported into them)."""
    found = []
    for module in modules:
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                found.append((f"{module.__name__}.{name}", obj))
            elif inspect.isclass(obj):
                found.append((f"{module.__name__}.{name}", obj))
                for member, value in vars(obj).items():
                    function = getattr(value, "__func__", value)
                    if not member.startswith("_") and (inspect.isfunction(function)
                                                       or isinstance(value, property)):
                        found.append((f"{module.__name__}.{name}.{member}", value))
    return found


OBJECTS = public_objects(_modules())


def problems(name: str, obj: object) -> list[str]:
    """The codes above that ``name``'s docstring fails, each with numpydoc's message."""
    text = inspect.getdoc(obj) or ""
    if isinstance(obj, property):
        text = inspect.getdoc(obj.fget) or ""
    checked = set(ALWAYS)
    sections = NumpyDocString(text)
    if sections["Parameters"]:
        checked |= PARAMETERS
    if sections["Returns"] or sections["Yields"]:
        checked |= RETURNS
    found = [f"{code}: {message}" for code, message in numpydoc_validate.validate(name)["errors"]
             if code in checked]
    found += [f"KERAS: {m.group(1)}: is a Keras-style header; numpydoc cannot read it"
              for m in KERAS.finditer(text)]
    return found


def test_the_modules_have_public_objects_to_check():
    assert len(OBJECTS) > 200


@pytest.mark.parametrize("name, obj", OBJECTS, ids=[name for name, _ in OBJECTS])
def test_a_public_docstring_keeps_its_sections_promises(name, obj):
    assert problems(name, obj) == []


def test_the_check_catches_a_parameter_the_signature_does_not_have():
    """The validation can fail: a docstring documenting a parameter that is not there."""

    def scale(x: float, factor: float = 2.0) -> float:
        """Multiply.

        Parameters
        ----------
        x : float
            The number.
        factr : float
            A misspelt parameter.

        Returns
        -------
        float
            ``x * factor``.
        """
        return x * factor

    import sys

    module = sys.modules[__name__]
    module._scale_for_the_test = scale
    scale.__qualname__ = "_scale_for_the_test"
    try:
        found = problems(f"{__name__}._scale_for_the_test", scale)
    finally:
        del module._scale_for_the_test
    assert [p[:4] for p in found] == ["PR01", "PR02"], found


def _all_modules() -> list:
    """Every module of steepest but ``__main__`` (which would run the command line)."""
    import steepest

    names = [m.name for m in pkgutil.iter_modules(steepest.__path__) if m.name != "__main__"]
    return [steepest, *_modules(names)]


def test_every_module_with_public_objects_is_held():
    """A module added to steepest is held to numpydoc too: it cannot stay out of MODULES."""
    held = {name for name, _ in OBJECTS}
    missing = sorted({module.__name__ for module in _all_modules()
                      for name, _ in public_objects([module]) if name not in held})
    assert missing == [], f"add these modules to MODULES: {missing}"


def _docstrings(path: Path) -> list[tuple[int, str, str]]:
    """``(line, name, docstring)`` of the module, every class and every function in
    ``path``, private and nested ones included."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            text = ast.get_docstring(node)
            if text:
                found.append((getattr(node, "lineno", 1), getattr(node, "name", "module"), text))
    return found


def test_no_keras_style_header_remains_anywhere_in_the_package():
    """Not in a public docstring, not in a private one: the site renders none as a section,
    and numpydoc would check none of them."""
    import steepest

    package = Path(steepest.__file__).parent
    paths = sorted(package.rglob("*.py"))
    assert len(paths) > 90  # the whole package, not an empty glob
    found = [f"{path.relative_to(package.parent)}:{line} {name}: {m.group(1)}:"
             for path in paths for line, name, text in _docstrings(path)
             for m in KERAS.finditer(text)]
    assert found == []


def test_the_package_scan_finds_a_keras_style_header(tmp_path):
    source = tmp_path / "keras.py"
    source.write_text('def _private(x):\n    """Double.\n\n    Returns:\n        2x.\n    """\n')
    assert [m.group(1) for _, _, text in _docstrings(source) for m in KERAS.finditer(text)] \
        == ["Returns"]


def test_the_check_catches_a_keras_style_section():
    def keras(x: float) -> float:
        """Double.

        Args:
            x: the number.
        """
        return 2 * x

    assert any(p.startswith("KERAS: Args") for p in problems("builtins.len", keras))


# ---------------------------------------------------------------------------
# python tests/test_docstrings.py: how many public docstrings are complete, package-wide

#: A complete docstring: there is one, it documents every parameter in a Parameters section
#: (and no other), says what a function that returns something returns, and numpydoc can
#: read all of it.
INCOMPLETE = {"GL08", "PR01", "PR02", "RT01"}


def coverage() -> dict[str, tuple[int, int, int]]:
    """``{module: (complete, with a docstring, public objects)}`` over all of steepest."""
    counts = {}
    for module in _all_modules():
        objects = public_objects([module])
        complete = documented = 0
        for name, obj in objects:
            codes = {code for code, _ in numpydoc_validate.validate(name)["errors"]}
            text = inspect.getdoc(obj.fget if isinstance(obj, property) else obj) or ""
            complete += not (codes & INCOMPLETE) and not KERAS.search(text)
            documented += "GL08" not in codes
        if objects:
            counts[module.__name__] = (complete, documented, len(objects))
    return counts


if __name__ == "__main__":
    held = {m.__name__ for m in _modules()}
    totals = {True: [0, 0, 0], False: [0, 0, 0]}
    for module, counts in sorted(coverage().items()):
        note = "" if module in held else "  (not held yet)"
        print(f"{counts[0]:4d} complete, {counts[1]:4d} documented, of {counts[2]:4d}  "
              f"{module}{note}")
        totals[module in held] = [t + c for t, c in zip(totals[module in held], counts)]
    for held_yet, (complete, documented, total) in totals.items():
        print(f"modules {'held' if held_yet else 'not held yet'}: {complete} complete, "
              f"{documented} with a docstring, of {total}")
    complete, documented, total = (a + b for a, b in zip(totals[True], totals[False]))
    print(f"all of steepest: {complete} of {total} public functions, classes, methods and "
          f"properties have complete docstrings; {documented} have a docstring")
