"""Raw AAC in ADTS frames: whether a file ends partway through a frame, where FFmpeg does not tell.

FFmpeg's ADTS demuxer hands on a frame the file ends in as a short packet, not marked corrupt, which
its decoder then refuses; or, cut in the next frame's 7-byte header, it stops with an error or not at
all. A raw stream states no length, so the frames' own headers are what tell a file cut short
(:func:`adts_ends_in_a_frame`) from one damaged in the middle.
"""

from __future__ import annotations

from typing import BinaryIO

from .peek import read_at, size_of

__all__ = ["adts_ends_in_a_frame"]

#: An ADTS frame header without its CRC: sync word, stream bits, the frame's length, buffer fullness.
_ADTS_HEADER = 7


def _opens_a_frame(head: bytes) -> bool:
    """Whether ``head`` (1 byte or more) begins as an ADTS header does: the sync word 0xFFF, layer 0."""
    return head[:1] == b"\xff" and (len(head) == 1 or head[1] & 0xF6 == 0xF0)


def adts_ends_in_a_frame(stream: BinaryIO, *, frame_at: int) -> bool:
    """Whether the raw AAC (ADTS) in ``stream`` ends partway through the frame at ``frame_at`` (the last
    packet FFmpeg read) or the one right after it: the file ends inside its header, or before the length
    its header states, as where a copy or download broke off. ``False`` where the frames there are whole
    and the file ends with them (or with bytes that are no frame, a tag): a file damaged further from
    its end is not taken for one cut short."""
    size, at = size_of(stream), frame_at
    for _ in range(2):
        if at >= size:
            return False
        head = read_at(stream, at, _ADTS_HEADER)
        if not _opens_a_frame(head):
            return False
        if len(head) < _ADTS_HEADER:
            return True  # cut inside the header
        length = (head[3] & 3) << 11 | head[4] << 3 | head[5] >> 5  # 13 bits, the header included
        if length < _ADTS_HEADER:
            return False
        if at + length > size:
            return True
        at += length
    return False
