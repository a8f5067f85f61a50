"""A project's export zip unpacks to one folder named as the project is shown (made file-safe, as the
download is named), not its folder id; and importing it again gives the same project (in-process)."""

from __future__ import annotations

import hashlib
import re
import zipfile
from io import BytesIO
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from conftest import make_client, untrained_classifier, wav_bytes
from earmark.project import Project

#: Shown names that the file-safe name changes, or that are near a limit: each one's project folder is "a".
NAMES = ["zed", "My Band live", "café Ürün", "take (1)", "v1.2", "CON", "x" * 64, "声" * 64, "Thumbs.db"]


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    return untrained_classifier().save(tmp_path / "m.earmark")


def _shown_as(client: TestClient, name: str, model_file: Path) -> None:
    """Project 'a' (folder a) filled and renamed ``name``: two classes, samples, a test clip and a model."""
    client.post("/api/projects", json={"name": "a"}).raise_for_status()
    client.post("/api/projects/a/classes", json={"name": "bass"}).raise_for_status()
    client.post("/api/projects/a/classes/bass/samples", files=[("files", ("riff.wav", wav_bytes()))]).raise_for_status()
    client.post("/api/projects/a/classes/background/samples",
                files=[("files", ("room.wav", wav_bytes(freq=50.0)))]).raise_for_status()
    client.post("/api/projects/a/classes/bass/samples?set=test",
                files=[("files", ("t.wav", wav_bytes(freq=220.0)))]).raise_for_status()
    client.post("/api/projects/a/models/import",
                files={"file": ("first.earmark", model_file.read_bytes())}).raise_for_status()
    renamed = client.patch("/api/projects/a", json={"name": name})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["id"] == "a"


def _download_name(disposition: str) -> str:
    plain = re.search(r'filename="([^"]+)"', disposition)
    return plain.group(1) if plain else unquote(disposition.split("filename*=utf-8''", 1)[1])


def _contents(client: TestClient, project: str) -> tuple[dict[str, list[str]], dict[str, list[str]], list[str]]:
    """Each class's training samples, each class's test clips, and the digests of its models' files."""
    view = client.get(f"/api/projects/{project}").json()
    samples = {c["name"]: sorted(s["id"] for s in client.get(f"/api/projects/{project}/classes/{c['name']}/samples")
                                 .json()["samples"]) for c in view["classes"]}
    tests = {c["name"]: sorted(s["id"] for s in client.get(
        f"/api/projects/{project}/classes/{c['name']}/samples?set=test").json()["samples"]) for c in view["classes"]}
    # an imported model is named anew (its id holds when it came): its file is what must be the same
    models = sorted(hashlib.sha256(client.get(m["download_url"]).content).hexdigest() for m in view["models"])
    return samples, tests, models


@pytest.mark.parametrize("name", NAMES)
def test_the_zip_unpacks_to_the_shown_name_and_imports_again(name: str, tmp_path: Path, model_file: Path) -> None:
    """QA: the project shown as 'zed' (folder a) downloaded zed.zip, which unpacked to a/."""
    with make_client(tmp_path / "projects") as client:
        _shown_as(client, name, model_file)
        exported = client.get("/api/projects/a/export")
        assert exported.status_code == 200, exported.text
        download = _download_name(exported.headers["content-disposition"])
        with zipfile.ZipFile(BytesIO(exported.content)) as archive:
            tops = {n.split("/", 1)[0] for n in archive.namelist()}
        stem = download.removesuffix(".zip")
        # the one top folder is the download's name (a name every import would leave out gets a "_")
        assert tops == {f"{stem}_" if stem == "Thumbs.db" else stem}, (download, tops)
        assert "a" not in tops or name == "a"

        before = _contents(client, "a")
        beside = client.post("/api/projects/import", files={"file": (download, exported.content)})
        if len(stem) < 63:  # imported beside itself: named "<name>-2" (see the test below for a 64-character name)
            assert beside.status_code == 201, beside.text
            assert _contents(client, beside.json()["id"]) == before
    # on another machine: the zip as downloaded, as a browser saves a second download of it
    # ("zed (1).zip"), and renamed to something longer than a project name may be
    for k, zip_name in enumerate((download, f"{stem} (1).zip", f"(1) {'y' * 80}.zip")):
        with make_client(tmp_path / f"elsewhere-{k}") as other:
            imported = other.post("/api/projects/import", files={"file": (zip_name, exported.content)})
            assert imported.status_code == 201, imported.text
            body = imported.json()
            assert body["skipped"] == [] and body["warnings"] == []
            assert _contents(other, body["id"]) == before, zip_name


def test_a_64_character_project_imported_beside_itself(tmp_path: Path, model_file: Path) -> None:
    with make_client(tmp_path / "projects") as client:
        _shown_as(client, "x" * 64, model_file)
        exported = client.get("/api/projects/a/export")
        download = _download_name(exported.headers["content-disposition"])
        beside = client.post("/api/projects/import", files={"file": (download, exported.content)})
        assert beside.status_code == 201, beside.text


def test_the_library_names_the_top_folder_as_the_project_is_shown(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "a", name="zed")
    out = project.export_zip(tmp_path / "whatever.zip")
    with zipfile.ZipFile(out) as archive:
        assert {n.split("/", 1)[0] for n in archive.namelist()} == {"zed"}
        assert "zed/earmark-project.json" in archive.namelist()
