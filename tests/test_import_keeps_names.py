"""An exported project imported again keeps what it was called: its models' names (their ids, in
links) and its own name, which its zip keeps; the web page's zip unpacks to a folder of its own name
(in-process)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import make_client, untrained_classifier, wav_bytes
from earmark.importer import fill_from_folder
from earmark.project import Project

STAMPED = r"-\d{8}-\d{6}(-\d+)?"


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    return untrained_classifier().save(tmp_path / "m.earmark")


@pytest.fixture
def client(tmp_path: Path, model_file: Path) -> Iterator[TestClient]:
    """Project "my band" (folder band): a bass sample, a model renamed 'library-trained' and one
    named as the studio names them (model-<when>)."""
    with make_client(tmp_path / "projects") as client:
        client.post("/api/projects", json={"name": "band"}).raise_for_status()
        client.patch("/api/projects/band", json={"name": "my band"}).raise_for_status()
        client.post("/api/projects/band/classes", json={"name": "bass"}).raise_for_status()
        client.post("/api/projects/band/classes/bass/samples", files=[("files", ("a.wav", wav_bytes()))]) \
            .raise_for_status()
        for name in ("first.earmark", "model.earmark"):
            client.post("/api/projects/band/models/import",
                        files={"file": (name, model_file.read_bytes())}).raise_for_status()
        [first] = [m["id"] for m in client.get("/api/projects/band").json()["models"] if m["id"].startswith("first")]
        client.patch(f"/api/projects/band/models/{first}", json={"name": "library-trained"}).raise_for_status()
        yield client


def _model_ids(client: TestClient, project: str) -> list[str]:
    return sorted(m["id"] for m in client.get(f"/api/projects/{project}").json()["models"])


def test_an_exported_project_imports_with_its_models_names(client: TestClient, tmp_path: Path,
                                                            model_file: Path) -> None:
    """Review: 'library-trained' came back as 'library-trained-20261129-064623', and model-…602 as model-…617."""
    before = _model_ids(client, "band")
    assert before[0] == "library-trained" and re.fullmatch(f"model{STAMPED}", before[1]), before
    exported = client.get("/api/projects/band/export").content
    beside = client.post("/api/projects/import", files={"file": ("export.zip", exported)})
    assert beside.status_code == 201, beside.text
    assert beside.json()["skipped"] == [] and _model_ids(client, beside.json()["id"]) == before
    with make_client(tmp_path / "elsewhere") as other:  # on another machine, and round and round
        again = other.post("/api/projects/import", files={"file": ("export.zip", exported)}).json()
        twice = other.post("/api/projects/import", files={"file": ("export.zip", other.get(
            f"/api/projects/{again['id']}/export").content)}).json()
        assert _model_ids(other, again["id"]) == _model_ids(other, twice["id"]) == before
    # one model file imported on its own (the Keep tab) is named anew, when it came, as before
    kept = client.post("/api/projects/band/models/import",
                       files={"file": ("library-trained.earmark", model_file.read_bytes())})
    assert re.fullmatch(f"library-trained{STAMPED}", kept.json()["id"]), kept.text


def test_a_model_name_the_project_has_already_gets_a_free_one(tmp_path: Path, model_file: Path) -> None:
    source = Project.create(tmp_path / "source")
    source.import_model(model_file, name="library-trained", stamp=False)
    target = Project.create(tmp_path / "target")
    target.import_model(model_file, name="Library-Trained", stamp=False)
    result = fill_from_folder(target, source.root)
    assert result.skipped == []
    assert sorted(m.id for m in target.models()) == ["Library-Trained", "library-trained-2"]


def test_an_exported_project_is_named_as_it_was_not_after_its_zip(client: TestClient, tmp_path: Path) -> None:
    """Review: export.zip of project "my band" became a project called "export"."""
    exported = client.get("/api/projects/band/export").content
    with make_client(tmp_path / "elsewhere") as other:
        first = other.post("/api/projects/import", files={"file": ("export.zip", exported)}).json()
        assert (first["id"], first["name"]) == ("my band", "my band")
    beside = client.post("/api/projects/import", files={"file": ("export (1).zip", exported)}).json()
    assert beside["name"] == "my band-2", "a name taken gets a free one, as any import's"
    named = client.post("/api/projects/import", files={"file": ("export.zip", exported)}, data={"name": "gig"}).json()
    assert named["name"] == "gig", "a name given goes first"
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("sounds/bass/take.wav", wav_bytes(0.5))
    folders = client.post("/api/projects/import", files={"file": ("field notes.zip", plain.getvalue())}).json()
    assert folders["name"] == "field notes", "a folder per class is named after its zip"
    unusable = io.BytesIO()  # a project file edited by hand to hold no name a project may have
    with zipfile.ZipFile(io.BytesIO(exported)) as source, zipfile.ZipFile(unusable, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            archive.writestr(info, data.replace(b'"my band"', b'"../up"') if info.filename.endswith(".json") else data)
    assert client.post("/api/projects/import", files={"file": ("export.zip", unusable.getvalue())}).json()["name"] \
        == "export"


def test_the_web_page_zip_unpacks_to_a_folder_named_as_it_is(client: TestClient) -> None:
    """Review: my band-library-trained-web.zip unpacked to my-band-library-trained-web/."""
    response = client.get("/api/projects/band/models/library-trained/web")
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition == "attachment; filename*=utf-8''my%20band-library-trained-web.zip", disposition
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert {n.split("/", 1)[0] for n in archive.namelist()} == {"my band-library-trained-web"}
