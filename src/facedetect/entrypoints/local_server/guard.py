"""What the local server refuses before anything else: foreign ``Host`` names and cross-site writes.

A server on a loopback address is reachable from every web page the user's browser opens.
Two attacks follow, and two rules stop them:

* **DNS rebinding**: a page on ``evil.example`` points its own name at ``127.0.0.1`` and
  reads ``/faces/{id}/image`` as if same-origin. The browser still sends ``Host:
  evil.example:8000``; with a loopback bind, only ``localhost``, ``127.0.0.1``, ``[::1]``
  and the bound address, each with the server's port, are served: anything else is 421.
* **Cross-site writes**: a page may POST to any URL without asking (a form, or ``fetch``
  in ``no-cors`` mode). Browsers send ``Origin`` with such requests; a state-changing
  request (anything but ``GET``/``HEAD``/``OPTIONS``) whose ``Origin`` is not this server
  is 403. The API also refuses uploads in the content types such requests can carry
  (:mod:`facedetect.entrypoints.rest.body`), so an upload needs both to slip through.

A server bound to a non-loopback address serves any ``Host`` (it cannot know the names
it is reached by); the ``Origin`` rule still holds, against the ``Host`` the request names.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Refusal:
    """An answer the guard gives instead of serving the request."""

    status: int
    code: str
    message: str


@dataclass(frozen=True)
class RequestGuard:
    """The ``Host`` and ``Origin`` rules for one listening address.

    Attributes
    ----------
    allowed_hosts
        ``host:port`` authorities (lower case, IPv6 in brackets) a request may name in
        ``Host``; ``None`` accepts any (non-loopback bind).
    """

    allowed_hosts: frozenset[str] | None

    def refusal(self, method: str, environ: Mapping[str, Any]) -> Refusal | None:
        """Why this request must not be served, or ``None`` when it may be."""
        host = str(environ.get("HTTP_HOST") or "").strip().lower()
        authority = _authority(host, "http") if host else None
        if self.allowed_hosts is not None and authority not in self.allowed_hosts:
            return Refusal(421, "host_not_allowed",
                           "This server answers only requests addressed to it by a loopback name "
                           f"({', '.join(sorted(self.allowed_hosts))}); the Host header named something else.")
        origin = environ.get("HTTP_ORIGIN")
        if method not in _SAFE_METHODS and origin is not None and not _same_origin(str(origin), authority):
            return Refusal(403, "cross_origin_refused",
                           "A page from another origin cannot change data on this server; "
                           "use the upload page it serves, or a client that sends no foreign Origin.")
        return None


def guard_for(bound_host: str, port: int) -> RequestGuard:
    """The guard for a server listening on ``bound_host:port``: strict ``Host`` for loopback binds."""
    if not is_loopback(bound_host):
        return RequestGuard(allowed_hosts=None)
    bound = f"[{bound_host}]" if ":" in bound_host else bound_host
    names = {*LOOPBACK_NAMES, bound.lower()}
    return RequestGuard(allowed_hosts=frozenset(f"{name}:{port}" for name in names))


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address, or ``localhost``) is this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _authority(netloc: str, scheme: str) -> str | None:
    """``"LocalHost"`` -> ``"localhost:80"``; ``None`` when it cannot be a host (userinfo, bad port)."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        name, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not name or parts.username is not None or parts.path or parts.query or parts.fragment:
        return None
    shown = f"[{name}]" if ":" in name else name
    return f"{shown}:{port if port is not None else _DEFAULT_PORTS[scheme]}"


def _same_origin(origin: str, authority: str | None) -> bool:
    """Whether ``Origin`` names the host and port the request was sent to (``null`` never does)."""
    scheme, _, rest = origin.strip().lower().partition("://")
    if scheme not in _DEFAULT_PORTS or not rest:
        return False
    return authority is not None and _authority(rest, scheme) == authority
