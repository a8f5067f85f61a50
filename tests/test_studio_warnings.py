"""What decoding or unpacking warns of (a file whose channels cancel out when mixed, a zip whose names
may read wrongly) reaches the studio's page where the user gave those files: an uploaded test set's
report says it. Where it would only repeat what an upload already said (the project's own samples,
trained on or scored), it is kept silent, and never left to the studio's stderr."""

from __future__ import annotations

import io
import locale
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from conftest import make_client, untrained_classifier, wav_bytes, write_dataset
from earmark.errors import EarmarkWarning
from earmark.project import Project
from test_archive import zip_in_code_page

SR = 22050
BASE = "/api/projects/band"
CANCEL = ("the channels cancel out when mixed to mono (one is the other inverted); earmark used the left channel")


def inverted_stereo(seconds: float = 1.0) -> bytes:
    """A stereo WAV whose right channel is its left inverted: silence when mixed to mono."""
    x = (0.3 * np.sin(2 * np.pi * 110 * np.arange(int(SR * seconds)) / SR)).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, np.stack([x, -x], axis=1), SR, format="WAV", subtype="PCM_16")
    return buf.getvalue()


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[tuple[TestClient, list[str]]]:
    """The studio over project ``band`` (bass, drums, background) with two models: at 22,050 Hz and at
    16 kHz, so that comparing them decodes a set twice."""
    project = Project.create(tmp_path / "projects" / "band")
    for name in ("bass", "drums"):
        project.add_class(name)
    ids = [project.save_model(untrained_classifier(seed=1)).id,
           project.save_model(untrained_classifier(seed=2, sample_rate=16000)).id]
    with make_client(tmp_path / "projects") as client:
        yield client, ids


@pytest.fixture
def issued() -> Iterator[list[warnings.WarningMessage]]:
    """The earmark warnings issued through :mod:`warnings` meanwhile, in any thread (the studio's stderr)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def earmark_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, EarmarkWarning)]


def test_an_uploaded_test_set_reports_the_files_whose_channels_cancel(
        studio: tuple[TestClient, list[str]], tmp_path: Path, issued: list[warnings.WarningMessage]) -> None:
    client, (a, b) = studio
    test = write_dataset(tmp_path / "test", per_class=2, seed=9)
    files = [("files", (f"test/{f.relative_to(test).as_posix()}", f.read_bytes())) for f in sorted(test.rglob("*.wav"))]
    files.append(("files", ("test/bass/flip.wav", inverted_stereo())))
    report = client.post(f"{BASE}/models/{a}/evaluate", files=files)
    assert report.status_code == 200, report.text
    assert report.json()["n_clips"] == 7  # scored all the same
    said = f"bass/flip.wav: {CANCEL}"
    assert report.json()["warnings"][0] == said, "named as the user knows the file, not as the studio saved it"
    assert any(w.startswith("Only 7 clips") for w in report.json()["warnings"]), "the report's own stay"
    for other in (b, a):  # two sample rates (decoded twice), and one model given twice
        comparison = client.post(f"{BASE}/compare", data={"model_a": a, "model_b": other}, files=files)
        assert comparison.status_code == 200, comparison.text
        for side in ("a", "b"):
            assert comparison.json()[side]["warnings"].count(said) == 1, comparison.json()[side]["warnings"]
    assert earmark_warnings(issued) == [], "said in the answer, not on the studio's stderr"


@pytest.fixture
def _english_computer(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a Korean computer the names would read as Korean, without a warning."""
    monkeypatch.setattr(locale, "getlocale", lambda category=None: ("en_US", "UTF-8"))


@pytest.mark.usefixtures("_english_computer")
def test_a_zipped_test_set_whose_names_may_read_wrongly_says_so(
        studio: tuple[TestClient, list[str]], tmp_path: Path, issued: list[warnings.WarningMessage]) -> None:
    client, (a, _) = studio
    members = [(f"set/{label}/{name}", wav_bytes(1.0, freq=110 * (k + 1)))
               for k, (label, name) in enumerate([("bass", "베이스.wav"), ("drums", "킥.wav"),
                                                  ("background", "방.wav")])]
    archive = zip_in_code_page(tmp_path / "upload-0001", members, code_page="cp949")
    report = client.post(f"{BASE}/models/{a}/evaluate", files={"file": ("set.zip", archive.read_bytes())})
    assert report.status_code == 200, report.text
    [said] = [w for w in report.json()["warnings"] if "UTF-8" in w]
    assert said.startswith("set.zip: its names are not marked as UTF-8") and "-mcu=on" in said, said
    # class folders in the code page: the model knows none of them; the refusal gives the likely cause
    garbled = zip_in_code_page(tmp_path / "upload-0002", [(f"set/{name.split('/')[-1][:-4]}/{name.split('/')[-1]}",
                                                           data) for name, data in members], code_page="cp949")
    refused = client.post(f"{BASE}/models/{a}/evaluate", files={"file": ("set.zip", garbled.read_bytes())})
    assert refused.status_code == 422, refused.text
    message = refused.json()["error"]["message"]
    assert "does not know" in message and "(warning: set.zip: its names are not marked as UTF-8" in message, message
    assert earmark_warnings(issued) == []


def test_scoring_the_project_test_set_repeats_no_warning(
        studio: tuple[TestClient, list[str]], issued: list[warnings.WarningMessage]) -> None:
    """The upload said it (its warnings); scoring its clips again says nothing, on the page or on stderr."""
    client, _ = studio
    for name, data in (("bass", inverted_stereo()), ("drums", wav_bytes(1.0, freq=300)),
                       ("_background_noise_", wav_bytes(1.0, freq=50))):
        added = client.post(f"{BASE}/classes/{name}/samples?set=test", files=[("files", (f"{name}.wav", data))])
        assert added.status_code == 201, added.text
        if name == "bass":
            assert [w["message"] for w in added.json()["warnings"]] == [CANCEL], "said once, at upload"
    scored = client.post(f"{BASE}/test/evaluate")
    assert scored.status_code == 200, scored.text
    assert all(m["n_clips"] == 3 for m in scored.json()["models"])
    assert not any(CANCEL in w for m in scored.json()["models"] for w in m["warnings"])
    assert earmark_warnings(issued) == []


@pytest.mark.slow
def test_training_on_a_sample_whose_channels_cancel_repeats_no_warning(
        tmp_path: Path, issued: list[warnings.WarningMessage]) -> None:
    project = Project.create(tmp_path / "projects" / "band")
    write_dataset(project.samples_dir, per_class=5, seed=3)
    (project.samples_dir / "bass" / "flip.wav").write_bytes(inverted_stereo())
    with make_client(tmp_path / "projects") as client:
        job = client.post(f"{BASE}/train", json={"epochs": 1, "batch_size": 8})
        assert job.status_code == 202, job.text
        done = client.app.state.studio.jobs.wait(job.json()["id"], timeout_s=120)  # type: ignore[attr-defined]
    assert done.state == "done", done.error
    assert earmark_warnings(issued) == [], "the sample's upload said it; not the studio's stderr"
