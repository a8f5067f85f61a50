"""Synthetic background: room tone and the everyday events that are not music.

A model that has only heard quiet, steady room tone as "background" calls anything that
moves — a crowd, traffic, a voice, rain — an instrument. These generators give training a
wide, seeded supply of non-musical sound: coloured noise with resonances and hum
(:func:`synthetic_noise`), murmuring voices, applause- and rain-like textures, bird-like
chirps, swells of wind and traffic, and irregular soft knocks (:func:`synthetic_ambience`).
All return mono float32 at unit RMS; the caller sets the level.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.fft
from scipy import signal

from .errors import ParameterError

__all__ = ["synthetic_noise", "synthetic_ambience", "voices", "texture", "chirps", "knocks", "swells"]


def _unit(y: np.ndarray) -> np.ndarray:
    return (y / (np.std(y) + 1e-12)).astype(np.float32)


def synthetic_noise(n: int, *, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Random room tone: coloured noise with random resonances, sometimes hum or slow swells."""
    n_fft = int(2 ** np.ceil(np.log2(max(n, 2))))
    log_f = _log_frequencies(n_fft, sample_rate)  # single precision throughout: plenty for noise, and faster
    shape = np.exp(log_f * np.float32(-rng.uniform(-0.3, 2.2) / 2))  # white … beyond brown
    for _ in range(rng.integers(0, 4)):  # resonances: fans, rooms, HVAC
        log_centre = np.float32(rng.uniform(np.log(40), np.log(sample_rate / 2.2)))
        width = np.float32(rng.uniform(0.1, 0.8))
        shape *= 1 + np.float32(rng.uniform(0.5, 6)) * np.exp(np.float32(-0.5) * ((log_f - log_centre) / width) ** 2)
    if rng.random() < 0.5:  # low-pass: distant, muffled rooms
        log_cutoff = np.float32(rng.uniform(np.log(300), np.log(sample_rate / 2)))
        shape /= np.sqrt(1 + np.exp((log_f - log_cutoff) * np.float32(rng.choice([2, 4]))))
    spectrum = np.empty(log_f.size, np.complex64)
    spectrum.real = rng.standard_normal(log_f.size, dtype=np.float32)
    spectrum.imag = rng.standard_normal(log_f.size, dtype=np.float32)
    spectrum *= shape
    y = _unit(scipy.fft.irfft(spectrum, n_fft)[:n])
    if rng.random() < 0.3:  # mains hum and its harmonics
        mains = float(rng.choice([50.0, 60.0]))
        levels, phases = [], []
        for k in range(1, 6):
            levels.append(rng.uniform(0, 1) / k)
            phases.append(rng.uniform(0, 6.3))
        y = y + _unit(_harmonics(mains, np.array(levels), np.array(phases), n, sample_rate)) * rng.uniform(0.05, 0.8)
    return _unit(y)


@functools.lru_cache(maxsize=8)
def _log_frequencies(n_fft: int, sample_rate: int) -> np.ndarray:
    """The natural log of an ``n_fft``-point rfft's bin frequencies (floored at 10 Hz), read-only."""
    log_f = np.log(np.maximum(np.fft.rfftfreq(n_fft, 1 / sample_rate), 10.0)).astype(np.float32)
    log_f.flags.writeable = False
    return log_f


def _harmonics(f0: float, levels: np.ndarray, phases: np.ndarray, n: int, sample_rate: int) -> np.ndarray:
    """``sum_k levels[k-1] * sin(2 pi k f0 t + phases[k-1])``, in single precision (whose sine is
    several times faster) on the phase within each period, so that long clips stay exact."""
    cycles = (f0 / sample_rate) * np.arange(n)
    turn = (2 * np.pi * (cycles - np.floor(cycles))).astype(np.float32)
    out = np.zeros(n, np.float32)
    for k, (level, phase) in enumerate(zip(levels, phases), start=1):
        out += np.float32(level) * np.sin(np.float32(k) * turn + np.float32(phase))
    return out


def swells(n: int, *, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Wind or passing traffic: low-passed noise under a slow random envelope."""
    y = synthetic_noise(n, sample_rate=sample_rate, rng=rng)
    y = signal.sosfilt(_lowpass(min(rng.uniform(150, 2500), 0.45 * sample_rate), sample_rate=sample_rate), y)
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
        source += 0.02 * rng.standard_normal(n, dtype=np.float32)
        voice = np.zeros(n)
        syllable = int(sample_rate / rng.uniform(3, 7))
        for start in range(0, n, syllable):
            piece = source[start : start + syllable + 256]
            y = np.zeros_like(piece)
            for lo, hi in ((300, 900), (900, 2400), (2300, 3300)):
                fc = min(rng.uniform(lo, hi), sample_rate * 0.45)
                b, a = _peak(fc, q=rng.uniform(4, 10), sample_rate=sample_rate)
                y += signal.lfilter(b, a, piece)
            m = min(syllable, n - start)
            env = np.hanning(m) if start == 0 or rng.random() < 0.8 else np.zeros(m)  # pauses between words
            voice[start : start + m] += y[:m] * env
        out += _unit(voice) * rng.uniform(0.3, 1.0)
    return _unit(out)


def _lowpass(cutoff: float, *, sample_rate: int) -> np.ndarray:
    """Second-order Butterworth low-pass at ``cutoff`` Hz as one ``sos`` section: what
    ``scipy.signal.butter(2, cutoff, "low", fs=sample_rate, output="sos")`` designs (the bilinear
    transform with prewarping), without its per-call overhead. ``cutoff`` must be below Nyquist."""
    if not 0 < cutoff < sample_rate / 2:
        raise ParameterError(f"a low-pass cutoff must be between 0 and {sample_rate / 2} Hz, got {cutoff}")
    k = np.tan(np.pi * cutoff / sample_rate)
    norm = 1.0 / (1.0 + np.sqrt(2.0) * k + k * k)
    b0 = k * k * norm
    return np.array([[b0, 2.0 * b0, b0, 1.0, 2.0 * (k * k - 1.0) * norm, (1.0 - np.sqrt(2.0) * k + k * k) * norm]])


def _peak(fc: float, *, q: float, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Second-order resonator at ``fc`` Hz (-3 dB bandwidth ``fc / q``): the coefficients of
    ``scipy.signal.iirpeak``, without its per-call overhead (voices design thousands)."""
    w0 = 2 * np.pi * fc / sample_rate
    gain = 1.0 / (1.0 + np.tan(w0 / q / 2))
    return (1.0 - gain) * np.array([1.0, 0.0, -1.0]), np.array([1.0, -2.0 * gain * np.cos(w0), 2.0 * gain - 1.0])


def texture(n: int, *, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Applause, rain or crackle: many tiny random noise bursts with no pulse."""
    density = rng.uniform(15, 400)  # events per second
    impulses = np.zeros(n, np.float32)
    count = max(1, rng.poisson(density * n / sample_rate))
    impulses[rng.integers(0, n, size=count)] = rng.uniform(0.2, 1.0, size=count)
    length = int(sample_rate * rng.uniform(0.003, 0.03))
    kernel = rng.standard_normal(length, dtype=np.float32) * np.exp(-np.arange(length, dtype=np.float32) / (length / 4))
    lo = min(rng.uniform(300, 2000), 0.2 * sample_rate)  # the band stays below Nyquist at 4 kHz
    sos = signal.butter(2, [lo, min(lo * rng.uniform(2, 8), sample_rate * 0.45)], "band", fs=sample_rate,
                        output="sos")
    kernel = signal.sosfilt(sos, kernel).astype(np.float32)
    return _unit(signal.fftconvolve(impulses, kernel)[:n])


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
    kernel = signal.sosfilt(_lowpass(min(rng.uniform(200, 1500), 0.45 * sample_rate), sample_rate=sample_rate), kernel)
    out = np.zeros(n)
    for at in np.flatnonzero(impulses):  # a few knocks: place each, no need for a convolution
        out[at : at + length] += impulses[at] * kernel[: n - at]
    return _unit(out)


_EVENTS = (voices, texture, chirps, knocks, swells)


def synthetic_ambience(n: int, *, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Room tone plus zero to two everyday events (voices, applause/rain, chirps, knocks, swells)."""
    y = synthetic_noise(n, sample_rate=sample_rate, rng=rng)
    for _ in range(int(rng.choice([0, 1, 1, 2]))):
        make = _EVENTS[int(rng.integers(len(_EVENTS)))]
        y = y + make(n, sample_rate=sample_rate, rng=rng) * 10 ** (rng.uniform(-12, 12) / 20)
    return _unit(y)
