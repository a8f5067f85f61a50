"""Tests for earmark.classifier: predicting clips, files and batches with a trained tiny model."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from conftest import bass_note, drum_hit, room_noise
from earmark.classifier import FOLD_FROM_WINDOWS, FORWARD_WINDOWS, Classifier, Prediction, loop_to
from earmark.errors import AudioDecodeError, ParameterError

SR = 22050
MakeClassifier = Callable[..., Classifier]
SOUNDS = {"background": room_noise, "bass": bass_note, "drums": drum_hit}


def sound(label: str, *, seed: int = 10, sample_rate: int = SR) -> np.ndarray:
    return SOUNDS[label](np.random.default_rng(seed), sample_rate=sample_rate)


def assert_is_distribution(p: np.ndarray) -> None:
    assert (p >= 0).all() and (p <= 1).all()
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=1e-5)


# -- one clip -------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["background", "bass", "drums"])
def test_predict_names_the_sound(trained_classifier: Classifier, label: str) -> None:
    pred = trained_classifier.predict(sound(label), sample_rate=SR)
    assert pred.label == label
    assert pred.confidence > 0.5


def test_a_prediction_holds_every_class_in_label_order(trained_classifier: Classifier) -> None:
    pred = trained_classifier.predict(sound("bass"), sample_rate=SR)
    assert list(pred.probabilities) == ["background", "bass", "drums"]
    assert_is_distribution(np.array(list(pred.probabilities.values())))
    assert pred.confidence == pred.probabilities[pred.label] == max(pred.probabilities.values())
    assert (pred.source, pred.time_s) == (None, None)
    d = pred.to_dict()
    assert set(d) == {"label", "confidence", "probabilities"}
    assert d["confidence"] == round(pred.confidence, 4)


def test_prediction_to_dict_names_file_and_time_when_known() -> None:
    pred = Prediction(label="bass", probabilities={"bass": 0.123456, "drums": 0.876544}, source="a.wav",
                      time_s=1.23456)
    assert pred.to_dict() == {"label": "bass", "confidence": 0.1235, "probabilities": {"bass": 0.1235,
                              "drums": 0.8765}, "file": "a.wav", "time_s": 1.235}


@pytest.mark.parametrize("rate", [44100, 48000])
def test_audio_at_another_rate_is_resampled_to_the_model_rate(trained_classifier: Classifier, rate: int) -> None:
    """A bass note rendered at 44.1 / 48 kHz is the same note: the same probabilities, nearly."""
    at_model_rate = trained_classifier.predict(sound("bass"), sample_rate=SR)
    at_file_rate = trained_classifier.predict(sound("bass", sample_rate=rate), sample_rate=rate)
    assert at_file_rate.label == "bass"
    for label in trained_classifier.labels:
        assert at_file_rate.probabilities[label] == pytest.approx(at_model_rate.probabilities[label], abs=0.01)


def test_resampling_matches_an_independent_resampler(trained_classifier: Classifier) -> None:
    y = sound("drums")
    up = resample_poly(y, 2, 1).astype(np.float32)  # scipy's polyphase filter, not soxr: 44.1 kHz
    a = trained_classifier.predict(y, sample_rate=SR).probabilities
    b = trained_classifier.predict(up, sample_rate=2 * SR).probabilities
    assert max(abs(a[k] - b[k]) for k in a) < 0.02


def test_stereo_is_mixed_to_mono(trained_classifier: Classifier) -> None:
    n = int(0.8 * SR)
    left, right = sound("bass")[:n], sound("drums")[:n]
    stereo = trained_classifier.predict(np.stack([left, right]), sample_rate=SR)
    mono = trained_classifier.predict((left + right) / 2, sample_rate=SR)
    assert stereo.probabilities == pytest.approx(mono.probabilities, abs=1e-6)


def test_a_hit_followed_by_silence_is_still_a_hit(trained_classifier: Classifier) -> None:
    """Windows are weighted by level, so three seconds of silence after a drum hit do not outvote it."""
    y = np.concatenate([sound("drums"), np.zeros(3 * SR, np.float32)])
    assert trained_classifier.predict(y, sample_rate=SR).label == "drums"


def test_predict_hears_the_end_of_a_clip(trained_classifier: Classifier) -> None:
    """1.4 s, 1 s windows every 0.5 s: windows at 0 and 0.4 s, weighted by RMS relative to the louder."""
    y = np.concatenate([np.zeros(int(0.4 * SR), np.float32), sound("bass")[:SR]])
    windows = np.stack([y[:SR], y[-SR:]])
    rms = np.sqrt((windows.astype(np.float64) ** 2).mean(axis=1))
    weights = np.maximum(rms / rms.max(), 0.05)
    expected = weights @ trained_classifier.score_windows(windows) / weights.sum()
    got = trained_classifier.predict(y, sample_rate=SR)
    np.testing.assert_allclose(list(got.probabilities.values()), expected, atol=1e-5)

@pytest.mark.parametrize(
    ("samples", "error", "match"),
    [(np.array([0.1, np.nan] * 1000, np.float32), AudioDecodeError, r"audio: holds NaN or infinite sample values"),
     (np.zeros(0, np.float32), AudioDecodeError, r"audio: holds no audio samples"),
     (np.zeros((0, 100), np.float32), AudioDecodeError, r"audio: holds no audio samples"),
     (np.zeros((1, 2, 100), np.float32), ParameterError, r"expected shape \(samples,\) or \(channels, samples\)")],
)
def test_unusable_audio_is_refused(trained_classifier: Classifier, samples: np.ndarray, error: type[Exception],
                                   match: str) -> None:
    with pytest.raises(error, match=match):
        trained_classifier.predict(samples, sample_rate=SR)


@pytest.mark.parametrize(
    ("rate", "match"),
    [(0, r"sample_rate must be 1000 to 768000 Hz, got 0"),
     (48, r"got 48; give the rate in hertz \(48000, not 48\)"),
     (2**63, r"768000 Hz, got 9223372036854775808"),  # once hung soxr for good
     (float("nan"), r"sample_rate must be a whole number of hertz \(e.g. 44100\), got nan"),
     (44100.5, r"whole number of hertz .*got 44100.5"),
     (True, r"whole number of hertz .*got True"),
     ("44100", r"whole number of hertz .*got '44100'")],
)
def test_a_bad_sample_rate_is_refused(trained_classifier: Classifier, rate: object, match: str) -> None:
    for call in (lambda: trained_classifier.predict(sound("bass"), sample_rate=rate),  # type: ignore[arg-type]
                 lambda: trained_classifier.timeline(sound("bass"), sample_rate=rate),  # type: ignore[arg-type]
                 lambda: trained_classifier.stream(sample_rate=rate)):  # type: ignore[arg-type]
        with pytest.raises(ParameterError, match=match):
            call()


def test_a_whole_float_sample_rate_is_a_rate(trained_classifier: Classifier) -> None:
    y = sound("bass", sample_rate=44100)
    assert trained_classifier.predict(y, sample_rate=44100.0) == trained_classifier.predict(y, sample_rate=44100)


def test_samples_by_channels_is_refused_not_misread(trained_classifier: Classifier) -> None:
    # soundfile.read and sounddevice give (samples, channels); read as (channels, samples) that is
    # 26460 "channels" of 2 samples, which once gave a confident label for nothing.
    stereo = np.stack([sound("bass"), sound("bass")], axis=1)
    for call in (lambda: trained_classifier.predict(stereo, sample_rate=SR),
                 lambda: trained_classifier.timeline(stereo, sample_rate=SR),
                 lambda: trained_classifier.stream(sample_rate=SR).feed(stereo[:2048])):
        with pytest.raises(ParameterError, match=r"\(samples, channels\): pass data.T"):
            call()
    mono = trained_classifier.predict(stereo[:, 0], sample_rate=SR)
    assert trained_classifier.predict(stereo.T, sample_rate=SR) == mono


def test_integer_pcm_is_scaled_to_full_scale(trained_classifier: Classifier) -> None:
    y = sound("drums") * 0.5
    as_int16 = np.round(y * 32768).astype(np.int16)
    got, expected = trained_classifier.predict(as_int16, sample_rate=SR), trained_classifier.predict(y, sample_rate=SR)
    assert got.label == expected.label
    np.testing.assert_allclose(list(got.probabilities.values()), list(expected.probabilities.values()), atol=1e-3)


@pytest.mark.parametrize("samples", ["song.wav", None, np.array([1 + 1j] * 2000), np.ones(2000, bool)])
def test_what_is_not_audio_samples_is_refused(trained_classifier: Classifier, samples: object) -> None:
    with pytest.raises(ParameterError, match=r"audio: expected"):
        trained_classifier.predict(samples, sample_rate=SR)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"audio: expected"):
        trained_classifier.timeline(samples, sample_rate=SR)  # type: ignore[arg-type]


# -- windows --------------------------------------------------------------------------------------


def test_window_probabilities_score_every_window(trained_classifier: Classifier) -> None:
    y = np.concatenate([sound("background"), sound("bass"), sound("drums")])[: 3 * SR]
    probs, starts = trained_classifier.window_probabilities(y, sample_rate=SR)
    np.testing.assert_array_equal(starts, [0.0, 0.5, 1.0, 1.5, 2.0])  # 1 s windows every 0.5 s (manifest)
    assert probs.shape == (5, 3)
    assert_is_distribution(probs)
    probs, starts = trained_classifier.window_probabilities(y, sample_rate=SR, hop_s=0.25)
    # hop 5512.5 samples → 5512: eight hops end 4 samples short of 3 s, so one more window ends there
    np.testing.assert_allclose(starts, [*(np.arange(9) * 5512 / SR), 2.0])
    assert probs.shape == (10, 3)


def test_window_probabilities_do_not_depend_on_batch_size(trained_classifier: Classifier) -> None:
    y = np.concatenate([sound("background"), sound("bass"), sound("drums")])
    small = trained_classifier.window_probabilities(y, sample_rate=SR, hop_s=0.25, batch_size=3)
    big = trained_classifier.window_probabilities(y, sample_rate=SR, hop_s=0.25)
    np.testing.assert_allclose(small[0], big[0], atol=1e-6)
    np.testing.assert_array_equal(small[1], big[1])


def test_a_long_recording_is_scored_without_copying_all_its_windows(make_untrained: MakeClassifier) -> None:
    """60 s with 1 s windows every 0.25 s is 238 windows, 21 MB as one array; scored 16 at a
    time from a view, numpy never holds more than a few MB (the recording itself is 5 MB)."""
    clf = make_untrained()
    y = (0.1 * np.random.default_rng(0).standard_normal(60 * SR)).astype(np.float32)
    tracemalloc.start()
    try:
        probs, starts = clf.window_probabilities(y, sample_rate=SR, hop_s=0.25, batch_size=16)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert probs.shape == (len(starts), 3) and len(starts) == 238
    assert peak < 8_000_000, f"peak {peak / 1e6:.1f} MB"


def test_timeline_batches_agree_with_one_window_at_a_time(trained_classifier: Classifier) -> None:
    y = np.concatenate([sound("background"), sound("drums")])
    tl = trained_classifier.timeline(y, sample_rate=SR, hop_s=0.25, smooth_s=0.0)
    probs, starts = trained_classifier.window_probabilities(y, sample_rate=SR, hop_s=0.25)
    one_by_one = np.concatenate([trained_classifier.score_windows(y[None, int(round(s * SR)):][:, :SR])
                                 for s in starts])
    np.testing.assert_allclose(probs, one_by_one, atol=1e-6)
    np.testing.assert_allclose(tl.probabilities, probs, atol=1e-6)


def test_window_probabilities_are_the_windows_scores(trained_classifier: Classifier) -> None:
    y = sound("bass")[:SR]
    probs, _ = trained_classifier.window_probabilities(y, sample_rate=SR)
    np.testing.assert_allclose(probs, trained_classifier.score_windows(y[None, :]), atol=1e-6)


def test_window_probabilities_of_44k_audio_use_model_rate_windows(trained_classifier: Classifier) -> None:
    probs, starts = trained_classifier.window_probabilities(np.zeros(3 * 44100, np.float32), sample_rate=44100)
    np.testing.assert_array_equal(starts, [0.0, 0.5, 1.0, 1.5, 2.0])
    assert probs.shape == (5, 3)


# -- batches --------------------------------------------------------------------------------------


def test_predict_clips_agrees_with_predict(trained_classifier: Classifier) -> None:
    clips = [sound(label, seed=s) for s in (1, 2) for label in ("background", "bass", "drums")]
    batch = trained_classifier.predict_clips(clips)
    assert batch.shape == (6, 3) and batch.dtype == np.float32
    assert_is_distribution(batch)
    for row, y in zip(batch, clips):
        single = trained_classifier.predict(y, sample_rate=SR)
        np.testing.assert_allclose(row, list(single.probabilities.values()), atol=1e-5)
    assert [trained_classifier.labels[i] for i in batch.argmax(axis=1)] == ["background", "bass", "drums"] * 2


def test_predict_clips_does_not_depend_on_batch_size(trained_classifier: Classifier) -> None:
    clips = [sound("bass", seed=s) for s in range(4)]
    np.testing.assert_allclose(trained_classifier.predict_clips(clips, batch_size=1),
                               trained_classifier.predict_clips(clips, batch_size=256), atol=1e-5)


@pytest.mark.parametrize(
    ("clip", "error", "match"),
    [(np.full(SR, np.nan, np.float32), AudioDecodeError, r"clip 1: holds NaN or infinite"),
     (np.full(SR, 1e30, np.float32), AudioDecodeError, r"clip 1: sample values reach 1e\+30"),
     (np.zeros(0, np.float32), AudioDecodeError, r"clip 1: holds no audio samples"),
     (np.zeros((2, SR), np.float32), ParameterError, r"clip 1: predict_clips takes mono clips")],
)
def test_predict_clips_refuses_what_predict_refuses(trained_classifier: Classifier, clip: np.ndarray,
                                                    error: type[Exception], match: str) -> None:
    # It returned NaN probabilities for the first three without a word.
    with pytest.raises(error, match=match):
        trained_classifier.predict_clips([sound("bass"), clip])


def test_predict_clips_of_nothing_is_empty(trained_classifier: Classifier) -> None:
    assert trained_classifier.predict_clips([]).shape == (0, 3)


def test_predict_file_matches_predict(trained_classifier: Classifier, tmp_path: Path) -> None:
    y = sound("drums", sample_rate=44100)
    path = tmp_path / "hit.wav"
    sf.write(path, y, 44100, subtype="FLOAT")
    from_file = trained_classifier.predict_file(path)
    from_array = trained_classifier.predict(y, sample_rate=44100)
    assert from_file.source == str(path)
    assert from_file.label == from_array.label == "drums"
    assert from_file.probabilities == pytest.approx(from_array.probabilities, abs=1e-5)


def test_predict_file_names_a_missing_file(trained_classifier: Classifier, tmp_path: Path) -> None:
    with pytest.raises(AudioDecodeError, match=r"gone\.wav: no such file; check the path"):
        trained_classifier.predict_file(tmp_path / "gone.wav")


def test_predict_files_reports_bad_files_and_carries_on(trained_classifier: Classifier, tmp_path: Path) -> None:
    paths = []
    for name, label in [("a_bass.wav", "bass"), ("b_drums.flac", "drums")]:
        sf.write(tmp_path / name, sound(label), SR)
        paths.append(tmp_path / name)
    (tmp_path / "c_broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    sf.write(tmp_path / "d_room.wav", sound("background", sample_rate=48000), 48000)
    paths += [tmp_path / "c_broken.wav", tmp_path / "d_room.wav", tmp_path / "e_missing.wav"]
    preds, failed = trained_classifier.predict_files(paths)
    assert [(Path(p.source or "").name, p.label) for p in preds] == [
        ("a_bass.wav", "bass"), ("b_drums.flac", "drums"), ("d_room.wav", "background")]
    assert [Path(p).name for p, _ in failed] == ["c_broken.wav", "e_missing.wav"]
    assert "could not be decoded as audio" in failed[0][1]
    assert failed[1][1].endswith("e_missing.wav: no such file; check the path")
    single = trained_classifier.predict_file(tmp_path / "b_drums.flac")
    assert preds[1].probabilities == pytest.approx(single.probabilities, abs=1e-5)


def test_predict_files_with_only_bad_files(trained_classifier: Classifier, tmp_path: Path) -> None:
    preds, failed = trained_classifier.predict_files([tmp_path / "x.wav"])
    assert preds == [] and len(failed) == 1


def test_predict_files_searches_folders(trained_classifier: Classifier, tmp_path: Path) -> None:
    folder = tmp_path / "takes"
    (folder / "later").mkdir(parents=True)
    sf.write(folder / "b_drums.wav", sound("drums"), SR)
    sf.write(folder / "later" / "a_bass.flac", sound("bass"), SR)
    (folder / "notes.txt").write_text("not audio, not looked at")
    single = tmp_path / "room.wav"
    sf.write(single, sound("background"), SR)
    preds, failed = trained_classifier.predict_files([single, folder])
    assert failed == []
    assert [(Path(p.source or "").relative_to(tmp_path).as_posix(), p.label) for p in preds] == [
        ("room.wav", "background"), ("takes/b_drums.wav", "drums"), ("takes/later/a_bass.flac", "bass")]


def test_predict_files_reports_a_folder_without_audio(trained_classifier: Classifier, tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("-")
    preds, failed = trained_classifier.predict_files([tmp_path])
    assert preds == []
    assert failed == [(str(tmp_path), f"{tmp_path}: holds no audio files; give audio files or folders holding some")]


def test_predict_files_in_chunks_gives_the_same_predictions(trained_classifier: Classifier, tmp_path: Path) -> None:
    paths = []
    for i, label in enumerate(["bass", "drums", "background", "bass", "drums"]):
        sf.write(tmp_path / f"{i}.wav", sound(label, seed=i), SR)
        paths.append(tmp_path / f"{i}.wav")
    (tmp_path / "2_broken.wav").write_bytes(b"RIFFjunk")
    paths.insert(2, tmp_path / "2_broken.wav")
    whole, failed_whole = trained_classifier.predict_files(paths)
    chunked, failed_chunked = trained_classifier.predict_files(paths, chunk_files=2)
    assert [p.source for p in chunked] == [p.source for p in whole] == [str(p) for p in paths if "broken" not in p.name]
    for a, b in zip(chunked, whole):
        assert a.probabilities == pytest.approx(b.probabilities, abs=1e-6)
    assert failed_chunked == failed_whole and len(failed_whole) == 1


def test_predict_files_decodes_a_chunk_at_a_time(trained_classifier: Classifier, tmp_path: Path) -> None:
    """Five files of 1.2 s (bass) or 0.8 s (drums): by count, 2 + 2 + 1; by duration (1 s), a
    chunk closes at the file that brings it to 1 s."""
    paths = []
    for i, label in enumerate(["bass", "drums", "bass", "bass", "drums"]):
        sf.write(tmp_path / f"{i}.wav", sound(label, seed=i), SR)
        paths.append(tmp_path / f"{i}.wav")
    failed: list[tuple[str, str]] = []
    by_count = trained_classifier._decoded_chunks(paths, failed, chunk_files=2, chunk_s=600.0)
    assert [[Path(name).name for name, _ in chunk] for chunk in by_count] == [["0.wav", "1.wav"], ["2.wav", "3.wav"],
                                                                               ["4.wav"]]
    by_time = trained_classifier._decoded_chunks(paths, failed, chunk_files=64, chunk_s=1.0)
    assert [len(chunk) for chunk in by_time] == [1, 2, 1, 1]  # 1.2, 0.8 + 1.2, 1.2, 0.8
    assert failed == []


def test_predict_files_takes_one_path_as_one_path(trained_classifier: Classifier, tmp_path: Path) -> None:
    # A str is iterable: it was walked character by character, "/" included.
    sf.write(tmp_path / "a.wav", sound("drums"), SR)
    for given in (str(tmp_path / "a.wav"), tmp_path / "a.wav", str(tmp_path)):
        predictions, failed = trained_classifier.predict_files(given)  # type: ignore[arg-type]
        assert [p.source for p in predictions] == [str(tmp_path / "a.wav")] and failed == []
    with pytest.raises(ParameterError, match="not bytes"):
        trained_classifier.predict_files(str(tmp_path).encode())  # type: ignore[arg-type]


@pytest.mark.parametrize(("chunk_files", "chunk_s"), [(0, 600.0), (64, 0.0), (64, float("inf"))])
def test_predict_files_refuses_bad_chunk_sizes(trained_classifier: Classifier, chunk_files: int,
                                               chunk_s: float) -> None:
    with pytest.raises(ParameterError, match=r"chunk_files must be at least 1 and chunk_s positive, got"):
        trained_classifier.predict_files([], chunk_files=chunk_files, chunk_s=chunk_s)

# -- views ----------------------------------------------------------------------------------------


def test_timeline_of_a_recording_covers_it_end_to_end(trained_classifier: Classifier) -> None:
    rng = np.random.default_rng(4)
    y = np.concatenate([room_noise(rng, duration_s=3.0), bass_note(rng, duration_s=2.5)])
    tl = trained_classifier.timeline(y, sample_rate=SR)
    assert tl.duration_s == pytest.approx(5.5)
    assert tl.segments[0].start_s == 0.0 and tl.segments[-1].end_s == pytest.approx(5.5)
    assert all(a.end_s == b.start_s for a, b in zip(tl.segments, tl.segments[1:]))
    assert tl.segments[0].label == "background"
    assert tl.probabilities.shape == (len(tl.times_s), 3)


def test_stream_builds_a_streaming_classifier(trained_classifier: Classifier) -> None:
    stream = trained_classifier.stream(sample_rate=48000, hop_s=0.2, smoothing=0.5)
    assert (stream.classifier, stream.sample_rate, stream.hop_s, stream.smoothing) == (
        trained_classifier, 48000, 0.2, 0.5)


def test_an_untrained_model_still_gives_distributions(make_untrained: MakeClassifier) -> None:
    clf = make_untrained(sample_rate=16000)
    probs = clf.predict_clips([np.zeros(8000, np.float32), np.ones(40000, np.float32) * 0.1])
    assert probs.shape == (2, 3)
    assert_is_distribution(probs)


def test_many_windows_score_as_one_at_a_time(trained_classifier: Classifier) -> None:
    """A long run of windows goes through the network a few dozen at a time, with the batch norms
    folded: the same probabilities, to rounding, as each window scored alone with the network as
    trained."""
    rng = np.random.default_rng(3)
    n = 2 * FORWARD_WINDOWS + 7
    assert n >= FOLD_FROM_WINDOWS
    clips = [np.resize(sound(("background", "bass", "drums")[k % 3], seed=k), SR) for k in range(n)]
    windows = np.stack(clips) * rng.uniform(0.2, 1.0, size=(n, 1)).astype(np.float32)
    together = trained_classifier.score_windows(windows)
    alone = np.concatenate([trained_classifier.score_windows(w[None]) for w in windows])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(trained_classifier.score_windows(windows, batch_size=5), together, atol=1e-6)
    with pytest.raises(ParameterError, match="batch_size must be at least 1"):
        trained_classifier.score_windows(windows, batch_size=0)


def test_a_clip_shorter_than_a_window_is_scored_padded_however_short(trained_classifier: Classifier) -> None:
    """An array is the caller's sound: a 30 ms hi-hat is scored (zero-padded to a window, as training
    shows a one-shot: looped, a hit becomes a roll), as the 50 ms floor is for files, where it catches
    broken ones (an array of 1 sample is scored too)."""
    hat = np.random.default_rng(0).normal(0, 0.2, int(0.03 * SR)).astype(np.float32)
    padded = np.concatenate([hat, np.zeros(trained_classifier.window_samples - hat.size, np.float32)])
    np.testing.assert_allclose(trained_classifier.predict_clips([hat])[0],
                               trained_classifier.score_windows(padded[None])[0], atol=1e-6)
    assert trained_classifier.predict(hat[:1], sample_rate=SR).label in trained_classifier.labels


def test_loop_to_repeats_a_start_to_fill_a_window_ending_with_its_last_sample() -> None:
    """What a live stream scores before a whole window is heard."""
    y = np.arange(1, 4, dtype=np.float32)
    np.testing.assert_array_equal(loop_to(y, 7), [3, 1, 2, 3, 1, 2, 3])
    assert loop_to(y, 3) is y and loop_to(y, 2) is y


def test_a_timeline_folded_into_one_segment_names_what_predict_names(trained_classifier: Classifier) -> None:
    """Drum hits with quiet room tone between them: most windows sound like room tone, but predict
    weighs the loud windows more and says drums. A timeline whose shortest segment is longer than
    the recording is one segment, and it names the same label (it once took the plain mean of its
    windows, and the room tone won)."""
    rng = np.random.default_rng(0)
    y = np.concatenate([np.concatenate([drum_hit(rng), room_noise(rng, duration_s=1.2)]) for _ in range(4)])
    probs, _ = trained_classifier.window_probabilities(y, sample_rate=SR, hop_s=0.25)
    assert trained_classifier.labels[int(probs.mean(axis=0).argmax())] == "background"  # by the plain mean
    predicted = trained_classifier.predict(y, sample_rate=SR)
    assert predicted.label == "drums"
    for smooth_s in (0.0, 1.0):
        tl = trained_classifier.timeline(y, sample_rate=SR, smooth_s=smooth_s, min_segment_s=3600.0)
        assert [s.label for s in tl.segments] == [predicted.label]
        assert (tl.segments[0].start_s, tl.segments[0].end_s) == (0.0, pytest.approx(len(y) / SR))


def test_the_sure_level_is_how_sure_the_model_was_of_95_percent_of_its_right_validation_answers(
        make_untrained: Callable[..., Classifier]) -> None:
    clf = make_untrained()
    assert clf.sure_level is None  # not trained by earmark.train: no validation clips
    right = [{"true": "bass", "predicted": "bass", "confidence": c} for c in np.linspace(0.6, 1.0, 21)]
    wrong = [{"true": "bass", "predicted": "drums", "confidence": 0.35}] * 5  # not how sure a right answer is
    clf.manifest.metrics["validation_clips"] = right + wrong
    assert clf.sure_level == pytest.approx(0.62)  # the 5th percentile of 0.60, 0.62, …, 1.00
    clf.manifest.metrics["validation_clips"] = right[:9] + wrong
    assert clf.sure_level is None, "nine right answers are too few to say where 95 % of them lie"


def test_score_windows_takes_windows_of_any_number_type_and_says_what_shape_it_needs(
        trained_classifier: Classifier) -> None:
    """float64 windows raised torch's "expected scalar type Double but found Float"; a wrong shape,
    a torch error about convolutions."""
    rng = np.random.default_rng(0)
    windows = np.stack([bass_note(rng)[:SR], room_noise(rng)[:SR]]).astype(np.float64)
    np.testing.assert_allclose(trained_classifier.score_windows(windows),
                               trained_classifier.score_windows(windows.astype(np.float32)), atol=1e-6)
    with pytest.raises(ParameterError, match=rf"expected shape \(n, {SR}\).*got \(2, 100\); to label audio of any "
                                             "length, use predict"):
        trained_classifier.score_windows(windows[:, :100])
