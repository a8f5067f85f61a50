"""Synthetic background: room tone and the everyday events that are not music.

A model that has only heard quiet, steady room tone as "background" calls anything that
moves — a crowd, traffic, a voice, rain — an instrument. These generators give training a
wide, seeded supply of non-musical sound: coloured noise with resonances and hum
(:func:`synthetic_noise`), murmuring voices, applause- and rain-like textures, bird-like
chirps, swells of wind and traffic, and irregular soft knocks (:func:`synthetic_ambience`).
All return mono float32 at unit RMS; the caller sets the level.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

__all__ = ["synthetic_noise", "synthetic_ambience", "voices", "texture", "chirps", "knocks", "swells"]


def _unit(y: np.ndarray) -> np.ndarray:
    return (y / (np.std(y) + 1e-12)).astype(np.float32)


def synthetic_noise(n: int, *, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Random room tone: coloured noise with random resonances, sometimes hum or slow swells."""
    n_fft = int(2 ** np.ceil(np.log2(max(n, 2))))
    freqs = np.fft.rfftfreq(n_fft, 1 / sample_rate)
    f = np.maximum(freqs, 10.0)
    shape = f ** (-rng.uniform(-0.3, 2.2) / 2)  # white … beyond brown
    for _ in range(rng.integers(0, 4)):  # resonances: fans, rooms, HVAC
        centre = np.exp(rng.uniform(np.log(40), np.log(sample_rate / 2.2)))
        width = rng.uniform(0.1, 0.8)
        shape *= 1 + rng.uniform(0.5, 6) * np.exp(-0.5 * (np.log(f / centre) / width) ** 2)
    if rng.random() < 0.5:  # low-pass: distant, muffled rooms
        cutoff = np.exp(rng.uniform(np.log(300), np.log(sample_rate / 2)))
        shape /= np.sqrt(1 + (f / cutoff) ** rng.choice([2, 4]))
    spectrum = (rng.standard_normal(freqs.size) + 1j * rng.standard_normal(freqs.size)) * shape
    y = _unit(np.fft.irfft(spectrum, n_fft)[:n])
    t = np.arange(n) / sample_rate
    if rng.random() < 0.3:  # mains hum and its harmonics
        mains = rng.choice([50.0, 60.0])
        hum = sum(rng.uniform(0, 1) / k * np.sin(2 * np.pi * mains * k * t + rng.uniform(0, 6.3))
                  for k in range(1, 6))
        y = y + _unit(hum) * rng.uniform(0.05, 0.8)
    return _unit(y)


def swells(n: int, *, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Wind or passing traffic: low-passed noise under a slow random envelope."""
    y = synthetic_noise(n, sample_rate=sample_rate, rng=rng)
    cutoff = rng.uniform(150, 2500)
    sos = signal.butter(2, cutoff, "low", fs=sample_rate, output="sos")
    y = signal.sosfilt(sos, y)
    knots = rng.uniform(0.1, 1.0, size=max(2, int(n / sample_rate * rng.uniform(0.5, 3)) + 2))
    env = np.interp(np.linspace(0, len(knots) - 1, n), np.arange(len(knots)), knots)
    return _unit(y * env)


def voices(n: int, *, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Murmuring, speech-like voices: pitched pulses through moving formants, in syllables."""
    out = np.zeros(n)
    for _ in range(int(rng.integers(1, 4))):
        t = np.arange(n) / sample_rate
        f0 = rng.uniform(85, 260) * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(0.5, 3) * t + rng.uniform(0, 6)))
        phase = np.cumsum(f0 / sample_rate)
        source = (np.diff(np.floor(phase), prepend=0.0) > 0).astype(float)  # a pulse each period
        source = signal.lfilter([1.0], [1.0, -0.95], source)  # glottal roll-off, about -6 dB/octave
        source += 0.02 * rng.standard_normal(n)
        voice = np.zeros(n)
        syllable = int(sample_rate / rng.uniform(3, 7))
        for start in range(0, n, syllable):
            piece = source[start : start + syllable + 256]
            y = np.zeros_like(piece)
            for lo, hi in ((300, 900), (900, 2400), (2300, 3300)):
                fc = min(rng.uniform(lo, hi), sample_rate * 0.45)
                b, a = signal.iirpeak(fc, Q=rng.uniform(4, 10), fs=sample_rate)
                y += signal.lfilter(b, a, piece)
            m = min(syllable, n - start)
            env = np.hanning(m) if rng.random() < 0.8 else np.zeros(m)  # pauses between words
            voice[start : start + m] += y[:m] * env
        out += _unit(voice) * rng.uniform(0.3, 1.0)
    return _unit(out)


def texture(n: int, *, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Applause, rain or crackle: many tiny random noise bursts with no pulse."""
    density = rng.uniform(15, 400)  # events per second
    impulses = np.zeros(n)
    count = rng.poisson(density * n / sample_rate)
    impulses[rng.integers(0, n, size=count)] = rng.uniform(0.2, 1.0, size=count)
    length = int(sample_rate * rng.uniform(0.003, 0.03))
    kernel = rng.standard_normal(length) * np.exp(-np.arange(length) / (length / 4))
    lo = rng.uniform(300, 2000)
    sos = signal.butter(2, [lo, min(lo * rng.uniform(2, 8), sample_rate * 0.45)], "band", fs=sample_rate,
                        output="sos")
    kernel = signal.sosfilt(sos, kernel)
    return _unit(signal.fftconvolve(impulses, kernel)[:n] + 1e-6 * rng.standard_normal(n))


def chirps(n: int, *, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Bird-like chirps and whistles: short frequency sweeps at irregular times."""
    out = 1e-3 * rng.standard_normal(n)
    for _ in range(int(rng.integers(1, 8))):
        length = int(sample_rate * rng.uniform(0.04, 0.3))
        start = int(rng.integers(0, max(1, n - length)))
        f_a, f_b = rng.uniform(1500, min(8000, sample_rate * 0.45), size=2)
        freq = np.linspace(f_a, f_b, length)
        tone = np.sin(2 * np.pi * np.cumsum(freq) / sample_rate) * np.hanning(length)
        out[start : start + length] += tone[: n - start] * rng.uniform(0.3, 1.0)
    return _unit(out)


def knocks(n: int, *, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Irregular, soft, dull impacts (doors, footsteps, objects), never on a beat."""
    impulses = np.zeros(n)
    count = max(1, rng.poisson(rng.uniform(0.5, 3) * n / sample_rate))
    impulses[rng.integers(0, n, size=count)] = rng.uniform(0.3, 1.0, size=count)
    length = int(sample_rate * rng.uniform(0.02, 0.15))
    kernel = rng.standard_normal(length) * np.exp(-np.arange(length) / (length / 5))
    sos = signal.butter(2, rng.uniform(200, 1500), "low", fs=sample_rate, output="sos")
    return _unit(signal.fftconvolve(impulses, signal.sosfilt(sos, kernel))[:n] + 1e-6 * rng.standard_normal(n))


_EVENTS = (voices, texture, chirps, knocks, swells)


def synthetic_ambience(n: int, *, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Room tone plus zero to two everyday events (voices, applause/rain, chirps, knocks, swells)."""
    y = synthetic_noise(n, sample_rate=sample_rate, rng=rng)
    for _ in range(int(rng.choice([0, 1, 1, 2]))):
        make = _EVENTS[int(rng.integers(len(_EVENTS)))]
        y = y + make(n, sample_rate=sample_rate, rng=rng) * 10 ** (rng.uniform(-12, 12) / 20)
    return _unit(y)
