"""The web lab in tests: an app whose lab is closed after use, and the lab's own server.

Each training job runs in a thread of the app's lab, so a test that makes an app
closes the lab when it is done (ending its jobs); :func:`lab_app` does that once
for every test, and :func:`running` serves an app over a real socket, as
``steepest serve`` does.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def lab_app(*args, **settings) -> Iterator:
    """``create_app(*args, **settings)``; on exit its lab closes, ending its training jobs."""
    from steepest.web.app import create_app

    app = create_app(*args, **settings)
    try:
        yield app
    finally:
        app.extensions["steepest_lab"].close()


@contextlib.contextmanager
def running(app, **server_settings) -> Iterator:
    """``app`` served by the lab's own server (:func:`steepest.web.server.make_server`) on a
    free loopback port, in a thread; yields the server (``.port``, ``.kind``).

    On exit the server stops; the lab stays open (see :func:`lab_app`).
    """
    from steepest.web.server import make_server

    server = make_server(app, "127.0.0.1", 0, **server_settings)
    threading.Thread(target=server.serve_forever, name="lab-server", daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
