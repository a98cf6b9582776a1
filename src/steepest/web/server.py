"""The HTTP server under the web lab: waitress when installed, else werkzeug's threaded server.

Why waitress (the ``web`` extra installs it): it keeps connections open
between requests (HTTP keep-alive) and answers them from a fixed pool of
threads.  Werkzeug's development server closes the connection after every
response and starts a new thread for the next one; measured on this project's
2-core machine, a prediction cost the server about 1.5 ms of CPU through
werkzeug and 0.8 ms through waitress, and p99 latency with 32 clients halved
(``benchmarks/bench_web_latency.py``).  Both are pure Python; without waitress
the lab still works, only slower under load.

:func:`make_server` binds the socket itself, so a port in use is an ``OSError``
for the caller instead of a message printed by the server library, and it
tells the lab's :class:`~.guard.Guard` which address and port are its own.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

#: Worker threads.  A page following a training job holds one for as long as
#: it follows (see :data:`steepest.web.lab.MAX_STREAMS`); the rest answer requests.
THREADS = 16
#: Bodies larger than this are refused by the server before the app sees them
#: (a plain-text 413); between the app's own limit and this one the app answers
#: with a JSON 413.  It bounds what one request can make the server buffer.
HARD_BODY_LIMIT = 8 * 1024 * 1024


class LabServer:
    """A bound, ready server: ``port``, ``serve_forever()``, ``shutdown()``, ``server_close()``."""

    def __init__(self, app: Any, sock: socket.socket, engine: str = "auto") -> None:
        self.port = sock.getsockname()[1]
        try:
            if engine == "werkzeug":
                raise ImportError("werkzeug asked for")
            from waitress.server import create_server
        except ImportError:
            if engine == "waitress":
                raise
            self.kind = "werkzeug"
            self._server = _werkzeug_server(app, sock)
        else:
            self.kind = "waitress"
            logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "queue depth" chatter
            self._server = create_server(
                app, sockets=[sock], threads=THREADS, ident="steepest",
                max_request_body_size=HARD_BODY_LIMIT, clear_untrusted_proxy_headers=True,
            )

    def serve_forever(self) -> None:
        """Answer requests until :meth:`shutdown` (from another thread) or Ctrl+C."""
        if self.kind == "waitress":
            self._server.run()
        else:
            self._server.serve_forever()

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` and close every connection."""
        if self.kind == "waitress":
            server = self._server
            server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
            closed = threading.Event()

            def close_channels() -> None:
                for channel in list(server._map.values()):  # the loop ends when its map is empty
                    channel.handle_close()
                closed.set()

            # Run the closing in the loop's own thread (the trigger wakes it up):
            # closing sockets under a select() running in another thread makes
            # that select fail with "Bad file descriptor".
            server.trigger.pull_trigger(close_channels)
            closed.wait(timeout=5)
        else:
            self._server.shutdown()

    def server_close(self) -> None:
        if self.kind == "werkzeug":
            self._server.server_close()


def make_server(app: Any, host: str = "127.0.0.1", port: int = 8000,
                engine: str = "auto") -> LabServer:
    """Bind ``host:port`` (port 0 picks a free one) and return a server for the WSGI ``app``.

    ``engine`` is ``"auto"`` (waitress if installed, else werkzeug), ``"waitress"``
    or ``"werkzeug"``.

    Parameters
    ----------
    app : Flask
        the lab (or any WSGI app).
    host : str
        the address to listen on; the app's :class:`~.guard.Guard` (if it has one)
        learns it.
    port : int
        0 picks a free one.
    engine : str
        ``"auto"``, ``"waitress"`` or ``"werkzeug"``.

    Returns
    -------
    LabServer
        bound, not yet serving.

    Raises
    ------
    OSError
        the address cannot be bound (in use, not this machine's, ...).
    ImportError
        ``engine="waitress"`` without waitress installed.
    """
    if engine not in ("auto", "waitress", "werkzeug"):
        raise ValueError(f"engine must be auto, waitress or werkzeug, got {engine!r}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
        server = LabServer(app, sock, engine)
    except BaseException:
        sock.close()
        raise
    lab = getattr(app, "extensions", {}).get("steepest_lab")
    if lab is not None:  # the lab answers only to its own address (see .guard)
        lab.guard.listen(host, server.port)
    return server


def _werkzeug_server(app: Any, sock: socket.socket):
    from werkzeug.serving import WSGIRequestHandler
    from werkzeug.serving import make_server as werkzeug_make_server

    class Handler(WSGIRequestHandler):
        """No log line per request; no Nagle delay between a response's headers and body."""

        disable_nagle_algorithm = True

        def log_request(self, code="-", size="-") -> None:
            return None

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    sock.setblocking(True)
    server = werkzeug_make_server(sock.getsockname()[0], sock.getsockname()[1], app,
                                  threaded=True, request_handler=Handler, fd=sock.fileno())
    sock.close()  # werkzeug works on a duplicate of the descriptor
    return server
