"""Regenerate the awkward little audio files in ``tests/data/audio/``.

Run from the repository root (needs ffmpeg on PATH and numpy)::

    .venv/bin/python scripts/make_awkward_audio.py

Signals are made with numpy (float64) and piped raw into ffmpeg, which does every
encoding; the hand-crafted WAVs (NaN, header-only) are written with the standard
library. Nothing here goes through libsndfile, so the files do not just echo the
decoder under test. ``tests/data/audio/README.md`` lists what each file holds; keep
it, this script and ``tests/test_audio.py`` in step.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "audio"

#: ffmpeg flags that keep output free of version strings and random Ogg serials.
BITEXACT = ["-fflags", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"]


def tones(freqs_hz: list[float], amps: list[float], *, sample_rate: int, duration_s: float) -> np.ndarray:
    """One sine per channel, ``(channels, samples)`` float64, starting at phase 0."""
    t = np.arange(round(duration_s * sample_rate)) / sample_rate
    return np.stack([a * np.sin(2 * np.pi * f * t) for f, a in zip(freqs_hz, amps, strict=True)])


def ffmpeg(name: str, y: np.ndarray, *, sample_rate: int, args: list[str], layout: str | None = None) -> None:
    """Encode ``y`` ``(channels, samples)`` to ``OUT/name`` with ffmpeg and ``args``."""
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
           "-f", "f64le", "-ar", str(sample_rate), "-ac", str(y.shape[0])]
    if layout:
        cmd += ["-channel_layout", layout]
    cmd += ["-i", "-", *args, *BITEXACT, str(OUT / name)]
    subprocess.run(cmd, input=np.ascontiguousarray(y.T, "<f8").tobytes(), check=True)


def phone_video(name: str, y: np.ndarray, *, sample_rate: int, args: list[str]) -> None:
    """A phone's video: ``y`` (one channel) as AAC beside a tiny black picture, in the container ``name`` names."""
    duration = y.shape[1] / sample_rate
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
           "-f", "lavfi", "-i", f"color=c=black:s=16x16:r=5:d={duration}",
           "-f", "f64le", "-ar", str(sample_rate), "-ac", "1", "-i", "-",
           "-map", "0:v", "-map", "1:a", "-c:v", "mpeg4", "-c:a", "aac", "-b:a", "48k", *args, *BITEXACT,
           "-flags:v", "+bitexact", str(OUT / name)]
    subprocess.run(cmd, input=np.ascontiguousarray(y.T, "<f8").tobytes(), check=True)


def float32_wav(name: str, y: np.ndarray, *, sample_rate: int) -> None:
    """A plain 44-byte-header IEEE-float WAV (format tag 3), mono, written by hand."""
    data = np.asarray(y, "<f4").tobytes()
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 3, 1, sample_rate, sample_rate * 4, 4, 32)
    (OUT / name).write_bytes(header + b"data" + struct.pack("<I", len(data)) + data)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    mono = tones([440.0], [0.5], sample_rate=16000, duration_s=0.5)
    stereo48 = tones([440.0, 660.0], [0.5, 0.25], sample_rate=48000, duration_s=0.25)

    # Good files: decodable, each a known tone.
    ffmpeg("mono_uint8.wav", mono, sample_rate=16000, args=["-c:a", "pcm_u8"])
    ffmpeg("mono_int16_8k.wav", tones([440.0], [0.5], sample_rate=8000, duration_s=0.5),
           sample_rate=8000, args=["-c:a", "pcm_s16le"])
    ffmpeg("stereo_int24_48k.wav", stereo48, sample_rate=48000, args=["-c:a", "pcm_s24le"])
    quarter = mono[:, :4000]
    ffmpeg("mono_int32.wav", quarter, sample_rate=16000, args=["-c:a", "pcm_s32le"])
    ffmpeg("mono_float32.wav", quarter, sample_rate=16000, args=["-c:a", "pcm_f32le"])
    ffmpeg("mono_float64.wav", tones([440.0], [0.5], sample_rate=8000, duration_s=0.25),
           sample_rate=8000, args=["-c:a", "pcm_f64le"])
    ffmpeg("stereo.flac", tones([440.0, 660.0], [0.5, 0.25], sample_rate=96000, duration_s=0.15),
           sample_rate=96000, args=["-c:a", "flac", "-sample_fmt", "s32", "-bits_per_raw_sample", "24"])
    ffmpeg("mono.ogg", mono, sample_rate=16000, args=["-c:a", "libvorbis", "-q:a", "4"])
    ffmpeg("mono.opus", mono, sample_rate=16000, args=["-c:a", "libopus", "-b:a", "32k"])
    ffmpeg("stereo.mp3", tones([440.0, 660.0], [0.5, 0.25], sample_rate=44100, duration_s=0.5),
           sample_rate=44100, args=["-c:a", "libmp3lame", "-b:a", "96k"])
    ffmpeg("mono.m4a", tones([440.0], [0.5], sample_rate=22050, duration_s=0.5),
           sample_rate=22050, args=["-c:a", "aac", "-b:a", "48k"])
    ffmpeg("mono.webm", tones([440.0], [0.5], sample_rate=48000, duration_s=0.5),
           sample_rate=48000, args=["-c:a", "libopus", "-b:a", "32k"])
    ffmpeg("mono.aiff", quarter, sample_rate=16000, args=["-c:a", "pcm_s16be"])
    # what phones record: a video (QuickTime, as iPhones write) and an old Android 3GP clip
    phone_video("phone_video.mov", tones([440.0], [0.5], sample_rate=44100, duration_s=0.5), sample_rate=44100,
                args=[])
    ffmpeg("mono.3gp", tones([440.0], [0.5], sample_rate=16000, duration_s=0.5),
           sample_rate=16000, args=["-c:a", "aac", "-b:a", "32k"])
    six = tones([300.0, 400.0, 500.0, 600.0, 700.0, 800.0], [0.3] * 6, sample_rate=8000, duration_s=0.25)
    ffmpeg("surround_6ch.wav", six, sample_rate=8000, args=["-c:a", "pcm_s16le"], layout="5.1")
    ffmpeg("UPPER_CASE.WAV", quarter, sample_rate=16000, args=["-c:a", "pcm_s16le", "-f", "wav"])

    # Bad files: each must be refused with an AudioDecodeError that names it.
    (OUT / "empty.wav").write_bytes(b"")
    ffmpeg("ten_ms.wav", mono[:, :160], sample_rate=16000, args=["-c:a", "pcm_s16le"])
    nan = quarter[0].copy()
    nan[1000:1010] = np.nan
    float32_wav("nan_float32.wav", nan, sample_rate=16000)
    (OUT / "not_audio.wav").write_text("This is a text file with a .wav name, not audio.\n" * 4)
    (OUT / "truncated.mp3").write_bytes((OUT / "stereo.mp3").read_bytes()[:600])
    with wave.open(str(OUT / "zeros_header_only.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"")

    total = sum(p.stat().st_size for p in OUT.iterdir() if p.name != "README.md")
    print(f"wrote {OUT} ({total / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
