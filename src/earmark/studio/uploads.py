"""Reading multipart uploads into a temporary folder, within the studio's limits.

Uploaded names are only ever used as labels (and, sanitised, as file stems by
:mod:`earmark.intake`); the bytes go to numbered files in a private temporary folder.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message

from ..errors import EarmarkError, LimitError, ParameterError
from .deps import get_studio
from .settings import StudioSettings

__all__ = ["Upload", "as_upload", "read_upload"]

_CHUNK = 1 << 20


@dataclass
class Upload:
    """Files (``(name as sent, path of its bytes)``) and plain form fields of one request."""

    files: dict[str, list[tuple[str, Path]]] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)

    def all_files(self, key: str) -> list[tuple[str, Path]]:
        return self.files.get(key, [])

    def number(self, key: str) -> float | None:
        value = self.fields.get(key, "").strip()
        if not value:
            return None
        try:
            return float(value)
        except ValueError:
            raise ParameterError(f"form field {key!r} must be a number, got {value!r}") from None


@contextlib.contextmanager
def as_upload(name: str, path: Path) -> Iterator[None]:
    """Errors raised in the block name the upload (``name``), not the temporary ``path`` it was saved as
    (a file, or a folder the upload was unpacked into)."""
    try:
        yield
    except EarmarkError as exc:
        message = str(exc).replace(str(path), name)
        if message == str(exc):
            raise
        raise type(exc)(message) from exc


def _too_big(settings: StudioSettings) -> LimitError:
    return LimitError(f"the upload is more than the limit of {settings.max_upload_mb:.0f} MB; "
                      "upload fewer files at a time")


def _counting(request: Request, limit: int, settings: StudioSettings) -> Request:
    """The same request, whose body stops with :class:`LimitError` past ``limit`` bytes — also when
    it is sent in chunks without a Content-Length (checked while it arrives, not after)."""
    received = 0
    receive = request.receive

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise _too_big(settings)
        return message

    return Request(request.scope, receive=counted)


@contextlib.asynccontextmanager
async def read_upload(request: Request, settings: StudioSettings) -> AsyncIterator[Upload]:
    """Parse a multipart request; its files live in a temporary folder until the block ends."""
    limit = int(settings.max_upload_mb * 1024 * 1024)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise LimitError(f"the upload is {int(declared) / 2**20:.0f} MB, more than the limit of "
                         f"{settings.max_upload_mb:.0f} MB; upload fewer files at a time")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ParameterError("send the files as multipart/form-data (an HTML form or FormData)")
    # in the studio's held folder: a studio killed mid-upload leaves it to the next start to remove
    tmp = Path(tempfile.mkdtemp(prefix="earmark-upload-", dir=get_studio(request).scratch_dir))
    try:
        try:
            form = await _counting(request, limit, settings).form(max_files=settings.max_upload_files,
                                                                   max_fields=100)
        except (MultiPartException, HTTPException) as exc:
            detail = str(getattr(exc, "detail", None) or getattr(exc, "message", None) or exc)
            if "Too many files" in detail or "Too many fields" in detail:
                raise LimitError(f"{detail.rstrip('.')}; upload at most {settings.max_upload_files} files "
                                 "at a time") from exc
            raise ParameterError(f"the upload could not be read ({detail}); send the files as "
                                 "multipart/form-data (an HTML form or FormData)") from exc
        upload = Upload()
        try:
            for n, (key, value) in enumerate(form.multi_items()):
                if isinstance(value, UploadFile):
                    path = tmp / f"{n:05d}.bin"
                    with path.open("wb") as out:
                        while chunk := await value.read(_CHUNK):
                            out.write(chunk)
                    upload.files.setdefault(key, []).append((value.filename or f"file{n}", path))
                else:
                    upload.fields[key] = str(value)
        finally:
            await form.close()
        yield upload
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
