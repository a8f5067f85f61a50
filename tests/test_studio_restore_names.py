"""A deleted project put back from the trash: its folder and the name it is shown under, each kept
when free and numbered on its own when taken since (the studio's JSON API, in-process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import make_client


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path / "projects") as c:
        yield c


def listed(client: TestClient) -> list[tuple[str, str]]:
    return sorted((p["id"], p["name"]) for p in client.get("/api/projects").json()["projects"])


def delete_then_restore(client: TestClient, project_id: str, *, meanwhile: str) -> dict[str, object]:
    undo = client.delete(f"/api/projects/{project_id}").json()["undo"]
    assert client.post("/api/projects", json={"name": meanwhile}).status_code == 201
    back = client.post(f"/api/trash/{undo}/restore")
    assert back.status_code == 200, back.text
    return dict(back.json())


def test_a_restored_project_keeps_its_folder_and_shown_name_when_both_are_free(client: TestClient) -> None:
    client.post("/api/projects", json={"name": "band"})
    client.patch("/api/projects/band", json={"name": "My Band, live"})
    back = delete_then_restore(client, "band", meanwhile="other")
    assert (back["id"], back["name"]) == ("band", "My Band, live")
    assert listed(client) == [("band", "My Band, live"), ("other", "other")]


def test_a_restored_project_whose_shown_name_was_taken_since_is_numbered(client: TestClient) -> None:
    """QA: 'a' renamed 'zed', deleted, a new 'zed' made: the restore showed two projects as 'zed'."""
    client.post("/api/projects", json={"name": "a"})
    client.patch("/api/projects/a", json={"name": "zed"})
    back = delete_then_restore(client, "a", meanwhile="zed")
    assert (back["id"], back["name"]) == ("a", "zed-2")
    assert listed(client) == [("a", "zed-2"), ("zed", "zed")]
    assert client.patch("/api/projects/a", json={"name": "zed"}).status_code == 409, "the two stay apart"


def test_a_restored_project_whose_folder_was_taken_since_keeps_its_shown_name(client: TestClient) -> None:
    """QA: folder 'band' shown as "My Band, live", deleted, a new 'band' made: restored as 'band-2'."""
    client.post("/api/projects", json={"name": "band"})
    client.patch("/api/projects/band", json={"name": "My Band, live"})
    back = delete_then_restore(client, "band", meanwhile="band")
    assert (back["id"], back["name"]) == ("band-2", "My Band, live")
    assert listed(client) == [("band", "band"), ("band-2", "My Band, live")]


def test_a_project_is_made_when_the_projects_folder_was_removed_meanwhile(client: TestClient,
                                                                          tmp_path: Path) -> None:
    (tmp_path / "projects").rmdir()
    made = client.post("/api/projects", json={"name": "band"})
    assert made.status_code == 201, made.text
    assert listed(client) == [("band", "band")]
