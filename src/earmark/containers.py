"""What a container's own bytes say about its length, where the decoders do not tell.

Six small readers of file headers and tails, for :mod:`earmark.decode`:

* :func:`mp3_states_length`: whether an MP3 opens with a Xing/Info or VBRI header, which
  counts its frames; only then is the length libsndfile reports a promise (without one it
  is estimated from the file's size, so a file cut short would seem whole).
* :func:`mp3_ends_in_a_frame`: whether an MP3's last frame runs past the end of the file (before
  the tags taggers append): cut short, with or without such a header.
* :func:`matroska_ends_in_an_element`: whether a Matroska or WebM file ends inside an element after
  its last audio block, for a browser's recordings, which state no duration.
* :func:`matroska_states_duration`: whether a Matroska or WebM file states its duration; where it does
  not, the length FFmpeg reports is a guess (from an MP3's bitrate), not a promise.
* :func:`ogg_ends_whole`: whether an Ogg file (Vorbis, Opus) ends with a whole page marked
  end-of-stream. Ogg states no length up front: its decoders report what is there.
* :func:`with_sizes_filled`: an RF64 WAV written to a pipe (``ffmpeg -rf64 always … -``) leaves
  its sizes 0, as it could not go back to fill them in; libsndfile and FFmpeg then read no
  samples at all. A W64 written to a pipe states placeholders, which libsndfile reads but seeks
  to (printing errors). This gives libsndfile the file with sizes from the file's length.

And two that say what a file is, from its first bytes, whatever its name says:

* :func:`audio_held`: the audio container a file is (RIFF/WAVE, fLaC, OggS, FORM/AIFF, an MP3's
  ID3 tag or two frame headers in a row, MP4's ``ftyp``, Matroska's EBML, …), to keep an upload named ``x.mp3``
  that holds WAV as ``x.wav``.
* :func:`other_held`: what a file that is not audio is (an earmark model, a zip archive, a
  picture), to say so instead of "damaged".

Each reads a few kilobytes (at most one Ogg page, 64 KiB, from the end) and leaves the
file's position where it was.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple, cast

__all__ = ["Held", "audio_held", "matroska_ends_in_an_element", "matroska_states_duration",
           "mp3_ends_in_a_frame", "mp3_states_length",
           "ogg_ends_whole", "other_held", "with_sizes_filled"]

#: An Ogg page is at most this long: a 27-byte header, 255 lacing values, 255 segments of 255 bytes.
_OGG_MAX_PAGE = 27 + 255 + 255 * 255
_OGG_END_OF_STREAM = 0x04
#: The frame-counting headers an encoder writes at the start of an MP3 (LAME/FFmpeg, Fraunhofer).
_MP3_LENGTH_TAGS = (b"Xing", b"Info", b"VBRI")
#: A W64 riff size this big is a placeholder, not a size (FFmpeg writes 2**64 - 1 to a pipe).
_W64_PLACEHOLDER = 1 << 62
#: An ID3v1 tag: "TAG" and 125 bytes, appended to the end of a file.
_ID3V1_SIZE = 128


def _size(stream: BinaryIO) -> int:
    at = stream.tell()
    size = stream.seek(0, io.SEEK_END)
    stream.seek(at)
    return size


def _read_at(stream: BinaryIO, offset: int, n: int) -> bytes:
    at = stream.tell()
    stream.seek(offset)
    data = stream.read(n)
    stream.seek(at)
    return data


def _after_id3(head: bytes) -> int:
    """Where the audio starts after the ID3v2 tag that ``head`` (a file's first bytes) opens with: its
    10-byte header, its size (four 7-bit bytes) and a footer when flagged; 0 without a tag."""
    if len(head) < 10 or head[:3] != b"ID3":
        return 0
    return 10 + (head[6] << 21 | head[7] << 14 | head[8] << 7 | head[9]) + (10 if head[5] & 0x10 else 0)


#: Kilobits per second by bitrate index (1-14), for MPEG-1 layers I, II, III and MPEG-2/2.5 layers I, II/III.
_MP3_KBPS = {
    (1, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
#: Sample rates by version bits (MPEG-2.5, MPEG-2, MPEG-1; 1 is reserved) and rate index (3 is reserved).
_MP3_RATES = {0: (11025, 12000, 8000), 2: (22050, 24000, 16000), 3: (44100, 48000, 32000)}
#: The longest free-format frame (bitrate index 0) read: mpg123's (libsndfile's MP3 decoder) frame buffer.
_MP3_MAX_FREE_FRAME = 3456


class _Mp3Frame(NamedTuple):
    stream: int  #: the bits a stream keeps in every frame: version, layer, sample rate
    length: int  #: bytes, header included


def _mp3_frame(header: bytes) -> _Mp3Frame | None:
    """The MPEG audio frame (MP1/2/3) whose 4-byte ``header`` this is, or ``None`` where it is none: no sync,
    or a reserved version, layer, bitrate, sample rate or emphasis, or a free-format bitrate (no length)."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version, layer = header[1] >> 3 & 3, 4 - (header[1] >> 1 & 3)  # layer 4: reserved
    bitrate, rate, padding = header[2] >> 4, header[2] >> 2 & 3, header[2] >> 1 & 1
    if version == 1 or layer == 4 or bitrate in (0, 15) or rate == 3 or header[3] & 3 == 2:
        return None
    kbps = _MP3_KBPS[(1, layer) if version == 3 else (2, min(layer, 2))][bitrate - 1]
    hz = _MP3_RATES[version][rate]
    if layer == 1:
        length = (12 * kbps * 1000 // hz + padding) * 4
    else:  # layer III at MPEG-2/2.5 holds half the samples per frame
        length = (72 if layer == 3 and version != 3 else 144) * kbps * 1000 // hz + padding
    return _Mp3Frame((header[1] & 0xFE) << 8 | header[2] & 0x0C, length)


#: The longest MPEG audio frame the headers state: MPEG-2.5 layer II, 160 kb/s at 8 kHz, padded (2881 bytes;
#: FFmpeg and libsndfile decode it). MPEG-1's longest, layer II at 384 kb/s and 32 kHz, is 1729. Read from
#: the tables: each version, layer and rate at its highest bitrate (index 14), padded.
_MP3_MAX_FRAME = max(frame.length for b1 in range(0xE0, 0x100) for rate in range(3)
                     if (frame := _mp3_frame(bytes((0xFF, b1, 0xE2 | rate << 2, 0)))) is not None)


def _free_format(header: bytes) -> int | None:
    """The bits a stream keeps in every frame (:class:`_Mp3Frame`) where ``header`` is a free-format
    frame's (bitrate index 0, as ``lame --freeformat`` writes: a frame's length is the distance to the
    next header), else ``None``."""
    if len(header) < 4 or header[2] >> 4:
        return None
    frame = _mp3_frame(header[:2] + bytes((header[2] | 0x10,)) + header[3:4])  # any bitrate: the rest is valid
    return None if frame is None else frame.stream


def _free_format_at(data: bytes) -> bool:
    """Whether ``data`` opens with three free-format frames in step: a header, the next of the same stream
    (the first frame's length), and a third where the second frame of that length (padded or not) ends."""
    stream_bits = _free_format(data[:4])
    if stream_bits is None:
        return False
    slot = 4 if data[1] >> 1 & 3 == 3 else 1  # layer I pads by a 4-byte slot, the others by a byte
    at = data.find(b"\xff", 4)
    while 0 < at <= _MP3_MAX_FREE_FRAME:
        if _free_format(data[at : at + 4]) == stream_bits:
            unpadded = at - (data[2] >> 1 & 1) * slot
            third = at + unpadded + (data[at + 2] >> 1 & 1) * slot
            if _free_format(data[third : third + 4]) == stream_bits:
                return True
        at = data.find(b"\xff", at + 1)
    return False


def _mp3_at(stream: BinaryIO, offset: int) -> bool:
    """Whether an MP3's frames (MP1/2/3) start at ``offset`` of ``stream``: a valid frame header and, at the
    length it gives, a second one of the same stream (version, layer, sample rate), as FFmpeg's sniffer
    asks. A file of a single frame has none: it counts where the frame ends with the
    file (or where an ID3v1 tag follows it). One sync word alone (``FF FE``, a UTF-16 text's mark) is no MP3.
    A free-format file (its headers state no length) counts by three headers in step (:func:`_free_format_at`)."""
    data = _read_at(stream, offset, max(_MP3_MAX_FRAME, 2 * _MP3_MAX_FREE_FRAME) + 4)
    first = _mp3_frame(data[:4])
    if first is None:
        return _free_format_at(data)
    if (second := _mp3_frame(data[first.length : first.length + 4])) is not None:
        return second.stream == first.stream
    left = _size(stream) - offset - first.length
    return left == 0 or (left == _ID3V1_SIZE and data[first.length : first.length + 3] == b"TAG")


def mp3_states_length(stream: BinaryIO) -> bool:
    """Whether the MP3 in ``stream`` counts its frames in a Xing/Info or VBRI header (in its first
    frame, after any ID3v2 tag)."""
    # the tag sits 13 to 36 bytes into the frame
    first_frame = _read_at(stream, _after_id3(_read_at(stream, 0, 10)), 64)
    return any(t in first_frame for t in _MP3_LENGTH_TAGS)


#: An Enhanced TAG ("TAG+", 227 bytes), which some players write before an ID3v1 tag.
_ID3V1_EXTENDED_SIZE = 227
#: A Lyrics3 v1 tag is at most this long, "LYRICSBEGIN" to "LYRICSEND".
_LYRICS3V1_MAX = 5100
#: An APE tag's footer (and header): "APETAGEX", version, size, item count, flags, 8 reserved bytes.
_APE_FOOTER = 32


def _tags_start(stream: BinaryIO, end: int) -> int:
    """Where the tags that taggers append to an MP3 begin (ID3v1 and its "TAG+", Lyrics3 v1 and v2, APE,
    an ID3v2.4 tag found by its footer; in any order), in a file whose audio and tags end at ``end``."""
    for _ in range(8):  # a tag or two, now and then three
        tail = _read_at(stream, max(0, end - _APE_FOOTER), _APE_FOOTER)
        if end >= _ID3V1_SIZE and _read_at(stream, end - _ID3V1_SIZE, 3) == b"TAG":
            end -= _ID3V1_SIZE
            if end >= _ID3V1_EXTENDED_SIZE and _read_at(stream, end - _ID3V1_EXTENDED_SIZE, 4) == b"TAG+":
                end -= _ID3V1_EXTENDED_SIZE
        elif tail.startswith(b"APETAGEX") and int.from_bytes(tail[12:16], "little") >= _APE_FOOTER:
            # its size counts the items and this footer, not the header that may come first
            end -= int.from_bytes(tail[12:16], "little") + (_APE_FOOTER if tail[23] & 0x80 else 0)
        elif tail.endswith(b"LYRICS200") and tail[-15:-9].isdigit():  # the size of what comes before these 15 bytes
            end -= 15 + int(tail[-15:-9])
        elif tail.endswith(b"LYRICSEND") and (at := _read_at(stream, max(0, end - _LYRICS3V1_MAX),
                                                             _LYRICS3V1_MAX).rfind(b"LYRICSBEGIN")) >= 0:
            end = max(0, end - _LYRICS3V1_MAX) + at
        elif len(tail) >= 10 and tail[-10:-7] == b"3DI":  # an ID3v2 tag's footer: header, tag, footer
            end -= 20 + (tail[-4] << 21 | tail[-3] << 14 | tail[-2] << 7 | tail[-1])
        else:
            break
    return max(end, 0)


def _frames_from(data: bytes, at: int) -> tuple[int, int, int]:
    """How many MP3 frames of one stream follow each other in ``data`` from ``at``, where the last ends
    (past ``len(data)`` where it runs past the end) and the bits their headers share (:class:`_Mp3Frame`)."""
    first, frames, walked = _mp3_frame(data[at : at + 4]), 0, at
    while first is not None and (frame := _mp3_frame(data[walked : walked + 4])) is not None \
            and frame.stream == first.stream:
        frames, walked = frames + 1, walked + frame.length
    return frames, walked, 0 if first is None else first.stream


def mp3_ends_in_a_frame(stream: BinaryIO) -> bool:
    """Whether the MP3 in ``stream`` ends partway through a frame: its last frame's header states more
    bytes than the file holds (before any tags appended to it), as where a copy or download broke off.
    The frames are walked over the last few kilobytes, from the first place where three headers in a
    row agree. A file cut between two frames cannot be told, nor one whose last bytes are not frames."""
    size = _size(stream)
    end = _tags_start(stream, size)
    start = max(_after_id3(_read_at(stream, 0, 10)), end - 8 * _MP3_MAX_FRAME)
    if end - start < 4:
        return False
    # with a frame's worth past the tags' start: a "TAG" that is a frame's data is found to be one
    data = _read_at(stream, start, min(size, end + _MP3_MAX_FRAME) - start)
    audio = data[: end - start]
    at = audio.find(b"\xff")
    while at >= 0:
        frames, walked, stream_bits = _frames_from(audio, at)
        if frames >= 3:  # the file's own frames, not a sync word in a frame's data
            if _frames_from(data, at)[1] == size - start:  # frames to the last byte: no tags after all
                return False
            left = audio[walked:]
            # past the end; or cut inside the next header (what is there begins as the frames' headers do)
            return walked > len(audio) or (0 < len(left) < 4 and left[0] == 0xFF
                                           and (len(left) == 1 or left[1] & 0xFE == stream_bits >> 8))
        at = audio.find(b"\xff", at + 1)
    return False


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
    head = _read_at(stream, max(0, block_at - 9), min(block_at, 9))
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
    size = _size(stream)
    block_end = _matroska_block_end(stream, block_at)
    if size - block_at > _MATROSKA_TAIL or block_end is None:
        return False  # far from the end, or no block's header: where the block ends is not known from here
    data = _read_at(stream, block_at, size - block_at)
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
    data = _read_at(stream, 0, _MATROSKA_HEAD)
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


def ogg_ends_whole(stream: BinaryIO) -> bool:
    """Whether the Ogg file in ``stream`` ends with a whole page that closes its stream. A copy or
    download broken off ends in part of a page, or (cut between pages) on one that does not."""
    tail = _read_at(stream, max(0, _size(stream) - _OGG_MAX_PAGE), _OGG_MAX_PAGE)
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
    head = bytearray(_read_at(stream, 0, 4096))
    size = _size(stream)
    if not (_rf64_sized(head, size) or _w64_sized(head, size)):
        return stream
    return cast(BinaryIO, io.BufferedReader(_PatchedHead(stream, bytes(head))))


@dataclass(frozen=True)
class Held:
    """The audio container a file's bytes are: ``kind`` names it for a person ("WAV"), ``suffix`` is
    the ending to keep it under, and ``suffixes`` the endings that name it rightly (``.ogg`` and
    ``.opus`` are both Ogg; ``.m4a``, ``.mp4``, ``.mov`` and ``.3gp`` all MPEG-4)."""

    kind: str
    suffix: str
    suffixes: frozenset[str]


def _held(kind: str, suffix: str, *others: str) -> Held:
    return Held(kind, suffix, frozenset({suffix, *others}))


_MP4_FAMILY = (".m4a", ".mp4", ".mov", ".3gp")
#: The GUID an ASF (WMA) file opens with.
_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")


def _adts(head: bytes) -> Held | None:
    """AAC in ADTS frames, by the sync word at the start of ``head`` (MPEG-2/4 sync, layer 0)."""
    return _held("AAC", ".aac") if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0 else None


def _mp4_held(brand: bytes) -> Held:
    """MPEG-4 by its ``ftyp`` brand: an audio brand is ``.m4a``; QuickTime ``.mov``; 3GPP ``.3gp``; any
    other ``.mp4`` (a video, whose sound intake keeps as WAV)."""
    suffix = (".m4a" if brand[:3] in (b"M4A", b"M4B", b"M4P") else ".mov" if brand == b"qt  "
              else ".3gp" if brand[:3] in (b"3gp", b"3g2") else ".mp4")
    kind = {".m4a": "M4A", ".mov": "QuickTime", ".3gp": "3GP"}.get(suffix, "MPEG-4")
    return _held(kind, suffix, *_MP4_FAMILY)


def audio_held(stream: BinaryIO) -> Held | None:
    """The audio container ``stream`` is, by its first bytes (an MP3's after its ID3 tag), or ``None``
    where they are none that earmark knows. It says what the bytes claim to be, not that they decode."""
    head = _read_at(stream, 0, 64)
    if len(head) >= 10 and head[:3] == b"ID3":  # a tag, then the audio: MP3, or now and then FLAC or AAC
        after = _read_at(stream, _after_id3(head), 4)
        return _held("FLAC", ".flac") if after == b"fLaC" else _adts(after) or _held("MP3", ".mp3")
    four, kind = head[:4], head[8:12]
    found = {b"fLaC": _held("FLAC", ".flac"), b"caff": _held("CAF", ".caf"), b".snd": _held("AU", ".au", ".snd")}
    if four in found:
        return found[four]
    if four in (b"RIFF", b"RF64") and kind == b"WAVE":
        return _held("WAV", ".wav", ".wave")
    if four == b"riff" and head[24:28] == b"wave":  # Sony Wave64: GUIDs, each beginning with its name
        return _held("Wave64", ".w64")
    if four == b"FORM" and kind in (b"AIFF", b"AIFC"):
        return _held("AIFF", ".aifc" if kind == b"AIFC" else ".aiff", ".aif", ".aiff", ".aifc")
    if four == b"OggS":
        opus = b"OpusHead" in head
        return _held("Ogg Opus" if opus else "Ogg", ".opus" if opus else ".ogg", ".ogg", ".oga", ".opus")
    if head[4:8] == b"ftyp":
        return _mp4_held(head[8:12])
    if four == b"\x1a\x45\xdf\xa3":  # EBML: Matroska, or WebM (its DocType says which)
        webm = b"webm" in head
        return _held("WebM" if webm else "Matroska", ".webm" if webm else ".mka", ".webm", ".mka")
    if head[:16] == _ASF_GUID:
        return _held("WMA", ".wma")
    return _adts(head) or (_held("MP3", ".mp3") if _mp3_at(stream, 0) else None)


#: The most of a safetensors header read to look for an earmark manifest in it.
_MAX_HEADER_READ = 16 << 20
#: What files that are not audio open with, and what they are.
_OTHER_MAGIC = ((b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (b"\x89PNG\r\n\x1a\n", "png"),
                (b"\xff\xd8\xff", "jpeg"), (b"%PDF-", "pdf"), (b"\x1f\x8b", "gzip"), (b"GIF8", "gif"))


def other_held(stream: BinaryIO) -> str | None:
    """What ``stream`` is, by its first bytes, when it is something earmark knows that is not audio:
    ``"earmark model"`` (a safetensors file with an earmark manifest, whole or cut short),
    ``"safetensors"`` (another), ``"zip"``, ``"png"``, ``"jpeg"``, ``"gif"``, ``"pdf"``, ``"gzip"``; else ``None``."""
    head = _read_at(stream, 0, 16)
    for magic, kind in _OTHER_MAGIC:
        if head.startswith(magic):
            return kind
    # safetensors: the header's length (8 bytes, little-endian), then the header, a JSON object
    length = int.from_bytes(head[:8], "little")
    if len(head) < 10 or not 2 <= length <= 100_000_000 or head[8:10] != b'{"':
        return None
    header = _read_at(stream, 8, min(length, _MAX_HEADER_READ))
    return "earmark model" if b"earmark-model" in header or b"earmark_version" in header else "safetensors"
