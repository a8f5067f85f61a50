"""Ogg pages: whether an Ogg file (Vorbis, Opus) ends whole. Ogg states no length up front: its decoders
report what is there, so a file cut short is told by its last page (:func:`ogg_ends_whole`)."""

from __future__ import annotations

from typing import BinaryIO

from .peek import read_at, size_of

__all__ = ["ogg_ends_whole"]

#: An Ogg page is at most this long: a 27-byte header, 255 lacing values, 255 segments of 255 bytes.
_OGG_MAX_PAGE = 27 + 255 + 255 * 255
_OGG_END_OF_STREAM = 0x04


def ogg_ends_whole(stream: BinaryIO) -> bool:
    """Whether the Ogg file in ``stream`` ends with a whole page that closes its stream. A copy or
    download broken off ends in part of a page, or (cut between pages) on one that does not."""
    tail = read_at(stream, max(0, size_of(stream) - _OGG_MAX_PAGE), _OGG_MAX_PAGE)
    at = tail.rfind(b"OggS")
    while at >= 0:  # the last whole page ("OggS" may occur inside a packet)
        header = tail[at : at + 27]
        if len(header) == 27 and header[4] == 0:  # stream structure version 0
            lacing = tail[at + 27 : at + 27 + header[26]]
            end = at + 27 + len(lacing) + sum(lacing)
            if len(lacing) == header[26] and end == len(tail):  # it ends where the file does
                return bool(header[5] & _OGG_END_OF_STREAM)
            if len(lacing) == header[26] and end < len(tail) and not tail.startswith(b"OggS", end) \
                    and _ogg_crc(tail[at:end]) == int.from_bytes(header[22:26], "little"):
                # a whole page followed by bytes that are no page: a tag a tagger appended (ID3v1, APE)
                return bool(header[5] & _OGG_END_OF_STREAM)
        at = tail.rfind(b"OggS", 0, at)
    return False


def _ogg_crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return table


_OGG_CRC_TABLE = _ogg_crc_table()


def _ogg_crc(page: bytes) -> int:
    """An Ogg page's checksum (CRC-32, polynomial 0x04C11DB7, not reflected), its own field as zeros."""
    crc = 0
    for byte in page[:22] + b"\0\0\0\0" + page[26:]:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_CRC_TABLE[(crc >> 24) ^ byte]
    return crc
