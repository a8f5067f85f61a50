"""A broken install (the studio's own pages missing from the package): the page says to reinstall
earmark with a 500, not that another request moved or deleted a file; and ``earmark studio`` refuses
to start. The installed package is left alone: the studio is pointed at a copy of its static folder."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import earmark.studio.app as studio_app
from conftest import assert_error, make_client
from earmark.cli import main
from earmark.errors import InstallError
from earmark.studio import StudioSettings, create_app
from earmark.studio.serve import prepare, serve

REINSTALL = r"reinstall earmark: pip install --force-reinstall --no-deps earmark, then start earmark studio again$"


@pytest.fixture
def static(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the studio's static folder that the app serves instead of the installed one."""
    copy = shutil.copytree(studio_app.static_dir(), tmp_path / "static")
    monkeypatch.setattr(studio_app, "static_dir", lambda: copy)
    return copy


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port in use: a serve() that did not refuse at once fails on it, rather than serving for ever."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def test_a_missing_page_says_to_reinstall_earmark(static: Path, tmp_path: Path) -> None:
    """QA: with static/index.html gone, / answered 404 "another request moved or deleted it meanwhile"."""
    (static / "index.html").unlink()
    with make_client(tmp_path / "projects") as client:
        page = client.get("/")
        assert_error(page, 500, "InstallError", rf"^earmark studio's own files are missing: {static / 'index.html'} "
                     r"is not there \(the install of earmark is broken, or was changed while the studio ran; your "
                     rf"projects are untouched\); {REINSTALL}")
        assert "meanwhile" not in page.text
        assert client.head("/").status_code == 500
        assert client.get("/try/some-token").status_code == 200  # what is there is still served
        (static / "try.html").unlink()
        assert_error(client.get("/try/some-token"), 500, "InstallError", rf"{static / 'try.html'} is not there")


def test_a_missing_static_folder_is_named_when_the_app_is_built(static: Path, tmp_path: Path) -> None:
    shutil.rmtree(static)
    with pytest.raises(InstallError, match=rf"^earmark studio's own files are missing: {static} is not there.*"
                                           rf"{REINSTALL}"):
        create_app(StudioSettings(projects_root=tmp_path / "projects"))


def test_earmark_studio_refuses_to_start_without_its_page(static: Path, tmp_path: Path, taken_port: int,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (static / "index.html").unlink()
    monkeypatch.setenv("EARMARK_HOME", str(tmp_path / "home"))
    done = CliRunner().invoke(main, ["studio", "--no-browser", "--port", str(taken_port)])
    assert done.exit_code == 1, done.output
    assert done.stderr.startswith(f"Error: earmark studio's own files are missing: {static / 'index.html'} is not")
    assert done.stderr.rstrip("\n").endswith("then start earmark studio again")
    assert "http://" not in done.stdout  # no address printed for a server that never started
    assert not (tmp_path / "home").exists(), "no demo project is made for a studio that does not start"
    # as a library: the same refusal from prepare() and serve()
    with pytest.raises(InstallError, match="index.html is not there"):
        prepare(tmp_path / "gig", echo=lambda _: None)
    with pytest.raises(InstallError, match="index.html is not there"):
        serve(StudioSettings(projects_root=tmp_path / "projects"), port=taken_port, open_browser=False,
              echo=lambda _: None)


def test_earmark_share_needs_only_the_try_page(static: Path, tmp_path: Path, taken_port: int) -> None:
    (static / "index.html").unlink()
    settings = StudioSettings(projects_root=tmp_path / "projects", allowed_hosts=["testserver"])
    with TestClient(create_app(settings, share_only=True)) as client:  # what earmark share serves is there
        assert client.get("/try/some-token").status_code == 200
    (static / "try.html").unlink()
    with pytest.raises(InstallError, match="try.html is not there"):
        serve(settings, port=taken_port, open_browser=False, echo=lambda _: None, share_tokens=["x"])
