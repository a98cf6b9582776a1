"""``steepest serve``: the web lab."""

from __future__ import annotations

import click

from .app import UserError, main

# ---------------------------------------------------------------------------
# steepest serve


@main.command()
@click.argument("model", required=False, type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default is reachable from this machine only.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one.")
def serve(model, host, port):
    """The web lab: draw a digit, look inside the network, watch it learn.

    Serves MODEL (a .npz from `steepest train`); without one, the lecture's
    784-15-10 network is trained in the background first, its progress on the
    page.  Needs Flask: pip install 'steepest[web]'.
    """
    import signal

    try:
        from ..web.app import create_app
        from ..web.server import make_server
    except ImportError as exc:
        raise UserError(f"the web lab needs Flask ({exc}); pip install 'steepest[web]'") from None

    app = create_app(model)
    lab = app.extensions["steepest_lab"]
    try:
        server = make_server(app, host, port)
    except OSError as exc:
        lab.close()
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                        "(try another --port, or --port 0 for a free one)") from None
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"steepest web lab: http://{shown}:{server.port}/  (Ctrl+C to stop)")
    if model is None:
        click.echo("no model given: training the lecture's network first; the page shows progress")

    def stop(signum, frame):  # `kill` stops the server as cleanly as Ctrl+C does
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        lab.close()
