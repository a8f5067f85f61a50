"""``earmark studio`` where its folder cannot be made, and the links ``earmark share`` prints for several models."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import read_only_mount


def earmark(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"EARMARK_HOME": str(home)} if home is not None else {})}
    return subprocess.run([sys.executable, "-m", "earmark.cli", *args], capture_output=True, text=True, timeout=60,
                          env=env)


def assert_one_error_line(done: subprocess.CompletedProcess[str], pattern: str) -> None:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert re.fullmatch(f"Error: {pattern}\n", done.stderr), done.stderr


def test_earmark_studio_with_earmark_home_a_file_says_so_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    done = earmark("studio", "--no-browser", "--port", "0", home=tmp_path / "f")
    assert_one_error_line(done, rf"\$EARMARK_HOME \({re.escape(str(tmp_path / 'f'))}\) is a file; set EARMARK_HOME "
                                r"to a folder you can write to, or open a project folder: earmark studio FOLDER")


@pytest.mark.parametrize("where", ["home", "project-dir"])
def test_earmark_studio_under_a_file_names_the_file_in_the_way(tmp_path: Path, where: str) -> None:
    (tmp_path / "f").write_text("x")
    if where == "home":
        done = earmark("studio", "--no-browser", home=tmp_path / "f" / "projects")
        what = r"the projects folder .*projects \(\$EARMARK_HOME\)"
        fix = "set EARMARK_HOME to a folder you can write to"
    else:
        done = earmark("studio", str(tmp_path / "f" / "gig"), "--no-browser", home=tmp_path / "home")
        what, fix = r"the project folder .*gig", "give a folder you can write to"
    assert_one_error_line(done, rf"cannot create {what}: {re.escape(str(tmp_path / 'f'))} is a file, not a folder; "
                                rf"{fix}.*")


@pytest.mark.parametrize("where", ["home", "demo", "project-dir"])
def test_earmark_studio_in_a_folder_it_cannot_write_says_so_and_leaves_nothing(tmp_path: Path, where: str) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    with read_only_mount(locked):
        if where == "project-dir":
            done = earmark("studio", str(locked / "gig"), "--no-browser", home=tmp_path / "home")
        else:
            done = earmark("studio", "--no-browser", home=locked / "projects" if where == "home" else locked)
        assert_one_error_line(done, r"cannot create .*: (Permission denied|Read-only file system); make the folder "
                                    r"writable \(its permissions, or a disk mounted read-only\), or "
                                    r"(set EARMARK_HOME|give a folder) .*")
        assert list(locked.iterdir()) == []


def test_earmark_share_names_each_models_file_and_shares_a_file_given_twice_once(
        tmp_path: Path, trained_classifier) -> None:  # type: ignore[no-untyped-def]
    first = trained_classifier.save(tmp_path / "first.earmark")
    second = trained_classifier.save(tmp_path / "second.earmark")
    args = ["share", str(first), str(second), str(first), "--no-browser"]
    proc = subprocess.Popen([sys.executable, "-m", "earmark.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while sum("/try/" in line for line in lines) < 2 and time.monotonic() < deadline:
            lines.append(proc.stdout.readline())
    finally:
        proc.terminate()
        rest, _ = proc.communicate(timeout=20)
    said = "".join(lines) + rest
    links = re.findall(r"earmark share: http://\S+/try/[0-9a-f]{16}  \((.*?); only the try page", said)
    assert links == [f"{first}: {', '.join(trained_classifier.labels)}",
                     f"{second}: {', '.join(trained_classifier.labels)}"], said
    assert re.search(rf"{re.escape(str(first))} is given twice; it is shared once", said), said
