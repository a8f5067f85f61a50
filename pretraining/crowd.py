"""Synthetic crowds: applause, cheering and chatter, the everyday sound the corpus lacked.

A drum kit's hand clap and a room full of people clapping are both made of claps, but one is a
drum hit and the other is the sound of an audience: dense, unsynchronised bursts of band-passed
noise from many hands at once, swelling and dying away, with voices under them. The corpus had
no crowds, so a backbone pretrained on it heard applause as "drum kit". ``crowd`` renders one
(every parameter drawn per render), learnt as everyday sounds. Used by ``make_corpus.py`` only.

A clap is one to three short noise bursts a millisecond or two apart, band-passed around the
resonance of the cupped hands (600 Hz - 3 kHz), decaying in a few milliseconds (the acoustics
of hand claps are well described, e.g. Repp 1987; Peltola et al. 2007 synthesise applause the
same way). Each person claps at their own rate (2.5-6 per second) with their own timing jitter
and their own hands' sound; a crowd is a few to a few hundred people, mostly unsynchronised,
now and then clapping in time.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

HANDS = 24  # distinct clap sounds per render; each clap uses one of them


def _clap(rng: np.random.Generator, sr: int) -> np.ndarray:
    """One person's clap: one to three decaying band-passed noise bursts, about 60 ms long."""
    n = int(0.06 * sr)
    out = np.zeros(n)
    centre, q = rng.uniform(600, 3000), rng.uniform(1.0, 4.0)
    b, a = signal.iirpeak(centre / (sr / 2), q)
    t = np.arange(n) / sr
    for k in range(int(rng.integers(1, 4))):
        start = int(k * rng.uniform(0.0008, 0.0025) * sr)
        burst = rng.standard_normal(n - start) * np.exp(-t[: n - start] / rng.uniform(0.002, 0.012))
        out[start:] += rng.uniform(0.4, 1.0) * burst
    return np.asarray(signal.lfilter(b, a, out) + rng.uniform(0.05, 0.3) * out, dtype=np.float64)


def _envelope(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """How many of the crowd clap over time: rounds of applause that swell, hold and die away."""
    env = np.zeros(n)
    t = rng.uniform(0, 1.0)
    seconds = n / sr
    while t < seconds:
        rise, hold, fall = rng.uniform(0.2, 1.5), rng.uniform(1.0, 10.0), rng.uniform(0.8, 4.0)
        times = np.arange(n) / sr - t
        shape = np.clip(times / rise, 0, 1) * np.clip(1 - (times - rise - hold) / fall, 0, 1)
        env = np.maximum(env, shape * rng.uniform(0.5, 1.0))
        t += rise + hold + fall * rng.uniform(0.3, 1.0) + rng.uniform(0.0, 2.0)
    return env


def _claps(rng: np.random.Generator, n: int, sr: int, env: np.ndarray) -> list[np.ndarray]:
    """Impulse trains of the crowd's claps, one per hand sound (``HANDS``)."""
    trains = [np.zeros(n) for _ in range(HANDS)]
    people = int(np.exp(rng.uniform(np.log(3), np.log(300))))
    in_time = rng.random() < 0.2  # now and then the crowd claps along to a beat
    beat = 60 / rng.uniform(100, 150)
    for _ in range(people):
        hand = int(rng.integers(HANDS))
        level = np.exp(rng.normal(0, 0.5))
        period = beat if in_time else 1 / rng.uniform(2.5, 6.0)
        jitter = rng.uniform(0.01, 0.03) if in_time else rng.uniform(0.03, 0.12) * period
        keen = rng.uniform(0.0, 0.6)  # claps only while the crowd is at least this keen
        times = np.arange(rng.uniform(0, period), n / sr, period)
        times = times + rng.normal(0, jitter, size=times.shape)
        idx = np.clip((times * sr).astype(int), 0, n - 1)
        idx = idx[env[idx] > keen]
        np.add.at(trains[hand], idx, level * rng.uniform(0.6, 1.0, size=idx.shape))
    return trains


def _room(rng: np.random.Generator, sr: int) -> np.ndarray:
    """An impulse response: exponentially decaying noise, a hall or a small room."""
    rt60 = rng.uniform(0.3, 2.0)
    t = np.arange(int(rt60 * sr)) / sr
    ir = rng.standard_normal(t.size) * np.exp(-6.9 * t / rt60)
    ir[0] = 1.0 / rng.uniform(0.2, 1.0)  # the direct sound
    return ir / np.sqrt(np.sum(ir**2))


def crowd(rng: np.random.Generator, seconds: float, sr: int, babble: np.ndarray | None = None) -> np.ndarray:
    """``seconds`` of an audience: applause (rounds of it, now and then in time), in a room, over room
    tone; float32, peak 1. ``babble`` (many voices at once, at ``sr``, at least as long) is often mixed
    under it as the crowd's chatter and cheering, louder while it claps."""
    n = int(seconds * sr)
    env = _envelope(rng, n, sr)
    hands = [_clap(rng, sr) for _ in range(HANDS)]
    out = sum(signal.fftconvolve(train, hand)[:n] for train, hand in zip(_claps(rng, n, sr, env), hands))
    out = np.asarray(out) / (np.sqrt(np.mean(np.asarray(out) ** 2)) + 1e-9)
    if babble is not None and rng.random() < 0.7:
        chatter = babble[:n]
        level = 10 ** (rng.uniform(-25, -3) / 20)
        out += chatter / (np.sqrt(np.mean(chatter**2)) + 1e-9) * level * (0.3 + env)
    wet = rng.uniform(0.1, 0.6)
    out = (1 - wet) * out + wet * signal.fftconvolve(out, _room(rng, sr))[:n]
    b, a = signal.butter(2, rng.uniform(4000, 10000) / (sr / 2))  # distance and the mic soften the top
    out = signal.lfilter(b, a, out)
    out += rng.standard_normal(n) * np.sqrt(np.mean(out**2)) * 10 ** (rng.uniform(-50, -25) / 20)
    return (out / (np.abs(out).max() + 1e-9)).astype(np.float32)
