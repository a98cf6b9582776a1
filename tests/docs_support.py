"""Helpers for the documentation site's tests (``test_docs.py``): a quiet static server,
a page visit that records every request and console error, an HTML link parser, and the
CLI's command paths.
"""

from __future__ import annotations

import contextlib
import html.parser
import http.server
from pathlib import Path

from browser_support import TIMEOUT, Console


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder, as ``python -m http.server`` does, without a line per request."""

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def visit(browser, server, visits, path: str):
    """Open ``path`` on the served site; record its requests and console errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    console = Console(page)
    try:
        page.goto(server + path)
        page.wait_for_load_state("networkidle")
        yield page
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
        visits[path] = {"requests": requests, "errors": console.unexpected()}


def outside(urls: list[str], server: str) -> list[str]:
    """The URLs that are neither on ``server`` nor inline (``data:``, ``blob:``)."""
    return [u for u in urls if not (u.startswith(server) or u.startswith(("data:", "blob:")))]


class Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (attribute, value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key) and (key == "id" or tag == "a"):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) is not None and not (tag == "link" and attrs.get("rel") in (
                    "canonical",)):
                self.links.append((f"{tag} {key}", attrs[key]))


def parse(path: Path) -> Links:
    """The ids and the href/src values of one HTML page."""
    parser = Links()
    parser.feed(path.read_text("utf-8"))
    return parser


def commands(group, path: str) -> list[str]:
    import click

    found = [path]
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            found += commands(command, f"{path} {name}")
    return found
