"""A delete's Undo after classes were renamed (a swap included), deleted or made anew since: what it took
goes back to the class it was deleted from, followed through the changes in order, and never into
another class (QA: the old drums clips went into the former bass class, renamed drums since).
Through the library (:class:`~earmark.project.Project`) and the studio's API."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import make_client, wav_bytes, write_tone
from earmark.project import Project
from earmark.trash import TRASH_DIR

BASE = "/api/projects/band"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A band with one bass clip (110 Hz) and three drums clips (880 Hz): each clip's pitch says its class."""
    project = Project.create(tmp_path / "projects" / "band")
    for name, ids, freq_hz in (("bass", ["b1.wav"], 110.0), ("drums", ["a1.wav", "a2.wav", "a3.wav"], 880.0)):
        project.add_class(name)
        for sample_id in ids:
            write_tone(project.class_dir(name) / sample_id, freq_hz=freq_hz)
    return project


@pytest.fixture
def client(project: Project) -> Iterator[TestClient]:
    with make_client(project.root.parent) as client:
        yield client


def held(project: Project, *, test: bool = False) -> dict[str, list[str]]:
    """Each class and the samples it holds (of the test set with ``test``)."""
    return {name: [s.id for s in project.samples(name, test=test)] for name in project.class_names()}


def swap_bass_and_drums(rename) -> None:  # type: ignore[no-untyped-def]
    for old, new in (("bass", "tmp"), ("drums", "bass"), ("tmp", "drums")):
        rename(old, new)


@pytest.mark.parametrize("test", [False, True])
def test_a_samples_undo_follows_its_class_through_a_swap_of_names(project: Project, test: bool) -> None:
    """QA: drums/a3.wav deleted, then bass and drums swapped names: a3 went to the former bass."""
    if test:
        write_tone(project.test_dir / "drums" / "a3.wav", freq_hz=880.0)
    one = project.delete_sample("drums", "a3.wav", test=test)
    swap_bass_and_drums(lambda old, new: project.rename_class(old, to=new))
    back = project.restore(one.id)
    assert [(s.class_name, s.id, s.test) for s in back.samples] == [("bass", "a3.wav", test)], \
        "the class now named bass is the old drums"
    assert held(project, test=test)["drums"] == ([] if test else ["b1.wav"])
    assert back.notes == []


def test_a_deleted_class_whose_name_was_taken_since_comes_back_under_a_free_name(project: Project) -> None:
    """QA: drums deleted, bass renamed drums, Undo: it comes back as drums-2, its test set with it, and says so."""
    write_tone(project.test_dir / "drums" / "t.wav", freq_hz=880.0)
    gone = project.delete_class("drums")
    project.rename_class("bass", to="drums")
    back = project.restore(gone.id)
    assert held(project) == {"background": [], "drums": ["b1.wav"], "drums-2": ["a1.wav", "a2.wav", "a3.wav"]}
    assert held(project, test=True) == {"background": [], "drums": [], "drums-2": ["t.wav"]}
    assert {s.class_name for s in back.samples} == {"drums-2"}
    assert back.notes == ["class 'drums' comes back as 'drums-2': another class is called 'drums' now"]


def test_a_deleted_class_whose_name_was_given_to_a_new_class_comes_back_under_a_free_name(project: Project) -> None:
    gone = project.delete_class("drums")
    project.add_class("Drums")  # made anew, in another case
    write_tone(project.class_dir("Drums") / "n.wav")
    project.restore(gone.id)
    assert held(project) == {"background": [], "bass": ["b1.wav"], "Drums": ["n.wav"],
                             "drums-2": ["a1.wav", "a2.wav", "a3.wav"]}


def test_a_samples_undo_after_its_class_was_deleted_undoes_that_delete_too(project: Project) -> None:
    """Its class was deleted since, and a new class made under its name: the class comes back (under a
    free name) with the sample in it, and the new class is left as it is."""
    one = project.delete_sample("drums", "a3.wav")
    project.rename_class("drums", to="kit")
    undo_class = project.delete_class("kit")
    project.add_class("kit")
    write_tone(project.class_dir("kit") / "n.wav")
    back = project.restore(one.id)
    assert held(project) == {"background": [], "bass": ["b1.wav"], "kit": ["n.wav"],
                             "kit-2": ["a1.wav", "a2.wav", "a3.wav"]}
    assert sorted(s.id for s in back.samples) == ["a1.wav", "a2.wav", "a3.wav"]
    assert back.notes == ["class 'kit' comes back as 'kit-2': another class is called 'kit' now",
                          "class 'drums' was deleted since: its delete is undone too (it is class 'kit-2' now, "
                          "with 2 samples)"]
    assert not (project.root / TRASH_DIR / undo_class.id).exists()


def test_a_samples_undo_after_its_class_left_the_trash_comes_back_as_a_class_of_its_own(project: Project) -> None:
    one = project.delete_sample("drums", "a3.wav")
    gone = project.delete_class("drums")
    shutil.rmtree(project.root / TRASH_DIR / gone.id)  # the trash emptied by hand
    project.add_class("drums")
    write_tone(project.class_dir("drums") / "n.wav")
    back = project.restore(one.id)
    assert held(project) == {"background": [], "bass": ["b1.wav"], "drums": ["n.wav"], "drums-2": ["a3.wav"]}
    assert back.notes == ["class 'drums', which it was deleted from, is not in the project now (deleted and no "
                          "longer in the trash, or renamed outside earmark): it comes back as class 'drums-2'"]


def test_the_studios_undo_of_a_class_delete_never_merges_it_into_a_class_renamed_to_its_name(
        client: TestClient, project: Project) -> None:
    """QA's steps in the studio: delete class drums, rename bass to drums, Undo the delete."""
    undo = client.delete(f"{BASE}/classes/drums").json()["undo"]
    assert client.patch(f"{BASE}/classes/bass", json={"name": "drums"}).status_code == 200
    restored = client.post(f"{BASE}/trash/{undo}/restore")
    assert restored.status_code == 200, restored.text
    assert restored.json()["classes"] == ["drums-2"]
    assert sorted(s["id"] for s in restored.json()["restored"]) == ["a1.wav", "a2.wav", "a3.wav"]
    listed = client.get(f"{BASE}/classes/drums/samples").json()["samples"]
    assert [s["id"] for s in listed] == ["b1.wav"], "the former bass holds only its own clip"


def test_the_studios_undo_of_a_sample_delete_follows_a_swap_of_class_names(
        client: TestClient, project: Project) -> None:
    """QA's steps in the studio: delete drums/a3.wav, swap bass and drums, Undo: a3 is in the old drums."""
    up = client.post(f"{BASE}/classes/drums/samples", files=[("files", ("up.wav", wav_bytes(freq=880.0)))])
    assert up.status_code == 201, up.text
    undo = client.delete(f"{BASE}/samples/drums/a3.wav").json()["undo"]
    swap_bass_and_drums(lambda old, new: client.patch(f"{BASE}/classes/{old}", json={"name": new}).raise_for_status())
    restored = client.post(f"{BASE}/trash/{undo}/restore")
    assert restored.status_code == 200, restored.text
    assert restored.json()["classes"] == ["bass"]
    assert held(project) == {"background": [], "bass": ["a1.wav", "a2.wav", "a3.wav", "up.wav"], "drums": ["b1.wav"]}


def test_the_studios_undo_answer_says_in_notes_what_did_not_go_back_as_it_was(
        client: TestClient, project: Project) -> None:
    """The page shows the restore's notes: drums deleted, bass renamed drums, Undo: the answer says drums came
    back as drums-2 and why; a plain Undo says nothing more."""
    undo = client.delete(f"{BASE}/classes/drums").json()["undo"]
    client.patch(f"{BASE}/classes/bass", json={"name": "drums"}).raise_for_status()
    restored = client.post(f"{BASE}/trash/{undo}/restore")
    assert restored.status_code == 200, restored.text
    assert (restored.json()["classes"], restored.json()["notes"]) == (
        ["drums-2"], ["class 'drums' comes back as 'drums-2': another class is called 'drums' now"])
    plain = client.post(f"{BASE}/trash/{client.delete(f'{BASE}/samples/drums/b1.wav').json()['undo']}/restore")
    assert (plain.json()["classes"], plain.json()["notes"]) == (["drums"], [])
