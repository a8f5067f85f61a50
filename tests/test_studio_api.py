"""The studio's JSON API, in-process (Starlette's TestClient over the ASGI app; real files, real training)."""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

import earmark
from conftest import assert_error, bass_note, make_client, untrained_classifier, wav_bytes, write_dataset
from earmark.demo import demo_data_dir
from earmark.errors import NotFoundError
from earmark.project import Project
from earmark.studio import StudioSettings, create_app
from earmark.studio.app import static_dir

SR = 22050


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path / "projects") as c:
        c.post("/api/projects", json={"name": "band"})
        yield c


# -- one error shape ------------------------------------------------------------------------------------
def test_every_error_has_one_json_shape(client: TestClient) -> None:
    assert_error(client.get("/api/projects/nope"), 404, "NotFoundError", r"no project 'nope'")
    assert_error(client.get("/api/no/such/route"), 404, "HTTPError", r"no such page")
    assert_error(client.post("/api/projects/band/train", json={"epochs": 0}), 400, "ParameterError",
                 r"epochs: .*greater than or equal to 1")
    assert_error(client.post("/api/projects/band/classes", json={"name": ""}), 400, "ParameterError",
                 r"^name must not be empty; fix the value and try again$")
    assert_error(client.post("/api/projects/band/classes", json={"name": "../etc"}), 400, "ParameterError",
                 r"cannot be used")
    assert_error(client.post("/api/projects/band/classes", content=b"not json",
                             headers={"content-type": "application/json"}), 400, "ParameterError",
                 r"^the request body is not valid JSON \(JSON decode error at character 0\); send a JSON object$")
    assert_error(client.post("/api/projects/band/classes/background/samples", content=b"x",
                             headers={"content-type": "text/plain"}), 400, "ParameterError", "multipart")
    assert_error(client.post("/api/projects/band/train"), 422, "DatasetError",
                 r"not ready to train: Background Noise has 0 samples; add at least 5 to train; add a class")


def test_the_api_docs_page_is_served_offline(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "/openapi.json" in page and "cdn" not in page.lower()
    for asset in re.findall(r"(?:src|href)=['\"](/docs-static/[^'\"]+)", page):
        assert client.get(asset).status_code == 200
    assert re.search(r"/docs-static/swagger-ui-bundle\.js", page)


def test_openapi_documents_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("/api/projects", "/api/projects/{project}/classes/{class_name}/samples",
                  "/api/projects/{project}/train", "/api/jobs/{job_id}", "/api/projects/{project}/compare",
                  "/api/try/{token}/predict"):
        assert route in paths


# -- projects -------------------------------------------------------------------------------------------
def test_messages_list_names_readably(client: TestClient) -> None:
    """Names in quotes, comma-separated and as written: no Python list, no doubled backslashes."""
    client.post("/api/projects", json={"name": "band demo"}).raise_for_status()
    missing = client.get("/api/projects/nope").json()["error"]["message"]
    assert missing == "no project 'nope'; the projects are 'band', 'band demo'"
    bad = client.post("/api/projects", json={"name": "a\\b"}).json()["error"]["message"]
    assert bad.startswith("project name 'a\\b' cannot be used;"), bad
    gone = client.get("/api/projects/band/classes/bass/samples").json()["error"]["message"]
    assert gone == "no class 'bass' in project 'band'; the classes are 'background'"


def test_a_taken_project_name_is_refused_but_an_import_gets_a_new_one(client: TestClient) -> None:
    assert_error(client.post("/api/projects", json={"name": "band"}), 409, "ConflictError", "already exists")
    exported = client.get("/api/projects/band/export").content
    client.post("/api/projects/band/classes", json={"name": "bass"})
    imported = client.post("/api/projects/import", files={"file": ("band.zip", exported)}).json()
    assert imported["id"] == imported["name"] == "band-2"
    assert [c["name"] for c in imported["classes"]] == ["background"], "an empty project imports empty"
    # one letter's case apart is the same name: the two would be one folder on macOS or Windows
    assert_error(client.post("/api/projects", json={"name": "Band"}), 409, "ConflictError",
                 "a project named 'band' already exists")
    again = client.post("/api/projects/import", files={"file": ("BAND-2.zip", exported)}).json()
    # named as the project stored in the zip is (not as the zip file): band, then band-2, are taken
    assert again["id"] == "band-3", "band-2 is taken, whatever the case"


def test_a_name_taken_by_a_folder_that_is_not_a_project_says_so(client: TestClient) -> None:
    root = client.app.state.studio.root  # type: ignore[attr-defined]
    (root / "files").mkdir()
    (root / "notes.txt").write_text("mine")
    assert_error(client.post("/api/projects", json={"name": "Files"}), 409, "ConflictError",
                 rf"there is already a folder 'files' in {re.escape(str(root))} that is not an earmark project; "
                 "choose another name, or move it out of that folder")
    assert_error(client.patch("/api/projects/band", json={"name": "notes.txt"}), 409, "ConflictError",
                 "already a file 'notes.txt' .* not an earmark project")
    assert client.post("/api/projects", json={"name": "files 2"}).status_code == 201


def test_projects_create_list_demo_and_delete(client: TestClient) -> None:
    demo = client.post("/api/projects", json={"name": "demo set", "demo": True})
    assert demo.status_code == 201
    counts = {c["name"]: c["samples"] for c in demo.json()["classes"]}
    assert counts == {n: len(list((demo_data_dir() / "train" / n).iterdir())) for n in counts}
    assert set(counts) == {"background", "bass", "drums"} and demo.json()["hints"] == []
    # its test set: the demo's test clips, made differently from its training clips
    tests = {c["name"]: c["test_samples"] for c in demo.json()["classes"]}
    assert tests == {n: len(list((demo_data_dir() / "test" / n).iterdir())) for n in tests} and min(tests.values())
    listed = client.get("/api/projects").json()
    assert [p["id"] for p in listed["projects"]] == ["band", "demo set"]
    gone = client.delete("/api/projects/demo set").json()
    assert gone == {"deleted": "demo set", "undo": gone["undo"]}
    assert [p["id"] for p in client.get("/api/projects").json()["projects"]] == ["band"]


def test_a_project_is_renamed_and_keeps_its_id(client: TestClient) -> None:
    client.post("/api/projects", json={"name": "other"})
    renamed = client.patch("/api/projects/band", json={"name": "  my band,  live "})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["id"], renamed.json()["name"]) == ("band", "my band, live")
    listed = client.get("/api/projects").json()["projects"]
    assert [(p["id"], p["name"]) for p in listed] == [("band", "my band, live"), ("other", "other")]
    assert_error(client.patch("/api/projects/band", json={"name": "OTHER"}), 409, "ConflictError",
                 "a project named 'other' already exists")
    assert_error(client.patch("/api/projects/band", json={"name": "../x"}), 400, "ParameterError", "cannot be used")
    assert client.patch("/api/projects/band", json={"name": "My Band, live"}).json()["name"] == "My Band, live"
    assert_error(client.post("/api/projects", json={"name": "my band, LIVE"}), 409, "ConflictError",
                 "a project named 'My Band, live' already exists")  # shown so, though its folder is 'band'


def test_the_name_a_renamed_project_left_is_free_again(client: TestClient) -> None:
    """QA: 'a' renamed 'zed' kept its folder 'a', and a new project 'a' was refused as existing."""
    client.post("/api/projects", json={"name": "a"}).raise_for_status()
    assert client.patch("/api/projects/a", json={"name": "zed"}).status_code == 200
    made = client.post("/api/projects", json={"name": "A"})
    assert made.status_code == 201, made.text
    assert (made.json()["id"], made.json()["name"]) == ("A-2", "A"), "a folder of its own, shown as asked"
    assert_error(client.post("/api/projects", json={"name": "a"}), 409, "ConflictError",
                 "^a project named 'A' already exists; choose another name$")
    client.delete("/api/projects/A-2").raise_for_status()
    renamed = client.patch("/api/projects/band", json={"name": "a"})  # another project may take it too
    assert renamed.status_code == 200 and renamed.json()["name"] == "a", renamed.text
    listed = client.get("/api/projects").json()["projects"]
    assert [(p["id"], p["name"]) for p in listed] == [("a", "zed"), ("band", "a")]
    imported = client.post("/api/projects/import", files={"file": ("zed.zip", client.get(
        "/api/projects/band/export").content)}).json()
    # named as the project in the zip ('a', the name band shows), not as the zip file: taken, so a-2
    assert (imported["id"], imported["name"]) == ("a-2", "a-2"), "a name shown is taken as before"


def test_a_rename_that_loses_the_race_with_a_delete_does_not_make_the_project_again(
        client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    studio = client.app.state.studio  # type: ignore[attr-defined]
    real = type(studio).project
    calls: list[str] = []

    def found_then_deleted(self: Any, project_id: str) -> Project:
        project = real(self, project_id)
        calls.append(project_id)
        if calls == ["band", "band"]:  # the route's lookup, then rename_project's own
            self.delete_project("band")  # the other request: between finding it and renaming it
        return project

    monkeypatch.setattr(type(studio), "project", found_then_deleted)
    assert_error(client.patch("/api/projects/band", json={"name": "x"}), 404, "NotFoundError",
                 "was deleted meanwhile")
    assert not (tmp_path / "projects" / "band").exists()


def test_a_deleted_project_comes_back_with_undo_under_a_free_name(client: TestClient, tmp_path: Path) -> None:
    up = client.post("/api/projects/band/classes/background/samples", files={"files": ("hum.wav", wav_bytes(1.0))})
    assert up.status_code == 201, up.text
    trash = tmp_path / "projects" / ".trash"
    gone = client.delete("/api/projects/band").json()
    assert [p.name for p in (trash / gone["undo"]).iterdir()] == ["band"], "kept whole in the projects' .trash"
    assert client.get("/api/projects").json()["projects"] == []
    client.post("/api/projects", json={"name": "Band"})  # the name is taken meanwhile (in another case)
    back = client.post(f"/api/trash/{gone['undo']}/restore")
    assert back.status_code == 200, back.text
    counts = {c["name"]: c["samples"] for c in back.json()["classes"]}
    assert back.json()["id"] == "band-2" and counts["background"] == 1
    listed = client.get("/api/projects").json()["projects"]
    assert [(p["id"], p["name"]) for p in listed] == [("Band", "Band"), ("band-2", "band-2")]
    assert not (trash / gone["undo"]).exists()
    assert_error(client.post(f"/api/trash/{gone['undo']}/restore"), 404, "NotFoundError", "restored already")
    for bad in ("..", "..%2F..%2Fprojects", "20261127-140000-000000000-1"):
        assert client.post(f"/api/trash/{bad}/restore").status_code == 404, bad


def test_project_export_and_import_round_trip(client: TestClient) -> None:
    client.post("/api/projects/band/classes", json={"name": "bass"})
    client.post("/api/projects/band/classes/bass/samples", files=[("files", ("a.wav", wav_bytes()))])
    exported = client.get("/api/projects/band/export")
    assert exported.headers["content-type"] == "application/zip"
    imported = client.post("/api/projects/import", files={"file": ("band.zip", exported.content)})
    assert imported.status_code == 201, imported.text
    body = imported.json()
    assert body["id"] == "band-2" and {c["name"]: c["samples"] for c in body["classes"]} == {"background": 0, "bass": 1}
    assert_error(client.post("/api/projects/import", files={"file": ("x.wav", wav_bytes())}), 400,
                 "ParameterError", r"send one \.zip")


def test_export_and_import_keep_classes_with_no_samples(client: TestClient) -> None:
    for name in ("bass", "snare"):
        client.post("/api/projects/band/classes", json={"name": name})
    client.post("/api/projects/band/classes/bass/samples", files=[("files", ("a.wav", wav_bytes()))])
    exported = client.get("/api/projects/band/export").content
    imported = client.post("/api/projects/import", files={"file": ("band.zip", exported)}).json()
    assert {c["name"]: c["samples"] for c in imported["classes"]} == {"background": 0, "bass": 1, "snare": 0}
    assert imported["skipped"] == []


def test_a_project_that_cannot_be_renamed_into_the_trash_stays(client: TestClient, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "projects"
    real = os.rename

    def mount_point(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(src) == root / "band":
            raise OSError(16, "Device or resource busy")
        real(src, dst)

    monkeypatch.setattr(os, "rename", mount_point)
    assert_error(client.delete("/api/projects/band"), 409, "ConflictError", r"Device or resource busy.*by hand")
    monkeypatch.setattr(os, "rename", real)
    assert (root / "band" / "earmark-project.json").is_file() and list((root / ".trash").iterdir()) == []
    for bad in ("..", "x/../..", "20261127-140000-000000000-1/..", "20261127-140000-000000000"):
        with pytest.raises(NotFoundError):
            client.app.state.studio.restore_project(bad)  # type: ignore[attr-defined]


def test_a_folder_per_class_zip_becomes_a_project(client: TestClient, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "mine", per_class=2, seed=0, background_folder="_background_noise_")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for f in sorted(data.rglob("*.wav")):
            archive.write(f, f"mine/{f.relative_to(data).as_posix()}")
    body = client.post("/api/projects/import", files={"file": ("mine.zip", buf.getvalue())}).json()
    assert {c["name"]: c["samples"] for c in body["classes"]} == {"background": 2, "bass": 2, "drums": 2}


def test_an_imported_zip_is_named_after_its_file_even_when_the_file_name_is_no_project_name(
        client: TestClient) -> None:
    """The page sends no name: a zip called "(1) take.zip", "v1..v2.zip" or longer than 64 characters
    becomes a project named as near its file as a project may be, not a refusal of a name the user never gave."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("bass/take.wav", wav_bytes(0.5))
    long = "Field recordings from the summer trip to the coast, birds and waves, take 2"
    for filename, expected in (("(1) take.zip", "take"), ("v1..v2.zip", "v1.v2"), ("-dash.zip", "dash"),
                               (f"{long}.zip", long[:64])):
        response = client.post("/api/projects/import", files={"file": (filename, buf.getvalue())})
        assert response.status_code == 201, response.text
        assert response.json()["name"] == expected
    assert_error(client.post("/api/projects/import", files={"file": ("a.zip", buf.getvalue())}, data={"name": "(1)"}),
                 400, "ParameterError", r"^project name '\(1\)' cannot be used")  # a name the user gave is checked


def test_a_zipped_folder_per_class_with_a_class_named_samples_keeps_every_class(client: TestClient) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for folder in ("background", "bass", "samples"):
            archive.writestr(f"set/{folder}/take.wav", wav_bytes(0.5))
    response = client.post("/api/projects/import", files={"file": ("set.zip", buf.getvalue())})
    assert response.status_code == 201, response.text
    assert {c["name"]: c["samples"] for c in response.json()["classes"]} == {"background": 1, "bass": 1, "samples": 1}


def test_an_import_lands_what_it_can_with_odd_folder_names(client: TestClient) -> None:
    """One folder name that cannot be a class is skipped, not the whole import; "Bass" beside
    "bass" is one class; "café" as macOS writes it (NFD) is the same name as "café"."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for n, folder in enumerate(("bass", "Bass", "drums!", "cafe\u0301", "background")):  # not the same bytes:
            archive.writestr(f"{folder}/take.wav", wav_bytes(0.5, freq=110.0 * (n + 1)))  # unpacking keeps both
    response = client.post("/api/projects/import", files={"file": ("odd.zip", buf.getvalue())})
    assert response.status_code == 201, response.text
    body = response.json()
    classes = {c["name"].casefold(): c["samples"] for c in body["classes"]}  # the first folder's spelling names it
    assert classes == {"background": 1, "bass": 2, "caf\u00e9": 1} and len(body["classes"]) == 3
    [(name, reason)] = [(s["name"], s["reason"]) for s in body["skipped"]]
    assert name == "drums!/" and re.search(r"class name 'drums!' cannot be used; .*rename the folder", reason)


# -- classes and samples --------------------------------------------------------------------------------
def test_an_upload_without_files_is_refused_not_answered_as_nothing_added(client: TestClient, tmp_path: Path) -> None:
    """A form whose files are in another field, or a multipart body cut off before its first file, says
    so (the page would otherwise say the upload held only hidden files); nothing is written."""
    url = "/api/projects/band/classes/background/samples"
    assert_error(client.post(url, files={"audio": ("take.wav", wav_bytes())}), 400, "ParameterError",
                 r"^the upload holds no files \(it holds the field 'audio'\); send the audio files or zips in the "
                 r"form field 'files'")
    assert_error(client.post(url, content=b"--xx\r\nContent-Disp",
                             headers={"content-type": "multipart/form-data; boundary=xx"}),
                 400, "ParameterError", r"^the upload holds no files; .*if it was cut off, upload again")
    assert not list((tmp_path / "projects" / "band" / "samples" / "background").iterdir())
    assert client.post(url, files={"files": ("take.wav", wav_bytes())}).status_code == 201


def test_classes_and_uploads(client: TestClient) -> None:
    assert client.post("/api/projects/band/classes", json={"name": "bass"}).status_code == 201
    assert_error(client.post("/api/projects/band/classes", json={"name": "Bass"}), 409, "ConflictError",
                 "already exists")
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as archive:
        archive.writestr("z/one.wav", wav_bytes())
        archive.writestr("z/notes.txt", "hi")
    up = client.post("/api/projects/band/classes/bass/samples", files=[
        ("files", ("a.wav", wav_bytes())), ("files", ("long take.wav", wav_bytes(20.0))),
        ("files", ("broken.mp3", b"ID3 not really")), ("files", ("set.zip", zbuf.getvalue()))])
    assert up.status_code == 201, up.text
    body = up.json()
    assert [s["id"] for s in body["added"]] == ["a.wav"] + [f"long take_nohash_{k:03d}.wav" for k in range(5)] + \
        ["one.wav"]
    assert {s["name"] for s in body["skipped"]} == {"broken.mp3", "set.zip/z/notes.txt"}
    info = {c["name"]: c for c in client.get("/api/projects/band").json()["classes"]}["bass"]
    assert info["samples"] == 7 and info["seconds"] == 22.0 and info["enough"]
    sample = body["added"][1]
    assert sample["recording"] == "long take"
    audio = client.get(sample["audio_url"])
    assert audio.headers["content-type"] == "audio/wav" and sf.info(io.BytesIO(audio.content)).duration == 4.0
    part = client.get(sample["audio_url"], headers={"Range": "bytes=100-199"})  # a player seeking ("#t=0.2,0.7")
    assert part.status_code == 206 and part.content == audio.content[100:200], part.status_code
    assert part.headers["content-range"] == f"bytes 100-199/{len(audio.content)}"
    png = client.get(sample["spectrogram_url"])
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    renamed = client.patch("/api/projects/band/classes/bass", json={"name": "electric bass"}).json()
    assert renamed["name"] == "electric bass" and renamed["samples"] == 7
    moved = client.post("/api/projects/band/samples/electric bass/a.wav/move", json={"to": "background"}).json()
    assert moved["class_name"] == "background" and client.get(moved["audio_url"]).status_code == 200
    deleted = client.delete(moved["audio_url"].split("?")[0].removesuffix("/audio")).json()
    assert deleted["deleted"] == "a.wav"
    assert client.get("/api/projects/band/classes/background/samples").json() == {"samples": []}
    # Undo: the id the delete answered with puts the sample back, once
    restored = client.post(f"/api/projects/band/trash/{deleted['undo']}/restore").json()
    assert [(s["class_name"], s["id"]) for s in restored["restored"]] == [("background", "a.wav")]
    assert restored["classes"] == ["background"] and client.get(restored["restored"][0]["audio_url"]).status_code == 200
    assert_error(client.post(f"/api/projects/band/trash/{deleted['undo']}/restore"), 404, "NotFoundError",
                 "nothing to undo")
    gone = client.delete("/api/projects/band/classes/electric bass").json()
    assert gone == {"deleted": "electric bass", "samples": 6, "undo": gone["undo"]}
    back = client.post(f"/api/projects/band/trash/{gone['undo']}/restore").json()
    assert back["classes"] == ["electric bass"] and len(back["restored"]) == 6
    assert client.get("/api/projects/band/classes/electric bass/samples").json()["samples"] == back["restored"]


@pytest.mark.parametrize("path", ["/api/projects/band/samples/background/..%2F..%2Fearmark-project.json/audio",
                                  "/api/projects/band/samples/..%2Fsamples/x.wav/audio",
                                  "/api/projects/band/samples/background/%2Fetc%2Fpasswd/audio"])
def test_sample_paths_cannot_leave_the_class(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404 and response.json()["error"]["type"] in ("NotFoundError", "HTTPError")


def test_upload_limits_answer_413(tmp_path: Path) -> None:
    with make_client(tmp_path / "p", max_upload_mb=0.05, max_upload_files=2) as c:
        c.post("/api/projects", json={"name": "band"})
        assert_error(c.post("/api/projects/band/classes/background/samples",
                            files=[("files", ("a.wav", wav_bytes(2.0)))]), 413, "LimitError", "more than the limit")
        assert_error(c.post("/api/projects/band/classes/background/samples",
                            files=[("files", (f"{k}.wav", wav_bytes(0.1))) for k in range(3)]), 413, "LimitError",
                     "at most 2 files")
        assert not list((tmp_path / "p" / "band" / "samples" / "background").iterdir())


# -- training, models, inference ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    root = tmp_path_factory.mktemp("studio")
    project = Project.create(root / "band")
    write_dataset(project.samples_dir, per_class=8, seed=3)
    with make_client(root) as c:
        job = c.post("/api/projects/band/train", json={"epochs": 3, "batch_size": 32}).json()
        assert job["state"] == "running" and job["epochs"] == 3
        finished = c.app.state.studio.jobs.wait(job["id"], timeout_s=120)  # type: ignore[attr-defined]
        assert finished.state == "done", finished.error
        yield c, finished.model["id"]  # type: ignore[index]


def test_training_job_reports_history_and_writes_a_model(trained: tuple[TestClient, str]) -> None:
    c, model_id = trained
    project = c.get("/api/projects/band").json()
    job = project["training"]
    assert job["state"] == "done" and job["epoch"] == 3 and len(job["history"]) == 3
    assert set(job["history"][0]) >= {"train_loss", "train_accuracy", "val_loss", "val_accuracy"}
    assert [m["id"] for m in project["models"]] == [model_id]
    assert job["model"] == project["models"][0], "the job's model is shown as the project's models are, links included"
    assert c.get(job["model"]["download_url"]).status_code == 200
    detail = c.get(f"/api/projects/band/models/{model_id}").json()
    assert detail["dataset"]["train_clips"] > 0
    assert "train_fingerprints" not in detail["dataset"]  # they stay in the file


def test_training_runs_with_the_studios_threads_and_workers(tmp_path: Path) -> None:
    """One torch thread (the server keeps working beside it) and the example workers the settings
    give: here none, so the run makes its examples in the server's own process."""
    project = Project.create(tmp_path / "band")
    write_dataset(project.samples_dir, per_class=6, seed=4)
    with make_client(tmp_path, train_workers=0) as c:
        job = c.post("/api/projects/band/train", json={"epochs": 1, "batch_size": 16}).json()
        finished = c.app.state.studio.jobs.wait(job["id"], timeout_s=120)  # type: ignore[attr-defined]
        assert finished.state == "done", finished.error
    [path] = (tmp_path / "band" / "models").glob("*.earmark")
    training = earmark.load(path).manifest.training
    assert (training["threads"], training["workers"]) == (1, 0)
    with pytest.raises(ValueError, match="less than or equal to 32"):
        StudioSettings(projects_root=tmp_path, train_workers=33)


def test_a_model_file_that_cannot_be_read_is_listed_with_why(client: TestClient, tmp_path: Path) -> None:
    (tmp_path / "projects" / "band" / "models" / "old.earmark").write_bytes(b"not a model")
    project = client.get("/api/projects/band").json()
    assert project["models"] == []
    [entry] = project["unreadable_models"]
    assert entry["file"] == "old.earmark" and "corrupted" in entry["reason"] and str(tmp_path) not in entry["reason"]


def test_model_details_hold_the_confusion_cells_with_playable_clips(trained: tuple[TestClient, str]) -> None:
    c, model_id = trained
    model = c.get(f"/api/projects/band/models/{model_id}").json()
    validation = model["validation"]
    matrix = validation["confusion"]["matrix"]
    cells = validation["cells"]
    assert sum(map(sum, matrix)) == sum(len(v) for v in cells.values()) == validation["n_clips"]
    labels = validation["confusion"]["labels"]
    for i, true in enumerate(labels):
        for j, predicted in enumerate(labels):
            assert len(cells.get(f"{true}|{predicted}", [])) == matrix[i][j]
    clip = next(iter(cells.values()))[0]
    assert clip["exists"] and c.get(clip["audio_url"]).status_code == 200
    assert len(model["history"]) == 3 and model["settings"]["epochs"] == 3
    assert isinstance(model["warnings"], list)
    assert any("clips were scored" in w for w in model["warnings"]) == (validation["n_clips"] < 10)


def test_model_details_warn_about_a_sound_trained_on_under_two_classes(trained: tuple[TestClient, str]) -> None:
    c, model_id = trained
    project = c.app.state.studio.project("band")  # type: ignore[attr-defined]
    clf = earmark.load(project.model_path(model_id))
    assert clf.manifest.dataset["same_audio_in_classes"] == {"count": 0, "examples": []}, "all sounds differ"
    assert clf.manifest.dataset["same_audio_in_one_class"] == {"count": 0, "examples": []}
    clf.manifest.dataset["same_audio_in_classes"] = {"count": 5, "examples": [["bass/a.wav", "drums/a.wav"]]}
    clf.manifest.dataset["same_audio_in_one_class"] = {"count": 1, "examples": [["bass/b-2.wav", "bass/b.wav"]]}
    clf.save(project.models_dir / "twice.earmark")
    warnings = c.get("/api/projects/band/models/twice").json()["warnings"]
    assert any(w.startswith("The same sound was trained on under two classes 5 times (bass/a.wav = drums/a.wav; …)")
               for w in warnings), warnings
    assert any(w.startswith("The same sound twice in one class, once (bass/b-2.wav = bass/b.wav): ")
               for w in warnings), warnings
    project.delete_model("twice")


def test_a_model_can_be_given_a_name(trained: tuple[TestClient, str]) -> None:
    c, model_id = trained
    data = c.get(f"/api/projects/band/models/{model_id}/download").content
    copy = c.post("/api/projects/band/models/import", files={"file": ("copy.earmark", data)}).json()
    named = c.patch(f"/api/projects/band/models/{copy['id']}", json={"name": "library trained"}).json()
    assert named["id"] == "library trained" and named["file"] == "library trained.earmark"
    assert named["labels"] == copy["labels"] and named["token"] != copy["token"]
    assert_error(c.get(f"/api/projects/band/models/{copy['id']}"), 404, "NotFoundError", "no model")
    assert c.get("/api/projects/band/models/library%20trained").json()["settings"]["epochs"] == 3
    assert_error(c.patch("/api/projects/band/models/library%20trained", json={"name": model_id}), 409,
                 "ConflictError", "already has a model called")
    assert_error(c.patch("/api/projects/band/models/library%20trained", json={"name": "../up"}), 400,
                 "ParameterError", "model name '../up' cannot be used")
    # one letter's case apart is the same name, as for classes; its own name in another case is fine
    assert_error(c.patch(f"/api/projects/band/models/{model_id}", json={"name": "Library Trained"}), 409,
                 "ConflictError", "already has a model called 'library trained'; choose another name")
    assert c.get(f"/api/projects/band/models/{model_id}").status_code == 200
    recased = c.patch("/api/projects/band/models/library%20trained", json={"name": "Library Trained"}).json()
    assert recased["id"] == "Library Trained"
    c.patch("/api/projects/band/models/Library%20Trained", json={"name": "library trained"}).raise_for_status()
    assert c.delete("/api/projects/band/models/library%20trained").status_code == 200


def test_a_second_training_run_waits_for_the_first(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "band")
    write_dataset(project.samples_dir, per_class=6, seed=4)
    with make_client(tmp_path) as c:
        job = c.post("/api/projects/band/train", json={"epochs": 50}).json()
        assert_error(c.post("/api/projects/band/train", json={"epochs": 1}), 409, "ConflictError", "already going on")
        assert_error(c.delete("/api/projects/band"), 409, "ConflictError", "cancel the training first")
        assert c.post(f"/api/jobs/{job['id']}/cancel").status_code == 200
        finished = c.app.state.studio.jobs.wait(job["id"], timeout_s=120)  # type: ignore[attr-defined]
        assert finished.state == "cancelled" and len(finished.history) < 50
        assert list(project.models_dir.iterdir()) == [], "a cancelled run writes no model"
    assert_error(c.get("/api/jobs/nope"), 404, "NotFoundError", "no training job")


def test_stop_and_keep_ends_a_run_after_its_epoch_and_saves_the_model(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "band")
    write_dataset(project.samples_dir, per_class=6, seed=4)
    with make_client(tmp_path) as c:
        job = c.post("/api/projects/band/train", json={"epochs": 50, "batch_size": 16}).json()
        stopping = c.post(f"/api/jobs/{job['id']}/stop").json()
        assert stopping["state"] in ("running", "done") and (stopping["stopping"] or stopping["state"] == "done")
        finished = c.app.state.studio.jobs.wait(job["id"], timeout_s=120)  # type: ignore[attr-defined]
        assert finished.state == "done" and 1 <= len(finished.history) < 50
        view = finished.to_dict()
        assert view["stopping"] is False and view["epoch"] == len(finished.history)
        model = c.get(f"/api/projects/band/models/{finished.model['id']}").json()  # type: ignore[index]
        assert len(model["history"]) == len(finished.history) and model["validation"]["n_clips"] > 0
    assert_error(c.post("/api/jobs/nope/stop"), 404, "NotFoundError", "no training job")


def test_a_stretch_of_a_tried_file_goes_into_a_class(client: TestClient) -> None:
    """The Try tab's "add the part at the cursor": the file again, with start_s and end_s."""
    assert client.post("/api/projects/band/classes", json={"name": "bass"}).status_code == 201
    up = client.post("/api/projects/band/classes/bass/samples", files={"files": ("song.wav", wav_bytes(10.0))},
                     data={"start_s": "2.5", "end_s": "4", "recording": "try-x"})
    assert up.status_code == 201, up.text
    [sample] = up.json()["added"]
    assert (sample["id"], sample["recording"], sample["duration_s"]) == ("try-x_nohash_000.wav", "try-x", 1.5)
    for fields, pattern in [({"start_s": "2"}, r"give both form fields start_s and end_s"),
                            ({"start_s": "3", "end_s": "2"}, r"excerpt must run forward"),
                            ({"start_s": "a", "end_s": "2"}, r"form field 'start_s' must be a number")]:
        assert_error(client.post("/api/projects/band/classes/bass/samples", data=fields,
                                 files={"files": ("song.wav", wav_bytes(10.0))}), 400, "ParameterError", pattern)
    assert len(client.get("/api/projects/band/classes/bass/samples").json()["samples"]) == 1


def test_predict_a_clip_and_a_long_recording(trained: tuple[TestClient, str]) -> None:
    c, model_id = trained
    short = c.post(f"/api/projects/band/models/{model_id}/predict", files={"file": ("a.wav", wav_bytes(1.0))}).json()
    assert short["label"] in short["probabilities"] and short["timeline"] is None
    model = Project.open(c.app.state.studio.settings.projects_root / "band").model_path(model_id)  # type: ignore[attr-defined]
    level = earmark.load(model).sure_level  # None when too few clips were held out to say
    assert short["sure_level"] == (None if level is None else round(level, 4))
    assert abs(sum(short["probabilities"].values()) - 1) < 1e-3
    recording = (demo_data_dir() / "recording.ogg").read_bytes()
    long = c.post(f"/api/projects/band/models/{model_id}/predict", files={"file": ("rec.ogg", recording)}).json()
    assert long["timeline"]["segments"] and long["duration_s"] > 10
    picture = c.get(long["timeline_url"])
    assert picture.content[:4] == b"\x89PNG"
    assert c.head(long["timeline_url"]).headers["content-length"] == str(len(picture.content))
    assert c.get(long["timeline_url"], headers={"If-None-Match": picture.headers["etag"]}).status_code == 304
    assert_error(c.post(f"/api/projects/band/models/{model_id}/predict", files={"file": ("x.wav", b"nope")}),
                 422, "AudioDecodeError", "could not be decoded")


def test_evaluate_and_compare_on_an_uploaded_test_set(trained: tuple[TestClient, str], tmp_path: Path) -> None:
    c, model_id = trained
    test = write_dataset(tmp_path / "test", per_class=3, seed=9)
    files = [("files", (f"test/{f.relative_to(test).as_posix()}", f.read_bytes())) for f in sorted(test.rglob("*.wav"))]
    report = c.post(f"/api/projects/band/models/{model_id}/evaluate",
                    files=[*files, ("files", ("test/bass/broken.wav", b"RIFF junk"))]).json()
    assert report["n_clips"] == 9 and 0 <= report["accuracy"] <= 1
    [skipped] = report["skipped"]
    assert skipped["path"] == "bass/broken.wav", "files are named as the user knows them"
    assert sum(map(sum, report["confusion"]["matrix"])) == 9
    comparison = c.post("/api/projects/band/compare", data={"model_a": model_id, "model_b": model_id},
                        files=files).json()
    assert comparison["a"]["accuracy"] == comparison["b"]["accuracy"] == report["accuracy"]
    assert comparison["wrong_only_with_a"] == comparison["wrong_only_with_b"] == []
    assert_error(c.post(f"/api/projects/band/models/{model_id}/evaluate", files=[("files", ("a.wav", wav_bytes()))]),
                 422, "DatasetError", "one folder per class")
    capitals = [("files", (name.replace("/bass/", "/Bass/").replace("/drums/", "/DRUMS/"), data))
                for _, (name, data) in files]  # folders named as a person might: the model's classes still
    again = c.post(f"/api/projects/band/models/{model_id}/evaluate", files=capitals).json()
    assert again["n_clips"] == 9 and again["confusion"] == report["confusion"], again


def test_compare_says_when_the_two_models_are_one(client: TestClient, tmp_path: Path) -> None:
    """The compare route answered two equal columns for a model and its copy; it now passes on the
    library's ``same_model`` (one report, scored once), and two models are still side by side."""
    ids = []
    for name, seed in (("m.earmark", 1), ("copy.earmark", 1), ("other.earmark", 2)):
        data = untrained_classifier(seed=seed).save(tmp_path / f"s{seed}.earmark").read_bytes()
        made = client.post("/api/projects/band/models/import", files={"file": (name, data)})
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    test = write_dataset(tmp_path / "test", per_class=2, seed=9)
    files = [("files", (f"test/{f.relative_to(test).as_posix()}", f.read_bytes())) for f in sorted(test.rglob("*.wav"))]
    keys = {"model_a", "model_b", "a", "b", "wrong_only_with_a", "wrong_only_with_b", "same_model"}
    for b, same in ((ids[0], True), (ids[1], True), (ids[2], False)):
        comparison = client.post("/api/projects/band/compare", data={"model_a": ids[0], "model_b": b},
                                 files=files).json()
        assert set(comparison) == keys and comparison["same_model"] is same, comparison
        assert (comparison["model_a"], comparison["model_b"]) == (ids[0], b)
        assert comparison["a"]["n_clips"] == comparison["b"]["n_clips"] == 6
        if same:
            assert comparison["a"] == comparison["b"]


def test_download_and_import_a_model(trained: tuple[TestClient, str]) -> None:
    c, model_id = trained
    data = c.get(f"/api/projects/band/models/{model_id}/download").content
    info = c.post("/api/projects/band/models/import", files={"file": ("theirs.earmark", data)}).json()
    original = c.get(f"/api/projects/band/models/{model_id}").json()
    assert info["id"].startswith("theirs-") and info["labels"] == original["labels"]
    assert info["token"] != original["token"], "a copy of a model gets a share link of its own"
    assert info["same_as"] == [model_id], "the page says which model it copies"
    again = c.post("/api/projects/band/models/import", files={"file": (f"{info['id']}.earmark", data)}).json()
    assert re.fullmatch(r"theirs-\d{8}-\d{6}(-\d+)?", again["id"]), "a re-import is stamped once, not twice"
    assert sorted(again["same_as"]) == sorted([model_id, info["id"]])
    c.delete(f"/api/projects/band/models/{again['id']}")
    assert_error(c.post("/api/projects/band/models/import", files={"file": ("x.earmark", b"garbage")}), 422,
                 "ModelFileError", r"^x\.earmark: ")
    gone = c.delete(f"/api/projects/band/models/{info['id']}").json()
    assert gone == {"deleted": info["id"], "undo": gone["undo"]}
    assert_error(c.get(f"/api/try/{info['token']}"), 404, "NotFoundError", "fresh link")  # deleting ends the link
    # Undo: the model is back, and so is its link
    back = c.post(f"/api/projects/band/trash/{gone['undo']}/restore").json()
    assert back == {"restored": [], "classes": [], "models": [info["id"]], "notes": []}
    assert c.get(f"/api/try/{info['token']}").status_code == 200
    assert info["id"] in {m["id"] for m in c.get("/api/projects/band").json()["models"]}
    assert_error(c.post(f"/api/projects/band/trash/{gone['undo']}/restore"), 404, "NotFoundError", "nothing to undo")


def test_a_model_download_answers_head_and_a_conditional_get(trained: tuple[TestClient, str]) -> None:
    """QA: HEAD on a model's download got 405; a GET with the ETag it had got the whole file again."""
    c, model_id = trained
    url = f"/api/projects/band/models/{model_id}/download"
    full, head = c.get(url), c.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(full.content)) and head.headers["etag"] == full.headers["etag"]
    assert head.headers["content-disposition"] == full.headers["content-disposition"]
    same = c.get(url, headers={"If-None-Match": full.headers["etag"]})
    assert same.status_code == 304 and same.content == b""


def test_live_preview_over_a_websocket(trained: tuple[TestClient, str]) -> None:
    c, model_id = trained
    rng = np.random.default_rng(0)


    audio = np.concatenate([bass_note(rng, sample_rate=44100) for _ in range(2)])
    with c.websocket_connect(f"/api/projects/band/models/{model_id}/live") as ws:
        ws.send_text(json.dumps({"sample_rate": 44100}))
        ready = ws.receive_json()
        assert ready["ready"] and ready["labels"] == ["background", "bass", "drums"]
        for start in range(0, len(audio), 2205):  # 50 ms chunks
            ws.send_bytes(audio[start:start + 2205].astype("<f4").tobytes())
        replies = [ws.receive_json() for _ in range(10)]
    assert all(set(r) >= {"label", "probabilities", "time_s"} for r in replies)
    times = [r["time_s"] for r in replies]
    assert np.allclose(np.diff(times), 0.1), "a prediction every 100 ms of audio"
    with c.websocket_connect(f"/api/projects/band/models/{model_id}/live") as ws:
        ws.send_text("hello")
        assert "sample_rate" in ws.receive_json()["error"]["message"]


def test_the_share_routes_show_the_model_and_nothing_of_the_project(trained: tuple[TestClient, str]) -> None:
    c, model_id = trained
    token = c.get(f"/api/projects/band/models/{model_id}").json()["share_url"].rsplit("/", 1)[1]
    info = c.get(f"/api/try/{token}").json()
    assert info["labels"] == ["background", "bass", "drums"]
    assert "band" not in json.dumps(info) and "samples" not in json.dumps(info)
    assert c.post(f"/api/try/{token}/predict", files={"file": ("a.wav", wav_bytes())}).json()["label"]
    page = c.get(f"/try/{token}")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert_error(c.get("/api/try/0000000000000000"), 404, "NotFoundError", "fresh link")


def test_the_page_needs_nothing_from_the_internet(client: TestClient) -> None:
    index = client.get("/")
    assert index.status_code == 200 and "<html" in index.text.lower()
    assert client.head("/").status_code == 200  # a health check or curl -I
    assert client.get("/", headers={"If-None-Match": index.headers["etag"]}).status_code == 304  # no-cache revalidates
    files = [p for p in static_dir().rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"index.html", "try.html", "recorder-worklet.js"}
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)\s*=\s*[\"']\s*(https?:)?//", text), f"{path.name} loads from the internet"
        assert not re.search(r"(import|fetch)\s*\(?\s*[\"']https?://", text), f"{path.name} fetches the internet"


def test_live_preview_of_a_missing_model_says_so_in_json(client: TestClient) -> None:
    with client.websocket_connect("/api/projects/band/models/nope/live") as ws:
        reply = ws.receive_json()
    assert reply["error"]["type"] == "NotFoundError" and "no model 'nope'" in reply["error"]["message"]
    with client.websocket_connect("/api/try/0123456789abcdef/live") as ws:
        assert "fresh link" in ws.receive_json()["error"]["message"]


def test_decode_errors_name_the_upload_not_the_server_file(trained: tuple[TestClient, str]) -> None:
    c, model_id = trained
    message = c.post(f"/api/projects/band/models/{model_id}/predict",
                     files={"file": ("my take.wav", b"x")}).json()["error"]["message"]
    assert message.startswith("my take.wav") and "/tmp" not in message
    message = c.post("/api/projects/band/models/import", files={"file": ("theirs.earmark", b"x" * 64)}).json()[
        "error"]["message"]
    assert "theirs.earmark" in message and "/tmp" not in message


# -- review findings: guards, limits, races, robustness -------------------------------------------------
def test_other_websites_cannot_change_the_studio(client: TestClient) -> None:
    response = client.post("/api/projects/band/classes", json={"name": "bass"},
                           headers={"origin": "http://evil.example"})
    assert_error(response, 403, "ForbiddenOrigin", "only pages of this studio")
    assert client.post("/api/projects/band/classes", json={"name": "bass"},
                       headers={"origin": "http://testserver"}).status_code == 201
    assert client.get("/api/projects", headers={"origin": "http://evil.example"}).status_code == 200
    with pytest.raises(Exception), client.websocket_connect(  # noqa: B017 - refused before the handshake completes
            "/api/try/0123456789abcdef/live", headers={"origin": "http://evil.example"}) as ws:
        ws.receive_json()


def test_only_the_studios_own_host_names_are_served(tmp_path: Path) -> None:
    with TestClient(create_app(StudioSettings(projects_root=tmp_path))) as c:  # default: local names only
        assert c.get("/api/status").status_code == 400  # "testserver" is not 127.0.0.1 or localhost
        assert c.get("/api/status", headers={"host": "127.0.0.1:8000"}).status_code == 200
        assert_error(c.get("/api/status", headers={"host": "attacker.example"}), 400, "InvalidHost",
                     "does not serve the host name 'attacker.example'")
        assert c.get("/api/status", headers={"host": "[::1]:8000"}).status_code == 200
        assert c.get("/api/status", headers={"host": "LOCALHOST:8000"}).status_code == 200
        assert c.get("/api/status", headers={"host": "127.0.0.1.evil.example"}).status_code == 400


def test_a_chunked_upload_stops_at_the_limit(tmp_path: Path) -> None:
    """50 MB sent without a Content-Length: the server stops reading past 1 MB (driven over ASGI
    directly, to count what the server really read)."""
    import asyncio
    import threading

    project = Project.create(tmp_path / "band")
    app = create_app(StudioSettings(projects_root=tmp_path, max_upload_mb=1, allowed_hosts=["testserver"]))
    boundary = "xyz"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.wav\"\r\n"
            "Content-Type: audio/wav\r\n\r\n").encode()
    chunks = [head] + [b"\0" * (1 << 20)] * 50 + [f"\r\n--{boundary}--\r\n".encode()]
    read = 0
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/projects/band/classes/background/samples",
             "raw_path": b"/api/projects/band/classes/background/samples", "query_string": b"",
             "headers": [(b"host", b"testserver"),
                         (b"content-type", f"multipart/form-data; boundary={boundary}".encode())],
             "scheme": "http", "server": ("testserver", 80), "client": ("127.0.0.1", 1), "http_version": "1.1",
             "root_path": "", "app": app}
    # in a thread of its own: Playwright's sync API may hold an event loop in this one
    runner = threading.Thread(target=lambda: asyncio.run(app(scope, receive, send)))  # type: ignore[arg-type]
    runner.start()
    runner.join(timeout=30)
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["type"] == "LimitError"  # type: ignore[arg-type]
    assert read < 5, f"the server read {read} chunks of a 50 MB upload over a 1 MB limit"
    assert list(project.class_dir("background").iterdir()) == []


def test_a_missing_multipart_boundary_is_a_bad_request(client: TestClient) -> None:
    assert_error(client.post("/api/projects/band/classes/background/samples", content=b"x",
                             headers={"content-type": "multipart/form-data"}), 400, "ParameterError",
                 "could not be read")


def test_renaming_a_class_onto_a_file_is_refused_and_loses_nothing(client: TestClient, tmp_path: Path) -> None:
    client.post("/api/projects/band/classes", json={"name": "bass"})
    client.post("/api/projects/band/classes/bass/samples", files=[("files", ("a.wav", wav_bytes()))])
    (tmp_path / "projects" / "band" / "samples" / "notes").write_text("not a class")
    assert_error(client.patch("/api/projects/band/classes/bass", json={"name": "notes"}), 409, "ConflictError",
                 "already taken by a file")
    assert [s["id"] for s in client.get("/api/projects/band/classes/bass/samples").json()["samples"]] == ["a.wav"]
    assert client.patch("/api/projects/band/classes/bass", json={"name": " BASS "}).json()["name"] == "BASS"


def test_concurrent_moves_never_overwrite(tmp_path: Path) -> None:
    import threading

    project = Project.create(tmp_path / "band")
    project.add_class("bass")
    for n in range(20):
        (project.class_dir("bass") / f"x{n}.wav").write_bytes(wav_bytes(0.1))
        (project.class_dir("background") / f"x{n}.wav").write_bytes(wav_bytes(0.1))
    (project.root.parent / "other").mkdir()
    for n in range(20):  # move two same-named files into one class at once
        threads = [threading.Thread(target=project.move_sample, args=(c, f"x{n}.wav"), kwargs={"to": t})
                   for c, t in (("bass", "background"), ("background", "bass"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(project.samples("bass")) + len(project.samples("background")) == 40


def test_every_hop_of_a_long_live_message_is_answered_and_glitches_keep_time(
        trained: tuple[TestClient, str]) -> None:
    c, model_id = trained
    rng = np.random.default_rng(1)
    audio = np.concatenate([bass_note(rng, sample_rate=44100) for _ in range(2)])[:2 * 44100]
    glitch = audio[:44100].copy()
    glitch[1000:1100] = np.nan  # a glitching device: heard as silence, not dropped
    with c.websocket_connect(f"/api/projects/band/models/{model_id}/live") as ws:
        ws.send_text(json.dumps({"sample_rate": 44100.0}))  # a whole number of hertz, written as a float
        assert ws.receive_json()["sample_rate"] == 44100
        ws.send_bytes(glitch.astype("<f4").tobytes())
        ws.send_bytes(audio.astype("<f4").tobytes())  # one 2 s message: twenty hops
        ws.send_text("that is all")  # not a frame: the error that answers it marks the end of the replies
        replies = []
        while "error" not in (reply := ws.receive_json()):
            replies.append(reply)
    # from 0.3 s (0.25 s heard) to 2.9 s of the 3 s sent (the resampler holds back ~26 ms)
    times = [r["time_s"] for r in replies]
    assert np.allclose(times, np.arange(3, 30) / 10), times
    assert all(np.isfinite(list(r["probabilities"].values())).all() for r in replies)


def test_bad_live_frames_get_a_json_error(trained: tuple[TestClient, str]) -> None:
    c, model_id = trained
    url = f"/api/projects/band/models/{model_id}/live"
    for first, then, expect in ((b"\0\0\0\0", None, "JSON text message"),
                                ('{"sample_rate": 1e400}', None, "sample_rate"),
                                ('{"sample_rate": "44100"}', None, "whole number of hertz"),
                                ('{"sample_rate": 44100.5}', None, "whole number of hertz"),
                                ('{"sample_rate": true}', None, "whole number of hertz"),
                                ('{"sample_rate": NaN}', None, "whole number of hertz"),
                                ('{"sample_rate": 44100}', "hello", "binary frames"),
                                ('{"sample_rate": 8000}', b"\0" * (4 * 8000 * 3), "at most 2 s")):
        with c.websocket_connect(url) as ws:
            ws.send_bytes(first) if isinstance(first, bytes) else ws.send_text(first)
            if then is not None:
                assert ws.receive_json()["ready"]
                ws.send_bytes(then) if isinstance(then, bytes) else ws.send_text(then)
            assert expect in ws.receive_json()["error"]["message"]


def test_predict_refuses_recordings_over_the_duration_limit(tmp_path: Path,
                                                            trained: tuple[TestClient, str]) -> None:
    c, model_id = trained
    model = c.get(f"/api/projects/band/models/{model_id}/download").content
    root = tmp_path / "p"
    project = Project.create(root / "band")
    (project.models_dir / "m.earmark").write_bytes(model)
    with make_client(root, max_file_minutes=0.05) as small:
        assert_error(small.post("/api/projects/band/models/m/predict", files={"file": ("long.wav", wav_bytes(5.0))}),
                     413, "LimitError", "long.wav is 0.1 min long, more than the limit")
        # a browser's recording states no length: decoding stops at the limit (3 s here), not at its end
        unstated = io.BytesIO()
        with av.open(unstated, "w", format="webm", options={"live": "1"}) as out:
            stream = out.add_stream("libopus", rate=48000, layout="mono")
            for k in range(20):
                frame = av.AudioFrame.from_ndarray(np.full((1, 48000), 0.1, np.float32), format="flt", layout="mono")
                frame.sample_rate, frame.pts = 48000, k * 48000
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
        tried = small.post("/api/projects/band/models/m/predict", files={"file": ("rec.webm", unstated.getvalue())})
        assert_error(tried, 413, "LimitError", r"^rec\.webm is longer than the limit of 0\.1 min; cut it into "
                     r"shorter files, or label it whole with `earmark timeline MODEL FILE`")


def test_a_folder_of_classes_uploaded_to_one_class_is_refused(client: TestClient) -> None:
    """QA: a zip of bass/, drums/, background/ uploaded to class "con" was added as 15 "con" samples."""
    for name in ("bass", "drums", "con"):
        client.post("/api/projects/band/classes", json={"name": name})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for k, folder in enumerate(("bass", "drums", "background")):
            for i in range(5):
                archive.writestr(f"{folder}/{folder}{i}.wav", wav_bytes(0.5, freq=100.0 + 30 * k + 5 * i))
    refused = client.post("/api/projects/band/classes/con/samples", files=[("files", ("mine.zip", buf.getvalue()))])
    assert_error(refused, 422, "DatasetError", r"^mine\.zip holds a folder per class \(background/, bass/, drums/\): "
                 r"added to class 'con', .*upload each class's folder onto its class; to make a new project of "
                 r"them, open it with “Import zip” at the top of the studio$")
    picked = [("files", (f"mine/{folder}/x.wav", wav_bytes(0.5, freq=f)))  # "Choose a folder"
              for folder, f in (("bass", 90), ("drums", 99))]
    assert_error(client.post("/api/projects/band/classes/con/samples", files=picked), 422, "DatasetError",
                 r"^these files are a folder per class \(bass/, drums/\)")
    assert client.get("/api/projects/band/classes/con/samples").json()["samples"] == []
    client.post("/api/projects", json={"name": "fresh"})  # a new project: background only
    mine = [("files", (f"my_sounds/{folder}/x.wav", wav_bytes(0.5, freq=f)))
            for folder, f in (("background", 90), ("bass", 99), ("drums", 120))]
    assert_error(client.post("/api/projects/fresh/classes/background/samples", files=mine), 422, "DatasetError",
                 r"^these files are a folder per class \(background/, bass/, drums/\): added to class 'background'"
                 r".*\(make classes 'bass', 'drums' first\); .*zip the folder and open it with “Import zip”")
    assert client.get("/api/projects/fresh/classes/background/samples").json()["samples"] == []
    takes = [("files", (f"con/take{i}/x.wav", wav_bytes(0.5, freq=200.0 + i))) for i in (1, 2)]
    added = client.post("/api/projects/band/classes/con/samples", files=takes)
    assert added.status_code == 201 and len(added.json()["added"]) == 2, added.text


def test_a_project_zip_goes_through_intake(client: TestClient) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("mine/bass/a.wav", wav_bytes())
        archive.writestr("mine/background/x.wav", wav_bytes(freq=50))
        archive.writestr("mine/Background Noise/x.wav", wav_bytes(freq=60))
        archive.writestr("mine/__MACOSX/bass/._a.wav", b"junk")
        archive.writestr("mine/bass/broken.wav", b"RIFF junk")
    body = client.post("/api/projects/import", files={"file": ("mine.zip", buf.getvalue())}).json()
    assert {c["name"]: c["samples"] for c in body["classes"]} == {"background": 2, "bass": 1}
    assert [s["name"] for s in body["skipped"]] == ["bass/broken.wav"]


def test_one_broken_project_does_not_hide_the_others(client: TestClient, tmp_path: Path) -> None:
    bad = tmp_path / "projects" / "broken"
    (bad / "samples").mkdir(parents=True)
    (bad / "earmark-project.json").write_text("{nope")
    listed = client.get("/api/projects").json()
    assert [p["id"] for p in listed["projects"]] == ["band"]
    assert listed["broken"][0]["id"] == "broken" and "cannot be read" in listed["broken"][0]["reason"]


def test_sample_urls_change_when_the_file_does(client: TestClient) -> None:
    first = client.post("/api/projects/band/classes/background/samples",
                        files=[("files", ("x.wav", wav_bytes(freq=100)))]).json()["added"][0]
    client.delete(first["audio_url"].split("?")[0].removesuffix("/audio"))
    second = client.post("/api/projects/band/classes/background/samples",
                         files=[("files", ("x.wav", wav_bytes(0.5, freq=300)))]).json()["added"][0]
    assert first["id"] == second["id"] and first["spectrogram_url"] != second["spectrogram_url"]


def test_confusion_cells_play_the_part_of_a_longer_file() -> None:
    from earmark.studio.routes.models import _cells

    project = Project.create(Path(tempfile.mkdtemp()) / "p")
    cells = _cells(project, [{"file": "background/long.wav", "start_s": 4.0, "end_s": 8.0, "true": "background",
                              "predicted": "bass", "confidence": 0.6}])
    [clip] = cells["background|bass"]
    assert clip["audio_url"].endswith("#t=4.000,8.000") and not clip["exists"]
    assert clip["spectrogram_url"].endswith("&start_s=4.000&end_s=8.000")


def test_confusion_cells_follow_a_class_renamed_since_training(client: TestClient, tmp_path: Path) -> None:
    """A model's report names classes as they were; renamed since, its clips still play (they 404'd)."""
    from earmark.studio.routes.models import _cells

    client.post("/api/projects/band/classes", json={"name": "bass"})
    [sample] = client.post("/api/projects/band/classes/bass/samples",
                           files=[("files", ("low.wav", wav_bytes(freq=80)))]).json()["added"]
    project = Project.open(tmp_path / "projects" / "band")
    report = [{"file": f"bass/{sample['id']}", "start_s": 0.0, "end_s": 1.0, "true": "bass",
               "predicted": "background", "confidence": 0.6}]
    for old_name, new_name in (("bass", "electric bass"), ("electric bass", "bass guitar")):  # a chain
        assert client.patch(f"/api/projects/band/classes/{old_name}", json={"name": new_name}).status_code == 200
        [clip] = _cells(project, report)["bass|background"]
        assert clip["class_name"] == new_name and clip["exists"], clip
        assert client.get(clip["audio_url"]).status_code == 200
        assert client.get(clip["spectrogram_url"]).status_code == 200
    # a new class takes the old name: the report's "bass" is that class now, and the clip is not in it
    client.post("/api/projects/band/classes", json={"name": "bass"})
    [clip] = _cells(project, report)["bass|background"]
    assert clip["class_name"] == "bass" and not clip["exists"]



def test_confusion_cells_follow_a_sample_moved_since_training(client: TestClient, tmp_path: Path) -> None:
    """Moved out of its cell's class (the cell's own "→ drums" button does that), a clip still plays
    from where it went, through a rename of that class and a second move too."""
    from earmark.studio.routes.models import _cells

    for name in ("bass", "drums"):
        client.post("/api/projects/band/classes", json={"name": name})
    [sample] = client.post("/api/projects/band/classes/bass/samples",
                           files=[("files", ("hit.wav", wav_bytes(freq=80)))]).json()["added"]
    # a sample of that name already in drums: the moved one becomes hit-2.wav there
    client.post("/api/projects/band/classes/drums/samples", files=[("files", ("hit.wav", wav_bytes(freq=300)))])
    project = Project.open(tmp_path / "projects" / "band")
    report = [{"file": f"bass/{sample['id']}", "start_s": 0.0, "end_s": 1.0, "true": "bass",
               "predicted": "drums", "confidence": 0.6}]
    moved = client.post(f"/api/projects/band/samples/bass/{sample['id']}/move", json={"to": "drums"}).json()
    assert moved["class_name"] == "drums" and moved["id"] != sample["id"]
    client.patch("/api/projects/band/classes/drums", json={"name": "kit"})
    [clip] = _cells(project, report)["bass|drums"]
    assert (clip["class_name"], clip["id"], clip["exists"]) == ("kit", moved["id"], True)
    assert client.get(clip["audio_url"]).status_code == 200
    client.post(f"/api/projects/band/samples/kit/{moved['id']}/move", json={"to": "background"})
    [clip] = _cells(project, report)["bass|drums"]
    assert clip["class_name"] == "background" and clip["exists"]
    client.delete(f"/api/projects/band/samples/background/{clip['id']}")  # deleted: gone, not followed to the trash
    [clip] = _cells(project, report)["bass|drums"]
    assert not clip["exists"]


def test_a_sample_picture_can_show_part_of_the_file(client: TestClient) -> None:
    [sample] = client.post("/api/projects/band/classes/background/samples",
                           files=[("files", ("x.wav", wav_bytes(6.0)))]).json()["added"]
    whole = client.get(sample["spectrogram_url"]).content
    part = client.get(sample["spectrogram_url"] + "&start_s=1&end_s=3").content
    width = int.from_bytes(whole[16:20], "big"), int.from_bytes(part[16:20], "big")  # PNG header: width
    assert width[1] < width[0] / 2.5
    assert_error(client.get(sample["spectrogram_url"] + "&start_s=9"), 400, "ParameterError", "is not inside")


def test_share_only_app_serves_the_try_page_and_nothing_of_a_project(tmp_path: Path,
                                                                   trained: tuple[TestClient, str]) -> None:
    from earmark.studio.serve import prepare_share

    c, model_id = trained
    model = tmp_path / "m.earmark"
    model.write_bytes(c.get(f"/api/projects/band/models/{model_id}/download").content)
    settings, [token] = prepare_share([model], folder=tmp_path / "share")
    settings = settings.model_copy(update={"allowed_hosts": ["testserver"]})
    with TestClient(create_app(settings, share_only=True)) as shared:
        assert shared.get(f"/try/{token}").status_code == 200
        assert shared.get(f"/api/try/{token}").json()["labels"] == ["background", "bass", "drums"]
        assert shared.post(f"/api/try/{token}/predict", files={"file": ("a.wav", wav_bytes())}).json()["label"]
        for path in ("/", "/api/projects", "/api/projects/shared", "/api/status"):
            assert shared.get(path).status_code == 404, path
        assert_error(shared.get("/"), 404, "NotFoundError", r"shares earmark models by their links only \(/try/…\); "
                                                            "open the link you were given")
        assert shared.delete("/api/projects/shared").status_code in (404, 405)


def test_a_small_zip_that_unpacks_past_the_upload_limit_is_refused_unopened(tmp_path: Path) -> None:
    """A zip bomb: 3 MB of zip holding 100 MB of zeros, under a 50 MB upload limit. It is refused
    from the zip's own directory, before a byte is unpacked."""
    with make_client(tmp_path / "p", max_upload_mb=50) as c:
        c.post("/api/projects", json={"name": "band"})
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("big.wav", "w") as member:
            for _ in range(100):
                member.write(b"\0" * (1 << 20))
        assert len(buf.getvalue()) < 3 * 1024**2
        body = c.post("/api/projects/band/classes/background/samples",
                      files=[("files", ("bomb.zip", buf.getvalue()))]).json()
        assert body["added"] == []
        [(name, reason)] = [(s["name"], s["reason"]) for s in body["skipped"]]
        assert name == "bomb.zip" and re.search(r"unpacks to 100\.0 MB, more than the limit of 50\.0 MB", reason)


def test_audio_with_absurd_sample_values_is_refused_at_upload(client: TestClient) -> None:
    """1e30 is finite, but no audio: it made training 'succeed' with a NaN loss and a model of nulls."""
    buf = io.BytesIO()
    sf.write(buf, np.full(SR, 1e30, np.float32), SR, format="WAV", subtype="FLOAT")
    body = client.post("/api/projects/band/classes/background/samples",
                       files=[("files", ("huge.wav", buf.getvalue()))]).json()
    assert body["added"] == []
    assert re.search(r"sample values reach 1e\+30, far outside audio's range of ±1", body["skipped"][0]["reason"])


@pytest.mark.parametrize("damage", ["samples is a file", "models is a file", "background is a dangling link"])
def test_a_project_whose_folders_are_damaged_is_listed_as_broken(client: TestClient, tmp_path: Path,
                                                                 damage: str) -> None:
    bad = tmp_path / "projects" / "damaged"
    bad.mkdir()
    (bad / "earmark-project.json").write_text('{"format": "earmark-project"}')
    if damage == "samples is a file":
        (bad / "samples").write_text("")
    elif damage == "models is a file":
        (bad / "samples" / "bass").mkdir(parents=True)
        (bad / "models").write_text("")
    else:
        (bad / "samples").mkdir()
        (bad / "samples" / "background").symlink_to(tmp_path / "nowhere")
    listed = client.get("/api/projects")
    assert listed.status_code == 200, listed.text
    assert [p["id"] for p in listed.json()["projects"]] == ["band"]
    [broken] = listed.json()["broken"]
    assert broken["id"] == "damaged" and re.search(r"make (them folders|it one) again", broken["reason"])
    assert_error(client.get("/api/projects/damaged"), 422, "DatasetError", r"damaged: its (samples/ or )?models/")


def test_odd_sample_ids_and_thumbnail_spans_are_client_errors(client: TestClient) -> None:
    client.post("/api/projects/band/classes/background/samples", files=[("files", ("a.wav", wav_bytes(1.0)))])
    base = "/api/projects/band/samples/background"
    assert_error(client.get(f"{base}/a.wav%00/audio"), 404, "NotFoundError", "no sample")
    assert_error(client.delete(f"{base}/a.wav%00"), 404, "NotFoundError", "no sample")
    for query in ("start_s=inf", "end_s=inf", "start_s=1e308"):
        response = client.get(f"{base}/a.wav/spectrogram.png?{query}")
        assert response.status_code == 400, (query, response.text)


def test_the_thumbnail_cache_keeps_the_most_recently_shown(client: TestClient, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import earmark.studio.routes.samples as samples

    monkeypatch.setattr(samples, "THUMB_CACHE_FILES", 3)
    client.post("/api/projects/band/classes/background/samples", files=[("files", ("a.wav", wav_bytes(1.0)))])
    base = "/api/projects/band/samples/background/a.wav/spectrogram.png"
    thumbs = tmp_path / "projects" / "band" / ".cache" / "thumbs"
    first = client.get(f"{base}?end_s=0.5").content
    for end in (0.6, 0.7):
        client.get(f"{base}?end_s={end}")
    time.sleep(0.01)
    assert client.get(f"{base}?end_s=0.5").content == first  # shown again: now the most recent
    for end in (0.8, 0.9):  # two more spans: the two least recently shown (0.6, 0.7) go
        client.get(f"{base}?end_s={end}")
    assert len(list(thumbs.iterdir())) == 3
    before = {p.name for p in thumbs.iterdir()}
    assert client.get(f"{base}?end_s=0.5").content == first
    assert {p.name for p in thumbs.iterdir()} == before, "0.5 was kept, so it was not drawn again"


def test_a_file_gone_between_check_and_use_is_a_404_not_a_500(client: TestClient, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Two requests at once on one sample (a double click): the loser finds the file gone mid-request."""
    client.post("/api/projects/band/classes/background/samples", files=[("files", ("a.wav", wav_bytes(1.0)))])
    import earmark.project

    real = earmark.project.Project.sample_path

    def vanishing(self: earmark.project.Project, class_name: str, sample_id: str, *, test: bool = False) -> Path:
        path = real(self, class_name, sample_id, test=test)
        path.unlink()  # the other request wins the race here
        return path

    monkeypatch.setattr(earmark.project.Project, "sample_path", vanishing)
    assert_error(client.delete("/api/projects/band/samples/background/a.wav"), 404, "NotFoundError",
                 "another request moved or deleted it meanwhile")


def test_a_thumbnail_drawn_while_its_project_is_deleted_does_not_make_the_project_again(
        client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page asks for thumbnails as it scrolls; one drawn while the project is deleted must not
    write its picture into a new, empty folder of the project's name (which took the name from Undo)."""
    client.post("/api/projects/band/classes/background/samples", files=[("files", ("a.wav", wav_bytes(1.0)))])
    import earmark.studio.routes.samples as samples_routes

    real = samples_routes.spectrogram_thumbnail

    def deleted_meanwhile(*args: Any, **kwargs: Any) -> bytes:
        client.app.state.studio.delete_project("band")  # type: ignore[attr-defined]
        return real(*args, **kwargs)

    monkeypatch.setattr(samples_routes, "spectrogram_thumbnail", deleted_meanwhile)
    assert_error(client.get("/api/projects/band/samples/background/a.wav/spectrogram.png"), 404, "NotFoundError",
                 "was deleted meanwhile; reload the page")
    assert not (tmp_path / "projects" / "band").exists()


def test_a_class_receiving_an_upload_is_not_deleted_or_renamed_under_it(client: TestClient) -> None:
    """The upload thread holds the class (``Studio.filling``) while it cuts and writes clips; a
    delete or rename meanwhile answers 409 instead of leaving a half-deleted class behind it."""
    assert client.post("/api/projects/band/classes", json={"name": "bass"}).status_code == 201
    studio = client.app.state.studio  # type: ignore[attr-defined]
    project = studio.project("band")
    assert client.get("/api/projects/band").json()["uploading"] == []
    with studio.filling(project, "bass"):
        # the project says which class is still filling (a page reloaded mid-upload shows it)
        assert client.get("/api/projects/band").json()["uploading"] == ["bass"]
        assert_error(client.delete("/api/projects/band/classes/bass"), 409, "ConflictError",
                     r"an upload into 'bass' is still being added; wait for it to finish, then delete it")
        assert_error(client.patch("/api/projects/band/classes/bass", json={"name": "low"}), 409, "ConflictError",
                     r"then rename it")
        assert_error(client.delete("/api/projects/band"), 409, "ConflictError", r"then delete the project")
        assert client.delete("/api/projects/band/classes/background").status_code != 409  # other classes are free
    assert client.get("/api/projects/band").json()["uploading"] == []
    assert client.patch("/api/projects/band/classes/bass", json={"name": "low"}).status_code == 200


def test_training_settings_with_a_typo_or_out_of_range_are_refused(client: TestClient) -> None:
    """``{"epoch": 5}`` used to train the default 24 epochs without a word; a learning rate of 1
    passed the schema and then failed inside training."""
    assert_error(client.post("/api/projects/band/train", json={"epoch": 5}), 400, "ParameterError",
                 r"epoch: extra inputs are not permitted")
    assert_error(client.post("/api/projects/band/train", json={"learning_rate": 1}), 400, "ParameterError",
                 r"learning_rate: input should be less than or equal to 0\.5")


def test_every_request_body_refuses_a_field_it_does_not_take(client: TestClient) -> None:
    """``{"name": "x", "foo": 1}`` made a project and dropped ``foo`` without a word, while training
    refused a typo: every body now refuses one, naming it, and makes nothing."""
    before = {p["id"] for p in client.get("/api/projects").json()["projects"]}
    assert_error(client.post("/api/projects", json={"name": "x", "foo": 1}), 400, "ParameterError",
                 r"^foo: extra inputs are not permitted")
    assert_error(client.post("/api/projects", json={"nam": "x"}), 400, "ParameterError",
                 r"name: field required; nam: extra inputs are not permitted")
    assert {p["id"] for p in client.get("/api/projects").json()["projects"]} == before
    client.post("/api/projects/band/classes", json={"name": "bass"}).raise_for_status()
    assert_error(client.patch("/api/projects/band/classes/bass", json={"name": "low", "color": "red"}), 400,
                 "ParameterError", r"color: extra inputs are not permitted")
    assert "bass" in [c["name"] for c in client.get("/api/projects/band").json()["classes"]]
    assert_error(client.post("/api/projects/band/test/evaluate", json={"model": ["m"]}), 400, "ParameterError",
                 r"model: extra inputs are not permitted")


def test_the_studio_sweeps_a_project_s_crash_leftovers_when_it_first_opens_it(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "band")
    stale = project.models_dir / ".model.earmark.k2j3.tmp"
    stale.write_bytes(b"half a model")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    with make_client(tmp_path) as c:
        assert c.get("/api/projects/band").status_code == 200
        assert not stale.exists()


def test_a_health_check_may_ask_for_the_status_with_head(client: TestClient) -> None:
    assert client.head("/api/status").status_code == 200  # was 405
    assert client.get("/api/status").json()["version"]
