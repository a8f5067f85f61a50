"""One studio per projects folder: a second ``earmark studio`` on a folder a live studio serves refuses to
start, naming the one to open. Two studios on one folder each knew only their own uploads: a class renamed
in one while the other uploaded 20 files into it answered 404 with 10 files landed (QA). A studio killed
outright never blocks the next start; ``earmark share`` and the in-process app are not concerned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_client
from earmark.project import Project
from earmark.studio.serve import STUDIO_FILE
from test_leftovers_and_signals import start, status, stop

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock: POSIX")


@pytest.fixture(autouse=True)
def projects(tmp_path: Path) -> None:
    """A project in each projects folder: no demo project is made (quicker starts)."""
    for home in ("home", "other"):
        Project.create(tmp_path / home / "band")


def earmark(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "earmark.cli", *args], capture_output=True, text=True,
                          timeout=90, env=env)


def test_a_second_studio_on_the_same_projects_folder_says_which_one_to_open(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "EARMARK_HOME": str(home)}
    first, link = start(["studio", "--no-browser"], env=env)
    try:
        refusal = f"Error: another earmark studio (pid {first.pid}, at {link.group(1)}) is serving {home.resolve()}; " \
                  "open that one, or stop it first\n"
        again = earmark("studio", "--no-browser", env=env)
        assert (again.returncode, again.stderr, again.stdout) == (1, refusal, "")
        # a project folder in it is served by it too: refused before anything is made
        beside = earmark("studio", str(home / "gig"), "--no-browser", env=env)
        assert (beside.returncode, beside.stderr) == (1, refusal)
        assert not (home / "gig").exists()
        assert status(link.group(1))["projects_root"] == str(home), "the first one serves on"
    finally:
        stop(first)
    assert not (home / STUDIO_FILE).exists(), "a studio that stops takes its file with it"
    after, _ = start(["studio", "--no-browser"], env=env)
    stop(after)


def test_a_studio_killed_outright_does_not_block_the_next_start(tmp_path: Path) -> None:
    env = {**os.environ, "EARMARK_HOME": str(tmp_path / "home")}
    killed, _ = start(["studio", "--no-browser"], env=env)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=30)
    assert str(killed.pid) in (tmp_path / "home" / STUDIO_FILE).read_text(), "SIGKILL: left, but no longer held"
    again, link = start(["studio", "--no-browser"], env=env)
    try:
        assert f'"url": "{link.group(1)}"' in (tmp_path / "home" / STUDIO_FILE).read_text(), "held by the new one"
        assert status(link.group(1))["projects_root"] == str(tmp_path / "home"), "and it serves"
    finally:
        stop(again)


def test_studios_on_other_folders_and_the_in_process_app_are_not_concerned(tmp_path: Path) -> None:
    env = {**os.environ, "EARMARK_HOME": str(tmp_path / "home")}
    first, _ = start(["studio", "--no-browser"], env=env)
    try:
        other, _ = start(["studio", "--no-browser"], env={**env, "EARMARK_HOME": str(tmp_path / "other")})
        stop(other)
        with make_client(tmp_path / "home") as one, make_client(tmp_path / "home") as two:  # tests, scripts
            assert one.get("/api/projects").status_code == two.get("/api/projects").status_code == 200
    finally:
        stop(first)
