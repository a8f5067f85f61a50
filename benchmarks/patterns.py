"""Musical material for the benchmark data: bass riffs and drum grooves.

Both generators return plain event lists (seconds, MIDI pitch / drum role,
velocity) that can be rendered either through a MIDI synthesizer or by
sequencing recorded one-shots (see ``make_data.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# --------------------------------------------------------------------------
# Bass
# --------------------------------------------------------------------------

BASS_STYLES = ("legato", "staccato", "fast_run", "slide", "ghost_notes")

SCALES: dict[str, list[int]] = {
    "minor_pentatonic": [0, 3, 5, 7, 10],
    "major": [0, 2, 4, 5, 7, 9, 11],
    "dorian": [0, 2, 3, 5, 7, 9, 10],
    "blues": [0, 3, 5, 6, 7, 10],
    "mixolydian": [0, 2, 4, 5, 7, 9, 10],
}


@dataclass
class Note:
    start: float
    dur: float
    pitch: int
    vel: int
    slide_to: int = 0  # semitones reached at the end of the note (0 = no slide)


def _scale_pitch(root: int, scale: list[int], degree: int) -> int:
    octave, idx = divmod(degree, len(scale))
    return root + 12 * octave + scale[idx]


def _motif_degrees(rng: np.random.Generator, length: int, scale_len: int, style: str) -> list[int]:
    if style == "fast_run":
        start = int(rng.integers(0, scale_len))
        direction = rng.choice([-1, 1])
        degs = [start + direction * i for i in range(length)]
        if rng.random() < 0.5:  # up-and-down run
            half = length // 2
            degs = degs[:half] + degs[:half][::-1]
            degs += degs[: length - len(degs)]
        return degs
    # root-heavy random walk
    degs = []
    d = 0
    for _ in range(length):
        r = rng.random()
        if r < 0.35:
            d = 0
        elif r < 0.5:
            d = scale_len  # octave
        else:
            d = int(np.clip(d + rng.integers(-2, 3), -2, scale_len + 2))
        degs.append(d)
    return degs


def bass_riff(rng: np.random.Generator, style: str, seconds: float, low: int = 28, high: int = 60) -> list[Note]:
    """A repeating riff in ``style`` covering ``seconds`` (may start mid-note)."""
    bpm = {
        "legato": (70, 120),
        "staccato": (90, 140),
        "fast_run": (100, 150),
        "slide": (70, 110),
        "ghost_notes": (85, 115),
    }[style]
    tempo = rng.uniform(*bpm)
    sixteenths = style in ("fast_run", "ghost_notes")
    step = 60.0 / tempo / (4 if sixteenths else 2)
    scale = SCALES[str(rng.choice(list(SCALES)))]
    root = int(rng.integers(low, min(high - 12, 45)))
    motif_len = int(rng.choice([8, 16]))
    motif = _motif_degrees(rng, motif_len, len(scale), style)
    rests = (
        rng.random(motif_len)
        < {"legato": 0.05, "staccato": 0.2, "fast_run": 0.0, "slide": 0.1, "ghost_notes": 0.1}[style]
    )

    notes: list[Note] = []
    t = -rng.uniform(0.0, 2 * step)
    i = 0
    while t < seconds:
        k = i % motif_len
        pitch = int(np.clip(_scale_pitch(root, scale, motif[k]), low, high))
        if i >= motif_len and rng.random() < 0.15:  # variation on repeats
            pitch = int(np.clip(pitch + rng.choice([-12, 12, -2, 2, 5]), low, high))
        n_steps = 1
        if style in ("legato", "slide"):
            n_steps = int(rng.choice([1, 1, 2, 2, 3, 4]))
        if not rests[k]:
            notes.extend(_styled_notes(rng, style, t, step, n_steps, pitch, i))
        t += n_steps * step
        i += n_steps
    return notes


def _styled_notes(
    rng: np.random.Generator, style: str, t: float, step: float, n_steps: int, pitch: int, i: int
) -> list[Note]:
    jitter = rng.normal(0.0, 0.006)
    if style == "legato":
        return [Note(t + jitter, n_steps * step * rng.uniform(0.98, 1.1), pitch, int(rng.integers(65, 110)))]
    if style == "staccato":
        return [Note(t + jitter, step * rng.uniform(0.2, 0.45), pitch, int(rng.integers(80, 124)))]
    if style == "fast_run":
        return [Note(t + jitter, step * rng.uniform(0.7, 0.95), pitch, int(rng.integers(70, 112)))]
    if style == "slide":
        slide = int(rng.choice([-7, -5, -3, -2, 2, 3, 5, 7, 12])) if rng.random() < 0.5 else 0
        return [Note(t + jitter, n_steps * step * rng.uniform(0.95, 1.05), pitch, int(rng.integers(70, 115)), slide)]
    # ghost_notes: accented notes on 8ths, quiet muted ghosts on the off 16ths
    if i % 2 == 0:
        return [Note(t + jitter, step * rng.uniform(0.8, 1.6), pitch, int(rng.integers(85, 122)))]
    if rng.random() < 0.55:
        return [
            Note(
                t + jitter,
                step * rng.uniform(0.1, 0.25),
                pitch + int(rng.choice([0, 0, 12, -12])),
                int(rng.integers(12, 38)),
            )
        ]
    return []


# --------------------------------------------------------------------------
# Drums
# --------------------------------------------------------------------------

DRUM_STYLES = ("rock", "funk", "four_on_floor", "kick_heavy", "breakbeat", "shuffle", "halftime", "fill")

DRUM_ROLES = (
    "kick", "snare", "hat_closed", "hat_open", "hat_pedal", "ride", "crash",
    "tom_hi", "tom_mid", "tom_lo", "clap", "rim", "shaker",
)  # fmt: skip


@dataclass
class Hit:
    t: float
    role: str
    vel: int


# role -> 16 probabilities (one bar of 16ths) and a velocity range
_Pattern = dict[str, tuple[list[float], tuple[int, int]]]

_EIGHTHS = [1.0 if i % 2 == 0 else 0.0 for i in range(16)]
_SIXTEENTHS = [1.0] * 16


def _pattern(style: str, rng: np.random.Generator) -> _Pattern:
    if style == "rock":
        return {
            "kick": ([1, 0, 0, 0, 0, 0, 0, 0.3, 1, 0, 0.5, 0, 0, 0, 0, 0.2], (90, 125)),
            "snare": ([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0.1], (90, 125)),
            ("ride" if rng.random() < 0.25 else "hat_closed"): (_EIGHTHS, (60, 100)),
        }
    if style == "funk":
        ghosts = [0.0 if i in (4, 12) else (0.3 if i % 2 else 0.1) for i in range(16)]
        return {
            "kick": ([1, 0, 0, 0.5, 0, 0, 0.6, 0, 0, 0.5, 1, 0, 0, 0, 0.4, 0], (85, 120)),
            "snare": ([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], (95, 125)),
            "snare_ghost": (ghosts, (18, 40)),
            "hat_closed": (_SIXTEENTHS, (45, 95)),
            "hat_open": ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.4, 0], (70, 100)),
        }
    if style == "four_on_floor":
        return {
            "kick": ([1, 0, 0, 0] * 4, (100, 127)),
            "clap" if rng.random() < 0.5 else "snare": ([0, 0, 0, 0, 1, 0, 0, 0] * 2, (90, 120)),
            "hat_open": ([0, 0, 1, 0] * 4, (70, 105)),
            "hat_closed": ([0.5, 0.3, 0, 0.3] * 4, (40, 80)),
        }
    if style == "kick_heavy":
        double = rng.random() < 0.5
        kick = [0.9] * 16 if double else [1, 0, 0.7, 0, 1, 0, 0.7, 0.3] * 2
        return {
            "kick": (kick, (85, 127)),
            "snare": ([0, 0, 0, 0, 1, 0, 0, 0] * 2, (90, 125)),
            "hat_closed": ([0.3, 0, 0, 0] * 4, (40, 80)),
            "crash": ([0.3] + [0] * 15, (90, 120)),
        }
    if style == "breakbeat":
        return {
            "kick": ([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0.3, 0, 0, 0, 0], (90, 125)),
            "snare": ([0, 0, 0, 0, 1, 0, 0, 0.4, 0, 0.3, 0, 0, 1, 0, 0, 0.3], (80, 125)),
            "hat_closed": (_EIGHTHS, (55, 100)),
            "hat_open": ([0] * 14 + [0.3, 0], (70, 100)),
        }
    if style == "shuffle":
        swing = [1, 0, 0, 0.9, 1, 0, 0, 0.9, 1, 0, 0, 0.9, 1, 0, 0, 0.9]
        return {
            "ride": (swing, (55, 100)),
            "hat_pedal": ([0, 0, 0, 0, 1, 0, 0, 0] * 2, (50, 80)),
            "kick": ([0.5, 0, 0, 0] * 4, (40, 75)),
            "snare": ([0, 0, 0.1, 0.15, 0, 0, 0.15, 0.2] * 2, (30, 90)),
        }
    if style == "halftime":
        return {
            "kick": ([1, 0, 0, 0, 0, 0, 0, 0.4, 0, 0, 0.5, 0, 0, 0, 0, 0], (90, 125)),
            "snare": ([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], (100, 127)),
            "hat_closed": (_EIGHTHS, (50, 95)),
            "shaker": ([0.3] * 16, (30, 60)),
        }
    raise ValueError(style)


def _fill_bar(rng: np.random.Generator, t0: float, step: float, start: int) -> list[Hit]:
    """Tom/snare run from 16th ``start`` to the bar end, landing on crash + kick."""
    toms = ["tom_hi", "tom_hi", "tom_mid", "tom_mid", "tom_lo", "tom_lo", "snare"]
    hits: list[Hit] = []
    for i in range(start, 16):
        if rng.random() < 0.85:
            role = toms[min(len(toms) - 1, (i - start) * len(toms) // max(1, 16 - start))]
            if rng.random() < 0.3:
                role = "snare"
            hits.append(Hit(t0 + i * step, role, int(rng.integers(70, 125))))
        if i % 4 == 0 and rng.random() < 0.5:
            hits.append(Hit(t0 + i * step, "kick", int(rng.integers(80, 120))))
    hits.append(Hit(t0 + 16 * step, "crash", int(rng.integers(95, 127))))
    hits.append(Hit(t0 + 16 * step, "kick", int(rng.integers(95, 127))))
    return hits


def drum_groove(rng: np.random.Generator, style: str, seconds: float) -> list[Hit]:
    """Hits covering ``seconds``; ``fill`` styles mix a groove with tom/snare fills."""
    tempo = rng.uniform(*{"shuffle": (90, 140), "halftime": (120, 170), "kick_heavy": (90, 180)}.get(style, (80, 135)))
    step = 60.0 / tempo / 4
    groove_style = str(rng.choice([s for s in DRUM_STYLES if s != "fill"])) if style == "fill" else style
    pattern = _pattern(groove_style, rng)
    bar_len = 16 * step
    offset_steps = int(rng.integers(0, 16))
    t0 = -offset_steps * step
    hits: list[Hit] = []
    bar = 0
    while t0 + bar * bar_len < seconds:
        bar_start = t0 + bar * bar_len
        is_fill = style == "fill" and (bar % 2 == 1 or rng.random() < 0.3)
        if is_fill:  # groove up to the fill, then the fill
            start = int(rng.choice([0, 8, 12]))
            hits.extend(h for h in _groove_bar(rng, pattern, bar_start, step) if h.t < bar_start + (start - 0.5) * step)
            hits.extend(_fill_bar(rng, bar_start, step, start))
        else:
            hits.extend(_groove_bar(rng, pattern, bar_start, step))
            if bar == 0 and rng.random() < 0.3:
                hits.append(Hit(bar_start, "crash", int(rng.integers(90, 125))))
        bar += 1
    return [h for h in hits if -0.05 <= h.t < seconds]


def _groove_bar(rng: np.random.Generator, pattern: _Pattern, t0: float, step: float) -> list[Hit]:
    hits = []
    for role, (probs, (vlo, vhi)) in pattern.items():
        real_role = "snare" if role == "snare_ghost" else role
        for i, p in enumerate(probs):
            if p > 0 and rng.random() < p:
                t = t0 + i * step + rng.normal(0.0, 0.004)
                hits.append(Hit(t, real_role, int(rng.integers(vlo, vhi + 1))))
    return hits
