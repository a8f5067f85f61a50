"""Render the corpus earmark's shipped backbone is pretrained on (see README.md here).

Usage: python pretraining/make_corpus.py OUT_DIR

Every General MIDI program (0-127) played as random phrases by four synthesisers, eight
drum kits from each, synth-bass lines (``analog_bass.py``), Sonic Pi's bass samples as phrases
and its drums as grooves, synthesised speech in five voices, streams of everyday sound
effects, synthetic audiences (``crowd.py``) over recorded chatter, recorded speech (Warzone 2100,
Hedgewars) and recorded outdoor ambience (MegaGlest):
one int16 ``.npy`` per render at 22050 Hz. Needs the Debian packages fluidsynth, flite,
ffmpeg, fluid-soundfont-gm, musescore-general-soundfont, opl3-soundfont, csound-soundfont,
sonic-pi-samples, minetest-data, colobot-common-sounds, extremetuxracer-data,
widelands-data, hedgewars-data, warzone2100-data and megaglest-data. Deterministic: each
render's randomness is seeded by its name.

None of these sources is one that the cross-domain benchmark tests on (lmms-common,
freepats, TimGM6mb, Hydrogen's kits, Asterisk's prompts, Wesnoth, LinCity), nor one of its
dev split's (Csound's synthesis opcodes, AVL Drums, SuperTuxKart, espeak-ng): pretraining on
them would make the benchmark's figures dishonest.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
import zlib
from multiprocessing import Pool
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synth_tools as st  # noqa: E402  (the benchmark's MIDI writer and renderers)
from analog_bass import bass_line  # noqa: E402
from crowd import crowd  # noqa: E402

SOUNDFONTS = {
    "mscore": Path("/usr/share/sounds/sf3/MuseScore_General_Full.sf3"),
    "fluid": Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    "opl3": Path("/usr/share/sounds/sf2/OPL-3_FM_128M.sf2"),
    "csound": Path("/usr/share/sounds/sf2/sf_GMbank.sf2"),
}
# synth-bass lines from earmark's own subtractive synthesiser (analog_bass.py), as more of the bass family
ANALOG_RENDERS = 32
# Sonic Pi's sample library (CC0): its bass samples played as phrases, its drums as grooves and loops
SONIC_PI = Path("/usr/share/sonic-pi/samples")
SONIC_PI_RENDERS = 8
FOLEY_FOLDERS = (Path("/usr/share/games/minetest/games"), Path("/usr/share/games/colobot/sounds"),
                 Path("/usr/share/games/etr/sounds"))
FOLEY_RENDERS = 24
# more everyday sounds: animals, farms, workshops, mills (Widelands); game sound effects (Hedgewars)
FOLEY2_FOLDERS = (Path("/usr/share/games/widelands/data/sound"), Path("/usr/share/games/hedgewars/Data/Sounds"))
FOLEY2_RENDERS = 16
# recorded human speech: Warzone 2100's spoken briefings and messages (inside base.wz), Hedgewars' voice packs
WARZONE_DATA = Path("/usr/share/games/warzone2100/base.wz")
WARZONE_SPEECH = ("audio/tutorial/", "sequenceaudio/", "audio/memressp/", "audio/vtoltalk/", "audio/taunts/",
                  "audio/nexus/")
HEDGEWARS_VOICES = Path("/usr/share/games/hedgewars/Data/Sounds/voices")
RECORDED_SPEECH_RENDERS = 40
# audiences: earmark's synthetic applause (crowd.py) with recorded speech as their chatter, as everyday sounds
CROWD_RENDERS = 16
# recorded outdoor ambience loops (day, night, rain, wind) from MegaGlest's tilesets
AMBIENCE_FOLDER = Path("/usr/share/games/megaglest/tilesets")
AMBIENCE_RENDERS = 24
KITS = (0, 8, 16, 24, 25, 32, 40, 48)  # standard, room, power, electronic, TR-808, jazz, brush, orchestra
SECONDS = 36.0
FLITE_VOICES = ("kal", "awb", "rms", "slt", "kal16")
SPEECH_RENDERS = 60
# playable range per GM family (program // 8), and for the programs that sit lower
FAMILY_RANGE = {0: (33, 96), 1: (48, 96), 2: (36, 84), 3: (40, 84), 4: (28, 58), 5: (36, 96), 6: (36, 84),
                7: (40, 84), 8: (40, 84), 9: (60, 96), 10: (36, 84), 11: (36, 84), 12: (36, 84), 13: (40, 84),
                14: (36, 84), 15: (36, 84)}
PROGRAM_RANGE = {32: (28, 55), 33: (28, 55), 42: (36, 72), 43: (28, 55), 58: (28, 58), 70: (34, 65)}
WORDS = """the a of and to in is you that it he was for on are as with his they at be this have from or one had
by word but not what all were we when your can said there use an each which she do how their if will up other
about out many then them these so some her would make like him into time has look two more write go see number no
way could people my than first water been call who oil its now find long down day did get come made may part music
bass drum sound record morning evening station train coffee window garden listen speak after before under over again
never always sometimes weather tomorrow yesterday table chair street city river mountain little great small large old
new""".split()


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


def phrase_events(rng: np.random.Generator, program: int) -> list[st.MidiEvent]:
    """Random notes in the program's range: short to long, some rests, some chords (not for basses)."""
    lo, hi = PROGRAM_RANGE.get(program, FAMILY_RANGE[program // 8])
    events = [st.program_change(0.0, 0, program)]
    t, pitch = 0.0, int(rng.integers(lo, hi + 1))
    while t < SECONDS - 0.3:
        chord = rng.random() < 0.2 and program // 8 != 4
        dur = float(rng.choice([rng.uniform(0.06, 0.25), rng.uniform(0.2, 0.7), rng.uniform(0.6, 2.0)]))
        vel = int(rng.integers(35, 128))
        pitch = int(np.clip(pitch + rng.integers(-7, 8), lo, hi))
        notes = [pitch]
        if chord:
            notes += [min(hi, pitch + int(i)) for i in rng.choice([3, 4, 7, 12], size=2, replace=False)]
        legato = rng.uniform(0.5, 1.05)
        for p in notes:
            events += [st.note_on(t, 0, p, vel), st.note_off(t + dur * legato, 0, p)]
        t += dur
        if rng.random() < 0.12:
            t += rng.uniform(0.1, 0.8)
    return events


def drum_events(rng: np.random.Generator, kit: int) -> list[st.MidiEvent]:
    """Bars of 16th-note grooves alternating with single hits of any drum-map note."""
    events = [st.control_change(0.0, 9, 0, 0), st.program_change(0.0, 9, kit)]
    t = 0.0
    while t < SECONDS - 0.3:
        if rng.random() < 0.5:
            step = 60 / rng.uniform(70, 170) / 4
            for i in range(16):
                for note, p in ((36, 0.3), (38, 0.2), (42, 0.6), (46, 0.05), (45, 0.05), (49, 0.03), (51, 0.1)):
                    if rng.random() < p:
                        at = t + i * step
                        events += [st.note_on(at, 9, note, int(rng.integers(40, 128))), st.note_off(at + 0.1, 9, note)]
            t += 16 * step
        else:
            note = int(rng.integers(35, 82))
            events += [st.note_on(t, 9, note, int(rng.integers(40, 128))), st.note_off(t + 0.1, 9, note)]
            t += rng.uniform(0.15, 1.2)
    return events


def _save(path: Path, x: np.ndarray) -> None:
    x = x / (np.abs(x).max() + 1e-9) * 0.9
    np.save(path, (x * 32767).astype(np.int16))


def render_instrument(job: tuple[Path, str, str, int]) -> None:
    out_dir, kind, font, number = job
    name = f"{kind}_{font}_{number:03d}"
    if (out_dir / f"{name}.npy").exists():
        return
    rng = _rng(name)
    events = phrase_events(rng, number) if kind == "prog" else drum_events(rng, number)
    _save(out_dir / f"{name}.npy", st.render_fluidsynth(events, SOUNDFONTS[font], SECONDS + 1, gain=0.6))


def render_speech(job: tuple[Path, int]) -> None:
    out_dir, i = job
    name = f"speech_flite_{i:03d}"
    if (out_dir / f"{name}.npy").exists():
        return
    rng = _rng(name)
    voice = FLITE_VOICES[i % len(FLITE_VOICES)]
    text = " ".join(rng.choice(WORDS, size=int(rng.integers(25, 45))))
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        cmd = ["flite", "-voice", voice, "-t", text, "-o", str(wav),
               "--setf", f"duration_stretch={rng.uniform(0.8, 1.3):.2f}"]
        if voice in ("slt", "rms", "awb"):
            cmd += ["--setf", f"int_f0_target_mean={rng.uniform(80, 230):.0f}"]
        subprocess.run(cmd, check=True, capture_output=True)
        _save(out_dir / f"{name}.npy", st.decode(wav))


def foley_files() -> list[Path]:
    """Sound effects of everyday things (footsteps, doors, glass, water, fire, machines, tools)."""
    files = [p for folder in FOLEY_FOLDERS for p in sorted(folder.rglob("*")) if p.suffix in (".ogg", ".wav")
             and "sounds" in p.parts]
    return [p for p in files if p.stat().st_size > 2000]


def _stream(rng: np.random.Generator, files: list[Path], *, max_s: float, gain: tuple[float, float],
            overlap: tuple[float, float], gap: tuple[float, float]) -> np.ndarray:
    """``SECONDS`` of recordings (each cut to ``max_s``) one after another over quiet room tone; each next
    one starts after a random share ``overlap`` of the last one's length plus a random ``gap``."""
    out = rng.standard_normal(int(SECONDS * st.SR)).astype(np.float32) * 10 ** (rng.uniform(-60, -40) / 20)
    t = rng.uniform(0, 0.5)
    while t < SECONDS - 0.2:
        x = st.decode(files[int(rng.integers(len(files)))])[: int(max_s * st.SR)]
        if x.size < 100:  # undecodable
            t += 0.1
            continue
        st.place(out, x / (np.abs(x).max() + 1e-9), t, rng.uniform(*gain))
        t += len(x) / st.SR * rng.uniform(*overlap) + rng.uniform(*gap)
    return out


def render_foley(job: tuple[Path, int, list[Path]]) -> None:
    """Everyday sound effects at random times and levels, often overlapping."""
    out_dir, i, files = job
    name = f"foley_sfx_{i:03d}"
    if not (out_dir / f"{name}.npy").exists():
        _save(out_dir / f"{name}.npy",
              _stream(_rng(name), files, max_s=4, gain=(0.2, 1.0), overlap=(0.3, 1.0), gap=(0.0, 1.0)))


def foley2_files() -> list[Path]:
    files = [p for folder in FOLEY2_FOLDERS for p in sorted(folder.rglob("*.ogg")) if "voices" not in p.parts]
    return [p for p in files if p.stat().st_size > 2000]


def speech_files(tmp: Path) -> list[Path]:
    """Recorded speech: Warzone 2100's spoken lines (extracted from its archive into ``tmp``), Hedgewars' voices."""
    with zipfile.ZipFile(WARZONE_DATA) as wz:
        names = [n for n in wz.namelist() if n.startswith(WARZONE_SPEECH) and n.endswith(".ogg")]
        for n in names:
            wz.extract(n, tmp)
    return sorted(tmp / n for n in names) + sorted(HEDGEWARS_VOICES.rglob("*.ogg"))


def ambience_files() -> list[Path]:
    """MegaGlest's ambience loops, each once (tilesets share files through links), short calls left out."""
    files = {p.resolve() for p in AMBIENCE_FOLDER.glob("*/sounds/*") if p.suffix in (".ogg", ".wav")}
    return sorted(p for p in files if p.stat().st_size > 100_000)


def render_stream(job: tuple[Path, str, int, list[Path]]) -> None:
    """Recordings of one kind (speech, or everyday sounds) one after another with short pauses."""
    out_dir, kind, i, files = job
    name = f"{kind}_{i:03d}"
    if not (out_dir / f"{name}.npy").exists():
        _save(out_dir / f"{name}.npy",
              _stream(_rng(name), files, max_s=8, gain=(0.3, 1.0), overlap=(0.7, 1.0), gap=(0.05, 0.8)))


def render_crowd(job: tuple[Path, int, list[Path]]) -> None:
    """An audience applauding (``crowd.py``), over the babble of 4-12 recorded voices at once."""
    out_dir, i, files = job
    name = f"foley_crowd_{i:03d}"
    if (out_dir / f"{name}.npy").exists():
        return
    rng = _rng(name)
    babble = sum(_stream(rng, files, max_s=8, gain=(0.3, 1.0), overlap=(0.7, 1.0), gap=(0.05, 0.8))
                 for _ in range(int(rng.integers(4, 13))))
    _save(out_dir / f"{name}.npy", crowd(rng, SECONDS, st.SR, babble=np.asarray(babble)))


def render_ambience(job: tuple[Path, int, list[Path]]) -> None:
    """``SECONDS`` of a recorded ambience loop, from a random point, sometimes with a second one under it."""
    out_dir, i, files = job
    name = f"amb_megaglest_{i:03d}"
    if (out_dir / f"{name}.npy").exists():
        return
    rng = _rng(name)
    n = int(SECONDS * st.SR)
    out = st.loop_to_length(st.decode(files[i % len(files)]), n, offset=int(rng.integers(0, st.SR * 10)))
    if rng.random() < 0.4:
        other = st.loop_to_length(st.decode(files[int(rng.integers(len(files)))]), n)
        out = out / (np.abs(out).max() + 1e-9) + other / (np.abs(other).max() + 1e-9) * rng.uniform(0.1, 0.6)
    _save(out_dir / f"{name}.npy", out)


def render_analog(job: tuple[Path, int]) -> None:
    """A synth-bass line; named as a bass-family program (32-39) so that it is learnt as bass."""
    out_dir, i = job
    name = f"prog_analog{i // 8}_{32 + i % 8:03d}"
    if not (out_dir / f"{name}.npy").exists():
        _save(out_dir / f"{name}.npy", bass_line(_rng(name), SECONDS, st.SR))


def render_sonic_pi_bass(job: tuple[Path, int]) -> None:
    """Sonic Pi's bass samples (each named with its note) as phrases: each note the sample re-pitched, cut short."""
    out_dir, i = job
    name = f"prog_sonicpi_{32 + i % 8:03d}"
    if (out_dir / f"{name}.npy").exists():
        return
    rng = _rng(name)
    files = sorted(SONIC_PI.glob("bass_*.flac")) + [SONIC_PI / "glitch_bass_g.flac"]
    roots = {"c": 36, "f": 41, "g": 43}
    out = np.zeros(int(SECONDS * st.SR), dtype=np.float32)
    t, step = rng.uniform(0, 0.3), 60 / rng.uniform(80, 170) / 4
    while t < SECONDS - 0.2:
        f = files[int(rng.integers(len(files)))]
        x = st.load_audio(f)
        shift = int(rng.integers(28, 52)) - roots[f.stem.rsplit("_", 1)[-1]]
        x = st.resample_ratio(x, 2 ** (shift / 12))
        length = step * float(rng.choice([1, 2, 2, 4, 8]))
        st.place(out, x / (np.abs(x).max() + 1e-9), t, rng.uniform(0.4, 1.0), max_len_s=length * rng.uniform(0.5, 1.0))
        t += length + (step * 2 if rng.random() < 0.1 else 0.0)
    _save(out_dir / f"{name}.npy", out)


def render_sonic_pi_drums(job: tuple[Path, int]) -> None:
    """Sonic Pi's drum hits as random grooves (kick, snare, hats, toms), alternating with its drum loops."""
    out_dir, i = job
    name = f"kit_sonicpi_{i:03d}"
    if (out_dir / f"{name}.npy").exists():
        return
    rng = _rng(name)
    parts = {
        "kick": [*SONIC_PI.glob("bd_*.flac"), *SONIC_PI.glob("drum_bass_*.flac"), SONIC_PI / "drum_heavy_kick.flac",
                 *SONIC_PI.glob("elec_*kick.flac")],
        "snare": [*SONIC_PI.glob("sn_*.flac"), *SONIC_PI.glob("drum_snare_*.flac"), *SONIC_PI.glob("elec_*snare.flac")],
        "hat": [*SONIC_PI.glob("drum_cymbal_*.flac"), SONIC_PI / "elec_tick.flac"],
        "tom": [*SONIC_PI.glob("drum_tom_*.flac"), SONIC_PI / "elec_fuzz_tom.flac"],
    }
    chance = {"kick": 0.3, "snare": 0.2, "hat": 0.6, "tom": 0.05}
    loops = [SONIC_PI / f"loop_{n}.flac" for n in ("amen", "amen_full", "breakbeat", "compus", "mika", "perc1",
                                                   "perc2", "tabla", "safari", "industrial")]
    out = np.zeros(int(SECONDS * st.SR), dtype=np.float32)
    t = 0.0
    while t < SECONDS - 0.3:
        if rng.random() < 0.6:
            kit = {part: files[int(rng.integers(len(files)))] for part, files in parts.items()}
            step = 60 / rng.uniform(70, 175) / 4
            for bar in range(int(rng.integers(1, 3))):
                for k in range(16):
                    for part, p in chance.items():
                        if rng.random() < p:
                            st.place(out, st.load_audio(kit[part]), t + (bar * 16 + k) * step, rng.uniform(0.3, 1.0),
                                     max_len_s=1.0)
            t += 16 * step * (bar + 1)
        else:
            x = st.load_audio(loops[int(rng.integers(len(loops)))])
            x = st.resample_ratio(x, rng.uniform(0.8, 1.25))[: int(rng.uniform(2, 8) * st.SR)]
            st.place(out, x / (np.abs(x).max() + 1e-9), t, rng.uniform(0.5, 1.0))
            t += len(x) / st.SR
    _save(out_dir / f"{name}.npy", out)


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python pretraining/make_corpus.py OUT_DIR")
    out_dir = Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    missing = [str(p) for p in (*SOUNDFONTS.values(), *FOLEY_FOLDERS, *FOLEY2_FOLDERS, WARZONE_DATA, HEDGEWARS_VOICES,
                                 AMBIENCE_FOLDER, SONIC_PI) if not p.exists()]
    missing += [tool for tool in ("fluidsynth", "flite", "ffmpeg") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"missing {missing}: apt-get install fluidsynth flite ffmpeg fluid-soundfont-gm "
                 "musescore-general-soundfont opl3-soundfont minetest-data colobot-common-sounds "
                 "extremetuxracer-data widelands-data hedgewars-data warzone2100-data megaglest-data "
                 "csound-soundfont sonic-pi-samples")
    jobs = [(out_dir, "prog", font, p) for font in SOUNDFONTS for p in range(128)]
    jobs += [(out_dir, "kit", font, k) for font in SOUNDFONTS for k in KITS]
    with Pool(2) as pool:
        pool.map(render_speech, [(out_dir, i) for i in range(SPEECH_RENDERS)])
        pool.map(render_instrument, jobs, chunksize=4)
        files = foley_files()
        pool.map(render_foley, [(out_dir, i, files) for i in range(FOLEY_RENDERS)])
        files = foley2_files()
        pool.map(render_stream, [(out_dir, "foley_games", i, files) for i in range(FOLEY2_RENDERS)])
        with tempfile.TemporaryDirectory() as tmp:
            files = speech_files(Path(tmp))
            pool.map(render_stream, [(out_dir, "speech_recorded", i, files) for i in range(RECORDED_SPEECH_RENDERS)])
            pool.map(render_crowd, [(out_dir, i, files) for i in range(CROWD_RENDERS)])
        files = ambience_files()
        pool.map(render_ambience, [(out_dir, i, files) for i in range(AMBIENCE_RENDERS)])
        pool.map(render_analog, [(out_dir, i) for i in range(ANALOG_RENDERS)])
        pool.map(render_sonic_pi_bass, [(out_dir, i) for i in range(SONIC_PI_RENDERS)])
        pool.map(render_sonic_pi_drums, [(out_dir, i) for i in range(SONIC_PI_RENDERS)])
    print(f"{len(list(out_dir.glob('*.npy')))} renders in {out_dir}")


if __name__ == "__main__":
    main()
