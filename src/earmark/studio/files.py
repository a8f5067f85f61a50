"""How the studio sends a file (a sample's audio, a spectrogram thumbnail, a model): Starlette's
:class:`~starlette.responses.FileResponse` (whole, or the parts a ``Range`` asks for), which also
answers a conditional request for the version the client has with 304, and a ``Range`` it cannot
serve in the studio's one JSON error shape (Starlette answers those in plain text)."""

from __future__ import annotations

import os
from email.utils import formatdate, parsedate_to_datetime

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.responses import FileResponse
from starlette.staticfiles import NotModifiedResponse
from starlette.types import Message, Receive, Scope, Send

from ..errors import ParameterError, RangeNotSatisfiableError
from ..naming import quoted

__all__ = ["StudioFileResponse", "version_headers"]

#: The most of a ``Range`` header an error message repeats.
_SHOWN_RANGE = 80


class StudioFileResponse(FileResponse):
    """A :class:`FileResponse` that answers ``If-None-Match`` (or, without it, ``If-Modified-Since``)
    naming the file's version with 304 Not Modified, and a ``Range`` it refuses (unreadable: 400; past
    the end: 416, with ``Content-Range: bytes */SIZE``) with an error the studio's handlers answer."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.status_code != 200:
            await super().__call__(scope, receive, send)
            return
        if self.stat_result is None:  # its ETag and Last-Modified, to compare with the request's
            self.stat_result = await anyio.to_thread.run_sync(os.stat, self.path)
            self.set_stat_headers(self.stat_result)
        asked = Headers(scope=scope)
        if scope["method"] in ("GET", "HEAD") and self._not_modified(asked):
            await NotModifiedResponse(self.headers)(scope, receive, send)
            return
        if scope["method"] == "HEAD" and "range" in asked:  # Range is defined for GET only (RFC 9110 §14.2)
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"range"]}
            asked = Headers(scope=scope)
        size = self.stat_result.st_size

        async def send_or_refuse(message: Message) -> None:
            # Starlette refuses a Range by sending a plain-text 400 or 416 instead of the file: raised
            # before anything is sent, it reaches the app's error handlers (the one JSON shape)
            if message["type"] == "http.response.start" and message["status"] in (400, 416) and "range" in asked:
                raise _range_refused(message["status"], asked["range"], size=size)
            await send(message)

        await super().__call__(scope, receive, send_or_refuse)

    def _not_modified(self, asked: Headers) -> bool:
        """Whether the request's validators name the version of the file this would send."""
        if (tags := asked.get("if-none-match")) is not None:  # it wins over If-Modified-Since (RFC 9110)
            weak = {tag.strip().removeprefix("W/") for tag in tags.split(",")}
            return "*" in weak or self.headers["etag"] in weak
        if (since := asked.get("if-modified-since")) is None:
            return False
        try:
            return parsedate_to_datetime(since) >= parsedate_to_datetime(self.headers["last-modified"])
        except (TypeError, ValueError):  # not a date: the file is sent
            return False


def version_headers(tag: str, *, modified_s: float) -> dict[str, str]:
    """``ETag`` and ``Last-Modified`` for a file whose own change time is not its version: a copy or
    picture made from a sample, kept in ``.cache`` and marked used (touched) each time it is sent.
    ``tag`` names what it was made from (its cache key); ``modified_s`` is when that last changed."""
    return {"ETag": f'"{tag}"', "Last-Modified": formatdate(modified_s, usegmt=True)}


def _range_refused(status: int, asked: str, *, size: int) -> ParameterError:
    """The error for a ``Range`` header Starlette refused with ``status`` (400 or 416), for a file of ``size`` bytes."""
    shown = quoted(asked if len(asked) <= _SHOWN_RANGE else asked[:_SHOWN_RANGE] + "…")
    span = f"the file has {size} bytes: 0 to {size - 1}" if size else "the file is empty"
    whole = "or send no Range header for the whole file"
    if status == 416:
        return RangeNotSatisfiableError(f"the Range header {shown} asks for bytes past the end ({span}); ask for a "
                                        f"range inside it, {whole}", size=size)
    return ParameterError(f"the Range header {shown} cannot be read ({span}); send one like 'bytes=0-1023', {whole}")
