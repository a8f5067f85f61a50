"""A zip whose names may read wrongly (unflagged names in a code page earmark cannot tell: Korean
Windows' cp949 reads as Chinese too) reaches the person who gave it: a ``warning:`` line from the
``earmark`` command, the zip's entry in an upload's or an import's ``warnings``; never only the
studio's own stderr."""

from __future__ import annotations

import locale
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from conftest import make_client, wav_bytes, write_dataset
from earmark.errors import EarmarkWarning, ZipNameWarning
from earmark.intake import add_files
from earmark.project import Project
from test_archive import zip_in_code_page

KOREAN = ["베이스/a.wav", "드럼/킥.wav"]
EARMARK = Path(sys.executable).with_name("earmark")


@pytest.fixture(autouse=True)
def _english_computer(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a Korean computer the names would read as Korean, without a warning."""
    monkeypatch.setattr(locale, "getlocale", lambda category=None: ("en_US", "UTF-8"))


def korean_zip(path: Path, *, with_background: bool = False) -> Path:
    members = [(name, wav_bytes(0.5, freq=110 * (k + 1))) for k, name in enumerate(KOREAN)]
    if with_background:
        members.append(("background/room.wav", wav_bytes(0.5, freq=50)))
    return zip_in_code_page(path, members, code_page="cp949")


def test_a_class_upload_names_the_zip_in_its_warnings(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "band")
    project.add_class("bass")
    archive = korean_zip(tmp_path / "tmp-upload-0001")  # where an upload's bytes wait, under another name
    with warnings.catch_warnings():
        warnings.simplefilter("error", EarmarkWarning)  # collected for the result, not issued
        result = add_files(project, "bass", [("takes.zip", archive)], one_class=False)
    [(name, message)] = [(n, m) for n, m in result.warnings]
    assert name == "takes.zip"
    assert message.startswith("its names are not marked as UTF-8") and "-mcu=on" in message, message
    assert str(archive) not in message
    assert len(result.added) == 2


def test_a_project_import_names_the_zip_in_its_warnings(tmp_path: Path) -> None:
    archive = korean_zip(tmp_path / "sounds.zip", with_background=True)
    with make_client(tmp_path / "projects") as client, warnings.catch_warnings():
        warnings.simplefilter("error", ZipNameWarning)
        response = client.post("/api/projects/import", files={"file": ("sounds.zip", archive.read_bytes())})
    assert response.status_code == 201, response.text
    said = [w for w in response.json()["warnings"] if w["name"] == "sounds.zip"]
    assert len(said) == 1 and "its names are not marked as UTF-8" in said[0]["message"], response.json()


def test_the_command_prints_one_warning_line(tmp_path: Path) -> None:
    """`earmark train` on such a zip: one ``warning:`` line naming the zip, not Python's warning lines."""
    folder = write_dataset(tmp_path / "set", per_class=5, seed=3)
    members = [(f"{'베이스' if p.parent.name == 'bass' else '드럼' if p.parent.name == 'drums' else p.parent.name}"
                f"/{p.name}", p.read_bytes()) for p in sorted(folder.rglob("*.wav"))]
    archive = zip_in_code_page(tmp_path / "set.zip", members, code_page="cp949")
    env = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([str(EARMARK), "train", str(archive), "--out", str(tmp_path / "m.earmark"),
                           "--arch", "tiny", "--epochs", "1"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "not marked as UTF-8" in line]
    assert len(lines) == 1 and lines[0].startswith(f"warning: {archive}: its names"), done.stderr
    assert "ZipNameWarning" not in done.stderr
