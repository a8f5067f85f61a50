"""The built-in demo set copied into a project (earmark.studio.state.fill_with_demo)."""

from __future__ import annotations

from pathlib import Path

from earmark.demo import demo_data_dir
from earmark.naming import name_key
from earmark.project import Project
from earmark.studio.state import fill_with_demo


def test_the_demo_set_never_lands_beside_a_file_of_the_same_name_in_another_case(tmp_path: Path) -> None:
    """``BASS_000.ogg`` and ``bass_000.ogg`` would be one file on macOS and Windows (and in a copy of
    the project unpacked there): the demo's file is kept under a free name instead."""
    project = Project.create(tmp_path / "band")
    first = sorted((demo_data_dir() / "train" / "bass").iterdir())[0]
    mine = project.samples_dir / "bass" / first.name.upper()
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"the user's own")
    fill_with_demo(project)
    names = [p.name for p in (project.samples_dir / "bass").iterdir()]
    assert len({name_key(n) for n in names}) == len(names), sorted(names)
    assert mine.read_bytes() == b"the user's own"
    assert f"{first.stem}-2{first.suffix}" in names
    assert len(names) == len(list((demo_data_dir() / "train" / "bass").iterdir())) + 1
