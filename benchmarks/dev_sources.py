"""Sources of the benchmark's ``dev/`` split: cross-domain audio from sources that neither
``train/``, ``test/`` nor the backbone's pretraining corpus (``pretraining/make_corpus.py``) use.

``dev/`` exists so that recipe and backbone choices can be steered by a cross-domain
figure without looking at ``test/``. Its sources:

* bass: riffs played by Csound's own instruments (a waveguide-plucked string, an FM bass,
  and a subtractive saw/square bass through a Moog ladder filter with accents and glides);
* drums: grooves on the AVL Drums "Red Zeppelin" sample kit (``avldrums.lv2-soundfont``,
  rendered by fluidsynth) and on a Csound drum machine (swept-sine kick and toms, noise
  snare, clap and hats);
* background: SuperTuxKart's recorded ambience loops (river, waterfall, rain, birds,
  restaurant, airport, machines, engines, radio static) and espeak-ng speech, one voice or
  a babble of several, over a quiet room.

Instruments get ``dev`` ambience (never the test's) mixed under them at 5-30 dB SNR and the
same finishing as ``test/`` (EQ, reverb, gain, sometimes overdrive).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import patterns as pt
import synth_tools as st
from synth_tools import SR

AVL_SF2 = Path("/usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2")
STK_SFX = Path("/usr/share/games/supertuxkart/data/sfx")
STK_TRACKS = Path("/usr/share/games/supertuxkart/data/tracks")
REQUIRED_PATHS: dict[Path, str] = {AVL_SF2: "avldrums.lv2-soundfont", STK_SFX: "supertuxkart-data"}
REQUIRED_TOOLS = {"csound": "csound", "espeak-ng": "espeak-ng"}

# continuous recorded scenes (no music, no isolated jingles)
STK_AMBIENCE = [
    "sfx/river_loop", "sfx/waterfall_loop_2", "sfx/rain", "sfx/exotic-birds", "sfx/exotic-birds_2",
    "sfx/lenautile_restaurant", "sfx/sara_airport_pa", "sfx/machine_sound", "sfx/static-radio",
    "sfx/engine_large", "sfx/engine_small", "sfx/spaceship", "sfx/airplane_jetEngine",
    "tracks/scotland/sheep", "tracks/black_forest/steamLocomotive",
]  # fmt: skip
# the AVL kit answers on bank 0 preset 0; its note map is GM's with one kick and one shaker
AVL_NOTES: dict[str, list[int]] = {
    "kick": [36], "snare": [38, 40], "hat_closed": [42], "hat_open": [46], "hat_pedal": [44], "ride": [51, 59],
    "crash": [49, 57], "tom_hi": [48, 50], "tom_mid": [45, 47], "tom_lo": [41, 43], "clap": [39], "rim": [37],
    "shaker": [54],
}  # fmt: skip
ESPEAK_VOICES = ("en", "en-us", "en-gb-x-rp", "en-029", "de", "fr", "es", "it", "nl", "pt")
ESPEAK_VARIANTS = ("m1", "m3", "m5", "f1", "f2", "f4", "croak", "klatt")
WORDS = """people station evening coffee listen garden weather window morning river question tomorrow table
street number music little letter corner market village water simple answer story paper family travel
yesterday doctor kitchen painting bicycle mountain holiday airport restaurant""".split()

# Csound instruments: 1 plucked string, 2 FM bass, 3 subtractive bass (p4 pitch, p5 0..1 velocity,
# p6 semitones of glide over the note's last 60 %, p7 brightness 0..1); 10-16 the drum machine
# (p4 velocity, p5 tuning 0..1).
ORCHESTRA = """
sr = 22050
ksmps = 16
nchnls = 1
0dbfs = 1
giSine ftgen 0, 0, 8192, 10, 1

instr 1
  icps = cpsmidinn(p4)
  a1 wgpluck2 0.1 + 0.2 * p7, p5 * 0.6, icps, 0.25, 0.1 + 0.25 * p7
  a1 tone a1, 600 + 2500 * p7
  aenv linsegr 1, p3, 1, 0.04, 0
  out a1 * aenv
endin

instr 2
  kcps expseg cpsmidinn(p4), p3 * 0.4 + 0.001, cpsmidinn(p4), p3 * 0.6, cpsmidinn(p4 + p6) + 0.001
  kndx expseg 1 + 5 * p7, 0.25, 0.5, 1, 0.3
  a1 foscili p5 * 0.5, kcps, 1, 1, kndx, giSine
  aenv linsegr 0, 0.004, 1, p3, 0.7, 0.05, 0
  out a1 * aenv
endin

instr 3
  kcps expseg cpsmidinn(p4), p3 * 0.4 + 0.001, cpsmidinn(p4), p3 * 0.6, cpsmidinn(p4 + p6) + 0.001
  imode = (p7 > 0.5 ? 0 : 10)
  a1 vco2 p5 * 0.5, kcps, imode
  kcut expseg 200 + 3000 * p7 * p5, 0.15 + 0.3 * p7, 120 + 300 * p7, 1, 100
  a1 moogladder a1, kcut, 0.3 + 0.5 * p7
  aenv linsegr 0, 0.003, 1, p3, 0.8, 0.03, 0
  out a1 * aenv * 1.5
endin

instr 10 ; kick
  kf expseg 120 + 80 * p5, 0.06, 45 + 15 * p5, 0.5, 40
  a1 oscili p4, kf, giSine
  aenv expseg 1, 0.35 + 0.3 * p5, 0.001
  out a1 * aenv
endin

instr 11 ; snare
  an rand p4 * 0.6
  an butbp an, 2500 + 2000 * p5, 3000
  at oscili p4 * 0.4, 170 + 60 * p5, giSine
  aenv expseg 1, 0.18 + 0.1 * p5, 0.001
  atn expseg 1, 0.06, 0.001
  out an * aenv + at * atn
endin

instr 12 ; closed hat
  an rand p4 * 0.5
  an buthp an, 7000 + 2000 * p5
  aenv expseg 1, 0.04 + 0.04 * p5, 0.001
  out an * aenv
endin

instr 13 ; open hat, crash, ride
  an rand p4 * 0.4
  an buthp an, 5000 + 3000 * p5
  aenv expseg 1, p3, 0.001
  out an * aenv
endin

instr 14 ; clap
  an rand p4 * 0.6
  an butbp an, 1200 + 600 * p5, 800
  aenv linseg 0, 0.001, 1, 0.008, 0.2, 0.002, 1, 0.008, 0.2, 0.002, 1, 0.15, 0
  out an * aenv
endin

instr 15 ; toms
  kf expseg (100 + 150 * p5) * 1.5, 0.08, 100 + 150 * p5, 0.5, 90 + 130 * p5
  a1 oscili p4 * 0.8, kf, giSine
  aenv expseg 1, 0.4, 0.001
  out a1 * aenv
endin

instr 16 ; rim, shaker
  an rand p4 * 0.5
  an butbp an, 3000 + 3000 * p5, 1500
  aenv expseg 1, 0.02 + 0.03 * p5, 0.001
  out an * aenv
endin
"""
DRUM_INSTR: dict[str, tuple[int, float]] = {  # role -> (instrument, duration)
    "kick": (10, 0.7), "snare": (11, 0.35), "hat_closed": (12, 0.1), "hat_pedal": (12, 0.08),
    "hat_open": (13, 0.35), "crash": (13, 1.6), "ride": (13, 0.8), "clap": (14, 0.2),
    "tom_hi": (15, 0.5), "tom_mid": (15, 0.5), "tom_lo": (15, 0.5), "rim": (16, 0.05), "shaker": (16, 0.08),
}  # fmt: skip
TOM_TUNING = {"tom_hi": 0.9, "tom_mid": 0.5, "tom_lo": 0.15}


def render_csound(score: list[str], seconds: float) -> np.ndarray:
    """Render ``score`` lines (``i`` statements) with :data:`ORCHESTRA` to mono float32."""
    csd = f"""<CsoundSynthesizer>
<CsOptions>
-d -m0 --nodisplays
</CsOptions>
<CsInstruments>
{ORCHESTRA}
</CsInstruments>
<CsScore>
{chr(10).join(score)}
e {seconds + 0.5:.3f}
</CsScore>
</CsoundSynthesizer>
"""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.csd"
        wav = Path(tmp) / "out.wav"
        path.write_text(csd)
        subprocess.run(["csound", "-W", "-f", "-o", str(wav), str(path)], capture_output=True, check=True)
        x = st.decode(wav)
    return st.fit_length(x, int(seconds * SR))


def csound_bass(rng: np.random.Generator, seconds: float, instrument: int) -> tuple[np.ndarray, dict[str, object]]:
    style = str(rng.choice(pt.BASS_STYLES))
    notes = pt.bass_riff(rng, style, seconds)
    brightness = float(rng.uniform(0.0, 1.0))
    score = []
    for nt in notes:
        start = max(0.0, nt.start)
        dur = nt.start + nt.dur - start
        if dur <= 0.0:
            continue
        velocity = nt.vel / 127
        score.append(f"i {instrument} {start:.4f} {dur:.4f} {nt.pitch} {velocity:.3f} {nt.slide_to} {brightness:.3f}")
    name = {1: "pluck", 2: "fm", 3: "subtractive"}[instrument]
    return render_csound(score, seconds), {"style": style, "synth": name, "brightness": round(brightness, 2)}


def csound_drums(rng: np.random.Generator, seconds: float) -> tuple[np.ndarray, dict[str, object]]:
    style = str(rng.choice(pt.DRUM_STYLES))
    tuning = float(rng.uniform(0.0, 1.0))
    score = []
    for h in pt.drum_groove(rng, style, seconds):
        instrument, dur = DRUM_INSTR[h.role]
        tune = TOM_TUNING.get(h.role, tuning)
        score.append(f"i {instrument} {max(0.0, h.t):.4f} {dur} {(h.vel / 127) ** 1.5:.3f} {tune:.3f}")
    return render_csound(score, seconds), {"style": style, "tuning": round(tuning, 2)}


def avl_drums(rng: np.random.Generator, seconds: float) -> tuple[np.ndarray, dict[str, object]]:
    style = str(rng.choice(pt.DRUM_STYLES))
    events = [st.program_change(0.0, 0, 0)]
    for h in pt.drum_groove(rng, style, seconds):
        note = int(rng.choice(AVL_NOTES[h.role]))
        t = max(0.0, h.t)
        events += [st.note_on(t, 0, note, h.vel), st.note_off(t + 0.1, 0, note)]
    return st.render_fluidsynth(events, AVL_SF2, seconds), {"style": style, "kit": AVL_SF2.stem}


def stk_ambience(rng: np.random.Generator, n: int) -> tuple[np.ndarray, str]:
    name = str(rng.choice(STK_AMBIENCE))
    path = (STK_SFX if name.startswith("sfx/") else STK_TRACKS) / f"{name.split('/', 1)[1]}.ogg"
    return st.excerpt(rng, st.load_audio(path), n), f"stk:{name}"


def espeak(text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "say.wav"
        cmd = ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(wav), text]
        subprocess.run(cmd, capture_output=True, check=True)
        return st.decode(wav)


def _talker(rng: np.random.Generator, n: int) -> np.ndarray:
    voice = f"{rng.choice(ESPEAK_VOICES)}+{rng.choice(ESPEAK_VARIANTS)}"
    out = np.zeros(n, dtype=st.FLOAT)
    t = rng.uniform(-0.5, 0.3)
    while t < n / SR:
        text = " ".join(str(w) for w in rng.choice(WORDS, size=int(rng.integers(3, 9))))
        x = espeak(text, voice, int(rng.integers(130, 210)), int(rng.integers(20, 80)))
        st.place(out, x, t, rng.uniform(0.6, 1.0))
        t += len(x) / SR + rng.uniform(0.1, 0.6)
    return out


def speech_ambience(rng: np.random.Generator, n: int) -> tuple[np.ndarray, str]:
    """One espeak-ng talker or a babble of 3-6, with a little room and a quiet room tone."""
    talkers = 1 if rng.random() < 0.5 else int(rng.integers(3, 7))
    x = np.asarray(sum(_talker(rng, n) for _ in range(talkers)), dtype=st.FLOAT)
    x = st.fit_length(st.sox_effects(x, ["reverb", f"{rng.uniform(20, 80):.0f}", "50", "80"]), n)
    room = st.lowpass(st.colored_noise(rng, n, 1.5), rng.uniform(800, 4000))
    return st.mix_at_snr(x, room, rng.uniform(15.0, 35.0)), f"espeak:{talkers}"
