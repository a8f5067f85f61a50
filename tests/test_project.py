"""Tests for earmark.project: the project folder, its classes, samples and models."""

from __future__ import annotations

import json
import os
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earmark.classifier import Classifier
from earmark.errors import ConflictError, DatasetError, NotFoundError, ParameterError
from earmark.naming import clean_name, free_path
from earmark.project import PROJECT_FILE, Project, is_project_folder, set_folder
from earmark.projecthistory import Followed
from earmark.trash import Restored

SR = 22050


def tone(path: Path, seconds: float = 1.0, freq: float = 110.0) -> Path:
    t = np.arange(int(SR * seconds)) / SR
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), SR, subtype="PCM_16")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.create(tmp_path / "band")


def test_a_new_project_has_its_file_and_a_background_class(project: Project) -> None:
    meta = json.loads((project.root / PROJECT_FILE).read_text())
    assert meta["format"] == "earmark-project" and meta["name"] == "band"
    [background] = project.classes()
    assert (background.name, background.display_name, background.is_background) == \
        ("background", "Background Noise", True)
    assert background.samples == 0 and not background.enough
    assert background.hint == "Background Noise has 0 samples; add at least 5 to train"
    assert "add a class" in " ".join(project.hints())
    with pytest.raises(DatasetError, match="not ready to train: Background Noise has 0 samples"):
        project.check_trainable()


def test_a_long_recording_counts_as_the_clips_training_will_cut(project: Project) -> None:
    tone(project.class_dir("background") / "room.wav", 20.0)
    assert project.class_info("background").enough
    tone(project.class_dir("background") / "room.wav", 12.0)
    assert not project.class_info("background").enough


def test_create_refuses_a_folder_that_holds_files(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    with pytest.raises(ConflictError, match="already holds files"):
        Project.create(tmp_path / "x")
    assert (tmp_path / "x" / "notes.txt").read_text() == "mine"


def test_a_plain_folder_per_class_is_adopted_with_its_background_alias(tmp_path: Path) -> None:
    tone(tmp_path / "p" / "samples" / "Background Noise" / "a.wav")
    tone(tmp_path / "p" / "samples" / "bass" / "b.wav")
    project = Project.open(tmp_path / "p")
    assert [c.name for c in project.classes()] == ["Background Noise", "bass"]
    assert project.class_dir("background").name == "Background Noise"
    assert not (tmp_path / "p" / "samples" / "background").exists()


def test_open_refuses_a_folder_that_is_not_a_project(tmp_path: Path) -> None:
    (tmp_path / "q").mkdir()
    with pytest.raises(NotFoundError, match="is not an earmark project"):
        Project.open(tmp_path / "q")
    (tmp_path / "q" / PROJECT_FILE).write_text("{broken")
    with pytest.raises(Exception, match="cannot be read"):
        Project.open(tmp_path / "q")


@pytest.mark.parametrize("bad", ["", "../up", "a/b", ".hidden", "x" * 65, "tab\there/..", "-dash"])
def test_unsafe_names_are_refused_with_the_rule(bad: str) -> None:
    with pytest.raises(ParameterError, match="cannot be used; use 1–64 letters"):
        clean_name(bad, what="class")


def test_names_keep_letters_of_any_script_and_collapse_spaces() -> None:
    assert clean_name("  Bass   gitarre ", what="class") == "Bass gitarre"
    assert clean_name("ベース", what="class") == "ベース"


def test_classes_add_rename_delete(project: Project) -> None:
    project.add_class("bass")
    with pytest.raises(ConflictError, match="a class named .bass. already exists"):
        project.add_class("BASS")
    with pytest.raises(ConflictError, match="Background Noise class is always there"):
        project.add_class("Background Noise")
    tone(project.class_dir("bass") / "a.wav")
    info = project.rename_class("bass", to="electric bass")
    assert info.name == "electric bass" and info.samples == 1
    assert project.rename_class("electric bass", to="Electric Bass").name == "Electric Bass"  # case-only rename
    with pytest.raises(ParameterError, match="cannot be renamed"):
        project.rename_class("background", to="noise")
    assert project.delete_class("Electric Bass").samples == 1
    assert [c.name for c in project.classes()] == ["background"]
    trashed = list((project.root / ".trash").rglob("a.wav"))
    assert len(trashed) == 1, "a deleted class goes to the project's trash, not away"
    with pytest.raises(ParameterError, match="cannot be deleted"):
        project.delete_class("background")


def test_samples_list_move_and_delete(project: Project) -> None:
    project.add_class("bass")
    tone(project.class_dir("bass") / "take_nohash_000.wav", 1.5)
    tone(project.class_dir("bass") / "take_nohash_001.wav", 0.5)
    tone(project.class_dir("background") / "take_nohash_000.wav")
    samples = project.samples("bass")
    assert [(s.id, s.duration_s, s.sample_rate, s.recording) for s in samples] == \
        [("take_nohash_000.wav", 1.5, SR, "take"), ("take_nohash_001.wav", 0.5, SR, "take")]
    moved = project.move_sample("bass", "take_nohash_000.wav", to="background")
    assert moved.class_name == "background" and moved.id == "take_nohash_000-2.wav", "never overwrite"
    project.delete_sample("bass", "take_nohash_001.wav")
    assert project.samples("bass") == []
    assert len(project.samples("background")) == 2


def test_a_delete_can_be_undone(project: Project) -> None:
    project.add_class("bass")
    tone(project.class_dir("bass") / "a.wav", 0.7)
    tone(project.class_dir("bass") / "b.wav")
    undo = project.delete_sample("bass", "a.wav")
    assert [s.id for s in project.samples("bass")] == ["b.wav"]
    [back] = project.restore(undo.id).samples
    assert (back.class_name, back.id, back.duration_s) == ("bass", "a.wav", 0.7)
    assert [s.id for s in project.samples("bass")] == ["a.wav", "b.wav"]
    with pytest.raises(NotFoundError, match="restored already"):
        project.restore(undo.id)  # once only

    # a sample whose name was taken meanwhile comes back under a free one
    undo = project.delete_sample("bass", "a.wav")
    tone(project.class_dir("bass") / "a.wav")
    [back] = project.restore(undo.id).samples
    assert back.id == "a-2.wav" and len(project.samples("bass")) == 3

    # a class comes back whole; if one of that name (in any case) was made since, under a free name beside it
    gone = project.delete_class("bass")
    assert gone.samples == 3 and [c.name for c in project.classes()] == ["background"]
    assert sorted(s.id for s in project.restore(gone.id).samples) == ["a-2.wav", "a.wav", "b.wav"]
    assert [c.name for c in project.classes()] == ["background", "bass"]
    gone = project.delete_class("bass")
    project.add_class("Bass")
    assert {s.class_name for s in project.restore(gone.id).samples} == {"bass-2"}
    assert [(c.name, c.samples) for c in project.classes()] == [("background", 0), ("Bass", 0), ("bass-2", 3)]


def test_undo_keeps_links_as_links_and_follows_renames(project: Project, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    tone(outside / "e.wav")
    project.add_class("bass")
    tone(project.class_dir("bass") / "a.wav")
    (project.class_dir("bass") / "more").symlink_to(outside, target_is_directory=True)
    assert [s.id for s in project.samples("bass")] == ["a.wav", "more/e.wav"]
    gone = project.delete_class("bass")
    assert sorted(s.id for s in project.restore(gone.id).samples) == ["a.wav", "more/e.wav"]
    assert (project.class_dir("bass") / "more").is_symlink() and (outside / "e.wav").is_file()

    # a sample deleted, its class renamed, then Undo: it goes to the class as it is called now
    one = project.delete_sample("bass", "a.wav")
    project.rename_class("bass", to="guitar")
    [back] = project.restore(one.id).samples
    assert (back.class_name, back.id) == ("guitar", "a.wav")
    assert [c.name for c in project.classes()] == ["background", "guitar"]
    assert project.locate_sample("bass", "more/e.wav") == ("guitar", "more/e.wav")


def test_one_undo_restores_once_when_asked_at_once(project: Project) -> None:
    project.add_class("bass")
    tone(project.class_dir("bass") / "a.wav")
    undo = project.delete_sample("bass", "a.wav")
    outcomes: list[str] = []

    def restore() -> None:
        try:
            outcomes.append(f"restored {len(project.restore(undo.id).samples)}")
        except NotFoundError:
            outcomes.append("nothing to undo")

    threads = [threading.Thread(target=restore) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["nothing to undo"] * 3 + ["restored 1"]


def test_a_deleted_model_comes_back_with_its_name_and_share_link(project: Project,
                                                               trained_classifier: Classifier) -> None:
    trained_classifier.save(project.models_dir / "library.earmark")
    before = project.model_info("library")
    gone = project.delete_model("library")
    assert project.models() == [] and gone.samples == 0
    assert project.restore(gone.id) == Restored(samples=[], models=["library"])
    assert project.model_info("library") == before  # the same file, the same share link
    with pytest.raises(NotFoundError, match="restored already"):
        project.restore(gone.id)

    # its name was taken meanwhile (a model renamed to it): it comes back under a free one, nothing is overwritten
    gone = project.delete_model("library")
    trained_classifier.save(project.models_dir / "library.earmark")
    assert project.restore(gone.id).models == ["library-2"]
    assert sorted(m.id for m in project.models()) == ["library", "library-2"]


def test_a_class_named_models_is_still_a_class_in_the_trash(project: Project) -> None:
    """A deleted model waits in the trash beside deleted class folders; a class called "models" is not one."""
    project.add_class("models")
    tone(project.class_dir("models") / "a.wav")
    gone = project.delete_class("models")
    restored = project.restore(gone.id)
    assert restored.models == [] and [(s.class_name, s.id) for s in restored.samples] == [("models", "a.wav")]


def test_two_deletes_are_two_undos(project: Project) -> None:
    project.add_class("bass")
    tone(project.class_dir("bass") / "a.wav")
    tone(project.class_dir("bass") / "b.wav")
    first, second = project.delete_sample("bass", "a.wav"), project.delete_sample("bass", "b.wav")
    assert first.id != second.id
    assert [s.id for s in project.restore(second.id).samples] == ["b.wav"]
    assert [s.id for s in project.samples("bass")] == ["b.wav"]


@pytest.mark.parametrize("trash_id", ["../samples", "models", "", "20261127-043000-1", "20261127-043000-000000001",
                                      "20261127-043000-000000001-1/../x"])
def test_restore_takes_only_what_a_delete_named(project: Project, trash_id: str) -> None:
    with pytest.raises(NotFoundError, match="nothing to undo"):
        project.restore(trash_id)


@pytest.mark.parametrize("bad_id", ["../../earmark-project.json", "..", "", "/etc/passwd", ".hidden.wav",
                                    "nothere.wav", "sub/../../x.wav"])
def test_sample_ids_cannot_leave_their_class(project: Project, bad_id: str) -> None:
    project.add_class("bass")
    tone(project.class_dir("bass") / "a.wav")
    with pytest.raises(NotFoundError, match="no sample"):
        project.sample_path("bass", bad_id)


def test_models_list_skips_files_that_are_not_models(project: Project, trained_classifier) -> None:  # type: ignore[no-untyped-def]
    trained_classifier.save(project.new_model_path())
    (project.models_dir / "junk.earmark").write_bytes(b"not a model")
    (project.models_dir / "folder.earmark").mkdir()
    [info] = project.models()
    # ... but says which, and why, so a hand-copied model that does not show up is explained
    assert project.unreadable_models() == [
        ("folder.earmark", "is a folder; give the model file (e.g. model.earmark)"),
        ("junk.earmark", "is not an earmark model file or is corrupted (SafetensorError); train it again or ask for "
                         "a fresh copy")]
    assert info.labels == trained_classifier.labels and len(info.token) == 16
    assert project.model_path(info.id).exists()
    with pytest.raises(NotFoundError):
        project.model_path("../band")


def test_export_zip_holds_samples_models_and_project_file_but_not_cache_or_trash(project: Project) -> None:
    project.add_class("bass")
    tone(project.class_dir("bass") / "a.wav")
    tone(project.class_dir("bass") / "b.wav")
    project.delete_sample("bass", "b.wav")
    (project.cache_dir / "thumbs").mkdir(parents=True)
    (project.cache_dir / "thumbs" / "x.png").write_bytes(b"png")
    out = project.export_zip(project.root.parent / "out.zip")
    names = set(zipfile.ZipFile(out).namelist())
    assert names == {"band/earmark-project.json", "band/samples/bass/a.wav",
                     "band/samples/background/.keep"}  # an empty class is kept as its folder


def test_a_sweep_clears_what_a_crash_left_behind(project: Project) -> None:
    bass = project.add_class("bass")
    keep = project.samples_dir / "bass" / "take.wav"
    sf.write(keep, np.zeros(2205, np.float32), 22050)
    old = time.time() - 2 * 3600
    stale = [project.samples_dir / "bass" / ".take.wav.k2j3.tmp", project.models_dir / ".model-1.earmark.a1b2.tmp"]
    fresh = project.samples_dir / "bass" / ".other.wav.x9y8.tmp"  # a write going on now
    for path in [*stale, fresh]:
        path.write_bytes(b"half")
    for path in stale:
        os.utime(path, (old, old))
    halfway = project.samples_dir / ".renaming-1764100000000"  # a case-only rename cut short
    halfway.mkdir()
    (halfway / "kick.wav").write_bytes(keep.read_bytes())
    os.utime(halfway, (old, old))

    reopened = Project.open(project.root)
    reopened.sweep_crash_leftovers()

    assert not any(p.exists() for p in stale) and fresh.exists() and keep.exists()
    assert not halfway.exists()
    restored = [c for c in reopened.classes() if c.name.startswith("restored-")]
    assert [c.samples for c in restored] == [1], "the samples of a rename cut short come back as a class"
    assert bass.name in [c.name for c in reopened.classes()]


# -- the test set ------------------------------------------------------------------------------------

def test_the_test_set_is_kept_apart_from_the_training_samples(project: Project) -> None:
    project.add_class("bass")
    tone(project.class_dir("bass") / "a.wav", 0.5)
    tone(project.test_dir / "bass" / "a.wav", 0.75)  # the same name in the other set is another file
    assert [(s.id, s.duration_s, s.test) for s in project.samples("bass")] == [("a.wav", 0.5, False)]
    assert [(s.id, s.duration_s, s.test) for s in project.samples("bass", test=True)] == [("a.wav", 0.75, True)]
    assert project.samples("background", test=True) == []  # no test folder yet: none
    info = project.class_info("bass")
    assert (info.samples, info.test_samples, info.test_seconds) == (1, 1, 0.75)
    assert project.to_dict()["test_samples"] == 1
    assert project.sample_path("bass", "a.wav", test=True) == project.test_dir / "bass" / "a.wav"
    with pytest.raises(NotFoundError, match="test set of class 'bass'"):
        project.sample_path("bass", "b.wav", test=True)
    with pytest.raises(NotFoundError, match="no class 'guitar'"):
        project.samples("guitar", test=True)


def test_a_recording_moves_to_the_test_set_whole_and_back(project: Project) -> None:
    project.add_class("bass")
    for i in range(3):
        tone(project.class_dir("bass") / f"take_nohash_{i:03d}.wav")
    tone(project.class_dir("bass") / "other_nohash_000.wav")
    tone(project.class_dir("bass") / "single.wav")
    moved = project.move_to_test("bass", "take_nohash_001.wav")
    assert [(s.id, s.test, s.recording) for s in moved] == \
        [(f"take_nohash_{i:03d}.wav", True, "take") for i in range(3)], "every clip of the take goes"
    assert [s.id for s in project.samples("bass")] == ["other_nohash_000.wav", "single.wav"]
    assert project.test_leaks() == []
    [single] = project.move_to_test("bass", "single.wav")
    assert single.id == "single.wav" and single.test
    back = project.move_to_training("bass", "take_nohash_000.wav")
    assert [s.id for s in back] == [f"take_nohash_{i:03d}.wav" for i in range(3)] and not any(s.test for s in back)
    assert [s.id for s in project.samples("bass", test=True)] == ["single.wav"]


def test_a_take_with_clips_on_both_sides_is_named(project: Project) -> None:
    project.add_class("bass")
    tone(project.class_dir("bass") / "take_nohash_000.wav")
    tone(project.test_dir / "bass" / "take_nohash_001.wav")  # copied there by hand
    tone(project.test_dir / "bass" / "x.wav")
    tone(project.class_dir("bass") / "x.wav")  # a whole file of the same name is not a take's clip
    assert project.test_leaks() == ["bass/take_nohash_001.wav"]


def test_a_take_relabelled_in_part_is_one_recording_in_every_class(project: Project) -> None:
    """A long take cut into bass clips, one of which the user moved to Background Noise (it held
    only the room): moving the take to the test set takes that clip too, and a clip of it left in
    training under another class is named as a leak."""
    project.add_class("bass")
    for i in range(3):
        tone(project.class_dir("bass") / f"take_nohash_{i:03d}.wav")
    project.move_sample("bass", "take_nohash_002.wav", to="background")
    moved = project.move_to_test("bass", "take_nohash_000.wav")
    assert [(s.class_name, s.id) for s in moved] == [("bass", "take_nohash_000.wav"), ("bass", "take_nohash_001.wav"),
                                                     ("background", "take_nohash_002.wav")], "the clicked class first"
    assert project.samples("background") == [] and project.test_leaks() == []
    back = project.move_to_training("background", "take_nohash_002.wav")
    assert sorted((s.class_name, s.test) for s in back) == [("background", False)] + [("bass", False)] * 2
    project.move_sample("background", "take_nohash_002.wav", to="bass")  # the take: all bass, in training
    tone(project.test_dir / "background" / "take_nohash_003.wav")  # copied there by hand
    assert project.test_leaks() == ["background/take_nohash_003.wav"]
    # a deleted clip comes back to the set where the rest of its take is, whatever their class
    undo = project.delete_sample("background", "take_nohash_003.wav", test=True)
    [back_one] = project.restore(undo.id).samples
    assert (back_one.class_name, back_one.test) == ("background", False)


def test_a_delete_that_cannot_rename_copies_nothing_and_loses_nothing(project: Project,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A class folder on another disk (or a mount point) cannot be renamed into the trash: the
    delete says so and leaves everything where it was, instead of copying it and deleting it."""
    project.add_class("bass")
    tone(project.class_dir("bass") / "a.wav")
    tone(project.test_dir / "bass" / "t.wav")
    real = os.rename

    def cross_device(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(src) == project.test_dir / "bass":  # the class folder went; its test set cannot
            raise OSError(18, "Invalid cross-device link")
        real(src, dst)

    monkeypatch.setattr(os, "rename", cross_device)
    with pytest.raises(ConflictError, match=r"cannot be moved into .*\.trash \(Invalid cross-device link\): .*by hand"):
        project.delete_class("bass")
    monkeypatch.setattr(os, "rename", real)
    assert [s.id for s in project.samples("bass")] == ["a.wav"]
    assert [s.id for s in project.samples("bass", test=True)] == ["t.wav"]
    assert list((project.root / ".trash").iterdir()) == [], "no half-filled trash folder is left"


def test_test_samples_follow_their_class(project: Project) -> None:
    project.add_class("bass")
    tone(project.class_dir("bass") / "a.wav")
    tone(project.test_dir / "bass" / "t.wav")
    project.rename_class("bass", to="Bass guitar")
    assert [s.id for s in project.samples("Bass guitar", test=True)] == ["t.wav"]
    assert not (project.test_dir / "bass").exists()
    project.rename_class("Bass guitar", to="bass guitar")  # case only
    assert [s.class_name for s in project.samples("bass guitar", test=True)] == ["bass guitar"]
    # moves within the test set, deleted with the class and back with its Undo
    moved = project.move_sample("bass guitar", "t.wav", to="background", test=True)
    assert (moved.class_name, moved.test) == ("background", True)
    project.move_sample("background", "t.wav", to="bass guitar", test=True)
    gone = project.delete_class("bass guitar")
    assert gone.samples == 2 and not (project.test_dir / "bass guitar").exists()
    back = project.restore(gone.id)
    assert sorted((s.id, s.test) for s in back.samples) == [("a.wav", False), ("t.wav", True)]
    assert [s.id for s in project.samples("bass guitar", test=True)] == ["t.wav"]


def test_a_deleted_test_sample_comes_back_to_the_test_set(project: Project) -> None:
    project.add_class("bass")
    tone(project.test_dir / "bass" / "t.wav")
    undo = project.delete_sample("bass", "t.wav", test=True)
    assert project.samples("bass", test=True) == []
    [back] = project.restore(undo.id).samples
    assert (back.class_name, back.id, back.test) == ("bass", "t.wav", True)
    # its class deleted meanwhile: the class comes back, to hold it
    undo = project.delete_sample("bass", "t.wav", test=True)
    project.delete_class("bass")
    [back] = project.restore(undo.id).samples
    assert (back.class_name, back.test) == ("bass", True) and "bass" in project.class_names()


def test_a_rename_onto_a_test_folder_by_another_name_is_refused(project: Project) -> None:
    project.add_class("bass")
    tone(project.test_dir / "bass" / "t.wav")
    tone(project.test_dir / "guitar" / "g.wav")  # made by hand, no such class
    with pytest.raises(ConflictError, match="already taken"):
        project.rename_class("bass", to="guitar")
    assert [s.id for s in project.samples("bass", test=True)] == ["t.wav"], "nothing half renamed"
    assert "bass" in project.class_names()


def test_the_project_zip_holds_the_test_set(project: Project, tmp_path: Path) -> None:
    project.add_class("bass")
    tone(project.test_dir / "bass" / "t.wav")
    with zipfile.ZipFile(project.export_zip(tmp_path / "p.zip")) as archive:
        assert "band/test/bass/t.wav" in archive.namelist()


def test_a_whole_file_named_like_a_take_is_not_one_of_its_clips(project: Project) -> None:
    project.add_class("bass")
    for i in range(2):
        tone(project.class_dir("bass") / f"riff_nohash_{i:03d}.wav")
    tone(project.test_dir / "bass" / "riff.wav")  # another recording that happens to share the name
    assert project.test_leaks() == []


def test_undo_puts_a_clip_back_beside_the_rest_of_its_take(project: Project) -> None:
    project.add_class("bass")
    for i in range(3):
        tone(project.class_dir("bass") / f"k_nohash_{i:03d}.wav")
    undo = project.delete_sample("bass", "k_nohash_000.wav")
    project.move_to_test("bass", "k_nohash_001.wav")
    [back] = project.restore(undo.id).samples
    assert (back.id, back.test) == ("k_nohash_000.wav", True), "the take is in the test set now"
    assert project.samples("bass") == [] and project.test_leaks() == []
    undo = project.delete_sample("bass", "k_nohash_002.wav", test=True)
    project.move_to_training("bass", "k_nohash_000.wav")
    [back] = project.restore(undo.id).samples
    assert (back.id, back.test) == ("k_nohash_002.wav", False)


def test_a_test_folder_made_by_hand_is_found_in_any_case_or_background_name(tmp_path: Path) -> None:
    root = tmp_path / "adopted"
    tone(root / "samples" / "_background_noise_" / "n.wav")
    tone(root / "samples" / "bass" / "b.wav")
    tone(root / "test" / "background" / "tn.wav")
    tone(root / "test" / "Bass" / "tb.wav")
    project = Project.adopt(root)
    assert [(c.name, c.test_samples) for c in project.classes()] == [("_background_noise_", 1), ("bass", 1)]
    assert project.orphan_test_folders() == []
    assert project.check_test_set() == project.test_dir
    tone(root / "test" / "guitar" / "g.wav")  # no such class
    with pytest.raises(DatasetError, match=r"match no class .*: 'guitar'; rename each"):
        project.check_test_set()


def test_a_name_taken_in_another_case_is_taken(project: Project, trained_classifier, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "names"
    folder.mkdir()
    (folder / "bass.wav").write_bytes(b"x")
    assert free_path(folder / "Bass.wav", any_case=True) == folder / "Bass-2.wav"  # one file on macOS and Windows
    (folder / "BASS-2.wav").write_bytes(b"x")
    assert free_path(folder / "Bass.wav", any_case=True) == folder / "Bass-3.wav"
    assert free_path(folder / "guitar.wav", any_case=True) == folder / "guitar.wav"
    assert free_path(tmp_path / "nowhere" / "a.wav", any_case=True) == tmp_path / "nowhere" / "a.wav"
    # earmark share keeps a model file's name: a twin in another case gets a number instead
    trained_classifier.save(tmp_path / "library-trained.earmark")
    trained_classifier.save(tmp_path / "Library-Trained.earmark")
    first = project.import_model(tmp_path / "library-trained.earmark", name="library-trained", stamp=False)
    second = project.import_model(tmp_path / "Library-Trained.earmark", name="Library-Trained", stamp=False)
    assert (first.id, second.id) == ("library-trained", "Library-Trained-2")


def test_a_free_path_looks_at_other_cases_only_when_asked(tmp_path: Path) -> None:
    # the default checks only the names it tries, never listing the folder: cutting a long recording
    # into hundreds of clips stays fast however full the class folder is
    (tmp_path / "bass.wav").write_bytes(b"x")
    (tmp_path / "take.wav").write_bytes(b"x")
    case_sensitive = not (tmp_path / "BASS.wav").exists()
    if not case_sensitive:
        pytest.skip("this disk ignores case: Bass.wav is bass.wav whatever free_path does")
    assert free_path(tmp_path / "Bass.wav") == tmp_path / "Bass.wav"
    assert free_path(tmp_path / "Bass.wav", any_case=True) == tmp_path / "Bass-2.wav"
    assert free_path(tmp_path / "take.wav") == tmp_path / "take-2.wav"


def test_moves_work_in_a_project_reached_through_a_link(project: Project, tmp_path: Path) -> None:
    project.add_class("bass")
    tone(project.class_dir("bass") / "riff_nohash_000.wav")
    link = tmp_path / "link"
    link.symlink_to(project.root)
    linked = Project.open(link)
    [moved] = linked.move_to_test("bass", "riff_nohash_000.wav")
    assert moved.test and linked.sample_path("bass", moved.id, test=True).parent == link / "test" / "bass"
    assert linked.delete_sample("bass", moved.id, test=True).samples == 1


def test_a_failed_move_leaves_the_take_where_it_was(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.add_class("bass")
    for i in range(3):
        tone(project.class_dir("bass") / f"k_nohash_{i:03d}.wav")
    real = Path.rename
    calls = []

    def failing(self: Path, target: Path) -> Path:  # the disk fills up on the second clip
        calls.append(self)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(self, target)

    monkeypatch.setattr(Path, "rename", failing)
    with pytest.raises(OSError, match="No space left"):
        project.move_to_test("bass", "k_nohash_000.wav")
    monkeypatch.setattr(Path, "rename", real)
    assert len(project.samples("bass")) == 3 and project.samples("bass", test=True) == []


def test_a_sample_looked_for_in_the_wrong_set_says_where_it_is(project: Project) -> None:
    project.add_class("bass")
    tone(project.test_dir / "bass" / "t.wav")
    with pytest.raises(NotFoundError, match="it is in the test set now"):
        project.sample_path("bass", "t.wav")
    with pytest.raises(NotFoundError, match="it may have been moved or deleted"):
        project.sample_path("bass", "gone.wav", test=True)


def test_a_sample_moved_to_another_class_says_which(project: Project) -> None:
    """QA: a card of a sample that another tab moved to 'drums' said 'it may have been moved or deleted'.
    Review: a file of the same name in another class is no sign of where it went (class folders often
    share names): the project's record of moves says, under the name the sample has there."""
    for name in ("bass", "drums"):
        project.add_class(name)
    tone(project.samples_dir / "bass" / "hit.wav")
    project.move_sample("bass", "hit.wav", to="drums")
    with pytest.raises(NotFoundError, match=r"^no sample 'hit.wav' in class 'bass'; it is in class 'drums' now$"):
        project.sample_path("bass", "hit.wav")
    tone(project.samples_dir / "bass" / "take-1.wav")
    tone(project.samples_dir / "drums" / "take-1.wav", freq=330.0)
    moved = project.move_sample("bass", "take-1.wav", to="drums")
    assert moved.id == "take-1-2.wav"
    with pytest.raises(NotFoundError, match=r"^no sample 'take-1.wav' in class 'bass'; "
                                            r"it is in class 'drums' now, as 'take-1-2.wav'$"):
        project.sample_path("bass", "take-1.wav")
    tone(project.samples_dir / "bass" / "kick.wav")
    tone(project.samples_dir / "drums" / "kick.wav")
    project.delete_sample("bass", "kick.wav")  # deleted, not moved: drums' own kick.wav is another sound
    with pytest.raises(NotFoundError, match=r"^no sample 'kick.wav' in class 'bass'; it may have been moved or "
                                            r"deleted$"):
        project.sample_path("bass", "kick.wav")
    tone(project.test_dir / "drums" / "t.wav")
    with pytest.raises(NotFoundError, match=r"^no sample 't.wav' in the test set of class 'bass'; "
                                            r"it may have been moved or deleted$"):
        project.sample_path("bass", "t.wav", test=True)  # test-set moves are not recorded: no guess by name
    with pytest.raises(NotFoundError, match="it is in the test set now"):  # its own test set comes first
        project.sample_path("drums", "t.wav")


def test_a_class_named_samples_does_not_make_a_folder_per_class_a_project(tmp_path: Path) -> None:
    """``samples/`` beside other class folders, or holding audio itself, is a class called "samples"."""
    data = tmp_path / "data"
    for name in ("background", "bass", "samples"):
        tone(data / name / "a.wav")
    assert not is_project_folder(data) and set_folder(data) == data and set_folder(data, test=True) == data
    with pytest.raises(NotFoundError, match="nor a samples/ folder of classes"):
        Project.open(data)
    lone = tmp_path / "lone"
    tone(lone / "samples" / "a.wav")  # audio straight in samples/: a class, not a project's classes
    assert not is_project_folder(lone)
    plain = tmp_path / "plain"
    for sub in ("samples/bass", "test/bass"):
        tone(plain / sub / "a.wav")
    (plain / "models").mkdir()
    (plain / ".trash").mkdir()
    (plain / "__MACOSX").mkdir()  # unzipped from a zip made on a Mac
    assert is_project_folder(plain), "a project's own folders (and clutter) beside samples/ keep it a project"


def test_a_plain_project_folder_trains_on_its_samples(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    tone(root / "samples" / "bass" / "b.wav")
    tone(root / "test" / "bass" / "t.wav")
    assert set_folder(root) == root / "samples" and set_folder(root, test=True) == root / "test"
    assert set_folder(root / "samples") == root / "samples", "a folder per class is itself"


def test_a_moves_undo_follows_only_the_changes_made_after_the_move(project: Project) -> None:
    for name in ("drums", "bass"):
        project.add_class(name)
    project.rename_class("drums", to="perc")  # long ago: the old drums is perc now
    project.add_class("drums")  # a new, different class named drums
    tone(project.class_dir("drums") / "hit.wav")
    since = project.log_position()  # as the page keeps it with the move's Undo
    project.move_sample("drums", "hit.wav", to="bass")
    trashed = project.delete_class("drums")

    def follow(name: str) -> Followed:
        changes = project.changes_since(since)
        assert changes is not None, "the log reaches back to the move"
        return project.follow_class(name, changes)

    assert follow("drums") == ("drums", None, trashed.id), "deleted since, not perc"
    assert follow("bass") == ("bass", "bass", "")
    project.rename_class("bass", to="low")
    assert follow("bass") == ("low", "low", ""), "renamed after the move: followed"
    assert project.changes_since(None) is None
    assert project.class_now("drums") == ("perc", True), "without a place in the log: the renames remembered"


def test_renaming_a_project_whose_file_cannot_be_read_is_an_error_not_a_new_file(project: Project) -> None:
    project.add_class("drums")
    project.rename_class("drums", to="perc")
    path = project.root / PROJECT_FILE
    kept = path.read_text(encoding="utf-8")[:-5]  # cut short (a crash of another program, an edit by hand)
    path.write_text(kept, encoding="utf-8")
    with pytest.raises(DatasetError, match=r"cannot be read.*fix it \(it is JSON\), or move it aside and run "
                                           "`earmark studio` on the project folder once"):
        project.set_name("Band")
    assert path.read_text(encoding="utf-8") == kept, "its class log and renames are not written over"
    aside = path.rename(project.root.parent / "kept.json")  # as the message says: its samples come back
    assert Project.adopt(project.root).classes() == project.classes()
    path.unlink()
    aside.rename(path)
    path.unlink()  # an adopted folder's first project file
    project.set_name("Band")
    assert Project.open(project.root).name == "Band"
