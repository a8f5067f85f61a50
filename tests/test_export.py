"""ONNX export for deployment: the exported graph, run by onnxruntime as a deployment would, gives
what earmark gives on the same audio; its metadata describes it; the docs' recipe labels clips
as earmark does; bad paths and a missing exporter get clear errors."""

from __future__ import annotations

import json
import re
import sys
import threading
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from click.testing import CliRunner

import earmark
from conftest import LABELS, SR, bass_note, drum_hit, room_noise, untrained_classifier
from earmark.classifier import Classifier
from earmark.cli import main
from earmark.errors import DependencyError, OutputError
from earmark.export import CLIP_RULE, ONNX_IR_VERSION, export_onnx, onnx_bytes
from earmark.features import FeatureConfig
from earmark.model import ArchSpec, build_model
from earmark.modelfile import Manifest
from test_studio_api import make_client

ROOT = Path(__file__).resolve().parents[1]


def default_network() -> Classifier:
    """earmark's default network as training leaves it (concept head and prior, hidden head layer),
    with seeded random weights: the graph the export must carry, without minutes of training."""
    torch.manual_seed(1)
    features = FeatureConfig(sample_rate=SR)
    arch = ArchSpec(concepts=("speech", "percussion", "bass family", "ambience"), head_hidden=32)
    model = build_model(n_classes=len(LABELS), features=features, arch=arch)
    with torch.no_grad():
        model.concept_map.copy_(torch.softmax(3 * torch.randn(4, len(LABELS)), dim=-1))
        for module in model.modules():  # running statistics away from 0 / 1, as after training
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    manifest = Manifest(labels=list(LABELS), features=features, arch=arch, window_s=1.0, hop_s=0.5,
                        background_label="background")
    return Classifier(model.eval(), manifest)


@pytest.fixture(scope="module", params=["trained tiny", "default network", "old pooling"])
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Classifier, Path]:
    if request.param == "trained tiny":
        clf = request.getfixturevalue("trained_classifier")
    elif request.param == "default network":
        clf = default_network()
    else:  # what model files of formats 1 to 3 were trained with
        clf = untrained_classifier(pooling="frequency-mean")
    path = export_onnx(clf, tmp_path_factory.mktemp("onnx") / "bass-drums.onnx")
    return clf, path


def real_clips(rng: np.random.Generator) -> list[np.ndarray]:
    return [bass_note(rng, duration_s=0.3), drum_hit(rng, duration_s=1.0), room_noise(rng, duration_s=1.7),
            np.concatenate([bass_note(rng, duration_s=1.2), np.zeros(SR // 2, np.float32),
                            drum_hit(rng, duration_s=1.5)])]


def test_exported_windows_score_as_earmark_does(exported: tuple[Classifier, Path]) -> None:
    clf, path = exported
    session = ort.InferenceSession(str(path))
    rng = np.random.default_rng(5)
    window = int(clf.window_s * clf.sample_rate)
    windows = np.stack([np.resize(clip, window) for clip in real_clips(rng)]
                       + [np.zeros(window, np.float32), np.clip(3 * room_noise(rng, duration_s=1.0), -1, 1)[:window]]
                       ).astype(np.float32)
    want = clf.score_windows(windows)
    for batch in (windows[:1], windows):  # any batch size
        got = session.run(["probabilities"], {"waveform": batch})[0]
        assert got.shape == (len(batch), len(clf.labels))
        np.testing.assert_allclose(got, want[: len(batch)], atol=1e-5)
    assert not np.allclose(want, want[0])  # the windows are told apart: the comparison means something


def test_the_file_describes_the_model(exported: tuple[Classifier, Path]) -> None:
    clf, path = exported
    session = ort.InferenceSession(str(path))
    meta = session.get_modelmeta()
    assert meta.producer_name == "earmark"
    assert onnx.load(str(path)).ir_version == ONNX_IR_VERSION == 8  # onnxruntime 1.14 and later load it
    fields = meta.custom_metadata_map
    assert json.loads(fields["earmark.labels"]) == clf.labels
    assert int(fields["earmark.sample_rate"]) == clf.sample_rate
    assert int(fields["earmark.window_samples"]) == round(clf.window_s * clf.sample_rate)
    assert float(fields["earmark.hop_s"]) == clf.manifest.hop_s
    assert fields["earmark.background_label"] == "background"
    assert fields["earmark.clip_rule"] == CLIP_RULE
    assert json.loads(fields["earmark.manifest"]) == json.loads(json.dumps(clf.manifest.to_dict()))
    [waveform] = session.get_inputs()
    [probabilities] = session.get_outputs()
    window = round(clf.window_s * clf.sample_rate)
    assert (waveform.name, waveform.type, waveform.shape[1]) == ("waveform", "tensor(float)", window)
    assert (probabilities.name, probabilities.shape[1]) == ("probabilities", len(clf.labels))
    assert isinstance(waveform.shape[0], str)  # the batch dimension is free


def _recipe() -> str:
    """The first Python block of docs/deploy.md: the clip rule a deployment copies."""
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)[0]


def test_the_deploy_docs_recipe_labels_clips_as_earmark_does(exported: tuple[Classifier, Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    clf, path = exported
    monkeypatch.chdir(path.parent)  # the recipe opens "bass-drums.onnx"
    namespace: dict[str, object] = {}
    exec(compile(_recipe(), "docs/deploy.md", "exec"), namespace)  # noqa: S102 - our own docs, under test
    classify = namespace["classify"]
    assert callable(classify)
    for clip in real_clips(np.random.default_rng(8)):
        want = clf.predict(clip, sample_rate=SR).probabilities
        got = classify(clip)
        assert list(got) == list(want)
        np.testing.assert_allclose(list(got.values()), list(want.values()), atol=1e-4)


def test_a_failed_export_leaves_the_old_file_and_says_what_to_install(trained_classifier: Classifier, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "model.onnx"
    target.write_bytes(b"the export before")
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # as if it were not installed
    with pytest.raises(DependencyError, match=r"needs the onnxscript package: pip install onnx onnxscript"):
        export_onnx(trained_classifier, target)
    assert target.read_bytes() == b"the export before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]
    monkeypatch.undo()
    with pytest.raises(OutputError, match="it is a folder; give a file name"):
        earmark.export_onnx(trained_classifier, tmp_path)


def test_export_leaves_the_model_as_it_was(trained_classifier: Classifier) -> None:
    before = {k: v.clone() for k, v in trained_classifier.model.state_dict().items()}
    window = np.resize(bass_note(np.random.default_rng(2)), SR)[None]
    scores = trained_classifier.score_windows(window)
    onnx_bytes(trained_classifier)
    after = trained_classifier.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not trained_classifier.model.training
    np.testing.assert_array_equal(trained_classifier.score_windows(window), scores)


def test_cli_export(trained_classifier: Classifier, tmp_path: Path) -> None:
    model = trained_classifier.save(tmp_path / "m.earmark")
    out = tmp_path / "deploy" / "m.onnx"
    result = CliRunner().invoke(main, ["export", str(model), "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert re.search(rf"wrote .*m\.onnx .*\(batch, {SR}\), mono at {SR} Hz.*{', '.join(LABELS)}", result.stdout)
    assert ort.InferenceSession(str(out)).get_outputs()[0].shape[1] == len(LABELS)

    for args, message in [(["export", str(model), "--out", str(tmp_path)], "it is a folder; give a file name"),
                          (["export", str(tmp_path / "none.earmark"), "--out", str(out)], "no such model file"),
                          (["export", str(out), "--out", str(tmp_path / "x.onnx")], r"not an earmark model")]:
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert re.search(message, result.stderr), result.stderr
    assert not (tmp_path / "x.onnx").exists()


def test_studio_serves_the_onnx_export(trained_classifier: Classifier, tmp_path: Path) -> None:
    root = tmp_path / "projects"
    project = earmark.Project.create(root / "band")
    trained_classifier.save(project.models_dir / "first.earmark")
    with make_client(root) as client:
        info = client.get("/api/projects/band/models/first").json()
        assert info["onnx_url"] == "/api/projects/band/models/first/onnx"
        response = client.get(info["onnx_url"])
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers["content-disposition"] == 'attachment; filename="band-first.onnx"'
        session = ort.InferenceSession(response.content)
        assert json.loads(session.get_modelmeta().custom_metadata_map["earmark.labels"]) == list(LABELS)
        missing = client.get("/api/projects/band/models/nope/onnx")
        assert missing.status_code == 404 and missing.json()["error"]["type"] == "NotFoundError"


def test_exports_at_once_wait_for_each_other(trained_classifier: Classifier) -> None:
    """Two downloads at once (the studio serves each in a thread): torch.export keeps global state,
    so the second used to fail with the first; both now give the same file."""
    results: list[bytes | BaseException] = []

    def export() -> None:
        try:
            results.append(onnx_bytes(trained_classifier))
        except BaseException as exc:  # noqa: BLE001 - reported below
            results.append(exc)

    threads = [threading.Thread(target=export) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(r, bytes) for r in results), results
    assert results[0] == results[1]


def test_onnxruntime_loads_the_file_without_a_word(exported: tuple[Classifier, Path],
                                                   capfd: pytest.CaptureFixture[str]) -> None:
    """Constants are folded at export: onnxruntime used to warn, on every load, about CastLike
    nodes it could not fold and initializers nothing used."""
    _, path = exported
    capfd.readouterr()
    ort.InferenceSession(str(path))
    assert "onnxruntime" not in capfd.readouterr().err
