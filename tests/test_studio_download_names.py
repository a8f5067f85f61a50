"""The studio's downloads are named after the project as it is shown, not its folder (in-process)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import make_client, untrained_classifier


@pytest.fixture
def renamed(tmp_path: Path) -> Iterator[TestClient]:
    """Project 'a' renamed 'zed' (its folder stays 'a'), then a new 'a' (folder 'a-2'); a model in each."""
    model = untrained_classifier().save(tmp_path / "m.earmark")
    with make_client(tmp_path / "projects") as client:
        client.post("/api/projects", json={"name": "a"}).raise_for_status()
        client.patch("/api/projects/a", json={"name": "zed"}).raise_for_status()
        made = client.post("/api/projects", json={"name": "a"}).json()
        assert (made["id"], made["name"]) == ("a-2", "a")
        for folder in ("a", "a-2"):
            client.post(f"/api/projects/{folder}/models/import",
                        files={"file": ("first.earmark", model.read_bytes())}).raise_for_status()
        yield client


def _named(client: TestClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.headers["content-disposition"]


def _model_id(client: TestClient, folder: str) -> str:
    [model] = client.get(f"/api/projects/{folder}").json()["models"]
    return str(model["id"])


def test_a_project_downloads_under_the_name_it_is_shown_by(renamed: TestClient) -> None:
    """QA: the project shown as 'a' downloaded as a-2.zip, and the one shown as 'zed' as a.zip."""
    assert _named(renamed, "/api/projects/a-2/export") == 'attachment; filename="a.zip"'
    assert _named(renamed, "/api/projects/a/export") == 'attachment; filename="zed.zip"'


def test_a_models_downloads_are_named_after_the_project_as_shown(renamed: TestClient) -> None:
    """Model files, ONNX and web page were '<folder>-<model>': a-first.earmark for the project shown as 'zed'."""
    for folder, shown in (("a", "zed"), ("a-2", "a")):
        model_id = _model_id(renamed, folder)
        base = f"/api/projects/{folder}/models/{model_id}"
        assert _named(renamed, f"{base}/download") == f'attachment; filename="{shown}-{model_id}.earmark"'
        assert _named(renamed, f"{base}/onnx") == f'attachment; filename="{shown}-{model_id}.onnx"'
    model_id = _model_id(renamed, "a")
    assert _named(renamed, f"/api/projects/a/models/{model_id}/web") == \
        f'attachment; filename="zed-{model_id}-web.zip"'


@pytest.mark.parametrize(("shown", "saved"), [("v1.2.", "v1.2"), ("CON", "CON_")])
def test_a_shown_name_is_made_safe_to_save_under(shown: str, saved: str, renamed: TestClient) -> None:
    """A name Windows will not save a file under (a trailing dot, a device's name) is made file-safe; a dot
    inside it stays, and with the model's name after it the name is safe as it is."""
    renamed.patch("/api/projects/a", json={"name": shown}).raise_for_status()
    assert _named(renamed, "/api/projects/a/export") == f'attachment; filename="{saved}.zip"'
    model_id = _model_id(renamed, "a")
    assert _named(renamed, f"/api/projects/a/models/{model_id}/download") == \
        f'attachment; filename="{shown}-{model_id}.earmark"'


def test_the_web_page_a_visitor_opens_is_titled_with_the_models_name(renamed: TestClient) -> None:
    """QA: the page (its title and model.json) showed the owner's project name to every visitor."""
    model_id = _model_id(renamed, "a")
    data = renamed.get(f"/api/projects/a/models/{model_id}/web").content
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (info,) = [n for n in archive.namelist() if n.endswith("/model.json")]
        assert json.loads(archive.read(info))["name"] == model_id  # the page's title and heading come from it
