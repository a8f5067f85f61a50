"""Common dataset-layout mistakes are refused before any training, saying what to give instead:
a test set inside the training data, a folder of train/ and test/, room noise not named background,
a window far longer than every clip."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SR, write_dataset, write_tone
from earmark import TrainSettings, load_dataset
from earmark.cli import main
from earmark.errors import DatasetError
from earmark.project import Project
from earmark.train import check_trainable, train

_TINY = {"arch": "tiny", "epochs": 1, "steps_per_epoch": 2, "batch_size": 8, "augment": False, "sample_rate": SR}


def _train_cli(data: Path, *args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["train", str(data), "--out", str(data.parent / "m.earmark"), "--arch", "tiny",
                                       "--epochs", "1", *map(str, args)])
    return result.exit_code, result.output


def test_a_test_set_inside_the_training_data_is_refused(tmp_path: Path) -> None:
    wt = write_dataset(tmp_path / "wt", per_class=6, seed=1)
    write_tone(wt / "bass" / "session 2" / "riff.wav")  # a class's own subfolders are its recordings
    write_tone(wt / "drums" / "take2" / "hit.wav", freq_hz=880)
    assert {c.source for c in load_dataset(wt, sample_rate=SR).clips} >= {"bass/session 2/riff.wav",
                                                                           "drums/take2/hit.wav"}
    write_dataset(wt / "test", per_class=3, seed=2)
    said = re.escape(f"{wt}/test/ holds class folders (background, bass, drums), not audio of a class 'test': "
                     f"a test set goes beside the training data, not in it (give {wt}/ without test/, and "
                     f"evaluate with `earmark evaluate MODEL {wt}/test`)")
    with pytest.raises(DatasetError, match=said):
        load_dataset(wt, sample_rate=SR)
    with pytest.raises(DatasetError, match=said):
        train(wt, settings=_TINY, progress=False)
    code, output = _train_cli(wt)
    assert code == 1 and re.search(said, output.replace("\n", " ")) and "training tiny" not in output, output
    assert not (tmp_path / "m.earmark").exists()


@pytest.mark.parametrize("inside", ["bass", "background"])
def test_a_test_folder_of_one_class_inside_the_training_data_is_refused(tmp_path: Path, inside: str) -> None:
    """test/ holding only bass/ trained as a class named "test" (a folder of class folders counted
    only with two or more of them)."""
    wt = write_dataset(tmp_path / "wt", per_class=6, seed=1)
    write_tone(wt / "test" / inside / "riff.wav")
    with pytest.raises(DatasetError, match=re.escape(f"{wt}/test/ holds class folders ({inside}), not audio of a "
                                                     "class 'test': a test set goes beside the training data")):
        load_dataset(wt, sample_rate=SR)
    write_tone(wt / "bass" / "take2" / "riff.wav")  # a class's own single subfolder is still its recording
    (wt / "test" / inside / "riff.wav").unlink()
    (wt / "test" / inside).rmdir()
    (wt / "test").rmdir()
    assert "bass/take2/riff.wav" in {c.source for c in load_dataset(wt, sample_rate=SR).clips}


def test_a_folder_named_otherwise_holding_classes_named_like_its_siblings_is_refused(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data", per_class=6, seed=1)
    for label in ("bass", "drums"):  # no background folder in it: named like the classes beside it
        shutil.copytree(data / label, data / "old takes" / label)
    with pytest.raises(DatasetError, match=r"old takes/ holds class folders \(bass, drums\), not audio of a class "
                                           r"'old takes': move old takes/ out of .*data, or its folders' files"):
        load_dataset(data, sample_rate=SR)


def test_a_project_folder_with_its_test_set_still_trains_on_its_samples(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "proj")
    write_dataset(project.root / "samples", per_class=6, seed=1)
    write_dataset(project.root / "test", per_class=3, seed=2)
    assert load_dataset(project.root, sample_rate=SR).counts() == {"background": 6, "bass": 6, "drums": 6}
    assert load_dataset(project.root, sample_rate=SR, test=True).counts() == {"background": 3, "bass": 3, "drums": 3}
    # the same folder, its test set put inside samples/: refused as any folder per class is
    write_dataset(project.root / "samples" / "test", per_class=3, seed=2)
    with pytest.raises(DatasetError, match=r"samples/test/ holds class folders \(background, bass, drums\)"):
        load_dataset(project.root, sample_rate=SR)


def test_a_folder_of_train_and_test_sets_says_which_to_give(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_dataset(data / "test", per_class=3, seed=2)
    write_dataset(data / "train", per_class=6, seed=1)
    said = re.escape(f"{data}/ holds train/ and test/, each with class folders: give {data}/train to train "
                     f"(and {data}/test to `earmark evaluate`)")
    with pytest.raises(DatasetError, match=said):
        load_dataset(data, sample_rate=SR)
    code, output = _train_cli(data)
    assert code == 1 and re.search(said, output.replace("\n", " ")) and "no background" not in output, output
    with zipfile.ZipFile(tmp_path / "data.zip", "w") as zf:
        for path in sorted(data.rglob("*.wav")):
            zf.write(path, path.relative_to(data).as_posix())
    with pytest.raises(DatasetError, match=r"data\.zip holds train/ and test/, each with class folders: give train/ "
                                           r"on its own \(a zip of it\) to train \(and test/ to `earmark evaluate`\)"):
        load_dataset(tmp_path / "data.zip", sample_rate=SR)


@pytest.mark.parametrize("folder", ["noise", "Noise", "room noise", "silence", "ambience", "Room_Tone"])
def test_room_noise_under_another_name_is_told_to_be_named_background(tmp_path: Path, folder: str) -> None:
    data = write_dataset(tmp_path / "data", per_class=6, seed=1, background_folder=folder)
    dataset = load_dataset(data, sample_rate=SR)
    with pytest.raises(DatasetError, match=rf"no background class in .*data \(its classes: [^)]*\b{folder}\b[^)]*\): "
                                           rf"if '{folder}' holds recordings of the room with none of your sounds "
                                           r"playing, rename its folder to 'background'"):
        dataset.check_trainable()


def test_a_window_far_longer_than_every_clip_is_refused(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "short", per_class=6, seed=1)  # clips of 0.8 to 1.5 s
    dataset = load_dataset(data, sample_rate=SR)
    said = (r"every clip is shorter than half the 10 s window \(the longest, background/background_000\.wav, is "
            r"1\.50 s\): .* use a window of at most 3 s \(or 1\.5 s, the longest clip's length\)")
    with pytest.raises(DatasetError, match=said + "$") as refused:  # in words for any caller: no option names
        train(dataset, settings={**_TINY, "window_s": 10.0}, progress=False)
    assert refused.value.cli_hint == "try --window-s 3"
    code, output = _train_cli(data, "--window-s", 10)
    assert code == 1 and re.search(said + "; try --window-s 3$", output.replace("\n", " ").strip()), output
    assert "training tiny" not in output
    for window_s in (1.0, 2.5, 3.0, 1.5):  # the default (one-shots are shorter), windows the clips fill half of,
        check_trainable(dataset, settings=TrainSettings.from_dict({**_TINY, "window_s": window_s}))  # as suggested
    with pytest.raises(DatasetError, match="at most 3 s"):  # the largest window suggested is the largest accepted
        check_trainable(dataset, settings=TrainSettings.from_dict({**_TINY, "window_s": 3.1}))
