"""Audio building blocks for the benchmark data builder (``make_data.py``).

Everything here is plain numpy plus the command-line tools ``fluidsynth``,
``timidity``, ``sox`` and ``ffmpeg``.  Audio is handled as mono float32 at
``SR`` Hz.  Nothing in this module is random by itself: callers pass a
``numpy.random.Generator`` so that every clip is reproducible from its seed.
"""

from __future__ import annotations

import functools
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal

SR = 22050
FLOAT = np.float32

FREEPATS_CFG = Path("/etc/timidity/freepats.cfg")


# --------------------------------------------------------------------------
# Levels
# --------------------------------------------------------------------------


def db_to_amp(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


def rms_db(x: np.ndarray) -> float:
    return 20.0 * np.log10(rms(x) + 1e-12)


def peak(x: np.ndarray) -> float:
    return float(np.max(np.abs(x))) if x.size else 0.0


def active_rms_db(x: np.ndarray, frame: int = 2048) -> float:
    """RMS (dBFS) of the loudest quarter of frames: a level that ignores gaps."""
    n = len(x) // frame
    if n == 0:
        return rms_db(x)
    frames = x[: n * frame].reshape(n, frame).astype(np.float64)
    e = np.sort(np.mean(frames**2, axis=1))[::-1]
    top = e[: max(1, n // 4)]
    return float(10.0 * np.log10(np.mean(top) + 1e-24))


def normalize_peak(x: np.ndarray, target_db: float) -> np.ndarray:
    p = peak(x)
    if p <= 0.0:
        return x
    return (x * (db_to_amp(target_db) / p)).astype(FLOAT)


def fit_length(x: np.ndarray, n: int) -> np.ndarray:
    if len(x) >= n:
        return x[:n]
    return np.concatenate([x, np.zeros(n - len(x), dtype=x.dtype)])


def fade(x: np.ndarray, fade_in_s: float = 0.0, fade_out_s: float = 0.0) -> np.ndarray:
    y = x.astype(FLOAT, copy=True)
    n_in = min(len(y), int(fade_in_s * SR))
    n_out = min(len(y), int(fade_out_s * SR))
    if n_in > 0:
        y[:n_in] *= np.linspace(0.0, 1.0, n_in, dtype=FLOAT)
    if n_out > 0:
        y[len(y) - n_out :] *= np.linspace(1.0, 0.0, n_out, dtype=FLOAT)
    return y


def mix_at_snr(fg: np.ndarray, bg: np.ndarray, snr_db: float) -> np.ndarray:
    """Mix ``bg`` under ``fg`` so that active fg level / bg RMS equals ``snr_db``."""
    bg = fit_length(bg, len(fg))
    fg_level = db_to_amp(active_rms_db(fg))
    bg_level = rms(bg)
    if bg_level <= 0.0:
        return fg
    gain = fg_level / (bg_level * db_to_amp(snr_db))
    return (fg + gain * bg).astype(FLOAT)


# --------------------------------------------------------------------------
# Decoding and external tools
# --------------------------------------------------------------------------


def decode(path: Path) -> np.ndarray:
    """Decode any audio file to mono float32 at ``SR`` (empty array if undecodable)."""
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-f", "f32le", "-ac", "1", "-ar", str(SR), "-"]
    out = subprocess.run(cmd, capture_output=True, check=False)
    return np.frombuffer(out.stdout, dtype=np.float32).astype(FLOAT)


@functools.lru_cache(maxsize=1024)
def _load_cached(path: str) -> np.ndarray:
    x = decode(Path(path))
    x.setflags(write=False)
    return x


def load_audio(path: Path) -> np.ndarray:
    """Like ``decode`` but cached: for read-only library files."""
    return np.array(_load_cached(str(path)), dtype=FLOAT)


def sox_effects(x: np.ndarray, effects: list[str]) -> np.ndarray:
    """Run ``x`` through a sox effects chain (raw float32 through pipes)."""
    if not effects:
        return x
    fmt = ["-t", "f32", "-r", str(SR), "-c", "1"]
    cmd = ["sox", "-D", "-V1", *fmt, "-", *fmt, "-", *effects]
    out = subprocess.run(cmd, input=x.astype(np.float32).tobytes(), capture_output=True, check=True)
    return np.frombuffer(out.stdout, dtype=np.float32).astype(FLOAT)


def resample_ratio(x: np.ndarray, ratio: float) -> np.ndarray:
    """Play ``x`` ``ratio`` times faster (pitch up by ratio, shorter), tape style."""
    if abs(ratio - 1.0) < 1e-6:
        return x
    n_out = max(1, int(round(len(x) / ratio)))
    src_t = np.arange(n_out, dtype=np.float64) * ratio
    return np.interp(src_t, np.arange(len(x)), x).astype(FLOAT)


# --------------------------------------------------------------------------
# Standard MIDI files, written by hand
# --------------------------------------------------------------------------

TICKS_PER_SECOND = 960  # tpq 480 at 120 bpm


def _vlq(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes(reversed(out))


@dataclass
class MidiEvent:
    time_s: float
    data: bytes
    order: int = 1  # tie-break at equal times: 0 = controllers/program, 1 = notes


def smf_bytes(events: list[MidiEvent]) -> bytes:
    """A format-0 SMF with tempo 120 bpm / 480 tpq (1 tick = 1/960 s)."""
    track = b"\x00\xff\x51\x03" + (500000).to_bytes(3, "big")
    last = 0
    for ev in sorted(events, key=lambda e: (e.time_s, e.order)):
        tick = max(last, int(round(ev.time_s * TICKS_PER_SECOND)))
        track += _vlq(tick - last) + ev.data
        last = tick
    track += b"\x00\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480)
    return header + b"MTrk" + struct.pack(">I", len(track)) + track


def program_change(t: float, channel: int, program: int) -> MidiEvent:
    return MidiEvent(t, bytes([0xC0 | channel, program]), 0)


def control_change(t: float, channel: int, cc: int, value: int) -> MidiEvent:
    return MidiEvent(t, bytes([0xB0 | channel, cc, value]), 0)


def note_on(t: float, channel: int, pitch: int, vel: int) -> MidiEvent:
    return MidiEvent(t, bytes([0x90 | channel, pitch, max(1, min(127, vel))]), 1)


def note_off(t: float, channel: int, pitch: int) -> MidiEvent:
    return MidiEvent(t, bytes([0x80 | channel, pitch, 0]), 0)


def pitch_bend(t: float, channel: int, value: float) -> MidiEvent:
    """``value`` in [-1, 1] of the bend range."""
    v = int(round(8192 + max(-1.0, min(1.0, value)) * 8191))
    return MidiEvent(t, bytes([0xE0 | channel, v & 0x7F, (v >> 7) & 0x7F]), 0)


def bend_range(t: float, channel: int, semitones: int) -> list[MidiEvent]:
    return [
        control_change(t, channel, 101, 0),
        control_change(t, channel, 100, 0),
        control_change(t, channel, 6, semitones),
        control_change(t, channel, 38, 0),
    ]


def render_fluidsynth(events: list[MidiEvent], sf2: Path, seconds: float, gain: float = 0.5) -> np.ndarray:
    """Render with fluidsynth (reverb and chorus off) to mono float32."""
    with tempfile.TemporaryDirectory() as tmp:
        mid = Path(tmp) / "in.mid"
        wav = Path(tmp) / "out.wav"
        mid.write_bytes(smf_bytes(events))
        cmd = [
            "fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", str(gain), "-r", str(SR),
            "-o", "audio.file.format=float", "-o", "synth.cpu-cores=1",
            "-F", str(wav), str(sf2), str(mid),
        ]  # fmt: skip
        subprocess.run(cmd, capture_output=True, check=True)
        x = decode(wav)
    return fit_length(x, int(seconds * SR))


def render_timidity(events: list[MidiEvent], seconds: float, cfg: Path = FREEPATS_CFG) -> np.ndarray:
    """Render with timidity using ONLY the given config (freepats), effects off."""
    with tempfile.TemporaryDirectory() as tmp:
        mid = Path(tmp) / "in.mid"
        wav = Path(tmp) / "out.wav"
        mid.write_bytes(smf_bytes(events))
        cmd = [
            "timidity", "-c", str(cfg), "-Ow", "-s", str(SR), "--output-mono", "-A", "80",
            "-EFreverb=0", "-EFchorus=0", "-o", str(wav), str(mid),
        ]  # fmt: skip
        subprocess.run(cmd, capture_output=True, check=True)
        x = decode(wav)
    return fit_length(x, int(seconds * SR))


# --------------------------------------------------------------------------
# Sample sequencing
# --------------------------------------------------------------------------


def place(buf: np.ndarray, x: np.ndarray, at_s: float, gain: float = 1.0, max_len_s: float | None = None) -> None:
    """Add ``x`` into ``buf`` starting at ``at_s`` (in place, truncated at the end)."""
    start = int(round(at_s * SR))
    if start >= len(buf):
        return
    if max_len_s is not None:
        n = int(max_len_s * SR)
        if len(x) > n:
            x = fade(x[:n], fade_out_s=min(0.03, max_len_s / 4))
    if start < 0:
        x = x[-start:]
        start = 0
    n = min(len(x), len(buf) - start)
    buf[start : start + n] += gain * x[:n]


def excerpt(rng: np.random.Generator, x: np.ndarray, n: int) -> np.ndarray:
    """A random n-sample excerpt; shorter sources are looped with crossfades."""
    if len(x) >= n:
        start = int(rng.integers(0, len(x) - n + 1))
        return x[start : start + n].copy()
    xf = int(0.05 * SR)
    out = np.zeros(0, dtype=FLOAT)
    while len(out) < n + xf:
        seg = x[int(rng.integers(0, max(1, len(x) // 3))) :]
        seg = fade(seg, xf / SR, xf / SR)
        if len(out) >= xf:
            out[-xf:] += seg[:xf]
            out = np.concatenate([out, seg[xf:]])
        else:
            out = seg.copy()
    return out[:n]


def loop_to_length(x: np.ndarray, n: int, offset: int = 0) -> np.ndarray:
    reps = int(np.ceil((n + offset) / max(1, len(x)))) + 1
    return np.tile(x, reps)[offset : offset + n].astype(FLOAT)


# --------------------------------------------------------------------------
# Noise generators
# --------------------------------------------------------------------------


def white(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.standard_normal(n).astype(FLOAT)


def colored_noise(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    """Noise with power spectrum ~ 1/f**exponent (1 = pink, 2 = brown), unit RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / SR)
    f[0] = f[1]
    spec *= f ** (-exponent / 2.0)
    x = np.fft.irfft(spec, n)
    return (x / (rms(x) + 1e-12)).astype(FLOAT)


def hum(n: int, f0: float, harmonic_db: list[float], phase: float = 0.0) -> np.ndarray:
    t = np.arange(n) / SR
    x = np.zeros(n)
    for k, h_db in enumerate(harmonic_db, start=1):
        x += db_to_amp(h_db) * np.sin(2 * np.pi * f0 * k * t + phase * k)
    return (x / (rms(x) + 1e-12)).astype(FLOAT)


def bandpass(x: np.ndarray, lo: float, hi: float, order: int = 2) -> np.ndarray:
    hi = min(hi, SR / 2 * 0.95)
    lo = max(lo, 5.0)
    sos = signal.butter(order, [lo, hi], btype="bandpass", fs=SR, output="sos")
    return signal.sosfilt(sos, x).astype(FLOAT)


def lowpass(x: np.ndarray, cutoff: float, order: int = 2) -> np.ndarray:
    sos = signal.butter(order, min(cutoff, SR / 2 * 0.95), btype="lowpass", fs=SR, output="sos")
    return signal.sosfilt(sos, x).astype(FLOAT)


def highpass(x: np.ndarray, cutoff: float, order: int = 2) -> np.ndarray:
    sos = signal.butter(order, cutoff, btype="highpass", fs=SR, output="sos")
    return signal.sosfilt(sos, x).astype(FLOAT)


def smooth_envelope(rng: np.random.Generator, n: int, rate_hz: float, depth: float) -> np.ndarray:
    """Slow random gain curve around 1 (``depth`` 0..1), band-limited to ``rate_hz``."""
    k = max(4, int(n / SR * rate_hz) + 4)
    pts = rng.uniform(-1.0, 1.0, k)
    env = np.interp(np.linspace(0, k - 1, n), np.arange(k), pts)
    env = np.convolve(env, np.ones(64) / 64, mode="same")
    return (1.0 + depth * env).clip(0.0, None).astype(FLOAT)
