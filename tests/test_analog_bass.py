"""The pretraining corpus's synth-bass synthesiser (pretraining/analog_bass.py) makes bass lines."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest

from conftest import check_seeded_normalised_audio, load_pretraining_module

SR = 22050


@pytest.fixture(scope="module")
def analog_bass() -> ModuleType:
    return load_pretraining_module("analog_bass")


def test_lines_are_finite_normalised_and_seeded(analog_bass: ModuleType) -> None:
    check_seeded_normalised_audio(analog_bass.bass_line, 3.0, sample_rate=SR, peak_tolerance=0.05)


@pytest.mark.parametrize("seed", range(8))
def test_lines_sit_in_the_bass_register(analog_bass: ModuleType, seed: int) -> None:
    """The strongest partial is a bass note's (30-400 Hz), most energy is below 1 kHz, and there is no DC."""
    y = analog_bass.bass_line(np.random.default_rng(seed), 4.0, SR).astype(np.float64)
    power = np.abs(np.fft.rfft(y)) ** 2
    freqs = np.fft.rfftfreq(y.shape[0], 1 / SR)
    assert 30 <= freqs[power.argmax()] <= 400
    assert power[freqs < 1000].sum() / power.sum() > 0.8
    assert abs(y.mean()) < 0.01
    # it is a line of notes, not one drone: some two sounding frames' spectra differ a lot
    frames = y[: y.shape[0] // 2048 * 2048].reshape(-1, 2048)
    level = np.sqrt((frames**2).mean(axis=1))
    spectra = np.abs(np.fft.rfft(frames[level > 0.1 * level.max()] * np.hanning(2048), axis=1))[:, :200]
    spectra /= np.linalg.norm(spectra, axis=1, keepdims=True) + 1e-9
    assert (spectra @ spectra.T).min() < 0.7
