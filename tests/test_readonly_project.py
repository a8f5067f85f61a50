"""A project whose folder cannot be written (a disk mounted read-only): the studio's upload, new class and
training answer the one JSON error shape, saying the project folder cannot be written and what to do,
and leave nothing behind. QA: the upload and new class answered 500 "something went wrong inside
earmark" (the cleanup of the upload's hidden file failed again on the read-only disk and hid the clear
error); training ran every epoch and failed only when it saved the model."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import assert_error, make_client, read_only_mount, wav_bytes, write_dataset
from earmark.errors import OutputError
from earmark.intake import add_files
from earmark.project import Project

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="a read-only bind mount: Linux")

BASE = "/api/projects/band"
UNWRITABLE = (r"cannot write into project 'band' \(its folder \S*band\S*\): Read-only file system; make the folder "
              r"writable \(its permissions, or a disk mounted read-only\), or copy the project to a folder you can "
              r"write to and open it there")


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture
def read_only_project(tmp_path: Path) -> Iterator[Project]:
    """A trainable project 'band' (classes bass and drums, 6 samples each), its folder mounted read-only."""
    project = Project.create(tmp_path / "projects" / "band")
    write_dataset(project.samples_dir, per_class=6, seed=3)
    with read_only_mount(project.root) as root:
        if _writable(root):
            pytest.skip("the bind mount did not make the folder read-only")
        yield project


@pytest.fixture
def read_only(read_only_project: Project, tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    """The studio over the read-only project 'band'."""
    with make_client(tmp_path / "projects") as client:
        yield client, read_only_project.root


def _writable(folder: Path) -> bool:
    try:
        (folder / ".probe").touch()
    except OSError:
        return False
    (folder / ".probe").unlink()
    return True


def test_an_upload_into_a_read_only_project_says_its_folder_cannot_be_written(
        read_only: tuple[TestClient, Path]) -> None:
    client, root = read_only
    before = _files(root)
    up = client.post(f"{BASE}/classes/bass/samples", files=[("files", ("riff.wav", wav_bytes(1.0)))])
    assert_error(up, 500, "OutputError", UNWRITABLE)
    assert ".staged-" not in up.json()["error"]["message"], "the message names the project, not a hidden file"
    assert _files(root) == before


def test_an_upload_into_a_read_only_test_set_says_its_folder_cannot_be_written(
        read_only: tuple[TestClient, Path]) -> None:
    client, root = read_only
    up = client.post(f"{BASE}/classes/bass/samples?set=test", files=[("files", ("riff.wav", wav_bytes(1.0)))])
    assert_error(up, 500, "OutputError", UNWRITABLE)
    assert not (root / "test").exists()


def test_a_new_class_in_a_read_only_project_says_its_folder_cannot_be_written(
        read_only: tuple[TestClient, Path]) -> None:
    client, root = read_only
    before = _files(root)
    made = client.post(f"{BASE}/classes", json={"name": "keys"})
    assert_error(made, 500, "OutputError", UNWRITABLE)
    assert _files(root) == before


def test_training_a_read_only_project_is_refused_before_it_starts(read_only: tuple[TestClient, Path]) -> None:
    """Refused at once, not after every epoch when the model is saved; no job runs."""
    client, root = read_only
    started = client.post(f"{BASE}/train", json={"epochs": 1})
    assert_error(started, 500, "OutputError", UNWRITABLE)
    assert client.get("/api/status").json()["training"] is None
    assert list((root / "models").iterdir()) == []


def test_adding_files_from_python_to_a_read_only_project_raises_the_writes_own_error(
        read_only_project: Project, tmp_path: Path) -> None:
    """The hidden file the upload was written under cannot be removed either: that second refusal (an
    OSError) no longer replaces the write's OutputError."""
    take = tmp_path / "riff.wav"
    take.write_bytes(wav_bytes(1.0))
    before = _files(read_only_project.root)
    with pytest.raises(OutputError, match="Read-only file system; make the folder writable .*, or choose a folder "
                                          "you can write to"):
        add_files(read_only_project, "bass", [take])
    assert _files(read_only_project.root) == before


def test_a_read_only_project_says_so_from_python_before_a_write(read_only_project: Project) -> None:
    with pytest.raises(OutputError, match=UNWRITABLE):
        read_only_project.check_writable(into=read_only_project.models_dir)
    with pytest.raises(OutputError, match=UNWRITABLE):
        read_only_project.add_class("keys")


def test_a_move_to_the_test_set_of_a_read_only_project_says_its_folder_cannot_be_written(
        read_only_project: Project) -> None:
    root = read_only_project.root
    before = _files(root)
    with pytest.raises(OutputError, match=UNWRITABLE):
        read_only_project.move_to_test("bass", read_only_project.samples("bass")[0].id)
    assert _files(root) == before
