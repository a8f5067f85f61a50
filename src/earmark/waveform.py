"""Waveforms in memory: check them, mix them to mono, resample them, cut them into windows.

Conventions (see the README's vocabulary): waveforms are ``float32``, mono ``(samples,)``
or ``(channels, samples)``, and always travel with their ``sample_rate`` in Hz. Nothing
here resamples unless asked to. Resampling happens in exactly one place, with soxr:
:func:`resample` for whole signals and :func:`resampler` for streams. Files are read and
written by :mod:`earmark.audio`, which provides all of these names too.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np
import soxr

from .errors import AudioDecodeError, ParameterError

__all__ = [
    "MAX_SAMPLE_RATE",
    "MAX_SAMPLE_VALUE",
    "MIN_HOP_S",
    "MIN_SAMPLE_RATE",
    "Resampler",
    "as_waveform",
    "as_windows",
    "check_sample_rate",
    "frame_windows",
    "is_number",
    "resample",
    "resampler",
    "to_mono",
    "valid_audio",
]

#: Float audio may go past full scale (±1), but not by 60 dB: beyond this a file is broken, and
#: its values would overflow the spectrogram's power (1e30 squared is infinite in float32).
MAX_SAMPLE_VALUE = 1000.0
#: Sample rates earmark takes audio at, in Hz: from below telephone quality to the highest studio
#: rates. Outside them a number is a mistake (48 for 48000, seconds for hertz), and resampling
#: it would take minutes and gigabytes.
MIN_SAMPLE_RATE = 1000
MAX_SAMPLE_RATE = 768_000
#: The shortest hop between windows, in seconds: a finer one only repeats nearly the same
#: windows, slowly (a hop of a microsecond would score a million windows per second of audio).
MIN_HOP_S = 0.01


def is_number(value: object, *, whole: bool = False) -> bool:
    """Whether ``value`` is a finite real number (a Python or NumPy int or float), or with
    ``whole=True`` an integer type: never a bool (``True`` is not 1 s), text, NaN or infinity.
    The one test behind every numeric setting's check."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    return not whole and isinstance(value, (float, np.floating)) and math.isfinite(value)


def check_sample_rate(sample_rate: Any, *, name: str = "sample_rate") -> int:
    """``sample_rate`` as an ``int`` if it is a whole number of hertz from :data:`MIN_SAMPLE_RATE`
    to :data:`MAX_SAMPLE_RATE` (``44100.0`` passes; ``True``, ``"44100"``, ``44100.5`` and NaN do not).

    Raises
    ------
    ParameterError
        Otherwise, saying what was given.
    """
    if not (is_number(sample_rate, whole=True) or (is_number(sample_rate) and float(sample_rate).is_integer())):
        raise ParameterError(f"{name} must be a whole number of hertz (e.g. 44100), got {sample_rate!r}")
    rate = int(sample_rate)
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise ParameterError(f"{name} must be {MIN_SAMPLE_RATE} to {MAX_SAMPLE_RATE} Hz, got {rate}; "
                             "give the rate in hertz (48000, not 48)")
    return rate


def _check_shape(samples: np.ndarray, source: str) -> None:
    if samples.ndim not in (1, 2):
        raise ParameterError(
            f"{source}: expected shape (samples,) or (channels, samples), got {samples.shape}"
        )
    if samples.ndim == 2 and 0 < samples.shape[1] < samples.shape[0]:  # empty is said to be empty, later
        raise ParameterError(
            f"{source}: shape {samples.shape} would be {samples.shape[0]} channels of {samples.shape[1]} "
            "samples; earmark takes (channels, samples). Arrays from soundfile or sounddevice are "
            "(samples, channels): pass data.T"
        )


def _as_float32(samples: Any, source: str) -> np.ndarray:
    """Numbers as float32: floats as they are, integer PCM scaled to ±1 (see :func:`as_waveform`)."""
    if isinstance(samples, (str, bytes, bytearray, memoryview)) or samples is None:
        raise ParameterError(f"{source}: expected audio samples as a numpy array, got {type(samples).__name__}; "
                             "to read a file, use load_audio or the path-taking methods")
    try:
        array = np.asarray(samples)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{source}: expected audio samples as a numpy array ({exc})") from exc
    kind = array.dtype.kind
    if kind == "f":
        out = array.astype(np.float32, copy=False)
    elif kind in "iu":
        full = float(2 ** (8 * array.dtype.itemsize - 1))
        out = ((array.astype(np.float64) - (full if kind == "u" else 0.0)) / full).astype(np.float32)
    else:
        raise ParameterError(f"{source}: expected real-valued audio samples (float or integer PCM), "
                             f"got {array.dtype} values")
    return out


def as_windows(windows: Any, *, window_samples: int, source: str = "windows") -> np.ndarray:
    """``windows`` as float32 ``(n, window_samples)``: one window of a model's length per row, numbers
    taken as :func:`as_waveform` takes them (integer PCM scaled to ±1).

    Raises
    ------
    ParameterError
        If ``windows`` is not numbers, or not shaped ``(n, window_samples)``.
    """
    out = _as_float32(windows, source)
    if out.ndim != 2 or out.shape[1] != window_samples:
        raise ParameterError(f"{source}: expected shape (n, {window_samples}), windows of {window_samples} samples "
                             f"at the model's rate, got {out.shape}; to label audio of any length, use predict")
    return out


def as_waveform(samples: Any, *, source: str = "audio") -> np.ndarray:
    """``samples`` as a float32 waveform, ``(samples,)`` or ``(channels, samples)``.

    Floats pass through (as float32); integer PCM is scaled to ±1 by its type's full scale
    (int16 by 32768; unsigned types, such as 8-bit WAV's, are centred first). Checks the shape
    (see :func:`valid_audio`), not the values.

    Raises
    ------
    ParameterError
        If ``samples`` is not numbers (text, bytes, None, booleans, complex) or has the wrong shape.
    """
    out = _as_float32(samples, source)
    _check_shape(out, source)
    return out


def valid_audio(samples: np.ndarray, *, sample_rate: int, source: str = "audio") -> None:
    """Check that ``samples`` is usable audio, raising a message that names ``source``.

    Raises
    ------
    ParameterError
        If ``sample_rate`` is not a whole number of hertz in range (:func:`check_sample_rate`), or
        ``samples`` is not an array of shape ``(samples,)`` or ``(channels, samples)`` with fewer
        channels than samples (a ``(samples, channels)`` array is refused, not misread).
    AudioDecodeError
        If the audio is empty or holds NaN or infinite values.
    """
    check_sample_rate(sample_rate)
    if not isinstance(samples, np.ndarray):
        raise ParameterError(f"{source}: expected a numpy array, got {type(samples).__name__}")
    _check_shape(samples, source)
    if samples.size == 0:
        raise AudioDecodeError(f"{source}: holds no audio samples; record or export it again")
    if not np.all(np.isfinite(samples)):
        raise AudioDecodeError(
            f"{source}: holds NaN or infinite sample values; re-export it as 16-bit or float PCM"
        )
    peak = float(np.max(np.abs(samples)))
    if peak > MAX_SAMPLE_VALUE:
        raise AudioDecodeError(
            f"{source}: sample values reach {peak:.3g}, far outside audio's range of ±1 (values up to "
            "±32768 are 16-bit integers given as floats: divide by 32768); re-export it as 16-bit or float PCM"
        )


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average channels: ``(channels, samples)`` → ``(samples,)``; mono passes through."""
    if samples.ndim == 1:
        return samples.astype(np.float32, copy=False)
    if samples.shape[0] == 1:
        return np.ascontiguousarray(samples[0], dtype=np.float32)
    mixed = np.array(samples[0], dtype=np.float32)  # summed in place: no float64 copy of a long file
    for channel in samples[1:]:
        mixed += channel
    mixed /= samples.shape[0]
    return mixed


def resample(samples: np.ndarray, *, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample ``(samples,)`` or ``(channels, samples)`` along the last axis with soxr (high quality).
    The one resampler in earmark. Samples are taken as :func:`as_waveform` takes them (integer PCM
    scaled to ±1, a list made an array).

    Raises
    ------
    ParameterError
        If either rate is not a whole number of hertz in range (:func:`check_sample_rate`), or the
        samples are not numbers or are shaped ``(samples, channels)`` (refused, not misread).
    """
    orig_sr = check_sample_rate(orig_sr, name="orig_sr")
    target_sr = check_sample_rate(target_sr, name="target_sr")
    samples = as_waveform(samples, source="samples")
    if orig_sr == target_sr:
        return samples.astype(np.float32, copy=False)
    if samples.ndim == 1:
        return np.asarray(soxr.resample(samples, orig_sr, target_sr, quality="HQ"), np.float32)
    out = soxr.resample(samples.T, orig_sr, target_sr, quality="HQ")
    return np.ascontiguousarray(np.asarray(out, np.float32).T)


class Resampler(Protocol):
    """What :func:`resampler` returns: call it with each chunk; ``last=True`` also flushes
    the filter's delay line (the final few milliseconds), so nothing is left inside."""

    def __call__(self, chunk: np.ndarray, last: bool = False) -> np.ndarray: ...


def resampler(*, orig_sr: int, target_sr: int) -> Resampler:
    """A streaming form of :func:`resample` for mono chunks that arrive one after another:
    the returned function keeps soxr's filter state between calls, so chunk edges leave no
    clicks. With equal rates it passes chunks through. Rates are checked as in :func:`resample`."""
    orig_sr = check_sample_rate(orig_sr, name="orig_sr")
    target_sr = check_sample_rate(target_sr, name="target_sr")
    if orig_sr == target_sr:
        return lambda chunk, last=False: chunk.astype(np.float32, copy=False)
    stream = soxr.ResampleStream(orig_sr, target_sr, 1, dtype="float32", quality="HQ")
    return lambda chunk, last=False: np.asarray(
        stream.resample_chunk(chunk.astype(np.float32, copy=False), last=last), np.float32)


def _window_view(
    samples: np.ndarray, *, sample_rate: int, window_s: float, hop_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Every ``window_s`` window of ``samples`` as a read-only strided view, and the start (in
    samples) of each window :func:`frame_windows` keeps: ``view[starts]`` are its windows.
    Nothing is copied but a signal shorter than one window, which is zero-padded.

    Lets a caller score a long recording a batch of windows at a time instead of copying them all.
    """
    if not (math.isfinite(window_s) and window_s > 0):
        raise ParameterError(f"window_s must be a positive number of seconds, got {window_s}")
    if not (math.isfinite(hop_s) and hop_s >= MIN_HOP_S):
        raise ParameterError(f"hop_s must be at least {MIN_HOP_S} s, got {hop_s}")
    if samples.ndim != 1:
        raise ParameterError(
            f"frame_windows expects mono samples of shape (samples,), got {samples.shape}; "
            "call to_mono first"
        )
    win = int(round(window_s * sample_rate))
    if win < 1:
        raise ParameterError(
            f"window_s={window_s} is shorter than one sample at {sample_rate} Hz; make it longer"
        )
    hop = max(1, int(round(hop_s * sample_rate)))
    n = samples.shape[0]
    if n < win:  # one window, zero-padded at the end: the only copy made here
        padded = np.zeros(win, np.float32)
        padded[:n] = samples
        samples = padded
    starts = np.arange(0, max(n - win, 0) + 1, hop)
    if starts[-1] + win < n:  # the end is not yet heard: one more window, aligned to it
        starts = np.append(starts, n - win)
    view = np.lib.stride_tricks.sliding_window_view(samples.astype(np.float32, copy=False), win)
    return view, starts


def frame_windows(
    samples: np.ndarray, *, sample_rate: int, window_s: float, hop_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Cut mono ``samples`` into windows of ``window_s`` every ``hop_s`` seconds.

    Windows start at 0, ``hop_s``, 2 ``hop_s``, … as long as they fit. When the signal runs
    on past the last of them, one more window is added that ends with the signal (it starts
    at ``duration - window_s``, so it overlaps its predecessor), so the end of a clip is
    always heard: 1.4 s with 1 s windows every 0.5 s gives windows at 0 and 0.4 s. A signal
    shorter than one window gives one window, zero-padded at the end.

    The windows are a **read-only** view into ``samples`` where the hop lays them out
    regularly (no copy); otherwise (an end window, or padding) a read-only copy. Copy the
    result before writing into it.

    Returns
    -------
    windows : np.ndarray, float32, ``(n_windows, window_samples)``, read-only
    starts_s : np.ndarray, float64, ``(n_windows,)`` start of each window in seconds
    """
    view, starts = _window_view(samples, sample_rate=sample_rate, window_s=window_s, hop_s=hop_s)
    hop = int(starts[1] - starts[0]) if len(starts) > 1 else 1
    if np.array_equal(starts, np.arange(len(starts)) * hop):
        windows = view[:: hop][: len(starts)]  # evenly spaced: a strided view, no copy
    else:
        windows = view[starts]  # fancy indexing copies; keep the read-only promise
        windows.flags.writeable = False
    return windows, starts.astype(np.float64) / sample_rate

