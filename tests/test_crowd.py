"""The pretraining corpus's crowd synthesiser (pretraining/crowd.py) makes applause, not music."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest

from conftest import check_seeded_normalised_audio, load_pretraining_module

SR = 22050


@pytest.fixture(scope="module")
def crowd() -> ModuleType:
    return load_pretraining_module("crowd")


def test_crowds_are_finite_normalised_and_seeded(crowd: ModuleType) -> None:
    check_seeded_normalised_audio(crowd.crowd, 4.0, sample_rate=SR, peak_tolerance=1e-3)


def test_a_clap_is_a_few_milliseconds_of_band_passed_noise(crowd: ModuleType) -> None:
    rng = np.random.default_rng(0)
    for _ in range(10):
        clap = crowd._clap(rng, SR)
        energy = np.cumsum(clap**2) / np.sum(clap**2)
        assert np.searchsorted(energy, 0.9) < 0.03 * SR  # 90 % of it within 30 ms
        spectrum = np.abs(np.fft.rfft(clap, 4096)) ** 2
        freqs = np.fft.rfftfreq(4096, 1 / SR)
        assert 400 < freqs[np.argmax(spectrum)] < 4000


@pytest.mark.parametrize("seed", range(6))
def test_applause_is_broadband_noise_without_notes(crowd: ModuleType, seed: int) -> None:
    """Most energy sits in the claps' band (300 Hz - 6 kHz) and no partial stands out as a note would."""
    y = crowd.crowd(np.random.default_rng(seed), 6.0, SR).astype(np.float64)
    frames = y[: y.size // 2048 * 2048].reshape(-1, 2048) * np.hanning(2048)
    power = (np.abs(np.fft.rfft(frames, axis=1)) ** 2).mean(axis=0)
    freqs = np.fft.rfftfreq(2048, 1 / SR)
    band = (freqs > 300) & (freqs < 6000)
    assert power[band].sum() / power.sum() > 0.8  # analog_bass's lines: 0.1-0.6
    assert power[band].max() / np.median(power[band]) < 100  # a held note's partial is often 100-10000x


def test_babble_goes_under_the_applause(crowd: ModuleType) -> None:
    rng = np.random.default_rng(1)
    babble = np.sin(2 * np.pi * 200 * np.arange(5 * SR) / SR) * rng.uniform(0.5, 1.0, 5 * SR)
    quiet = [crowd.crowd(np.random.default_rng(s), 4.0, SR) for s in range(6)]
    with_babble = [crowd.crowd(np.random.default_rng(s), 4.0, SR, babble=babble) for s in range(6)]
    # the crowd draws whether to mix it in; over six crowds some have it, and then they differ
    assert any(not np.allclose(q, w) for q, w in zip(quiet, with_babble))
