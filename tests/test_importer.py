"""Tests for earmark.importer: a folder-per-class set or an exported project brought into a project."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import earmark.importer as importer
from conftest import write_tone
from earmark.errors import DatasetError
from earmark.importer import fill_from_folder, folder_per_class
from earmark.project import TEST_DIR, Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project.create(tmp_path / "band")
    p.add_class("bass")
    return p


def test_a_folder_of_a_class_named_in_any_script_is_imported(project: Project, tmp_path: Path) -> None:
    root = tmp_path / "sounds"
    for name in ["हिंदी", "bass"]:
        (root / name).mkdir(parents=True)
        write_tone(root / name / "a.wav", duration_s=0.5)
    result = fill_from_folder(project, root)
    assert result.skipped == [] and sorted(s.class_name for s in result.added) == ["bass", "हिंदी"]


def test_an_import_names_the_audio_in_no_class_folder(tmp_path: Path) -> None:
    (tmp_path / "set" / "bass").mkdir(parents=True)
    write_tone(tmp_path / "set" / "bass" / "low.wav", duration_s=1.0)
    write_tone(tmp_path / "set" / "stray.wav", duration_s=1.0)
    (tmp_path / "set" / "README.txt").write_text("my sounds")  # not audio: not a sample anyone misses
    result = fill_from_folder(Project.create(tmp_path / "new"), tmp_path / "set")
    assert [s.id for s in result.added] == ["low.wav"]
    assert result.skipped == [("stray.wav", "in no class's folder, so in no class: put it in the folder of its class "
                                            "and import again, or drop it onto its class")]


def test_a_project_import_names_the_audio_beside_its_class_folders(project: Project, tmp_path: Path) -> None:
    write_tone(project.set_dir("bass") / "low.wav", duration_s=1.0)
    write_tone(project.root / "samples" / "stray.wav", duration_s=1.0)
    (project.root / TEST_DIR).mkdir(exist_ok=True)
    write_tone(project.root / TEST_DIR / "lost.wav", duration_s=1.0)
    result = fill_from_folder(Project.create(tmp_path / "copy"), project.root)
    assert [s.id for s in result.added] == ["low.wav"]
    assert [name for name, _ in result.skipped] == ["samples/stray.wav", "test/lost.wav"]


def test_an_import_of_loose_audio_says_to_put_it_in_class_folders(tmp_path: Path) -> None:
    (tmp_path / "set").mkdir()
    for name in ("a.wav", "b.wav", "c.wav", "d.wav"):
        write_tone(tmp_path / "set" / name, duration_s=0.5)
    with pytest.raises(DatasetError, match=r"holds audio files \('a.wav', 'b.wav', 'c.wav', …\) but no class "
                                           r"folders;.*one subfolder of audio per class \(bass/, drums/, …\)"):
        fill_from_folder(Project.create(tmp_path / "new"), tmp_path / "set")


def test_a_rename_finishes_while_a_test_set_is_being_copied(project: Project, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A test set's files are copied under a hidden name with no lock held (earmark.naming.NAMING is
    taken only to name each one): the real copy, only paused until a class is renamed (or 10 s, had
    the rename to wait for it)."""
    copying, renamed = threading.Event(), threading.Event()
    real = importer.atomic_copy
    waited: list[bool] = []

    def paused_copy(source: Path, *, target: Path) -> None:
        copying.set()
        waited.append(renamed.wait(timeout=10))
        real(source, target=target)

    monkeypatch.setattr(importer, "atomic_copy", paused_copy)
    one = write_tone(tmp_path / "one.wav", duration_s=0.5)
    laid_out: list[Path] = []
    copy = threading.Thread(target=lambda: laid_out.append(
        folder_per_class([("set/drums/a.wav", one), ("set/drums/A.wav", one)], tmp_path / "set")))
    copy.start()
    assert copying.wait(timeout=30)
    start = time.monotonic()
    project.rename_class("bass", to="Bass guitar")
    renamed.set()
    took_s = time.monotonic() - start
    copy.join(timeout=60)
    assert waited == [True, True], "the rename waited for the test set's copy"
    assert took_s < 5
    assert laid_out == [tmp_path / "set"]
    # every file under its own name, free in any case, and no hidden copy left beside them
    assert sorted(p.relative_to(tmp_path / "set").as_posix() for p in (tmp_path / "set").rglob("*")) == [
        "drums", "drums/A-2.wav", "drums/a.wav"]
    assert (tmp_path / "set" / "drums" / "A-2.wav").read_bytes() == one.read_bytes()


def test_a_moved_sample_that_takes_a_new_number_is_still_found_where_it_went(tmp_path: Path) -> None:
    """A sample moved from bass to drums is remembered (``moved_samples``) so that a model's report,
    which names it in bass, finds it; imported where drums has a clip of its name already, it takes the
    take's next number, and what the project remembers follows it there, not to the other clip."""
    source = Project.create(tmp_path / "source")
    for name in ("bass", "drums"):
        source.add_class(name)
    write_tone(source.set_dir("bass") / "hit_nohash_001.wav", duration_s=1.0, freq_hz=80.0)
    write_tone(source.set_dir("bass") / "riff_nohash_001.wav", duration_s=1.0, freq_hz=90.0)
    source.move_sample("bass", "hit_nohash_001.wav", to="drums")
    assert source.where_now("moved_samples") == {"bass/hit_nohash_001.wav": "drums/hit_nohash_001.wav"}
    target = Project.create(tmp_path / "target")
    target.add_class("drums")
    write_tone(target.set_dir("drums") / "hit_nohash_001.wav", duration_s=1.0, freq_hz=300.0)

    result = fill_from_folder(target, source.root)
    assert result.skipped == [] and sorted(f"{s.class_name}/{s.id}" for s in result.added) == [
        "bass/riff_nohash_001.wav", "drums/hit_nohash_002.wav"]
    assert target.where_now("moved_samples") == {"bass/hit_nohash_001.wav": "drums/hit_nohash_002.wav"}
    assert target.locate_sample("bass", "hit_nohash_001.wav") == ("drums", "hit_nohash_002.wav")
    assert (target.set_dir("drums") / "hit_nohash_002.wav").read_bytes() == \
        (source.set_dir("drums") / "hit_nohash_001.wav").read_bytes()
