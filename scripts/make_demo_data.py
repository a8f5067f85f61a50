"""Regenerate earmark's built-in demo data in ``src/earmark/demo_data/``.

Run from the repository root (needs fluidsynth, sox, ffmpeg on PATH and Debian's
fluid-soundfont-gm for ``/usr/share/sounds/sf2/FluidR3_GM.sf2``)::

    .venv/bin/python scripts/make_demo_data.py

Bass and drum clips are hand-written MIDI rendered by fluidsynth from FluidR3_GM;
room tone is numpy noise. Everything is seeded, and ffmpeg encodes with
``+bitexact`` (fixed Ogg serials), so a re-run reproduces the same bytes on the same
tool versions. ``test/`` is made differently from ``train/`` (other kit variants,
tempos, grooves, programme mix, sox reverb, 10-25 dB SNR) so the demo's evaluation is
not in-domain. ``demo_data/ATTRIBUTION.md`` describes the folders; keep it in step.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf

SR = 22050
SF2 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
OUT = Path(__file__).resolve().parent.parent / "src" / "earmark" / "demo_data"
SEED = 1234
SLOT_S = 6.0  # spacing of clips within one batch render; leaves room for release tails
BITEXACT = ["-fflags", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"]
MIN_RMS_DB = -55.0  # every written file must be louder than this (catches silent renders)

BASS, DRUMS = 0, 9  # MIDI channels (9 = GM channel 10, bank 128 drum kits)
TRAIN_KITS = (0, 8, 16, 24, 25, 32, 40, 48)  # Standard Room Power Electronic TR-808 Jazz Brush Orchestra
TEST_KITS = (1, 3, 9, 12, 17, 19, 25, 33, 35, 41, 42)  # mostly variant presets not used in train
SCALE = (0, 3, 5, 7, 10, 12, 7, 0)  # minor pentatonic + weight on root/fifth
HITS = (35, 36, 38, 40, 37, 39, 41, 43, 45, 47, 48, 50, 42, 46, 49, 51, 56, 54, 52)
# Grooves: drum note -> steps on a 16th grid (16 steps per bar).
TRAIN_GROOVES: list[dict[int, list[int]]] = [
    {36: [0, 8, 10], 38: [4, 12], 42: list(range(0, 16, 2))},  # rock
    {36: [0, 4, 8, 12], 38: [4, 12], 46: [2, 6, 10, 14], 42: [0, 4, 8, 12]},  # four on the floor
    {36: [0, 3, 10], 38: [4, 12, 7], 42: list(range(16))},  # funk
]
TEST_GROOVES: list[dict[int, list[int]]] = [
    {36: [0, 11], 38: [8], 51: list(range(0, 16, 2)), 44: [4, 12]},  # half-time on the ride
    {36: [0, 10, 13], 38: [4, 12], 37: [7, 9], 42: list(range(16))},  # breakbeat with ghosts
    {36: [0, 6, 8], 39: [4, 12], 42: [2, 6, 10, 14], 54: list(range(0, 16, 4))},  # clap + tambourine
]

Audio = npt.NDArray[np.float64]
Event = tuple[float, int, bytes]  # (seconds, sort order, MIDI message)


class Midi:
    """A one-track Standard MIDI File at a fixed 120 bpm (1920 ticks per second)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def program(self, t: float, ch: int, prog: int) -> None:
        self.events.append((max(t, 0.0), 1, bytes([0xC0 | ch, prog])))

    def note(self, t: float, ch: int, pitch: int, vel: int, dur: float) -> None:
        self.events.append((t, 2, bytes([0x90 | ch, pitch, int(np.clip(vel, 1, 127))])))
        self.events.append((t + dur, 0, bytes([0x80 | ch, pitch, 0])))

    def smf(self, end_s: float) -> bytes:
        def vlq(n: int) -> bytes:
            out = [n & 0x7F]
            while n := n >> 7:
                out.append(0x80 | (n & 0x7F))
            return bytes(reversed(out))

        track, last = bytearray(b"\x00\xff\x51\x03\x07\xa1\x20"), 0  # tempo 500000 us/quarter
        ends = [(end_s, 0, bytes([0xB0, 7, 100]))]  # harmless CC keeps the player running to end_s
        for t, _, msg in sorted(self.events + ends, key=lambda e: (e[0], e[1])):
            tick = round(t * 1920)
            track += vlq(tick - last) + msg
            last = tick
        track += b"\x00\xff\x2f\x00"
        header = b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big")
        return header + (960).to_bytes(2, "big") + b"MTrk" + len(track).to_bytes(4, "big") + bytes(track)


def fluidsynth(midi: Midi, end_s: float, tmp: Path) -> Audio:
    """Render ``midi`` to mono float at SR (fluidsynth's own reverb/chorus off)."""
    (tmp / "in.mid").write_bytes(midi.smf(end_s))
    opts = f"-ni -q -R 0 -C 0 -g 0.5 -r {SR} -O float -T wav -F".split()
    cmd = ["fluidsynth", *opts, str(tmp / "out.wav"), str(SF2), str(tmp / "in.mid")]
    subprocess.run(cmd, check=True, capture_output=True)
    y, sr = sf.read(tmp / "out.wav", dtype="float64", always_2d=True)
    assert sr == SR, sr
    return np.asarray(y.mean(axis=1), dtype=np.float64)


def sox_reverb(y: Audio, rng: np.random.Generator, tmp: Path) -> Audio:
    sf.write(tmp / "dry.wav", y, SR, subtype="FLOAT")
    params = [str(int(rng.integers(30, 90))), str(int(rng.integers(20, 80))), str(int(rng.integers(40, 100)))]
    subprocess.run(["sox", "-V1", str(tmp / "dry.wav"), str(tmp / "wet.wav"), "reverb", *params], check=True)
    return np.asarray(sf.read(tmp / "wet.wav", dtype="float64")[0][: len(y)], dtype=np.float64)


def rms_db(y: Audio) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(y**2)) + 1e-12))


def shaped(rng: np.random.Generator, n: int, exponent: float, lo: float = 20.0, hi: float = SR / 2) -> Audio:
    """Unit-RMS noise with power ~ 1/f**exponent, band-limited to [lo, hi] Hz."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    spec *= np.maximum(f, lo) ** (-exponent / 2) * ((f >= lo) & (f <= hi))
    y = np.fft.irfft(spec, n)
    return y / float(np.sqrt(np.mean(y**2)) + 1e-12)


def room_tone(rng: np.random.Generator, n: int, test: bool) -> Audio:
    """Unit-peak room tone: coloured noise + mains hum + fan band + slow modulation.

    ``test`` draws from different recipes (electrical buzz, hiss, traffic-like swells)."""
    t = np.arange(n) / SR
    y = shaped(rng, n, 1.0) * rng.uniform(0.3, 1.0) + shaped(rng, n, 2.0) * rng.uniform(0.0, 1.0)
    if rng.random() < 0.7:  # mains hum with a few harmonics
        base = rng.choice([50.0, 60.0]) * (2 if test else 1)  # test: 100/120 Hz rectifier buzz
        amps = rng.uniform(0.05, 0.4) * rng.uniform(0.1, 1.0, 6) ** (1 if test else 2)
        y += sum(a * np.sin(2 * np.pi * base * (k + 1) * t + rng.uniform(0, 6.3)) for k, a in enumerate(amps))
    if rng.random() < 0.6:  # fan / HVAC: band noise plus a faint blade-pass tone
        lo = rng.uniform(80, 300) if not test else rng.uniform(400, 1500)
        y += shaped(rng, n, 0.0, lo, lo * rng.uniform(2, 5)) * rng.uniform(0.2, 0.8)
        y += rng.uniform(0.0, 0.1) * np.sin(2 * np.pi * rng.uniform(60, 180) * t)
    if test and rng.random() < 0.5:  # hiss
        y += shaped(rng, n, -0.5, 2000.0) * rng.uniform(0.1, 0.4)
    depth = rng.uniform(0.0, 0.6 if test else 0.4)  # slow amplitude modulation
    y *= 1 + depth * np.sin(2 * np.pi * rng.uniform(0.05, 0.6) * t + rng.uniform(0, 6.3))
    return y / float(np.max(np.abs(y)))


def bass_part(m: Midi, t0: float, *, rng: np.random.Generator, dur: float, prog: int, n_notes: int, bpm: float) -> None:
    """One note (``n_notes == 1``) or a phrase, legato or staccato, E1 (28) to G3 (55)."""
    m.program(t0 - 0.1, BASS, prog)
    if n_notes == 1:
        m.note(t0, BASS, int(rng.integers(28, 56)), int(rng.integers(50, 125)), rng.uniform(0.4, dur - 0.3))
        return
    root, gate = int(rng.integers(28, 44)), rng.choice([0.35, 0.6, 0.95])
    steps = rng.choice([1, 1, 2], n_notes)
    step_s = min(60 / bpm * rng.choice([0.5, 1.0]), (dur - 0.3) / steps.sum())  # eighths or quarters
    t = t0
    for s in steps:
        pitch = min(55, root + int(rng.choice(SCALE)) + 12 * int(rng.random() < 0.15))
        m.note(t, BASS, pitch, int(rng.integers(45, 125)), s * step_s * gate)
        t += s * step_s


def drum_part(
    m: Midi,
    t0: float,
    *,
    rng: np.random.Generator,
    dur: float,
    kit: int,
    grooves: list[dict[int, list[int]]],
    bpm: float,
) -> None:
    """A single hit (or flam), a tom fill, or a groove with a crash on beat one."""
    m.program(t0 - 0.1, DRUMS, kit)
    kind, step_s = rng.choice(["hit", "hit", "fill", "groove", "groove", "groove"]), 60 / bpm / 4
    if kind == "hit":
        note = int(rng.choice(HITS))
        for k in range(1 + int(rng.random() < 0.3)):
            m.note(t0 + 0.03 * k, DRUMS, note, int(rng.integers(50, 127)) - 30 * (1 - k), 0.2)
    elif kind == "fill":
        toms = [50, 48, 47, 45, 43, 41]
        n = min(int((dur - 0.6) / step_s), 12)
        for i in range(n):
            m.note(t0 + i * step_s, DRUMS, toms[i * len(toms) // n], int(rng.integers(70, 127)), 0.1)
        m.note(t0 + n * step_s, DRUMS, 49, 115, 0.3)
        m.note(t0 + n * step_s, DRUMS, 36, 110, 0.1)
    else:
        if rng.random() < 0.5:
            m.note(t0, DRUMS, 49, int(rng.integers(80, 120)), 0.3)
        groove(m, rng, t0, dur - 0.2, grooves[int(rng.integers(len(grooves)))], bpm)


def groove(m: Midi, rng: np.random.Generator, t0: float, dur: float, pattern: dict[int, list[int]], bpm: float) -> None:
    """Loop a 16-step ``pattern`` for ``dur`` seconds, accents on the beat, slight timing jitter."""
    step_s = 60 / bpm / 4
    for i in range(int(dur / step_s)):
        for note, where in pattern.items():
            if i % 16 in where:
                jitter = rng.normal(0, 0.004) if i else 0.0
                m.note(t0 + i * step_s + jitter, DRUMS, note, int(rng.integers(55, 100)) + 20 * (i % 4 == 0), 0.1)


Part = Callable[[Midi, float], None]


def render_batch(parts: list[Part], durs: list[float], rng: np.random.Generator, tmp: Path) -> list[Audio]:
    """Render each part in its own slot of one MIDI file; cut out ``dur`` seconds around it."""
    m, starts = Midi(), [1.0 + i * SLOT_S for i in range(len(parts))]
    for part, t0 in zip(parts, starts, strict=True):
        part(m, t0)
    y = fluidsynth(m, starts[-1] + SLOT_S, tmp)
    clips = []
    for t0, dur in zip(starts, durs, strict=True):
        a = round((t0 - rng.uniform(0.02, 0.3)) * SR)  # a little lead-in before the first onset
        clip = y[a : a + round(dur * SR)].copy()
        if np.max(np.abs(clip)) < 1e-3:  # a missing preset renders digital silence
            raise RuntimeError(f"fluidsynth rendered (near) silence at {t0:.1f} s: missing preset?")
        clip[-round(0.05 * SR) :] *= np.linspace(1, 0, round(0.05 * SR))
        clips.append(clip)
    return clips


def mix(inst: Audio, noise: Audio, snr_db: float, peak_db: float) -> Audio:
    """``inst`` plus ``noise`` at ``snr_db`` (RMS), peak-normalised to ``peak_db`` dBFS."""
    y = inst + noise * float(np.sqrt(np.mean(inst**2) / np.mean(noise**2)) * 10 ** (-snr_db / 20))
    return y * float(10 ** (peak_db / 20) / np.max(np.abs(y)))


def write_ogg(path: Path, y: Audio) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    opts = f"-nostdin -hide_banner -loglevel error -y -f f32le -ar {SR} -ac 1 -i - -c:a libvorbis -q:a 1".split()
    cmd = ["ffmpeg", *opts, *BITEXACT, str(path)]
    subprocess.run(cmd, input=np.clip(y, -1, 1).astype("<f4").tobytes(), check=True)


def make_split(split: str, n: int, tmp: Path) -> None:
    test = split == "test"
    rng = np.random.default_rng([SEED, int(test)])
    durs = [3.0] * n if test else [round(float(d), 2) for d in rng.uniform(1.5, 3.0, n)]
    mix_p = [0.05, 0.05, 0.1, 0.2, 0.2, 0.1, 0.15, 0.15]  # test: fretless/slap/synth-heavy mix
    progs = list(rng.choice(np.arange(32, 40), n, p=mix_p) if test else np.resize(np.arange(32, 40), n))
    kits = list(rng.choice(TEST_KITS, n) if test else np.resize(TRAIN_KITS, n))
    tempos = [
        float(rng.choice([rng.uniform(70, 90), rng.uniform(140, 170)]) if test else rng.uniform(95, 130))
        for _ in range(2 * n)
    ]  # test riffs and grooves are slower or faster than train
    n_notes = rng.choice([1, 3, 4, 5, 6] if test else [1, 1, 2, 3, 4, 5, 6], n)
    bass_parts: list[Part] = [
        partial(bass_part, rng=rng, dur=d, prog=int(p), n_notes=int(k), bpm=b)
        for d, p, k, b in zip(durs, progs, n_notes, tempos[:n], strict=True)
    ]
    grooves = TEST_GROOVES if test else TRAIN_GROOVES
    drum_parts: list[Part] = [
        partial(drum_part, rng=rng, dur=d, kit=int(k), grooves=grooves, bpm=b)
        for d, k, b in zip(durs, kits, tempos[n:], strict=True)
    ]
    snr = (10.0, 25.0) if test else (25.0, 45.0)
    for label, parts in (("bass", bass_parts), ("drums", drum_parts)):
        for i, clip in enumerate(render_batch(parts, durs, rng, tmp)):
            if test:
                clip = sox_reverb(clip, rng, tmp)
            y = mix(clip, room_tone(rng, len(clip), test), rng.uniform(*snr), rng.uniform(-12, -3))
            write_ogg(OUT / split / label / f"{label}_{i:03d}.ogg", y)
    for i, d in enumerate(durs):
        y = room_tone(rng, round(d * SR), test) * 10 ** (rng.uniform(-30, -12) / 20)
        write_ogg(OUT / split / "background" / f"background_{i:03d}.ogg", y)


def make_recording(tmp: Path) -> None:
    """~30 s: room tone, bass riff, drum groove, room tone, bass; room noise throughout."""
    rng = np.random.default_rng([SEED, 2])
    segments = [
        (0.0, 6.0, "background"),
        (6.0, 14.0, "bass"),
        (14.0, 22.0, "drums"),
        (22.0, 26.0, "background"),
        (26.0, 30.0, "bass"),
    ]
    m = Midi()
    riff, step = [33, 33, 45, 33, 36, 38, 40, 38], 60 / 105 / 2  # A1 riff, eighths at 105 bpm
    m.program(5.5, BASS, 34)
    for i in range(int(7.6 / step)):
        m.note(6.05 + i * step, BASS, riff[i % 8], int(rng.integers(80, 115)), step * 0.8)
    m.program(13.5, DRUMS, 0)
    groove(m, rng, 14.05, 7.5, TRAIN_GROOVES[2], 110)
    m.program(25.5, BASS, 38)
    for i, (p, s) in enumerate([(40, 0.0), (43, 0.8), (45, 1.6), (38, 2.4), (40, 3.0)]):
        m.note(26.05 + s, BASS, p, 100 - 8 * i, 0.7 if i < 4 else 0.6)
    y = fluidsynth(m, 31.0, tmp)[: 30 * SR]
    y = y / np.max(np.abs(y)) + room_tone(rng, len(y), False) * 10 ** (-32 / 20)
    write_ogg(OUT / "recording.ogg", y / np.max(np.abs(y)) * 10 ** (-3 / 20))
    doc = [{"start_s": a, "end_s": b, "label": lab} for a, b, lab in segments]
    (OUT / "recording.json").write_text(json.dumps(doc, indent=2) + "\n")


def summarise() -> None:
    print(f"{'folder':<18}{'files':>6}{'seconds':>9}{'bytes':>10}")
    total = 0
    for folder in sorted({p.parent for p in OUT.rglob("*.ogg")}):
        files = sorted(folder.glob("*.ogg"))
        secs = 0.0
        for f in files:
            y, sr = sf.read(f, dtype="float64")
            assert sr == SR and y.ndim == 1, f
            if rms_db(y) < MIN_RMS_DB:
                raise RuntimeError(f"{f}: RMS {rms_db(y):.1f} dBFS is below {MIN_RMS_DB}")
            secs += len(y) / SR
        size = sum(f.stat().st_size for f in files)
        total += size
        name = folder.relative_to(OUT).as_posix().replace(".", "(recording)")
        print(f"{name:<18}{len(files):>6}{secs:>9.1f}{size:>10}")
    print(f"{'total (all files)':<33}{sum(f.stat().st_size for f in OUT.rglob('*') if f.is_file()):>10}")


def main() -> None:
    if not SF2.is_file():
        raise SystemExit(f"{SF2} missing: apt-get install fluid-soundfont-gm")
    for old in ("train", "test"):
        shutil.rmtree(OUT / old, ignore_errors=True)
    with tempfile.TemporaryDirectory() as d:
        make_split("train", 24, Path(d))
        make_split("test", 10, Path(d))
        make_recording(Path(d))
    summarise()


if __name__ == "__main__":
    main()
