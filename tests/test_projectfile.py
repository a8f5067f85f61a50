"""Tests for earmark.projectfile: the class log a project file keeps, and a model's classes named
from it as the project names them now (end to end through evaluation: test_evaluate.py)."""

from __future__ import annotations

import json
import unicodedata
import zipfile
from pathlib import Path

from earmark.projectfile import (
    MAX_LOG,
    PROJECT_FILE,
    RENAME_LOG,
    ClassChange,
    ClassHistory,
    ProjectFile,
    changes_after,
    changes_since,
    class_log,
    classes_deleted,
    with_change,
    zipped_history,
)

LABELS = ["background", "bass", "drums"]
TRAINED = "2026-01-01T10:00:00+00:00"


def renamed(old: str, new: str, at: str = "2026-01-02T00:00:00+00:00") -> ClassChange:
    return ClassChange("renamed", old, at, to=new)


def deleted(name: str, trash: str) -> ClassChange:
    return ClassChange("deleted", name, "2026-01-02T00:00:00+00:00", trash=trash)


def restored(name: str, to: str, trash: str) -> ClassChange:
    return ClassChange("restored", name, "2026-01-02T00:00:00+00:00", to=to, trash=trash)


def now(*log: ClassChange, classes: tuple[str, ...] = ("background", "bass", "drums")) -> list[str]:
    return ClassHistory("band", list(classes), list(log)).labels_now(LABELS, since=TRAINED)


def test_a_deleted_class_stays_deleted_whatever_class_gets_its_name_until_its_delete_is_undone() -> None:
    assert now(deleted("drums", "t1")) == ["background", "bass", "drums (deleted)"]
    # made anew, deleted again, that second delete undone: still not the class the model knew
    assert now(deleted("drums", "t1"), deleted("drums", "t2"), restored("drums", "drums", "t2")) == \
        ["background", "bass", "drums (deleted)"]
    assert now(deleted("drums", "t1"), restored("drums", "drums-2", "t1")) == ["background", "bass", "drums-2"]
    # another class renamed to its name: that one is the model's bass; the undo that joins it keeps drums deleted
    taken = [deleted("drums", "t1"), renamed("bass", "drums")]
    assert now(*taken) == ["background", "drums", "drums (deleted)"]
    assert now(*taken, restored("drums", "drums", "t1")) == ["background", "drums", "drums (deleted)"]
    # "drums (deleted)" taken by a class of that name: the next free name
    assert now(deleted("drums", "t1"), classes=("background", "bass", "drums (deleted)")) == \
        ["background", "bass", "drums (deleted 2)"]


def test_changes_before_the_model_was_trained_are_not_its_own() -> None:
    before = "2025-12-31T00:00:00+00:00"
    assert now(ClassChange("deleted", "drums", before, trash="t0"), renamed("bass", "drums", at=before)) == LABELS


def test_an_undo_follows_the_changes_after_its_delete_placed_by_the_log_or_else_by_time() -> None:
    at = "2026-01-02T00:00:00+00:00"
    log = [renamed("drums", "perc", at="2026-01-01T12:00:00+00:00"), deleted("drums", "t1"), renamed("drums", "kit"),
           renamed("bass", "drums", at="2026-01-03T00:00:00+00:00")]
    meta = {RENAME_LOG: [change.to_dict() for change in log]}
    assert classes_deleted(meta, "t1") == ["drums"] and classes_deleted(meta, "t2") == [], "a sample's delete: none"
    assert changes_after(meta, "t1", at="", mark=None) == log[2:], "after its entry in the log"
    assert changes_after(meta, "t2", at=at, mark=3) == log[3:], "else from the place in the log its folder kept"
    # a delete the log does not hold, from before its place was kept: by its time, the same second counting as after
    assert changes_after(meta, "t2", at=at, mark=None) == log[1:]
    assert changes_after(meta, "t2", at="2026-01-02T00:00:01+00:00", mark=None) == log[3:]
    # before the log's first entry (or no time known), or no log: the log does not tell
    assert changes_after(meta, "t2", at="2025-12-31T00:00:00+00:00", mark=None) is None
    assert changes_after(meta, "t2", at="", mark=None) is None
    assert changes_after({}, "t1", at=at, mark=0) is None


def test_a_log_from_before_deletes_were_logged_still_tells_a_class_taken_by_a_rename() -> None:
    meta = {RENAME_LOG: [{"from": "bass", "to": "drums", "at": "2026-01-02T00:00:00+00:00"}, {"odd": 1}, "junk"]}
    assert class_log(meta) == [renamed("bass", "drums")], "what it cannot read is left out"
    history = ClassHistory.of(meta, project="band", classes=["background", "drums"])
    assert history.labels_now(LABELS, since=TRAINED) == ["background", "drums", "drums (deleted)"]


def test_the_log_keeps_renames_as_earlier_earmark_wrote_them_and_round_trips() -> None:
    changes = [renamed("bass", "tmp"), deleted("drums", "t1"), restored("drums", "drums", "t1")]
    meta: dict[str, object] = {"format": "earmark-project"}
    for change in changes:
        meta = with_change(meta, change)
    assert meta[RENAME_LOG] == [{"from": "bass", "to": "tmp", "at": "2026-01-02T00:00:00+00:00"},
                                {"deleted": "drums", "trash": "t1", "at": "2026-01-02T00:00:00+00:00"},
                                {"restored": "drums", "to": "drums", "trash": "t1", "at": "2026-01-02T00:00:00+00:00"}]
    assert class_log(json.loads(json.dumps(meta))) == changes


def test_a_zip_without_a_readable_project_file_has_no_history(tmp_path: Path) -> None:
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("bass/a.wav", b"")
    assert zipped_history(plain) is None
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr(f"band/{PROJECT_FILE}", "{not json")
        archive.writestr("band/samples/bass/a.wav", b"")
    assert zipped_history(broken) is None
    (tmp_path / "damaged.zip").write_bytes(b"PK\x03\x04 not really")
    assert zipped_history(tmp_path / "damaged.zip") is None
    # beside another top folder the project is not where reading the zip finds it: no history either
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as archive:
        archive.writestr(f"band/{PROJECT_FILE}", json.dumps({"format": "earmark-project"}))
        archive.writestr("band/samples/bass/a.wav", b"")
        archive.writestr("other/bass/b.wav", b"")
    assert zipped_history(tmp_path / "two.zip") is None
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as archive:
        archive.writestr(f"band/{PROJECT_FILE}", json.dumps({"format": "earmark-project", "name": "My band"}))
        archive.writestr("band/samples/bass/a.wav", b"")
        archive.writestr("band/samples/drums/.keep", b"")
        archive.writestr("band/samples/.hidden/x.wav", b"")
    history = zipped_history(good)
    assert history is not None and (history.project, history.classes, history.log) == ("My band", ["bass", "drums"],
                                                                                      None)


def test_the_class_log_is_read_in_nfc_as_a_models_labels_are() -> None:
    nfd, nfc = unicodedata.normalize("NFD", "café"), unicodedata.normalize("NFC", "café")
    renamed = ClassHistory(project="p", classes=["coffee", "tea"],
                           log=[ClassChange("renamed", nfd, "2026-11-27T10:00:00+00:00", to="coffee")])
    assert renamed.labels_now([nfc, "tea"], since="2026-11-27T09:00:00+00:00") == ["coffee", "tea"]
    deleted = ClassHistory(project="p", classes=[nfd, "tea"],
                           log=[ClassChange("deleted", nfd, "2026-11-27T10:00:00+00:00", trash="x")])
    assert deleted.labels_now([nfc, "tea"], since="2026-11-27T09:00:00+00:00") == [f"{nfc} (deleted)", "tea"]
    assert ClassChange.from_dict({"from": nfd, "to": "x", "at": "t"}) == ClassChange("renamed", nfc, "t", to="x")
    assert ClassChange("renamed", "x", "t", to=nfd).to_dict()["to"] == nfc


def test_a_place_in_the_class_log_is_kept_as_its_oldest_entries_go(tmp_path: Path) -> None:
    file = ProjectFile(tmp_path / "earmark-project.json")
    file.write_new(name="p")
    assert file.position() == 0 and changes_since(file.read(), 0) is None, "no log yet"
    file.remember("renamed_classes", "a", "b")
    mark = file.position()
    file.remember("renamed_classes", "b", "c")
    meta = file.read()
    assert [(c.name, c.to) for c in changes_since(meta, mark) or []] == [("b", "c")]
    assert [(c.name, c.to) for c in changes_since(meta, 0) or []] == [("a", "b"), ("b", "c")]
    assert changes_since(meta, None) is None
    for n in range(MAX_LOG):
        meta = with_change(meta, ClassChange("renamed", f"x{n}", "t", to=f"y{n}"))
    file.write(meta)
    assert file.position() == MAX_LOG + 2
    assert changes_since(file.read(), mark) is None, "the log lost that place: not known"
    last = ClassChange("renamed", f"x{MAX_LOG - 1}", "t", to=f"y{MAX_LOG - 1}")
    assert changes_since(file.read(), MAX_LOG + 1) == [last]


def test_the_renames_remembered_without_a_log_are_read_in_nfc_too() -> None:
    nfd, nfc = unicodedata.normalize("NFD", "café"), unicodedata.normalize("NFC", "café")
    history = ClassHistory(project="p", classes=["coffee", "tea"], log=None, renamed={nfd: "coffee"})
    assert history.labels_now([nfc, "tea"], since=TRAINED) == ["coffee", "tea"]
