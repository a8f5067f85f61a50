"""The ``earmark`` command, end to end: one tiny model trained once, then every command on it.

In-process with click's runner (``catch_exceptions=False``, so anything but a clean exit is a
test error with its traceback), plus a few real subprocess runs for the entry point, its exit
codes and its raw output bytes. Every bad input must end in one line on stderr that names the
problem and what to do, a non-zero exit, and nothing half-written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from click.testing import CliRunner, Result
from safetensors.numpy import save_file

import earmark
from conftest import untrained_classifier, wait_for_output, write_dataset
from earmark.cli import main
from earmark.dataset import load_dataset
from earmark.project import Project

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EARMARK = Path(sys.executable).with_name("earmark")


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def assert_clean_error(result: Result, match: str, *, exit_code: int = 1) -> None:
    """Non-zero exit, no traceback, and one line on stderr that matches ``match``."""
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert re.search(match, lines[0]), lines[0]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def leftovers(folder: Path) -> list[Path]:
    """Temporary or probe files that a crash-safe writer must never leave behind."""
    return [p for p in folder.rglob(".*") if p.is_file()]


def make_zip(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as zf:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                zf.write(f, Path(folder.name) / f.relative_to(folder))
    return target


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, small_dataset: Path) -> tuple[Path, Result]:
    out = tmp_path_factory.mktemp("model") / "tiny.earmark"
    result = run("train", small_dataset, "--out", out, "--arch", "tiny", "--epochs", 2, "--steps-per-epoch", 2,
                 "--batch-size", 16)
    return out, result


@pytest.fixture(scope="module")
def model(trained: tuple[Path, Result]) -> Path:
    path, result = trained
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory, small_testset: Path) -> Path:
    """About 4.7 s: room tone, a bass note, a drum hit, another bass note, end to end."""
    names = ["_background_noise_/background_000.wav", "bass/bass_000.wav", "drums/drums_000.wav",
             "bass/bass_001.wav"]
    pieces = [sf.read(small_testset / n, dtype="float32") for n in names]
    path = tmp_path_factory.mktemp("recording") / "take.wav"
    sf.write(path, np.concatenate([y for y, _ in pieces]), pieces[0][1], subtype="PCM_16")
    return path


def _write_short(path: Path) -> None:
    sf.write(path, np.zeros(220, np.float32), 22050)  # 10 ms


BAD_AUDIO = {
    "not_audio.wav": (lambda p: p.write_text("this is a text file\n"), r"could not be decoded as audio.*convert it"),
    "empty.wav": (lambda p: p.write_bytes(b""), r"the file is empty \(0 bytes\); record or export it again"),
    "short.wav": (_write_short, r"is 10 ms long; earmark needs at least 50 ms"),
    "missing.wav": (None, r"no such file; check the path"),
}


@pytest.fixture(params=sorted(BAD_AUDIO))
def bad_audio(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    make, match = BAD_AUDIO[request.param]
    path = tmp_path / "in" / request.param
    path.parent.mkdir()
    if make is not None:
        make(path)
    return path, match


# -- train -----------------------------------------------------------------------------------------


def test_train_writes_a_model_and_reports_validation(trained: tuple[Path, Result]) -> None:
    path, result = trained
    assert result.exit_code == 0, result.output
    assert "36 clips (background 12, bass 12, drums 12); training tiny for 2 epochs" in result.stderr
    assert "validation (held out by recording" in result.stdout
    assert f"model written to {path}" in result.stdout
    assert path.stat().st_size > 1000
    assert leftovers(path.parent) == []


def test_train_from_a_zip_with_json(tmp_path: Path, small_dataset: Path) -> None:
    archive = make_zip(small_dataset, tmp_path / "sounds.zip")
    out = tmp_path / "zipped.earmark"
    result = run("train", archive, "--out", out, "--arch", "tiny", "--epochs", 1, "--steps-per-epoch", 1,
                 "--batch-size", 8, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # exactly one JSON object, nothing else on stdout
    assert report["model"] == str(out)
    assert report["validation"]["labels"] == ["background", "bass", "drums"]
    assert len(report["history"]) == 1
    assert out.exists()


def test_train_on_a_studio_project_export(tmp_path: Path, small_dataset: Path, small_testset: Path) -> None:
    """``earmark train band.zip`` on the studio's export trains on its samples, as on the project folder."""
    project = Project.create(tmp_path / "band")
    shutil.copytree(small_dataset, project.samples_dir, dirs_exist_ok=True)
    shutil.copytree(small_testset / "bass", project.test_dir / "bass")
    archive = project.export_zip(tmp_path / "band.zip")
    result = _train_quick(archive, tmp_path / "m.earmark")
    assert result.exit_code == 0, result.output
    assert "36 clips (background 12, bass 12, drums 12); training tiny" in result.stderr
    # and earmark evaluate on the same zip scores its test set (the 3 bass test clips), not its samples
    scored = run("evaluate", tmp_path / "m.earmark", archive, "--json")
    assert scored.exit_code == 0, scored.output
    report = json.loads(scored.stdout)
    assert report["n_clips"] == len(list((project.test_dir / "bass").iterdir())) and report["seen_in_training"] == []


def test_train_warns_about_the_same_sound_under_two_classes(tmp_path: Path, small_dataset: Path) -> None:
    data = shutil.copytree(small_dataset, tmp_path / "data")
    shutil.copy(data / "bass" / "bass_000.wav", data / "drums" / "copied.wav")
    shutil.copy(data / "drums" / "drums_003.wav", data / "drums" / "drums_003-2.wav")  # uploaded twice
    out = tmp_path / "m.earmark"
    result = run("train", data, "--out", out, "--arch", "tiny", "--epochs", 1, "--steps-per-epoch", 1,
                 "--batch-size", 8)
    assert result.exit_code == 0, result.output
    warning = re.search(r"warning: The same sound was trained on under two classes once \(bass/bass_000\.wav = "
                        r"drums/copied\.wav\): .*keep each recording in one class", result.stderr)
    assert warning and warning.start() < result.stderr.index("training tiny"), "said before the training"
    assert re.search(r"warning: The same sound twice in one class, once \(drums/drums_003-2\.wav = "
                     r"drums/drums_003\.wav\): .*delete the copies", result.stderr), result.stderr
    quiet = run("train", small_dataset, "--out", tmp_path / "q.earmark", "--arch", "tiny", "--epochs", 1,
                "--steps-per-epoch", 1, "--batch-size", 8, "--json")
    assert json.loads(quiet.stdout)["warnings"] == []


def test_train_a_project_on_its_samples_never_its_test_set(tmp_path: Path, small_dataset: Path) -> None:
    project = Project.create(tmp_path / "band")
    shutil.rmtree(project.samples_dir)
    shutil.copytree(small_dataset, project.samples_dir)
    write_dataset(project.test_dir, per_class=2, seed=5)
    shutil.copytree(project.test_dir / "bass", project.test_dir / "guitar")  # a class only the test set has
    out = tmp_path / "band.earmark"
    result = run("train", project.root, "--out", out, "--arch", "tiny", "--epochs", 1, "--steps-per-epoch", 1,
                 "--batch-size", 8, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["validation"]["labels"] == ["background", "bass", "drums"]
    seen = earmark.load(out).manifest.train_fingerprints or set()
    held_out = load_dataset(project.test_dir, sample_rate=earmark.load(out).sample_rate)
    assert seen and not seen & {c.fingerprint for c in held_out.clips}, "no test clip was trained on"


@pytest.mark.slow
def test_train_keeps_the_backbone_frozen_unless_told_to_tune_it(tmp_path: Path, small_dataset: Path) -> None:
    quick = ("--epochs", 1, "--steps-per-epoch", 1, "--batch-size", 8)
    frozen, tuned = tmp_path / "frozen.earmark", tmp_path / "tuned.earmark"
    assert run("train", small_dataset, "--out", frozen, *quick).exit_code == 0
    assert run("train", small_dataset, "--out", tuned, "--tune-backbone", *quick).exit_code == 0
    a, b = earmark.load(frozen).manifest, earmark.load(tuned).manifest
    assert a.training["freeze_backbone"] is True and "speech" in a.arch.concepts
    assert b.training["freeze_backbone"] is False and b.arch.concepts == ()
    assert (a.training["learning_rate"], b.training["learning_rate"]) == (0.003, 0.001)
    assert (a.arch.head_hidden, b.arch.head_hidden) == (128, 0)  # a hidden head layer only on the frozen one
    linear = tmp_path / "linear.earmark"
    assert run("train", small_dataset, "--out", linear, "--head-hidden", 0, *quick).exit_code == 0
    assert earmark.load(linear).manifest.arch.head_hidden == 0


def test_train_refuses_bad_settings(tmp_path: Path, small_dataset: Path) -> None:
    result = run("train", small_dataset, "--out", tmp_path / "m.earmark", "--epochs", 0)
    assert_clean_error(result, r"epochs must be at least 1, got 0")
    result = run("train", small_dataset, "--out", tmp_path / "m.earmark", "--head-hidden", -1)
    assert_clean_error(result, r"head_hidden must be 0 \(a linear head\) to 4096, got -1")
    assert list(tmp_path.iterdir()) == []


def test_train_refuses_an_unknown_or_unfitting_backbone(tmp_path: Path, small_dataset: Path) -> None:
    result = run("train", small_dataset, "--out", tmp_path / "m.earmark", "--backbone", "imagenet")
    assert_clean_error(result, r"unknown backbone 'imagenet'; choose one of \['auto', 'none', 'gm-families-v4'\]")
    result = run("train", small_dataset, "--out", tmp_path / "m.earmark", "--arch", "tiny",
                 "--backbone", "gm-families-v4")
    assert_clean_error(result, r"pretrained for the 'cnn' network .* earmark train --backbone none\)")
    result = run("train", small_dataset, "--out", tmp_path / "m.earmark", "--arch", "tiny", "--tune-backbone")
    assert_clean_error(result, r"--tune-backbone fine-tunes the pretrained backbone, which this run does not "
                               r"start from \(the 'tiny' network trains from scratch\); leave it out")
    assert list(tmp_path.iterdir()) == []


def test_train_without_out_is_a_usage_error(small_dataset: Path) -> None:
    result = run("train", small_dataset)
    assert result.exit_code == 2
    assert "Missing option '--out'" in result.stderr


def _dataset(root: Path, source: Path, counts: dict[str, int]) -> Path:
    """A copy of ``source`` with ``counts[label]`` files per class folder (0: an empty folder)."""
    for folder, n in counts.items():
        (root / folder).mkdir(parents=True)
        for f in sorted((source / folder).glob("*.wav"))[:n]:
            shutil.copy(f, root / folder / f.name)
    return root


BAD_DATASETS = {
    "one_sample": ({"background": 12, "bass": 1, "drums": 12}, r"class 'bass' has 1 clip; add at least 5"),
    "one_class": ({"bass": 12}, r"found only the class 'bass' in .*; add at least two class folders"),
    "no_background": ({"bass": 12, "drums": 12}, r"no background class .*add a folder named 'background'"),
}


def _train_quick(data: Path, out: Path) -> Result:
    return run("train", data, "--out", out, "--arch", "tiny", "--epochs", 1, "--steps-per-epoch", 1,
               "--batch-size", 8)


@pytest.mark.parametrize("case", sorted(BAD_DATASETS))
def test_train_refuses_datasets_it_cannot_learn(case: str, tmp_path: Path, small_dataset: Path) -> None:
    counts, match = BAD_DATASETS[case]
    data = _dataset(tmp_path / "data", small_dataset, counts)
    out = tmp_path / "models" / "m.earmark"
    assert_clean_error(_train_quick(data, out), match)
    assert not (tmp_path / "models").exists()


def test_train_refuses_an_empty_class_folder(tmp_path: Path, small_dataset: Path) -> None:
    data = _dataset(tmp_path / "data", small_dataset, {"background": 12, "bass": 0, "drums": 12})
    out = tmp_path / "models" / "m.earmark"
    assert_clean_error(_train_quick(data, out), r"'bass'")
    assert not out.exists()


def test_train_refuses_a_class_that_is_one_sound_copied(tmp_path: Path, small_dataset: Path) -> None:
    """Six copies of one clap reach the clip count but teach one sound: refused before training (not
    warned about and then refused as 'too little audio'), saying to add different recordings."""
    data = shutil.copytree(small_dataset, tmp_path / "data")
    (data / "clap").mkdir()
    clap = (0.3 * np.random.default_rng(5).standard_normal(4000) * np.exp(-np.arange(4000) / 400)).astype(np.float32)
    sf.write(data / "clap" / "clap.wav", clap, 16000, subtype="PCM_16")
    for i in range(1, 6):
        shutil.copy(data / "clap" / "clap.wav", data / "clap" / f"clap-{i}.wav")
    out = tmp_path / "models" / "m.earmark"
    assert_clean_error(_train_quick(data, out), r"^Error: class 'clap' is one sound copied 6 times; add at least 5 "
                                                r"different recordings \(or one longer recording\)")
    assert not (tmp_path / "models").exists()


def test_train_refuses_bad_dataset_paths(tmp_path: Path, small_testset: Path) -> None:
    out = tmp_path / "models" / "m.earmark"
    assert_clean_error(_train_quick(tmp_path / "nowhere", out), r"nowhere: no such folder; check the path")
    a_file = small_testset / "bass" / "bass_000.wav"
    assert_clean_error(_train_quick(a_file, out), r"is not a folder or a \.zip; give a folder")
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    assert_clean_error(_train_quick(tmp_path / "broken.zip", out), r"not a readable zip file .*re-create the zip")
    assert not (tmp_path / "models").exists()


def _evil_zip(path: Path, small_testset: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for label in ("background", "bass", "drums"):
            folder = "_background_noise_" if label == "background" else label
            for f in sorted((small_testset / folder).glob("*.wav")):
                zf.write(f, f"{folder}/{f.name}")
        zf.writestr("../evil.wav", b"RIFF")
    return path


def test_train_refuses_a_zip_that_escapes_its_folder(tmp_path: Path, small_testset: Path) -> None:
    (tmp_path / "zips").mkdir()
    archive = _evil_zip(tmp_path / "zips" / "evil.zip", small_testset)
    result = _train_quick(archive, tmp_path / "m.earmark")
    assert_clean_error(result, r"unsafe member name '\.\./evil\.wav'; refusing to extract")
    assert not (tmp_path / "evil.wav").exists()
    assert not (tmp_path / "m.earmark").exists()


def test_zip_datasets_leave_no_temporary_folders(tmp_path: Path, small_testset: Path, model: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    archive = make_zip(small_testset, tmp_path / "test.zip")
    assert run("evaluate", model, archive).exit_code == 0
    assert _train_quick(_evil_zip(tmp_path / "evil.zip", small_testset), tmp_path / "m.earmark").exit_code == 1
    assert list(temp.iterdir()) == []


@pytest.mark.parametrize("where", ["under_a_file", "a_folder"])
def test_train_refuses_an_unwritable_output_before_training(where: str, tmp_path: Path,
                                                            small_dataset: Path) -> None:
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "m.earmark" if where == "under_a_file" else tmp_path
    result = run("train", small_dataset, "--out", out)
    assert_clean_error(result, r"cannot write .*(afile is a file, not a folder|it is a folder)")
    assert "training" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


# -- evaluate and compare --------------------------------------------------------------------------


def test_evaluate_prints_a_report(model: Path, small_testset: Path) -> None:
    result = run("evaluate", model, small_testset)
    assert result.exit_code == 0, result.output
    assert re.search(r"accuracy \d+\.\d%   macro-F1 \d\.\d{3}   \(18 clips\)", result.stdout)
    assert "confusion (rows = true, columns = predicted)" in result.stdout
    for label in ("background", "bass", "drums"):
        assert re.search(rf"^{label}\s+\d", result.stdout, re.MULTILINE)


def test_evaluate_json_is_one_object(model: Path, small_testset: Path) -> None:
    result = run("evaluate", model, small_testset, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"accuracy", "macro_f1", "per_class", "confusion", "misclassified"} <= set(report)
    labels = report["confusion"]["labels"]
    matrix = np.array(report["confusion"]["matrix"])
    assert labels == ["background", "bass", "drums"]
    assert matrix.shape == (3, 3) and matrix.sum() == 18 and list(matrix.sum(axis=1)) == [6, 6, 6]
    assert report["accuracy"] == pytest.approx(np.trace(matrix) / 18, abs=1e-4)
    assert set(report["per_class"]) == set(labels)
    assert all({"precision", "recall", "f1", "support"} <= set(v) for v in report["per_class"].values())
    assert len(report["misclassified"]) == 18 - np.trace(matrix)
    assert all(m["true"] != m["predicted"] and m["file"].endswith(".wav") for m in report["misclassified"])


def test_evaluate_on_the_training_set_says_so(model: Path, small_dataset: Path, small_testset: Path) -> None:
    """Scoring a model on what it learnt from: the report names those clips and warns, in text and JSON."""
    report = json.loads(run("evaluate", model, small_dataset, "--json").stdout)
    assert report["seen_in_training"] and all(f.endswith(".wav") for f in report["seen_in_training"])
    assert any("audio the model was trained on" in w for w in report["warnings"])
    text = run("evaluate", model, small_dataset).stdout
    assert f"warning: {len(report['seen_in_training'])} of the 36 test clips are audio the model was trained on" in text
    assert json.loads(run("evaluate", model, small_testset, "--json").stdout)["seen_in_training"] == []


def test_evaluate_a_zip_like_its_folder(tmp_path: Path, model: Path, small_testset: Path) -> None:
    archive = make_zip(small_testset, tmp_path / "test.zip")
    from_folder = json.loads(run("evaluate", model, small_testset, "--json").stdout)
    from_zip = json.loads(run("evaluate", model, archive, "--json").stdout)
    assert from_zip["confusion"] == from_folder["confusion"]
    assert from_zip["accuracy"] == from_folder["accuracy"]


def test_evaluate_and_compare_a_project_on_its_test_set(tmp_path: Path, model: Path, small_testset: Path) -> None:
    project = Project.create(tmp_path / "band")
    assert_clean_error(run("evaluate", model, project.root), "has no test set yet")
    for label in ("bass", "drums"):
        project.add_class(label)
    shutil.copytree(small_testset / "_background_noise_", project.test_dir / "background")
    for label in ("bass", "drums"):
        shutil.copytree(small_testset / label, project.test_dir / label)
    report = json.loads(run("evaluate", model, project.root, "--json").stdout)
    plain = json.loads(run("evaluate", model, small_testset, "--json").stdout)
    assert (report["confusion"], report["n_clips"], report["split_recordings"]) == (plain["confusion"], 18, [])
    shutil.copy(small_testset / "bass" / "bass_000.wav", project.class_dir("bass") / "take_nohash_000.wav")
    shutil.copy(small_testset / "bass" / "bass_001.wav", project.test_dir / "bass" / "take_nohash_001.wav")
    text = run("evaluate", model, project.root).stdout
    assert "1 test clip (bass/take_nohash_001.wav) comes from recordings whose other clips are training samples" \
        in text
    assert "warning: 1 test clip (bass/take_nohash_001.wav) comes from recordings" in \
        run("compare", model, model, project.root).stdout
    both = json.loads(run("compare", model, model, project.root, "--json").stdout)
    assert [m["split_recordings"] for m in both["models"]] == [["bass/take_nohash_001.wav"]] * 2
    # a class renamed since the model was trained is scored under its new name
    project.rename_class("bass", to="electric bass")
    renamed = json.loads(run("evaluate", model, project.root, "--json").stdout)
    assert renamed["confusion"]["labels"] == ["background", "electric bass", "drums"]
    assert renamed["confusion"]["matrix"] == json.loads(run("compare", model, model, project.root, "--json").stdout)[
        "models"][0]["confusion"]["matrix"]


def test_evaluate_refuses_classes_the_model_does_not_know(tmp_path: Path, model: Path,
                                                          small_testset: Path) -> None:
    data = tmp_path / "test"
    shutil.copytree(small_testset / "bass", data / "guitar")
    assert_clean_error(run("evaluate", model, data), r"classes the model does not know: 'guitar';")


def test_compare_two_models(tmp_path: Path, model: Path, small_testset: Path) -> None:
    other = untrained_classifier(labels=("background", "bass", "drums")).save(tmp_path / "other.earmark")
    text = run("compare", model, other, small_testset)
    assert text.exit_code == 0, text.output
    assert re.search(r"^\s+tiny\.earmark\s+other\.earmark$", text.stdout, re.MULTILINE)
    assert re.search(r"^wrong only with tiny\.earmark: \d+   wrong only with other\.earmark: \d+$", text.stdout,
                     re.MULTILINE)
    assert "same model" not in text.stdout
    as_json = json.loads(run("compare", model, other, small_testset, "--json").stdout)
    assert as_json["test_set"] == str(small_testset)
    a, b = as_json["models"]
    assert (a["model"], b["model"]) == (str(model), str(other))
    assert as_json["same_model"] is False


@pytest.mark.parametrize("how", ["twice", "a copy"])
def test_compare_a_model_with_itself_says_so_and_scores_it_once(how: str, tmp_path: Path, model: Path,
                                                                small_testset: Path) -> None:
    """`earmark compare M M TEST_DIR` (or M and a copy of it) printed two equal columns and ended in
    'wrong only with M: 0   wrong only with M: 0'."""
    other = model if how == "twice" else shutil.copy(model, tmp_path / "copy.earmark")
    result = run("compare", model, other, small_testset)
    assert result.exit_code == 0, result.output
    said = (f"{model} is given twice" if how == "twice" else
            f"{model} and {other} are the same model (their weights are identical)")
    first, blank, *report = result.stdout.splitlines()
    assert first == (f"{said}: there is nothing to compare; give two different models. "
                     "Its scores on this test set, as earmark evaluate prints them:")
    assert blank == "" and "wrong only with" not in result.stdout
    assert "\n".join(report) == run("evaluate", model, small_testset).stdout.rstrip("\n")
    as_json = json.loads(run("compare", model, other, small_testset, "--json").stdout)
    assert as_json["same_model"] is True and as_json["wrong_only_with_a"] == as_json["wrong_only_with_b"] == []


@pytest.mark.parametrize("clip", [[], ["--clip-s", "1"]])
def test_compare_asks_the_library_whether_two_files_are_one_model(clip: list[str], tmp_path: Path, model: Path,
                                                                  small_testset: Path) -> None:
    """The CLI decided 'same model' itself, by weights and labels alone: a copy with another window was
    'the same model'. The library decides now (before scoring the second), with or without --clip-s."""
    said = f"{model} is given twice: there is nothing to compare; give two different models."
    assert run("compare", model, model, small_testset, *clip).stdout.startswith(said)
    loaded = earmark.load(model)
    other = earmark.Classifier(loaded.model, replace(loaded.manifest, window_s=0.5)).save(tmp_path / "half.earmark")
    result = run("compare", model, other, small_testset, *clip)
    assert result.exit_code == 0, result.output
    assert "same model" not in result.stdout and "wrong only with tiny.earmark: " in result.stdout


def test_json_stays_utf8_json_for_a_file_name_that_is_not_utf8(tmp_path: Path, model: Path, recording: Path) -> None:
    """On Linux a name can hold any bytes; Python carries them as surrogates, which must not
    reach stdout raw (the output would not be UTF-8, so not JSON)."""
    folder = tmp_path / "takes"
    folder.mkdir()
    shutil.copy(recording, folder / os.fsdecode(b"b\xe4ss.wav"))
    result = subprocess.run([str(EARMARK), "predict", str(model), str(folder), "--json"], capture_output=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    [prediction] = json.loads(result.stdout.decode("utf-8"))["predictions"]
    assert os.fsencode(prediction["file"]).endswith(b"/b\xe4ss.wav")


def test_compare_reports_the_files_it_skipped(tmp_path: Path, model: Path, small_testset: Path) -> None:
    folder = shutil.copytree(small_testset, tmp_path / "test")
    (folder / "bass" / "text.wav").write_text("hello")
    result = run("compare", model, model, folder)
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"skipped bass/text\.wav: could not be decoded as audio .*\n", result.stderr), result.stderr


# -- predict ---------------------------------------------------------------------------------------


def test_predict_files_and_folders(model: Path, small_testset: Path) -> None:
    files = [small_testset / "bass" / "bass_000.wav", small_testset / "drums" / "drums_000.wav"]
    result = run("predict", model, *files)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(f) for f in files]
    assert all(re.fullmatch(r"(background|bass|drums) ", line.split("\t")[1] + " ") for line in lines)
    folder = run("predict", model, small_testset)
    assert folder.exit_code == 0 and len(folder.stdout.strip().splitlines()) == 18


def test_predict_json(model: Path, small_testset: Path) -> None:
    result = run("predict", model, small_testset / "bass", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["labels"] == ["background", "bass", "drums"] and out["errors"] == []
    assert len(out["predictions"]) == 6
    for p in out["predictions"]:
        assert p["label"] in out["labels"]
        assert sum(p["probabilities"].values()) == pytest.approx(1, abs=1e-3)


def test_predict_names_the_files_below_the_models_sure_level(tmp_path: Path, small_testset: Path) -> None:
    """Below the level the model reached on 95 % of its right validation answers: named on stderr, and
    "unsure" in --json; a model without the level (too few validation clips) names none."""
    clf = untrained_classifier()
    plain = run("predict", clf.save(tmp_path / "plain.earmark"), small_testset / "bass", "--json")
    out = json.loads(plain.stdout)
    assert out["sure_level"] is None and {p["unsure"] for p in out["predictions"]} == {None}
    assert "sure level" not in run("predict", tmp_path / "plain.earmark", small_testset / "bass").stderr
    confidence = {p["file"]: p["confidence"] for p in out["predictions"]}
    values = sorted(set(confidence.values()))  # (rounded to 4 places) a level in their widest gap: some files each side
    low, high = max(zip(values, values[1:]), key=lambda pair: pair[1] - pair[0])
    level = (low + high) / 2
    clf.manifest.metrics["validation_clips"] = [{"true": "bass", "predicted": "bass", "confidence": level}] * 10
    model = clf.save(tmp_path / "level.earmark")
    below = sorted(f for f, c in confidence.items() if c < level)
    assert 0 < len(below) < len(confidence)
    listed = json.loads(run("predict", model, small_testset / "bass", "--json").stdout)
    assert listed["sure_level"] == round(level, 4)
    assert sorted(p["file"] for p in listed["predictions"] if p["unsure"]) == below
    said = run("predict", model, small_testset / "bass")
    assert said.exit_code == 0 and len(said.stdout.splitlines()) == len(confidence)
    assert said.stderr.strip() == (f"less sure than the model's sure level ({level:.1%}), worth a listen: "
                                   f"{len(below)} of {len(confidence)} files: {', '.join(below)}")


def test_predict_reports_a_bad_file_and_predicts_the_rest(tmp_path: Path, model: Path,
                                                          small_testset: Path) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    good = [small_testset / "bass" / "bass_000.wav", small_testset / "drums" / "drums_001.wav"]
    result = run("predict", model, good[0], bad, good[1], "--json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert [p["file"] for p in out["predictions"]] == [str(f) for f in good]
    assert [e["file"] for e in out["errors"]] == [str(bad)]
    assert_clean_error(result, rf"^skipped {re.escape(str(bad))}: could not be decoded as audio")


def test_predict_names_every_file_cut_short_in_one_warning_line_each(tmp_path: Path, model: Path,
                                                                     small_testset: Path) -> None:
    """A compressed file that ends before its stream says it does is labelled, with a ``warning:`` line
    naming it (not Python's warning format with a source line), for every such file, not only the first."""
    cut = []
    for name in ("a.ogg", "b.ogg"):
        y = np.random.default_rng(len(name)).standard_normal(22050 * 6).astype(np.float32) * 0.1
        whole = tmp_path / f"whole_{name}"
        sf.write(whole, y, 22050, format="OGG", subtype="VORBIS")
        (tmp_path / name).write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
        cut.append(tmp_path / name)
    result = run("predict", model, *cut, small_testset / "bass" / "bass_000.wav", "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["predictions"]) == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    for line, path in zip(lines, cut, strict=True):
        assert re.match(rf"^warning: {re.escape(str(path))}: ends after \d+\.\d s without the end-of-stream mark", line)


def test_predict_an_empty_folder(tmp_path: Path, model: Path) -> None:
    result = run("predict", model, tmp_path)
    assert_clean_error(result, rf"^skipped {re.escape(str(tmp_path))}: holds no audio files; give audio files or "
                               r"folders")
    assert result.stdout == ""


# -- timeline and pictures -------------------------------------------------------------------------


def test_timeline_csv(model: Path, recording: Path) -> None:
    result = run("timeline", model, recording)
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.strip().splitlines()
    assert header == "start_s,end_s,label,confidence"
    segments = [row.split(",") for row in rows]
    assert float(segments[0][0]) == 0
    assert float(segments[-1][1]) == pytest.approx(sf.info(recording).duration, abs=1e-3)
    for (_, end, *_), (start, *_) in zip(segments, segments[1:]):
        assert end == start  # contiguous
    assert all(s[2] in {"background", "bass", "drums"} and 0 <= float(s[3]) <= 1 for s in segments)


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--hop-s", 10, r"the hop must be between 0\.01 s and the model's window .* got 10\.0; a longer one would"),
    ("--hop-s", "nan", r"the hop must be between .* got nan$"),
    ("--smooth-s", "inf", r"the smoothing span must be between 0 and 3600 seconds, got inf"),
    ("--min-segment-s", -1, r"the shortest segment must be between 0 and 3600 seconds, got -1\.0")])
def test_timeline_checks_its_settings_before_reading_the_recording(tmp_path: Path, model: Path, option: str,
                                                                   value: object, says: str) -> None:
    """The recording does not even exist: the settings are refused before any decoding."""
    assert_clean_error(run("timeline", model, tmp_path / "missing.wav", option, value), says)


def test_timeline_json_and_png(tmp_path: Path, model: Path, recording: Path) -> None:
    png = tmp_path / "pictures" / "take.png"
    result = run("timeline", model, recording, "--json", "--png", png, "--hop-s", 0.5)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["labels"] == ["background", "bass", "drums"]
    assert out["segments"] and all(set(s) == {"start_s", "end_s", "label", "confidence"} for s in out["segments"])
    assert f"picture written to {png}" in result.stderr
    assert png_size(png) == (1100, 500) and png.stat().st_size > 20_000
    assert leftovers(tmp_path) == []


def test_spectrogram_png(tmp_path: Path, recording: Path) -> None:
    png = tmp_path / "spec.png"
    result = run("spectrogram", recording, "--png", png)
    assert result.exit_code == 0, result.output
    assert f"spectrogram written to {png}" in result.stdout
    assert png_size(png) == (1000, 360) and png.stat().st_size > 20_000


@pytest.mark.parametrize("command", ["timeline", "spectrogram"])
def test_pictures_refuse_an_unwritable_output(command: str, tmp_path: Path, model: Path, recording: Path) -> None:
    (tmp_path / "afile").write_text("x")
    args = [model, recording] if command == "timeline" else [recording]
    result = run(command, *args, "--png", tmp_path / "afile" / "x.png")
    assert_clean_error(result, r"cannot write .*afile is a file, not a folder; choose another place")
    assert result.stdout == ""


def test_an_output_never_replaces_an_input_or_a_recording(tmp_path: Path, model: Path, recording: Path,
                                                          small_dataset: Path) -> None:
    """A swapped or mistyped argument: the model being exported, the recording being drawn, a
    recording beside them, a recording or a model under another kind's name. Each is refused
    before any work, and left as it was."""
    own_model = shutil.copy(model, tmp_path / "mine.earmark")
    take = shutil.copy(recording, tmp_path / "take.wav")
    other = shutil.copy(recording, tmp_path / "other.ogg.wav")
    named_as_model = shutil.copy(recording, tmp_path / "take.earmark")  # its bytes say what it is
    named_as_onnx = shutil.copy(model, tmp_path / "mine.onnx")
    before = {p: Path(p).read_bytes() for p in (own_model, take, other, named_as_model, named_as_onnx)}
    cases = [
        (["export", own_model, "--out", own_model], r"cannot write .*mine\.earmark: it is the input .*another name"),
        (["spectrogram", take, "--png", take], r"cannot write .*take\.wav: it is the input"),
        (["timeline", model, take, "--png", take], r"cannot write .*take\.wav: it is the input"),
        (["train", small_dataset, "--out", other], r"cannot write .*other\.ogg\.wav: it is an audio file"),
        (["spectrogram", take, "--png", other], r"it is an audio file \(WAV\), not a PNG picture"),
        (["train", small_dataset, "--out", named_as_model],
         r"cannot write .*take\.earmark: it is an audio file \(WAV\), not an earmark model"),
        (["export", own_model, "--out", named_as_onnx],
         r"cannot write .*mine\.onnx: it is an earmark model, not an ONNX model, and writing would replace it"),
    ]
    for args, match in cases:
        result = run(*args)
        assert_clean_error(result, match)
        assert "training" not in result.stderr
    assert {p: Path(p).read_bytes() for p in before} == before
    (tmp_path / "notes.wav").write_text("not audio, and not a picture")
    assert_clean_error(run("spectrogram", take, "--png", tmp_path / "notes.wav"),
                       r"it is a file of another kind, not a PNG picture")
    assert_clean_error(run("spectrogram", take, "--png", tmp_path / "new.wav"), r"must end in \.png")


# -- listen ----------------------------------------------------------------------------------------


def test_listen_to_a_file_prints_every_tenth_of_a_second(model: Path, recording: Path) -> None:
    result = run("listen", model, "--input", recording, "--fast")
    assert result.exit_code == 0, result.output
    times = [float(line.split("s")[0]) for line in result.stdout.strip().splitlines()]
    duration = sf.info(recording).duration
    # one line per 0.1 s once half a window (0.5 s) has been heard
    assert abs(len(times) - duration / 0.1) <= 0.5 / 0.1 + 1
    assert times[0] <= 0.5 + 1e-6 and times[-1] >= duration - 0.1
    assert np.allclose(np.diff(times), 0.1, atol=0.011)
    assert re.search(r"\d+ predictions, median compute \d+\.\d ms each", result.stderr)
    # before the first line (seconds of start-up, loading PyTorch and the model), what it is doing
    assert result.stderr.splitlines()[0] == (
        f"listening to {recording.name} as fast as it decodes (22050 Hz) with {model.name} "
        "(background, bass, drums): a line every 0.1 s; Ctrl-C stops")


def test_listen_to_a_file_shorter_than_half_a_window_still_answers(tmp_path: Path, model: Path,
                                                                    recording: Path) -> None:
    y, sr = sf.read(recording, dtype="float32")
    sf.write(tmp_path / "short.wav", y[int(1.0 * sr) : int(1.3 * sr)], sr)
    result = run("listen", model, "--input", tmp_path / "short.wav", "--fast")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"\s*0\.30s  \w+ .*\n", result.stdout), result.stdout


def test_listen_refuses_a_negative_duration(model: Path, recording: Path) -> None:
    result = run("listen", model, "--input", recording, "--seconds", -1)
    assert result.exit_code == 2 and "Invalid value for '--seconds'" in result.stderr


def test_listen_json_lines(model: Path, recording: Path) -> None:
    result = run("listen", model, "--input", recording, "--fast", "--json", "--seconds", 2)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert lines and lines[-1]["time_s"] <= 2.1
    assert all(line["label"] in line["probabilities"] for line in lines)


def test_listen_without_a_microphone_says_what_to_do(model: Path) -> None:
    # No sound card here (and usually no sounddevice): a one-line error, never a traceback.
    assert_clean_error(run("listen", model, "--seconds", 0.2),
                       r"(needs PortAudio: pip install 'earmark\[mic\]'|no microphone found|cannot open the "
                       r"microphone).*use --input FILE")


def test_listen_fast_needs_input(model: Path) -> None:
    result = run("listen", model, "--fast")
    assert result.exit_code == 2
    assert "--fast only applies with --input FILE" in result.stderr


# -- the bad input matrix --------------------------------------------------------------------------


def _given_audio(command: str, model: Path, path: Path, *, out: Path) -> list[object]:
    """The arguments of ``command`` run on the audio file ``path``, any picture written into ``out``."""
    return {
        "predict": ["predict", model, path],
        "timeline": ["timeline", model, path, "--png", out / "t.png"],
        "spectrogram": ["spectrogram", path, "--png", out / "s.png"],
        "listen": ["listen", model, "--input", path, "--fast"],
    }[command]


@pytest.mark.parametrize("command", ["predict", "timeline", "spectrogram", "listen"])
def test_bad_audio_is_named_in_one_line(command: str, bad_audio: tuple[Path, str], model: Path,
                                        tmp_path: Path) -> None:
    path, match = bad_audio
    out = tmp_path / "out"
    out.mkdir()
    result = run(*_given_audio(command, model, path, out=out))
    assert_clean_error(result, re.escape(str(path)) + ": " + match)
    assert result.stdout == ""
    assert list(out.iterdir()) == []


NOT_AUDIO = {
    "model": r"is an earmark model, not audio; give a recording here$",
    "zip": r"is a zip archive, not audio; unpack it and give its folder or a recording from it$",
}


@pytest.mark.parametrize("command", ["predict", "timeline", "spectrogram", "listen"])
@pytest.mark.parametrize(("what", "name"), [("model", "model.earmark"), ("model", "cut.earmark"),
                                            ("model", "named.wav"), ("zip", "set.zip"), ("zip", "zipped.ogg")])
def test_a_model_or_zip_given_as_audio_says_what_it_is(command: str, what: str, name: str, model: Path,
                                                       small_testset: Path, tmp_path: Path) -> None:
    """`earmark predict model.earmark model.earmark` said the audio was damaged."""
    path = tmp_path / name
    if what == "zip":
        make_zip(small_testset, path)
    else:
        path.write_bytes(model.read_bytes()[: 2000 if name == "cut.earmark" else None])
    out = tmp_path / "out"
    out.mkdir()
    result = run(*_given_audio(command, model, path, out=out))
    assert_clean_error(result, ("^skipped " if command == "predict" else "^Error: ") + re.escape(str(path)) + ": "
                       + NOT_AUDIO[what])
    assert result.stdout == "" and list(out.iterdir()) == []


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--hop-s", "0", r"hop_s must be 0\.01 to 1\.0 seconds \(the model's window\), got 0\.0; give a hop in that "
                     r"range \(--hop-s for earmark listen\), e\.g\. 0\.1"),
    ("--hop-s", "nan", r"hop_s must be 0\.01 to 1\.0 seconds .*got nan"),
    ("--hop-s", "inf", r"hop_s must be 0\.01 to 1\.0 seconds .*got inf"),
    ("--seconds", "nan", r"Invalid value for '--seconds': nan is not a number of seconds above 0; give e\.g\. 10"),
])
def test_listen_refuses_a_hop_or_duration_that_is_not_one(option: str, value: str, says: str, model: Path,
                                                          recording: Path) -> None:
    """--hop-s 0 blamed an inner name ('chunk_s must be …'), inf ended in a traceback, and --seconds nan ran."""
    result = run("listen", model, "--input", recording, "--fast", option, value)
    if option == "--seconds":  # a usage error: click's usage lines, then the message
        assert result.exit_code == 2 and re.search(f"^Error: {says}$", result.stderr, re.MULTILINE), result.output
    else:
        assert_clean_error(result, says)
    assert result.stdout == ""


def _plain_safetensors(path: Path, model: Path) -> None:
    save_file({"weight": np.zeros((3, 3), np.float32)}, str(path))


def _newer_format(path: Path, model: Path) -> None:
    save_file({"weight": np.zeros(3, np.float32)}, str(path),
              metadata={"format": "earmark-model", "format_version": "99", "manifest": "{}"})


def _onnx_export(path: Path, model: Path) -> None:
    from earmark.export import export_onnx
    export_onnx(earmark.load(model), path)


def _tampered(path: Path, model: Path) -> None:
    data = bytearray(model.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


BAD_MODELS = {
    "truncated": (lambda p, m: p.write_bytes(m.read_bytes()[: m.stat().st_size // 2]),
                  r"is an earmark model file cut short or damaged; copy it again, or train it again"),
    "tampered": (_tampered, r"its weights do not match their checksum, the file is corrupted"),
    "random_bytes": (lambda p, m: p.write_bytes(np.random.default_rng(0).bytes(4096)),
                     r"is not an earmark model file or is corrupted"),
    "pytorch_checkpoint": (lambda p, m: torch.save({"weight": torch.zeros(3)}, p),
                           r"is a PyTorch checkpoint, not an earmark model; earmark reads the model files it writes"),
    "zip": (lambda p, m: zipfile.ZipFile(p, "w").close(),
            r"is a zip archive, not an earmark model; give an earmark model file \(\.earmark\)$"),
    "picture": (lambda p, m: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100)),
                r"is a PNG picture, not an earmark model; give an earmark model file \(\.earmark\)$"),
    "empty": (lambda p, m: p.write_bytes(b""), r"is empty \(0 bytes\), not an earmark model"),
    "audio_named_earmark": (lambda p, m: sf.write(p, np.zeros(4410, dtype=np.float32), 44100, format="WAV"),
                            r"is an audio file, not an earmark model; give an earmark model file \(\.earmark\) here"
                            r"(; |$)"),  # then the command's hint (test_a_recording_given_as_the_model_…)
    "onnx_export": (_onnx_export, r"is an ONNX model \(what 'earmark export' writes for deployment, run with "
                                  r"ONNX Runtime\), not an earmark model file; give the \.earmark file it was "
                                  r"exported from$"),
    "plain_safetensors": (_plain_safetensors, r"is a safetensors file but not an earmark model"),
    "newer_format": (_newer_format, r"was made by a newer earmark .*pip install -U earmark"),
    "missing": (None, r"no such model file; check the path"),
    "folder": (lambda p, m: p.mkdir(), r"is a folder; give the model file"),
}


@pytest.mark.parametrize("command", ["info", "evaluate", "predict", "timeline", "listen", "export"])
@pytest.mark.parametrize("case", sorted(BAD_MODELS))
def test_bad_model_files_are_named_in_one_line(case: str, command: str, tmp_path: Path, model: Path,
                                               small_testset: Path, recording: Path) -> None:
    make, match = BAD_MODELS[case]
    path = tmp_path / "model.earmark"
    if make is not None:
        make(path, model)
    args = {
        "info": ["info", path],
        "evaluate": ["evaluate", path, small_testset],
        "predict": ["predict", path, recording],
        "timeline": ["timeline", path, recording, "--png", tmp_path / "t.png"],
        "listen": ["listen", path, "--input", recording, "--fast"],
        "export": ["export", path, "--out", tmp_path / "m.onnx"],
    }[command]
    result = run(*args)
    assert_clean_error(result, "^Error: " + re.escape(str(path)) + ": " + match)
    assert result.stdout == ""
    assert not (tmp_path / "t.png").exists() and not (tmp_path / "m.onnx").exists()


#: What each command adds when its model is an audio file: the order, worded with its own example, where
#: the arguments can be in the wrong order; nothing where the model is the only file it takes.
AUDIO_AS_MODEL_HINTS = {
    "predict": "the model goes first (e.g. earmark predict model.earmark take.wav)",
    "timeline": "the model goes first (e.g. earmark timeline model.earmark take.wav)",
    "listen": "to label a recording, give it with --input (e.g. earmark listen model.earmark --input take.wav)",
    "evaluate": "the model goes first (e.g. earmark evaluate model.earmark test_dir)",
    "compare": "the two models go first (e.g. earmark compare a.earmark b.earmark test_dir)",
    "share": "every argument of earmark share is a model; to try a recording, share the model alone and open the "
             "link it prints",
    "info": None,
    "export": None,
}


@pytest.mark.parametrize("command", sorted(AUDIO_AS_MODEL_HINTS))
def test_a_recording_given_as_the_model_gets_the_command_s_hint(command: str, model: Path, recording: Path,
                                                                 small_testset: Path, tmp_path: Path) -> None:
    """`earmark predict take.wav model.earmark`: the arguments swapped, not a model to train again; but
    `earmark info take.wav` has no order to get wrong, and every argument of `earmark share` is a model."""
    args = {
        "predict": ["predict", recording, model],
        "timeline": ["timeline", recording, model],
        "listen": ["listen", recording],
        "evaluate": ["evaluate", recording, small_testset],
        "compare": ["compare", model, recording, small_testset],
        "share": ["share", model, recording, "--no-browser"],
        "info": ["info", recording],
        "export": ["export", recording, "--out", tmp_path / "x.onnx"],
    }[command]
    hint = AUDIO_AS_MODEL_HINTS[command]
    message = f"{recording}: is an audio file, not an earmark model; give an earmark model file (.earmark) here"
    result = run(*args)
    assert_clean_error(result, "^" + re.escape(f"Error: {message}" + (f"; {hint}" if hint else "")) + "$")
    assert result.stdout == ""


# -- info ------------------------------------------------------------------------------------------


def test_info_prints_the_manifest(model: Path) -> None:
    result = run("info", model, "--json")
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    assert manifest["labels"] == ["background", "bass", "drums"]
    assert manifest["architecture"]["name"] == "tiny"
    assert manifest["training"]["epochs"] == 2 and manifest["training"]["steps_per_epoch"] == 2
    assert len(manifest["metrics"]["history"]) == 2


# -- the installed entry point ---------------------------------------------------------------------


def _earmark(*args: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NO_COLOR": "1"}
    return subprocess.run([str(EARMARK), *map(str, args)], capture_output=True, text=True, env=env, timeout=120)


def test_entry_point_succeeds_with_json(model: Path) -> None:
    done = _earmark("info", model, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["labels"] == ["background", "bass", "drums"]


def test_entry_point_fails_with_one_line(tmp_path: Path, model: Path) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    done = _earmark("timeline", model, bad)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert re.fullmatch(rf"Error: {re.escape(str(bad))}: could not be decoded as audio .*\n", done.stderr)


def test_spectrogram_draws_audio_below_4_khz_too(tmp_path: Path) -> None:
    """predict and timeline take a 2 kHz file (they resample it); so does the picture."""
    low = tmp_path / "low.wav"
    sf.write(low, np.random.default_rng(0).normal(0, 0.1, 4000).astype(np.float32), 2000)
    result = run("spectrogram", low, "--png", tmp_path / "s.png")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_cuts_long_recordings_by_clip_options(tmp_path: Path, model: Path, recording: Path) -> None:
    """A long recording in a test folder is cut into clips of --clip-s every --clip-hop-s."""
    y, sr = sf.read(recording, dtype="float32")
    (tmp_path / "bass").mkdir()
    sf.write(tmp_path / "bass" / "long.wav", np.tile(y, 4), sr, subtype="PCM_16")
    duration_s = 4 * len(y) / sr
    assert duration_s > 12  # only recordings longer than 12 s are cut
    counts = {}
    for clip_s in ("2", "4"):
        result = run("evaluate", model, tmp_path, "--json", "--clip-s", clip_s)
        assert result.exit_code == 0, result.output
        counts[clip_s] = json.loads(result.stdout)["n_clips"]
    assert counts["2"] > counts["4"] >= 3
    assert counts["2"] == pytest.approx(duration_s / 2, abs=1)


def _train_until_epoch_one(data: Path, out: Path, *, steps: int) -> tuple[subprocess.Popen[bytes], list[bytes]]:
    """`earmark train` in its own process group (as a terminal runs it), once its first epoch is done."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NO_COLOR": "1"}
    process = subprocess.Popen([str(EARMARK), "train", str(data), "--out", str(out), "--arch", "tiny",
                                "--epochs", "200", "--steps-per-epoch", str(steps), "--batch-size", "16"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
    err: list[bytes] = []
    assert process.stderr is not None
    reader = threading.Thread(target=lambda: err.extend(iter(lambda: process.stderr.read1(4096), b"")), daemon=True)
    reader.start()
    wait_for_output(process, err, b"epoch=1")  # the progress bar's note after the first epoch
    return process, err


def test_ctrl_c_once_stops_training_after_the_epoch_and_keeps_the_model(small_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "stopped.earmark"
    process, err = _train_until_epoch_one(small_dataset, out, steps=2)
    os.killpg(process.pid, signal.SIGINT)  # the whole group, the example-making worker too, as a terminal does
    assert process.wait(timeout=120) == 0, b"".join(err).decode()
    stderr = b"".join(err).decode()
    assert "Ctrl-C: stopping after this epoch and keeping the model (Ctrl-C again to abort)" in stderr
    stopped = json.loads(_earmark("info", out, "--json").stdout)["metrics"]
    assert 1 <= stopped["stopped_at_epoch"] < 200 and len(stopped["history"]) == stopped["stopped_at_epoch"]
    assert f"training: stopped after epoch {stopped['stopped_at_epoch']} of 200 in " in _earmark("info", out).stdout
    assert f"stopped after epoch {stopped['stopped_at_epoch']} of 200 (Ctrl-C)" in stderr
    assert "Traceback" not in stderr


def test_ctrl_c_twice_aborts_and_writes_nothing(small_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "aborted.earmark"
    process, err = _train_until_epoch_one(small_dataset, out, steps=60)  # epochs long enough for two presses
    os.killpg(process.pid, signal.SIGINT)
    # the second once the first is taken: two pending at once are one
    wait_for_output(process, err, b"Ctrl-C: stopping after this epoch", timeout_s=30)
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=120) == 130, b"".join(err).decode()
    assert b"interrupted" in b"".join(err)
    assert list(tmp_path.iterdir()) == []
