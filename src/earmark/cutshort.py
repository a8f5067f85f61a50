"""Cut-short checks: whether a decoded file holds less than its format says it does (a download or copy
broken off), and how to say so.

A lossless file (WAV, RF64, W64, AIFF, FLAC) that falls short of the length its header states is
refused (:func:`cut_short` gives the error, :class:`DamagedAudioError`); a compressed one (MP3, M4A,
WebM, Matroska, Ogg) that falls short of it, or whose bytes end partway through a frame or packet, is
read as far as it goes, and these checks give the words of the warning :func:`earmark.decode.decode`
gives (:func:`ends_early`). The bytes of each container are read by their own modules
(:mod:`earmark.mpegaudio`, :mod:`earmark.adts`, :mod:`earmark.matroska`, :mod:`earmark.ogg`).
"""

from __future__ import annotations

import re
from typing import Any, BinaryIO

import soundfile as sf

from .adts import adts_ends_in_a_frame
from .errors import AudioDecodeError
from .matroska import matroska_ends_in_an_element, matroska_states_duration
from .mpegaudio import mp3_ends_in_a_frame, mp3_states_length
from .peek import size_of

__all__ = ["DamagedAudioError", "broke_off", "cut_at_a_frame", "cut_short", "ends_early", "ends_partway_through",
           "length_guessed", "pcm_frames_stated", "short_of_stated"]

#: A FLAC header stating more than this is not believed either way (a header left unfinished, a
#: stream that did not know its length): the audio it holds is what it holds.
_MAX_TRUSTED_LENGTH_S = 24 * 3600.0


class DamagedAudioError(AudioDecodeError):
    """Inside the decoders: audio that began to decode and then broke off."""


def cut_at_a_frame(stated: int, got: int, rate: int) -> bool:
    """Whether a FLAC decoded to ``got`` samples though its header says ``stated``: a file cut at a
    frame boundary decodes without an error, and used to load as a shorter recording without a word.
    FLAC states its length exactly (0: unknown); past a day it is not believed."""
    return 0 < stated <= _MAX_TRUSTED_LENGTH_S * rate and got < stated


#: Bytes per sample of the PCM encodings whose WAV or AIFF data chunk can be checked against the file.
_PCM_BYTES = {"PCM_S8": 1, "PCM_U8": 1, "ULAW": 1, "ALAW": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4,
              "DOUBLE": 8}
#: A data chunk stating this many bytes or more is a placeholder (a recorder or a pipe that did not
#: know the length: ffmpeg writes ``0xFFFFFFFF``, sox ``0x7FFFF000`` in a WAV and ``0x7F000008`` in
#: an AIFF, less a frame's worth), not a length.
_PLACEHOLDER_BYTES = 0x7E000000
#: A file this much shorter than its header says is taken as it is (a writer that counted a pad
#: byte or a last frame it did not write), not refused as cut short.
_SHORT_BY_AT_MOST_S = 0.01
#: A compressed file (MP3, M4A, WebM) this much shorter than its header says is taken as whole: a codec
#: frame or an encoder's rounding, not a file cut short.
_COMPRESSED_SHORT_BY_AT_MOST_S = 0.1
#: How libsndfile says a header states more than the file holds: a WAV's or AIFF's data chunk, a W64's
#: riff chunk (its data chunk is not checked), an RF64's frame count.
_STATED_CHUNK = re.compile(r"^\s*(?:data|SSND|riff) : (\d+) \(should be (\d+)\)", re.MULTILINE)
_STATED_DS64 = re.compile(r"frame count (\d+) does not match value from 'ds64' chunk of (\d+)")


def pcm_frames_stated(f: sf.SoundFile, got: int) -> int | None:
    """The frames a WAV, RF64, W64 or AIFF file's header says it holds, when that is more than the
    file holds (``got`` decoded): the file was cut short (a copy or download broken off). ``None``
    when the header states no more than is there, or a placeholder, or libsndfile says nothing."""
    size = _PCM_BYTES.get(f.subtype)
    if not size or f.format not in ("WAV", "WAVEX", "AIFF", "RF64", "W64"):
        return None
    if (ds64 := _STATED_DS64.search(f.extra_info)) is not None:  # RF64 states its frames
        missing = int(ds64.group(2)) - int(ds64.group(1))
    elif (found := _STATED_CHUNK.search(f.extra_info)) is not None:
        stated, there = int(found.group(1)), int(found.group(2))
        if stated >= _PLACEHOLDER_BYTES:
            return None
        missing = (stated - there) // (size * f.channels)
    else:
        return None
    return got + missing if missing > _SHORT_BY_AT_MOST_S * f.samplerate else None


def short_of_stated(stated: int | None, got: int, rate: int) -> str | None:
    """How a compressed file that decoded to ``got`` samples falls short of the ``stated`` its header
    promises (to follow "ends after 3.2 s"), or ``None`` if it does not, or no more than
    :data:`_COMPRESSED_SHORT_BY_AT_MOST_S`, or by more than a day (a header left unfinished)."""
    if stated is None or stated > _MAX_TRUSTED_LENGTH_S * rate or stated - got <= _COMPRESSED_SHORT_BY_AT_MOST_S * rate:
        return None
    return f"of the {stated / rate:.1f} s {_PROMISED}"


#: How :func:`short_of_stated`'s words end: the length was the header's, which may be the wrong one.
_PROMISED = "its header promises"


def ends_early(name: str, *, ended_s: float, short_of: str) -> str:
    """The warning for a compressed file ``name`` read as far as it goes: it ends after ``ended_s``,
    ``short_of`` its header's length (:func:`short_of_stated`) or partway through a packet
    (:func:`ends_partway_through`), and what to do. A length only a header states (an MP3's Xing/Info
    frame count, an MP4's duration) may be the header's mistake, the file whole; bytes that end partway
    through a packet were cut."""
    cause = "the file may be cut short (a download or copy broken off)"
    if short_of.endswith(_PROMISED):
        return f"{name}: ends after {ended_s:.1f} s {short_of}; {cause}, or its header may be wrong: if it " \
               "should be longer, re-export or re-copy it to use all of it"
    return f"{name}: ends after {ended_s:.1f} s {short_of}; {cause}: re-export or re-copy it to use all of it"


def cut_short(stated: int, got: int, rate: int) -> DamagedAudioError:
    return DamagedAudioError(f"it says it holds {stated / rate:.2f} s but ends after {got / rate:.2f} s")


def broke_off(packet: Any, data: BinaryIO, format_name: str) -> bool:
    """Whether ``packet``, the last that FFmpeg (its demuxer ``format_name``) read before it stopped with an
    error, is where the file ``data`` was cut: one marked corrupt that reaches the file's end, or in raw AAC
    (whose demuxer marks none), a frame the file ends in, this one or the next (:func:`adts_ends_in_a_frame`)."""
    if packet is None:
        return False
    if format_name == "aac" and packet.pos is not None:
        return adts_ends_in_a_frame(data, frame_at=packet.pos)
    return bool(packet.is_corrupt) and (packet.pos or 0) + packet.size >= size_of(data)


#: FFmpeg's demuxers of raw streams (ADTS AAC, AC-3, E-AC-3, DTS, LATM AAC): nothing in them states a length.
_RAW_STREAMS = frozenset({"aac", "ac3", "eac3", "dts", "loas"})


def length_guessed(format_name: str, data: BinaryIO) -> bool:
    """Whether the length FFmpeg reports for a file (its demuxer ``format_name``) is its guess from the file's
    size and first packets' bitrate, not a length the file states: a raw stream, an MP3 without a
    Xing/Info header, a Matroska (WebM) without a Duration. It is no promise: a VBR file quiet at first
    seems ten times longer, and a file cut short seems as much shorter."""
    if "matroska" in format_name:
        return not matroska_states_duration(data)
    return format_name in _RAW_STREAMS or (format_name == "mp3" and not mp3_states_length(data))


def ends_partway_through(format_name: str, data: BinaryIO, *, last: Any, broken_off: bool) -> str | None:
    """What a file FFmpeg read (its demuxer ``format_name``) ends partway through, to follow "ends after
    3.2 s partway through", where :func:`earmark.decode._collect` says its ``last`` packet ``broken_off`` or the file's
    bytes say so; ``None`` where it ends whole."""
    if broken_off:
        return "a packet"
    # Matroska/WebM: the demuxer drops a block the file ends in; the elements after the last one read tell
    if "matroska" in format_name and last is not None and last.pos is not None \
            and matroska_ends_in_an_element(data, block_at=last.pos):
        return "a packet"
    if format_name == "aac" and last is not None and last.pos is not None \
            and adts_ends_in_a_frame(data, frame_at=last.pos):  # cut in the next frame's header: read to there
        return "a packet"
    if format_name == "mp3" and mp3_ends_in_a_frame(data):  # one libsndfile could not read to its end
        return "an MP3 frame"
    return None
