"""Tests for earmark.trash: which class an Undo puts a delete back into, when classes were renamed
(or made under a deleted class's name) before or after the delete. (Deletes and undos of samples,
classes and models in general: test_project.py.)"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import write_tone
from earmark.project import Project
from earmark.projectfile import RENAME_LOG


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.create(tmp_path / "band")


def with_samples(project: Project, name: str, *ids: str) -> None:
    project.add_class(name)
    for sample_id in ids:
        write_tone(project.class_dir(name) / sample_id)


def held(project: Project) -> dict[str, list[str]]:
    """Each class and the samples it holds."""
    return {name: [s.id for s in project.samples(name)] for name in project.class_names()}


def shift_log(project: Project, *, minutes: int) -> None:
    """Move the time of every change the class log holds by ``minutes`` (back: as if made before
    what follows, such as a sample's delete, which the log does not hold and places by time)."""
    meta = project.file.read()
    for entry in meta[RENAME_LOG]:
        entry["at"] = (datetime.fromisoformat(entry["at"]) + timedelta(minutes=minutes)).isoformat(timespec="seconds")
    project.file.write(meta)


def forget_log(project: Project) -> None:
    """Drop the class log, keeping the renames the project file remembers: as earmark wrote it before the log."""
    meta = project.file.read()
    del meta[RENAME_LOG]
    project.file.write(meta)


def test_an_undo_does_not_follow_a_rename_made_before_its_delete(project: Project) -> None:
    with_samples(project, "drums", "old.wav")
    project.rename_class("drums", to="perc")
    with_samples(project, "drums", "new.wav")  # another class, under the name the first one had
    gone = project.delete_class("drums")
    assert [(s.class_name, s.id) for s in project.restore(gone.id).samples] == [("drums", "new.wav")]
    assert held(project) == {"background": [], "drums": ["new.wav"], "perc": ["old.wav"]}
    # its test set likewise: back to the class's own test folder, not perc's
    write_tone(project.test_dir / "drums" / "t.wav")
    gone = project.delete_class("drums")
    assert sorted((s.class_name, s.id, s.test) for s in project.restore(gone.id).samples) == \
        [("drums", "new.wav", False), ("drums", "t.wav", True)]
    assert project.samples("perc", test=True) == []


def test_an_undo_never_joins_a_class_renamed_onto_its_name_after_the_delete(project: Project) -> None:
    """QA: drums deleted, bass renamed drums, Undo: the old drums went into the former bass. It comes
    back under a free name, and says so."""
    with_samples(project, "drums", "d.wav")
    with_samples(project, "bass", "b.wav")
    gone = project.delete_class("drums")
    project.rename_class("bass", to="drums")
    back = project.restore(gone.id)
    assert held(project) == {"background": [], "drums": ["b.wav"], "drums-2": ["d.wav"]}
    assert [(s.class_name, s.id) for s in back.samples] == [("drums-2", "d.wav")]
    assert back.notes == ["class 'drums' comes back as 'drums-2': another class is called 'drums' now"]


def test_an_undo_does_not_follow_a_class_made_under_its_name_after_the_delete(project: Project) -> None:
    with_samples(project, "drums", "old.wav")
    project.rename_class("drums", to="perc")
    with_samples(project, "drums", "d.wav")
    gone = project.delete_class("drums")
    with_samples(project, "drums", "e.wav")  # another class, renamed away: the name is free again
    project.rename_class("drums", to="kit")
    back = project.restore(gone.id)
    assert held(project) == {"background": [], "drums": ["d.wav"], "kit": ["e.wav"], "perc": ["old.wav"]}
    assert back.notes == []


def test_an_earlier_undo_that_joins_a_renamed_class_does_not_steer_a_later_one(project: Project) -> None:
    with_samples(project, "drums", "a.wav", "b.wav")
    one = project.delete_sample("drums", "a.wav")
    project.rename_class("drums", to="perc")
    with_samples(project, "drums", "d.wav")
    gone = project.delete_class("drums")
    [back] = project.restore(one.id).samples
    assert (back.class_name, back.id) == ("perc", "a.wav"), "its class is called perc now"
    project.restore(gone.id)
    assert held(project) == {"background": [], "drums": ["d.wav"], "perc": ["a.wav", "b.wav"]}


def test_a_sample_undo_follows_its_class_renamed_after_the_delete(project: Project) -> None:
    with_samples(project, "drums", "a.wav", "b.wav")
    one = project.delete_sample("drums", "a.wav")
    project.rename_class("drums", to="perc")
    [back] = project.restore(one.id).samples
    assert (back.class_name, back.id) == ("perc", "a.wav")


def test_a_sample_undo_does_not_follow_a_rename_made_before_its_delete(project: Project) -> None:
    with_samples(project, "drums", "old.wav")
    project.rename_class("drums", to="perc")
    with_samples(project, "drums", "a.wav", "b.wav")
    shift_log(project, minutes=-1)
    one = project.delete_sample("drums", "a.wav")
    project.delete_class("drums")
    back = project.restore(one.id).samples
    assert [(s.class_name, s.id) for s in back] == [("drums", "a.wav"), ("drums", "b.wav")], \
        "its class comes back (its delete undone too) to hold it, not perc"
    assert held(project) == {"background": [], "drums": ["a.wav", "b.wav"], "perc": ["old.wav"]}


def test_an_undo_in_a_project_file_without_a_class_log_follows_the_renames_it_remembers(project: Project) -> None:
    with_samples(project, "drums", "a.wav")
    gone = project.delete_class("drums")
    with_samples(project, "kit", "k.wav")
    forget_log(project)
    project.file.write({**project.file.read(), "renamed_classes": {"drums": "kit"}})
    project.restore(gone.id)
    assert held(project) == {"background": [], "kit": ["a.wav", "k.wav"]}


def test_an_undo_of_a_delete_made_before_the_log_began_follows_the_renames_the_file_remembers(
        project: Project) -> None:
    with_samples(project, "drums", "a.wav", "b.wav")
    with_samples(project, "bass")
    one = project.delete_sample("drums", "a.wav")
    project.rename_class("drums", to="perc")
    forget_log(project)
    project.rename_class("bass", to="guitar")  # the log begins, after the delete and the rename
    shift_log(project, minutes=1)
    [back] = project.restore(one.id).samples
    assert (back.class_name, back.id) == ("perc", "a.wav")


def test_a_samples_undo_does_not_follow_a_rename_made_in_the_same_second_before_its_delete(project: Project) -> None:
    # no time shifting: a sample's delete is placed in the class log by where the log was, not by its time
    while time.time() % 1 > 0.5:  # early in a second, so that the steps share it
        time.sleep(0.05)
    with_samples(project, "drums", "old.wav")
    project.rename_class("drums", to="perc")
    with_samples(project, "drums", "hit.wav")  # another class, under the name the first one had
    gone = project.delete_sample("drums", "hit.wav")
    project.delete_class("drums")
    assert [(s.class_name, s.id) for s in project.restore(gone.id).samples] == [("drums", "hit.wav")]
    assert held(project) == {"background": [], "drums": ["hit.wav"], "perc": ["old.wav"]}
    assert not (project.root / ".trash" / gone.id).exists(), "its folder goes, the file keeping its place included"


def test_a_samples_undo_follows_a_rename_made_in_the_same_second_after_its_delete(project: Project) -> None:
    while time.time() % 1 > 0.5:
        time.sleep(0.05)
    with_samples(project, "drums", "hit.wav", "kick.wav")
    gone = project.delete_sample("drums", "hit.wav")
    project.rename_class("drums", to="perc")
    assert [(s.class_name, s.id) for s in project.restore(gone.id).samples] == [("perc", "hit.wav")]
