"""Keeping other websites out of a studio that runs on this computer.

A web page from anywhere can make the browser send a form to ``http://127.0.0.1:PORT`` (no
preflight for form uploads), or rebind a domain name to 127.0.0.1. So the studio answers
only requests addressed to a host it serves under (``TrustedHostMiddleware``), and refuses
any request that changes something — and every WebSocket — when the browser says it comes
from another origin. Scripts (curl, httpx) send no ``Origin`` and are not affected.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["SameOriginMiddleware", "error_body"]

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def error_body(status: int, kind: str, message: str) -> dict[str, Any]:
    """The one error shape every studio answer uses (HTTP and WebSocket)."""
    return {"error": {"status": status, "type": kind, "message": message}}


class SameOriginMiddleware:
    """403 for state-changing requests and WebSockets whose ``Origin`` is not the studio's own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or (
                scope["type"] == "http" and scope["method"] in _SAFE_METHODS):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        origin, host = headers.get("origin"), headers.get("host", "")
        if origin is None or urlsplit(origin).netloc == host:
            await self.app(scope, receive, send)
            return
        message = (f"refused a request from {origin}: only pages of this studio ({host}) may change "
                   "its projects; open the studio itself")
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
            return
        body = json.dumps(error_body(403, "ForbiddenOrigin", message)).encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
