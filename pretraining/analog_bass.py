"""A small subtractive synthesiser for bass lines: what the General MIDI soundfonts lack.

The soundfonts' two "synth bass" programs are a narrow slice of what synth bass is. Dance and
electronic music's basses are oscillators (saw, square, pulse, detuned stacks, FM) through a
resonant low-pass filter whose cutoff an envelope or an LFO sweeps (acid, wobble, pluck,
reese), often driven into distortion, played as fast sequences with slides and octave jumps.
``bass_line`` renders such a line, every sound parameter drawn per render and per note, so
the backbone's "bass" concept hears that whole family. Used by ``make_corpus.py`` only.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

OVERSAMPLE = 2  # oscillators run at twice the rate, then decimate (less aliasing)
BLOCK = 32  # samples per filter-coefficient update


def _oscillator(phase: np.ndarray, shape: str, width: float) -> np.ndarray:
    """One waveform from a running phase in cycles."""
    frac = phase % 1.0
    if shape == "saw":
        return 2 * frac - 1
    if shape == "square":
        return np.where(frac < width, 1.0, -1.0)
    if shape == "triangle":
        return 4 * np.abs(frac - 0.5) - 1
    return np.sin(2 * np.pi * phase)


def _voice(rng: np.random.Generator, freq: np.ndarray, sr: int) -> np.ndarray:
    """The raw oscillator stack for a per-sample frequency curve (at the oversampled rate)."""
    shape = str(rng.choice(["saw", "saw", "square", "square", "triangle", "sine_fm", "supersaw"]))
    width = float(rng.uniform(0.1, 0.5))
    phase0 = rng.uniform(0, 1)
    base = np.cumsum(freq) / sr + phase0
    if shape == "supersaw":
        n = int(rng.integers(3, 8))
        detune = rng.uniform(0.003, 0.02)
        out = sum(_oscillator(base * (1 + detune * (i - (n - 1) / 2)) + rng.uniform(0, 1), "saw", width)
                  for i in range(n)) / np.sqrt(n)
    elif shape == "sine_fm":
        ratio = float(rng.choice([0.5, 1.0, 2.0, 3.0]))
        index = rng.uniform(0.5, 5.0)
        out = np.sin(2 * np.pi * base + index * np.sin(2 * np.pi * base * ratio))
    else:
        out = _oscillator(base, shape, width)
        if rng.random() < 0.5:  # a second, detuned oscillator
            other = str(rng.choice(["saw", "square", "triangle"]))
            out = out + 0.7 * _oscillator(base * (1 + rng.uniform(-0.012, 0.012)) + rng.uniform(0, 1), other,
                                          width)
    if rng.random() < 0.5:  # sub-octave sine
        out = out + rng.uniform(0.3, 1.0) * np.sin(np.pi * base)
    return np.asarray(out, dtype=np.float64)


def _resonant_lowpass(x: np.ndarray, cutoff: np.ndarray, q: float, sr: int, stages: int) -> np.ndarray:
    """A biquad low-pass whose cutoff follows ``cutoff`` (Hz per sample), updated every ``BLOCK`` samples."""
    out = np.empty_like(x)
    zi = [np.zeros(2) for _ in range(stages)]
    for start in range(0, x.shape[0], BLOCK):
        fc = float(np.clip(cutoff[start], 30.0, sr * 0.45))
        w0 = 2 * np.pi * fc / sr
        alpha = np.sin(w0) / (2 * q)
        cos = np.cos(w0)
        b = np.array([(1 - cos) / 2, 1 - cos, (1 - cos) / 2])
        a = np.array([1 + alpha, -2 * cos, 1 - alpha])
        y = x[start : start + BLOCK]
        for s in range(stages):
            y, zi[s] = signal.lfilter(b / a[0], a / a[0], y, zi=zi[s])
        out[start : start + BLOCK] = y
    return out


def bass_line(rng: np.random.Generator, seconds: float, sr: int) -> np.ndarray:
    """``seconds`` of a synth-bass line at ``sr``: one synth patch, its notes in the bass register."""
    osr = sr * OVERSAMPLE
    n = int(seconds * osr)
    bpm = rng.uniform(80, 180)
    step = 60 / bpm / 4  # a sixteenth note
    root = int(rng.integers(28, 44))
    scales = ([0, 3, 5, 7, 10], [0, 2, 3, 5, 7, 8, 10], [0, 2, 4, 5, 7, 9, 11], [0, 7, 12])
    scale = scales[int(rng.integers(len(scales)))]
    style = str(rng.choice(["sixteenths", "staccato", "legato", "offbeat", "sparse"]))
    # patch
    cutoff_base = rng.uniform(80, 1200)
    env_octaves = rng.uniform(0, 5)
    env_decay = rng.uniform(0.02, 0.5)
    q = float(rng.choice([0.7, rng.uniform(1, 3), rng.uniform(3, 12)]))
    stages = int(rng.choice([1, 2]))
    wobble = rng.random() < 0.25
    glide = rng.uniform(0.01, 0.08) if rng.random() < 0.4 else 0.0
    drive = rng.uniform(1, 20) if rng.random() < 0.5 else 0.0
    attack, release = rng.uniform(0.001, 0.015), rng.uniform(0.01, 0.12)

    sustain, amp_decay = rng.uniform(0.2, 1.0), rng.uniform(0.05, 0.6)
    freq = np.zeros(n)
    amp = np.zeros(n)
    env = np.zeros(n)
    t, pitch = rng.uniform(0, 0.3), float(root)
    while t < seconds - 0.1:
        if style == "sixteenths":
            length = step * float(rng.choice([1, 1, 2]))
        elif style == "legato":
            length = step * float(rng.choice([2, 4, 8]))
        elif style == "offbeat":
            t += step * 2
            length = step * 2
        elif style == "sparse":
            length = step * float(rng.choice([1, 2, 4, 8, 12]))
        else:
            length = step * float(rng.choice([1, 2]))
        if rng.random() < 0.12:  # a rest
            t += length
            continue
        target = root + int(rng.choice(scale)) + 12 * int(rng.choice([0, 0, 0, 1, -1]) if root >= 40 else
                                                          rng.choice([0, 0, 0, 1]))
        a, b = int(t * osr), min(n, int((t + length) * osr))
        if b <= a:
            break
        hold = 0.3 if style == "staccato" else rng.uniform(0.6, 1.0)
        g = min(n, a + max(int(length * hold * osr), int(0.02 * osr)))
        steps = np.arange(b - a) / osr
        if glide > 0:
            cur = pitch + (target - pitch) * (1 - np.exp(-steps / glide))
        else:
            cur = np.full(b - a, float(target))
        freq[a:b] = 440.0 * 2 ** ((cur - 69) / 12)
        level = np.minimum(1.0, steps / attack) * (sustain + (1 - sustain) * np.exp(-steps / amp_decay))
        if g < b:  # the key is let go: release
            level[g - a :] *= np.exp(-(steps[g - a :] - steps[g - a]) / release)
        amp[a:b] = level * rng.uniform(0.5, 1.0)
        env[a:b] = np.exp(-steps / env_decay) * rng.uniform(0.5, 1.0)
        pitch = float(target)
        t += length
    freq[freq == 0] = 440.0 * 2 ** ((pitch - 69) / 12)

    x = _voice(rng, freq, osr)
    cutoff = cutoff_base * 2 ** (env_octaves * env)
    if wobble:
        rate = bpm / 60 * float(rng.choice([0.5, 1, 2, 4])) / 2
        cutoff = cutoff * 2 ** (rng.uniform(1, 3) * (0.5 + 0.5 * np.sin(2 * np.pi * rate * np.arange(n) / osr)) - 1)
    x = _resonant_lowpass(x, cutoff, q, osr, stages)
    x = x * amp
    if drive > 0:
        x = np.tanh(x * drive) / np.tanh(drive)
    y = signal.resample_poly(x, 1, OVERSAMPLE)
    y = signal.sosfilt(signal.butter(2, 20.0, btype="highpass", fs=sr, output="sos"), y)  # no DC offset
    return (y / (np.abs(y).max() + 1e-9)).astype(np.float32)
