"""A model's page after its classes were renamed or deleted in the studio: its confusion matrix,
per-class figures, cells and warnings name the classes as the project does now (as its cells'
clips and a test-set score already did), while the model file keeps the names it was trained with
(in-process)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from conftest import make_client, untrained_classifier, wav_bytes
from earmark.classifier import Classifier
from earmark.modelfile import SPLIT_IN_TIME, read_manifest
from earmark.report import report_from_probabilities

LABELS = ["background", "bass", "drums"]


def trained_on(sample: str) -> Classifier:
    """A model of ``LABELS`` whose validation holds two bass clips (``sample`` of class bass, called
    drums, and one called right) and one each of the others, and whose training set had one bass
    recording: as training writes its file, with the warnings those call for."""
    truth, called = ["bass", "bass", "drums", "background"], ["drums", "bass", "drums", "background"]
    files = [f"bass/{sample}", "bass/gone.wav", "drums/kick.wav", "background/room.wav"]
    probs = np.array([[0.1 if c != label else 0.8 for c in LABELS] for label in called])
    report = report_from_probabilities(probs, truth, files, labels=LABELS)
    clips = [{"file": f, "start_s": 0.0, "end_s": 1.0, "true": t, "predicted": p, "confidence": 0.8}
             for f, t, p in zip(files, truth, called, strict=True)]
    clf = untrained_classifier(labels=tuple(LABELS))
    manifest = replace(clf.manifest, metrics={"validation": report.to_dict(), "validation_clips": clips},
                       dataset={"counts": {"background": 3, "bass": 3, "drums": 3}, SPLIT_IN_TIME: ["bass"]})
    return Classifier(clf.model, manifest)


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[tuple[TestClient, str, str]]:
    """Project "band" (classes bass and drums, a bass sample) and a model trained on it: the client,
    the model's id and the bass sample's id."""
    with make_client(tmp_path / "projects") as client:
        client.post("/api/projects", json={"name": "band"}).raise_for_status()
        for name in ("bass", "drums"):
            client.post("/api/projects/band/classes", json={"name": name}).raise_for_status()
        [sample] = client.post("/api/projects/band/classes/bass/samples",
                               files=[("files", ("low.wav", wav_bytes(freq=80)))]).json()["added"]
        model = trained_on(sample["id"]).save(tmp_path / "band.earmark")
        imported = client.post("/api/projects/band/models/import", files={"file": ("band.earmark", model.read_bytes())})
        imported.raise_for_status()
        yield client, imported.json()["id"], sample["id"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_renamed_class_is_shown_by_its_name_now(studio: tuple[TestClient, str, str], tmp_path: Path) -> None:
    client, model_id, sample_id = studio
    model_file = tmp_path / "projects" / "band" / "models" / f"{model_id}.earmark"
    before = _digest(model_file)
    client.patch("/api/projects/band/classes/bass", json={"name": "electric bass"}).raise_for_status()
    detail = client.get(f"/api/projects/band/models/{model_id}").json()
    validation = detail["validation"]
    now = ["background", "electric bass", "drums"]
    assert validation["labels"] == validation["confusion"]["labels"] == list(validation["per_class"]) == now
    assert validation["confusion"]["matrix"] == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    assert {(m["true"], m["predicted"], m["file"]) for m in validation["misclassified"]} == {
        ("electric bass", "drums", f"electric bass/{sample_id}")}
    [clip] = validation["cells"]["electric bass|drums"]
    assert (clip["class_name"], clip["id"], clip["exists"]) == ("electric bass", sample_id, True)
    assert sorted(validation["cells"]) == ["background|background", "drums|drums", "electric bass|drums",
                                           "electric bass|electric bass"]
    assert "Class 'electric bass' has only 2 clips to be scored on; its accuracy says little" in detail["warnings"]
    assert any(w.startswith("Class 'electric bass' has only one recording") for w in detail["warnings"])
    assert "Class 'electric bass' has only 2 clips to be scored on; its accuracy says little" in validation["warnings"]
    assert not [w for w in detail["warnings"] if "'bass'" in w], detail["warnings"]
    assert detail["renamed_classes"] == {"bass": "electric bass"}
    # the model file keeps the names it was trained with
    assert _digest(model_file) == before and read_manifest(model_file).labels == LABELS


def test_a_deleted_class_is_shown_as_deleted(studio: tuple[TestClient, str, str]) -> None:
    """Drums deleted, and bass renamed drums: the model's drums are not the class called drums now."""
    client, model_id, _ = studio
    client.delete("/api/projects/band/classes/drums").raise_for_status()
    client.patch("/api/projects/band/classes/bass", json={"name": "drums"}).raise_for_status()
    detail = client.get(f"/api/projects/band/models/{model_id}").json()
    assert detail["validation"]["labels"] == ["background", "drums", "drums (deleted)"]
    assert sorted(detail["validation"]["cells"]) == ["background|background", "drums (deleted)|drums (deleted)",
                                                     "drums|drums", "drums|drums (deleted)"]
    assert detail["renamed_classes"] == {"bass": "drums", "drums": "drums (deleted)"}
