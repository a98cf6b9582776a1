"""Who may talk to the lab: its own page, at its own address, sending JSON.

The lab has no login: whoever reaches its socket may use it.  On the default
address (127.0.0.1) that is the people on this machine -- and every web page
they have open, because a browser sends requests wherever a page asks.  Three
checks, before any route runs, keep those pages out:

* **Host** (DNS rebinding).  A page at ``evil.example`` can make that name
  resolve to 127.0.0.1; the browser then treats the lab as part of
  ``evil.example`` and lets the page read its answers.  But the browser still
  says ``Host: evil.example:8000``, so only the lab's own names are served:
  ``localhost``, a loopback address (127.0.0.1, ``[::1]``) or the address
  ``steepest serve --host`` was given, each with the port it listens on.
  Served on a wildcard address (``0.0.0.0``, ``::``) the lab also answers to
  this machine's host name and to any IP address, which DNS cannot rebind.
* **Origin**.  Browsers name the page behind every cross-origin request and
  every POST; when that origin is not the lab's own (``http://`` and the
  request's own Host) the request is refused.  Where the browser sends
  ``Sec-Fetch-Site``, a request from another site (or another port of this
  one) is refused too -- an ``<img>``, a no-cors ``fetch``, an ``<iframe>``
  -- with one exception: a top-level navigation to the page itself
  (``GET /``, ``Sec-Fetch-Mode: navigate``, ``Sec-Fetch-Dest: document``),
  which is a person following a link to the lab.  The API routes never
  answer another site.
* **Content-Type**.  Every POST must say ``application/json``.  A plain HTML
  form or a "simple" cross-site ``fetch`` cannot send that header without
  first asking the lab's permission (a CORS preflight), which it never gives.

A refusal is a 403 (Host, Origin) or a 415 (Content-Type) with the usual
``{"error": ...}`` body.  And no page may frame the lab: every answer says
``X-Frame-Options: DENY`` and ``Content-Security-Policy: frame-ancestors
'none'``, which also covers browsers that send no ``Sec-Fetch-*`` headers
(older ones, and any browser talking to a lab on a non-loopback ``http://``
address).  Until a server has bound the lab to a port
(:meth:`Guard.listen`, which :func:`.server.make_server` calls), the loopback
names are accepted on any port: that is the app inside Flask's test client or
another WSGI server on this machine.
"""

from __future__ import annotations

import ipaddress
import re
import socket

from flask import Flask, Response, request

from .validate import ApiError

#: ``name`` or ``name:port``; an IPv6 address in brackets.
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^\[\]:/@\s]+)(?::([0-9]{1,5}))?")
WILDCARDS = ("0.0.0.0", "::", "")
#: The CSP directive that keeps every page from framing the lab.
FRAME_ANCESTORS = "frame-ancestors 'none'"


def split_host(value: str, default_port: int = 80) -> tuple[str, int] | None:
    """``"LocalHost:8000"`` -> ``("localhost", 8000)``; ``"[::1]"`` -> ``("::1", 80)``.

    IP addresses come back in their standard form; None for anything malformed.

    >>> split_host("127.0.0.1:8000"), split_host("[0:0::1]:80"), split_host("a b")
    (('127.0.0.1', 8000), ('::1', 80), None)
    """
    match = _HOST.fullmatch(value.strip())
    if match is None:
        return None
    name, port = match.group(1).lower(), match.group(2)
    if name.startswith("["):
        name = name[1:-1]
        if _ip(name) is None or ":" not in name:
            return None
    ip = _ip(name)
    return (str(ip) if ip is not None else name), (int(port) if port else default_port)


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def same_origin(origin: str, host: str) -> bool:
    """Whether an ``Origin`` header names the page at ``http://`` + ``host``.

    >>> same_origin("http://LOCALHOST:8000", "localhost:8000"), same_origin("null", "localhost")
    (True, False)
    """
    scheme, _, rest = origin.partition("://")
    here = split_host(host)
    return scheme.lower() == "http" and here is not None and split_host(rest) == here


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses: reachable from this machine only."""
    ip = _ip(host.strip("[]"))
    return host.lower() == "localhost" or (ip is not None and ip.is_loopback)


class Guard:
    """The lab's own addresses, and the checks every request passes first."""

    def __init__(self) -> None:
        self.host: str | None = None  # what the server was bound to, once it is
        self.port: int | None = None
        self.names: set[str] = set()

    def listen(self, host: str, port: int) -> None:
        """The server has bound ``host:port``: from now on only that port is the lab's."""
        bound = split_host(f"[{host}]" if ":" in host else host)
        self.host, self.port = (bound[0] if bound else host.lower()), port
        self.names = {"localhost", self.host}
        if self.host in WILDCARDS:  # reachable by this machine's own names as well
            self.names |= {socket.gethostname().lower(), socket.getfqdn().lower()}

    def own_host(self, value: str) -> bool:
        """Whether a request's ``Host`` header names this lab."""
        parsed = split_host(value)
        if parsed is None:
            return False
        name, port = parsed
        ip = _ip(name)
        if self.port is None:  # not bound to a port yet: loopback names only
            return is_loopback(name)
        if port != self.port:
            return False
        if name in self.names or (ip is not None and ip.is_loopback and is_loopback(self.host)):
            return True
        return ip is not None and self.host in WILDCARDS  # an IP address cannot be rebound

    def check(self) -> None:
        """Refuse the current request (403 or 415) unless it comes from the lab's own page."""
        host = request.headers.get("Host", "")
        if not self.own_host(host):
            raise ApiError(f"refused: Host {host[:80]!r} is not this lab's address "
                           "(open the lab at the address `steepest serve` printed)", status=403)
        origin = request.headers.get("Origin")
        if origin is not None and not same_origin(origin, host):
            raise ApiError(f"refused: a page from {origin[:80]!r} may not use this lab; "
                           "only the lab's own page may", status=403)
        site = request.headers.get("Sec-Fetch-Site", "same-origin")
        if site not in ("same-origin", "none") and not following_a_link():
            dest = request.headers.get("Sec-Fetch-Dest", "")
            raise ApiError(f"refused: a {site[:40]} request ({dest[:40] or 'no destination'}) "
                           "may not use this lab; only the lab's own page may, and another "
                           "site may only link to it", status=403)
        if (request.method == "POST" and request.routing_exception is None
                and request.mimetype != "application/json"):
            sent = request.mimetype or "no Content-Type"
            raise ApiError(f"a POST body must be JSON with Content-Type: application/json, "
                           f"got {sent[:80]!r}", status=415)


def following_a_link() -> bool:
    """Whether the current request is a top-level navigation to the page, ``GET /``.

    What a browser sends when a person follows a link from another site to the
    lab: ``Sec-Fetch-Mode: navigate`` and ``Sec-Fetch-Dest: document``.  An
    ``<iframe>`` says ``Sec-Fetch-Dest: iframe``; an API route is never a page
    to link to.  (``Sec-Fetch-User: ?1`` is not required: Safari never sends it.)
    """
    return (request.method == "GET" and request.path == "/"
            and request.headers.get("Sec-Fetch-Mode") == "navigate"
            and request.headers.get("Sec-Fetch-Dest") == "document")


def no_framing(response: Response) -> Response:
    """Forbid every page, the lab's own included, to show ``response`` in a frame.

    ``X-Frame-Options`` for older browsers, CSP ``frame-ancestors`` for the
    rest; a ``Content-Security-Policy`` already set keeps its other directives.
    """
    response.headers["X-Frame-Options"] = "DENY"
    policy = response.headers.get("Content-Security-Policy", "")
    kept = [d.strip() for d in policy.split(";")
            if d.strip() and d.split()[0].lower() != "frame-ancestors"]
    response.headers["Content-Security-Policy"] = "; ".join([*kept, FRAME_ANCESTORS])
    return response


def protect(app: Flask) -> Guard:
    """Check every request of ``app`` with a new :class:`Guard`, which is returned;
    every answer (refusals and errors too) forbids framing (:func:`no_framing`)."""
    guard = Guard()
    app.before_request(guard.check)
    app.after_request(no_framing)
    return guard
