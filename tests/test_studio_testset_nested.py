"""A test set uploaded to be scored (Evaluate/Compare) is read as ``earmark evaluate MODEL TEST_DIR``
reads a folder: the first folder under the one picked is a file's class, the folders below it are
kept, and a Mac's ``._riff.flac`` companions and other hidden or system files are left out
(in-process API; real files, a really trained model)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient
from httpx import Response

from conftest import SR, bass_note, write_dataset
from earmark.classifier import Classifier
from earmark.evaluate import evaluate
from earmark.importer import folder_per_class
from earmark.project import Project
from test_studio_api import assert_error, make_client

BASE = "/api/projects/band"


@pytest.fixture
def studio(tmp_path: Path, trained_classifier: Classifier) -> Iterator[tuple[TestClient, str]]:
    project = Project.create(tmp_path / "projects" / "band")
    model_id = project.save_model(trained_classifier).id
    with make_client(tmp_path / "projects") as client:
        yield client, model_id


def _flac(seed: int) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, bass_note(np.random.default_rng(seed)), SR, format="FLAC")
    return buf.getvalue()


@pytest.fixture
def nested(tmp_path: Path) -> Path:
    """A test set as people keep one: takes of a class in folders of their own, two files called riff.flac."""
    test = write_dataset(tmp_path / "picked" / "test", per_class=2, seed=9)
    for session, seed in (("session 1", 11), ("session 2", 12)):
        (test / "bass" / session).mkdir()
        (test / "bass" / session / "riff.flac").write_bytes(_flac(seed))
    return test


def _as_picked(folder: Path, *, top: str | None = "test") -> list[tuple[str, tuple[str, bytes]]]:
    """Every file under ``folder`` as the page sends a folder picked (its name first), or with no top folder."""
    return [("files", ("/".join(filter(None, [top, f.relative_to(folder).as_posix()])), f.read_bytes()))
            for f in sorted(folder.rglob("*")) if f.is_file()]


def test_a_nested_folder_counts_as_its_class_folder_as_the_cli_reads_it(studio: tuple[TestClient, str],
                                                                         nested: Path,
                                                                         trained_classifier: Classifier) -> None:
    client, model_id = studio
    cli = evaluate(trained_classifier, nested).to_dict()  # `earmark evaluate MODEL test/`
    assert cli["per_class"]["bass"]["support"] == 4 and cli["n_clips"] == 8
    for top in ("test", None):  # the folder picked (the page), or its class folders dropped (the API)
        response = client.post(f"{BASE}/models/{model_id}/evaluate", files=_as_picked(nested, top=top))
        assert response.status_code == 200, response.text
        report = response.json()
        assert (report["n_clips"], report["confusion"], report["per_class"]) == \
            (cli["n_clips"], cli["confusion"], cli["per_class"]), top
        assert report["skipped"] == []
    compared = client.post(f"{BASE}/compare", data={"model_a": model_id, "model_b": model_id},
                           files=_as_picked(nested)).json()
    assert compared["a"]["confusion"] == cli["confusion"]


def test_a_file_in_a_nested_folder_is_named_with_its_folders(studio: tuple[TestClient, str], nested: Path) -> None:
    client, model_id = studio
    files = [*_as_picked(nested), ("files", ("test/bass/session 2/broken.wav", b"RIFF junk")),
             ("files", ("test/bass/notes.txt", b"mic: SM57")), ("files", ("test/loose.wav", b"RIFF"))]
    report = client.post(f"{BASE}/models/{model_id}/evaluate", files=files).json()
    assert report["n_clips"] == 8
    skipped = {s["path"]: s["reason"] for s in report["skipped"]}
    assert sorted(skipped) == ["bass/notes.txt", "bass/session 2/broken.wav", "loose.wav"], skipped
    assert skipped["loose.wav"] == "not inside a class folder"
    assert skipped["bass/notes.txt"].startswith("not an audio file")


def test_mac_companions_and_system_files_are_left_out_silently(studio: tuple[TestClient, str], nested: Path) -> None:
    client, model_id = studio
    junk = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        "
    clutter = [("files", (name, junk)) for name in (
        "test/bass/._bass_000.wav", "test/bass/session 1/._riff.flac", "test/.DS_Store", "test/drums/Thumbs.db",
        "test/__MACOSX/bass/._bass_001.wav", "test/.git/HEAD")]
    report = client.post(f"{BASE}/models/{model_id}/evaluate", files=[*_as_picked(nested), *clutter]).json()
    assert report["skipped"] == [] and report["n_clips"] == 8, report
    assert_error(client.post(f"{BASE}/models/{model_id}/evaluate", files=[("files", ("bass/._a.wav", junk))]),
                 422, "DatasetError", "one folder per class")


def test_the_set_is_laid_out_as_it_was_picked(tmp_path: Path) -> None:
    one = tmp_path / "one.wav"
    one.write_bytes(_flac(1))
    files = [("test/bass/session 1/riff.flac", one), ("test/bass/session 2/riff.flac", one),
             ("test/lo-fi.v2/take.WAV", one), ("test/bass/._riff.flac", one), ("README.md", one)]
    laid_out = folder_per_class(files, tmp_path / "set")
    assert sorted(p.relative_to(laid_out).as_posix() for p in laid_out.rglob("*") if p.is_file()) == [
        "bass/session 1/riff.flac", "bass/session 2/riff.flac", "lo-fi.v2/take.wav"]



def _refusal(response: Response) -> str:
    """The message of the studio's 422 ``DatasetError`` answer ``response``."""
    assert_error(response, 422, "DatasetError", "")
    message: str = response.json()["error"]["message"]
    return message


def test_a_folder_of_train_and_test_sets_is_told_to_choose_its_test_folder(studio: tuple[TestClient, str],
                                                                           tmp_path: Path) -> None:
    client, model_id = studio
    demo = tmp_path / "demo"
    write_dataset(demo / "train", per_class=2, seed=1)
    write_dataset(demo / "test", per_class=2, seed=2)
    said = _refusal(client.post(f"{BASE}/models/{model_id}/evaluate", files=_as_picked(demo, top="demo")))
    assert said == ("the folder you chose (demo/) holds train/ and test/, each with class folders: choose its test/ "
                    "folder (or a zip of it) as the test set"), said
    with zipfile.ZipFile(tmp_path / "demo.zip", "w") as zf:
        for path in sorted(demo.rglob("*.wav")):
            zf.write(path, path.relative_to(tmp_path).as_posix())
    said = _refusal(client.post(f"{BASE}/models/{model_id}/evaluate",
                                files=[("files", ("demo.zip", (tmp_path / "demo.zip").read_bytes()))]))
    assert said == ("the zip you chose (demo.zip) holds train/ and test/, each with class folders: choose its test/ "
                    "folder (or a zip of it) as the test set"), said


def test_a_test_set_holding_one_inside_is_told_to_choose_the_inner_one(studio: tuple[TestClient, str],
                                                                       tmp_path: Path) -> None:
    client, model_id = studio
    demo = write_dataset(tmp_path / "demo", per_class=2, seed=1)
    write_dataset(demo / "test", per_class=2, seed=2)
    said = _refusal(client.post(f"{BASE}/compare", data={"model_a": model_id, "model_b": model_id},
                                files=_as_picked(demo, top="demo")))
    assert said == ("test/ in the folder you chose (demo/) holds class folders (background, bass, drums), not audio "
                    "of a class 'test': a test set holds one folder per class: choose test/ on its own (or a zip of "
                    "it) as the test set"), said
