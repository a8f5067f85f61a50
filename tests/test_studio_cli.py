"""``earmark studio``: the project folder it opens, and a real server answering on a real port."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import write_dataset
from earmark.errors import ParameterError
from earmark.project import PROJECT_FILE
from earmark.studio.serve import prepare


def test_a_first_start_makes_a_ready_demo_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARMARK_HOME", str(tmp_path / "home"))
    said: list[str] = []
    settings = prepare(None, echo=said.append)
    assert settings.projects_root == tmp_path / "home" and settings.project == "demo"
    assert {p.name for p in (tmp_path / "home" / "demo" / "samples").iterdir()} == {"background", "bass", "drums"}
    assert "created the demo project" in said[0]
    again = prepare(None, echo=said.append)
    assert again.project is None and len(said) == 1, "the demo project is made once"


def test_a_project_dir_is_opened_or_created(tmp_path: Path) -> None:
    settings = prepare(tmp_path / "gig", echo=lambda _: None)
    assert (settings.projects_root, settings.project) == (tmp_path, "gig")
    assert (tmp_path / "gig" / PROJECT_FILE).exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ParameterError, match="is a file"):
        prepare(tmp_path / "file", echo=lambda _: None)
    write_dataset(tmp_path / "my sounds", per_class=1, seed=0)  # a folder per class: left as it is
    with pytest.raises(ParameterError, match=r"holds audio but is not an earmark project .*zip it and use Import "
                                             r"zip.*earmark train '.*my sounds' --out model\.earmark$"):
        prepare(tmp_path / "my sounds", echo=lambda _: None)
    assert not (tmp_path / "my sounds" / PROJECT_FILE).exists()
    with pytest.raises(ParameterError, match=r"holds earmark projects \(gig\); open one: earmark studio .*gig$"):
        prepare(tmp_path, echo=lambda _: None)
    with pytest.raises(ParameterError, match=r"is part of the project .*gig; open the project: earmark studio"):
        prepare(tmp_path / "gig" / "samples", echo=lambda _: None)


@contextlib.contextmanager
def running(args: list[str], pattern: str, **popen: Any) -> Iterator[re.Match[str]]:
    """Run ``earmark ARGS`` until the block ends; yields the match of ``pattern`` in what it prints."""
    proc = subprocess.Popen([sys.executable, "-m", "earmark.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **popen)
    try:
        assert proc.stdout is not None
        found = None
        deadline = time.monotonic() + 60
        while found is None and time.monotonic() < deadline:
            found = re.search(pattern, proc.stdout.readline())
        assert found, f"earmark {args[0]} printed no line matching {pattern}"
        yield found
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def get_json(url: str) -> Any:
    """GET a JSON answer, waiting (up to 10 s) for the server to start listening."""
    for _ in range(100):
        try:
            return json.load(urllib.request.urlopen(url, timeout=5))
        except urllib.error.HTTPError:
            raise
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"no answer from {url}")


def test_earmark_studio_serves_the_page_and_the_api(tmp_path: Path) -> None:
    env = {**os.environ, "EARMARK_HOME": str(tmp_path / "home")}
    with running(["studio", str(tmp_path / "gig"), "--no-browser"], r"(http://127\.0\.0\.1:\d+/)", env=env) as found:
        url = found.group(1)
        status = get_json(url + "api/status")
        assert status["current"] == "gig" and status["projects_root"] == str(tmp_path)
        page = urllib.request.urlopen(url, timeout=5).read().decode()
        assert "<html" in page.lower()


def test_earmark_share_serves_only_the_try_page(tmp_path: Path, trained_classifier) -> None:  # type: ignore[no-untyped-def]
    model = trained_classifier.save(tmp_path / "sounds.earmark")
    with running(["share", str(model), "--no-browser"], r"(http://127\.0\.0\.1:\d+/)try/([0-9a-f]{16})") as link:
        base, token = link.group(1), link.group(2)
        shared = get_json(f"{base}api/try/{token}")
        assert shared["labels"] == trained_classifier.labels
        assert shared["name"] == "sounds", "the page calls the model what its file is called"
        assert "<html" in urllib.request.urlopen(f"{base}try/{token}", timeout=5).read().decode().lower()
        for path in ("", "api/projects", "api/status"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + path, timeout=5)
            assert refused.value.code == 404


def test_earmark_share_refuses_a_file_that_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "x.earmark").write_bytes(b"nope")
    done = subprocess.run([sys.executable, "-m", "earmark.cli", "share", str(tmp_path / "x.earmark"), "--no-browser"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.startswith("Error: ") and "Traceback" not in done.stderr


def test_two_studios_started_at_once_cannot_both_have_the_port() -> None:
    from earmark.errors import ConflictError
    from earmark.studio.serve import listen

    first = listen("127.0.0.1", 0)  # neither is served yet: both only bound, as two starting studios are
    try:
        port = first.getsockname()[1]
        with pytest.raises(ConflictError, match=f"port {port} is in use"):
            listen("127.0.0.1", port).close()
    finally:
        first.close()
    listen("127.0.0.1", port).close()  # free again once the first is closed


def test_earmark_studio_on_a_port_in_use_says_so_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "EARMARK_HOME": str(tmp_path / "home")}
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["studio", str(tmp_path / "gig"), "--port", str(port), "--no-browser"]
        done = subprocess.run([sys.executable, "-m", "earmark.cli", *args], capture_output=True, text=True,
                              timeout=60, env=env)
    assert done.returncode == 1, done
    assert done.stderr == (f"Error: port {port} is in use (another earmark studio?); pick another with --port, "
                           "or --port 0 for any free port\n")
    assert "http://" not in done.stdout  # no address printed for a server that never started


@pytest.mark.parametrize("folder", [None, "gig"], ids=["demo", "project-dir"])
def test_earmark_studio_on_a_port_in_use_makes_no_project(tmp_path: Path, folder: str | None) -> None:
    """The port is checked first: it said "created the demo project … in …/demo", then that the port
    was in use, and left the project behind (the next start, on a free port, found it and made none)."""
    home = tmp_path / "home"
    env = {**os.environ, "EARMARK_HOME": str(home)}
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["studio", *([str(tmp_path / folder)] if folder else []), "--port", str(port), "--no-browser"]
        done = subprocess.run([sys.executable, "-m", "earmark.cli", *args], capture_output=True, text=True,
                              timeout=60, env=env)
    assert done.returncode == 1, done
    assert done.stderr.startswith(f"Error: port {port} is in use"), done.stderr
    assert done.stdout == "", "nothing announced: no project was made"
    assert not (home / "demo").exists() and not (tmp_path / "gig").exists()


def test_a_request_for_another_host_name_is_told_the_studios_address_with_its_port(tmp_path: Path) -> None:
    env = {**os.environ, "EARMARK_HOME": str(tmp_path / "home")}
    with running(["studio", str(tmp_path / "gig"), "--no-browser"], r"http://127\.0\.0\.1:(\d+)/", env=env) as found:
        port = found.group(1)
        get_json(f"http://127.0.0.1:{port}/api/status")  # listening
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/status", headers={"Host": "attacker.example"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 400
    assert json.load(refused.value)["error"]["message"] == (
        f"this studio does not serve the host name 'attacker.example'; open it at http://127.0.0.1:{port}")


def started(args: list[str], pattern: str, *, env: dict[str, str]) -> tuple[subprocess.Popen[str], re.Match[str]]:
    """``earmark ARGS`` started, once it has printed a line matching ``pattern`` (and that match)."""
    proc = subprocess.Popen([sys.executable, "-m", "earmark.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if found := re.search(pattern, line):
            return proc, found
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"earmark {args[0]} printed no line matching {pattern}")


STOP_SIGNALS = [signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]


@pytest.mark.skipif(sys.platform == "win32", reason="no SIGTERM to send from outside on Windows")
@pytest.mark.parametrize("stop", STOP_SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_earmark_share_stopped_by_a_signal_removes_its_copy_of_the_model(
        tmp_path: Path, trained_classifier, stop: int) -> None:  # type: ignore[no-untyped-def]
    model = trained_classifier.save(tmp_path / "sounds.earmark")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    proc, link = started(["share", str(model), "--no-browser"], r"(http://127\.0\.0\.1:\d+/)try/([0-9a-f]{16})",
                         env=env)
    try:
        assert get_json(f"{link.group(1)}api/try/{link.group(2)}")["name"] == "sounds"
        assert [p.name for p in temp.glob("earmark-share-*/shared/models/*")] == ["sounds.earmark"]
    finally:
        proc.send_signal(stop)
        out, _ = proc.communicate(timeout=30)
    assert not list(temp.glob("earmark-*")), "the copy of the model is removed"
    # stopped as Ctrl+C stops it: the way a server is meant to end, so status 0 (as Ctrl+C), and quietly
    assert proc.returncode == 0, out
    assert out == "", "nothing printed on the way out"


@pytest.mark.skipif(sys.platform == "win32", reason="no SIGTERM to send from outside on Windows")
def test_earmark_studio_stopped_by_sigterm_shuts_down_as_for_ctrl_c(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "EARMARK_HOME": str(tmp_path / "home"), "TMPDIR": str(temp)}
    proc, link = started(["studio", str(tmp_path / "gig"), "--no-browser"], r"(http://127\.0\.0\.1:\d+/)", env=env)
    try:
        assert get_json(link.group(1) + "api/status")["current"] == "gig"
        assert [p.name[:15] for p in temp.iterdir()] == ["earmark-studio-"], "its pictures' folder"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert not list(temp.iterdir()), "the studio's own folder is removed, as on Ctrl+C"
    assert proc.returncode == 0, out


def test_links_for_a_server_on_every_address_name_the_addresses_others_can_reach() -> None:
    from earmark.studio.serve import link_hosts

    found = ["127.0.0.1", "fe80::1%eth0", "192.168.1.20", "fd00::2", "169.254.3.4", "::1", "192.168.1.20", "10.8.0.3"]
    assert link_hosts("0.0.0.0", hostname="vm", addresses=found) == ["192.168.1.20", "10.8.0.3"]
    assert link_hosts("::", hostname="vm", addresses=found) == ["192.168.1.20", "10.8.0.3", "[fd00::2]"]
    assert link_hosts("0.0.0.0", hostname="Mac.local", addresses=found) == ["192.168.1.20", "10.8.0.3", "Mac.local"]
    assert link_hosts("0.0.0.0", hostname="studio.example.org.", addresses=[]) == ["studio.example.org"]
    for bare in ("vm", "vm.localdomain", "192.168.1.20"):  # a name another device seldom resolves, or no name
        assert link_hosts("0.0.0.0", hostname=bare, addresses=["192.168.1.20"]) == ["192.168.1.20"]
    assert link_hosts("0.0.0.0", hostname="vm", addresses=["127.0.0.1", "::1", "not an address"]) == ["127.0.0.1"]
    assert link_hosts("192.168.1.20", hostname="vm", addresses=found) == ["192.168.1.20"]  # the one asked for
    assert link_hosts("::1", hostname="vm", addresses=found) == ["[::1]"]


def test_earmark_share_on_every_address_prints_a_link_at_an_address_of_this_computer(
        tmp_path: Path, trained_classifier) -> None:  # type: ignore[no-untyped-def]
    import ipaddress

    model = trained_classifier.save(tmp_path / "sounds.earmark")
    args = ["share", str(model), "--host", "0.0.0.0", "--no-browser"]
    with running(args, r"earmark share: http://([^/:]+):(\d+)/try/([0-9a-f]{16}) ") as link:
        address, port, token = ipaddress.ip_address(link.group(1)), link.group(2), link.group(3)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as mine:
            mine.bind((str(address), 0))  # only an address this computer has can be bound
        from earmark.studio.serve import link_hosts, local_addresses

        if link_hosts("0.0.0.0", hostname="", addresses=local_addresses()) != ["127.0.0.1"]:
            assert not address.is_loopback, "with a network, the link is on it"
        assert get_json(f"http://{address}:{port}/api/try/{token}")["name"] == "sounds"
