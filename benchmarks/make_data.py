"""Build the earmark benchmark data set (deterministic, seeded).

Writes 16-bit 22050 Hz mono WAV files, one folder per class
(``background/``, ``bass/``, ``drums/``), into three splits:

``train/``
    ~400 clean library one-shots from ONE source, FluidR3_GM rendered with
    fluidsynth: single bass notes (GM programs 32-39, E1-G3, 1-3 s, ending
    in digital silence), single drum hits (FluidR3 drum kits 0, 8, 16, 24,
    25, 32, 40, 48), and quiet synthetic room noise (pink/brown noise plus
    faint mains hum) as background.  Like the training set described in
    shared/FINDINGS.md.
``indomain_test/``
    ~150 clips made exactly like ``train/`` with other random draws.
``test/``
    ~375 cross-domain clips, 2-5 s, from sources disjoint from train (no
    FluidR3 at all): bass riffs (freepats via timidity, TimGM6mb via
    fluidsynth, lmms one-shots sequenced, lmms bass loops), drum grooves and
    fills (freepats drum set, recorded Hydrogen kits, lmms one-shots, lmms
    beat loops), and background ambience (lincity-ng and Wesnoth field
    recordings, lmms crowd/applause/breath, recorded speech and babble,
    freepats seashore/helicopter, and shaped noises of another family than
    the training noise).  Instruments get ambience mixed under them at
    5-30 dB SNR; everything gets random gain (-20..0 dB), some EQ /
    band-limiting, some reverb (sox), bass sometimes overdrive (sox).
``dev/``
    ~240 cross-domain clips made like ``test/`` from yet other sources, which
    neither ``train/``, ``test/`` nor the backbone's pretraining corpus use
    (Csound's instruments, the AVL Drums kit, SuperTuxKart's ambience,
    espeak-ng speech; see ``dev_sources.py``): the cross-domain figure to steer
    choices by, so that ``test/`` is only ever looked at, never tuned to.

Each split also gets ``manifest_<split>.csv`` next to it (file, label,
source, parameters) so results can be broken down per source.

Debian packages needed (``apt-get install -y --no-install-recommends``)::

    fluidsynth fluid-soundfont-gm timidity freepats lmms-common sox ffmpeg
    timgm6mb-soundfont hydrogen-drumkits lincity-ng-data wesnoth-1.16-data
    asterisk-core-sounds-en-wav csound avldrums.lv2-soundfont supertuxkart-data espeak-ng

Usage::

    .venv/bin/python benchmarks/make_data.py [--out benchmarks/data] [--seed 0] [--force] [--jobs 2]

Re-running with the same seed is a no-op unless ``--force`` is given.
Output is deterministic for a given seed and the same tool/package versions.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import os
import shutil
import sys
import time
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dev_sources as dev  # noqa: E402
import patterns as pt  # noqa: E402
import synth_tools as st  # noqa: E402
from synth_tools import SR  # noqa: E402

DATA_VERSION = 2
CLASSES = ("background", "bass", "drums")
SPLITS = ("train", "indomain_test", "test", "dev")
CROSS_DOMAIN_SPLITS = ("test", "dev")
DEFAULT_OUT = Path(__file__).resolve().parent / "data"

# ---------------------------------------------------------------- sources --

FLUID_SF2 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
TIMGM_SF2 = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
LMMS = Path("/usr/share/lmms/samples")
HYDROGEN = Path("/usr/share/hydrogen/data/drumkits")
LINCITY = Path("/usr/share/games/lincity-ng/sounds")
WESNOTH_AMBIENT = Path("/usr/share/games/wesnoth/1.16/data/core/sounds/ambient")
ASTERISK = Path("/usr/share/asterisk/sounds/en_US_f_Allison")

REQUIRED_PATHS: dict[Path, str] = {
    FLUID_SF2: "fluid-soundfont-gm",
    TIMGM_SF2: "timgm6mb-soundfont",
    st.FREEPATS_CFG: "freepats",
    LMMS: "lmms-common",
    HYDROGEN: "hydrogen-drumkits",
    LINCITY: "lincity-ng-data",
    WESNOTH_AMBIENT: "wesnoth-1.16-data",
    ASTERISK: "asterisk-core-sounds-en-wav",
    **dev.REQUIRED_PATHS,
}
REQUIRED_TOOLS = {"fluidsynth": "fluidsynth", "timidity": "timidity", "sox": "sox", "ffmpeg": "ffmpeg",
                  **dev.REQUIRED_TOOLS}

TRAIN_DRUM_KITS = (0, 8, 16, 24, 25, 32, 40, 48)
BASS_PROGRAMS = tuple(range(32, 40))
FREEPATS_BASS_PROGRAMS = tuple(range(32, 39))  # freepats has no 039

GM_DRUM_NOTES: dict[str, list[int]] = {
    "kick": [35, 36],
    "snare": [38, 40],
    "hat_closed": [42],
    "hat_open": [46],
    "hat_pedal": [44],
    "ride": [51, 59],
    "crash": [49, 57],
    "tom_hi": [48, 50],
    "tom_mid": [45, 47],
    "tom_lo": [41, 43],
    "clap": [39],
    "rim": [37],
    "shaker": [82, 69, 54],
}

# ambience recordings that are continuous scenes (no isolated hammer blows etc.)
LINCITY_AMBIENCE = [
    "CoalMine1", "CoalMine2", "CoalMine3", "Commune2", "Commune3", "DirtTrack1", "DirtTrack2", "DirtTrack3",
    "Farm1", "Farm2", "Farm3", "Fire1", "Fire2", "Fire3", "FireStation1", "FireStation2", "FireStation3",
    "Green1", "Green2", "Green3", "Green4", "Harbor1", "Harbor2", "Harbor3", "Health1", "Health2", "Health3",
    "Health4", "Health5", "IndustryHigh1", "IndustryHigh2", "IndustryHigh3", "IndustryLight1",
    "IndustryLight2", "IndustryLight3", "MarketEmpty1", "MarketFull1", "MarketLow1", "MarketMed1", "Mill1",
    "Mill2", "Mill3", "OreMine1", "OreMine2", "OreMine3", "OrganicFarm1", "OrganicFarm2", "OrganicFarm3",
    "ParklandLake1", "ParklandLake2", "ParklandPlane1", "ParklandPlane2", "ParklandPlane3", "PowerCoalEmpty",
    "PowerCoalFull", "PowerCoalLow", "PowerCoalMed", "PowerSolar2", "RailTrain1", "RailTrain2", "RailTrain3",
    "Recycle1", "Recycle2", "Recycle3", "ResidentialHigh1", "ResidentialHigh2", "ResidentialHigh3",
    "ResidentialLow1", "ResidentialLow2", "ResidentialLowLow1", "ResidentialMed1", "ResidentialMed2",
    "ResidentialMed3", "School1", "School2", "School3", "Shanty1", "Shanty3", "Shanty4", "Shanty5",
    "SportsCroud1", "SportsCroud2", "SportsCroud3", "Tip1", "Tip2", "Tip3", "TraficHigh1", "TraficHigh2",
    "TraficHigh3", "TraficLow1", "TraficLow2", "TraficLow3", "University1", "University2", "University3",
    "Water1", "Water2", "Water3", "Water4", "Water5", "WindMill1", "WindMill2", "WindMill3", "WindMillHTech2",
]  # fmt: skip
WESNOTH_FILES = ["birds1", "birds2", "birds3", "campfire", "morning", "night", "ship"]
LMMS_CROWD_FILES = ["misc/applause01", "misc/raving_crowd01", "misc/breath01"]

# one-shot role maps for sample-based drum kits (glob patterns inside the kit folder)
HYDROGEN_KITS: dict[str, dict[str, list[str]]] = {
    "The Black Pearl 1.0": {
        "kick": ["PearlKick-*"], "snare": ["PearlSnare-*"], "rim": ["PearlSideStick-*", "PearlSnareRimshot-*"],
        "hat_closed": ["SabianHatClosed-*"], "hat_open": ["SabianHatOpen-*", "SabianHatSemiOpen-*"],
        "hat_pedal": ["SabianHatPedal-*"], "ride": ["PaisteRide-*"], "crash": ["SabianCrash-*", "ZildjianSplash-*"],
        "tom_hi": ["PearlTom1-*"], "tom_mid": ["PearlTom2-*"], "tom_lo": ["PearlTomFloor-*"], "clap": ["HandClap*"],
    },
    "ColomboAcousticDrumkit": {
        "kick": ["bassdrum-*"], "snare": ["snare-opaque-*shot*"], "rim": ["stick-rim-*", "*rimshot*"],
        "hat_closed": ["hihat-closed-*"], "hat_open": ["hihat-open-*", "hihat-semi-open-*"],
        "ride": ["*__ride*"], "crash": ["*__crash*"], "tom_hi": ["tom-hi-*"], "tom_mid": ["tom-mid-*"],
        "tom_lo": ["tom-low-*"],
    },
    "Millo_MultiLayered2": {
        "kick": ["bd_*"], "snare": ["jsnare_*", "rsnare_*"], "clap": ["clap_*"], "crash": ["crash_*"],
        "ride": ["ride_*"], "hat_closed": ["hhclosed_*"], "hat_open": ["hhopen_*"], "hat_pedal": ["hhpedal_*"],
        "tom_lo": ["floortom_*"], "tom_mid": ["tom_*"], "rim": ["rim_*"],
    },
    "Millo_MultiLayered3": {
        "kick": ["bd_*"], "snare": ["sd_*"], "hat_closed": ["hh_0*"], "hat_pedal": ["hh_p*"],
        "hat_open": ["ho_*"], "crash": ["cc_*"], "ride": ["rc_*"], "rim": ["rs_*", "sr_*"],
        "tom_hi": ["t1_*"], "tom_mid": ["t2_*"], "tom_lo": ["ft_*"],
    },
    "ForzeeStereo": {
        "kick": ["Kick-*"], "snare": ["Snare-*"], "rim": ["SnareRim-*", "RimClick-*"],
        "hat_closed": ["HiHatClosed-*"], "hat_open": ["HiHatOpen-*", "HiHatSemiopen-*"],
        "hat_pedal": ["HiHatFoot-*"], "ride": ["Ride-*", "RideBow-*"], "crash": ["Crash18-*", "China-*", "Splash10-*"],
        "tom_hi": ["TomHigh-*"], "tom_mid": ["TomMid-*"], "tom_lo": ["TomLow-*"], "shaker": ["Tambourine-*"],
    },
    "BJA_Pacific": {
        "kick": ["BD_*"], "snare": ["SN_*", "SN4_*"], "hat_closed": ["HH_*"], "hat_open": ["HH2_*", "HH3_*"],
        "ride": ["RD_*", "RD2_*"], "crash": ["CB_*", "CB2_*"], "tom_mid": ["TM_*"], "tom_lo": ["TM2_*"],
    },
}  # fmt: skip
LMMS_DRUMS: dict[str, list[str]] = {
    "kick": ["bassdrum*", "kick*"], "snare": ["snare*"], "clap": ["clap*"], "hat_closed": ["hihat_closed*"],
    "hat_open": ["hihat_opened*"], "hat_pedal": ["hihat_foot_pedal*"], "crash": ["crash*"], "ride": ["ride*"],
    "rim": ["rim01*", "sidestick*", "nasty_rim*"], "shaker": ["shaker*"],
}  # fmt: skip
ROLE_FALLBACK = {
    "tom_hi": "tom_mid", "tom_mid": "tom_lo", "tom_lo": "snare", "hat_pedal": "hat_closed",
    "ride": "hat_closed", "crash": "hat_open", "hat_open": "hat_closed", "clap": "snare",
    "rim": "snare", "shaker": "hat_closed",
}  # fmt: skip
# lmms material filed under bass but with (almost) no energy below 250 Hz is not bass;
# excluded so the test stays fair (< 15 % of energy below 250 Hz at native pitch).
LMMS_NOT_BASS = {"basses/bass_hard02.ogg", "basses/techno_synth01.ogg", "bassloops/techno_synth01.ogg",
                 "bassloops/techno_synth02.ogg"}  # fmt: skip
LMMS_BASS_ONESHOTS = [
    *(f"basses/{p.name}" for p in sorted((LMMS / "basses").glob("*.ogg"))),
    "instruments/bassslap01.ogg",
    "instruments/bassslap02.ogg",
]
LMMS_BASS_ONESHOTS = [n for n in LMMS_BASS_ONESHOTS if n not in LMMS_NOT_BASS]
LMMS_BASSLOOPS = [f"bassloops/{p.name}" for p in sorted((LMMS / "bassloops").glob("*.ogg"))]
LMMS_BASSLOOPS = [n for n in LMMS_BASSLOOPS if n not in LMMS_NOT_BASS]


# ------------------------------------------------------------------ model --


@dataclass(frozen=True)
class Job:
    split: str
    label: str
    source: str
    index: int
    seed: int


@dataclass
class Clip:
    audio: np.ndarray
    stem: np.ndarray  # instrument/ambience before mixing, used for the silence check
    meta: dict[str, object] = field(default_factory=dict)


Recipe = Callable[[np.random.Generator], Clip]


def job_rng(job: Job, attempt: int) -> np.random.Generator:
    key = [job.seed, SPLITS.index(job.split), zlib.crc32(job.source.encode()), job.index, attempt]
    return np.random.default_rng(key)


def r2(x: float) -> float:
    return round(float(x), 2)


# ------------------------------------------------------------ train clips --


def train_bass_note(rng: np.random.Generator) -> Clip:
    """One FluidR3 bass note: rings, is released, ends in digital silence."""
    program = int(rng.choice(BASS_PROGRAMS))
    pitch = int(rng.integers(28, 56))  # E1..G3
    vel = int(rng.integers(40, 128))
    length = rng.uniform(1.0, 3.0)
    hold = min(length - 0.35, length * rng.uniform(0.45, 0.8))
    events = [st.program_change(0.0, 0, program), st.note_on(0.01, 0, pitch, vel), st.note_off(hold, 0, pitch)]
    x = st.render_fluidsynth(events, FLUID_SF2, length)
    x = st.fade(x, fade_out_s=0.25)
    return Clip(x, x, {"program": program, "pitch": pitch, "vel": vel, "hold_s": r2(hold)})


def train_drum_hit(rng: np.random.Generator) -> Clip:
    """One FluidR3 drum hit (GM notes 35-59) from one of several kits."""
    kit = int(rng.choice(TRAIN_DRUM_KITS))
    note = int(rng.integers(35, 60))
    vel = int(rng.integers(40, 128))
    length = rng.uniform(1.0, 3.0)
    events = [st.program_change(0.0, 9, kit), st.note_on(0.01, 9, note, vel), st.note_off(0.3, 9, note)]
    x = st.render_fluidsynth(events, FLUID_SF2, length)
    x = st.fade(x, fade_out_s=0.25)
    return Clip(x, x, {"kit": kit, "note": note, "vel": vel})


def train_room_noise(rng: np.random.Generator) -> Clip:
    """Quiet stationary pink or brown noise, optionally with faint mains hum."""
    n = int(rng.uniform(1.0, 3.0) * SR)
    exponent = float(rng.choice([1.0, 2.0]))
    level = rng.uniform(-58.0, -38.0)
    x = st.colored_noise(rng, n, exponent) * st.db_to_amp(level)
    meta: dict[str, object] = {"noise": "pink" if exponent == 1.0 else "brown", "level_db": r2(level)}
    if rng.random() < 0.6:
        f0 = float(rng.choice([50.0, 60.0]))
        hum_db = level - rng.uniform(3.0, 15.0)
        x = x + st.hum(n, f0, [0.0, -6.0, -12.0], phase=rng.uniform(0, 6.28)) * st.db_to_amp(hum_db)
        meta.update(hum_hz=f0, hum_db=r2(hum_db))
    x = st.fade(x.astype(st.FLOAT), 0.01, 0.01)
    return Clip(x, x, meta)


TRAIN_RECIPES: dict[str, tuple[str, Recipe]] = {
    "fluidr3_note": ("bass", train_bass_note),
    "fluidr3_hit": ("drums", train_drum_hit),
    "room_noise": ("background", train_room_noise),
}


# ------------------------------------------------------- test: ambience --


def amb_lincity(rng: np.random.Generator, n: int) -> tuple[np.ndarray, str]:
    name = str(rng.choice(LINCITY_AMBIENCE))
    return st.excerpt(rng, st.load_audio(LINCITY / f"{name}.wav"), n), f"lincity:{name}"


def amb_wesnoth(rng: np.random.Generator, n: int) -> tuple[np.ndarray, str]:
    name = str(rng.choice(WESNOTH_FILES))
    return st.excerpt(rng, st.load_audio(WESNOTH_AMBIENT / f"{name}.ogg"), n), f"wesnoth:{name}"


def amb_lmms_crowd(rng: np.random.Generator, n: int) -> tuple[np.ndarray, str]:
    name = str(rng.choice(LMMS_CROWD_FILES))
    return st.excerpt(rng, st.load_audio(LMMS / f"{name}.ogg"), n), f"lmms:{name}"


def _speech_stream(rng: np.random.Generator, n: int, files: list[Path]) -> np.ndarray:
    ratio = rng.uniform(0.85, 1.2)  # tape-style pitch/speed change = another "voice"
    out = np.zeros(n, dtype=st.FLOAT)
    t = rng.uniform(-1.0, 0.3)
    while t < n / SR:
        x = st.resample_ratio(st.load_audio(files[int(rng.integers(0, len(files)))]), ratio)
        st.place(out, x, t, rng.uniform(0.6, 1.0))
        t += len(x) / SR + rng.uniform(0.05, 0.5)
    return out


def amb_speech(rng: np.random.Generator, n: int) -> tuple[np.ndarray, str]:
    """One talker or 4-9 overlapped talkers, over a room tone (the prompts are studio-clean)."""
    files = sorted(ASTERISK.glob("*.wav"))
    if rng.random() < 0.4:
        x, name = _speech_stream(rng, n, files), "speech:single"
    else:
        voices = int(rng.integers(4, 10))
        x = np.asarray(sum(_speech_stream(rng, n, files) for _ in range(voices)), dtype=st.FLOAT)
        x = st.fit_length(st.sox_effects(x, ["reverb", f"{rng.uniform(40, 90):.0f}", "50", "100"]), n)
        name = f"speech:babble{voices}"
    room, room_name = (amb_lincity if rng.random() < 0.5 else amb_shaped_noise)(rng, n)
    return st.mix_at_snr(x, room, rng.uniform(15.0, 35.0)), f"{name}+{room_name}"


def amb_freepats_fx(rng: np.random.Generator, n: int) -> tuple[np.ndarray, str]:
    program = int(rng.choice([122, 122, 125]))
    pitch = int(rng.integers(48, 72))
    seconds = n / SR
    events = [st.program_change(0.0, 0, program), st.note_on(0.0, 0, pitch, 100), st.note_off(seconds + 1.0, 0, pitch)]
    x = st.render_timidity(events, seconds + 1.0)
    start = int(rng.uniform(0.2, 0.9) * SR)
    return x[start : start + n], f"freepats:{'seashore' if program == 122 else 'helicopter'}"


def amb_shaped_noise(rng: np.random.Generator, n: int) -> tuple[np.ndarray, str]:
    kind = str(rng.choice(["fan", "hvac", "traffic", "wind", "rain", "babble_noise", "mains_buzz"]))
    return SHAPED_NOISES[kind](rng, n), f"shaped:{kind}"


def _fan(rng: np.random.Generator, n: int) -> np.ndarray:
    broad = st.bandpass(st.colored_noise(rng, n, 1.0), rng.uniform(80, 200), rng.uniform(2000, 6000))
    blade = rng.uniform(60.0, 240.0)
    tone = st.hum(n, blade, [0.0, -8.0, -14.0, -20.0], rng.uniform(0, 6.28)) * st.smooth_envelope(rng, n, 0.5, 0.2)
    return (broad + tone * st.db_to_amp(rng.uniform(-18, -6))) * st.smooth_envelope(rng, n, 1.0, 0.1)


def _hvac(rng: np.random.Generator, n: int) -> np.ndarray:
    x = 0.7 * st.colored_noise(rng, n, 2.0) + 0.3 * st.white(rng, n)
    x = st.lowpass(x, rng.uniform(300, 1500), order=3)
    return x + 0.2 * st.rms(x) * st.hum(n, float(rng.choice([100.0, 120.0])), [0.0, -10.0])


def _traffic(rng: np.random.Generator, n: int) -> np.ndarray:
    rumble = st.lowpass(st.colored_noise(rng, n, 2.0), rng.uniform(150, 500), order=3)
    hiss = st.bandpass(st.white(rng, n), 500, 5000)
    t = np.arange(n) / SR
    env = np.full(n, 0.3)
    for _ in range(int(rng.integers(1, 5))):  # passing vehicles
        c, w = rng.uniform(0, n / SR), rng.uniform(0.6, 2.5)
        env += rng.uniform(0.5, 2.0) * np.exp(-0.5 * ((t - c) / w) ** 2)
    return (rumble * env + 0.05 * hiss * env**2).astype(st.FLOAT)


def _wind(rng: np.random.Generator, n: int) -> np.ndarray:
    x = np.zeros(n, dtype=st.FLOAT)
    for _ in range(3):
        centre = rng.uniform(150, 1500)
        band = st.bandpass(st.white(rng, n), centre * 0.7, centre * 1.4)
        x += band * st.smooth_envelope(rng, n, rng.uniform(0.3, 2.0), 0.9)
    return x * st.smooth_envelope(rng, n, 0.5, 0.7)


def _rain(rng: np.random.Generator, n: int) -> np.ndarray:
    hiss = st.highpass(st.white(rng, n), rng.uniform(1500, 4000)) * 0.3
    drops = np.zeros(n, dtype=st.FLOAT)
    count = int(rng.uniform(150, 900) * n / SR)
    pos = rng.integers(0, n, count)
    drops[pos] = rng.uniform(-1, 1, count) * rng.pareto(3.0, count)
    kernel = np.exp(-np.arange(int(0.003 * SR)) / (0.0006 * SR))
    drops = np.convolve(drops, kernel, mode="same").astype(st.FLOAT)
    return st.lowpass(hiss + st.highpass(drops, 800), rng.uniform(5000, 9000))


def _babble_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    base = st.bandpass(st.colored_noise(rng, n, 1.0), 150, 4000)
    x = np.zeros(n, dtype=st.FLOAT)
    for lo, hi in ((250, 900), (900, 2200), (2200, 3800)):
        x += st.bandpass(base, lo, hi) * st.smooth_envelope(rng, n, rng.uniform(3.0, 6.0), 0.9)
    return x


def _mains_buzz(rng: np.random.Generator, n: int) -> np.ndarray:
    f0 = float(rng.choice([50.0, 60.0]))
    harmonics = [float(-3.0 * k + rng.uniform(-6, 6)) for k in range(30)]
    buzz = st.hum(n, f0, harmonics, rng.uniform(0, 6.28))
    return buzz + st.colored_noise(rng, n, 1.0) * st.db_to_amp(rng.uniform(-25, -5))


SHAPED_NOISES: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "fan": _fan, "hvac": _hvac, "traffic": _traffic, "wind": _wind, "rain": _rain,
    "babble_noise": _babble_noise, "mains_buzz": _mains_buzz,
}  # fmt: skip

Ambience = Callable[[np.random.Generator, int], tuple[np.ndarray, str]]  # (rng, samples) -> (audio, name)

AMBIENCE: dict[str, Ambience] = {
    "lincity": amb_lincity,
    "wesnoth": amb_wesnoth,
    "lmms_crowd": amb_lmms_crowd,
    "speech": amb_speech,
    "freepats_fx": amb_freepats_fx,
    "shaped_noise": amb_shaped_noise,
}
# weights for the ambience mixed UNDER instruments
UNDERLAY_WEIGHTS = {
    "lincity": 0.35,
    "wesnoth": 0.12,
    "lmms_crowd": 0.08,
    "speech": 0.1,
    "freepats_fx": 0.05,
    "shaped_noise": 0.3,
}


def random_ambience(rng: np.random.Generator, n: int) -> tuple[np.ndarray, str]:
    names = list(UNDERLAY_WEIGHTS)
    p = np.array([UNDERLAY_WEIGHTS[k] for k in names])
    return AMBIENCE[str(rng.choice(names, p=p / p.sum()))](rng, n)


# ------------------------------------------------------ test: finishing --


def random_eq(rng: np.random.Generator) -> list[str]:
    """1-3 random EQ / band-limiting moves as sox effects."""
    moves = [
        ["highpass", f"{rng.uniform(40, 150):.0f}"],
        ["lowpass", f"{rng.uniform(2500, 8000):.0f}"],
        ["bass", f"{rng.uniform(-8, 8):.1f}"],
        ["treble", f"{rng.uniform(-10, 6):.1f}"],
        ["equalizer", f"{rng.uniform(150, 4000):.0f}", "1q", f"{rng.uniform(-8, 8):.1f}"],
    ]
    picks = rng.choice(len(moves), size=int(rng.integers(1, 4)), replace=False)
    return [arg for i in sorted(picks) for arg in moves[i]]


def random_reverb(rng: np.random.Generator) -> list[str]:
    return [
        "reverb", f"{rng.uniform(20, 90):.0f}", f"{rng.uniform(20, 80):.0f}", f"{rng.uniform(20, 100):.0f}",
        "100", f"{rng.uniform(0, 30):.0f}", f"{rng.uniform(-6, 0):.1f}",
    ]  # fmt: skip


def finish(
    rng: np.random.Generator, x: np.ndarray, meta: dict[str, object], p_eq: float, p_reverb: float
) -> np.ndarray:
    n = len(x)
    effects: list[str] = []
    if rng.random() < p_eq:
        effects += random_eq(rng)
    if rng.random() < p_reverb:
        effects += random_reverb(rng)
    if effects:
        x = st.fit_length(st.sox_effects(x, effects), n)
        meta["fx"] = " ".join(effects)
    gain = rng.uniform(-20.0, 0.0)
    meta["gain_db"] = r2(gain)
    return st.normalize_peak(x, -1.0 + gain)


def finish_instrument(rng: np.random.Generator, stem: np.ndarray, meta: dict[str, object], drive: float = 0.0,
                      ambience: Ambience = random_ambience) -> Clip:
    x = st.normalize_peak(stem, -3.0)
    if drive > 0 and rng.random() < drive:
        gain, colour = rng.uniform(8, 30), rng.uniform(10, 40)
        x = st.normalize_peak(st.sox_effects(x, ["overdrive", f"{gain:.0f}", f"{colour:.0f}"]), -3.0)
        meta["drive"] = f"overdrive {gain:.0f} {colour:.0f}"
    amb, amb_name = ambience(rng, len(x))
    snr = rng.uniform(5.0, 30.0)
    x = st.mix_at_snr(x, amb, snr)
    meta.update(ambience=amb_name, snr_db=r2(snr))
    return Clip(finish(rng, x, meta, p_eq=0.5, p_reverb=0.4), stem, meta)


def finish_background(rng: np.random.Generator, x: np.ndarray, meta: dict[str, object],
                      ambience: Ambience = random_ambience) -> Clip:
    stem = x
    x = st.normalize_peak(x, -3.0)
    if rng.random() < 0.3:
        other, name = ambience(rng, len(x))
        rel = rng.uniform(3.0, 15.0)
        x = st.mix_at_snr(x, other, rel)
        meta.update(second_ambience=name, second_rel_db=r2(rel))
    return Clip(finish(rng, x, meta, p_eq=0.5, p_reverb=0.15), stem, meta)


def clip_seconds(rng: np.random.Generator) -> float:
    return float(rng.uniform(2.0, 5.0))


# ----------------------------------------------------------- test: bass --


def riff_events(notes: list[pt.Note], channel: int, program: int) -> list[st.MidiEvent]:
    events = [
        st.program_change(0.0, channel, program),
        *st.bend_range(0.0, channel, 12),
        st.pitch_bend(0.0, channel, 0.0),
    ]
    for note in notes:
        start = max(0.0, note.start)
        end = note.start + note.dur
        if end <= 0.0:
            continue
        events.append(st.pitch_bend(start, channel, 0.0))
        events.append(st.note_on(start, channel, note.pitch, note.vel))
        if note.slide_to:
            glide_start = start + (end - start) * 0.4
            for k in range(1, 13):
                t = glide_start + (end - glide_start) * k / 12
                events.append(st.pitch_bend(t, channel, note.slide_to / 12 * k / 12))
        events.append(st.note_off(end, channel, note.pitch))
    return events


def test_freepats_riff(rng: np.random.Generator) -> Clip:
    seconds = clip_seconds(rng)
    style = str(rng.choice(pt.BASS_STYLES))
    program = int(rng.choice(FREEPATS_BASS_PROGRAMS))
    notes = pt.bass_riff(rng, style, seconds)
    stem = st.render_timidity(riff_events(notes, 0, program), seconds)
    return finish_instrument(rng, stem, {"style": style, "program": program}, drive=0.3)


def test_timgm_riff(rng: np.random.Generator) -> Clip:
    seconds = clip_seconds(rng)
    style = str(rng.choice(pt.BASS_STYLES))
    program = int(rng.choice(BASS_PROGRAMS))
    notes = pt.bass_riff(rng, style, seconds)
    stem = st.render_fluidsynth(riff_events(notes, 0, program), TIMGM_SF2, seconds, gain=0.6)
    return finish_instrument(rng, stem, {"style": style, "program": program}, drive=0.3)


def glide(x: np.ndarray, ratio_start: float, ratio_end: float, glide_from: float) -> np.ndarray:
    """Tape-style playback whose speed moves from ratio_start to ratio_end (a slide)."""
    n_out = int(len(x) / max(ratio_start, ratio_end))
    frac = np.linspace(0.0, 1.0, n_out)
    ratio = np.where(
        frac < glide_from, ratio_start, ratio_start + (ratio_end - ratio_start) * (frac - glide_from) / (1 - glide_from)
    )
    pos = np.cumsum(ratio)
    pos = pos[pos < len(x) - 1]
    return np.interp(pos, np.arange(len(x)), x).astype(st.FLOAT)


def test_lmms_bass_sequence(rng: np.random.Generator) -> Clip:
    """A riff played by pitch-shifting one lmms bass one-shot (slap bass included).

    Shifts stay within -9..+7 semitones of the sample's own pitch (plus a 0..-5
    semitone register shift), so the sample stays in its bass register.
    """
    seconds = clip_seconds(rng)
    style = str(rng.choice(pt.BASS_STYLES))
    name = str(rng.choice(LMMS_BASS_ONESHOTS))
    sample = st.load_audio(LMMS / name)
    notes = pt.bass_riff(rng, style, seconds, low=36, high=60)
    centre = float(np.median([nt.pitch for nt in notes])) if notes else 40.0
    register = rng.uniform(-5.0, 0.0)
    buf = np.zeros(int(seconds * SR), dtype=st.FLOAT)
    for nt in notes:
        semis = float(np.clip(nt.pitch - centre, -9, 7)) + register
        ratio = 2.0 ** (semis / 12.0)
        if nt.slide_to:
            shifted = glide(sample, ratio, ratio * 2.0 ** (nt.slide_to / 12.0), 0.4)
        else:
            shifted = st.resample_ratio(sample, ratio)
        st.place(buf, shifted, nt.start, (nt.vel / 127.0) ** 1.5, max_len_s=max(0.04, nt.dur))
    return finish_instrument(rng, buf, {"style": style, "sample": name, "register": r2(register)}, drive=0.3)


def test_lmms_bassloop(rng: np.random.Generator) -> Clip:
    seconds = clip_seconds(rng)
    name = str(rng.choice(LMMS_BASSLOOPS))
    semis = int(rng.integers(-3, 4))
    x = st.resample_ratio(st.load_audio(LMMS / name), 2.0 ** (semis / 12.0))
    n = int(seconds * SR)
    stem = st.loop_to_length(x, n, int(rng.integers(0, len(x))))
    return finish_instrument(rng, stem, {"loop": name, "shift_semitones": semis}, drive=0.2)


# ---------------------------------------------------------- test: drums --


def groove_events(hits: list[pt.Hit], rng: np.random.Generator) -> list[st.MidiEvent]:
    events = [st.program_change(0.0, 9, 0)]
    for h in hits:
        note = int(rng.choice(GM_DRUM_NOTES[h.role]))
        t = max(0.0, h.t)
        events += [st.note_on(t, 9, note, h.vel), st.note_off(t + 0.1, 9, note)]
    return events


def test_freepats_groove(rng: np.random.Generator) -> Clip:
    seconds = clip_seconds(rng)
    style = str(rng.choice(pt.DRUM_STYLES))
    hits = pt.drum_groove(rng, style, seconds)
    stem = st.render_timidity(groove_events(hits, rng), seconds)
    return finish_instrument(rng, stem, {"style": style})


def kit_samples(folder: Path, role_globs: dict[str, list[str]]) -> dict[str, list[Path]]:
    kit = {role: sorted({p for g in globs for p in folder.glob(g)}) for role, globs in role_globs.items()}
    return {role: paths for role, paths in kit.items() if paths}


def resolve_role(kit: dict[str, list[Path]], role: str) -> str:
    while role not in kit:
        role = ROLE_FALLBACK[role]
    return role


def sequence_kit(
    rng: np.random.Generator, kit: dict[str, list[Path]], hits: list[pt.Hit], seconds: float
) -> np.ndarray:
    buf = np.zeros(int(seconds * SR), dtype=st.FLOAT)
    for h in hits:
        paths = kit[resolve_role(kit, h.role)]
        sample = st.load_audio(paths[int(rng.integers(0, len(paths)))])
        max_len = 0.35 if h.role == "hat_open" else 2.5
        st.place(buf, sample, h.t, (h.vel / 127.0) ** 1.6, max_len_s=max_len)
    return buf


def test_hydrogen_groove(rng: np.random.Generator) -> Clip:
    seconds = clip_seconds(rng)
    kit_name = str(rng.choice(sorted(HYDROGEN_KITS)))
    kit = kit_samples(HYDROGEN / kit_name, HYDROGEN_KITS[kit_name])
    style = str(rng.choice(pt.DRUM_STYLES))
    stem = sequence_kit(rng, kit, pt.drum_groove(rng, style, seconds), seconds)
    return finish_instrument(rng, stem, {"style": style, "kit": kit_name})


def test_lmms_drum_groove(rng: np.random.Generator) -> Clip:
    seconds = clip_seconds(rng)
    full = kit_samples(LMMS / "drums", LMMS_DRUMS)
    kit = {role: [paths[int(rng.integers(0, len(paths)))]] for role, paths in full.items()}  # one sound per role
    style = str(rng.choice(pt.DRUM_STYLES))
    stem = sequence_kit(rng, kit, pt.drum_groove(rng, style, seconds), seconds)
    return finish_instrument(rng, stem, {"style": style, "kick": kit["kick"][0].name})


def test_lmms_beat_loop(rng: np.random.Generator) -> Clip:
    seconds = clip_seconds(rng)
    name = str(rng.choice(sorted(p.name for p in (LMMS / "beats").glob("*.ogg"))))
    ratio = rng.uniform(0.9, 1.12)
    x = st.resample_ratio(st.load_audio(LMMS / "beats" / name), ratio)
    stem = st.loop_to_length(x, int(seconds * SR), int(rng.integers(0, len(x))))
    return finish_instrument(rng, stem, {"loop": name, "speed": r2(ratio)})


# ----------------------------------------------------- test: background --


def background_recipe(source: Ambience, underlay: Ambience = random_ambience) -> Recipe:
    """A background clip from ``source``, sometimes with a second ambience from ``underlay`` mixed in."""

    def recipe(rng: np.random.Generator) -> Clip:
        n = int(clip_seconds(rng) * SR)
        x, name = source(rng, n)
        return finish_background(rng, x, {"ambience": name}, ambience=underlay)

    recipe.__name__ = f"background_{source.__name__}"
    return recipe


# (label, source) -> (recipe, count)
TEST_PLAN: dict[str, tuple[str, Recipe, int]] = {
    "freepats_riff": ("bass", test_freepats_riff, 50),
    "timgm6mb_riff": ("bass", test_timgm_riff, 20),
    "lmms_bass_seq": ("bass", test_lmms_bass_sequence, 30),
    "lmms_bassloop": ("bass", test_lmms_bassloop, 25),
    "freepats_groove": ("drums", test_freepats_groove, 35),
    "hydrogen_groove": ("drums", test_hydrogen_groove, 40),
    "lmms_drum_seq": ("drums", test_lmms_drum_groove, 25),
    "lmms_beat_loop": ("drums", test_lmms_beat_loop, 25),
    "lincity_amb": ("background", background_recipe(AMBIENCE["lincity"]), 35),
    "wesnoth_amb": ("background", background_recipe(AMBIENCE["wesnoth"]), 15),
    "lmms_crowd": ("background", background_recipe(AMBIENCE["lmms_crowd"]), 10),
    "speech": ("background", background_recipe(AMBIENCE["speech"]), 15),
    "shaped_noise": ("background", background_recipe(AMBIENCE["shaped_noise"]), 40),
    "freepats_fx": ("background", background_recipe(AMBIENCE["freepats_fx"]), 10),
}


# ------------------------------------------------------------------ dev --


def dev_ambience(rng: np.random.Generator, n: int) -> tuple[np.ndarray, str]:
    """The dev split's own ambience (SuperTuxKart scenes, espeak-ng speech), never the test's."""
    if rng.random() < 0.7:
        return dev.stk_ambience(rng, n)
    return dev.speech_ambience(rng, n)


def dev_csound_bass(instrument: int) -> Recipe:
    def recipe(rng: np.random.Generator) -> Clip:
        stem, meta = dev.csound_bass(rng, clip_seconds(rng), instrument)
        return finish_instrument(rng, stem, meta, drive=0.3, ambience=dev_ambience)

    recipe.__name__ = f"dev_csound_bass_{instrument}"
    return recipe


def dev_csound_drums(rng: np.random.Generator) -> Clip:
    stem, meta = dev.csound_drums(rng, clip_seconds(rng))
    return finish_instrument(rng, stem, meta, ambience=dev_ambience)


def dev_avl_drums(rng: np.random.Generator) -> Clip:
    stem, meta = dev.avl_drums(rng, clip_seconds(rng))
    return finish_instrument(rng, stem, meta, ambience=dev_ambience)


DEV_PLAN: dict[str, tuple[str, Recipe, int]] = {
    "csound_pluck": ("bass", dev_csound_bass(1), 27),
    "csound_fm": ("bass", dev_csound_bass(2), 27),
    "csound_subtractive": ("bass", dev_csound_bass(3), 26),
    "csound_drum_machine": ("drums", dev_csound_drums, 40),
    "avl_drums": ("drums", dev_avl_drums, 40),
    "stk_amb": ("background", background_recipe(dev.stk_ambience, dev_ambience), 50),
    "espeak_speech": ("background", background_recipe(dev.speech_ambience, dev_ambience), 30),
}
TRAIN_COUNTS = {"fluidr3_note": 134, "fluidr3_hit": 133, "room_noise": 133}
INDOMAIN_COUNTS = {"fluidr3_note": 50, "fluidr3_hit": 50, "room_noise": 50}


CROSS_DOMAIN_PLANS = {"test": TEST_PLAN, "dev": DEV_PLAN}


def recipe_for(job: Job) -> Recipe:
    if job.split in CROSS_DOMAIN_SPLITS:
        return CROSS_DOMAIN_PLANS[job.split][job.source][1]
    return TRAIN_RECIPES[job.source][1]


def plan_jobs(split: str, seed: int) -> list[Job]:
    if split in CROSS_DOMAIN_SPLITS:
        counts = {src: (label, count) for src, (label, _, count) in CROSS_DOMAIN_PLANS[split].items()}
    else:
        table = TRAIN_COUNTS if split == "train" else INDOMAIN_COUNTS
        counts = {src: (TRAIN_RECIPES[src][0], count) for src, count in table.items()}
    return [Job(split, label, src, i, seed) for src, (label, count) in counts.items() for i in range(count)]


# ------------------------------------------------------------ validation --

MIN_STEM_ACTIVE_DB = {"bass": -60.0, "drums": -60.0, "background": -75.0}  # catches silent renders only
MAX_ATTEMPTS = 6


def check_clip(job: Job, clip: Clip) -> str | None:
    """Reason the clip is unusable, or None."""
    x = clip.audio
    if not np.all(np.isfinite(x)):
        return "non-finite samples"
    if len(x) < int(0.9 * SR):
        return f"too short ({len(x) / SR:.2f} s)"
    if st.peak(x) > 0.999:
        return f"clipped (peak {st.peak(x):.3f})"
    stem_db = st.active_rms_db(clip.stem)
    if stem_db < MIN_STEM_ACTIVE_DB[job.label]:
        return f"silent or near-silent source render (active level {stem_db:.1f} dBFS)"
    if job.split in CROSS_DOMAIN_SPLITS and st.rms_db(x) < -65.0:
        return f"final mix too quiet ({st.rms_db(x):.1f} dBFS)"
    return None


def build_clip(job: Job) -> tuple[Clip, int, list[str]]:
    recipe = recipe_for(job)
    problems: list[str] = []
    for attempt in range(MAX_ATTEMPTS):
        clip = recipe(job_rng(job, attempt))
        problem = check_clip(job, clip)
        if problem is None:
            return clip, attempt, problems
        problems.append(problem)
    raise RuntimeError(
        f"{job.split}/{job.label}/{job.source}#{job.index}: no valid clip after {MAX_ATTEMPTS} attempts: {problems}"
    )


def clip_name(job: Job) -> str:
    return f"{job.source}_{job.index:04d}.wav"


def work(args: tuple[Job, Path]) -> dict[str, object]:
    job, split_dir = args
    clip, attempt, problems = build_clip(job)
    path = split_dir / job.label / clip_name(job)
    sf.write(path, clip.audio, SR, subtype="PCM_16")
    return {
        "file": f"{job.label}/{path.name}",
        "label": job.label,
        "source": job.source,
        "seconds": r2(len(clip.audio) / SR),
        "rms_db": r2(st.rms_db(clip.audio)),
        "peak_db": r2(20 * np.log10(st.peak(clip.audio) + 1e-12)),
        "retries": attempt,
        "rejected": "; ".join(problems),
        "params": json.dumps(clip.meta, sort_keys=True),
    }


# ---------------------------------------------------------------- driver --


def check_requirements() -> None:
    missing = sorted({pkg for path, pkg in REQUIRED_PATHS.items() if not path.exists()})
    missing += sorted(pkg for tool, pkg in REQUIRED_TOOLS.items() if shutil.which(tool) is None)
    if missing:
        sys.exit(
            "make_data.py: missing Debian packages: " + " ".join(missing) + "\n"
            "install them with:  apt-get install -y --no-install-recommends " + " ".join(missing)
        )


def stamp(seed: int) -> dict[str, object]:
    return {"data_version": DATA_VERSION, "seed": seed}


def build_split(out: Path, split: str, seed: int, jobs: int, force: bool) -> list[dict[str, object]] | None:
    """Build one split; returns its manifest rows, or None when it was already built."""
    final = out / split
    stamp_file = final / ".complete.json"
    if final.exists() and not force:
        if stamp_file.exists() and json.loads(stamp_file.read_text()) == stamp(seed):
            print(f"[{split}] up to date in {final} (use --force to rebuild)")
            return None
        sys.exit(f"make_data.py: {final} exists but was built with other settings or is incomplete; use --force")
    tmp = out / f".{split}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    for label in CLASSES:
        (tmp / label).mkdir(parents=True)
    todo = [(job, tmp) for job in plan_jobs(split, seed)]
    t0 = time.perf_counter()
    rows: list[dict[str, object]] = []
    with mp.get_context("fork").Pool(jobs) as pool:
        for i, row in enumerate(pool.imap(work, todo, chunksize=4), start=1):
            rows.append(row)
            if i % 50 == 0 or i == len(todo):
                print(f"[{split}] {i}/{len(todo)} clips ({time.perf_counter() - t0:.0f} s)", flush=True)
    stamp_file = tmp / ".complete.json"
    stamp_file.write_text(json.dumps(stamp(seed)))
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    write_manifest(out / f"manifest_{split}.csv", rows)
    return rows


def write_manifest(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: str(r["file"])))


def read_manifest(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def summarize(out: Path) -> None:
    print("\nData summary (" + str(out) + ")")
    print(f"{'split':<14} {'class':<11} {'clips':>5} {'seconds':>8} {'rms dBFS min/med/max':>22} {'retries':>7}")
    for split in SPLITS:
        manifest = out / f"manifest_{split}.csv"
        if not manifest.exists():
            continue
        rows = read_manifest(manifest)
        by_class: dict[str, list[dict[str, str]]] = defaultdict(list)
        for r in rows:
            by_class[r["label"]].append(r)
        for label in CLASSES:
            rs = by_class[label]
            secs = sum(float(r["seconds"]) for r in rs)
            levels = sorted(float(r["rms_db"]) for r in rs)
            lv = f"{levels[0]:.0f}/{levels[len(levels) // 2]:.0f}/{levels[-1]:.0f}" if levels else "-"
            retries = sum(int(r["retries"]) for r in rs)
            print(f"{split:<14} {label:<11} {len(rs):>5} {secs:>8.0f} {lv:>22} {retries:>7}")
    for split in CROSS_DOMAIN_SPLITS:
        manifest = out / f"manifest_{split}.csv"
        if not manifest.exists():
            continue
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for r in read_manifest(manifest):
            counts[(r["label"], r["source"])] += 1
        print(f"\n{split}/ sources: " + ", ".join(f"{lbl}:{src}={n}" for (lbl, src), n in sorted(counts.items())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: benchmarks/data)")
    parser.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
    parser.add_argument("--force", action="store_true", help="rebuild splits that already exist")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--splits", nargs="+", choices=SPLITS, default=list(SPLITS))
    args = parser.parse_args(argv)
    check_requirements()
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for split in args.splits:
        build_split(args.out, split, args.seed, args.jobs, args.force)
    summarize(args.out)
    print(f"\ndone in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
