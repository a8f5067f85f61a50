"""Matroska (WebM) elements: what a Matroska file's own bytes say about its length, where FFmpeg does not tell.

* :func:`matroska_ends_in_an_element`: whether a Matroska or WebM file ends inside an element after
  its last audio block, for a browser's recordings, which state no duration.
* :func:`matroska_states_duration`: whether a Matroska or WebM file states its duration; where it does
  not, the length FFmpeg reports is a guess (from an MP3's bitrate), not a promise.

Both read EBML elements (an ID and a size, each a variable-length number, then the data) from the file's
start or its last block on, and leave the file's position where it was.
"""

from __future__ import annotations

from typing import BinaryIO

from .peek import read_at, size_of

__all__ = ["matroska_ends_in_an_element", "matroska_states_duration"]


#: The most read from a Matroska file's last audio block to its end (a video's blocks may come after it).
_MATROSKA_TAIL = 1 << 20


def _ebml_vint(data: bytes, at: int) -> tuple[int, int] | None:
    """The EBML variable-length number at ``at`` of ``data``: its length in bytes (which its first byte
    says, up to 8) and its value (-1 for "unknown", all ones); ``None`` where no number starts there."""
    if at >= len(data) or data[at] == 0:
        return None
    n = 9 - data[at].bit_length()
    value = int.from_bytes(data[at : at + n], "big") & ((1 << 7 * n) - 1)
    return n, -1 if value == (1 << 7 * n) - 1 else value


#: The elements a Matroska frame is stored in: a SimpleBlock, or a Block (in a BlockGroup).
_MATROSKA_BLOCK_IDS = (0xA3, 0xA1)


def _matroska_block_end(stream: BinaryIO, block_at: int) -> int | None:
    """Where the Matroska block whose data starts at ``block_at`` ends, by the size its element header just
    before states (its ID, then its size in 1 to 8 bytes); ``None`` where no block header is there. Not
    from FFmpeg's packet: a track whose frames all open with the same bytes may store them once, in its
    ContentEncoding (header removal), and the packet holds them again."""
    head = read_at(stream, max(0, block_at - 9), min(block_at, 9))
    for n in range(1, 9):  # the shortest size that fits; encoders write the shortest or 8 bytes
        at = len(head) - n
        size = _ebml_vint(head, at) if at >= 1 else None
        if size is not None and size[0] == n and size[1] >= 4 and head[at - 1] in _MATROSKA_BLOCK_IDS:
            return block_at + size[1]  # at least a track number, timecode and flags
    return None


def matroska_ends_in_an_element(stream: BinaryIO, *, block_at: int) -> bool:
    """Whether the Matroska (WebM) file in ``stream`` ends partway through an element after its last audio
    block (whose data FFmpeg's demuxer says starts at ``block_at``), or in that block: one whose stated
    size runs past the end, as where a copy or download broke off in the next block or cluster. The
    elements are walked one after another (stepping into those of unknown size, as a browser writes its
    clusters); a file whose bytes there are no elements is not told."""
    size = size_of(stream)
    block_end = _matroska_block_end(stream, block_at)
    if size - block_at > _MATROSKA_TAIL or block_end is None:
        return False  # far from the end, or no block's header: where the block ends is not known from here
    data = read_at(stream, block_at, size - block_at)
    at = block_end - block_at
    while at < len(data):
        element = _ebml_vint(data, at)  # an ID is read as a number: 1 to 4 bytes
        if element is None or element[0] > 4:
            return False
        if at + element[0] >= len(data):
            return True  # cut inside the element's ID
        length = _ebml_vint(data, at + element[0])
        if length is None:
            return False
        at += element[0] + length[0] + max(length[1], 0)  # into an element of unknown size, over any other
    return at > len(data)


#: The Matroska elements read to find a stated duration: the Segment and its Info, then the first Cluster.
_MATROSKA_SEGMENT, _MATROSKA_INFO, _MATROSKA_DURATION, _MATROSKA_CLUSTER = 0x18538067, 0x1549A966, 0x4489, 0x1F43B675
#: How much of a Matroska file's start is read for its Info (after the EBML header, a SeekHead, maybe a Void).
_MATROSKA_HEAD = 1 << 16


def matroska_states_duration(stream: BinaryIO) -> bool:
    """Whether the Matroska (WebM) file in ``stream`` states its duration (its Info's Duration). A browser's
    recording, or FFmpeg's written to a pipe or live, states none; FFmpeg then guesses one from an MP3's
    bitrate, which is no promise. Also ``True`` where the Info is not in the first 64 KiB (not known)."""
    data = read_at(stream, 0, _MATROSKA_HEAD)
    at = 0
    while (ident := _ebml_vint(data, at)) is not None and ident[0] <= 4 \
            and (length := _ebml_vint(data, at + ident[0])) is not None:
        element = int.from_bytes(data[at : at + ident[0]], "big")
        if element == _MATROSKA_DURATION:
            return True
        if element == _MATROSKA_CLUSTER:
            return False  # the Info comes before the clusters
        at += ident[0] + length[0]
        if element not in (_MATROSKA_SEGMENT, _MATROSKA_INFO):  # step into these, over the others
            if length[1] < 0:
                break  # an element of unknown size before the Info: not known
            at += length[1]
    return True
