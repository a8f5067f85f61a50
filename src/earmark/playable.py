"""Playable: a copy of an audio file that every browser plays, for the formats only Safari plays
(AIFF, CAF, Apple Lossless), made without losing a bit where a browser can play the same samples.

The samples are read as they are stored (integers as integers, floats at their width), not through
float32, and written to the smallest format that holds them exactly and that Chromium, Firefox and
Safari all play: FLAC for 8-, 16- and 24-bit integers (WAV past FLAC's 8 channels), 32-bit integer
WAV for 32-bit integers (FLAC stops at 24 bits), 32-bit float WAV for float32 (and for float64 whose
every sample is a float32). AAC (in a CAF) is moved into an ``.m4a`` packet for packet. Only float64
audio with finer values has no exact playable form (Chromium does not play 64-bit float WAV): its
copy is float32 and says so (``exact=False``), and whoever keeps samples keeps the original too.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from .decoderstderr import decoder_quiet
from .interrupts import interrupts_held

__all__ = ["PlayableCopy", "browsers_play", "playable_copy"]

#: Endings of formats that Chromium and Firefox do not play (AIFF, Core Audio): only Safari does.
_SAFARI_ONLY = frozenset({".aif", ".aiff", ".aifc", ".caf"})
#: Containers that may hold Apple Lossless, which only Safari plays.
_MAY_HOLD_ALAC = frozenset({".m4a", ".mp4", ".mov"})
#: FLAC holds at most this many channels, and integers of at most 24 bits.
_FLAC_CHANNELS = 8
#: Integer depth (bits) of libsndfile's subtypes that decode to integers; any other is read as float.
_SUBTYPE_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "ALAC_16": 16,
                 "ALAC_20": 24, "ALAC_24": 24, "ALAC_32": 32, "ULAW": 16, "ALAW": 16, "IMA_ADPCM": 16,
                 "MS_ADPCM": 16, "GSM610": 16, "DWVW_12": 16, "DWVW_16": 16, "DWVW_24": 24, "DPCM_8": 8,
                 "DPCM_16": 16}
#: FFmpeg's sample formats, as the numpy type they decode to and their depth in bits (0: float).
_FFMPEG_FORMATS = {"u8": (np.uint8, 8), "s16": (np.int16, 16), "s32": (np.int32, 32),
                   "flt": (np.float32, 0), "dbl": (np.float64, 0)}


@dataclass(frozen=True)
class PlayableCopy:
    """A file every browser plays: its bytes, its ending (``.flac``, ``.wav`` or ``.m4a``), and whether it
    holds exactly the samples (or, for AAC, the very packets) of the file it was made from."""

    data: bytes
    suffix: str
    exact: bool


def browsers_play(path: str | os.PathLike[str], *, name: str | None = None) -> bool:
    """Whether every browser plays the audio file at ``path`` as it is: not for AIFF, CAF and Apple
    Lossless (in ``.m4a``), which only Safari plays; :func:`playable_copy` makes a copy they all do.
    ``name`` is the file's name when ``path`` is not (an upload's temporary file): its ending counts."""
    suffix = Path(name or path).suffix.lower()
    if suffix in _SAFARI_ONLY:
        return False
    if suffix not in _MAY_HOLD_ALAC:
        return True
    try:
        import av

        with av.open(str(path)) as container:
            return not any(stream.codec_context.name == "alac" for stream in container.streams.audio)
    except (OSError, ValueError, av.error.FFmpegError):
        return True  # not read here: the decoder says what is wrong with it


def playable_copy(path: str | os.PathLike[str]) -> PlayableCopy:
    """A copy of the audio file at ``path`` (channels and rate kept) that every browser plays; exact
    unless the file holds float64 samples that float32 cannot (see the module's notes).

    The file must decode (check it with :func:`earmark.audio.load_audio` first): errors of a damaged
    file come from libsndfile or FFmpeg as they are."""
    try:
        with decoder_quiet():  # libmpg123 prints its own lines as libsndfile opens an MP3
            subtype = sf.info(str(path)).subtype
    except (sf.LibsndfileError, RuntimeError):
        return _ffmpeg_copy(path)
    bits = _SUBTYPE_BITS.get(subtype, 0)
    dtype = "int16" if 0 < bits <= 16 else "int32" if bits else "float64" if subtype == "DOUBLE" else "float32"
    with decoder_quiet():
        data, rate = sf.read(str(path), dtype=dtype, always_2d=True)
    return _encode(data, sample_rate=int(rate), bits=bits)


def _encode(data: np.ndarray, *, sample_rate: int, bits: int) -> PlayableCopy:
    """``data`` (``(samples, channels)``: int16 or int32 as libsndfile reads integers, left-aligned, of
    ``bits`` bits; or float) in the smallest exact format every browser plays."""
    if bits == 32 and not np.any(data & 0xFF):
        bits = 24  # a 32-bit container of 24-bit samples (FFmpeg decodes 24-bit ALAC so)
    flac = data.shape[1] <= _FLAC_CHANNELS
    exact = True
    if bits:
        subtype = "PCM_32" if bits > 24 else "PCM_24" if bits > 16 else "PCM_16" if bits > 8 \
            else "PCM_S8" if flac else "PCM_U8"
        kind = "FLAC" if flac and bits <= 24 else "WAV"
    else:
        narrow = data.astype(np.float32)
        exact = data.dtype == np.float32 or bool(np.array_equal(narrow, data))
        data, subtype, kind = narrow, "FLOAT", "WAV"  # Chromium plays no 64-bit float WAV
    buffer = io.BytesIO()
    with interrupts_held():  # a Ctrl-C in soundfile's callbacks to Python would cut the copy short
        sf.write(buffer, data, sample_rate, subtype=subtype, format=kind)  # integers are cut to depth exactly
    return PlayableCopy(buffer.getvalue(), f".{kind.lower()}", exact)


def _ffmpeg_copy(path: str | os.PathLike[str]) -> PlayableCopy:
    """:func:`playable_copy` of a file libsndfile does not read (Apple Lossless in ``.m4a``, AAC in CAF)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        if stream.codec_context.name == "aac":
            return _as_m4a(container, stream)
        chunks, bits = [], 0
        for frame in container.decode(stream):
            dtype, bits = _FFMPEG_FORMATS[frame.format.name.rstrip("p")]
            y = frame.to_ndarray()
            y = y.T if frame.format.is_planar else y.reshape(-1, len(frame.layout.channels))
            chunks.append(y)
        rate = int(stream.rate or stream.codec_context.sample_rate)
    data = np.concatenate(chunks)
    if data.dtype == np.uint8:  # to libsndfile's left-aligned 16-bit integers
        data = (data.astype(np.int16) - 128) << 8
    return _encode(data, sample_rate=rate, bits=bits)


def _as_m4a(container: Any, stream: Any) -> PlayableCopy:
    """The AAC ``stream`` of ``container`` in an ``.m4a``, packet for packet (browsers play AAC; only
    the CAF around it is Safari's)."""
    import av

    buffer = io.BytesIO()
    with interrupts_held(), av.open(buffer, "w", format="ipod") as out:  # as in _encode
        target = out.add_stream_from_template(stream)
        for packet in container.demux(stream):
            if packet.dts is None:  # the flushing packet at the end
                continue
            packet.stream = target
            out.mux(packet)
    return PlayableCopy(buffer.getvalue(), ".m4a", True)
