"""The studio's test set: recordings kept apart from training, uploaded or moved there whole, and
every model scored on them (in-process API; real files, a really trained model)."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import write_dataset
from earmark.classifier import Classifier
from earmark.project import Project
from test_studio_api import assert_error, make_client, wav_bytes

BASE = "/api/projects/band"


@pytest.fixture
def studio(tmp_path: Path, trained_classifier: Classifier) -> Iterator[tuple[TestClient, Project, str]]:
    project = Project.create(tmp_path / "projects" / "band")
    for name in ("bass", "drums"):
        project.add_class(name)
    model_id = project.save_model(trained_classifier).id
    with make_client(tmp_path / "projects") as client:
        yield client, project, model_id


def upload(client: TestClient, class_name: str, *files: tuple[str, bytes], test: bool = True) -> dict:  # type: ignore[type-arg]
    response = client.post(f"{BASE}/classes/{class_name}/samples{'?set=test' if test else ''}",
                           files=[("files", f) for f in files])
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_uploads_go_to_the_test_set_and_are_served_from_it(studio: tuple[TestClient, Project, str]) -> None:
    client, project, _ = studio
    [sample] = upload(client, "bass", ("riff.wav", wav_bytes(1.0)))["added"]
    assert sample["test"] is True and "set=test" in sample["audio_url"]
    assert (project.test_dir / "bass" / "riff.wav").is_file() and project.samples("bass") == []
    listed = client.get(f"{BASE}/classes/bass/samples?set=test").json()["samples"]
    assert [s["id"] for s in listed] == ["riff.wav"]
    assert client.get(f"{BASE}/classes/bass/samples").json()["samples"] == [], "training samples are apart"
    audio = client.get(sample["audio_url"])
    assert audio.status_code == 200 and audio.content == wav_bytes(1.0)
    picture = client.get(sample["spectrogram_url"])
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    assert_error(client.get(sample["audio_url"].replace("set=test&", "")), 404, "NotFoundError", "no sample 'riff.wav'")
    assert_error(client.get(f"{BASE}/classes/bass/samples?set=validation"), 400, "ParameterError", "set")
    info = {c["name"]: c for c in client.get(BASE).json()["classes"]}["bass"]
    assert (info["samples"], info["test_samples"], info["test_seconds"]) == (0, 1, 1.0)
    assert client.get(BASE).json()["test_samples"] == 1


def test_a_recording_moves_between_the_sets_whole(studio: tuple[TestClient, Project, str]) -> None:
    client, project, _ = studio
    added = upload(client, "bass", ("jam.wav", wav_bytes(14.0)), test=False)["added"]
    assert len(added) == 4 and {s["recording"] for s in added} == {"jam"}
    moved = client.post(f"{BASE}/samples/bass/{added[2]['id']}/to-test").json()["moved"]
    assert [s["id"] for s in moved] == [s["id"] for s in added] and all(s["test"] for s in moved)
    assert project.samples("bass") == [] and len(project.samples("bass", test=True)) == 4
    assert client.get(moved[0]["audio_url"]).status_code == 200
    back = client.post(f"{BASE}/samples/bass/{moved[0]['id']}/to-training").json()["moved"]
    assert len(back) == 4 and not any(s["test"] for s in back)
    assert_error(client.post(f"{BASE}/samples/bass/{moved[0]['id']}/to-training"), 404, "NotFoundError",
                 "test set of class 'bass'")


def test_a_test_sample_moves_deletes_and_comes_back(studio: tuple[TestClient, Project, str]) -> None:
    client, project, _ = studio
    upload(client, "bass", ("riff.wav", wav_bytes(1.0)))
    moved = client.post(f"{BASE}/samples/bass/riff.wav/move?set=test", json={"to": "drums"}).json()
    assert (moved["class_name"], moved["test"]) == ("drums", True)
    gone = client.delete(f"{BASE}/samples/drums/riff.wav?set=test").json()
    assert gone["test"] is True and project.samples("drums", test=True) == []
    [back] = client.post(f"{BASE}/trash/{gone['undo']}/restore").json()["restored"]
    assert (back["class_name"], back["test"]) == ("drums", True) and client.get(back["audio_url"]).status_code == 200


def test_every_model_is_scored_on_the_test_set(studio: tuple[TestClient, Project, str], tmp_path: Path,
                                               trained_classifier: Classifier) -> None:
    client, project, model_id = studio
    assert_error(client.post(f"{BASE}/test/evaluate", json={}), 422, "DatasetError",
                 r"has no test set yet: .*switch a class to its Test set")
    data = write_dataset(tmp_path / "held-out", per_class=3, seed=11)
    for label in ("background", "bass", "drums"):
        upload(client, label, *[(f.name, f.read_bytes()) for f in sorted((data / label).glob("*.wav"))])
    # a second model, and one trained before "guitar" was added
    other = project.save_model(trained_classifier).id
    project.add_class("guitar")
    upload(client, "guitar", ("g.wav", wav_bytes(1.0, freq=330.0)))
    result = client.post(f"{BASE}/test/evaluate").json()  # no body: every model
    assert result["n_clips"] == 10
    assert {m["model"] for m in result["models"]} == {model_id, other}
    for m in result["models"]:
        assert "cannot be scored on this test set" in m["error"] and "'guitar'" in m["error"]
    shutil.rmtree(project.test_dir / "guitar")
    result = client.post(f"{BASE}/test/evaluate", json={"models": [model_id, other]}).json()
    first, second = result["models"]
    assert first["model"] == model_id and first["n_clips"] == 9 and first["seen_in_training"] == []
    assert first["confusion"] == second["confusion"], "the same model twice scores the same"
    assert sum(map(sum, first["confusion"]["matrix"])) == 9
    for mistake in first["misclassified"]:  # each mistake can be heard where it is
        assert client.get(mistake["audio_url"]).status_code == 200
    assert_error(client.post(f"{BASE}/test/evaluate", json={"models": ["nope"]}), 404, "NotFoundError", "no model")


def test_a_model_trained_before_a_class_was_renamed_is_scored_under_the_new_name(
        studio: tuple[TestClient, Project, str], tmp_path: Path) -> None:
    client, project, model_id = studio
    data = write_dataset(tmp_path / "held-out", per_class=2, seed=12)
    for label in ("background", "bass", "drums"):
        upload(client, label, *[(f.name, f.read_bytes()) for f in sorted((data / label).glob("*.wav"))])
    before = client.post(f"{BASE}/test/evaluate", json={"models": [model_id]}).json()["models"][0]
    assert client.patch(f"{BASE}/classes/bass", json={"name": "electric bass"}).status_code == 200
    [after] = client.post(f"{BASE}/test/evaluate", json={"models": [model_id]}).json()["models"]
    assert "error" not in after, after
    renamed = [lab.replace("bass", "electric bass") for lab in before["confusion"]["labels"]]
    assert after["confusion"]["labels"] == renamed
    assert after["confusion"]["matrix"] == before["confusion"]["matrix"], "the same model scores the same clips"
    assert {m["file"].split("/")[0] for m in after["misclassified"]} <= {"background", "electric bass", "drums"}
    # a new class under the old name is a class the model does not know: its "bass" is "electric bass"
    project.add_class("bass")
    upload(client, "bass", ("new.wav", wav_bytes(1.0)))
    [again] = client.post(f"{BASE}/test/evaluate", json={"models": [model_id]}).json()["models"]
    assert "does not know the class 'bass' (added, or given a name another class had, after it was trained)" \
        in again["error"]


def test_the_report_names_a_take_with_clips_on_both_sides(studio: tuple[TestClient, Project, str]) -> None:
    client, project, model_id = studio
    upload(client, "bass", ("jam.wav", wav_bytes(14.0)), test=False)
    client.post(f"{BASE}/samples/bass/jam_nohash_000.wav/to-test")
    shutil.move(project.test_dir / "bass" / "jam_nohash_003.wav", project.class_dir("bass"))  # by hand
    [report] = client.post(f"{BASE}/test/evaluate", json={"models": [model_id]}).json()["models"]
    assert report["split_recordings"] == [f"bass/jam_nohash_00{k}.wav" for k in range(3)]
    assert any("other clips are training samples" in w for w in report["warnings"])


def test_the_test_set_travels_with_an_exported_project(studio: tuple[TestClient, Project, str]) -> None:
    client, _, _ = studio
    upload(client, "bass", ("jam.wav", wav_bytes(14.0)))
    exported = client.get(f"{BASE}/export").content
    assert "band/test/bass/jam_nohash_000.wav" in zipfile.ZipFile(io.BytesIO(exported)).namelist()
    imported = client.post("/api/projects/import", files={"file": ("band.zip", exported)}).json()
    copy = Project.open(Path(imported["path"]))
    assert [(s.id, s.recording) for s in copy.samples("bass", test=True)] == \
        [(f"jam_nohash_00{k}.wav", "jam") for k in range(4)], "its clips stay one recording"
    assert copy.samples("bass") == []


def test_a_test_folder_of_no_class_is_named(studio: tuple[TestClient, Project, str]) -> None:
    client, project, _ = studio
    upload(client, "bass", ("riff.wav", wav_bytes(1.0)))
    (project.test_dir / "Guitar").mkdir()
    shutil.copy(project.test_dir / "bass" / "riff.wav", project.test_dir / "Guitar" / "g.wav")
    assert_error(client.post(f"{BASE}/test/evaluate"), 422, "DatasetError", r"match no class .*: 'Guitar'; rename")


def test_a_validation_clip_moved_to_the_test_set_is_still_heard_under_the_hood(
        tmp_path: Path, small_dataset: Path, trained_classifier: Classifier) -> None:
    project = Project.create(tmp_path / "projects" / "band")
    shutil.rmtree(project.samples_dir)
    shutil.copytree(small_dataset, project.samples_dir)  # the files the model's validation clips name
    model_id = project.save_model(trained_classifier).id
    with make_client(tmp_path / "projects") as client:
        cells = client.get(f"{BASE}/models/{model_id}").json()["validation"]["cells"]
        clip = next(c for refs in cells.values() for c in refs)
        assert clip["exists"] and not clip["test"]
        client.post(f"{BASE}/samples/{clip['class_name']}/{clip['id']}/to-test").raise_for_status()
        cells = client.get(f"{BASE}/models/{model_id}").json()["validation"]["cells"]
        [moved] = [c for refs in cells.values() for c in refs if c["id"] == clip["id"]]
        assert moved["exists"] and moved["test"] and "set=test" in moved["audio_url"]
        assert client.get(moved["audio_url"]).status_code == 200
        client.delete(f"{BASE}/samples/{clip['class_name']}/{clip['id']}?set=test").raise_for_status()
        cells = client.get(f"{BASE}/models/{model_id}").json()["validation"]["cells"]
        [gone] = [c for refs in cells.values() for c in refs if c["id"] == clip["id"]]
        assert not gone["exists"] and not gone["test"]


def test_scoring_without_a_model_says_where_to_get_one(tmp_path: Path) -> None:
    Project.create(tmp_path / "projects" / "band")
    with make_client(tmp_path / "projects") as client:
        assert_error(client.post(f"{BASE}/test/evaluate"), 400, "ParameterError",
                     r"no model to score yet: train one \(2 · Train\), or import one \(5 · Keep & share\)")


def test_a_move_to_the_test_set_cut_short_by_a_kill_is_whole_when_the_studio_starts_again(tmp_path: Path) -> None:
    """QA's kill -9 of the studio during "Move to test set": 42 of a take's 151 clips had moved, and
    stayed so. The restarted studio shows the take whole, in the test set; the move goes back whole."""
    from test_testset_move_crash import killed_moving, write_take

    project = Project.create(tmp_path / "projects" / "band")
    project.add_class("bass")
    write_take(project.samples_dir / "bass", "jam", 151)
    killed_moving(project, "bass", "jam_nohash_100.wav", to="test", stop_after=42)
    assert len(list(project.test_dir.rglob("*.wav"))) == 42, "split on disk, as QA found it"
    with make_client(tmp_path / "projects") as client:
        view = client.get(BASE).json()
        info = {c["name"]: c for c in view["classes"]}["bass"]
        assert (info["samples"], info["test_samples"]) == (0, 151)
        assert "after 42 of its 151 files" in project.move_notes()[0]
        assert view["notes"] == project.move_notes()
        assert not set(view["notes"]) & set(view["hints"]), "said, and no bar to training"
        back = client.post(f"{BASE}/samples/bass/jam_nohash_000.wav/to-training").json()["moved"]
        assert len(back) == 151 and project.move_notes() == [] and client.get(BASE).json()["notes"] == []
    assert len(list(project.samples_dir.rglob("jam_*.wav"))) == 151
