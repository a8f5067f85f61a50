"""Moves, undos and new classes never give a class folder two names that are one file on macOS
or Windows (``Bass.wav`` beside ``bass.wav``, ``café`` written precomposed beside decomposed),
as intake never does (see :func:`earmark.naming.name_key`)."""

from __future__ import annotations

import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import write_tone
from earmark.classifier import Classifier
from earmark.errors import ConflictError
from earmark.naming import name_key
from earmark.project import Project

NFD_CAFE = unicodedata.normalize("NFD", "café")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = Project.create(tmp_path / "band")
    project.add_class("bass")
    return project


def names(folder: Path) -> list[str]:
    """The names in ``folder``, checked to hold no two that one case-insensitive disk would merge."""
    found = sorted(p.name for p in folder.iterdir())
    assert len({name_key(n) for n in found}) == len(found), f"twins in {folder}: {found}"
    return found


@pytest.mark.parametrize(("name", "there", "free"), [("Bass.wav", "bass.wav", "Bass-2.wav"),
                                                      ("café.wav", f"{NFD_CAFE}.wav", "café-2.wav")])
def test_a_sample_moved_to_a_class_holding_its_twin_gets_a_free_name(project: Project, name: str, there: str,
                                                                   free: str) -> None:
    write_tone(project.class_dir("bass") / name)
    write_tone(project.class_dir("background") / there)
    moved = project.move_sample("bass", name, to="background")
    assert (moved.class_name, moved.id) == ("background", free)
    assert names(project.class_dir("background")) == sorted([there, free])
    assert project.locate_sample("bass", name) == ("background", free)


def test_an_undone_delete_never_comes_back_beside_its_twin(project: Project) -> None:
    write_tone(project.class_dir("bass") / "Take.wav", freq_hz=110)
    undo = project.delete_sample("bass", "Take.wav")
    write_tone(project.class_dir("bass") / "take.wav", freq_hz=220)  # recorded since, in another case
    [back] = project.restore(undo.id).samples
    assert back.id == "Take-2.wav"
    assert names(project.class_dir("bass")) == ["Take-2.wav", "take.wav"]

    # a test sample too
    write_tone(project.test_dir / "bass" / "Room.wav")
    undo = project.delete_sample("bass", "Room.wav", test=True)
    write_tone(project.test_dir / "bass" / "ROOM.wav")
    [back] = project.restore(undo.id).samples
    assert (back.id, back.test) == ("Room-2.wav", True)
    assert names(project.test_dir / "bass") == ["ROOM.wav", "Room-2.wav"]


def test_a_class_undone_beside_its_decomposed_twin_comes_back_under_a_free_name(project: Project) -> None:
    project.add_class("café")
    write_tone(project.class_dir("café") / "a.wav")
    gone = project.delete_class("café")
    (project.samples_dir / NFD_CAFE).mkdir()  # made since by hand, on a Mac: the same name, another class
    [back] = project.restore(gone.id).samples
    assert (back.class_name, back.id) == ("café-2", "a.wav")
    assert names(project.samples_dir) == ["background", "bass", NFD_CAFE, "café-2"]


def test_moves_to_the_test_set_and_back_never_make_twins(project: Project) -> None:
    write_tone(project.class_dir("bass") / "Single.wav", freq_hz=110)
    write_tone(project.test_dir / "bass" / "single.wav", freq_hz=220)
    [moved] = project.move_to_test("bass", "Single.wav")
    assert (moved.id, moved.test) == ("Single-2.wav", True)
    assert names(project.test_dir / "bass") == ["Single-2.wav", "single.wav"]

    # a take's clips in a subfolder join the subfolder spelt in another case, not a twin of it
    for i in range(2):
        write_tone(project.class_dir("bass") / "Session" / f"take_nohash_{i:03d}.wav", freq_hz=110)
    write_tone(project.test_dir / "bass" / "session" / "Take_nohash_000.wav", freq_hz=330)
    moved_take = project.move_to_test("bass", "Session/take_nohash_001.wav")
    assert [s.id for s in moved_take] == ["session/take_nohash_000-2.wav", "session/take_nohash_001.wav"]
    assert names(project.test_dir / "bass") == ["Single-2.wav", "session", "single.wav"]
    assert names(project.test_dir / "bass" / "session") == \
        ["Take_nohash_000.wav", "take_nohash_000-2.wav", "take_nohash_001.wav"]

    write_tone(project.class_dir("bass") / "SINGLE-2.wav")
    [back] = project.move_to_training("bass", "Single-2.wav")
    assert (back.id, back.test) == ("Single-2-2.wav", False)
    assert names(project.class_dir("bass")) == ["SINGLE-2.wav", "Session", "Single-2-2.wav"]


def test_a_class_cannot_be_made_beside_its_decomposed_twin(project: Project) -> None:
    (project.samples_dir / NFD_CAFE).mkdir()  # a class folder made on a Mac
    with pytest.raises(ConflictError, match=f"a class named '{NFD_CAFE}' already exists"):
        project.add_class("café")
    with pytest.raises(ConflictError, match=f"a class named '{NFD_CAFE}' already exists"):
        project.rename_class("bass", to="Café")
    renamed = project.rename_class(NFD_CAFE, to="Café")  # its own name in another case and form: allowed
    assert renamed.name == "Café" and names(project.samples_dir) == ["Café", "background", "bass"]


def test_a_model_cannot_be_renamed_beside_its_decomposed_twin(project: Project,
                                                              make_untrained: Callable[..., Classifier]) -> None:
    model = project.save_model(make_untrained())
    shutil.copyfile(project.model_path(model.id), project.models_dir / f"{NFD_CAFE}.earmark")  # copied on a Mac
    with pytest.raises(ConflictError, match=f"already has a model called '{NFD_CAFE}'"):
        project.rename_model(model.id, to="café")
    assert names(project.models_dir) == sorted([f"{model.id}.earmark", f"{NFD_CAFE}.earmark"])
