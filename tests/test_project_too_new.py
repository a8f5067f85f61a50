"""A project file written by a newer earmark (a higher ``format_version``) is refused, as a model file
from a newer earmark is: opened, listed by the studio, or changed, it says to upgrade earmark, and
the file is never rewritten (this earmark would drop or misread what the newer one keeps)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import assert_error, make_client
from earmark.errors import DatasetError
from earmark.project import Project
from earmark.projectfile import PROJECT_FILE, ClassChange, ProjectFile

UPGRADE = r"was made by a newer earmark \(project format 99; this earmark .* reads format 1\); upgrade earmark " \
          r"with 'pip install -U earmark'"


def _newer(root: Path) -> bytes:
    """Make ``root`` a project whose file a newer earmark wrote; its bytes, to check they stay."""
    Project.create(root, name=root.name).add_class("drums")
    meta = json.loads((root / PROJECT_FILE).read_text())
    meta.update(format_version=99, renamed_classes={"bass": "low end"}, sections={"verse": [1, 2]})
    data = json.dumps(meta, indent=2).encode()
    (root / PROJECT_FILE).write_bytes(data)
    return data


def test_a_project_from_a_newer_earmark_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    root = tmp_path / "band"
    data = _newer(root)
    with pytest.raises(DatasetError, match=re.escape(str(root / PROJECT_FILE)) + ": " + UPGRADE):
        Project.open(root)
    with pytest.raises(DatasetError, match=UPGRADE):
        Project.adopt(root)
    assert (root / PROJECT_FILE).read_bytes() == data
    meta = json.loads(data)
    for version in (1, "1", 0):  # this format, or an older one, opens
        (root / PROJECT_FILE).write_text(json.dumps({**meta, "format_version": version}))
        assert Project.open(root).name == "band"
    del meta["format_version"]
    (root / PROJECT_FILE).write_text(json.dumps(meta))
    assert Project.open(root).name == "band", "none: format 1"


def test_a_project_file_from_a_newer_earmark_is_not_changed_by_one_opened_before(tmp_path: Path) -> None:
    """A project this earmark opened, whose file a newer earmark has written since: its changes are refused."""
    root = tmp_path / "band"
    data = _newer(root)
    project = Project(root, "band")
    file = ProjectFile(root / PROJECT_FILE)
    with pytest.raises(DatasetError, match=UPGRADE):
        file.remember("renamed_classes", "drums", "kit")
    with pytest.raises(DatasetError, match=UPGRADE):
        file.log(ClassChange("deleted", "drums", "2026-01-02T00:00:00+00:00", trash="t1"))
    with pytest.raises(DatasetError, match=UPGRADE):
        project.set_name("other")
    assert (root / PROJECT_FILE).read_bytes() == data


@pytest.mark.parametrize("version", ["two", 1.5, True, None, [1]])
def test_a_project_file_whose_format_version_cannot_be_read_is_refused(tmp_path: Path, version: object) -> None:
    root = tmp_path / "band"
    Project.create(root, name="band")
    meta = json.loads((root / PROJECT_FILE).read_text())
    (root / PROJECT_FILE).write_text(json.dumps({**meta, "format_version": version}))
    with pytest.raises(DatasetError, match=r"has an unreadable format_version .*; fix it, or upgrade earmark"):
        Project.open(root)


def test_the_studio_lists_a_project_from_a_newer_earmark_as_broken_and_changes_nothing(tmp_path: Path) -> None:
    projects = tmp_path / "projects"
    data = _newer(projects / "newer")
    with make_client(projects) as client:
        client.post("/api/projects", json={"name": "band"}).raise_for_status()
        listed = client.get("/api/projects").json()
        assert [p["id"] for p in listed["projects"]] == ["band"]
        [broken] = listed["broken"]
        assert broken["id"] == "newer" and re.search(UPGRADE, broken["reason"])
        assert str(projects / "newer" / PROJECT_FILE) in broken["reason"]
        assert_error(client.get("/api/projects/newer"), 422, "DatasetError", UPGRADE)
        assert_error(client.patch("/api/projects/newer", json={"name": "renamed"}), 422, "DatasetError", UPGRADE)
        assert_error(client.patch("/api/projects/newer/classes/drums", json={"name": "kit"}), 422,
                     "DatasetError", UPGRADE)
    assert (projects / "newer" / PROJECT_FILE).read_bytes() == data
