"""An imported project is whole or not there, keeps its class history, and takes a set's test/ as its test set."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import untrained_classifier, write_tone
from earmark.classifier import Classifier
from earmark.dataset import extract_zip
from earmark.errors import DatasetError
from earmark.evaluate import as_named_now
from earmark.holding import OWNER_FILE
from earmark.importer import IMPORTING_PREFIX, fill_from_folder, import_project, sweep_import_leftovers
from earmark.project import Project

_SLOW_IMPORT = """
import sys
from pathlib import Path
from earmark.importer import import_project
import_project(Path(sys.argv[1]), Path(sys.argv[2]), name="CON")
"""


def _class_set(root: Path, classes: dict[str, int]) -> Path:
    for name, n in classes.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            write_tone(root / name / f"{i}.wav", duration_s=0.3, freq_hz=110.0 * (1 + i % 7))
    return root


def test_an_import_killed_half_way_leaves_no_project_and_its_leftover_is_swept(tmp_path: Path) -> None:
    source = _class_set(tmp_path / "set", {"background": 150, "bass": 150})
    projects = tmp_path / "projects"
    projects.mkdir()
    process = subprocess.Popen([sys.executable, "-c", _SLOW_IMPORT, str(source), str(projects)])
    try:
        deadline = time.monotonic() + 60
        building: list[Path] = []
        while time.monotonic() < deadline and process.poll() is None:
            building = [p for p in projects.iterdir() if p.name.startswith(IMPORTING_PREFIX)]
            if building and len(list(building[0].rglob("*.wav"))) >= 10:
                break
            time.sleep(0.02)
        assert process.poll() is None, "the import ended before it could be killed"
        assert len(list(building[0].rglob("*.wav"))) >= 10
        assert sweep_import_leftovers(projects) == [] and building[0].is_dir(), "an import going on is left alone"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    # nothing a project list shows: the half-made project is in the hidden folder only
    assert [p.name for p in projects.iterdir() if not p.name.startswith(".")] == []
    assert sweep_import_leftovers(projects) == building
    assert list(projects.iterdir()) == []


def test_a_finished_import_is_moved_into_place_whole(tmp_path: Path) -> None:
    projects = tmp_path / "projects"
    projects.mkdir()
    project, result = import_project(_class_set(tmp_path / "set", {"background": 2, "bass": 3}), projects, name="CON")
    assert project.root == projects / "CON" and project.name == "CON"
    assert sorted(c.name for c in project.classes() if c.samples) == ["background", "bass"]
    assert len(result.added) == 5 and sorted(p.name for p in projects.iterdir()) == ["CON"]


def test_an_imported_project_scores_its_models_under_the_classes_renamed_since(tmp_path: Path) -> None:
    original = Project.create(tmp_path / "q")
    original.add_class("bass")
    for label in ("background", "bass"):
        write_tone(original.set_dir(label) / "a.wav", duration_s=0.5)
    original.save_model(untrained_classifier(labels=("background", "bass")))
    original.rename_class("bass", to="bass guitar")
    model = original.models()[0].id
    unpacked = extract_zip(original.export_zip(tmp_path / "q.zip"), tmp_path / "unpacked")
    copy = Project.create(tmp_path / "copy")
    fill_from_folder(copy, unpacked)
    assert copy.class_names() == original.class_names()
    assert as_named_now(Classifier.load(copy.model_path(model)), copy).labels == ["background", "bass guitar"]
    assert copy.class_history().log == original.class_history().log


def test_a_sets_test_folder_of_class_folders_is_its_test_set_not_a_class(tmp_path: Path) -> None:
    source = _class_set(tmp_path / "set", {"background": 2, "bass": 3, "test/background": 1, "test/bass": 2})
    project = Project.create(tmp_path / "new")
    result = fill_from_folder(project, source)
    assert project.class_names() == ["background", "bass"]
    assert {c.name: (c.samples, c.test_samples) for c in project.classes()} == {"background": (2, 1), "bass": (3, 2)}
    assert [name for name, _ in result.warnings] == ["test/"]
    assert "the project's test set" in result.warnings[0][1]


def test_a_set_of_train_and_test_folders_is_classes_and_test_set(tmp_path: Path) -> None:
    source = _class_set(tmp_path / "set", {"train/background": 2, "train/bass": 2, "test/background": 1,
                                           "test/bass": 1})
    project = Project.create(tmp_path / "new")
    fill_from_folder(project, source)
    assert {c.name: (c.samples, c.test_samples) for c in project.classes()} == {"background": (2, 1), "bass": (2, 1)}


def test_a_class_folder_holding_class_folders_is_refused_before_anything_lands(tmp_path: Path) -> None:
    source = _class_set(tmp_path / "set", {"background": 2, "bass": 2, "drums": 1, "bass/drums": 1,
                                           "bass/background": 1})
    project = Project.create(tmp_path / "new")
    with pytest.raises(DatasetError, match=r"bass/ in the zip holds class folders \(background, drums\), not audio "
                                           r"of a class 'bass': move bass/ out"):
        fill_from_folder(project, source)
    assert project.class_names() == ["background"] and not project.classes()[0].samples


def test_the_studio_removes_a_killed_imports_leftover_at_start_and_imports_whole(tmp_path: Path) -> None:
    """The studio's import wrote straight into the project's folder: killed half way, the next start listed
    a project of 18 of its 150 samples as if it were whole. Now it builds in a hidden folder, moved
    into place when complete; a killed import's hidden folder is gone at the next start."""
    from conftest import make_client, write_dataset

    root = tmp_path / "projects"
    band = Project.create(root / "band")
    write_dataset(band.samples_dir, per_class=5, seed=4)
    export = band.export_zip(tmp_path / "band.zip")
    leftover = root / f"{IMPORTING_PREFIX}dead"  # as a studio killed mid-import leaves it: no one holds it
    (leftover / "project" / "samples" / "bass").mkdir(parents=True)
    (leftover / OWNER_FILE).write_text("an import by process 1, while it runs\n")  # its lock went with it
    with make_client(root) as client:
        assert not leftover.exists()
        assert [p["id"] for p in client.get("/api/projects").json()["projects"]] == ["band"]
        with export.open("rb") as fh:
            made = client.post("/api/projects/import", files={"file": ("band.zip", fh, "application/zip")})
        assert made.status_code == 201, made.text
        copy = made.json()["id"]
        assert copy == "band-2" and not [p for p in root.iterdir() if p.name.startswith(IMPORTING_PREFIX)]
        assert Project.open(root / copy).class_names() == band.class_names()
