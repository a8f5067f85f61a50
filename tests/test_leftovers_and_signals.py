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
    # three projects folders: one studio serves a folder at a time
    env = {**os.environ, "EARMARK_HOME": str(tmp_path / "home"), "TMPDIR": str(temp)}
    others = folders(temp)
    live, live_link = start(["studio", str(tmp_path / "pa" / "a"), "--no-browser"], env=env)
    try:
        (live_folder,) = folders(temp) - others
        doomed, _ = start(["studio", str(tmp_path / "pb" / "b"), "--no-browser"], env=env)
        (dead_folder,) = folders(temp) - others - {live_folder}
        doomed.kill()
        doomed.communicate(timeout=30)
        assert dead_folder in folders(temp), "SIGKILL: nothing could clean up"
        third, third_link = start(["studio", str(tmp_path / "pc" / "c"), "--no-browser"], env=env)
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


def _held_folders(temp: Path) -> list[Path]:
    return list(temp.glob("earmark-studio-*"))


def test_a_studio_killed_mid_upload_leaves_the_uploads_folder_to_the_next_start(tmp_path: Path) -> None:
    """Each request's own folders (an upload's bytes, a zip unpacked) were made in the system's temporary
    folder: a studio killed during a 1 GB upload left it there for good. They are in the folder the
    studio holds, which the next start removes with them."""
    import socket

    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "EARMARK_HOME": str(tmp_path / "home"), "TMPDIR": str(temp)}
    killed, link = start(["studio", str(tmp_path / "a"), "--no-browser"], env=env)
    port = int(link.group(1).rstrip("/").rsplit(":", 1)[1])
    head = (f"POST /api/projects/import HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: multipart/form-data; boundary=cut\r\nContent-Length: 500000000\r\n\r\n"
            "--cut\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.zip\"\r\n"
            "Content-Type: application/zip\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        deadline = time.monotonic() + 60
        while not (uploads := list(temp.glob("earmark-studio-*/.scratch/earmark-upload-*"))):
            assert time.monotonic() < deadline and killed.poll() is None, "no upload folder in the held folder"
            sock.sendall(bytes(1 << 16))  # the body keeps coming: 500 MB announced, a few sent
            time.sleep(0.01)
        sock.sendall(bytes(1 << 20))
        killed.kill()  # mid-request
        killed.communicate(timeout=30)
    (upload,) = uploads
    assert upload.is_dir(), "SIGKILL: nothing could clean up"
    assert upload.stat().st_mode & 0o777 == 0o700, "private, as mkdtemp makes it"
    assert [p.name for p in temp.iterdir()] == [upload.parents[1].name], "nothing of the request outside it"
    again, _ = start(["studio", str(tmp_path / "b"), "--no-browser"], env=env)
    try:
        assert not upload.parents[1].exists(), "the next start removed the dead studio's folder, upload and all"
        assert len(_held_folders(temp)) == 1, "only the running studio's"
    finally:
        stop(again)
    assert not list(temp.iterdir())


def test_each_request_makes_its_folders_in_the_studios_held_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An upload's, an export's, an import's, an uploaded test set's and the unpacking of a class's (or an
    import's) files: private, in the held
    folder's hidden scratch folder (not beside the results the studio prunes), and gone once answered."""
    import tempfile

    from conftest import make_client, untrained_classifier, wav_bytes, write_dataset
    from earmark.project import Project

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    made: list[tuple[Path, int]] = []
    mkdtemp = tempfile.mkdtemp

    def watched(*args: Any, **kwargs: Any) -> Any:  # the real one, noting what it made (TemporaryDirectory too)
        path = mkdtemp(*args, **kwargs)
        made.append((Path(path), os.stat(path).st_mode & 0o777))
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", watched)
    project = Project.create(tmp_path / "projects" / "band")
    write_dataset(project.samples_dir, per_class=3, seed=1)
    model = project.import_model(untrained_classifier().save(tmp_path / "m.earmark"), name="m")
    test = write_dataset(tmp_path / "test", per_class=2, seed=2)
    with make_client(tmp_path / "projects") as client:
        (held,) = _held_folders(temp)
        base = "/api/projects/band"
        client.post(f"{base}/classes/bass/samples", files={"files": ("riff.wav", wav_bytes())}).raise_for_status()
        exported = client.get(f"{base}/export")
        exported.raise_for_status()
        client.post("/api/projects/import", files={"file": ("band.zip", exported.content)}).raise_for_status()
        client.post(f"{base}/models/{model.id}/evaluate", files=[
            ("files", (f"test/{f.relative_to(test).as_posix()}", f.read_bytes()))
            for f in sorted(test.rglob("*.wav"))]).raise_for_status()
        prefixes = {re.sub(r"-[^-]*$", "-", p.name) for p, _ in made}
        kinds = ("earmark-upload-", "earmark-export-", "earmark-import-", "earmark-testset-", "earmark-intake-")
        assert set(kinds) <= prefixes, prefixes
        requests = [(p, mode) for p, mode in made if p.name.startswith(kinds)]
        assert [(p.parent, mode) for p, mode in requests] == [(held / ".scratch", 0o700)] * len(requests)
        assert not list((held / ".scratch").iterdir()), "each removed once answered"


def test_add_files_unpacks_zips_in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The studio passes its held folder's scratch folder; a library user's default is the system's."""
    import tempfile
    import zipfile

    from conftest import wav_bytes
    from earmark.intake import add_files
    from earmark.project import Project

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    made: list[Path] = []
    mkdtemp = tempfile.mkdtemp

    def watched(*args: Any, **kwargs: Any) -> Any:
        made.append(Path(mkdtemp(*args, **kwargs)))
        return str(made[-1])

    monkeypatch.setattr(tempfile, "mkdtemp", watched)
    project = Project.create(tmp_path / "band")
    project.add_class("bass")
    with zipfile.ZipFile(tmp_path / "takes.zip", "w") as archive:
        archive.writestr("take.wav", wav_bytes())
    mine = tmp_path / "mine"
    mine.mkdir()
    assert len(add_files(project, "bass", [tmp_path / "takes.zip"], tmp_dir=mine).added) == 1
    assert len(add_files(project, "bass", [("again.zip", tmp_path / "takes.zip")]).added) == 1
    assert [p.parent for p in made] == [mine, temp] and made[0].name.startswith("earmark-intake-")
    assert not list(mine.iterdir()) and not list(temp.iterdir())


def test_the_results_pruning_leaves_a_requests_folder_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the limit, the oldest result files go: never a folder a request is using (it may be older)."""
    import tempfile

    from earmark.studio.settings import StudioSettings
    from earmark.studio.state import _MAX_RESULTS, Studio

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    studio = Studio(StudioSettings(projects_root=tmp_path / "projects"))
    try:
        upload = Path(tempfile.mkdtemp(prefix="earmark-upload-", dir=studio.scratch_dir))
        (upload / "00000.bin").write_bytes(b"bytes")
        for _ in range(_MAX_RESULTS + 3):
            studio.result_path(".png")[1].write_bytes(b"png")
        assert (upload / "00000.bin").read_bytes() == b"bytes"
        (folder,) = tmp_path.glob("earmark-studio-*")
        assert len(list(folder.glob("*.png"))) == _MAX_RESULTS
    finally:
        studio.close()
    assert not list(tmp_path.glob("earmark-studio-*"))
