"""Reading a few bytes of a file at an offset without moving its position, for the readers of container
bytes (:mod:`earmark.containers`, :mod:`earmark.mpegaudio`, :mod:`earmark.adts`, :mod:`earmark.matroska`,
:mod:`earmark.ogg`, :mod:`earmark.wavsizes`): the decoders read the same file object after them."""

from __future__ import annotations

import io
from typing import BinaryIO

__all__ = ["read_at", "size_of"]


def size_of(stream: BinaryIO) -> int:
    """How many bytes ``stream`` holds."""
    at = stream.tell()
    size = stream.seek(0, io.SEEK_END)
    stream.seek(at)
    return size


def read_at(stream: BinaryIO, offset: int, n: int) -> bytes:
    """Up to ``n`` bytes of ``stream`` from ``offset`` (fewer where it ends first)."""
    at = stream.tell()
    stream.seek(offset)
    data = stream.read(n)
    stream.seek(at)
    return data
