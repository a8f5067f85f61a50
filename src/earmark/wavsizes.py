"""The sizes of an RF64 or W64 file written to a pipe, filled in from the file's length (:func:`with_sizes_filled`).

An RF64 WAV written to a pipe (``ffmpeg -rf64 always … -``) leaves its sizes 0, as it could not go back
to fill them in; libsndfile and FFmpeg then read no samples at all. A W64 written to a pipe states
placeholders, which libsndfile reads but seeks to (printing errors). This gives libsndfile the file with
sizes from the file's length.
"""

from __future__ import annotations

import io
from typing import BinaryIO, cast

from .peek import read_at, size_of

__all__ = ["with_sizes_filled"]

#: A W64 riff size this big is a placeholder, not a size (FFmpeg writes 2**64 - 1 to a pipe).
_W64_PLACEHOLDER = 1 << 62


class _PatchedHead(io.RawIOBase):
    """``raw`` read through, with its first ``len(head)`` bytes replaced by ``head``."""

    def __init__(self, raw: BinaryIO, head: bytes) -> None:
        super().__init__()
        self._raw, self._head = raw, head
        self.name = getattr(raw, "name", "<file object>")

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        at = self._raw.tell()
        data = self._raw.read(len(buffer))
        if at < len(self._head):
            patch = self._head[at : at + len(data)]
            data = patch + data[len(patch) :]
        buffer[: len(data)] = data
        return len(data)


def _rf64_sized(head: bytearray, size: int) -> bool:
    """Fill in the sizes of an RF64 ``head`` whose ``ds64`` chunk states 0; whether it was one."""
    if head[:4] != b"RF64" or head[12:16] != b"ds64" or any(head[20:36]):
        return False
    at = 12
    while at + 8 <= len(head) and head[at : at + 4] != b"data":  # walk the chunks to the data
        at += 8 + int.from_bytes(head[at + 4 : at + 8], "little") + (head[at + 4] & 1)
    if head[at : at + 4] != b"data":
        return False
    head[20:28] = (size - 8).to_bytes(8, "little")  # the RIFF size
    head[28:36] = (size - at - 8).to_bytes(8, "little")  # the data size
    return True


def _w64_sized(head: bytearray, size: int) -> bool:
    """Fill in the sizes of a W64 ``head`` whose riff chunk states a placeholder (FFmpeg's ``-1``, written
    to a pipe; libsndfile reads the file but seeks to the placeholder on the way); whether it was one."""
    if head[:4] != b"riff" or int.from_bytes(head[16:24], "little") < _W64_PLACEHOLDER:
        return False
    at = 40  # past riff's GUID and size and wave's GUID; each chunk: a GUID, its size with the header, 8-aligned
    while at + 24 <= len(head) and head[at : at + 4] != b"data":
        chunk = int.from_bytes(head[at + 16 : at + 24], "little")
        if chunk < 24:
            return False
        at += (chunk + 7) & ~7
    if head[at : at + 4] != b"data":
        return False
    head[16:24] = size.to_bytes(8, "little")
    head[at + 16 : at + 24] = (size - at).to_bytes(8, "little")
    return True


def with_sizes_filled(stream: BinaryIO) -> BinaryIO:
    """``stream``, or where it is an RF64 or W64 file written to a pipe (its sizes 0 or a placeholder),
    a view of it whose header states the sizes the file's length gives."""
    head = bytearray(read_at(stream, 0, 4096))
    size = size_of(stream)
    if not (_rf64_sized(head, size) or _w64_sized(head, size)):
        return stream
    return cast(BinaryIO, io.BufferedReader(_PatchedHead(stream, bytes(head))))
