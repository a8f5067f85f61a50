"""Tests for earmark.train: end-to-end training of the tiny network in seconds, on generated sounds."""

from __future__ import annotations

import dataclasses
import inspect
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
import torch
from safetensors import safe_open

from conftest import LEARNING_SETTINGS, SR, bass_note, drum_hit, room_noise
from earmark.classifier import Classifier, load
from earmark.dataset import load_dataset
from earmark.errors import DatasetError, ParameterError
from earmark.evaluate import evaluate, training_warnings
from earmark.project import Project
from earmark.split import split_by_source
from earmark.train import HEAD_HIDDEN_FROZEN, EpochRecord, StopTraining, TrainingCancelled, TrainSettings, train

QUICK = TrainSettings(arch="tiny", epochs=2, steps_per_epoch=3, batch_size=16, window_s=1.0, sample_rate=SR)


def quick_train(data: Path, **changes: Any) -> Classifier:
    return train(data, settings=dataclasses.replace(QUICK, **changes), progress=False)


def weights(clf: Classifier) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in clf.model.state_dict().items()}


# -- end to end -----------------------------------------------------------------------------------


def test_train_end_to_end_records_history_and_metrics(small_dataset: Path) -> None:
    records: list[EpochRecord] = []
    clf = train(small_dataset, settings=QUICK, progress=records.append)
    assert clf.labels == ["background", "bass", "drums"]
    assert (clf.sample_rate, clf.window_s, clf.manifest.arch.name) == (22050, 1.0, "tiny")
    assert [r.epoch for r in records] == [1, 2]
    for r in records:
        assert np.isfinite([r.train_loss, r.val_loss]).all() and r.seconds > 0
        assert 0 <= r.train_accuracy <= 1 and 0 <= r.val_accuracy <= 1
    metrics = clf.manifest.metrics
    assert metrics["history"] == [r.to_dict() for r in records]
    assert metrics["train_seconds"] > 0
    validation = metrics["validation"]
    assert set(validation) >= {"accuracy", "macro_f1", "per_class", "confusion", "misclassified", "n_clips"}
    assert validation["confusion"]["labels"] == clf.labels
    assert clf.manifest.training == QUICK.resolved().to_dict()
    assert clf.manifest.dataset["counts"] == {"background": 12, "bass": 12, "drums": 12}
    assert clf.manifest.dataset["train_clips"] + clf.manifest.dataset["val_clips"] == 36
    assert clf.manifest.dataset["skipped"] == []
    # a fingerprint of each training clip (the generated clips are all different, none silent)
    fingerprints = clf.manifest.dataset["train_fingerprints"]
    assert len(fingerprints) == clf.manifest.dataset["train_clips"] == len(set(fingerprints))
    assert all(len(fp) == 16 and int(fp, 16) >= 0 for fp in fingerprints) and fingerprints == sorted(fingerprints)
    assert not {"warnings", "seen_in_training", "split_recordings"} & set(validation)  # derived when shown
    assert clf.predict(bass_note(np.random.default_rng(0)), sample_rate=SR).label in clf.labels


def test_validation_is_held_out_by_recording(small_dataset: Path) -> None:
    clf = quick_train(small_dataset, seed=3)
    ds = load_dataset(small_dataset, sample_rate=SR)
    train_clips, val_clips = split_by_source(ds.clips, sample_rate=SR, val_fraction=QUICK.val_fraction, seed=3)
    assert {c.source for c in train_clips}.isdisjoint({c.source for c in val_clips})
    assert clf.manifest.dataset["val_clips"] == len(val_clips) == clf.manifest.metrics["validation"]["n_clips"]
    per_class = clf.manifest.metrics["validation"]["per_class"]
    assert all(per_class[label]["support"] >= 1 for label in clf.labels)  # every class is validated


def test_one_long_recording_per_class_is_split_in_time(tmp_path: Path) -> None:
    """One 30 s take per class: cut into 4 s clips (0, 4, ..., 24 s, and the 28-30 s tail), 8 per
    class; the last round(8 * 0.2) = 2 of each go to validation, the 6 before them to training."""
    rng = np.random.default_rng(0)
    makers: dict[str, Callable[[], np.ndarray]] = {
        "background": lambda: room_noise(rng, duration_s=30.0),
        "bass": lambda: np.concatenate([bass_note(rng, duration_s=1.5) for _ in range(20)]),
        "drums": lambda: np.concatenate([drum_hit(rng, duration_s=0.5) for _ in range(60)])}
    for label, make in makers.items():
        (tmp_path / label).mkdir()
        sf.write(tmp_path / label / "take.wav", make(), SR, subtype="PCM_16")
    clf = quick_train(tmp_path)
    assert clf.manifest.dataset["counts"] == {"background": 8, "bass": 8, "drums": 8}
    assert (clf.manifest.dataset["train_clips"], clf.manifest.dataset["val_clips"]) == (18, 6)
    [warning] = training_warnings(clf.manifest.dataset)  # and the report says what that validation is worth
    assert warning.startswith("Classes 'background', 'bass', 'drums' have only one recording each: validation used "
                              "the end of each, after training on the rest")
    (tmp_path / "bass" / "take.wav").rename(tmp_path / "bass" / "take1.wav")
    # another recording (a copy of the take would be the same recording: the split keeps copies together)
    sf.write(tmp_path / "drums" / "other.wav", makers["drums"](), SR, subtype="PCM_16")
    warnings = training_warnings(quick_train(tmp_path).manifest.dataset)
    assert warnings[-1].startswith("Classes 'background', 'bass' have only one recording each")


def test_the_same_seed_gives_identical_weights(small_dataset: Path) -> None:
    first, second = quick_train(small_dataset, seed=5), quick_train(small_dataset, seed=5)
    a, b = weights(first), weights(second)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])]
    history = [{k: v for k, v in h.items() if k != "seconds"} for h in first.manifest.metrics["history"]]
    assert history == [{k: v for k, v in h.items() if k != "seconds"} for h in second.manifest.metrics["history"]]


def test_the_number_of_example_workers_does_not_change_the_result(small_dataset: Path) -> None:
    """Each batch has its own seeded generator: made in this process, by one worker or by two
    side by side, a seed gives the same weights (and the loader keeps the batches in order). The
    torch threads stay the same: another number of them sums in another order."""
    runs = [weights(quick_train(small_dataset, seed=4, steps_per_epoch=5, workers=w, threads=1)) for w in (0, 1, 2)]
    for other in runs[1:]:
        assert all(torch.equal(runs[0][k], other[k]) for k in runs[0]), \
            [k for k in runs[0] if not torch.equal(runs[0][k], other[k])]


def test_example_workers_default_to_two_thirds_of_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    for cores, workers in ((1, 1), (2, 2), (4, 3), (8, 6), (64, 6)):
        monkeypatch.setattr("os.cpu_count", lambda cores=cores: cores)
        assert TrainSettings().example_workers() == workers
    assert TrainSettings(workers=0).example_workers() == 0
    with pytest.raises(ParameterError, match="workers must be 0 .make examples in this process. to 32, got 33"):
        TrainSettings(workers=33)


def test_another_seed_gives_other_weights(small_dataset: Path) -> None:
    a, b = weights(quick_train(small_dataset, seed=5)), weights(quick_train(small_dataset, seed=6))
    head = [k for k in a if k.startswith("head.")]
    assert head and any(not torch.equal(a[k], b[k]) for k in head)


def test_the_head_has_a_hidden_layer_by_default_only_on_a_frozen_backbone() -> None:
    assert TrainSettings().resolved().head_hidden == HEAD_HIDDEN_FROZEN == 128
    assert TrainSettings(backbone="none").resolved().head_hidden == 0
    assert TrainSettings(freeze_backbone=False).resolved().head_hidden == 0
    assert TrainSettings(arch="tiny").resolved().head_hidden == 0  # no backbone fits it
    assert TrainSettings(backbone="none", head_hidden=32).resolved().head_hidden == 32
    assert TrainSettings(head_hidden=0).resolved().head_hidden == 0
    with pytest.raises(ParameterError, match=r"head_hidden must be 0 \(a linear head\) to 4096, got -2"):
        TrainSettings(head_hidden=-2)


@pytest.mark.parametrize("hidden", [0, 16])
def test_the_head_is_as_wide_as_asked_and_survives_the_model_file(small_dataset: Path, tmp_path: Path,
                                                                  hidden: int) -> None:
    """``head_hidden=0`` is a linear head (every model file before the setting had one); otherwise
    one hidden layer of that width. Either way a saved model loads and predicts exactly the same."""
    clf = quick_train(small_dataset, head_hidden=hidden)
    shapes = {k: tuple(v.shape) for k, v in clf.model.state_dict().items() if k.startswith("head.")}
    width = clf.model.head.in_features if hidden == 0 else clf.model.head[0].in_features
    assert shapes == ({"head.weight": (3, width), "head.bias": (3,)} if hidden == 0 else
                      {"head.0.weight": (hidden, width), "head.0.bias": (hidden,),
                       "head.3.weight": (3, hidden), "head.3.bias": (3,)})
    assert clf.manifest.arch.head_hidden == hidden and clf.manifest.training["head_hidden"] == hidden
    path = tmp_path / "m.earmark"
    clf.save(path)
    with safe_open(str(path), framework="pt") as f:  # the oldest format that describes it: 2 reads a linear head
        assert (f.metadata() or {})["format_version"] == ("2" if hidden == 0 else "4")
    loaded = load(path)
    clips = [c.samples for c in load_dataset(small_dataset, sample_rate=SR).clips[:4]]
    assert np.array_equal(loaded.predict_clips(clips), clf.predict_clips(clips))


def test_a_model_that_trained_longer_beats_chance(trained_classifier: Classifier, small_testset: Path) -> None:
    """Chance is 1/3. Measured with LEARNING_SETTINGS: 100 % for seeds 0-4, in about two seconds."""
    report = evaluate(trained_classifier, small_testset)
    assert report.accuracy >= 0.8, report.format()
    assert report.macro_f1 >= 0.75
    assert trained_classifier.manifest.training == LEARNING_SETTINGS.resolved().to_dict()


def test_train_accepts_a_loaded_dataset(small_dataset: Path) -> None:
    clf = train(load_dataset(small_dataset, sample_rate=SR), settings=QUICK, progress=False)
    assert clf.manifest.dataset["counts"]["bass"] == 12


def test_a_dataset_at_another_rate_is_refused(small_dataset: Path) -> None:
    with pytest.raises(DatasetError, match=r"loaded at 16000 Hz but training needs 22050 Hz; load it with"):
        train(load_dataset(small_dataset, sample_rate=16000), settings=QUICK, progress=False)


# -- datasets that cannot be trained on -----------------------------------------------------------


@pytest.fixture
def copy_of(small_dataset: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(small_dataset, tmp_path / "sounds"))


def test_one_class_is_not_enough(copy_of: Path) -> None:
    shutil.rmtree(copy_of / "bass")
    shutil.rmtree(copy_of / "drums")
    with pytest.raises(DatasetError, match=r"found only the class 'background' in .*sounds; add at least two class"):
        quick_train(copy_of)


def test_a_background_class_is_required(copy_of: Path) -> None:
    shutil.rmtree(copy_of / "background")
    with pytest.raises(DatasetError, match=r"no background class in .*sounds \(its classes: .*\): add a folder named"):
        quick_train(copy_of)
    assert quick_train(copy_of, require_background=False).labels == ["bass", "drums"]


def test_a_class_with_one_clip_says_how_many_to_add(copy_of: Path) -> None:
    for extra in sorted((copy_of / "drums").iterdir())[1:]:
        extra.unlink()
    with pytest.raises(DatasetError, match=r"class 'drums' has 1 clip; add at least 5 \(or one longer recording\)"):
        quick_train(copy_of)


def test_an_empty_class_folder_is_not_silently_dropped(copy_of: Path) -> None:
    for f in (copy_of / "bass").iterdir():
        f.unlink()
    with pytest.raises(DatasetError, match=r"class 'bass' has no usable audio in .*sounds: the folder is empty"):
        quick_train(copy_of)


def test_an_empty_folder_has_no_classes(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"found no classes in .*; add at least two class folders with audio"):
        quick_train(tmp_path)


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"nowhere: no such folder; check the path"):
        quick_train(tmp_path / "nowhere")


def test_non_audio_files_are_skipped_and_reported(copy_of: Path) -> None:
    (copy_of / "bass" / "tab.pdf").write_bytes(b"%PDF-1.4")
    (copy_of / "drums" / "kick.wav").write_text("not a wave")
    clf = quick_train(copy_of)
    skipped = {s["path"]: s["reason"] for s in clf.manifest.dataset["skipped"]}
    assert skipped["bass/tab.pdf"] == "not an audio file (.pdf)"
    assert "could not be decoded as audio" in skipped["drums/kick.wav"]
    assert clf.manifest.dataset["counts"] == {"background": 12, "bass": 12, "drums": 12}


# -- settings -------------------------------------------------------------------------------------


def test_settings_round_trip_through_a_dict() -> None:
    assert TrainSettings.from_dict(QUICK.to_dict()) == QUICK


@pytest.mark.parametrize(
    ("change", "match"),
    [({"epochs": 0}, r"epochs must be at least 1, got 0"),
     ({"seed": -1}, r"seed must be a whole number from 0 to 4294967295, got -1"),
     ({"seed": 2**64}, r"seed must be a whole number from 0 to 4294967295, got 18446744073709551616"),
     ({"batch_size": 1}, r"batch_size must be at least 2, got 1"),
     ({"learning_rate": 1.0}, r"learning_rate must be in \(0, 1\), got 1\.0"),
     ({"window_s": 0.1}, r"window_s must be in \[0\.2, 10\] seconds, got 0\.1"),
     ({"hop_s": 2.0}, r"hop_s must be 0.01 to window_s=1\.0 seconds, got 2\.0"),
     ({"hop_s": 1e-6}, r"hop_s must be 0.01 to window_s=1\.0 seconds, got 1e-06"),
     ({"epochs": 2.5}, r"epochs must be a whole number, got 2\.5"),
     ({"batch_size": "64"}, r"batch_size must be a whole number, got '64'"),
     ({"seed": True}, r"seed must be a whole number, got True"),
     ({"head_hidden": 1.5}, r"head_hidden must be a whole number, got 1\.5"),
     ({"augment": "no"}, r"augment must be True or False, got 'no'"),
     ({"window_s": float("nan")}, r"window_s must be a number, got nan"),
     ({"learning_rate": "fast"}, r"learning_rate must be a number, got 'fast'"),
     ({"threads": -1}, r"threads must be 0 \(as many as the machine has\) to 1024, got -1"),
     ({"val_fraction": 1.0}, r"val_fraction must be in \(0, 1\), got 1\.0"),
     ({"arch": "resnet"}, r"arch must be one of \['cnn', 'tiny'\], got 'resnet'"),
     ({"ema_decay": 1.0}, r"ema_decay must be in \[0, 1\), got 1\.0"),
     ({"steps_per_epoch": -1}, r"steps_per_epoch must be >= 0, got -1")],
)
def test_bad_settings_are_refused(change: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        dataclasses.replace(QUICK, **change)


def test_unknown_settings_are_named() -> None:
    with pytest.raises(ParameterError, match=r"unknown training settings \['epoch'\]; known: "):
        TrainSettings.from_dict({"epoch": 3})


def test_a_progress_callback_can_stop_training_and_keep_the_model(small_dataset: Path) -> None:
    seen: list[int] = []

    def enough(record: EpochRecord) -> None:
        seen.append(record.epoch)
        if record.epoch == 2:
            raise StopTraining

    clf = train(small_dataset, settings=dataclasses.replace(QUICK, epochs=5), progress=enough)
    assert seen == [1, 2]
    assert len(clf.manifest.metrics["history"]) == 2 and clf.manifest.metrics["stopped_at_epoch"] == 2
    assert clf.manifest.training["epochs"] == 5  # what was asked; stopped_at_epoch says what ran
    assert clf.validation_report is not None and clf.validation_report.n_clips > 0
    whole = train(small_dataset, settings=QUICK, progress=False)
    assert "stopped_at_epoch" not in whole.manifest.metrics


def test_should_stop_ends_training_after_the_epoch_and_keeps_the_model(small_dataset: Path) -> None:
    asked: list[int] = []

    def stop() -> bool:  # asked after each epoch, with the progress bar as with none
        asked.append(len(asked) + 1)
        return len(asked) == 2

    clf = train(small_dataset, settings=dataclasses.replace(QUICK, epochs=5), progress=False, should_stop=stop)
    assert asked == [1, 2]
    assert clf.manifest.metrics["stopped_at_epoch"] == 2 and len(clf.manifest.metrics["history"]) == 2


def test_train_takes_settings_as_a_dict_and_names_a_mistake(small_dataset: Path) -> None:
    with pytest.raises(ParameterError, match=r"unknown training settings \['epoch'\]; known: \['arch', "):
        train(small_dataset, settings={"epoch": 3}, progress=False)
    with pytest.raises(ParameterError, match=r"settings must be a TrainSettings or a dict, got list"):
        train(small_dataset, settings=[3], progress=False)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"epochs must be a whole number, got '3'"):
        train(small_dataset, settings={"epochs": "3"}, progress=False)



def test_hop_follows_the_window_unless_given() -> None:
    assert TrainSettings(window_s=0.4).hop_s == pytest.approx(0.2)
    assert TrainSettings(window_s=2.0, hop_s=0.5).hop_s == pytest.approx(0.5)


def test_training_that_diverges_is_an_error_not_a_model(small_dataset: Path) -> None:
    """A loss that is not finite must stop training with a message, never give a model of NaNs.
    Files with absurd values are refused when read; a Dataset built in Python is not read, so
    here every clip is scaled by 1e30, which overflows the spectrogram's power (scaled, not filled
    with 1e30: clips all alike would be copies of one sound, one recording to the split)."""
    ds = load_dataset(small_dataset, sample_rate=SR)
    broken = dataclasses.replace(ds, clips=[dataclasses.replace(c, samples=c.samples * np.float32(1e30))
                                            for c in ds.clips])
    with pytest.raises(DatasetError, match=r"training diverged in epoch 1 \(the loss is nan\)"):
        train(broken, settings=dataclasses.replace(QUICK, augment=False), progress=False)


def test_a_project_trains_on_its_samples_and_is_scored_on_its_test_set(small_dataset: Path, small_testset: Path,
                                                                       tmp_path: Path) -> None:
    project = Project.create(tmp_path / "band")
    shutil.rmtree(project.samples_dir)
    shutil.copytree(small_dataset, project.samples_dir)
    shutil.copytree(small_testset, project.test_dir)
    shutil.copytree(small_testset / "bass", project.test_dir / "guitar")  # were test/ read, a 4th class
    clf = quick_train(project.root)
    assert clf.labels == ["background", "bass", "drums"]
    with pytest.raises(DatasetError, match=r"match no class of project 'band': 'guitar'; rename"):
        evaluate(clf, project.root)
    shutil.rmtree(project.test_dir / "guitar")
    assert evaluate(clf, project.root).n_clips == 18


@pytest.mark.parametrize("given", ["folder", "dataset"])
def test_a_cancel_is_heard_before_the_clips_are_pooled_and_the_concept_map_learnt(small_dataset: Path,
                                                                                   given: str) -> None:
    """QA (1800 clips): a Cancel just after reading waited 2.9 s for the checks and pooling (no asking
    between them); it is asked while reading a folder and as reading ends, before anything else is done."""
    data = small_dataset if given == "folder" else load_dataset(small_dataset, sample_rate=TrainSettings().sample_rate)
    askers: list[str] = []

    def cancel() -> bool:
        askers.append(inspect.stack()[1].function)
        return True

    with pytest.raises(TrainingCancelled):
        train(data, settings={"epochs": 1}, progress=False, should_cancel=cancel)
    assert askers[0] != "_learn_concept_map" and len(askers) == 1, askers
