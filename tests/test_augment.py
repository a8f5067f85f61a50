"""Tests for earmark.augment: each transform on tiny arrays, randomness pinned by parameters
(p=1, min=max) or by a seeded generator, results compared with hand-computed numbers."""

from __future__ import annotations

import numpy as np
import pytest

from earmark.augment import (
    Chain,
    Drive,
    Gain,
    MixNoise,
    PitchShift,
    Reverb,
    Shorten,
    Transform,
    compose_phrase,
    crop_or_loop,
    default_chain,
    onset_index,
)
from earmark.errors import ParameterError

SR = 8000
ALL_TRANSFORMS: list[Transform] = [Gain(), Drive(), Reverb(), PitchShift(), MixNoise(), Shorten()]


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def tone(freq_hz: float = 200.0, *, duration_s: float = 0.5, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(duration_s * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def rms(y: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.asarray(y, np.float64) ** 2)))


def peak_hz(y: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.shape[0]), n=8 * y.shape[0]))
    return float(np.fft.rfftfreq(8 * y.shape[0], 1 / SR)[spectrum.argmax()])


# -- the shared base ------------------------------------------------------------------------------


@pytest.mark.parametrize("transform", ALL_TRANSFORMS, ids=lambda t: type(t).__name__)
def test_every_transform_round_trips_through_a_dict(transform: Transform) -> None:
    d = transform.to_dict()
    assert d["name"] == type(transform).__name__
    assert Transform.from_dict(d) == transform


def test_a_transform_prints_as_its_constructor_call() -> None:
    gain = Gain(p=1.0, min_gain_db=-6.0, max_gain_db=-6.0)
    assert repr(gain) == "Gain(p=1.0, min_gain_db=-6.0, max_gain_db=-6.0)"
    assert eval(repr(gain)) == gain  # noqa: S307 - our own repr, to show it is a constructor call


def test_unknown_transform_names_are_refused() -> None:
    with pytest.raises(ParameterError, match=r"unknown transform 'Flanger'"):
        Transform.from_dict({"name": "Flanger", "p": 1.0})


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_probability_must_be_in_0_1(p: float) -> None:
    with pytest.raises(ParameterError, match=rf"Gain: p must be in \[0, 1\], got {p}"):
        Gain(p=p)


def test_p_0_returns_the_input_untouched() -> None:
    y = tone()
    for t in (Gain(p=0.0), Drive(p=0.0), Reverb(p=0.0), PitchShift(p=0.0)):
        assert t(y, sample_rate=SR, rng=rng()) is y


def test_p_is_the_share_of_calls_that_change_the_sound() -> None:
    y, r = tone(duration_s=0.01), rng(1)
    changed = [not np.array_equal(Gain(p=0.3)(y, sample_rate=SR, rng=r), y) for _ in range(2000)]
    assert np.mean(changed) == pytest.approx(0.3, abs=0.03)


def test_mix_noise_called_as_a_transform_applies_with_probability_p() -> None:
    y, r = tone(duration_s=0.01), rng(2)
    changed = [not np.array_equal(MixNoise(p=0.5)(y, sample_rate=SR, rng=r), y) for _ in range(2000)]
    assert np.mean(changed) == pytest.approx(0.5, abs=0.04)


@pytest.mark.parametrize("transform", [Gain(p=1.0), Drive(p=1.0), Reverb(p=1.0), PitchShift(p=1.0),
                                       MixNoise(p=1.0), Shorten(p=1.0), default_chain()],
                         ids=lambda t: type(t).__name__)
def test_a_seed_reproduces_a_transform_and_another_seed_varies_it(transform: Transform | Chain) -> None:
    y = tone()
    first = transform(y, sample_rate=SR, rng=rng(7))
    np.testing.assert_array_equal(first, transform(y, sample_rate=SR, rng=rng(7)))
    assert first.dtype == np.float32
    others = [transform(y, sample_rate=SR, rng=rng(seed)) for seed in range(8, 12)]
    assert any(o.shape != first.shape or not np.array_equal(o, first) for o in others)


# -- one transform at a time ----------------------------------------------------------------------


def test_gain_with_min_equal_max_multiplies_by_that_gain() -> None:
    y = tone()
    out = Gain(p=1.0, min_gain_db=-6.0, max_gain_db=-6.0)(y, sample_rate=SR, rng=rng())
    np.testing.assert_allclose(out, y * 10 ** (-6 / 20), rtol=1e-6)  # 0.501 x
    assert rms(out) / rms(y) == pytest.approx(0.5012, abs=1e-4)


def test_drive_soft_clips_but_keeps_the_peak() -> None:
    y = tone(amp=0.4)
    out = Drive(p=1.0, min_drive_db=20.0, max_drive_db=20.0)(y, sample_rate=SR, rng=rng())
    assert np.abs(out).max() == pytest.approx(0.4, rel=1e-5)
    # By hand: gain 10 / 0.4 = 25 per unit, so half the peak maps to 0.4 * tanh(5) / tanh(10) = 0.39996
    half = int(np.argmin(np.abs(y - 0.2)))
    assert out[half] == pytest.approx(0.4 * np.tanh(25 * y[half]) / np.tanh(10), rel=1e-5)
    assert rms(out) > rms(y)  # squarer: more energy at the same peak
    np.testing.assert_array_equal(np.sign(out), np.sign(y))


def test_drive_on_silence_stays_silent() -> None:
    out = Drive(p=1.0)(np.zeros(100, np.float32), sample_rate=SR, rng=rng())
    np.testing.assert_array_equal(out, 0.0)


def test_reverb_adds_a_decaying_tail_and_keeps_the_length() -> None:
    click = np.zeros(SR, np.float32)
    click[100] = 1.0
    out = Reverb(p=1.0, min_rt60_s=0.3, max_rt60_s=0.3)(click, sample_rate=SR, rng=rng())
    assert out.shape == click.shape and np.isfinite(out).all()
    assert np.abs(out[:100]).max() < 1e-6  # nothing before the sound (FFT convolution leaves ~1e-9)
    early, late = rms(out[101:101 + 800]), rms(out[101 + 1600:101 + 2400])  # 0-0.1 s and 0.2-0.3 s after
    # RT60 0.3 s: 60 dB in 0.3 s, so about 40 dB between these two stretches (allow 25-55)
    assert 25 < 20 * np.log10(early / late) < 55


def test_pitch_shift_changes_pitch_and_length_together_like_tape() -> None:
    y = tone(200.0, duration_s=1.0)
    for seed in range(3):
        out = PitchShift(p=1.0, max_semitones=4.0)(y, sample_rate=SR, rng=rng(seed))
        factor = y.shape[0] / out.shape[0]
        assert 2 ** (-4 / 12) - 0.01 < factor < 2 ** (4 / 12) + 0.01
        assert peak_hz(out) == pytest.approx(200.0 * factor, rel=0.01)


def test_shorten_cuts_a_note_the_given_time_after_its_onset_with_a_fade() -> None:
    y = np.concatenate([np.zeros(800, np.float32), tone(duration_s=1.0)])  # onset at 0.1 s
    out = Shorten(p=1.0, min_keep_s=0.2, max_keep_s=0.2, min_fade_s=0.01, max_fade_s=0.01)(
        y, sample_rate=SR, rng=rng())
    end, fade = 800 + int(0.2 * SR), int(0.01 * SR)
    assert out.shape == y.shape
    np.testing.assert_array_equal(out[:end], y[:end])  # untouched up to the cut
    assert 0 < rms(out[end : end + fade]) < rms(y[end : end + fade])  # fading
    assert not out[end + fade :].any()  # silent after it
    assert y[end + fade :].any()  # and the input is left as it was


def test_shorten_leaves_a_note_shorter_than_the_cut_alone() -> None:
    y = tone(duration_s=0.1)
    out = Shorten(p=1.0, min_keep_s=0.3, max_keep_s=0.5)(y, sample_rate=SR, rng=rng())
    np.testing.assert_array_equal(out, y)


def test_mix_noise_hits_the_requested_snr() -> None:
    """With min = max SNR = 10 dB, the added noise has exactly a third (10^-0.5) of the sound's RMS."""
    y = tone()
    noise = MixNoise(p=1.0, min_snr_db=10.0, max_snr_db=10.0, p_synthetic=1.0)  # synthetic ambience
    out = noise(y, sample_rate=SR, rng=rng())
    assert rms(out - y) / rms(y) == pytest.approx(10 ** (-10 / 20), rel=1e-3)


def test_mix_noise_uses_the_noises_it_is_given() -> None:
    y = tone(200.0)
    hum = tone(1000.0, duration_s=0.2)  # shorter than y: looped
    out = MixNoise(p=1.0, min_snr_db=0.0, max_snr_db=0.0, p_synthetic=0.0).mix(y, [hum], sample_rate=SR, rng=rng())
    added = out - y
    assert rms(added) == pytest.approx(rms(y), rel=0.02)  # 0 dB
    assert peak_hz(added) == pytest.approx(1000.0, abs=5.0)


def test_a_chain_applies_its_transforms_in_order() -> None:
    y = tone()
    minus_3 = Gain(p=1.0, min_gain_db=-3.0, max_gain_db=-3.0)
    out = Chain((minus_3, minus_3))(y, sample_rate=SR, rng=rng())
    np.testing.assert_allclose(out, y * 10 ** (-6 / 20), rtol=1e-5)


def test_the_default_chain_describes_itself() -> None:
    names = [t["name"] for t in default_chain().to_dict()["transforms"]]
    assert names == ["PitchShift", "Drive", "Reverb"]


# -- helpers for building examples ----------------------------------------------------------------


def test_crop_or_loop_crops_a_long_sound() -> None:
    y = np.arange(100, dtype=np.float32)
    out = crop_or_loop(y, 30, rng=rng())
    assert out.shape == (30,)
    np.testing.assert_array_equal(np.diff(out), 1.0)  # one contiguous stretch of y


def test_crop_or_loop_loops_a_short_sound() -> None:
    y = np.arange(10, dtype=np.float32)
    out = crop_or_loop(y, 35, rng=rng(3))
    assert out.shape == (35,)
    np.testing.assert_array_equal(out, (out[0] + np.arange(35)) % 10)


def test_onset_index_finds_where_the_sound_starts() -> None:
    y = np.zeros(SR, np.float32)
    y[2000:2400] = tone(duration_s=0.05)
    block = SR // 200  # 40-sample blocks
    assert onset_index(y, sample_rate=SR) == 2000 // block * block
    assert onset_index(np.zeros(100, np.float32), sample_rate=SR) == 0
    assert onset_index(np.ones(10, np.float32), sample_rate=SR) == 0  # shorter than a block


def test_compose_phrase_sequences_the_sounds_it_is_given() -> None:
    sounds = [tone(500.0, duration_s=0.1), tone(500.0, duration_s=0.2, amp=0.3)]
    out = compose_phrase(sounds, SR, sample_rate=SR, rng=rng(4))
    assert out.shape == (SR,) and out.dtype == np.float32
    assert rms(out) > 0.01
    assert peak_hz(out) == pytest.approx(500.0, abs=10.0)
    np.testing.assert_array_equal(out, compose_phrase(sounds, SR, sample_rate=SR, rng=rng(4)))


def test_compose_phrase_places_several_events() -> None:
    click = np.zeros(50, np.float32)
    click[0] = 1.0
    out = compose_phrase([click], 2 * SR, sample_rate=SR, rng=rng(5))
    # 60-200 BPM on quarters to sixteenths: at least two events in two seconds
    assert np.count_nonzero(out) >= 2


def test_a_composed_phrase_is_never_silent() -> None:
    """A slow pulse can start its first short note before the window and its next one after it.
    Such a phrase came out silent (2 % of phrases of 0.1 s notes): an "instrument" example of
    nothing but the noise mixed under it. Now one note lands in the window instead."""
    note = tone(200.0, duration_s=0.1)
    generator = rng(6)
    phrases = [compose_phrase([note], SR, sample_rate=SR, rng=generator) for _ in range(2000)]
    assert all(p.any() for p in phrases)
