"""The suite's own rule: under CI=true a skipped test fails, so green means everything ran."""

from pathlib import Path

pytest_plugins = ["pytester"]

CONFTEST = (Path(__file__).parent / "conftest.py").read_text()
SKIPPING = """
import pytest

def test_needs_a_browser():
    pytest.skip("no chromium here")

def test_runs():
    pass
"""


def test_a_skip_fails_under_ci(pytester, monkeypatch):
    monkeypatch.setenv("CI", "true")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(SKIPPING)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*skipped under CI=true*no chromium here*"])


def test_a_missing_package_fails_collection_under_ci(pytester, monkeypatch):
    monkeypatch.setenv("CI", "true")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile('import pytest\npytest.importorskip("no_such_package_x")\n'
                        "def test_a():\n    pass\n")
    result = pytester.runpytest_subprocess()
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*skipped under CI=true*no_such_package_x*"])


def test_outside_ci_a_skip_keeps_its_reason(pytester, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(SKIPPING)
    result = pytester.runpytest_subprocess("-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*no chromium here*"])


REQUIRES = (Path(__file__).parent / "requires.py").read_text()
NEEDS_A_MISSING_PACKAGE = ('from requires import require\n'
                           'require({"no_such_package_x": "pip install x"}, chromium=False)\n'
                           "def test_a():\n    pass\n")


def test_a_module_that_requires_a_missing_package_fails_under_ci(pytester, monkeypatch):
    monkeypatch.setenv("CI", "true")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(requires=REQUIRES, test_needs=NEEDS_A_MISSING_PACKAGE)
    result = pytester.runpytest_subprocess("-p", "no:doctest", "test_needs.py")
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        ["*skipped under CI=true*no_such_package_x is not installed (pip install x)*"])


def test_outside_ci_a_module_that_requires_a_missing_package_skips(pytester, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(requires=REQUIRES, test_needs=NEEDS_A_MISSING_PACKAGE)
    result = pytester.runpytest_subprocess("-rs", "test_needs.py")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*no_such_package_x is not installed (pip install x)*"])
