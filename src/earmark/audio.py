"""Audio in and out: decode any common format, mix to mono, resample, cut into windows.

Conventions (see the README's vocabulary): waveforms are ``float32``, mono ``(samples,)``
or ``(channels, samples)``, and always travel with their ``sample_rate`` in Hz. Nothing
here resamples unless asked to with an explicit ``sample_rate``.

Decoding goes through libsndfile (``soundfile``: WAV, FLAC, OGG/Vorbis, Opus, MP3, AIFF)
and falls back to FFmpeg (``av``, which ships its own FFmpeg) for everything else
(M4A/AAC, WebM, …). Resampling happens in exactly one place, with soxr: :func:`resample` for whole signals and
:func:`resampler` for streams.
"""

from __future__ import annotations

import io
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import numpy as np
import soundfile as sf
import soxr

from .atomic import atomic_write
from .errors import AudioDecodeError, ParameterError

__all__ = [
    "AUDIO_EXTENSIONS",
    "MAX_SAMPLE_RATE",
    "MIN_DURATION_S",
    "MIN_HOP_S",
    "MIN_SAMPLE_RATE",
    "Audio",
    "as_waveform",
    "check_sample_rate",
    "frame_windows",
    "load_audio",
    "probe",
    "resample",
    "resampler",
    "to_mono",
    "valid_audio",
    "write_wav",
]

#: File name endings earmark treats as audio when it scans a folder.
AUDIO_EXTENSIONS = frozenset(
    {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".mp4", ".aac",
     ".webm", ".aif", ".aiff", ".aifc", ".caf", ".w64", ".au", ".snd", ".wma", ".mka",
     ".mov", ".3gp"}  # a phone's videos (iPhone QuickTime, Android 3GP): their sound is what is heard
)

#: Shorter files are refused: they hold too little sound to learn or judge from.
MIN_DURATION_S = 0.05

AudioSource = str | os.PathLike[str] | BinaryIO | bytes | bytearray | memoryview

#: Most samples of codec padding (AAC/Vorbis end padding) trimmed from an FFmpeg decode
#: that runs past the length the container states; a bigger excess is left alone.
_MAX_CODEC_PADDING = 4096
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


def _describe(source: AudioSource) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>"
    return str(getattr(source, "name", "<file object>"))


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
    """Resample along the last axis with soxr (high quality). The one resampler in earmark.

    Raises
    ------
    ParameterError
        If either rate is not a whole number of hertz in range (:func:`check_sample_rate`).
    """
    orig_sr = check_sample_rate(orig_sr, name="orig_sr")
    target_sr = check_sample_rate(target_sr, name="target_sr")
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


_BLOCK_FRAMES = 1 << 20  # a long file is read (and mixed to mono) this many frames at a time
#: A FLAC header stating more than this is not believed either way (a header left unfinished, a
#: stream that did not know its length): the audio it holds is what it holds.
_MAX_TRUSTED_LENGTH_S = 24 * 3600.0
_MAX_PREALLOCATED_FRAMES = 1 << 24  # a header's stated length is trusted this far (~6 min at 44.1 kHz), then grown


class _DamagedAudioError(AudioDecodeError):
    """Inside the decoders: audio that began to decode and then broke off."""


class _NoSoundError(AudioDecodeError):
    """Inside the decoders: a file FFmpeg reads (a video) that has no sound track at all."""


def _cut_at_a_frame(stated: int, got: int, rate: int) -> bool:
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
_STATED_CHUNK = re.compile(r"^\s*(?:data|SSND) : (\d+) \(should be (\d+)\)", re.MULTILINE)


def _pcm_frames_stated(f: sf.SoundFile, got: int) -> int | None:
    """The frames a WAV or AIFF file's data chunk says it holds, when that is more than the file
    holds (``got`` decoded): the file was cut short (a copy or download broken off). ``None`` when
    the chunk states no more than is there, or a placeholder, or libsndfile says nothing."""
    size = _PCM_BYTES.get(f.subtype)
    found = _STATED_CHUNK.search(f.extra_info) if size and f.format in ("WAV", "WAVEX", "AIFF") else None
    if found is None:
        return None
    stated, there = int(found.group(1)), int(found.group(2))
    missing = (stated - there) // (size * f.channels)
    return got + missing if stated < _PLACEHOLDER_BYTES and missing > _SHORT_BY_AT_MOST_S * f.samplerate else None


def _cut_short(stated: int, got: int, rate: int) -> _DamagedAudioError:
    return _DamagedAudioError(f"it says it holds {stated / rate:.2f} s but ends after {got / rate:.2f} s")


def _read_soundfile(data: BinaryIO | str, mono: bool) -> tuple[np.ndarray, int]:
    """Decode with libsndfile, a block at a time, keeping only the frames each read returned: a
    header may state more frames than the file holds (a cut-short MP3 or WAV) or absurdly many."""
    with sf.SoundFile(data) as f:
        rate, channels = int(f.samplerate), (1 if mono else f.channels)
        out = np.empty((channels, min(max(f.frames, 0), _MAX_PREALLOCATED_FRAMES)), np.float32)
        buffer = np.empty((_BLOCK_FRAMES, f.channels), np.float32)
        filled = 0
        while (block := f.read(_BLOCK_FRAMES, dtype="float32", always_2d=True, out=buffer)).shape[0]:
            y = to_mono(block.T)[np.newaxis] if mono else block.T
            if filled + y.shape[1] > out.shape[1]:  # longer than preallocated: grow geometrically
                grown = np.empty((channels, max(filled + y.shape[1], 2 * out.shape[1])), np.float32)
                grown[:, :filled] = out[:, :filled]
                out = grown
            out[:, filled : filled + y.shape[1]] = y
            filled += y.shape[1]
        if f.format == "FLAC" and _cut_at_a_frame(f.frames, filled, rate):
            raise _cut_short(f.frames, filled, rate)
        if (stated := _pcm_frames_stated(f, filled)) is not None:
            raise _cut_short(stated, filled, rate)
    return out[:, :filled], rate


def _read_ffmpeg(data: BinaryIO | str, mono: bool) -> tuple[np.ndarray, int]:
    """Decode with FFmpeg. Frames come out as packed float32 (PyAV's planar conversion crashes
    on 8-channel audio), mixed to mono frame by frame when ``mono`` (a long multichannel file
    never sits in memory at full width). A stream that breaks off after some audio decoded
    (a truncated or damaged FLAC or M4A) is refused, saying how far it got: a fragment of the
    recording, taken silently, would be worse than none."""
    import av  # FFmpeg bindings; imported lazily, only for formats libsndfile lacks

    with av.open(data, mode="r") as container:
        if not container.streams.audio:
            raise _NoSoundError("a video with no sound" if container.streams.video else "no sound track")
        stream = container.streams.audio[0]
        rate = int(stream.rate or stream.codec_context.sample_rate or 0)
        chunks: list[np.ndarray] = []
        layout = stream.codec_context.layout.name if stream.codec_context.layout else "mono"
        resampler = av.AudioResampler(format="flt", layout=layout, rate=rate or None)

        def keep(frames: list[Any]) -> None:
            nonlocal rate
            for out in frames:
                channels = len(out.layout.channels)
                y = out.to_ndarray().reshape(-1, channels).T  # packed: one row of interleaved samples
                chunks.append(to_mono(y)[np.newaxis] if mono and channels > 1 else np.array(y, np.float32))
                rate = out.sample_rate

        try:
            for frame in container.decode(stream):
                keep(resampler.resample(frame))
        except av.FFmpegError as exc:
            if not chunks:
                raise
            heard = sum(c.shape[1] for c in chunks) / rate
            reason = exc.strerror or exc
            raise _DamagedAudioError(f"the decoder stopped after {heard:.2f} s of audio: {reason}") from exc
        keep(resampler.resample(None))
        stated = _stated_samples(stream, rate)
        codec = stream.codec_context.name
    if not chunks:
        return np.zeros((1, 0), np.float32), max(rate, 1)
    samples = np.concatenate(chunks, axis=1)
    if codec == "flac" and stated is not None and _cut_at_a_frame(stated, samples.shape[1], rate):
        raise _cut_short(stated, samples.shape[1], rate)
    if stated is not None and 0 < samples.shape[1] - stated <= _MAX_CODEC_PADDING:
        samples = samples[:, :stated]  # FFmpeg keeps AAC's end padding; the container knows
    return samples, rate


def _stated_samples(stream: Any, rate: int) -> int | None:
    """The stream's length in samples as its container states it, or ``None``."""
    if not stream.duration or not stream.time_base or rate <= 0:
        return None
    return round(float(stream.duration * stream.time_base) * rate)


def _decode(source: AudioSource, *, mono: bool = False) -> tuple[np.ndarray, int]:
    name = _describe(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise AudioDecodeError(f"{name}: no such file; check the path")
        if path.is_dir():
            raise AudioDecodeError(f"{name}: is a folder, not an audio file; give a file's path")
        try:
            with path.open("rb"):
                empty = path.stat().st_size == 0
        except OSError as exc:
            raise AudioDecodeError(
                f"{name}: cannot be read ({exc.strerror or exc}); check its permissions"
            ) from exc
        # Each decoder reads the file from disk as it needs it: a huge file that is not audio
        # (a zip of zeros, unpacked) is refused from its first bytes, never loaded whole.
        def opened() -> BinaryIO:
            return path.open("rb")
    else:
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
        else:
            data = source.read()
            if not isinstance(data, (bytes, bytearray)):
                raise ParameterError(f"{name}: read text, not bytes; open the file with mode 'rb'")
        empty = not data

        def opened() -> BinaryIO:
            return io.BytesIO(data)
    if empty:
        raise AudioDecodeError(f"{name}: the file is empty (0 bytes); record or export it again")
    errors: list[str] = []
    for reader in (_read_soundfile, _read_ffmpeg):
        try:
            with opened() as stream:
                return reader(stream, mono)
        except MemoryError as exc:
            raise AudioDecodeError(
                f"{name}: is too long to decode in this machine's memory ({exc}); "
                "cut it into shorter recordings (e.g. ten minutes each) and try again"
            ) from exc
        except _NoSoundError as exc:
            raise AudioDecodeError(f"{name}: holds no sound track ({exc}); give a recording that has sound") from exc
        except _DamagedAudioError as exc:
            raise AudioDecodeError(f"{name}: is damaged or cut short ({exc}); "
                                   "copy or export it again from the original") from exc
        except AudioDecodeError as exc:
            errors.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - decoders raise many types; we report them
            # FFmpeg's own words ("Invalid data found when processing input"), not its errno
            reason = getattr(exc, "strerror", None)
            errors.append(reason if isinstance(reason, str) and reason else f"{type(exc).__name__}: {exc}".strip())
    raise AudioDecodeError(
        f"{name}: could not be decoded as audio ({errors[-1][:160]}); "
        "convert it to WAV, FLAC, OGG, MP3, M4A, WebM or AIFF and try again (if it is one already, it is "
        "damaged: export it again from the original)"
    )


def _length(n_samples: int, sample_rate: int) -> str:
    ms = n_samples / sample_rate * 1000
    return f"{ms:.0f} ms" if ms >= 1 else f"{n_samples} sample{'s' if n_samples != 1 else ''}"


def load_audio(
    source: AudioSource,
    *,
    sample_rate: int | None = None,
    mono: bool = True,
    min_duration_s: float = MIN_DURATION_S,
) -> Audio:
    """Decode an audio file (path, bytes or binary file object).

    Parameters
    ----------
    source : path, bytes (or bytearray/memoryview) or binary file object
    sample_rate : int or None
        Resample to this rate in Hz; ``None`` keeps the file's own rate.
    mono : bool
        Average the channels to one (``(samples,)``); otherwise ``(channels, samples)``.
    min_duration_s : float
        Refuse files shorter than this.

    Raises
    ------
    AudioDecodeError
        Missing, empty, undecodable, too short, or non-finite audio; the message names the file.
    ParameterError
        If ``sample_rate`` is not a whole number of hertz in range (:func:`check_sample_rate`),
        or a file object was opened in text mode.
    """
    if sample_rate is not None:
        sample_rate = check_sample_rate(sample_rate)
    name = _describe(source)
    samples, file_sr = _decode(source, mono=mono)
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


def probe(path: str | os.PathLike[str]) -> tuple[float, int]:
    """Duration (s) and sample rate (Hz) of an audio file, from its header where it has one.

    Returns ``(0.0, 0)`` for a file that cannot be read (listing a folder never fails on one
    bad file; decoding it later says what is wrong).
    """
    try:
        info = sf.info(str(path))
        return float(info.frames) / float(info.samplerate), int(info.samplerate)
    except (sf.LibsndfileError, RuntimeError, OSError):
        pass
    try:
        import av

        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            rate = int(stream.rate or stream.codec_context.sample_rate or 0)
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base), rate
            if container.duration is not None:
                return float(container.duration) / 1_000_000, rate
            return 0.0, rate
    except (OSError, IndexError, ValueError, av.error.FFmpegError):
        return 0.0, 0


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
    with atomic_write(path) as fh:
        sf.write(fh, data, audio.sample_rate, subtype="FLOAT" if loud else "PCM_16", format="WAV")
    return Path(path)
