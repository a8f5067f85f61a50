"""``earmark evaluate`` and ``earmark compare`` on a project's export zip: its test set, scored
under the class names the project gives them now (the zip keeps the project file and its log).

In-process with click's runner, as tests/test_cli.py runs the CLI."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from earmark.classifier import Classifier
from earmark.cli import main
from earmark.evaluate import evaluate
from earmark.project import Project

LABELS = ["background", "bass", "drums"]


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def band(tmp_path: Path, small_testset: Path) -> Project:
    """A project with bass and drums classes whose test set is ``small_testset``."""
    project = Project.create(tmp_path / "band")
    for label in LABELS:
        if label != "background":
            project.add_class(label)
        folder = small_testset / ("_background_noise_" if label == "background" else label)
        shutil.copytree(folder, project.test_dir / project.class_dir(label).name)
    return project


@pytest.fixture
def model(trained_classifier: Classifier, tmp_path: Path) -> Path:
    return trained_classifier.save(tmp_path / "m.earmark")


def _scored(*args: object) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_evaluate_and_compare_follow_the_renames_kept_in_an_export_zip(band: Project, model: Path,
                                                                        tmp_path: Path) -> None:
    before = _scored("evaluate", model, band.root)
    band.rename_class("bass", to="tmp")  # a swap: only the project file's log can tell
    band.rename_class("drums", to="bass")
    band.rename_class("tmp", to="drums")
    archive = band.export_zip(tmp_path / "band.zip")
    report = _scored("evaluate", model, archive)
    assert report["labels"] == ["background", "drums", "bass"]
    assert report["confusion"]["matrix"] == before["confusion"]["matrix"], "each class scored as the model's own"
    assert report == _scored("evaluate", model, band.root), "as on the project folder"
    compared = _scored("compare", model, model, archive)
    assert [m["labels"] for m in compared["models"]] == [report["labels"]] * 2
    for where in (archive, band.root):  # cut at other lengths: the renames are followed once, not twice
        compared = _scored("compare", model, model, where, "--clip-s", "2")
        assert [m["labels"] for m in compared["models"]] == [report["labels"]] * 2, where
    text = run("evaluate", model, archive)
    assert text.exit_code == 0 and re.search(r"^drums +100\.0% +100\.0%", text.stdout, re.MULTILINE), text.stdout


def test_a_zip_names_the_test_clips_whose_take_has_training_samples(band: Project, model: Path, tmp_path: Path,
                                                                    small_testset: Path) -> None:
    take = sorted((small_testset / "bass").iterdir())
    shutil.copy(take[0], band.class_dir("drums") / "take_nohash_000.wav")  # the take, relabelled in part
    shutil.copy(take[1], band.test_dir / "bass" / "take_nohash_001.wav")
    shutil.copy(take[2], band.test_dir / "bass" / "jam_nohash_001.wav")
    archive = band.export_zip(tmp_path / "band.zip")
    with zipfile.ZipFile(archive, "a") as zipped:  # a hidden folder, and a Mac's beside the project: no samples
        zipped.writestr("band/samples/.old/jam_nohash_000.wav", b"")
        zipped.writestr("__MACOSX/band/samples/bass/jam_nohash_000.wav", b"")
    report = _scored("evaluate", model, archive)
    assert report["split_recordings"] == ["bass/take_nohash_001.wav"]
    assert any("other clips are training samples" in w for w in report["warnings"])
    assert report == _scored("evaluate", model, band.root), "as on the project folder"
    compared = _scored("compare", model, model, archive)
    assert [m["split_recordings"] for m in compared["models"]] == [["bass/take_nohash_001.wav"]] * 2
    assert evaluate(Classifier.load(model), archive).split_recordings == ["bass/take_nohash_001.wav"]
