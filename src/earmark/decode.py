"""Decoding: audio files (a path, bytes or a binary file object) to float32 samples and their rate.

Decoding goes through libsndfile (``soundfile``: WAV, RF64, W64, FLAC, OGG/Vorbis, Opus, MP3, AIFF)
and falls back to FFmpeg (``av``, which ships its own FFmpeg) for everything else (M4A/AAC,
WebM, …). A file cut short is found where its format says how long it is: a lossless one
(WAV, AIFF, FLAC) is refused, since a fragment taken silently would be worse than none; a
compressed one (MP3, M4A, WebM, Matroska, Ogg) is read as far as it goes, with an
:class:`AudioWarning` naming the file. A file that is not audio at all (an earmark model, a zip, a
picture: :func:`earmark.containers.other_held`) is named for what it is, not called damaged.
A video's sound track that starts after its picture is decoded from the video's start, silence first,
as a player plays it (:func:`sound_starts_late_s`). :func:`earmark.audio.load_audio` is the way in.
The cut-short checks live in :mod:`earmark.cutshort`; what the C decoders print to stderr is kept out of
earmark's output by :mod:`earmark.decoderstderr`.
"""

from __future__ import annotations

import io
import math
import os
import stat
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import numpy as np
import soundfile as sf

from .containers import other_held
from .cutshort import (
    DamagedAudioError,
    broke_off,
    cut_at_a_frame,
    cut_short,
    ends_early,
    ends_partway_through,
    length_guessed,
    pcm_frames_stated,
    short_of_stated,
)
from .decoderstderr import decoder_quiet
from .errors import AudioDecodeError, AudioWarning, LimitError, ParameterError, collecting_warnings, warn
from .interrupts import interrupts_held
from .mpegaudio import mp3_ends_in_a_frame, mp3_states_length
from .ogg import ogg_ends_whole
from .waveform import to_mono
from .wavsizes import with_sizes_filled

__all__ = ["AUDIO_EXTENSIONS", "AudioSource", "AudioWarning", "collecting_warnings", "decode", "probe", "source_name"]

#: File name endings earmark treats as audio when it scans a folder.
AUDIO_EXTENSIONS = frozenset(
    {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".mp4", ".aac",
     ".webm", ".aif", ".aiff", ".aifc", ".caf", ".w64", ".au", ".snd", ".wma", ".mka",
     ".mov", ".3gp"}  # a phone's videos (iPhone QuickTime, Android 3GP): their sound is what is heard
)

#: Endings that say nothing of what a file holds (a raw recording's; the studio keeps an upload as .bin),
#: and audio endings earmark does not look for in folders (an audiobook, a ringtone, older codecs): a
#: file with one that does not decode is damaged or in a codec not read here, not "not an audio file".
_SAYS_NOTHING = frozenset({"", ".bin", ".dat", ".raw", ".pcm", ".tmp", ".part", ".m4b", ".m4r", ".mp2", ".ac3",
                           ".eac3", ".amr", ".dts", ".ape", ".wv", ".spx", ".mpc", ".tta", ".ra", ".dsf", ".dff"})

AudioSource = str | os.PathLike[str] | BinaryIO | bytes | bytearray | memoryview


def _warn(message: str) -> None:
    warn(message, AudioWarning, stacklevel=4)


def source_name(source: AudioSource) -> str:
    """How messages name ``source``: its path, a file object's name, or ``<bytes>``."""
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>"
    return str(getattr(source, "name", "<file object>"))


#: Most samples of codec padding (AAC/Vorbis end padding) trimmed from an FFmpeg decode
#: that runs past the length the container states; a bigger excess is left alone.
_MAX_CODEC_PADDING = 4096
_BLOCK_FRAMES = 1 << 20  # a long file is read (and mixed to mono) this many frames at a time
_MAX_PREALLOCATED_FRAMES = 1 << 24  # a header's stated length is trusted this far (~6 min at 44.1 kHz), then grown


class _Decoded(NamedTuple):
    samples: np.ndarray
    rate: int
    #: How a compressed file falls short of its stated length, to follow "ends after 3.2 s"; ``None``: it does not.
    short_of: str | None = None


class _TooLongError(Exception):
    """Inside the decoders: more audio decoded than the caller's ``max_s`` allows (decoding stops)."""


#: A mono mix this far below its channels' own level (in dB) has cancelled out: the channels are one
#: signal and its inverse (a miswired or phase-flipped recording). Music with much of its stereo out
#: of phase still mixes to within about 10 dB of its channels.
_CANCELLED_DB = -30.0


class _Mix:
    """How a decoder mixes each block of ``(channels, frames)`` to mono ``(1, frames)``, keeping count
    of how loud the mix and the channels were (:meth:`cancelled`); or, with ``channel``, keeps only that one."""

    def __init__(self, channel: int | None = None) -> None:
        self.channel = channel
        self.channels = 1
        self.mix_energy = 0.0
        self.channel_energy = 0.0  # the channels' mean

    def __call__(self, y: np.ndarray) -> np.ndarray:
        self.channels = y.shape[0]
        if self.channels == 1 or self.channel is not None:
            return np.array(y[self.channel or 0][np.newaxis], np.float32)
        mixed = to_mono(y)
        self.mix_energy += float(np.einsum("i,i->", mixed, mixed, dtype=np.float64))
        self.channel_energy += float(np.einsum("ij,ij->", y, y, dtype=np.float64)) / self.channels
        return mixed[np.newaxis]

    def cancelled(self) -> bool:
        """Whether the channels, loud on their own, cancel out in the mix (:data:`_CANCELLED_DB`)."""
        return self.channel_energy > 0 and self.mix_energy <= self.channel_energy * 10 ** (_CANCELLED_DB / 10)


def _most_frames(max_s: float | None, rate: int) -> int | None:
    """How many frames at ``rate`` ``max_s`` seconds allow (``None``: no limit)."""
    return None if max_s is None or rate <= 0 else math.ceil(max_s * rate)


class _NoSoundError(AudioDecodeError):
    """Inside the decoders: a file FFmpeg reads (a video) that has no sound track at all."""


def _read_blocks(f: sf.SoundFile, mix: _Mix | None, max_s: float | None = None,
                 between: Callable[[], None] = lambda: None) -> np.ndarray:
    """Every frame of ``f``, a block at a time (each mixed to mono by ``mix``, if given), keeping
    only the frames each read returned: a header may state more frames than the file holds (a
    cut-short MP3 or WAV) or absurdly many. Stops with :class:`_TooLongError` once more than
    ``max_s`` seconds are read. ``between`` is called between blocks (to pass on a Ctrl-C held meanwhile)."""
    channels = 1 if mix else f.channels
    most = _most_frames(max_s, int(f.samplerate))
    room = min(max(f.frames, 0), _MAX_PREALLOCATED_FRAMES, _BLOCK_FRAMES + most if most is not None else f.frames)
    out = np.empty((channels, room), np.float32)
    buffer = np.empty((_BLOCK_FRAMES, f.channels), np.float32)
    filled = 0
    while (block := f.read(_BLOCK_FRAMES, dtype="float32", always_2d=True, out=buffer)).shape[0]:
        between()
        y = mix(block.T) if mix else block.T
        if filled + y.shape[1] > out.shape[1]:  # longer than preallocated: grow geometrically
            grown = np.empty((channels, max(filled + y.shape[1], 2 * out.shape[1])), np.float32)
            grown[:, :filled] = out[:, :filled]
            out = grown
        out[:, filled : filled + y.shape[1]] = y
        filled += y.shape[1]
        if most is not None and filled > most:
            raise _TooLongError
    return out[:, :filled]


def _read_soundfile(data: BinaryIO, mix: _Mix | None, max_s: float | None, between: Callable[[], None]) -> _Decoded:
    """Decode with libsndfile. A lossless file cut short is refused; an MP3 or Ogg file cut short
    is read as far as it goes, and says so."""
    with decoder_quiet(), sf.SoundFile(with_sizes_filled(data)) as f:
        samples = _read_blocks(f, mix, max_s, between)
        rate, got, kind, frames = int(f.samplerate), samples.shape[1], f.format, f.frames
        if kind == "FLAC" and cut_at_a_frame(frames, got, rate):
            raise cut_short(frames, got, rate)
        if (stated := pcm_frames_stated(f, got)) is not None:
            raise cut_short(stated, got, rate)
    short_of = None
    if kind == "MP3":  # a header that counts the frames promises a length; without one, the last frame tells
        short_of = short_of_stated(frames, got, rate) if mp3_states_length(data) else None
        if short_of is None and mp3_ends_in_a_frame(data):
            short_of = "partway through an MP3 frame"
    elif kind == "OGG" and not ogg_ends_whole(data):
        short_of = "without the end-of-stream mark an Ogg file closes with"
    return _Decoded(samples, rate, short_of)


def _collect(container: Any, stream: Any, *, mix: _Mix | None, data: BinaryIO, max_s: float | None = None,
             between: Callable[[], None] = lambda: None) -> tuple[list[np.ndarray], int, bool, Any]:
    """Decode ``stream`` with FFmpeg: its frames as packed float32 (PyAV's planar conversion crashes
    on 8-channel audio), mixed to mono frame by frame by ``mix``, if given (a long multichannel file never
    sits in memory at full width); the rate; whether the last packet broke off with the file
    (``data``, :func:`broke_off`); and the last packet that held data (``None``: none did). A stream that
    breaks off inside, after some audio decoded (a damaged FLAC or M4A), is refused, saying how far
    it got: a fragment of the recording, taken silently, would be worse than none. Stops with
    :class:`_TooLongError` once more than ``max_s`` seconds are decoded. ``between`` is called between
    packets (to pass on a Ctrl-C held meanwhile)."""
    import av  # FFmpeg bindings; imported lazily, only for formats libsndfile lacks

    rate = int(stream.rate or stream.codec_context.sample_rate or 0)
    chunks: list[np.ndarray] = []
    layout = stream.codec_context.layout.name if stream.codec_context.layout else "mono"
    resampler = av.AudioResampler(format="flt", layout=layout, rate=rate or None)

    got = 0

    def keep(frames: list[Any]) -> None:
        nonlocal rate, got
        for out in frames:
            channels = len(out.layout.channels)
            y = out.to_ndarray().reshape(-1, channels).T  # packed: one row of interleaved samples
            chunks.append(mix(y) if mix else np.array(y, np.float32))
            rate, got = out.sample_rate, got + y.shape[1]
            if (most := _most_frames(max_s, rate)) is not None and got > most:
                raise _TooLongError

    packet, broken_off, last = None, False, None
    try:
        for packet in container.demux(stream):
            last = packet if packet.size else last
            between()
            for frame in packet.decode():
                keep(resampler.resample(frame))
    except av.FFmpegError as exc:
        if not chunks:
            raise
        if not broke_off(packet, data, container.format.name):
            heard = sum(c.shape[1] for c in chunks) / rate
            reason = exc.strerror or exc
            raise DamagedAudioError(f"the decoder stopped after {heard:.2f} s of audio: {reason}") from exc
        broken_off = True  # the last packet, cut off with the file: what came before is whole
    keep(resampler.resample(None))
    return chunks, rate, broken_off, last


def _read_ffmpeg(data: BinaryIO, mix: _Mix | None, max_s: float | None, between: Callable[[], None]) -> _Decoded:
    """Decode with FFmpeg (see :func:`_collect`). AAC's end padding, which FFmpeg keeps, is trimmed
    to the length the container states; a file that ends short of it is read as far as it goes, and
    says so (a FLAC is refused)."""
    import av

    data.seek(0)
    with av.open(data, mode="r") as container:
        if not container.streams.audio:
            raise _NoSoundError("a video with no sound" if container.streams.video else "no sound track")
        stream = container.streams.audio[0]
        chunks, rate, broken_off, last = _collect(container, stream, mix=mix, data=data, max_s=max_s,
                                                  between=between)
        cut_in = ends_partway_through(container.format.name, data, last=last, broken_off=broken_off)
        guessed = length_guessed(container.format.name, data)
        stated = None if guessed else _stated_samples(stream.duration, stream.time_base, rate)
        promised = stated
        if promised is None and len(container.streams) == 1 and not guessed:  # a video's lasts as its picture
            promised = _stated_samples(container.duration, Fraction(1, av.time_base), rate)  # WebM states only this
        codec = stream.codec_context.name
        lead = round(late_s * rate) if (late_s := sound_starts_late_s(container, stream)) else 0
    if not chunks:
        return _Decoded(np.zeros((1, 0), np.float32), max(rate, 1))
    got = sum(c.shape[1] for c in chunks)  # the sound track's own samples, before the silence it starts late by
    if codec == "flac" and stated is not None and cut_at_a_frame(stated, got, rate):
        raise cut_short(stated, got, rate)
    if stated is not None and 0 < got - stated <= _MAX_CODEC_PADDING:
        got = stated  # FFmpeg keeps AAC's end padding; the container knows
    samples = np.concatenate([np.zeros((chunks[0].shape[0], lead), np.float32), *chunks], axis=1)[:, : lead + got]
    short_of = short_of_stated(promised, got, rate)
    if short_of is None and cut_in is not None:
        short_of = f"partway through {cut_in}"
    return _Decoded(samples, rate, short_of)


#: FFmpeg's ``AV_DISPOSITION_ATTACHED_PIC``: a "video" stream that is a file's cover picture (an MP3's, an M4A's).
_ATTACHED_PIC = 0x0400


def sound_starts_late_s(container: Any, stream: Any) -> float:
    """Seconds from a video's start (its earliest picture, or its sound if that comes first) to the start
    of ``stream``, its sound track, in ``container`` (both opened by PyAV): a video whose sound starts 2 s
    in plays 2 s of silence first, and its decoded sound does too (:func:`decode`), or a timeline of it
    would run 2 s ahead of the player. An audio-only file (or one with only a cover picture) gives 0: its
    first timestamp is its encoder's delay (an MP3's 0.025 s), not a gap. 0 too when the timestamps are
    unknown, or the container states no length or one shorter than the gap (timestamps not to be believed).
    Gaps inside the sound track are not filled: each sound is heard where it follows the one before."""
    if stream.start_time is None or not stream.time_base:
        return 0.0
    sound_s = float(stream.start_time * stream.time_base)
    pictures_s = [float(v.start_time * v.time_base) for v in container.streams.video
                  if v.start_time is not None and v.time_base and not int(getattr(v, "disposition", 0)) & _ATTACHED_PIC]
    if not pictures_s or not container.duration:
        return 0.0
    late_s = sound_s - min(sound_s, *pictures_s)
    return late_s if late_s < container.duration / 1_000_000 else 0.0


def _stated_samples(duration: int | None, time_base: Any, rate: int) -> int | None:
    """A length a container states (``duration`` in ``time_base`` units) in samples, or ``None``."""
    if not duration or not time_base or rate <= 0:
        return None
    return round(float(duration * time_base) * rate)


def _opener(source: AudioSource, name: str) -> Callable[[], BinaryIO]:
    """A function that opens ``source`` for reading, again each time it is called.

    Raises
    ------
    AudioDecodeError
        If it is missing, a folder, unreadable or empty.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise AudioDecodeError(f"{name}: no such file; check the path")
        if path.is_dir():
            raise AudioDecodeError(f"{name}: is a folder, not an audio file; give a file's path")
        try:
            with path.open("rb") as fh:
                if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):  # a pipe, FIFO or device: it reads once
                    return _in_memory(_piped(fh, name), name, piped=True)
                empty = os.fstat(fh.fileno()).st_size == 0
        except OSError as exc:
            raise AudioDecodeError(
                f"{name}: cannot be read ({exc.strerror or exc}); check its permissions"
            ) from exc
        # Each decoder reads the file from disk as it needs it: a huge file that is not audio
        # (a zip of zeros, unpacked) is refused from its first bytes, never loaded whole.
        if empty:
            raise AudioDecodeError(f"{name}: the file is empty (0 bytes); record or export it again")
        return lambda: path.open("rb")
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _in_memory(bytes(source), name)
    if not callable(getattr(source, "read", None)):
        hint = ("; samples already in memory need no loading: give them with their rate to predict(samples, "
                "sample_rate=...), or keep them as earmark.Audio(samples, sample_rate)"
                if isinstance(source, (np.ndarray, list)) else "")
        raise ParameterError("load_audio reads an audio file (a path, bytes or a binary file object), got "
                             f"{type(source).__name__}{hint}")
    data = source.read()
    if not isinstance(data, (bytes, bytearray)):
        raise ParameterError(f"{name}: read text, not bytes; open the file with mode 'rb'")
    return _in_memory(data, name)


#: Most bytes read from a pipe, FIFO or device (``cat take.wav | earmark predict m.earmark /dev/stdin``):
#: it cannot be read twice, so it is held in memory, and an endless one must not fill it. The studio's
#: upload limit (``max_upload_mb``) is as big by default; more than an hour of CD-quality WAV.
MAX_PIPED_BYTES = 1024**3
_PIPE_CHUNK = 1 << 20  # read a megabyte at a time: the buffer grows with what comes


def _piped(stream: BinaryIO, name: str) -> bytes:
    """All of ``stream``, a pipe, FIFO or device, read once, at most :data:`MAX_PIPED_BYTES`.

    Raises
    ------
    AudioDecodeError
        If more than :data:`MAX_PIPED_BYTES` come through (reading stops there).
    """
    chunks: list[bytes] = []
    got = 0
    while got <= MAX_PIPED_BYTES and (chunk := stream.read(min(_PIPE_CHUNK, MAX_PIPED_BYTES + 1 - got))):
        chunks.append(chunk)
        got += len(chunk)
    if got > MAX_PIPED_BYTES:
        raise AudioDecodeError(
            f"{name}: more than {_size_words(MAX_PIPED_BYTES)} came through this pipe, the most earmark "
            "reads from a pipe or device (it holds it in memory; reading stopped there); save it to a file "
            "and give the file's path")
    return b"".join(chunks)


def _in_memory(data: bytes | bytearray, name: str, *, piped: bool = False) -> Callable[[], BinaryIO]:
    """A function that opens ``data`` (a file read whole) for reading, again each time it is called.

    Raises
    ------
    AudioDecodeError
        If it is empty.
    """
    if not data and piped:
        raise AudioDecodeError(f"{name}: nothing came through this pipe or device (0 bytes); check that the "
                               "command feeding it writes the recording")
    if not data:
        raise AudioDecodeError(f"{name}: the file is empty (0 bytes); record or export it again")
    return lambda: io.BytesIO(data)


#: What a file that is not audio is, and what to do, by :func:`earmark.containers.other_held`'s kind.
_NOT_AUDIO = {
    "earmark model": "is an earmark model, not audio; give a recording here",
    "safetensors": "is a safetensors file (a model's weights), not audio; give a recording here",
    "onnx": "is an ONNX model (a trained model for deployment), not audio; give a recording here",
    "zip": "is a zip archive, not audio; unpack it and give its folder or a recording from it",
    "gzip": "is a gzip archive, not audio; unpack it and give a recording from it",
    "png": "is a PNG picture, not audio; give a recording here",
    "jpeg": "is a JPEG picture, not audio; give a recording here",
    "gif": "is a GIF picture, not audio; give a recording here",
    "pdf": "is a PDF document, not audio; give a recording here",
}


def _other_held(opened: Callable[[], BinaryIO]) -> str | None:
    """What the file is and what to do, when its first bytes say it is something that is not audio."""
    with opened() as stream:
        other = other_held(stream)
    return None if other is None else _NOT_AUDIO[other]


def decode(source: AudioSource, *, mono: bool = False, max_s: float | None = None) -> tuple[np.ndarray, int]:
    """The samples (float32, ``(channels, samples)``, or ``(1, samples)`` with ``mono``) and sample
    rate of an audio file: a path, bytes or a binary file object. A compressed file that ends short
    of the length its header states, an MP3 that ends partway through a frame, or an Ogg file with no
    end-of-stream mark, is read as far as it goes, with an :class:`AudioWarning` naming it.
    A stereo file whose channels cancel out when mixed (``mono``: one is the other inverted) gives
    its left channel instead of silence, with an :class:`AudioWarning` saying so.
    With ``max_s``, decoding stops as soon as the audio runs past ``max_s`` seconds (whatever its
    header says: a browser's WebM recording states no length), so a long recording never fills memory.

    Raises
    ------
    LimitError
        If it holds more than ``max_s`` seconds of audio.
    AudioDecodeError
        If it is missing, empty, not audio, damaged, a lossless file cut short, or too long for memory.
    """
    if max_s is not None and not (math.isfinite(max_s) and max_s > 0):
        raise ParameterError(f"max_duration_s must be a positive number of seconds, got {max_s}")
    name = source_name(source)
    opened = _opener(source, name)
    errors: list[str] = []
    for reader in (_read_soundfile, _read_ffmpeg):
        mix = _Mix() if mono else None
        try:
            # a Ctrl-C inside the decoders' callbacks to Python would be lost (see earmark.interrupts)
            with interrupts_held() as held, opened() as stream:
                decoded = reader(stream, mix, max_s, held.pass_on)
            if mix is not None and mix.cancelled():  # silence, mixed: decoded again, one channel only
                with interrupts_held() as held, opened() as stream:
                    decoded = reader(stream, _Mix(channel=0), max_s, held.pass_on)
                _warn(f"{name}: the channels cancel out when mixed to mono "
                      + ("(one is the other inverted); earmark used the left channel" if mix.channels == 2
                         else "(some are others inverted); earmark used the first channel"))
        except _TooLongError:
            raise LimitError(f"{name}: is longer than the limit of {_duration_words(max_s or 0.0)} "
                             "(decoding stopped there); cut it into shorter files") from None
        except MemoryError as exc:
            raise AudioDecodeError(
                f"{name}: is too long to decode in this machine's memory ({exc}); "
                "cut it into shorter recordings (e.g. ten minutes each) and try again"
            ) from exc
        except _NoSoundError as exc:
            if (other := _other_held(opened)) is not None:  # FFmpeg opens a picture as a video
                raise AudioDecodeError(f"{name}: {other}") from exc
            raise AudioDecodeError(f"{name}: holds no sound track ({exc}); give a recording that has sound") from exc
        except DamagedAudioError as exc:
            raise AudioDecodeError(f"{name}: is damaged or cut short ({exc}); "
                                   "copy or export it again from the original") from exc
        except AudioDecodeError as exc:
            errors.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - decoders raise many types; we report them
            # FFmpeg's own words ("Invalid data found when processing input"), not its errno
            reason = getattr(exc, "strerror", None)
            errors.append(reason if isinstance(reason, str) and reason else f"{type(exc).__name__}: {exc}".strip())
        else:
            if decoded.short_of and decoded.samples.shape[-1]:
                _warn(ends_early(name, ended_s=decoded.samples.shape[-1] / decoded.rate, short_of=decoded.short_of))
            return decoded.samples, decoded.rate
    if (other := _other_held(opened)) is not None:  # not audio at all: say what it is, not "damaged"
        raise AudioDecodeError(f"{name}: {other}")
    suffix = Path(name).suffix.lower() if isinstance(source, (str, os.PathLike)) else ""
    # notes.txt given as a recording: not "damaged" either (an ending has a letter: "take 2024.05.01" has none)
    if suffix not in AUDIO_EXTENSIONS | _SAYS_NOTHING and any(c.isalpha() for c in suffix):
        raise AudioDecodeError(f"{name}: not an audio file ({suffix}), and no decoder could read it as one; give a "
                               f"recording: earmark reads {', '.join(sorted(e.lstrip('.') for e in AUDIO_EXTENSIONS))}")
    raise AudioDecodeError(
        f"{name}: could not be decoded as audio ({errors[-1][:160]}); "
        "convert it to WAV, FLAC, OGG, MP3, M4A, WebM or AIFF and try again (if it is one already, it is "
        "damaged: export it again from the original)"
    )


def _size_words(n_bytes: int) -> str:
    """``1 GiB``, ``64 MiB``, ``512 bytes``: a limit in bytes as a person reads it."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.3g} {unit}"
    return f"{n_bytes} bytes"


def _duration_words(seconds: float) -> str:
    """``20 s``, ``2.5 min``, ``1.5 h``: a limit as a person reads it."""
    if seconds < 120:
        return f"{seconds:g} s"
    return f"{seconds / 60:.1f} min" if seconds < 2 * 3600 else f"{seconds / 3600:.1f} h"


def probe(path: str | os.PathLike[str]) -> tuple[float, int]:
    """Duration (s) and sample rate (Hz) of an audio file, from its header where it has one.

    Returns ``(0.0, 0)`` for a file that cannot be read (listing a folder never fails on one
    bad file; decoding it later says what is wrong).
    """
    try:
        with interrupts_held(), open(path, "rb") as fh, decoder_quiet(), \
                sf.SoundFile(with_sizes_filled(fh)) as f:  # a Ctrl-C in its callbacks would be lost
            return float(f.frames) / float(f.samplerate), int(f.samplerate)
    except (sf.LibsndfileError, RuntimeError, OSError):
        pass
    try:
        import av

        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            rate = int(stream.rate or stream.codec_context.sample_rate or 0)
            if stream.duration is not None and stream.time_base is not None:  # a video's sound may start late
                return sound_starts_late_s(container, stream) + float(stream.duration * stream.time_base), rate
            if container.duration is not None:
                return float(container.duration) / 1_000_000, rate
            return 0.0, rate
    except (OSError, IndexError, ValueError, av.error.FFmpegError):
        return 0.0, 0

