"""Audio files in and out: :func:`load_audio` decodes any common format (see :mod:`earmark.decode`),
:func:`write_wav` writes one; :func:`probe` reads a file's length from its header.

Conventions (see the README's vocabulary): waveforms are ``float32``, mono ``(samples,)``
or ``(channels, samples)``, and always travel with their ``sample_rate`` in Hz. Nothing
here resamples unless asked to with an explicit ``sample_rate``. What works on waveforms in
memory (mono, resampling, windows, checks) lives in :mod:`earmark.waveform` and is provided
here too, so ``from earmark.audio import resample`` keeps working.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from .atomic import atomic_write
from .decode import AUDIO_EXTENSIONS, AudioSource, AudioWarning, collecting_warnings, decode, probe, source_name
from .errors import AudioDecodeError, ParameterError
from .interrupts import interrupts_held
from .waveform import (
    MAX_SAMPLE_RATE,
    MAX_SAMPLE_VALUE,
    MIN_HOP_S,
    MIN_SAMPLE_RATE,
    Resampler,
    _window_view,  # noqa: F401 - imported from here by earmark.classifier
    as_waveform,
    as_windows,
    check_sample_rate,
    frame_windows,
    is_number,
    resample,
    resampler,
    to_mono,
    valid_audio,
)

__all__ = [
    "AUDIO_EXTENSIONS",
    "MAX_SAMPLE_RATE",
    "MAX_SAMPLE_VALUE",
    "MIN_DURATION_S",
    "MIN_HOP_S",
    "MIN_SAMPLE_RATE",
    "Audio",
    "AudioSource",
    "AudioWarning",
    "collecting_warnings",
    "Resampler",
    "as_waveform",
    "as_windows",
    "check_sample_rate",
    "frame_windows",
    "is_number",
    "load_audio",
    "probe",
    "resample",
    "resampler",
    "to_mono",
    "valid_audio",
    "write_wav",
]


#: Shorter files are refused: they hold too little sound to learn or judge from.
MIN_DURATION_S = 0.05


@dataclass(frozen=True)
class Audio:
    """A waveform with its sample rate.

    Attributes
    ----------
    samples : np.ndarray, float32, ``(samples,)`` or ``(channels, samples)``
    sample_rate : int, Hz
    source : str or None
        Where it came from (a path or a name), for messages and reports.
    """

    samples: np.ndarray
    sample_rate: int
    source: str | None = None

    @property
    def duration_s(self) -> float:
        return float(self.samples.shape[-1]) / float(self.sample_rate)


def _length(n_samples: int, sample_rate: int) -> str:
    ms = n_samples / sample_rate * 1000
    return f"{ms:.0f} ms" if ms >= 1 else f"{n_samples} sample{'s' if n_samples != 1 else ''}"


def load_audio(
    source: AudioSource,
    *,
    sample_rate: int | None = None,
    mono: bool = True,
    min_duration_s: float = MIN_DURATION_S,
    max_duration_s: float | None = None,
) -> Audio:
    """Decode an audio file (path, bytes or binary file object).

    Parameters
    ----------
    source : path, bytes (or bytearray/memoryview) or binary file object
    sample_rate : int or None
        Resample to this rate in Hz; ``None`` keeps the file's own rate.
    mono : bool
        Average the channels to one (``(samples,)``); otherwise ``(channels, samples)``. Channels
        that cancel out in the average (one is the other inverted) give the left channel instead,
        with an :class:`AudioWarning`.
    min_duration_s : float
        Refuse files shorter than this.
    max_duration_s : float or None
        Refuse files longer than this (:class:`LimitError`), stopping the decoder there: a file
        whose header states no length (a browser's WebM recording) is never decoded past it.

    Raises
    ------
    AudioDecodeError
        Missing, empty, undecodable, too short, or non-finite audio; the message names the file.
    LimitError
        Longer than ``max_duration_s``.
    ParameterError
        If ``sample_rate`` is not a whole number of hertz in range (:func:`check_sample_rate`),
        or a file object was opened in text mode.
    """
    if sample_rate is not None:
        sample_rate = check_sample_rate(sample_rate)
    name = source_name(source)
    samples, file_sr = decode(source, mono=mono, max_s=max_duration_s)
    if not MIN_SAMPLE_RATE <= file_sr <= MAX_SAMPLE_RATE:
        raise AudioDecodeError(f"{name}: says its sample rate is {file_sr} Hz; earmark reads {MIN_SAMPLE_RATE} "
                               f"to {MAX_SAMPLE_RATE} Hz; convert it (e.g. to 44100 Hz) and try again")
    duration_s = samples.shape[-1] / file_sr
    # before the checks: a few samples of many channels is short, not misshapen
    if samples.shape[-1] and duration_s < min_duration_s:
        raise AudioDecodeError(
            f"{name}: is {_length(samples.shape[-1], file_sr)} long; earmark needs at least "
            f"{min_duration_s * 1000:.0f} ms of sound per file"
        )
    if 0 < samples.shape[-1] < samples.shape[0]:
        raise AudioDecodeError(f"{name}: has {samples.shape[0]} channels of only {samples.shape[-1]} samples "
                               "each; it is damaged or not a recording")
    valid_audio(samples, sample_rate=file_sr, source=name)
    if mono:
        samples = to_mono(samples)
    if sample_rate is not None:
        samples = resample(samples, orig_sr=file_sr, target_sr=sample_rate)
        file_sr = sample_rate
    return Audio(samples=samples, sample_rate=file_sr, source=name)


def write_wav(path: str | os.PathLike[str], audio: Audio) -> Path:
    """Write ``audio`` as WAV, atomically (a crash never leaves half a file): 16-bit PCM, or 32-bit
    float when it goes past full scale (a lossy decode's overshoot is kept, not clipped).

    Raises
    ------
    ParameterError
        If the sample rate or shape is wrong, or the samples hold NaN or infinite values.
    OutputError
        If ``path`` cannot be written; the message names it.
    """
    if not np.all(np.isfinite(audio.samples)):
        raise ParameterError(f"cannot write {path}: the audio holds NaN or infinite values")
    valid_audio(audio.samples, sample_rate=audio.sample_rate, source=str(path))
    data = audio.samples.T if audio.samples.ndim == 2 else audio.samples
    loud = data.size > 0 and float(np.max(np.abs(data))) > 1.0
    with atomic_write(path) as fh, interrupts_held():  # a Ctrl-C in soundfile's callbacks would cut the file short
        sf.write(fh, data, audio.sample_rate, subtype="FLOAT" if loud else "PCM_16", format="WAV")
    return Path(path)
