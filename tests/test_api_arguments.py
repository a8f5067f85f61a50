"""The Python API given the wrong kind of argument: a model file's path where a Classifier goes is
loaded; anything else is a ParameterError that says what was given and what to give instead."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest

import earmark
from conftest import SR, untrained_classifier, write_tone
from earmark import Project


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    return untrained_classifier().save(tmp_path / "m.earmark")


def test_evaluate_takes_a_model_files_path(model_file: Path, small_testset: Path) -> None:
    from_file = earmark.evaluate(model_file, small_testset)
    loaded = earmark.evaluate(earmark.load(model_file), small_testset)
    assert from_file.n_clips == loaded.n_clips == 18
    assert from_file.accuracy == loaded.accuracy


def test_evaluate_refuses_a_model_of_another_kind(small_testset: Path) -> None:
    with pytest.raises(earmark.ParameterError, match=r"evaluate takes the model as a Classifier or a model "
                                                     r"file's path, got ndarray"):
        earmark.evaluate(np.zeros(3), small_testset)


def test_export_onnx_and_export_web_take_a_model_files_path(model_file: Path, tmp_path: Path) -> None:
    onnx_path = earmark.export_onnx(str(model_file), tmp_path / "o.onnx")
    assert json.loads({p.key: p.value for p in onnx.load(onnx_path).metadata_props}["earmark.labels"]) == \
        ["background", "bass", "drums"]
    folder = earmark.export_web(model_file, tmp_path / "page")
    assert json.loads((folder / "model.json").read_text())["labels"] == ["background", "bass", "drums"]


def test_evaluate_with_its_arguments_swapped_says_the_model_goes_first(small_testset: Path) -> None:
    with pytest.raises(earmark.ParameterError, match=r"evaluate\(model, test_data\): the model goes first"):
        earmark.evaluate(str(small_testset), untrained_classifier())


def test_train_given_a_list_of_class_folders_says_to_give_the_folder_above(small_dataset: Path) -> None:
    with pytest.raises(earmark.ParameterError, match=r"train takes one folder with a subfolder per class, not a "
                                                     r"list of folders; got list .*here train\('.*train'\)"):
        earmark.train([str(small_dataset / "bass"), str(small_dataset / "drums")], progress=False)


def test_add_files_takes_a_project_folders_path(tmp_path: Path) -> None:
    Project.create(tmp_path / "band").add_class("bass")
    result = earmark.add_files(str(tmp_path / "band"), "bass", [write_tone(tmp_path / "x.wav", duration_s=1.0)])
    assert [s.id for s in Project.open(tmp_path / "band").samples("bass")] == [s.id for s in result.added]
    assert len(result.added) == 1


def test_add_files_to_a_folder_that_is_no_project_says_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(earmark.ParameterError, match=r"'.*band' is not an earmark project folder; make one with "
                                                     r"earmark\.Project\.create\("):
        earmark.add_files(str(tmp_path / "band"), "bass", [write_tone(tmp_path / "x.wav")])
    assert not (tmp_path / "band").exists()


def test_add_files_given_a_list_as_the_class_says_it_is_one_name(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "band")
    project.add_class("bass")
    with pytest.raises(earmark.ParameterError, match=r"add_files: the class is one name \(a str\), got list "
                                                     r"\['bass'\]; .*once per class"):
        earmark.add_files(project, ["bass"], write_tone(tmp_path / "x.wav"))  # type: ignore[arg-type]


def test_load_audio_given_samples_says_they_need_no_loading() -> None:
    with pytest.raises(earmark.ParameterError, match=r"load_audio reads an audio file \(a path, bytes or a binary "
                                                     r"file object\), got ndarray; samples already in memory need "
                                                     r"no loading: .*earmark\.Audio\(samples, sample_rate\)"):
        earmark.load_audio(np.zeros(100))  # type: ignore[arg-type]


def test_predict_clips_given_one_clip_says_to_use_predict() -> None:
    clip = np.zeros(SR, np.float32)
    with pytest.raises(earmark.ParameterError, match=r"predict_clips takes a list of clips, got one numpy array "
                                                     r"of shape \(22050,\); for one clip use predict\("):
        untrained_classifier().predict_clips(clip)
    assert untrained_classifier().predict_clips(np.stack([clip, clip])).shape == (2, 3)  # rows are clips
