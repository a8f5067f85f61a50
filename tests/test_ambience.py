"""Tests for earmark.ambience: seeded, unit-level generators of non-musical background sound."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from earmark import ambience

SR = 8000
Generator = Callable[..., np.ndarray]
GENERATORS: list[Generator] = [getattr(ambience, name) for name in ambience.__all__]


def rms(y: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.asarray(y, np.float64) ** 2)))


@pytest.mark.parametrize("make", GENERATORS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generators_give_mono_float32_at_unit_level(make: Generator, seed: int) -> None:
    y = make(4000, sample_rate=SR, rng=np.random.default_rng(seed))
    assert y.shape == (4000,) and y.dtype == np.float32
    assert np.isfinite(y).all()
    assert rms(y) == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("make", GENERATORS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("rate", [4000, 48000])
def test_generators_hold_at_the_lowest_and_a_high_sample_rate(make: Generator, rate: int) -> None:
    """Filters whose cutoffs are drawn in Hz stay below Nyquist: at 4 kHz an unclamped wind
    low-pass (up to 2.5 kHz) went unstable and gave NaN, which training reports as bad data. Short
    clips (0.25 s) too, where a sparse texture could draw no event and a voice only pauses."""
    for seed in range(60):
        y = make(rate // 4, sample_rate=rate, rng=np.random.default_rng(seed))
        assert np.isfinite(y).all(), seed
        assert np.std(y) == pytest.approx(1.0, abs=0.01), seed  # a voice's first syllable is never a pause


@pytest.mark.parametrize("make", GENERATORS, ids=lambda f: f.__name__)
def test_a_seed_reproduces_the_sound_and_another_changes_it(make: Generator) -> None:
    a = make(2000, sample_rate=SR, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a, make(2000, sample_rate=SR, rng=np.random.default_rng(5)))
    assert not np.array_equal(a, make(2000, sample_rate=SR, rng=np.random.default_rng(6)))


def test_room_tone_varies_its_colour() -> None:
    """Some rooms are dark (rumble), some bright (hiss): the spectral centroid must vary widely."""
    def centroid(y: np.ndarray) -> float:
        power = np.abs(np.fft.rfft(y)) ** 2
        return float((np.fft.rfftfreq(y.shape[0], 1 / SR) * power).sum() / power.sum())

    centroids = [centroid(ambience.synthetic_noise(4000, sample_rate=SR, rng=np.random.default_rng(s)))
                 for s in range(12)]
    assert max(centroids) > 3 * min(centroids)
