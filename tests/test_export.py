"""ONNX export for deployment: the exported graph, run by onnxruntime as a deployment would, gives
what earmark gives on the same audio; its metadata describes it; the docs' recipe labels clips
as earmark does; bad paths and a missing exporter get clear errors."""

from __future__ import annotations

import io
import json
import re
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from click.testing import CliRunner
from fastapi.testclient import TestClient

import earmark
from conftest import LABELS, SR, bass_note, drum_hit, room_noise, untrained_classifier
from earmark.classifier import Classifier
from earmark.cli import main
from earmark.errors import DependencyError, OutputError, ParameterError
from earmark.export import (
    CLIP_RULE,
    ONNX_IR_VERSION,
    ORT_WEB_FILES,
    ORT_WEB_URL,
    ORT_WEB_VERSION,
    export_onnx,
    export_web,
    onnx_bytes,
    web_zip,
)
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
    manifest = json.loads(json.dumps(clf.manifest.to_dict()))
    manifest["dataset"].pop("train_fingerprints", None)  # not in a file made to be shared (see export._shareable)
    assert json.loads(fields["earmark.manifest"]) == manifest
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
    before = b"\x08\x08\x12\x07pytorch the export before"  # an ONNX file's first fields (ir_version, producer)
    target.write_bytes(before)
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # as if it were not installed
    with pytest.raises(DependencyError, match=r"needs the onnxscript package: pip install onnx onnxscript"):
        export_onnx(trained_classifier, target)
    assert target.read_bytes() == before
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


@pytest.fixture
def band_studio(trained_classifier: Classifier, tmp_path: Path) -> Iterator[TestClient]:
    """A studio (in-process) with a project "band" holding the trained model as "first"."""
    root = tmp_path / "projects"
    project = earmark.Project.create(root / "band")
    trained_classifier.save(project.models_dir / "first.earmark")
    with make_client(root) as client:
        yield client


def test_studio_serves_the_onnx_export(band_studio: TestClient) -> None:
    client = band_studio
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


# -- the web page (earmark export --web); tests/browser/test_web_export.py runs it in Chromium -------------

WEB_FILES = {"index.html", "earmark.js", "earmark-capture.js", "README.md", "model.json", "model.onnx"}


def test_export_web_writes_a_page_with_everything_it_needs(trained_classifier: Classifier, tmp_path: Path) -> None:
    folder = export_web(trained_classifier, tmp_path / "site" / "bass-drums", name="My band")
    assert {p.name for p in folder.iterdir()} == WEB_FILES
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no staging folder left
    info = json.loads((folder / "model.json").read_text())
    clf = trained_classifier
    assert info["format"] == "earmark-web" and info["version"] == 1 and info["name"] == "My band"
    assert info["labels"] == clf.labels and info["background_label"] == "background"
    assert info["sure_level"] == (None if clf.sure_level is None else round(clf.sure_level, 4))
    assert (info["sample_rate"], info["window_samples"]) == (clf.sample_rate, clf.window_samples)
    # the hop the library's clip rule uses (earmark.audio's window framing)
    _, starts = earmark.audio.frame_windows(np.zeros(3 * clf.window_samples, np.float32),
                                            sample_rate=clf.sample_rate, window_s=clf.window_s,
                                            hop_s=clf.manifest.hop_s)
    assert info["hop_samples"] == round((starts[1] - starts[0]) * clf.sample_rate)  # starts in seconds
    assert ort.InferenceSession(str(folder / info["onnx"])).get_inputs()[0].shape[1] == clf.window_samples
    html = (folder / "index.html").read_text()
    importmap = json.loads(re.search(r'<script type="importmap">(.*?)</script>', html).group(1))
    assert importmap == {"imports": {"onnxruntime-web": ORT_WEB_URL}}
    for name in ("index.html", "earmark.js", "README.md"):
        assert "{{" not in (folder / name).read_text(), name
    readme = (folder / "README.md").read_text()
    assert ORT_WEB_VERSION in readme and all(f"`{name}`" in readme for name in ORT_WEB_FILES)  # to host a copy
    assert (folder / "index.html").stat().st_mode & 0o044 == 0o044  # others can read what a web server serves


def test_export_web_pins_the_runtime_the_browser_tests_run() -> None:
    package = json.loads((ROOT / "tests" / "browser" / "web-runtime" / "package.json").read_text())
    lock = json.loads((ROOT / "tests" / "browser" / "web-runtime" / "package-lock.json").read_text())
    assert package["dependencies"]["onnxruntime-web"] == ORT_WEB_VERSION
    assert lock["packages"]["node_modules/onnxruntime-web"]["version"] == ORT_WEB_VERSION
    assert f"onnxruntime-web@{ORT_WEB_VERSION}/" in ORT_WEB_URL


def test_export_web_can_load_the_runtime_from_beside_the_page(trained_classifier: Classifier, tmp_path: Path) -> None:
    folder = export_web(trained_classifier, tmp_path / "offline", runtime_url="./ort.wasm.min.mjs")
    assert '{"onnxruntime-web": "./ort.wasm.min.mjs"}' in (folder / "index.html").read_text()


def test_export_web_never_touches_a_folder_with_files(trained_classifier: Classifier, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "index.html").write_text("my own page")
    with pytest.raises(OutputError, match="the folder is not empty; give a new folder"):
        export_web(trained_classifier, folder)
    assert [p.name for p in folder.iterdir()] == ["index.html"] and (folder / "index.html").read_text() == "my own page"
    # an empty folder is filled, not replaced: its permissions stay, and so does a shell inside it
    empty = tmp_path / "empty"
    empty.mkdir()
    empty.chmod(0o750)
    before = empty.stat()
    assert {p.name for p in export_web(trained_classifier, empty).iterdir()} == WEB_FILES
    after = empty.stat()
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    a_file = tmp_path / "page.html"
    a_file.write_text("x")
    with pytest.raises(OutputError, match="page.html"):
        export_web(trained_classifier, a_file)
    assert a_file.read_text() == "x"
    for bad in ["javascript:alert(1)", 'https://x.org/ort.mjs"></script>', "ort.mjs", "", 3, "./ort\x01.mjs",
                "//elsewhere.example/ort.mjs", "https:///ort.mjs", "./ört.mjs"]:
        with pytest.raises(ParameterError, match="runtime address"):
            export_web(trained_classifier, tmp_path / "never", runtime_url=bad)  # type: ignore[arg-type]
    assert not (tmp_path / "never").exists()


def test_export_web_into_the_working_folder(trained_classifier: Classifier, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """`earmark export M --web .` in an empty folder: "." is that folder, not a name in it."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    export_web(trained_classifier, ".")
    assert {p.name for p in here.iterdir()} == WEB_FILES and [p.name for p in tmp_path.iterdir()] == ["here"]


def test_export_web_leaves_nothing_when_it_fails(trained_classifier: Classifier, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while writing (a full disk) leaves no half-made page and no staging folder."""
    real = Path.write_bytes

    def full_disk(self: Path, data: bytes) -> int:
        if self.name == "model.onnx":
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    with pytest.raises(OutputError, match="No space left on device"):
        export_web(trained_classifier, tmp_path / "site")
    assert list(tmp_path.iterdir()) == []

    # an empty folder of the user's is filled in place: a failure empties it again
    real_open = open

    def full_disk_open(path: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if str(path).endswith("model.onnx") and "x" in mode:
            raise OSError(28, "No space left on device")
        return real_open(path, mode, *args, **kwargs)  # type: ignore[call-overload]

    mine = tmp_path / "mine"
    mine.mkdir()
    monkeypatch.setattr("builtins.open", full_disk_open)
    with pytest.raises(OutputError, match="No space left on device"):
        export_web(trained_classifier, mine)
    assert list(mine.iterdir()) == []


def test_web_zip_holds_one_folder(trained_classifier: Classifier) -> None:
    with zipfile.ZipFile(io.BytesIO(web_zip(trained_classifier, name="bass & drums / live"))) as archive:
        names = archive.namelist()
        assert {n.split("/", 1)[0] for n in names} == {"bass-drums-live"}
        assert {n.split("/", 1)[1] for n in names} == WEB_FILES
        assert json.loads(archive.read("bass-drums-live/model.json"))["name"] == "bass & drums / live"
    with zipfile.ZipFile(io.BytesIO(web_zip(trained_classifier, name="band", folder="band-first/web"))) as archive:
        assert {n.split("/", 1)[0] for n in archive.namelist()} == {"band-first-web"}
        assert json.loads(archive.read("band-first-web/model.json"))["name"] == "band"


def test_cli_export_web(trained_classifier: Classifier, tmp_path: Path) -> None:
    model = trained_classifier.save(tmp_path / "bass-drums.earmark")
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["export", str(model), "--web", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "python3 -m http.server -d" in result.stdout
    listed = re.search(r"/ \(([^)]*)\)", result.stdout)  # the message names every file written, and only those
    assert listed is not None and sorted(listed[1].split(", ")) == sorted(p.name for p in out.iterdir())
    assert json.loads((out / "model.json").read_text())["name"] == "bass-drums"  # the model file's name
    help_text = " ".join(CliRunner().invoke(main, ["export", "--help"]).stdout.split())
    assert all(file.replace("-", "- ") in help_text or file in help_text for file in listed[1].split(", "))
    again = CliRunner().invoke(main, ["export", str(model), "--web", str(out), "--name", "x"])
    assert again.exit_code == 1 and "not empty" in again.stderr and "Traceback" not in again.output
    blank = CliRunner().invoke(main, ["export", str(model), "--web", str(tmp_path / "x"), "--runtime-url", ""])
    assert blank.exit_code == 1 and "the runtime address" in blank.stderr  # not quietly the CDN
    for args, message in [([], "give --out FILE.onnx for an ONNX file, or --web FOLDER"),
                          (["--out", "a.onnx", "--web", "b"], "one of them"),
                          (["--out", "a.onnx", "--name", "x"], "--name and --runtime-url go with --web")]:
        result = CliRunner().invoke(main, ["export", str(model), *args])
        assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "a.onnx").exists() and not (tmp_path / "b").exists()


def test_studio_serves_the_web_page(band_studio: TestClient) -> None:
    client = band_studio
    info = client.get("/api/projects/band/models/first").json()
    assert info["web_url"] == "/api/projects/band/models/first/web"
    response = client.get(info["web_url"])
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="band-first-web.zip"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert {n.split("/", 1)[1] for n in archive.namelist()} == WEB_FILES
        # the folder inside is named as the zip, after the model: two models unpack side by side
        assert {n.split("/", 1)[0] for n in archive.namelist()} == {"band-first-web"}
        assert archive.read("band-first-web/model.onnx") == client.get(info["onnx_url"]).content
        # titled with the model's name, as `earmark export` titles it (not the owner's project name)
        assert json.loads(archive.read("band-first-web/model.json"))["name"] == "first"
    missing = client.get("/api/projects/band/models/nope/web")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "NotFoundError"


def test_a_full_disk_says_to_free_space(trained_classifier: Classifier, tmp_path: Path) -> None:
    """/dev/full answers every write with ENOSPC, as a full disk does."""
    from earmark.atomic import cannot_write  # what export_web raises its write errors with

    try:
        with open("/dev/full", "wb") as fh:
            fh.write(b"x")
            fh.flush()
    except OSError as exc:
        full = exc
    error = cannot_write(tmp_path / "site", full)
    assert re.fullmatch(r"cannot write .*site: No space left on device; free some space on that disk, or choose "
                        r"another folder", str(error))
