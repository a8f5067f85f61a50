"""Playable: a copy of an audio file that every browser plays, for the formats only Safari plays
(AIFF, CAF, Apple Lossless), made without losing a bit."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import soundfile as sf

from .audio import Audio, valid_audio

__all__ = ["browsers_play", "encode_lossless"]


#: Endings of formats that Chromium and Firefox do not play (AIFF, Core Audio): only Safari does.
_SAFARI_ONLY = frozenset({".aif", ".aiff", ".aifc", ".caf"})
#: Containers that may hold Apple Lossless, which only Safari plays.
_MAY_HOLD_ALAC = frozenset({".m4a", ".mp4", ".mov"})
#: FLAC holds at most this many channels.
_FLAC_CHANNELS = 8


def browsers_play(path: str | os.PathLike[str], *, name: str | None = None) -> bool:
    """Whether every browser plays the audio file at ``path`` as it is: not for AIFF, CAF and Apple
    Lossless (in ``.m4a``), which only Safari plays; :func:`encode_lossless` makes a copy they all do.
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


def encode_lossless(audio: Audio) -> tuple[bytes, str]:
    """``audio`` (channels kept) as a file every browser plays, without losing a bit: FLAC at 16 or
    24 bits when every sample is exactly such a value (as decoded from an AIFF or Apple Lossless
    file of that depth), else 32-bit float WAV. Returns the file's bytes and its ending (``.flac``
    or ``.wav``)."""
    valid_audio(audio.samples, sample_rate=audio.sample_rate, source=audio.source or "audio")
    data = audio.samples.T if audio.samples.ndim == 2 else audio.samples
    wide = np.asarray(data, np.float64)
    buffer = io.BytesIO()
    for bits in (16, 24):
        scaled = wide * 2.0 ** (bits - 1)
        if np.array_equal(scaled, np.round(scaled)) and (not scaled.size or (
                scaled.min() >= -(2 ** (bits - 1)) and scaled.max() < 2 ** (bits - 1))):
            flac = data.shape[-1] <= _FLAC_CHANNELS if data.ndim == 2 else True
            # as 32-bit integers, which libsndfile cuts to the depth exactly (no float rounding)
            whole = np.round(wide * 2.0**31).astype(np.int32)
            sf.write(buffer, whole, audio.sample_rate, subtype=f"PCM_{bits}", format="FLAC" if flac else "WAV")
            return buffer.getvalue(), ".flac" if flac else ".wav"
    sf.write(buffer, np.asarray(data, np.float32), audio.sample_rate, subtype="FLOAT", format="WAV")
    return buffer.getvalue(), ".wav"
