"""A part of a recording added to training when another part of it is in the test set (or the other way)
is said so at once: the Try tab's "Add to class" of a file whose first part was moved to the test set put
the second part in training with no word, and only a later test score warned."""

from __future__ import annotations

from pathlib import Path

from conftest import write_tone
from earmark.intake import add_files
from earmark.project import Project


def _project(tmp_path: Path) -> tuple[Project, Path]:
    project = Project.create(tmp_path / "band")
    project.add_class("bass")
    project.add_class("drums")
    return project, write_tone(tmp_path / "jam.wav", duration_s=14.0)


def test_a_part_of_a_recording_whose_other_part_is_in_the_test_set_is_said_to_be_on_both_sides(tmp_path: Path) -> None:
    project, jam = _project(tmp_path)
    first = add_files(project, "drums", jam, excerpt=(0.0, 4.0), test=True)
    assert first.added and first.warnings == []
    second = add_files(project, "bass", jam, excerpt=(8.0, 12.0))
    assert [info.id for info in second.added] == ["jam_nohash_000.wav"]
    [(name, message)] = second.warnings
    assert name == "jam.wav"
    assert message.startswith("its recording 'jam' has clips in the test set already (class 'drums'): a recording "
                              "with clips in both makes the test score overstate"), message
    third = add_files(project, "drums", jam, excerpt=(12.0, 14.0), test=True)  # and the other way
    assert [m for _, m in third.warnings] == [
        "its recording 'jam' has clips in the training samples already (class 'bass'): a recording with clips in "
        "both makes the test score overstate how the model does on new recordings; keep each recording's clips on "
        "one side"]


def test_another_recording_is_not_said_to_be_on_both_sides(tmp_path: Path) -> None:
    project, jam = _project(tmp_path)
    add_files(project, "drums", jam, excerpt=(0.0, 4.0), test=True)
    other = write_tone(tmp_path / "gig.wav", duration_s=6.0)
    assert add_files(project, "bass", other, excerpt=(0.0, 4.0)).warnings == []
    assert add_files(project, "bass", jam, excerpt=(4.0, 8.0), recording="rehearsal").warnings == []
