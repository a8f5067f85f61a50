"""Tests for earmark.evaluate: scores computed by hand, evaluation of a test folder, comparison."""

from __future__ import annotations

import json
import shutil
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earmark.classifier import Classifier
from earmark.dataset import Skipped, load_dataset
from earmark.errors import DatasetError, ParameterError
from earmark.evaluate import Comparison, EvaluationReport, compare, evaluate, report_from_probabilities, same_model
from earmark.project import PROJECT_FILE, RENAME_LOG, Project
from earmark.train import TrainSettings, train

LABELS = ["background", "bass", "drums"]
MakeClassifier = Callable[..., Classifier]


def one_hot(predicted: list[str], confidence: float = 0.7) -> np.ndarray:
    rest = (1 - confidence) / 2
    return np.array([[confidence if lab == p else rest for lab in LABELS] for p in predicted])


# -- the numbers, by hand -------------------------------------------------------------------------
#
#   true:       bg bg  bass bass bass  drums drums
#   predicted:  bg bass bass bass drums drums drums
#
#   confusion (rows true, columns predicted):  bg [1 1 0]   bass [0 2 1]   drums [0 0 2]
#   accuracy 5/7;  precision bg 1/1, bass 2/3, drums 2/3;  recall bg 1/2, bass 2/3, drums 2/2
#   F1 bg 2/3, bass 2/3, drums 0.8  →  macro-F1 (2/3 + 2/3 + 4/5) / 3 = 32/45 = 0.7111

TRUE = ["background", "background", "bass", "bass", "bass", "drums", "drums"]
PREDICTED = ["background", "bass", "bass", "bass", "drums", "drums", "drums"]
NAMES = [f"clip{i}.wav" for i in range(7)]


def test_accuracy_macro_f1_and_confusion_by_hand() -> None:
    report = report_from_probabilities(one_hot(PREDICTED), TRUE, NAMES, labels=LABELS)
    assert report.accuracy == pytest.approx(5 / 7)
    assert report.macro_f1 == pytest.approx(32 / 45)
    assert report.confusion == [[1, 1, 0], [0, 2, 1], [0, 0, 2]]
    assert report.n_clips == 7
    assert report.per_class == {
        "background": {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2},
        "bass": {"precision": 0.6667, "recall": 0.6667, "f1": 0.6667, "support": 3},
        "drums": {"precision": 0.6667, "recall": 1.0, "f1": 0.8, "support": 2},
    }


def test_the_mistakes_are_listed_with_their_confidence() -> None:
    probs = one_hot(PREDICTED)
    probs[4] = [0.1, 0.35, 0.55]
    report = report_from_probabilities(probs, TRUE, NAMES, labels=LABELS)
    assert report.misclassified == [
        {"file": "clip1.wav", "true": "background", "predicted": "bass", "confidence": 0.7},
        {"file": "clip4.wav", "true": "bass", "predicted": "drums", "confidence": 0.55},
    ]


def test_the_same_numbers_as_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    report = report_from_probabilities(one_hot(PREDICTED), TRUE, NAMES, labels=LABELS)
    assert report.macro_f1 == pytest.approx(metrics.f1_score(TRUE, PREDICTED, average="macro"))
    assert report.confusion == metrics.confusion_matrix(TRUE, PREDICTED, labels=LABELS).tolist()


def test_perfect_predictions_score_1() -> None:
    report = report_from_probabilities(one_hot(TRUE), TRUE, NAMES, labels=LABELS)
    assert (report.accuracy, report.macro_f1, report.misclassified) == (1.0, 1.0, [])
    assert report.confusion == [[2, 0, 0], [0, 3, 0], [0, 0, 2]]


def test_macro_f1_averages_the_classes_in_the_test_set() -> None:
    """No drums clip in the test set: drums has no support, so it is left out of macro-F1 (its
    F1 is undefined), while the bass clip wrongly called drums still lowers bass recall."""
    true, predicted = ["background", "bass", "bass"], ["background", "bass", "drums"]
    report = report_from_probabilities(one_hot(predicted), true, NAMES[:3], labels=LABELS)
    # F1 bg 1, bass: precision 1, recall 1/2 → 2/3;  macro (1 + 2/3) / 2 = 5/6
    assert report.macro_f1 == pytest.approx(5 / 6)
    assert report.per_class["drums"] == {"precision": 0.0, "recall": None, "f1": None, "support": 0}


def test_an_empty_test_set_gives_nan_not_a_crash() -> None:
    report = report_from_probabilities(np.zeros((0, 3)), [], [], labels=LABELS)
    assert np.isnan(report.accuracy) and np.isnan(report.macro_f1)
    assert report.confusion == [[0, 0, 0]] * 3


def test_report_dict_and_text() -> None:
    report = report_from_probabilities(one_hot(PREDICTED), TRUE, NAMES, labels=LABELS)
    report.skipped = [Skipped("bass/notes.txt", "not an audio file (.txt)")]
    d = report.to_dict()
    assert d["accuracy"] == 0.7143 and d["macro_f1"] == 0.7111 and d["n_clips"] == 7
    assert d["confusion"] == {"labels": LABELS, "matrix": [[1, 1, 0], [0, 2, 1], [0, 0, 2]]}
    assert d["skipped"] == [{"path": "bass/notes.txt", "reason": "not an audio file (.txt)"}]
    text = report.format()
    assert text.splitlines()[0] == "accuracy 71.4%   macro-F1 0.711   (7 clips)"
    assert "clip4.wav: bass → drums (70%)" in text
    assert "skipped bass/notes.txt: not an audio file (.txt)" in text
    assert "… and 1 more" in report.format(max_mistakes=1)


# -- evaluate() on folders ------------------------------------------------------------------------


def test_evaluate_a_test_folder(trained_classifier: Classifier, small_testset: Path) -> None:
    report = evaluate(trained_classifier, small_testset)
    assert report.n_clips == 18
    assert [sum(row) for row in report.confusion] == [6, 6, 6]  # _background_noise_ counts as background
    assert report.accuracy == pytest.approx(np.trace(report.confusion) / 18)
    assert report.accuracy >= 0.8
    assert report.seconds > 0
    # the same numbers as scoring the clips by hand
    ds = load_dataset(small_testset, sample_rate=trained_classifier.sample_rate)
    by_hand = report_from_probabilities(trained_classifier.predict_clips([c.samples for c in ds.clips]),
                                        [c.label for c in ds.clips], [c.name for c in ds.clips], labels=LABELS)
    by_hand.seen_in_training = []  # none of the test clips is a training clip
    assert report.to_dict() == by_hand.to_dict()


def test_evaluate_names_the_test_clips_the_model_was_trained_on(trained_classifier: Classifier, small_dataset: Path,
                                                               small_testset: Path, tmp_path: Path) -> None:
    """The classic mistake: training files copied into the test set. Found by their sound: a copy, and a
    FLAC of one, are named; the same file made quieter is other audio, and is not."""
    test = tmp_path / "test"
    shutil.copytree(small_testset, test)
    validation = {Path(c["file"]).name for c in trained_classifier.manifest.metrics["validation_clips"]}
    bass = sorted((small_dataset / "bass").glob("*.wav"))
    trained_on = [p for p in bass if p.name not in validation]
    assert len(trained_on) >= 6 and len(trained_on) < len(bass)  # some bass files were held out to validate
    for path in bass[:6]:
        shutil.copy(path, test / "bass" / f"copy_{path.name}")
    samples, rate = sf.read(trained_on[0], dtype="float32")
    sf.write(test / "bass" / "as_flac.flac", samples, rate, subtype="PCM_16")
    sf.write(test / "bass" / "quieter.wav", 0.5 * samples, rate, subtype="PCM_16")

    report = evaluate(trained_classifier, test)
    expected = sorted([f"bass/copy_{p.name}" for p in bass[:6] if p in trained_on] + ["bass/as_flac.flac"])
    assert [Path(n).parent.name + "/" + Path(n).name for n in report.seen_in_training] == expected
    [warning] = [w for w in report.warnings() if "trained on" in w]
    assert warning.startswith(f"{len(expected)} of the {report.n_clips} test clips are audio the model was trained on")
    assert "take them out of the test set" in warning
    d = report.to_dict()
    assert d["seen_in_training"] == report.seen_in_training and warning in d["warnings"]
    assert f"warning: {warning}" in report.format()
    assert EvaluationReport.from_dict(d).seen_in_training == report.seen_in_training
    # comparing two models on such a set: each one's warning, by name
    # another model: its own weights digest (the shared classifier has one once an earlier test saved it, and
    # one that differs from it only in its training set's facts is the same model, which compare refuses)
    other = Classifier(trained_classifier.model,
                       replace(trained_classifier.manifest, dataset={}, weights_sha256="0" * 64))
    text = compare(trained_classifier, other, test, model_a="mine.earmark", model_b="old.earmark").format()
    assert f"warning (mine.earmark): {warning}" in text and "warning (old.earmark)" not in text


def test_a_model_file_without_fingerprints_does_not_guess(trained_classifier: Classifier, small_dataset: Path) -> None:
    """Model files from before earmark kept its training clips' fingerprints: not known, not 'none'."""
    older = Classifier(trained_classifier.model, replace(trained_classifier.manifest, dataset={
        k: v for k, v in trained_classifier.manifest.dataset.items() if k != "train_fingerprints"}))
    report = evaluate(older, small_dataset)
    assert report.seen_in_training is None and report.to_dict()["seen_in_training"] is None
    assert not [w for w in report.warnings() if "trained on" in w]
    assert len(evaluate(trained_classifier, small_dataset).seen_in_training or []) > 20  # the training set itself


def test_evaluate_reports_skipped_files(trained_classifier: Classifier, small_testset: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(small_testset, tmp_path / "test")
    (folder / "bass" / "README.txt").write_text("bass notes\n")
    (folder / "drums" / "broken.wav").write_bytes(b"not audio at all")
    report = evaluate(trained_classifier, folder)
    assert report.n_clips == 18
    assert {s.path for s in report.skipped} == {"bass/README.txt", "drums/broken.wav"}


def test_a_test_class_the_model_does_not_know_is_an_error(
    trained_classifier: Classifier, small_testset: Path, tmp_path: Path
) -> None:
    folder = shutil.copytree(small_testset, tmp_path / "test")
    (folder / "guitar").mkdir()
    shutil.copy(folder / "bass" / "bass_000.wav", folder / "guitar" / "strum.wav")
    with pytest.raises(DatasetError, match=r"the test set has classes the model does not know: 'guitar'; "
                                           r"it knows 'background', 'bass', 'drums'\. Rename"):
        evaluate(trained_classifier, folder)
    with pytest.raises(DatasetError, match=r"the test set has classes a\.earmark does not know: 'guitar';"):
        compare(trained_classifier, trained_classifier, folder, model_a="a.earmark", model_b="b.earmark")


def test_a_test_folder_named_in_another_case_is_the_model_class(
    trained_classifier: Classifier, small_testset: Path, tmp_path: Path
) -> None:
    """``Bass/`` and ``DRUMS/`` are the model's ``bass`` and ``drums`` (class names are one name whatever
    their case, as the studio's are); a name that matches none, or two classes alike, is still refused."""
    folder = shutil.copytree(small_testset, tmp_path / "test")
    expected = evaluate(trained_classifier, folder)
    (folder / "bass").rename(folder / "Bass")
    (folder / "drums").rename(folder / "DRUMS")
    report = evaluate(trained_classifier, folder)
    assert report.labels == ["background", "bass", "drums"] and report.n_clips == 18
    assert report.confusion == expected.confusion
    assert compare(trained_classifier, trained_classifier, folder).a.confusion == expected.confusion
    (folder / "Guitar").mkdir()
    shutil.copy(folder / "Bass" / "bass_000.wav", folder / "Guitar" / "strum.wav")
    with pytest.raises(DatasetError, match=r"classes the model does not know: 'Guitar';"):
        evaluate(trained_classifier, folder)
    shutil.rmtree(folder / "Guitar")
    (folder / "Bass").rename(folder / "BASS")
    twins = Classifier(trained_classifier.model,  # refused before any scoring: the labels are what matters
                       replace(trained_classifier.manifest, labels=["background", "Bass", "bass", "drums"]))
    with pytest.raises(DatasetError, match=r"^the test set's folder 'BASS' matches the model's classes 'Bass' and "
                                           r"'bass', which differ only in case; rename it to the one its clips"):
        evaluate(twins, folder)


def test_test_folders_that_differ_only_in_case_are_not_merged_silently(
    trained_classifier: Classifier, small_testset: Path, tmp_path: Path
) -> None:
    """``Bass/`` beside ``bass/`` would both be the model's ``bass``: refused, naming both folders
    and what to do; once they are one folder, it scores as ``bass``."""
    folder = shutil.copytree(small_testset, tmp_path / "test")
    (folder / "Bass").mkdir()
    shutil.move(folder / "bass" / "bass_000.wav", folder / "Bass" / "bass_000.wav")
    with pytest.raises(DatasetError, match=r"^the test set's folders 'Bass' and 'bass' differ only in case, and each "
                                           r"would be the model's class 'bass'; move their files into one folder "
                                           r"named 'bass'"):
        evaluate(trained_classifier, folder)
    (folder / "bass").rename(folder / "BASS")
    with pytest.raises(DatasetError, match=r"folders 'BASS' and 'Bass' differ only in case"):
        compare(trained_classifier, trained_classifier, folder)
    shutil.move(folder / "Bass" / "bass_000.wav", folder / "BASS" / "bass_000.wav")
    shutil.rmtree(folder / "Bass")
    assert evaluate(trained_classifier, folder).per_class["bass"]["support"] == 6  # one folder: the model's bass


def test_a_test_set_without_audio_is_an_error(trained_classifier: Classifier, tmp_path: Path) -> None:
    (tmp_path / "bass").mkdir()
    (tmp_path / "bass" / "notes.txt").write_text("-")
    with pytest.raises(DatasetError, match=r"holds no usable audio; it needs one subfolder per class"):
        evaluate(trained_classifier, tmp_path)


def test_a_test_set_may_lack_some_classes(trained_classifier: Classifier, small_testset: Path, tmp_path: Path) -> None:
    folder = tmp_path / "only_drums"
    shutil.copytree(small_testset / "drums", folder / "drums")
    report = evaluate(trained_classifier, folder)
    assert report.n_clips == 6 and report.per_class["drums"]["support"] == 6


# -- sample rates ---------------------------------------------------------------------------------
#
# Rate mistakes hide from the bass/drums/background model (a bass note played slow is still a
# bass note), so these tests use a model that tells pitches apart: "low" tones 180-220 Hz and
# "high" tones 250-290 Hz, at 16 kHz. Audio at 22.05 kHz scored as if it were 16 kHz plays
# 27 % slower, so every high tone (182-211 Hz) would sound low.


def write_tones(root: Path, *, sample_rate: int, seed: int, per_class: int = 6) -> Path:
    rng = np.random.default_rng(seed)
    t = np.arange(int(0.6 * sample_rate)) / sample_rate
    for label, (lo, hi) in {"low": (180.0, 220.0), "high": (250.0, 290.0)}.items():
        (root / label).mkdir(parents=True)
        for i in range(per_class):
            f = rng.uniform(lo, hi)
            y = 0.3 * np.sin(2 * np.pi * f * t) + 0.1 * np.sin(4 * np.pi * f * t)
            sf.write(root / label / f"{label}_{i}.wav", y.astype(np.float32), sample_rate)
    return root


@pytest.fixture(scope="module")
def tones_testset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tones(tmp_path_factory.mktemp("tones") / "test", sample_rate=22050, seed=1)


@pytest.fixture(scope="module")
def pitch_classifier_16k(tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    data = write_tones(tmp_path_factory.mktemp("tones") / "train", sample_rate=22050, seed=0)
    settings = TrainSettings(arch="tiny", epochs=3, steps_per_epoch=10, batch_size=16, augment=False,
                             sample_rate=16000, window_s=0.5, hop_s=0.25, require_background=False)
    return train(data, settings=settings, progress=False)


def test_the_pitch_model_hears_pitch(pitch_classifier_16k: Classifier, tones_testset: Path) -> None:
    """The model these tests use must be one a rate mistake would show on: right on nearly every
    tone (a 3-epoch model may miss one, by seed), and wrong on most high tones played too slow."""
    assert pitch_classifier_16k.sample_rate == 16000
    assert evaluate(pitch_classifier_16k, tones_testset).accuracy >= 10 / 12
    highs = load_dataset(tones_testset, sample_rate=22050).clips
    slow = [pitch_classifier_16k.predict(c.samples, sample_rate=16000).label  # 22.05 kHz audio called 16 kHz
            for c in highs if c.label == "high"]
    assert slow.count("low") >= 4, slow


def test_a_loaded_dataset_at_another_rate_is_brought_to_the_model_rate(
    pitch_classifier_16k: Classifier, tones_testset: Path
) -> None:
    at_22k = load_dataset(tones_testset, sample_rate=22050)
    report = evaluate(pitch_classifier_16k, at_22k)
    # the same as reading the files at the model's rate: the same resampler, the same probabilities
    assert report.to_dict() == evaluate(pitch_classifier_16k, tones_testset).to_dict()


@pytest.mark.parametrize("as_dataset", [False, True])
def test_compare_models_at_different_rates(
    pitch_classifier_16k: Classifier, make_untrained: MakeClassifier, tones_testset: Path, as_dataset: bool
) -> None:
    """The second model (16 kHz) hears 16 kHz audio, whether given a folder or a set loaded for the first."""
    first = make_untrained(sample_rate=22050, labels=("high", "low"))
    data = load_dataset(tones_testset, sample_rate=22050) if as_dataset else tones_testset
    result = compare(first, pitch_classifier_16k, data)
    assert result.a.to_dict() == evaluate(first, tones_testset).to_dict()
    assert result.b.to_dict() == evaluate(pitch_classifier_16k, tones_testset).to_dict()


def test_compare_resamples_a_loaded_set_once_for_each_model(
    make_untrained: MakeClassifier, small_testset: Path
) -> None:
    """A set loaded at 44.1 kHz, an 8 kHz model first: the 22.05 kHz model must hear the clips
    resampled from 44.1 kHz, not from the 8 kHz copy (which has lost everything above 4 kHz).
    An untrained second model gets every clip wrong, so its report lists every confidence."""
    second = make_untrained(sample_rate=22050, seed=1)
    at_44k = load_dataset(small_testset, sample_rate=44100)
    result = compare(make_untrained(sample_rate=8000), second, at_44k)
    assert result.b.to_dict() == evaluate(second, at_44k).to_dict()
    at_8k = load_dataset(small_testset, sample_rate=8000)
    assert result.b.to_dict() != evaluate(second, at_8k).to_dict()  # the mistake would show


# -- compare --------------------------------------------------------------------------------------


def test_compare_scores_two_models_on_the_same_clips(
    trained_classifier: Classifier, make_untrained: MakeClassifier, small_testset: Path
) -> None:
    result = compare(trained_classifier, make_untrained(), small_testset, model_a="runs/good.earmark",
                     model_b="runs/random.earmark")
    a, b = result.a, result.b
    assert a.to_dict() == evaluate(trained_classifier, small_testset).to_dict()
    assert a.n_clips == b.n_clips == 18
    assert a.accuracy > b.accuracy
    wrong_a, wrong_b = {m["file"] for m in a.misclassified}, {m["file"] for m in b.misclassified}
    assert result.wrong_only_with_a == sorted(wrong_a - wrong_b)
    assert result.wrong_only_with_b == sorted(wrong_b - wrong_a) != []
    d = result.to_dict()
    assert [m["model"] for m in d["models"]] == ["runs/good.earmark", "runs/random.earmark"]
    assert d["models"][0] == {"model": "runs/good.earmark", **a.to_dict()}
    assert (d["wrong_only_with_a"], d["wrong_only_with_b"]) == (result.wrong_only_with_a, result.wrong_only_with_b)


def test_one_model_given_twice_is_said_and_scored_once(
    make_untrained: MakeClassifier, small_testset: Path, tmp_path: Path
) -> None:
    """compare(M, M) gave two equal columns (only the CLI said they were one model, after scoring both):
    one file given twice, two loads of it, or a copy re-stamped, is one model, scored once."""
    path = make_untrained(seed=4).save(tmp_path / "m.earmark")
    expected = evaluate(Classifier.load(path), small_testset).to_dict()
    by_path = compare(path, str(path), small_testset)
    assert by_path.same_model and by_path.a is by_path.b, "scored once: one report for both"
    assert (by_path.model_a, by_path.model_b) == (str(path), str(path))
    assert by_path.a.to_dict() == expected and by_path.to_dict()["same_model"] is True
    loaded = Classifier.load(path)
    restamped = Classifier(loaded.model, replace(loaded.manifest, created="2020-01-01T00:00:00", metrics={},
                                                 dataset={})).save(tmp_path / "copy.earmark")
    for other in (Classifier.load(path), Classifier.load(restamped), loaded):
        both = compare(loaded, other, small_testset, model_a="a.earmark", model_b="b.earmark")
        assert both.same_model and both.a is both.b and both.a.to_dict() == expected
        assert same_model(loaded, other)


@pytest.mark.parametrize("change", [{"window_s": 0.5}, {"hop_s": 0.25}, {"background_label": None},
                                    {"labels": ["background", "drums", "bass"]}])
def test_the_same_weights_that_hear_otherwise_are_two_models(
    change: dict[str, object], make_untrained: MakeClassifier, small_testset: Path, tmp_path: Path
) -> None:
    """Same weights, another window, hop, background class or label order: two models, side by side."""
    path = make_untrained(seed=4).save(tmp_path / "m.earmark")
    loaded = Classifier.load(path)
    other = Classifier(loaded.model, replace(loaded.manifest, **change)).save(tmp_path / "other.earmark")
    assert Classifier.load(other).manifest.weights_sha256 == loaded.manifest.weights_sha256
    assert not same_model(loaded, Classifier.load(other))
    both = compare(path, other, small_testset)
    assert not both.same_model and both.a is not both.b and both.to_dict()["same_model"] is False
    assert "wrong only with m.earmark" in both.format()


def test_two_models_never_saved_are_one_only_when_they_are_one_object(make_untrained: MakeClassifier) -> None:
    """A model not saved has no weights digest: equal manifests alone do not make two models one."""
    first, second = make_untrained(seed=1), make_untrained(seed=2)
    second = Classifier(second.model, replace(first.manifest))
    assert not first.manifest.weights_sha256 and not same_model(first, second) and same_model(first, first)


def _report(predicted: list[str], names: list[str] = NAMES) -> EvaluationReport:
    return report_from_probabilities(one_hot(predicted), TRUE, names, labels=LABELS)


def test_comparison_text_by_hand() -> None:
    # A misses clip1 and clip4; B misses clip4 and clip6: only A misses clip1, only B clip6
    b_predicted = ["background", "background", "bass", "bass", "drums", "drums", "bass"]
    result = Comparison(_report(PREDICTED), _report(b_predicted), model_a="x/a.earmark", model_b="y/b.earmark")
    assert result.format().splitlines() == [
        "                      a.earmark     b.earmark",  # the longest row name and two spaces: 19 wide
        "accuracy                  71.4%         71.4%",
        "macro-F1                  0.711         0.722",
        "recall background         50.0%        100.0%",
        "recall bass               66.7%         66.7%",
        "recall drums             100.0%         50.0%",
        "",
        "wrong only with a.earmark: 1   wrong only with b.earmark: 1",
        "  a.earmark misses clip1.wav",
        "  b.earmark misses clip6.wav",
        # what weakens both reports, once (what weakens one is named with its model: see below)
        "warning: Only 7 clips were scored: the accuracy is not a reliable figure; add more recordings (from "
        "different takes) to every class",
        "warning: Class 'background' has only 2 clips to be scored on; its accuracy says little",
        "warning: Class 'drums' has only 2 clips to be scored on; its accuracy says little",
    ]


def test_comparison_names_models_in_full_when_their_file_names_match() -> None:
    result = Comparison(_report(PREDICTED), _report(TRUE), model_a="runs/1/model.earmark",
                        model_b="runs/2/model.earmark")
    text = result.format(max_mistakes=1)
    assert text.splitlines()[0].split() == ["runs/1/model.earmark", "runs/2/model.earmark"]
    assert "wrong only with runs/1/model.earmark: 2   wrong only with runs/2/model.earmark: 0" in text
    assert "  runs/1/model.earmark misses clip1.wav" in text
    assert "  … and 1 more that runs/1/model.earmark misses (use --json for all)" in text


# -- reports as dicts -----------------------------------------------------------------------------


def test_a_report_round_trips_through_a_dict() -> None:
    report = _report(PREDICTED)
    report.skipped = [Skipped("bass/notes.txt", "not an audio file (.txt)")]
    again = EvaluationReport.from_dict(report.to_dict())
    assert again.to_dict() == report.to_dict()
    assert again.skipped == report.skipped
    assert again.format() == report.format()
    assert again.accuracy == round(5 / 7, 4)


def test_a_report_from_json_reads_null_scores_as_nan() -> None:
    d = report_from_probabilities(np.zeros((0, 3)), [], [], labels=LABELS).to_dict()
    d = {**d, "accuracy": None, "macro_f1": None}  # what JSON keeps of NaN
    d.pop("skipped")  # older files may lack it
    report = EvaluationReport.from_dict(d)
    assert np.isnan(report.accuracy) and np.isnan(report.macro_f1) and report.skipped == []


def test_a_dict_that_is_not_a_report_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"not an evaluation report: it lacks \['confusion', 'per_class'\]"):
        EvaluationReport.from_dict({k: v for k, v in _report(TRUE).to_dict().items()
                                    if k not in ("confusion", "per_class")})


def test_a_trained_model_carries_its_validation_report(trained_classifier: Classifier,
                                                       make_untrained: MakeClassifier) -> None:
    report = trained_classifier.validation_report
    assert report is not None
    stored = trained_classifier.manifest.metrics["validation"]
    assert "split_recordings" not in stored  # a test set's matter, never a validation report's
    assert report.to_dict() == {**stored, "seen_in_training": None, "split_recordings": [],
                                "warnings": report.warnings()}  # derived again
    assert report.n_clips == sum(report.per_class[lab]["support"] for lab in report.labels) > 0
    assert make_untrained().validation_report is None


def test_compare_checks_both_models_know_the_classes(
    trained_classifier: Classifier, small_testset: Path, tmp_path: Path
) -> None:
    folder = shutil.copytree(small_testset, tmp_path / "test")
    (folder / "keys").mkdir()
    sf.write(folder / "keys" / "chord.wav", np.zeros(22050, np.float32), 22050)
    with pytest.raises(DatasetError, match=r"does not know: 'keys';"):
        compare(trained_classifier, trained_classifier, folder)


def test_warnings_say_when_the_scores_are_weak_evidence() -> None:
    from earmark.evaluate import report_from_probabilities

    labels = ["background", "bass", "drums"]
    few = report_from_probabilities(np.eye(3)[[0, 1, 2]], ["background", "bass", "drums"], ["a", "b", "c"],
                                    labels=labels)
    assert few.accuracy == 1.0
    assert any(w.startswith("Only 3 clips were scored") for w in few.warnings())
    assert any("'bass' has only 1 clip" in w for w in few.warnings())
    assert "warning: Only 3 clips" in few.format()
    truth = [labels[i % 3] for i in range(30)]
    guessing = report_from_probabilities(np.eye(3)[[0] * 30], truth, [str(i) for i in range(30)], labels=labels)
    assert any(w.startswith("The model is barely better than guessing (33%") for w in guessing.warnings())
    good = report_from_probabilities(np.eye(3)[[i % 3 for i in range(30)]], truth, [str(i) for i in range(30)],
                                     labels=labels)
    assert good.warnings() == []


def test_a_high_accuracy_that_hides_a_class_it_gets_wrong_is_warned_about() -> None:
    # 30 background clips right, 4 bass and 3 drums all called background: 30 of 37 (81 %) right
    truth = ["background"] * 30 + ["bass"] * 4 + ["drums"] * 3
    report = report_from_probabilities(np.eye(3)[[0] * 37], truth, [str(i) for i in range(37)], labels=LABELS)
    assert round(report.accuracy, 2) == 0.81
    [uneven] = [w for w in report.warnings() if "not in every class" in w]
    assert uneven.startswith("81% of the clips are right, but not in every class: 'bass' 0%, 'drums' 0%. "
                             "30 of the 37 clips are 'background'")
    # the same mistakes in a balanced set show in the accuracy itself: no such warning
    balanced = report_from_probabilities(np.eye(3)[[0] * 12], ["background"] * 4 + ["bass"] * 4 + ["drums"] * 4,
                                         [str(i) for i in range(12)], labels=LABELS)
    assert not any("not in every class" in w for w in balanced.warnings())
    # one class a little behind (75 %) is not "wrong"
    mostly = report_from_probabilities(np.eye(3)[[0] * 30 + [1, 1, 1, 0] + [2] * 3], truth,
                                       [str(i) for i in range(37)], labels=LABELS)
    assert not any("not in every class" in w for w in mostly.warnings())


def test_a_project_is_scored_on_its_test_set(trained_classifier: Classifier, small_testset: Path,
                                              tmp_path: Path) -> None:
    project = Project.create(tmp_path / "band")
    with pytest.raises(DatasetError, match="has no test set yet"):
        evaluate(trained_classifier, project.root)
    for label in LABELS:
        folder = small_testset / ("_background_noise_" if label == "background" else label)
        if label != "background":
            project.add_class(label)
        shutil.copytree(folder, project.test_dir / project.class_dir(label).name)
    shutil.copy(small_testset / "bass" / "bass_000.wav", project.class_dir("bass") / "take_nohash_000.wav")
    shutil.copy(small_testset / "bass" / "bass_001.wav", project.test_dir / "bass" / "take_nohash_001.wav")
    report = evaluate(trained_classifier, project.root)
    assert report.n_clips == 19
    assert report.to_dict()["confusion"]["matrix"] == evaluate(trained_classifier, project.test_dir).confusion
    assert report.split_recordings == ["bass/take_nohash_001.wav"]
    assert any("other clips are training samples" in w for w in report.warnings())
    assert evaluate(trained_classifier, project.test_dir).split_recordings == report.split_recordings
    elsewhere = shutil.copytree(project.test_dir, tmp_path / "copy")
    assert evaluate(trained_classifier, elsewhere).split_recordings == [], "only a project knows its takes"
    both = compare(trained_classifier, trained_classifier, project.root)
    assert both.a.split_recordings == both.b.split_recordings == ["bass/take_nohash_001.wav"]
    assert EvaluationReport.from_dict(report.to_dict()).split_recordings == report.split_recordings


def _band_with_a_test_set(tmp_path: Path, small_testset: Path) -> Project:
    """A project with bass and drums classes whose test set is ``small_testset``."""
    project = Project.create(tmp_path / "band")
    for label in LABELS:
        if label != "background":
            project.add_class(label)
        folder = small_testset / ("_background_noise_" if label == "background" else label)
        shutil.copytree(folder, project.test_dir / project.class_dir(label).name)
    return project


def test_classes_renamed_since_training_are_scored_under_their_names_now(trained_classifier: Classifier,
                                                                         small_testset: Path, tmp_path: Path) -> None:
    project = _band_with_a_test_set(tmp_path, small_testset)
    before = evaluate(trained_classifier, project.root)
    project.rename_class("bass", to="electric bass")
    after = evaluate(trained_classifier, project.root)
    assert after.labels == ["background", "electric bass", "drums"] and after.confusion == before.confusion
    both = compare(trained_classifier, trained_classifier, project.root)
    assert both.a.labels == after.labels and both.b.confusion == before.confusion
    with pytest.raises(DatasetError, match="does not know: 'electric bass'"):
        evaluate(trained_classifier, project.test_dir)  # not a project: no renames to follow
    # drums deleted, then bass's class renamed to "drums": the clips under "drums" are the old bass
    # clips, scored as the model's bass; the model's own drums class is gone
    project.delete_class("drums")
    project.rename_class("electric bass", to="drums")
    third = evaluate(trained_classifier, project.root)
    assert third.labels == ["background", "drums", "drums (deleted)"]
    assert third.confusion[:2] == before.confusion[:2] and sum(third.confusion[2]) == 0


def test_two_classes_that_swapped_names_are_scored_each_under_its_name_now(trained_classifier: Classifier,
                                                                           small_testset: Path, tmp_path: Path) -> None:
    """bass → tmp, drums → bass, tmp → drums: the project's map of names keeps only tmp → drums, so the
    renames are followed from the project file's log, in order."""
    project = _band_with_a_test_set(tmp_path, small_testset)
    before = evaluate(trained_classifier, project.root)
    project.rename_class("bass", to="tmp")
    project.rename_class("drums", to="bass")
    project.rename_class("tmp", to="drums")
    assert project.where_now("renamed_classes") == {"tmp": "drums"}  # the map alone has lost the swap
    swapped = evaluate(trained_classifier, project.root)
    assert swapped.labels == ["background", "drums", "bass"]
    assert swapped.confusion == before.confusion, "each class's clips scored as the model's own class"
    # a project file from before the log was kept: the map alone cannot tell, and names stay as they are
    meta = json.loads((project.root / PROJECT_FILE).read_text())
    del meta[RENAME_LOG]
    (project.root / PROJECT_FILE).write_text(json.dumps(meta))
    assert evaluate(trained_classifier, project.root).labels == LABELS


def test_a_class_deleted_then_made_anew_is_not_the_class_the_model_knew(trained_classifier: Classifier,
                                                                        small_testset: Path, tmp_path: Path) -> None:
    """The project file logs deletes: a model trained before one shows its class as 'NAME (deleted)',
    and is not scored on the clips of a new class of that name; undoing the delete gives it back."""
    project = _band_with_a_test_set(tmp_path, small_testset)
    before = evaluate(trained_classifier, project.root)
    undo = project.delete_class("drums")
    project.add_class("drums")
    assert project.renames_since("") == [], "a delete is no rename"
    shutil.copytree(small_testset / "bass", project.test_dir / "drums")  # the new drums: other sounds
    refused = r"does not know: 'drums'; it knows 'background', 'bass', 'drums \(deleted\)'"
    with pytest.raises(DatasetError, match=refused):
        evaluate(trained_classifier, project.root)
    with pytest.raises(DatasetError, match=refused):  # its export zip keeps the log too
        evaluate(trained_classifier, project.export_zip(tmp_path / "band.zip"))
    shutil.rmtree(project.test_dir / "drums")
    gone = evaluate(trained_classifier, project.root)
    assert gone.labels == ["background", "bass", "drums (deleted)"]
    assert gone.per_class["drums (deleted)"]["support"] == 0
    # the undo puts the model's drums back, beside the new class of its name (under a free one)
    project.restore(undo.id)
    back = evaluate(trained_classifier, project.root)
    assert back.labels == ["background", "bass", "drums-2"] and back.confusion == before.confusion
    # undone straight away: the class as it was
    project.restore(project.delete_class("drums").id)
    assert evaluate(trained_classifier, project.root).confusion == before.confusion


def test_a_projects_export_zip_is_scored_under_the_class_names_now(trained_classifier: Classifier,
                                                                   small_testset: Path, tmp_path: Path) -> None:
    """The export zip keeps the project file and its log: renames since training are followed as on
    the project folder (a swap, which only the log can tell)."""
    project = _band_with_a_test_set(tmp_path, small_testset)
    before = evaluate(trained_classifier, project.root)
    project.rename_class("bass", to="tmp")
    project.rename_class("drums", to="bass")
    project.rename_class("tmp", to="drums")
    archive = project.export_zip(tmp_path / "band.zip")
    swapped = evaluate(trained_classifier, archive)
    assert swapped.labels == ["background", "drums", "bass"] and swapped.confusion == before.confusion
    both = compare(trained_classifier, trained_classifier, str(archive))
    assert both.a.labels == both.b.labels == swapped.labels and both.b.confusion == before.confusion
    # the project file at the zip's top, not in a folder: the same
    flat = tmp_path / "flat.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(flat, "w") as target:
        for member in source.infolist():
            target.writestr(member.filename.removeprefix("band/"), source.read(member))
    assert evaluate(trained_classifier, flat).confusion == before.confusion
    # a zip of the test set alone is no project: its folders' names are taken as they are
    alone = evaluate(trained_classifier, shutil.make_archive(str(tmp_path / "alone"), "zip", project.test_dir))
    assert alone.labels == LABELS and alone.confusion != before.confusion


def test_a_class_the_test_set_does_not_hold_shows_no_made_up_figures() -> None:
    """Only bass clips: drums' recall and F1 mean nothing, and so does background's precision when
    nothing was called background. A 0 % there would read as a failure that did not happen."""
    probs = np.array([[0.1, 0.8, 0.1], [0.1, 0.2, 0.7], [0.2, 0.7, 0.1]], np.float32)
    report = report_from_probabilities(probs, ["bass"] * 3, ["a", "b", "c"], labels=["background", "bass", "drums"])
    rows = {line.split()[0]: line.split()[1:] for line in report.format().splitlines()[3:6]}
    assert rows == {"background": ["–", "–", "–", "0"], "bass": ["100.0%", "66.7%", "0.800", "3"],
                    "drums": ["0.0%", "–", "–", "0"]}
    per_class = report.to_dict()["per_class"]  # --json and the studio: null, not 0
    assert per_class["background"] == {"precision": None, "recall": None, "f1": None, "support": 0}
    assert per_class["drums"] == {"precision": 0.0, "recall": None, "f1": None, "support": 0}
    assert EvaluationReport.from_dict(report.to_dict()).format() == report.format()


def _columns(line: str) -> int:
    """Terminal columns of ``line``: combining accents take none."""
    return sum(not unicodedata.combining(c) for c in line)


def test_confusion_table_names_every_column_in_full() -> None:
    """Columns as wide as their names: 'acoustic1' and 'acoustic2' stay apart, 'background' whole, and
    a name written with a combining accent (NFD, as macOS names folders) lines up."""
    cafe = unicodedata.normalize("NFD", "café")
    labels = ["acoustic1", "acoustic2", "background", cafe]
    probs = np.eye(4, dtype=np.float32)[[0, 1, 1, 2, 3]]
    text = report_from_probabilities(probs, ["acoustic1", "acoustic1", "acoustic2", "background", cafe],
                                     [f"c{i}.wav" for i in range(5)], labels=labels).format()
    table = text.split("confusion (rows = true, columns = predicted)\n")[1].splitlines()[:5]
    assert table == [
        f"            acoustic1  acoustic2  background  {cafe}",
        "acoustic1           1          1           0     0",
        "acoustic2           0          1           0     0",
        "background          0          0           1     0",
        f"{cafe}                0          0           0     1",
    ]
    assert len({_columns(line) for line in table}) == 1
    rows = text.splitlines()[3:7]  # the per-class table lines up too
    assert len({_columns(line) for line in rows}) == 1


def test_confusion_table_numbers_columns_when_names_are_too_wide() -> None:
    labels = [f"a rather long name for class number {i}" for i in range(4)]
    text = report_from_probabilities(np.eye(4, dtype=np.float32), labels, ["a", "b", "c", "d"],
                                     labels=labels).format()
    table = text.split("confusion (rows = true, columns = predicted, numbered as the rows)\n")[1].splitlines()[:5]
    assert table[0].split() == ["1", "2", "3", "4"]
    assert table[1] == "1 a rather long name for class number 0  1  0  0  0"
    assert all(len(line) <= 100 for line in table)
