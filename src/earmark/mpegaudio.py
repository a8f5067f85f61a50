"""MPEG audio (MP1/2/3) frame headers: what an MP3's own bytes say, where libsndfile and FFmpeg do not tell.

* :func:`mp3_at`: whether an MP3's frames start at an offset of a file (two frame headers in step, as
  FFmpeg's sniffer asks; free-format files by three), for :func:`earmark.containers.audio_held`.
* :func:`mp3_states_length`: whether an MP3 opens with a Xing/Info or VBRI header, which counts its
  frames; only then is the length libsndfile reports a promise (without one it is estimated from the
  file's size, so a file cut short would seem whole).
* :func:`mp3_ends_in_a_frame`: whether an MP3's last frame runs past the end of the file (before the
  tags taggers append): cut short, with or without such a header.

Each reads a few kilobytes and leaves the file's position where it was.
"""

from __future__ import annotations

from typing import BinaryIO, NamedTuple

from .peek import read_at, size_of

__all__ = ["after_id3", "mp3_at", "mp3_ends_in_a_frame", "mp3_states_length"]

#: The frame-counting headers an encoder writes at the start of an MP3 (LAME/FFmpeg, Fraunhofer).
_MP3_LENGTH_TAGS = (b"Xing", b"Info", b"VBRI")
#: An ID3v1 tag: "TAG" and 125 bytes, appended to the end of a file.
_ID3V1_SIZE = 128


def after_id3(head: bytes) -> int:
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


def mp3_at(stream: BinaryIO, offset: int) -> bool:
    """Whether an MP3's frames (MP1/2/3) start at ``offset`` of ``stream``: a valid frame header and, at the
    length it gives, a second one of the same stream (version, layer, sample rate), as FFmpeg's sniffer
    asks. A file of a single frame has none: it counts where the frame ends with the
    file (or where an ID3v1 tag follows it). One sync word alone (``FF FE``, a UTF-16 text's mark) is no MP3.
    A free-format file (its headers state no length) counts by three headers in step (:func:`_free_format_at`)."""
    data = read_at(stream, offset, max(_MP3_MAX_FRAME, 2 * _MP3_MAX_FREE_FRAME) + 4)
    first = _mp3_frame(data[:4])
    if first is None:
        return _free_format_at(data)
    if (second := _mp3_frame(data[first.length : first.length + 4])) is not None:
        return second.stream == first.stream
    left = size_of(stream) - offset - first.length
    return left == 0 or (left == _ID3V1_SIZE and data[first.length : first.length + 3] == b"TAG")


def mp3_states_length(stream: BinaryIO) -> bool:
    """Whether the MP3 in ``stream`` counts its frames in a Xing/Info or VBRI header (in its first
    frame, after any ID3v2 tag)."""
    # the tag sits 13 to 36 bytes into the frame
    first_frame = read_at(stream, after_id3(read_at(stream, 0, 10)), 64)
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
        tail = read_at(stream, max(0, end - _APE_FOOTER), _APE_FOOTER)
        if end >= _ID3V1_SIZE and read_at(stream, end - _ID3V1_SIZE, 3) == b"TAG":
            end -= _ID3V1_SIZE
            if end >= _ID3V1_EXTENDED_SIZE and read_at(stream, end - _ID3V1_EXTENDED_SIZE, 4) == b"TAG+":
                end -= _ID3V1_EXTENDED_SIZE
        elif tail.startswith(b"APETAGEX") and int.from_bytes(tail[12:16], "little") >= _APE_FOOTER:
            # its size counts the items and this footer, not the header that may come first
            end -= int.from_bytes(tail[12:16], "little") + (_APE_FOOTER if tail[23] & 0x80 else 0)
        elif tail.endswith(b"LYRICS200") and tail[-15:-9].isdigit():  # the size of what comes before these 15 bytes
            end -= 15 + int(tail[-15:-9])
        elif tail.endswith(b"LYRICSEND") and (at := read_at(stream, max(0, end - _LYRICS3V1_MAX),
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
    size = size_of(stream)
    end = _tags_start(stream, size)
    start = max(after_id3(read_at(stream, 0, 10)), end - 8 * _MP3_MAX_FRAME)
    if end - start < 4:
        return False
    # with a frame's worth past the tags' start: a "TAG" that is a frame's data is found to be one
    data = read_at(stream, start, min(size, end + _MP3_MAX_FRAME) - start)
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
