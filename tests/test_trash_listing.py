"""What waits in a project's ``.trash`` (earmark.trash.deleted), restorable at any time, and removing it for
good (remove_for_good), in the library and through the studio's API."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import assert_error, make_client, write_tone
from earmark.classifier import Classifier
from earmark.errors import NotFoundError
from earmark.project import Project
from earmark.trash import TRASH_DIR, deleted, remove_for_good


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = Project.create(tmp_path / "projects" / "band")
    for name, ids in (("bass", ["b1.wav", "b2.wav"]), ("drums", ["d1.wav", "d2.wav", "d3.wav"])):
        project.add_class(name)
        for sample_id in ids:
            write_tone(project.class_dir(name) / sample_id)
    write_tone(project.test_dir / "drums" / "t1.wav")
    return project


def test_each_delete_is_listed_newest_first_with_what_it_took(project: Project,
                                                               trained_classifier: Classifier) -> None:
    assert deleted(project) == []
    one = project.delete_sample("bass", "b1.wav")
    time.sleep(1.1)  # ids start with the time to the second
    whole = project.delete_class("drums")
    trained_classifier.save(project.models_dir / "first.earmark")
    model = project.delete_model("first")
    listed = deleted(project)
    assert [e.id for e in listed] == [model.id, whole.id, one.id]
    assert [e.to_dict() for e in listed][1:] == [
        {"id": whole.id, "deleted_at": listed[1].deleted_at, "models": [], "sample": None,
         "classes": [{"name": "drums", "samples": 3, "test_samples": 1}]},
        {"id": one.id, "deleted_at": listed[2].deleted_at, "models": [], "sample": "b1.wav",
         "classes": [{"name": "bass", "samples": 1, "test_samples": 0}]},
    ]
    assert listed[0].models == ["first"] and listed[0].classes == {}
    assert listed[2].deleted_at <= listed[1].deleted_at and listed[1].deleted_at.endswith("+00:00")
    project.restore(whole.id)
    assert [e.id for e in deleted(project)] == [model.id, one.id]  # restored: no longer listed


def test_removing_for_good_deletes_only_what_was_asked(project: Project) -> None:
    one = project.delete_sample("bass", "b1.wav")
    other = project.delete_sample("bass", "b2.wav")
    assert remove_for_good(project, [one.id, "20260101-000000-000000000-1"]) == [one.id]  # one gone meanwhile
    assert [e.id for e in deleted(project)] == [other.id]
    assert sorted(p.name for p in (project.root / TRASH_DIR).iterdir()) == [other.id]  # nothing half-removed
    with pytest.raises(NotFoundError, match="restored already, or deleted for good"):
        project.restore(one.id)
    with pytest.raises(NotFoundError, match="nothing to delete for good"):
        remove_for_good(project, [one.id, "../../band", "."])  # never a path: only an id new_entry made
    assert project.root.is_dir() and [s.id for s in project.samples("drums")] == ["d1.wav", "d2.wav", "d3.wav"]
    assert [s.id for s in project.restore(other.id).samples] == ["b2.wav"]


def test_a_folder_that_is_no_delete_is_not_listed_nor_removed(project: Project) -> None:
    trash = project.root / TRASH_DIR
    (trash / "mine").mkdir(parents=True)  # a person's folder, not one a delete made
    write_tone(trash / "mine" / "keep.wav")
    gone = project.delete_sample("bass", "b1.wav")
    (trash / gone.id / "bass" / "b1.wav").unlink()  # emptied by hand
    assert deleted(project) == []
    with pytest.raises(NotFoundError):
        remove_for_good(project, ["mine"])
    assert (trash / "mine" / "keep.wav").is_file()


def test_the_studio_lists_and_empties_the_trash(project: Project) -> None:
    client = make_client(project.root.parent)
    base = "/api/projects/band"
    first = client.delete(f"{base}/samples/bass/b1.wav").json()["undo"]
    second = client.delete(f"{base}/classes/drums").json()["undo"]
    listed = client.get(f"{base}/trash").json()["deleted"]
    assert sorted(e["id"] for e in listed) == sorted([first, second])
    assert client.post(f"{base}/trash/empty", json={"ids": [first]}).json() == {"removed": [first]}
    assert [e["id"] for e in client.get(f"{base}/trash").json()["deleted"]] == [second]
    assert_error(client.post(f"{base}/trash/empty", json={"ids": [first]}), 404, "NotFoundError",
                 "nothing to delete for good")
    assert client.post(f"{base}/trash/{second}/restore").status_code == 200
    assert client.get(f"{base}/trash").json() == {"deleted": []}
    assert client.post(f"{base}/trash/empty", json={"ids": []}).status_code == 400  # the studio's bad-request answer


def test_a_class_deleted_whole_is_listed_though_empty_and_is_not_one_sample(project: Project) -> None:
    """QA: an empty class's delete was left out (nothing in its folder), so it could not be restored later."""
    project.add_class("zzz")
    empty = project.delete_class("zzz")
    project.add_class("solo")
    write_tone(project.class_dir("solo") / "only.wav")
    solo = project.delete_class("solo")
    listed = {e.id: e for e in deleted(project)}
    assert listed[empty.id].classes == {"zzz": (0, 0)} and listed[empty.id].sample is None
    assert listed[solo.id].classes == {"solo": (1, 0)} and listed[solo.id].sample is None  # a class, not a sample
    project.restore(empty.id)
    assert "zzz" in project.class_names()


def test_the_studio_lists_restores_and_removes_deleted_projects(project: Project) -> None:
    """A deleted project's Undo lasted as long as its toast; now the page lists what waits to be restored."""
    client = make_client(project.root.parent)
    client.patch("/api/projects/band", json={"name": "my band"}).raise_for_status()
    assert client.get("/api/trash").json() == {"deleted": []}
    gone = client.delete("/api/projects/band").json()["undo"]
    client.post("/api/projects", json={"name": "other"}).raise_for_status()
    other = client.delete("/api/projects/other").json()["undo"]
    listed = client.get("/api/trash").json()["deleted"]
    assert [(e["id"], e["name"]) for e in listed] == sorted([(gone, "my band"), (other, "other")], reverse=True)
    assert all(e["deleted_at"].endswith("+00:00") for e in listed)
    assert client.post("/api/trash/empty", json={"ids": [other]}).json() == {"removed": [other]}
    assert client.post(f"/api/trash/{gone}/restore").json()["name"] == "my band"
    assert client.get("/api/trash").json() == {"deleted": []}
    assert [s.id for s in Project.open(project.root).samples("drums")] == ["d1.wav", "d2.wav", "d3.wav"]
    assert_error(client.post("/api/trash/empty", json={"ids": [other]}), 404, "NotFoundError",
                 "nothing to delete for good")
