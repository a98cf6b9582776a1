"""``steepest serve``: the web lab."""

from __future__ import annotations

import click

from .app import UserError, install_hint, main

# ---------------------------------------------------------------------------
# steepest serve


@main.command()
@click.argument("model", required=False, type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default is reachable from this machine only. "
                   "The lab has no login: anyone who can reach the address can use it.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one.")
def serve(model, host, port):
    """The web lab: draw a digit, look inside the network, watch it learn.

    Serves MODEL (a .npz from `steepest train`); without one, the lecture's
    784-15-10 network is trained in the background first, its progress on the
    page, and the terminal says when it is done.  Needs Flask, from steepest's
    web extra: in the steepest checkout, python -m pip install -e ".[web]".
    """
    import signal

    try:
        from ..web.app import create_app
        from ..web.guard import is_loopback
        from ..web.server import make_server
    except ImportError as exc:
        raise UserError(f"the web lab needs Flask ({exc}); {install_hint('web')}") from None

    where: dict[str, str] = {}  # the URL, known once the socket is bound
    app = create_app(model, on_job_end=lambda job, final: _report_startup(job, final, where))
    lab = app.extensions["steepest_lab"]
    try:
        server = make_server(app, host, port)
    except OSError as exc:
        lab.close()
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                        "(try another --port, or --port 0 for a free one)") from None
    shown = f"[{host}]" if ":" in host else host
    where["url"] = f"http://{shown}:{server.port}/"
    if not is_loopback(host):  # before the URL line, which scripts (and tests) wait for
        click.echo(f"steepest: warning: listening on {host}, not only on this machine: the lab "
                   "has no authentication, so anyone who can reach this address can use it "
                   "(predict, train, cancel, download the model)", err=True)
    click.echo(f"steepest web lab: {where['url']}  (Ctrl+C to stop)")
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


def _report_startup(job: dict, final: dict, where: dict[str, str]) -> None:
    """Say on the terminal how the start-up training ended and where its model is."""
    if not job["startup"] or "shutting down" in job["message"]:
        return  # a job started on the page reports there; Ctrl+C needs no report
    model = final.get("model")
    if final["type"] == "done":
        head = f"start-up training finished: {final['message']} in {job['seconds']:.0f} s"
    else:
        head = f"start-up training stopped: {final['message']}"
    if model is None:
        click.echo(f"{head}; no model is served (train one on the page's Train tab)")
        return
    accuracy = model.get("test_accuracy")
    shown = "unknown" if accuracy is None else f"{100 * accuracy:.2f} %"
    click.echo(f"{head}; serving {model['description']}, test accuracy {shown}\n"
               "the model is not saved to a file (it lives in this server's memory): download it "
               f"from {where.get('url', '/')}api/model/download, or save one with "
               "`steepest train -o model.npz` and serve that")  # one write: lines stay together
