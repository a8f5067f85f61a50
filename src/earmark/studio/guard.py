"""Keeping other websites out of a studio that runs on this computer.

A web page from anywhere can make the browser send a form to ``http://127.0.0.1:PORT`` (no
preflight for form uploads), or rebind a domain name to 127.0.0.1. So the studio answers
only requests addressed to a host name it serves under (IPv6 literals included), and refuses
any request that changes something — and every WebSocket — when the browser says it comes
from another origin. Scripts (curl, httpx) send no ``Origin`` and are not affected.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["SameOriginMiddleware", "error_body", "host_name"]

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def error_body(status: int, kind: str, message: str) -> dict[str, Any]:
    """The one error shape every studio answer uses (HTTP and WebSocket)."""
    return {"error": {"status": status, "type": kind, "message": message}}


def host_name(host_header: str) -> str:
    """The host name of a ``Host`` header, without its port: ``[::1]:8000`` → ``::1``."""
    try:
        return (urlsplit(f"//{host_header}").hostname or "").lower()
    except ValueError:
        return ""


class SameOriginMiddleware:
    """Refuses requests addressed to a host name not in ``allowed_hosts`` (400), and
    state-changing requests and WebSockets whose ``Origin`` is not the studio's own (403)."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: list[str]) -> None:
        self.app = app
        self.any_host = "*" in allowed_hosts
        self.allowed = {h.strip("[]").lower() for h in allowed_hosts}  # names, no ports: "::1", "localhost"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        origin, host = headers.get("origin"), headers.get("host", "")
        if not self.any_host and host_name(host) not in self.allowed:
            await _refuse(scope, send, 400, "InvalidHost",
                          f"this studio does not serve the host name {host!r}; open it at {_own_address(scope)}")
            return
        changes = scope["type"] == "websocket" or scope["method"] not in _SAFE_METHODS
        if not changes or origin is None or urlsplit(origin).netloc == host:
            await self.app(scope, receive, send)
            return
        await _refuse(scope, send, 403, "ForbiddenOrigin",
                      f"refused a request from {origin}: only pages of this studio ({host}) may change "
                      "its projects; open the studio itself")


def _own_address(scope: Scope) -> str:
    """The studio's address as the request reached it (the address and port it listens on): ``http://127.0.0.1:8767``."""
    server = scope.get("server")
    if not server or server[1] is None:  # a Unix socket, or a server that does not say
        return "http://127.0.0.1"
    address, port = server
    return f"http://[{address}]:{port}" if ":" in address else f"http://{address}:{port}"


async def _refuse(scope: Scope, send: Send, status: int, kind: str, message: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
        return
    body = json.dumps(error_body(status, kind, message)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
