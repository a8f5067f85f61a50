"""Files cut short (a download or copy broken off) are kept, and the upload says so by name: the
decoder's :class:`~earmark.errors.AudioWarning` reaches the studio's answer, not only its log."""

from __future__ import annotations

import io
import re
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import make_client, wav_bytes
from earmark.intake import add_files
from earmark.project import Project

SR = 22050
BASE = "/api/projects/band"


def compressed(fmt: str, subtype: str | None, *, keep: float = 1.0, seconds: float = 10.0) -> bytes:
    """A tone as an MP3 or Ogg file, its bytes cut after ``keep`` of them."""
    buf = io.BytesIO()
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * SR)) / SR)).astype(np.float32)
    sf.write(buf, tone, SR, format=fmt, subtype=subtype)
    data = buf.getvalue()
    return data[: int(len(data) * keep)]


@pytest.mark.parametrize(("name", "fmt", "subtype", "said"), [
    ("cut.mp3", "MP3", None, "of the 10.0 s its header promises; the file may be cut short (a download or copy "
                             "broken off), or its header may be wrong: if it should be longer, re-export"),
    ("cut.ogg", "OGG", "VORBIS", "without the end-of-stream mark an Ogg file closes with; the file may be cut short "
                                 "(a download or copy broken off): re-export"),
])
def test_an_upload_names_the_files_it_kept_that_are_cut_short(tmp_path: Path, name: str, fmt: str,
                                                              subtype: str | None, said: str) -> None:
    Project.create(tmp_path / "projects" / "band").add_class("bass")
    with make_client(tmp_path / "projects") as client:
        r = client.post(f"{BASE}/classes/bass/samples", files=[
            ("files", (name, compressed(fmt, subtype, keep=0.6), "application/octet-stream")),
            ("files", ("whole.ogg", compressed("OGG", "VORBIS"), "application/octet-stream")),
            ("files", ("ok.wav", wav_bytes(), "audio/wav"))])
    assert r.status_code == 201, r.text
    body = r.json()
    assert sorted(s["id"] for s in body["added"]) == sorted([name, "whole.ogg", "ok.wav"])  # kept all the same
    assert body["skipped"] == []
    [warned] = body["warnings"]
    assert warned["name"] == name  # as uploaded: not the temporary file it was saved as
    assert re.fullmatch(rf"ends after [2-6]\.\d s {re.escape(said)} or re-copy it to use all of it",
                        warned["message"])


def test_a_project_import_names_the_files_cut_short(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("set/bass/cut.mp3", compressed("MP3", None, keep=0.5))
        z.writestr("set/drums/ok.wav", wav_bytes())
    with make_client(tmp_path / "projects") as client:
        r = client.post("/api/projects/import", files={"file": ("set.zip", buf.getvalue(), "application/zip")})
    assert r.status_code == 201, r.text
    [warned] = r.json()["warnings"]
    assert warned["name"] == "bass/cut.mp3"
    assert warned["message"].startswith("ends after ")


def test_concurrent_uploads_each_name_only_their_own_files_cut_short(tmp_path: Path) -> None:
    """Uploads decode in threads, and catching warnings is one state for every thread: each upload's
    result holds its own files' warnings, all of them, and no other's."""
    project = Project.create(tmp_path / "band")
    project.add_class("bass")
    sources = {}
    for k in range(4):
        sources[k] = [(f"cut{k}-{n}.mp3", tmp_path / f"cut{k}-{n}.mp3") for n in range(3)]
        for _, path in sources[k]:
            path.write_bytes(compressed("MP3", None, keep=0.5, seconds=4.0))
    results = {}

    def upload(k: int) -> None:
        results[k] = add_files(project, "bass", sources[k])

    threads = [threading.Thread(target=upload, args=(k,)) for k in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k, result in results.items():  # (the files are alike: each after the first is also said to be a copy)
        assert sorted(n for n, m in result.warnings if not m.startswith("is the same file as")) == [
            n for n, _ in sources[k]]


def test_an_upload_keeps_its_warnings_when_another_thread_catches_warnings_meanwhile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Other code catches warnings too (the ONNX export, torch) in threads beside uploads, and
    ``catch_warnings`` is one state for every thread: another thread that enters its own block before
    an upload's decode and leaves it during the decode must neither lose the upload's warning nor be
    left with the upload's filters (the real decode runs; it only waits for its cue)."""
    import warnings

    import earmark.intake as intake

    project = Project.create(tmp_path / "band")
    project.add_class("bass")
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(compressed("MP3", None, keep=0.5, seconds=4.0))
    decoding, go_on = threading.Event(), threading.Event()
    real_load = intake.load_audio

    def load_on_cue(path: Path, **kwargs: object) -> object:
        if Path(path).name == "cut.mp3":
            decoding.set()
            assert go_on.wait(10)
        return real_load(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(intake, "load_audio", load_on_cue)
    results = []
    upload = threading.Thread(target=lambda: results.append(add_files(project, "bass", [("cut.mp3", cut)])))
    before = list(warnings.filters)
    with warnings.catch_warnings():  # as an export does, in the studio's thread pool
        warnings.simplefilter("ignore")
        upload.start()
        assert decoding.wait(10)
    go_on.set()  # the other thread has left its block: the upload decodes now
    upload.join()
    assert [n for n, _ in results[0].warnings] == ["cut.mp3"]
    assert warnings.filters == before


def test_drawing_a_kept_file_cut_short_warns_no_more(tmp_path: Path) -> None:
    """The upload named the file; its thumbnail is drawn from what there is, with no warning per draw
    (each one was a line in the studio's log)."""
    import warnings

    from earmark.errors import AudioWarning

    Project.create(tmp_path / "projects" / "band").add_class("bass")
    with make_client(tmp_path / "projects") as client:
        r = client.post(f"{BASE}/classes/bass/samples",
                        files=[("files", ("cut.mp3", compressed("MP3", None, keep=0.6), "audio/mpeg"))])
        assert r.status_code == 201, r.text
        assert r.json()["warnings"]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            picture = client.get(f"{BASE}/samples/bass/cut.mp3/spectrogram.png")
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    assert [w for w in caught if issubclass(w.category, AudioWarning)] == []
