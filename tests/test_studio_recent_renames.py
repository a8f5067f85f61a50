"""A project's view carries its latest class renames, so a page follows the class it shows through a
rename made in another tab."""

from __future__ import annotations

from pathlib import Path

from conftest import make_client
from earmark.project import Project
from earmark.studio.routes.projects import RECENT_RENAMES


def test_a_project_view_lists_its_latest_class_renames_in_order(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "projects" / "band")
    project.add_class("bass")
    with make_client(tmp_path / "projects") as client:
        assert client.get("/api/projects/band").json()["recent_renames"] == []
        for old, new in [("bass", "guitar"), ("guitar", "lead guitar")]:
            client.patch(f"/api/projects/band/classes/{old}", json={"name": new}).raise_for_status()
        renames = client.get("/api/projects/band").json()["recent_renames"]
        assert [(r["from"], r["to"]) for r in renames] == [("bass", "guitar"), ("guitar", "lead guitar")]
        assert renames[0]["at"] <= renames[1]["at"]
        for n in range(RECENT_RENAMES + 5):  # only the latest are carried
            client.patch(f"/api/projects/band/classes/c{n}" if n else "/api/projects/band/classes/lead guitar",
                         json={"name": f"c{n + 1}"}).raise_for_status()
        renames = client.get("/api/projects/band").json()["recent_renames"]
    assert len(renames) == RECENT_RENAMES
    assert renames[-1]["to"] == f"c{RECENT_RENAMES + 5}"
