"""What a test module needs before it can run, each missing piece named with how to get it.

A module that needs an extra package or Debian's Chromium calls :func:`require` at
its top, before importing them.  Without them it is skipped with the reasons; under
``CI=true`` conftest.py turns that skip into a failure, so CI cannot pass without
running it.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

CHROMIUM = "/usr/bin/chromium"
#: The web lab's modules: Flask and its server.
WEB = {"flask": "pip install -e '.[web]'"}
#: The browser tests': the lab, playwright (driving Debian's Chromium) and axe-core's checks.
BROWSER = {"playwright": "pip install playwright", **WEB,
           "axe_playwright_python": "pip install -e '.[test]'"}


def missing(modules: dict[str, str], *, chromium: bool = False) -> list[str]:
    """What is missing of ``modules`` (name -> how to install it), and of Chromium if asked.

    >>> missing({"os": "built in", "no_such_module_x": "pip install x"})
    ['no_such_module_x is not installed (pip install x)']
    """
    reasons = [f"{name} is not installed ({hint})" for name, hint in modules.items()
               if importlib.util.find_spec(name) is None]
    if chromium and not os.path.exists(CHROMIUM):
        reasons.append(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    return reasons


def require(modules: dict[str, str], *, chromium: bool = False) -> None:
    """Skip the calling test module unless everything it needs is here (fail under CI)."""
    reasons = missing(modules, chromium=chromium)
    if reasons:
        pytest.skip("; ".join(reasons), allow_module_level=True)
