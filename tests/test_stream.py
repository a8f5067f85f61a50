"""Tests for earmark.stream.StreamingClassifier: chunks in, a prediction every hop out.

The model in these tests has 1 s windows at 22050 Hz. With ``hop_s=0.1`` (2205 samples) the
first prediction comes at the first hop once 0.25 s is heard (0.3 s), then one every 0.1 s of audio.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
from scipy.signal import resample_poly

from conftest import bass_note, drum_hit, room_noise
from earmark.classifier import Classifier, Prediction
from earmark.errors import ParameterError
from earmark.stream import MIN_HEARD_S, StreamingClassifier

SR = 22050


def recording(sample_rate: int = SR) -> np.ndarray:
    """Three seconds: room tone, a bass note, a drum hit (the same sounds at any ``sample_rate``)."""
    y = np.concatenate([room_noise(np.random.default_rng(3), sample_rate=sample_rate, duration_s=1.0),
                        bass_note(np.random.default_rng(4), sample_rate=sample_rate),
                        drum_hit(np.random.default_rng(5), sample_rate=sample_rate)])
    return y[: 3 * sample_rate]


def chunks(y: np.ndarray, size: int) -> Iterator[np.ndarray]:
    for i in range(0, y.shape[-1], size):
        yield y[..., i : i + size]


def feed_all(stream: StreamingClassifier, y: np.ndarray, size: int) -> list[Prediction]:
    return [p for c in chunks(y, size) for p in stream.feed(c)]


def probs(preds: list[Prediction]) -> np.ndarray:
    return np.array([list(p.probabilities.values()) for p in preds])


@pytest.fixture
def stream(trained_classifier: Classifier) -> StreamingClassifier:
    return trained_classifier.stream(sample_rate=SR, hop_s=0.1)


# -- timing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1000, 2205, 777, 5000, 3 * SR])
def test_a_prediction_every_hop_whatever_the_chunk_size(stream: StreamingClassifier, size: int) -> None:
    preds = feed_all(stream, recording(), size)
    # hops end at 0.1, 0.2, ..., 3.0 s; the first two come before MIN_HEARD_S is heard
    assert [p.time_s for p in preds] == pytest.approx([k / 10 for k in range(3, 31)])
    assert len(stream.compute_s) == len(preds) == 28


def test_chunk_size_does_not_change_the_predictions(trained_classifier: Classifier) -> None:
    y = recording()
    reference = probs(feed_all(trained_classifier.stream(sample_rate=SR, hop_s=0.1), y, 2205))
    for size in (1, 441, 1000, 10_000):
        if size == 1:
            y1 = y[: 4 * 2205]  # one sample at a time is slow: only the first two predictions
            got = probs(feed_all(trained_classifier.stream(sample_rate=SR, hop_s=0.1), y1, 1))
            np.testing.assert_array_equal(got, reference[:2])
        else:
            got = probs(feed_all(trained_classifier.stream(sample_rate=SR, hop_s=0.1), y, size))
            np.testing.assert_array_equal(got, reference)


def test_a_full_window_is_scored_like_the_classifier_scores_it(
    stream: StreamingClassifier, trained_classifier: Classifier
) -> None:
    y = recording()
    preds = feed_all(stream, y[: 2 * SR], 1234)
    at_2s = preds[-1]
    assert at_2s.time_s == pytest.approx(2.0)
    expected = trained_classifier.score_windows(y[None, SR : 2 * SR])[0]  # the last second heard
    np.testing.assert_allclose(list(at_2s.probabilities.values()), expected, atol=1e-6)
    first = preds[0]  # at 0.3 s: the first 0.3 s, repeated to fill the window (never silence)
    heard = y[: 3 * 2205]
    window = np.tile(heard, 4)[-SR:]
    assert first.time_s == pytest.approx(0.3)
    np.testing.assert_array_equal(window[-heard.size :], heard)  # it ends with what was heard last
    np.testing.assert_allclose(list(first.probabilities.values()),
                               trained_classifier.score_windows(window[None])[0], atol=1e-6)


def test_time_s_counts_the_audio_received(stream: StreamingClassifier) -> None:
    assert stream.time_s == 0.0
    stream.feed(np.zeros(1000, np.float32))
    assert stream.time_s == pytest.approx(1000 / SR)
    stream.feed(np.zeros(SR, np.float32))
    assert stream.time_s == pytest.approx(1 + 1000 / SR)


def test_nothing_before_min_heard_s(stream: StreamingClassifier) -> None:
    assert MIN_HEARD_S == 0.25
    assert stream.feed(np.zeros(3 * 2205 - 1, np.float32)) == []  # 0.3 s: the first hop after 0.25 s
    assert stream.compute_s == []
    assert len(stream.feed(np.zeros(1, np.float32))) == 1


def test_finish_scores_a_stream_shorter_than_min_heard_s(stream: StreamingClassifier) -> None:
    """A 0.2 s file gives no prediction while it plays; when it ends, it gets one."""
    y = recording()[SR + 2000 : SR + 2000 + int(0.2 * SR)]  # part of the bass note
    assert stream.feed(y) == []
    [last] = stream.finish()
    assert last.time_s == pytest.approx(0.2, abs=1e-3)
    assert stream.finish() == [], "finishing again adds nothing (and is no error)"
    window = np.tile(y, 5)[-SR:]  # looped, not padded with silence
    np.testing.assert_allclose(list(last.probabilities.values()),
                               stream.classifier.score_windows(window[None])[0], atol=1e-6)


@pytest.mark.parametrize("rate", [SR, 48000])
def test_finish_hears_the_end_of_the_audio(trained_classifier: Classifier, rate: int) -> None:
    """The last part of a hop, and what the resampler held back, are scored at the end: the
    final prediction is at the stream's full length."""
    s = trained_classifier.stream(sample_rate=rate, hop_s=0.1)
    y = recording(rate)[: int(2.07 * rate)]
    preds = feed_all(s, y, 1024)
    assert preds[-1].time_s < 2.07 - 0.02
    final = s.finish()
    assert final and final[-1].time_s == pytest.approx(2.07, abs=2 / SR)


def test_a_hop_of_a_fractional_number_of_samples_does_not_drift(trained_classifier: Classifier) -> None:
    """0.25 s is 5512.5 samples at the model's 22050 Hz: each hop ends at the sample nearest k * 0.25 s, so
    16 s of 44.1 kHz audio ends in a prediction at 16.000 s (a hop rounded to 5512 samples ended at 15.9985 s)."""
    s = trained_classifier.stream(sample_rate=44100, hop_s=0.25)
    y = np.random.default_rng(6).standard_normal(16 * 44100).astype(np.float32) * 0.1
    preds = feed_all(s, y, 4096) + s.finish()
    assert preds[-1].time_s == pytest.approx(16.0, abs=1 / SR)
    assert [p.time_s for p in preds] == pytest.approx([k / 4 for k in range(1, 65)], abs=1 / SR)


def test_finish_leaves_out_a_tail_shorter_than_half_a_hop(stream: StreamingClassifier) -> None:
    """One sample past the last prediction is the same window again: no second line for it."""
    preds = stream.feed(np.zeros(2 * SR + 1, np.float32))
    assert preds[-1].time_s == pytest.approx(2.0)
    assert stream.finish() == []


def test_a_finished_stream_must_be_reset_before_feeding_again(stream: StreamingClassifier) -> None:
    stream.feed(np.zeros(SR, np.float32))
    stream.finish()
    with pytest.raises(ParameterError, match=r"this stream has finished; call reset\(\) before feeding it again"):
        stream.feed(np.zeros(100, np.float32))
    stream.reset()
    assert stream.feed(np.zeros(SR, np.float32))


def test_finish_adds_nothing_when_the_last_hop_was_scored(stream: StreamingClassifier) -> None:
    assert len(stream.feed(np.zeros(SR, np.float32))) == 8  # 0.3, 0.4, ... 1.0 s
    assert stream.finish() == []


def test_absurd_values_from_a_glitching_device_give_finite_predictions(stream: StreamingClassifier) -> None:
    preds = stream.feed(np.full(SR, 1e30, np.float32))
    assert preds and all(np.isfinite(list(p.probabilities.values())).all() for p in preds)


def test_an_empty_chunk_is_fine(stream: StreamingClassifier) -> None:
    assert stream.feed(np.zeros(0, np.float32)) == []
    assert stream.time_s == 0.0


@pytest.mark.parametrize("rate", [44100, 48000])
def test_microphone_rates_are_resampled_as_they_stream(trained_classifier: Classifier, rate: int) -> None:
    # the model-rate recording taken to the device's rate offline (scipy's polyphase filter, not earmark's
    # resampler): the same sounds, so whatever differs below is the streaming resampler's doing
    g = math.gcd(rate, SR)
    y = resample_poly(recording(), rate // g, SR // g).astype(np.float32)
    s = trained_classifier.stream(sample_rate=rate, hop_s=0.1)
    preds = feed_all(s, y, 1024)  # 1024-sample chunks: a typical audio callback
    # the streaming resampler holds back about 26 ms, so the last hop is still pending
    assert 27 <= len(preds) <= 28
    times = np.array([p.time_s for p in preds])
    np.testing.assert_allclose(times, np.arange(3, 3 + len(preds)) / 10, atol=1e-9)
    assert 2.95 < s.time_s <= 3.0  # time_s counts model-rate audio out of the resampler
    at_model_rate = probs(feed_all(trained_classifier.stream(sample_rate=SR, hop_s=0.1), recording(), 1024))
    # measured: mean difference 0.003, largest 0.035 to 0.062 (by CPU), every label the same
    reference = at_model_rate[: len(preds)]
    diff = np.abs(probs(preds) - reference)
    assert diff.mean() < 0.01, diff.mean()
    assert diff.max() < 0.1, diff.max()
    # a label must agree wherever the reference is sure of it: a window whose two best classes are
    # within 0.1 of each other may tip either way on a difference the line above allows
    top2 = np.sort(reference, axis=1)[:, -2:]
    sure = top2[:, 1] - top2[:, 0] > 0.1
    assert sure.sum() >= len(preds) // 2
    got = np.array([p.label for p in preds])
    assert (got[sure] == np.array(trained_classifier.labels)[reference.argmax(1)][sure]).all()


def test_the_stream_hears_what_plays(trained_classifier: Classifier) -> None:
    s = trained_classifier.stream(sample_rate=SR, hop_s=0.25)
    preds = feed_all(s, recording(), 2048)
    by_time = {round(p.time_s or 0.0, 2): p.label for p in preds}
    assert by_time[1.0] == "background"  # the room tone fills the window ending at 1 s


def test_stereo_chunks_are_mixed_to_mono(trained_classifier: Classifier) -> None:
    y = recording()
    stereo = np.stack([y, np.zeros_like(y)])
    a = probs(feed_all(trained_classifier.stream(sample_rate=SR, hop_s=0.5), stereo, 4096))
    b = probs(feed_all(trained_classifier.stream(sample_rate=SR, hop_s=0.5), y / 2, 4096))
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_non_finite_samples_are_heard_as_silence(trained_classifier: Classifier) -> None:
    y = np.zeros(SR, np.float32)
    y[100:200] = np.nan
    y[300] = np.inf
    preds = trained_classifier.stream(sample_rate=SR, hop_s=0.5).feed(y)
    silent = trained_classifier.stream(sample_rate=SR, hop_s=0.5).feed(np.zeros(SR, np.float32))
    np.testing.assert_array_equal(probs(preds), probs(silent))


# -- state ----------------------------------------------------------------------------------------


def test_reset_forgets_everything(stream: StreamingClassifier) -> None:
    y = recording()
    first = feed_all(stream, y, 3000)
    stream.reset()
    assert (stream.time_s, stream.compute_s) == (0.0, [])
    again = feed_all(stream, y, 3000)
    np.testing.assert_array_equal(probs(again), probs(first))
    assert [p.time_s for p in again] == [p.time_s for p in first]


def test_reset_also_resets_the_resampler(trained_classifier: Classifier) -> None:
    s = trained_classifier.stream(sample_rate=48000, hop_s=0.1)
    y = recording(48000)
    first = feed_all(s, y, 960)
    s.reset()
    np.testing.assert_array_equal(probs(feed_all(s, y, 960)), probs(first))


def test_reset_keeps_the_model_warm(stream: StreamingClassifier, monkeypatch: pytest.MonkeyPatch) -> None:
    """The warm-up window is scored once, when the stream is built; reset scores nothing."""
    scored: list[int] = []
    score = stream.classifier.score_windows
    monkeypatch.setattr(stream.classifier, "score_windows",
                        lambda windows, **kw: scored.append(len(windows)) or score(windows, **kw))
    stream.reset()
    assert scored == []
    feed_all(stream, recording()[: 3 * 2205], 2205)  # 0.3 s: exactly one prediction
    assert scored == [1] and len(stream.compute_s) == 1


def test_compute_time_is_recorded_per_prediction(stream: StreamingClassifier) -> None:
    preds = feed_all(stream, recording(), 4410)
    assert len(stream.compute_s) == len(preds)
    assert all(0 < t < 5 for t in stream.compute_s)


def test_smoothing_blends_each_prediction_with_the_last(trained_classifier: Classifier) -> None:
    y = recording()
    raw = probs(feed_all(trained_classifier.stream(sample_rate=SR, hop_s=0.1), y, 2205))
    smooth = probs(feed_all(trained_classifier.stream(sample_rate=SR, hop_s=0.1, smoothing=0.75), y, 2205))
    expected = [raw[0]]
    for r in raw[1:]:
        expected.append(0.75 * expected[-1] + 0.25 * r)
    np.testing.assert_allclose(smooth, expected, atol=1e-6)
    assert np.abs(np.diff(smooth, axis=0)).max() < np.abs(np.diff(raw, axis=0)).max()


# -- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"sample_rate": 0}, r"sample_rate must be 1000 to 768000 Hz, got 0"),
     ({"sample_rate": 1e-3}, r"sample_rate must be a whole number of hertz \(e.g. 44100\), got 0.001"),
     ({"sample_rate": float("nan")}, r"sample_rate must be a whole number of hertz"),  # once hung for good
     ({"sample_rate": 44100.5}, r"sample_rate must be a whole number of hertz"),
     ({"hop_s": 0.0}, r"hop_s must be 0.01 to 1.0 seconds \(the model's window\), got 0\.0; give a hop in that "
                      r"range \(--hop-s for earmark listen\), e\.g\. 0\.1$"),
     ({"hop_s": 1e-6}, r"hop_s must be 0.01 to 1.0 seconds"),  # a million predictions a second
     ({"hop_s": 1.5}, r"hop_s must be 0.01 to 1.0 seconds \(the model's window\), got 1\.5"),
     ({"hop_s": float("nan")}, r"hop_s must be 0.01 to 1.0 seconds"),
     ({"smoothing": 1.0}, r"smoothing must be in \[0, 1\), got 1\.0"),
     ({"smoothing": "0.5"}, r"smoothing must be in \[0, 1\), got '0.5'")],
)
def test_bad_settings_are_refused(trained_classifier: Classifier, kwargs: dict[str, object], match: str) -> None:
    settings: dict[str, object] = {"sample_rate": SR, "hop_s": 0.1, "smoothing": 0.0} | kwargs
    with pytest.raises(ParameterError, match=match):
        StreamingClassifier(trained_classifier, **settings)  # type: ignore[arg-type]


def test_a_chunk_of_the_wrong_shape_is_refused(stream: StreamingClassifier) -> None:
    with pytest.raises(ParameterError, match=r"chunk: expected shape \(samples,\) or \(channels, samples\), got "
                                             r"\(1, 2, 3\)"):
        stream.feed(np.zeros((1, 2, 3), np.float32))
    # sounddevice's callback gives (frames, channels): refused, not heard as 1024 channels of 2 samples
    with pytest.raises(ParameterError, match=r"chunk: shape \(1024, 2\) would be 1024 channels .* pass data.T"):
        stream.feed(np.zeros((1024, 2), np.float32))
    with pytest.raises(ParameterError, match=r"chunk: expected real-valued audio samples"):
        stream.feed(np.zeros(1024, np.complex64))
    assert stream.time_s == 0.0


def test_integer_chunks_are_scaled_like_predict_scales_them(trained_classifier: Classifier) -> None:
    # int16 chunks were clipped to ±1000 (full scale many times over) and heard as noise
    y = recording() * 0.5
    as_int16 = np.round(y * 32768).astype(np.int16)
    a = probs(feed_all(trained_classifier.stream(sample_rate=SR, hop_s=0.5), as_int16, 4096))
    b = probs(feed_all(trained_classifier.stream(sample_rate=SR, hop_s=0.5), y, 4096))
    np.testing.assert_allclose(a, b, atol=1e-3)


# -- the start of a stream ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_room_tone_is_background_from_the_first_prediction(trained_classifier: Classifier, seed: int) -> None:
    """A stream of plain room tone is background from its first prediction on. It once started
    from a window of digital silence: the step into sound was heard as a drum hit, so the first
    half second was "drums" (up to 0.99) before it turned to background."""
    y = room_noise(np.random.default_rng(seed), duration_s=1.5) * np.float32(10 ** (-20 / 20))
    preds = feed_all(trained_classifier.stream(sample_rate=SR, hop_s=0.1), y, 1024)
    assert [p.label for p in preds] == ["background"] * len(preds), [(p.time_s, p.label) for p in preds]
    # measured: 0.96-0.97 from the first prediction on (with zero-padding: 0.4-0.6 until 0.9 s)
    assert min(p.confidence for p in preds) > 0.9
    assert preds[0].time_s == pytest.approx(0.3)


def test_drums_from_the_start_are_drums(trained_classifier: Classifier) -> None:
    """Looping what was heard does not turn a groove into something else."""
    rng = np.random.default_rng(7)
    groove = np.zeros(int(1.5 * SR), np.float32)
    for at in np.arange(0, 1.5, 0.25):  # a hit every 0.25 s
        hit = drum_hit(rng, duration_s=0.12)
        i = int(at * SR)
        groove[i : i + hit.size] += hit[: groove.size - i]
    preds = feed_all(trained_classifier.stream(sample_rate=SR, hop_s=0.1), groove, 1024)
    assert [p.label for p in preds] == ["drums"] * len(preds), [(p.time_s, p.label) for p in preds]
