"""Tests for earmark.features: the mel filterbank and log-mel front end.

The golden checks are numbers derived by hand from the definitions (HTK mel scale,
area-normalised triangles, periodic Hann window, natural log of mel power with a 1e-8
floor), so a failure means the front end changed, not that a frozen float drifted.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import torch

from earmark.errors import AudioDecodeError, ParameterError
from earmark.features import FeatureConfig, LogMel, _hz_to_mel, _mel_to_hz, log_mel, mel_filterbank

SR = 22050
#: Spelled out (not the defaults, which may be tuned): the golden numbers below derive from these.
CONFIG = FeatureConfig(sample_rate=SR, n_fft=1024, hop_length=256, n_mels=64, f_min_hz=20.0, f_max_hz=None)
BIN_HZ = SR / CONFIG.n_fft  # 21.53 Hz between FFT bins
LOG_FLOOR = math.log(1e-10)  # the epsilon inside the log


def tone(freq_hz: float, *, duration_s: float = 1.0, amp: float = 0.5, sample_rate: int = SR) -> np.ndarray:
    t = np.arange(int(duration_s * sample_rate)) / sample_rate
    return (amp * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def white_noise(*, seed: int, std: float, duration_s: float) -> np.ndarray:
    return (std * np.random.default_rng(seed).standard_normal(int(duration_s * SR))).astype(np.float32)


def filter_edges_hz(config: FeatureConfig) -> np.ndarray:
    """The n_mels + 2 edge frequencies, equally spaced on the HTK mel scale (written out here)."""
    lo, hi = 2595 * math.log10(1 + config.f_min_hz / 700), 2595 * math.log10(1 + config.top_hz / 700)
    mels = np.linspace(lo, hi, config.n_mels + 2)
    return 700 * (10 ** (mels / 2595) - 1)


# -- FeatureConfig --------------------------------------------------------------------------------


def test_config_round_trips_through_a_dict() -> None:
    config = FeatureConfig(sample_rate=16000, n_fft=512, hop_length=160, n_mels=40, f_min_hz=50.0, f_max_hz=7000.0)
    assert FeatureConfig.from_dict(config.to_dict()) == config
    assert config.to_dict() == {"sample_rate": 16000, "n_fft": 512, "hop_length": 160, "n_mels": 40,
                                "f_min_hz": 50.0, "f_max_hz": 7000.0, "top_db": 60.0}


def test_config_top_frequency_defaults_to_nyquist() -> None:
    assert CONFIG.top_hz == SR / 2
    assert replace(CONFIG, f_max_hz=8000.0).top_hz == 8000.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sample_rate": 2000}, r"sample_rate must be 4000 to 384000 Hz, got 2000"),
        ({"sample_rate": 10**9}, r"sample_rate must be 4000 to 384000 Hz, got 1000000000"),
        ({"n_fft": 2**30}, r"need 64 <= n_fft <= 16384 .* got n_fft=1073741824"),
        ({"n_fft": 32}, r"need 64 <= n_fft .* got n_fft=32"),
        ({"hop_length": 2048}, r"hop_length <= n_fft, got n_fft=1024, hop_length=2048"),
        ({"hop_length": 0}, r"1 <= hop_length"),
        ({"n_mels": 4}, r"n_mels must be in 8\.\.512, got 4"),
        ({"f_min_hz": 12000.0}, r"need 0 <= f_min_hz < f_max_hz .* got 12000\.0"),
        ({"f_min_hz": -1.0}, r"need 0 <= f_min_hz"),
    ],
)
def test_config_rejects_bad_values_naming_them(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        replace(CONFIG, **kwargs)


def test_config_from_dict_rejects_unknown_settings() -> None:
    with pytest.raises(ParameterError, match=r"unknown feature settings \['n_mfcc'\]"):
        FeatureConfig.from_dict({**CONFIG.to_dict(), "n_mfcc": 13})


@pytest.mark.parametrize("n_samples", [1, 255, 256, 22050, 22051])
def test_n_frames_matches_the_spectrogram(n_samples: int) -> None:
    y = np.full(n_samples, 0.1, np.float32)
    assert log_mel(y, sample_rate=SR, config=CONFIG).shape == (64, CONFIG.n_frames(n_samples))
    assert CONFIG.n_frames(n_samples) == n_samples // 256 + 1


# -- mel scale and filterbank ---------------------------------------------------------------------


def test_htk_mel_scale_at_hand_checked_points() -> None:
    assert _hz_to_mel(np.array(0.0)) == 0.0
    assert _hz_to_mel(np.array(700.0)) == pytest.approx(2595 * math.log10(2))  # 781.17 mel
    assert _hz_to_mel(np.array(1000.0)) == pytest.approx(1000.0, abs=0.05)  # the scale's anchor
    hz = np.array([20.0, 440.0, 11025.0])
    np.testing.assert_allclose(_mel_to_hz(_hz_to_mel(hz)), hz, rtol=1e-9)


def test_filterbank_shape_and_support() -> None:
    fb = mel_filterbank(CONFIG)
    assert fb.shape == (64, 513)
    assert fb.dtype == np.float32
    assert (fb >= 0).all()
    edges = filter_edges_hz(CONFIG)
    fft_hz = np.arange(513) * BIN_HZ
    for i in range(64):
        outside = (fft_hz < edges[i] - 1e-6) | (fft_hz > edges[i + 2] + 1e-6)
        assert not fb[i, outside].any(), f"filter {i} leaks outside {edges[i]:.1f}..{edges[i + 2]:.1f} Hz"


def test_filterbank_rows_have_unit_area() -> None:
    """Triangles of height 2/(upper-lower) have area 1, so sum(row) * bin width = 1 once a
    filter spans enough bins to sample its triangle well (above filter ~16 here, 9+ bins)."""
    areas = mel_filterbank(CONFIG).sum(axis=1) * BIN_HZ
    np.testing.assert_allclose(areas[16:], 1.0, atol=0.015)
    np.testing.assert_allclose(areas, 1.0, atol=0.1)  # even the 3-bin filters at the bottom


def test_filterbank_rows_peak_at_their_centre_bins() -> None:
    """Filter i peaks within a bin of its centre, edges[i + 1] (the nearest bin, or the one
    above when the centre falls near halfway: the upper side of each triangle is wider).
    By hand: 51.6 Hz / 21.53 = bin 2.4 → 2; 84.5 Hz → 3.9 → 4; 454.5 Hz → 21.1 → 21."""
    peaks = mel_filterbank(CONFIG).argmax(axis=1)
    centre_bins = filter_edges_hz(CONFIG)[1:-1] / BIN_HZ
    assert (np.abs(peaks - centre_bins) < 1.0).all()
    assert (np.abs(peaks - centre_bins) <= 0.5).mean() > 0.9
    assert (peaks[0], peaks[1], peaks[10]) == (2, 4, 21)


def test_filterbank_stops_at_f_max() -> None:
    fb = mel_filterbank(replace(CONFIG, f_max_hz=8000.0))
    above = np.arange(513) * BIN_HZ > 8000.0
    assert not fb[:, above].any()
    assert fb[-1].argmax() * BIN_HZ < 8000.0


def test_filters_narrower_than_a_bin_still_see_their_nearest_bin() -> None:
    """128 mels over a 256-point FFT at 16 kHz: the lowest triangles fall between bins."""
    config = FeatureConfig(sample_rate=16000, n_fft=256, hop_length=64, n_mels=128, f_min_hz=0.0)
    fb = mel_filterbank(config)
    assert (fb.sum(axis=1) > 0).all()


# -- log-mel --------------------------------------------------------------------------------------


def test_silence_sits_exactly_on_the_log_floor() -> None:
    out = log_mel(np.zeros(SR, np.float32), sample_rate=SR, config=CONFIG)
    assert out.shape == (64, 87)
    np.testing.assert_allclose(out, LOG_FLOOR, rtol=1e-6)


def test_top_db_floors_every_cell_that_far_below_the_loudest() -> None:
    """A tone over digital silence: the silent cells sit exactly top_db below the peak cell."""
    y = np.concatenate([tone(440.0)[: SR // 2], np.zeros(SR // 2, np.float32)])
    out = log_mel(y, sample_rate=SR, config=CONFIG)
    nats = CONFIG.top_db * np.log(10) / 10
    assert out.min() == pytest.approx(out.max() - nats, rel=1e-5)
    assert out[:, -5:].max() == pytest.approx(out.max() - nats, rel=1e-5)


def test_a_440_hz_tone_peaks_in_mel_bin_10() -> None:
    """By hand: mel(440) = 549.6; filter centres are 31.7 + 48.4 * (i + 1) mel, so 440 Hz lies
    between filter 9 (405.8 Hz) and filter 10 (454.5 Hz), 71 % of the way up filter 10's
    rising edge and 29 % down filter 9's falling edge: filter 10 answers most."""
    out = log_mel(tone(440.0), sample_rate=SR, config=CONFIG)
    assert int(out[:, 5:-5].mean(axis=1).argmax()) == 10
    edges = filter_edges_hz(CONFIG)
    assert edges[10] < 440.0 < edges[11]


@pytest.mark.parametrize("freq_hz", [100.0, 1000.0, 5000.0])
def test_tones_peak_in_the_filter_centred_nearest_them(freq_hz: float) -> None:
    out = log_mel(tone(freq_hz), sample_rate=SR, config=CONFIG)
    centres_mel = _hz_to_mel(filter_edges_hz(CONFIG)[1:-1])
    nearest = int(np.abs(centres_mel - _hz_to_mel(np.array(freq_hz))).argmin())
    assert abs(int(out[:, 5:-5].mean(axis=1).argmax()) - nearest) <= 1


def test_seeded_white_noise_has_the_power_the_definitions_predict() -> None:
    """Golden numbers for a fixed signal, derived by hand: for white noise of variance s^2 every
    FFT bin has expected power s^2 * sum(hann^2) = s^2 * 3N/8 = 0.01 * 384, so mel band m has
    expected power 3.84 * sum(filterbank row m) (about 3.84 / 21.5 Hz = 0.178, log -1.72)."""
    out = log_mel(white_noise(seed=0, std=0.1, duration_s=4.0), sample_rate=SR, config=CONFIG)
    assert out.shape == (64, 4 * SR // 256 + 1)
    assert float(torch.hann_window(1024).square().sum()) == pytest.approx(384.0)
    expected = 0.01 * 384 * mel_filterbank(CONFIG).sum(axis=1)
    measured = np.exp(out[:, 4:-4]).mean(axis=1)  # interior frames: the edges see zero padding
    ratio = measured / expected
    np.testing.assert_allclose(ratio[32:], 1.0, atol=0.06)  # wide bands average many bins
    np.testing.assert_allclose(ratio, 1.0, atol=0.2)  # 3-bin bands at the bottom vary more
    assert ratio.mean() == pytest.approx(1.0, abs=0.02)
    assert float(np.median(out)) == pytest.approx(math.log(0.01 * 384 / BIN_HZ), abs=0.15)


def test_doubling_the_level_adds_log_4_everywhere() -> None:
    y = white_noise(seed=1, std=0.05, duration_s=0.5)
    doubled = log_mel(2 * y, sample_rate=SR, config=CONFIG)
    np.testing.assert_allclose(doubled - log_mel(y, sample_rate=SR, config=CONFIG), math.log(4), atol=1e-3)


def test_normalised_windows_have_zero_mean_and_unit_spread() -> None:
    y = tone(440.0) + white_noise(seed=2, std=0.01, duration_s=1.0)
    out = log_mel(y, sample_rate=SR, config=CONFIG, normalise=True)
    assert out.mean() == pytest.approx(0.0, abs=1e-4)
    assert out.std(ddof=1) == pytest.approx(1.0, abs=1e-3)


def test_normalising_is_level_independent_and_keeps_silence_flat() -> None:
    y = white_noise(seed=3, std=0.1, duration_s=0.5)
    loud = log_mel(y, sample_rate=SR, config=CONFIG, normalise=True)
    quiet = log_mel(0.1 * y, sample_rate=SR, config=CONFIG, normalise=True)  # 20 dB down: log_mel moves by ln 100
    np.testing.assert_allclose(loud, quiet, atol=1e-3)  # (only the 1e-8 floor tells them apart)
    silence = np.zeros(SR, np.float32)
    np.testing.assert_allclose(log_mel(silence, sample_rate=SR, config=CONFIG, normalise=True), 0.0, atol=1e-5)


@pytest.mark.parametrize("offset", [1e-4, -0.05])
def test_a_dc_offset_changes_nothing(offset: float) -> None:
    """An interface's DC offset under a quiet room: without the mean taken out it was a step at
    each window's zero-padded edges, and a trained model heard the clicks as drums."""
    y = white_noise(seed=4, std=1e-5, duration_s=1.0)
    np.testing.assert_allclose(log_mel(y + np.float32(offset), sample_rate=SR, config=CONFIG, normalise=True),
                               log_mel(y, sample_rate=SR, config=CONFIG, normalise=True), atol=1e-3)


def test_log_mel_module_on_a_batch_equals_one_clip_at_a_time() -> None:
    ys = [white_noise(seed=s, std=0.1, duration_s=0.5) for s in range(3)]
    with torch.no_grad():
        batch = LogMel(CONFIG)(torch.from_numpy(np.stack(ys))).numpy()
    for y, b in zip(ys, batch):
        np.testing.assert_allclose(b, log_mel(y, sample_rate=SR, config=CONFIG, normalise=True), atol=1e-4)


def test_log_mel_refuses_audio_at_another_rate() -> None:
    with pytest.raises(ParameterError, match=r"audio is at 44100 Hz but the features expect 22050 Hz; resample"):
        log_mel(tone(440.0, sample_rate=44100), sample_rate=44100, config=CONFIG)


def test_log_mel_refuses_stereo_saying_what_to_do() -> None:
    with pytest.raises(ParameterError, match=r"expects mono samples .* got \(2, 22050\); call to_mono"):
        log_mel(np.stack([tone(440.0), tone(440.0)]), sample_rate=SR, config=CONFIG)


@pytest.mark.parametrize(("samples", "match"), [(np.zeros(0, np.float32), "holds no audio samples"),
                                                (np.array([0.0, np.nan], np.float32), "NaN or infinite")])
def test_log_mel_refuses_empty_or_non_finite_audio(samples: np.ndarray, match: str) -> None:
    with pytest.raises(AudioDecodeError, match=match):
        log_mel(samples, sample_rate=SR, config=CONFIG)
