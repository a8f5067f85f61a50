"""What decoding warned of reaches a script reading ``--json`` (a stereo file whose channels cancel out:
earmark used the left channel), and is still one ``warning:`` line on stderr; evaluate names a skipped
file once; spectrogram writes beside its file by default."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner, Result

from conftest import SR, write_tone
from earmark.classifier import Classifier
from earmark.cli import main

CANCEL = r"the channels cancel out when mixed to mono \(one is the other inverted\); earmark used the left channel"


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def write_cancelling(path: Path, *, duration_s: float = 1.5) -> Path:
    """A stereo tone whose right channel is the left inverted: silence when mixed to mono."""
    path.parent.mkdir(parents=True, exist_ok=True)
    x = (0.3 * np.sin(2 * np.pi * 220 * np.arange(int(duration_s * SR)) / SR)).astype(np.float32)
    sf.write(path, np.stack([x, -x], axis=1), SR, subtype="PCM_16")
    return path


def warning_lines(stderr: str, path: Path) -> list[str]:
    return [line for line in stderr.splitlines() if re.fullmatch(rf"warning: {re.escape(str(path))}: {CANCEL}", line)]


@pytest.fixture
def model(tmp_path: Path, make_untrained: Callable[..., Classifier]) -> Path:
    path = tmp_path / "m.earmark"
    make_untrained().save(path)
    return path


@pytest.fixture
def cancels(tmp_path: Path) -> tuple[Path, Path]:
    """A test set (a clip per class) whose bass folder holds a cancelling stereo file, and that file."""
    root = tmp_path / "test"
    for label in ("background", "bass", "drums"):
        write_tone(root / label / f"{label}.wav", duration_s=1.5)
    return root, write_cancelling(root / "bass" / "stereo.wav")


def test_predict_json_names_each_files_decoding_warnings(tmp_path: Path, model: Path) -> None:
    stereo = write_cancelling(tmp_path / "takes" / "a_stereo.wav")  # decoded first: its warning is not the next's
    mono = write_tone(tmp_path / "takes" / "b_mono.wav", duration_s=1.5)
    result = run("predict", model, tmp_path / "takes", "--json")
    assert result.exit_code == 0, result.output
    warned = {p["file"]: p["warnings"] for p in json.loads(result.stdout)["predictions"]}
    assert list(warned) == [str(stereo), str(mono)]
    assert re.fullmatch(rf"{re.escape(str(stereo))}: {CANCEL}", *warned[str(stereo)])
    assert warned[str(mono)] == []
    assert len(warning_lines(result.stderr, stereo)) == 1, result.stderr


def test_timeline_json_names_the_recordings_decoding_warnings(tmp_path: Path, model: Path) -> None:
    stereo = write_cancelling(tmp_path / "take.wav", duration_s=3.0)
    result = run("timeline", model, stereo, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert len(out["warnings"]) == 1 and re.fullmatch(rf"{re.escape(str(stereo))}: {CANCEL}", out["warnings"][0])
    assert out["segments"]
    assert len(warning_lines(result.stderr, stereo)) == 1, result.stderr


def test_timeline_json_has_no_warnings_for_a_clean_recording(tmp_path: Path, model: Path) -> None:
    result = run("timeline", model, write_tone(tmp_path / "take.wav", duration_s=3.0), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["warnings"] == [] and result.stderr == ""


def test_evaluate_json_warnings_hold_the_test_files_decoding_warnings(model: Path, cancels: tuple[Path, Path]) -> None:
    root, stereo = cancels
    result = run("evaluate", model, root, "--json")
    assert result.exit_code == 0, result.output
    said = json.loads(result.stdout)["warnings"]
    assert re.fullmatch(rf"{re.escape(str(stereo))}: {CANCEL}", said[0])
    assert any(w.startswith("Only 4 clips were scored") for w in said[1:])  # the report's own follow
    assert len(warning_lines(result.stderr, stereo)) == 1, result.stderr


def test_compare_json_warnings_hold_the_test_files_decoding_warnings_once(
        tmp_path: Path, make_untrained: Callable[..., Classifier], model: Path, cancels: tuple[Path, Path]) -> None:
    root, stereo = cancels
    other = tmp_path / "other.earmark"
    make_untrained(seed=1, sample_rate=16000).save(other)  # another rate: the test set is decoded twice
    result = run("compare", model, other, root, "--json")
    assert result.exit_code == 0, result.output
    for report in json.loads(result.stdout)["models"]:
        decoding = [w for w in report["warnings"] if str(stereo) in w]
        assert len(decoding) == 1 and re.fullmatch(rf"{re.escape(str(stereo))}: {CANCEL}", decoding[0]), decoding
    assert len(warning_lines(result.stderr, stereo)) == 1, result.stderr


def test_evaluate_names_a_skipped_file_once(model: Path, cancels: tuple[Path, Path]) -> None:
    root, _ = cancels
    (root / "bass" / "notes.txt").write_text("tuning notes\n")
    result = run("evaluate", model, root)
    assert result.exit_code == 0, result.output
    assert result.stderr.count("skipped bass/notes.txt: not an audio file (.txt)") == 1, result.stderr
    assert "skipped" not in result.stdout, result.stdout
    assert "accuracy" in result.stdout


def test_spectrogram_writes_beside_its_file_by_default(tmp_path: Path) -> None:
    take = write_tone(tmp_path / "take.wav")
    result = run("spectrogram", take)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"spectrogram written to {tmp_path / 'take.png'}\n"
    assert (tmp_path / "take.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_spectrogram_takes_out_as_train_and_export_do(tmp_path: Path) -> None:
    out = tmp_path / "pictures" / "s.png"
    out.parent.mkdir()
    result = run("spectrogram", write_tone(tmp_path / "take.wav"), "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"spectrogram written to {out}\n" and out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(("command", "says"), [
    ("export", r"Give one of the two: --out FILE\.onnx or --web FOLDER"),
    ("spectrogram", r"FILE's name with \.png, beside it"),
    ("predict", r"warnings: what decoding it warned of"),
    ("timeline", r"warnings \(what decoding the recording warned of"),
    ("evaluate", r"what decoding the test files warned of"),
])
def test_help_says_what_is_required_and_what_json_holds(command: str, says: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"], terminal_width=1000)
    assert result.exit_code == 0
    assert re.search(says, " ".join(result.stdout.split())), result.stdout


def test_train_json_holds_the_warnings_the_text_shows(tmp_path: Path, small_dataset: Path) -> None:
    """``train --json`` left out what the text run prints: decoding's warnings (channels that cancel out)
    and the validation report's own ("Only N clips were scored", a class mostly wrong)."""
    data = tmp_path / "data"
    shutil.copytree(small_dataset, data)
    stereo = write_cancelling(data / "bass" / "stereo.wav")
    quick = ("--arch", "tiny", "--epochs", 1, "--steps-per-epoch", 1, "--batch-size", 8)
    as_json = run("train", data, "--out", tmp_path / "j.earmark", *quick, "--json")
    as_text = run("train", data, "--out", tmp_path / "t.earmark", *quick)
    assert as_json.exit_code == 0 and as_text.exit_code == 0, as_json.output + as_text.output
    report = json.loads(as_json.stdout)
    assert any(re.fullmatch(rf"{re.escape(str(stereo))}: {CANCEL}", w) for w in report["warnings"]), report["warnings"]
    assert len(warning_lines(as_json.stderr, stereo)) == 1, "still said once on stderr"
    said = report["validation"]["warnings"]
    assert said, "a one-step model on a few held-out clips is warned about"
    shown = " ".join(as_text.stdout.split())
    assert all(" ".join(w.split()) in shown for w in said), (said, as_text.stdout)
