"""``earmark studio`` and ``earmark share`` as real processes: what a process killed outright leaves in the
temporary folder (the next start removes it, never a running one's), a stop asked for while share starts,
and a start on every address with no DNS answering."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="signals from outside, flock: POSIX")

LINK = r"(http://127\.0\.0\.1:\d+/)"


def start(args: list[str], *, env: dict[str, str], pattern: str = LINK,
          command: list[str] | None = None) -> tuple[subprocess.Popen[str], re.Match[str]]:
    """``earmark ARGS`` (or ``command``) started, once it has printed a line matching ``pattern``."""
    proc = subprocess.Popen(command or [sys.executable, "-m", "earmark.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    assert proc.stdout is not None
    said = ""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        said += line
        if found := re.search(pattern, line):
            return proc, found
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"earmark printed no line matching {pattern}: {said}")


def status(url: str) -> Any:
    return json.load(urllib.request.urlopen(url + "api/status", timeout=10))


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    return out


def folders(temp: Path) -> set[str]:
    return {p.name for p in temp.iterdir()}


def test_a_studio_killed_outright_leaves_its_folder_to_the_next_start_never_a_running_ones(tmp_path: Path) -> None:
    """SIGKILL (or a power cut) leaves no chance to clean up: the folder stayed in /tmp for good, one per run.
    The next start removes it, and only it: a running studio's folder and folders of others stay."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    (temp / "earmark-studio-made-by-hand").mkdir()  # an earmark-named folder without an owner: not ours to judge
    (temp / "earmark-studio-made-by-hand" / "keep.txt").write_text("mine")
    (temp / "other").mkdir()
    env = {**os.environ, "EARMARK_HOME": str(tmp_path / "home"), "TMPDIR": str(temp)}
    others = folders(temp)
    live, live_link = start(["studio", str(tmp_path / "a"), "--no-browser"], env=env)
    try:
        (live_folder,) = folders(temp) - others
        doomed, _ = start(["studio", str(tmp_path / "b"), "--no-browser"], env=env)
        (dead_folder,) = folders(temp) - others - {live_folder}
        doomed.kill()
        doomed.communicate(timeout=30)
        assert dead_folder in folders(temp), "SIGKILL: nothing could clean up"
        third, third_link = start(["studio", str(tmp_path / "c"), "--no-browser"], env=env)
        try:
            assert dead_folder not in folders(temp), "the dead studio's folder is removed at the next start"
            assert live_folder in folders(temp), "the running studio's folder stays"
            assert (temp / "earmark-studio-made-by-hand" / "keep.txt").read_text() == "mine"
            assert (temp / "other").is_dir()
            assert status(live_link.group(1))["current"] == "a"  # and it keeps working
            assert status(third_link.group(1))["current"] == "c"
        finally:
            stop(third)
    finally:
        stop(live)
    assert folders(temp) == others, "the running ones still clean up after themselves"


def test_a_share_killed_outright_leaves_its_copy_of_the_models_to_the_next_start(
        tmp_path: Path, trained_classifier) -> None:  # type: ignore[no-untyped-def]
    model = trained_classifier.save(tmp_path / "sounds.earmark")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    killed, _ = start(["share", str(model), "--no-browser"], env=env)
    killed.kill()
    killed.communicate(timeout=30)
    assert [p.name for p in temp.glob("earmark-share-*/shared/models/*")] == ["sounds.earmark"], "left by SIGKILL"
    again, _ = start(["share", str(model), "--no-browser"], env=env)
    try:
        assert len(list(temp.glob("earmark-share-*"))) == 1, "only the running share's copy"
    finally:
        stop(again)
    assert not list(temp.iterdir())


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: signal.Signals(s).name)
def test_a_share_stopped_while_it_checks_the_models_stops_cleanly(
        tmp_path: Path, trained_classifier, signum: int) -> None:  # type: ignore[no-untyped-def]
    """As once the server runs: status 0, quietly, the copy removed. It printed 'interrupted' and ended
    with 130, as for Ctrl+C: but a service manager's or a closed terminal's stop is asked for, and 130 is
    a failure to systemd and to scripts that check the status."""
    model = trained_classifier.save(tmp_path / "sounds.earmark")
    models = [shutil.copyfile(model, tmp_path / f"sound{i}.earmark") for i in range(40)]  # a longer start
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    proc = subprocess.Popen([sys.executable, "-m", "earmark.cli", "share", *map(str, models), "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + 90
    while not list(temp.glob("earmark-share-*")):  # made just before the models are checked and copied
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0]
        time.sleep(0.002)
    proc.send_signal(signum)
    out, _ = proc.communicate(timeout=60)
    assert "http://" not in out, "stopped while it started, not once it served"
    assert proc.returncode == 0, out
    assert out == "", "nothing printed on the way out"
    assert not list(temp.iterdir()), "its copy of the models is removed"


_SILENT_DNS = """
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
s.settimeout(0.5)
parent = os.getppid()
while os.getppid() == parent:  # until the studio ends
    try:
        s.recvfrom(4096)  # and never answers
    except TimeoutError:
        pass
"""


def _no_dns(tmp_path: Path) -> list[str]:
    """A shell's command line that runs the rest of its arguments where the host name is not in /etc/hosts
    and DNS is a server that never answers (a private user, network and mount namespace: nothing changes
    outside it); skips the test where such namespaces cannot be made."""
    if not (shutil.which("unshare") and shutil.which("ip")):
        pytest.skip("needs unshare and ip")
    namespaces = ["unshare", "--user", "--map-root-user", "--uts", "--mount", "--net"]
    if subprocess.run([*namespaces, "true"], capture_output=True).returncode != 0:
        pytest.skip("no user namespaces here")
    (tmp_path / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:30 attempts:1\n")
    (tmp_path / "silent_dns.py").write_text(_SILENT_DNS)
    script = (f"ip link set lo up && mount --bind {tmp_path / 'resolv.conf'} /etc/resolv.conf && "
              f"hostname earmark-no-dns && {{ {sys.executable} {tmp_path / 'silent_dns.py'} & }} && exec \"$@\"")
    return [*namespaces, "sh", "-c", script, "sh"]


def test_a_studio_on_every_address_starts_without_waiting_for_dns(tmp_path: Path) -> None:
    """Finding the links looked up the host name, which waited the resolver's whole timeout (here 30 s)
    before anything was printed, when DNS did not answer (offline, a dead VPN)."""
    command = [*_no_dns(tmp_path), sys.executable, "-m", "earmark.cli", "studio", str(tmp_path / "gig"),
               "--host", "0.0.0.0", "--no-browser"]
    env = {**os.environ, "EARMARK_HOME": str(tmp_path / "home")}
    proc, _ = start([], env=env, command=command, pattern="created a new project")
    try:
        began = time.monotonic()
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("earmark studio: http://127.0.0.1:"), line  # no network: this computer only
        assert time.monotonic() - began < 15, "the link came only after DNS gave up"
    finally:
        stop(proc)


def test_a_studio_keeps_its_hold_on_its_folder_while_its_oldest_results_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only result files are counted and dropped past the limit, never the file the folder is held by."""
    import tempfile

    from earmark.studio.settings import StudioSettings
    from earmark.studio.state import _MAX_RESULTS, Studio, sweep_dead_folders

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    studio = Studio(StudioSettings(projects_root=tmp_path / "projects"))
    try:
        for _ in range(_MAX_RESULTS + 3):
            studio.result_path(".png")[1].write_bytes(b"png")
            time.sleep(0.001)
        assert sweep_dead_folders() == [], "held by this running process"
        (folder,) = tmp_path.glob("earmark-studio-*")
        assert (folder / ".earmark-owner").is_file()
        assert len(list(folder.glob("*.png"))) == _MAX_RESULTS
    finally:
        studio.close()
    assert not list(tmp_path.glob("earmark-studio-*"))
