"""Reading multipart uploads into a temporary folder, within the studio's limits.

Uploaded names are only ever used as labels (and, sanitised, as file stems by
:mod:`earmark.intake`); the bytes go to numbered files in a private temporary folder.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from ..errors import LimitError, ParameterError
from .settings import StudioSettings

__all__ = ["Upload", "read_upload"]

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
    tmp = Path(tempfile.mkdtemp(prefix="earmark-upload-"))
    try:
        try:
            form = await request.form(max_files=settings.max_upload_files, max_fields=100)
        except (MultiPartException, HTTPException) as exc:
            detail = getattr(exc, "detail", None) or getattr(exc, "message", None) or str(exc)
            raise LimitError(f"the upload could not be read ({detail}); upload at most "
                             f"{settings.max_upload_files} files at a time") from exc
        upload = Upload()
        total = 0
        try:
            for n, (key, value) in enumerate(form.multi_items()):
                if isinstance(value, UploadFile):
                    path = tmp / f"{n:05d}.bin"
                    with path.open("wb") as out:
                        while chunk := await value.read(_CHUNK):
                            total += len(chunk)
                            if total > limit:
                                raise LimitError(f"the upload is more than the limit of "
                                                 f"{settings.max_upload_mb:.0f} MB; upload fewer files at a time")
                            out.write(chunk)
                    upload.files.setdefault(key, []).append((value.filename or f"file{n}", path))
                else:
                    upload.fields[key] = str(value)
        finally:
            await form.close()
        yield upload
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
