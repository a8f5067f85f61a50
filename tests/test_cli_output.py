"""What the ``earmark`` command writes, whatever the names: predict's tab-separated lines stay
one line per file with three fields when a class or file is named with a tab or newline."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import write_tone
from earmark.classifier import Classifier
from earmark.cli import main

ODD_LABELS = ("background", "tab\there", "new\nline", "back\\slash")


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _unescape(field: str) -> str:
    table = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}
    return re.sub(r"\\(\\|t|n|r|x[0-9a-f]{2})",
                  lambda m: table.get(m.group(0)) or chr(int(m.group(1)[1:], 16)), field)


@pytest.fixture
def odd_model(tmp_path: Path, make_untrained: Callable[..., Classifier]) -> Path:
    path = tmp_path / "odd.earmark"
    make_untrained(labels=ODD_LABELS).save(path)
    return path


def test_predict_escapes_tabs_and_newlines_in_names(tmp_path: Path, odd_model: Path) -> None:
    files = [write_tone(tmp_path / name) for name in ("plain.wav", "a\ttab.wav", "a\nnewline.wav", "bell\x07.wav")]
    result = run("predict", odd_model, *files)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(files)
    fields = [line.split("\t") for line in lines]
    assert all(len(f) == 3 for f in fields), lines
    assert [_unescape(f[0]) for f in fields] == [str(f) for f in files]
    assert all(_unescape(f[1]) in ODD_LABELS for f in fields)
    assert "tab\\there" in fields[0][2] and "new\\nline" in fields[0][2] and "back\\\\slash" in fields[0][2]
    assert fields[3][0].endswith("bell\\x07.wav")


@pytest.mark.parametrize(("command", "name", "suffix"), [
    ("export", "m1.txt", ".onnx"),
    ("export", "m1", ".onnx"),
    ("spectrogram", "s.svg", ".png"),
    ("spectrogram", "s.jpg", ".png"),
    ("timeline", "t.jpg", ".png"),
    ("train", "model.onnx", ".earmark"),
])
def test_an_output_is_named_for_what_is_written(tmp_path: Path, odd_model: Path, small_dataset: Path,
                                                command: str, name: str, suffix: str) -> None:
    """An ONNX file named m1.txt, a PNG named s.svg: refused before any work, saying what to name it."""
    take = write_tone(tmp_path / "take.wav")
    out = tmp_path / name
    args = {"export": [odd_model, "--out", out], "spectrogram": [take, "--png", out],
            "timeline": [odd_model, take, "--png", out], "train": [small_dataset, "--out", out]}[command]
    result = CliRunner().invoke(main, [command, *map(str, args)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    stem = Path(name).stem
    assert re.fullmatch(rf"Error: cannot write .*{re.escape(name)}: --\w+ writes an? [\w ]+, so its name must end in "
                        rf"{re.escape(suffix)}; give a name such as {re.escape(stem + suffix)}\n", result.stderr)
    assert not out.exists() and "training" not in result.stderr


def test_an_output_suffix_may_be_upper_case(tmp_path: Path) -> None:
    take = write_tone(tmp_path / "take.wav")
    result = CliRunner().invoke(main, ["spectrogram", str(take), "--png", str(tmp_path / "S.PNG")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "S.PNG").read_bytes()[:4] == b"\x89PNG"


def test_compare_cuts_long_recordings_by_clip_options(tmp_path: Path,
                                                      make_untrained: Callable[..., Classifier]) -> None:
    """As evaluate: a test recording longer than 12 s is cut into clips of --clip-s every --clip-hop-s."""
    models = [make_untrained(seed=seed).save(tmp_path / f"m{seed}.earmark") for seed in (0, 1)]
    (tmp_path / "test" / "bass").mkdir(parents=True)
    write_tone(tmp_path / "test" / "bass" / "long.wav", duration_s=16.0)
    counts = {}
    for args in (["--clip-s", "2"], ["--clip-s", "4"], ["--clip-s", "4", "--clip-hop-s", "2"], []):
        result = run("compare", *models, tmp_path / "test", "--json", *args)
        assert result.exit_code == 0, result.output
        reports = json.loads(result.stdout)["models"]
        assert reports[0]["n_clips"] == reports[1]["n_clips"]
        counts[" ".join(args)] = reports[0]["n_clips"]
    assert counts == {"--clip-s 2": 8, "--clip-s 4": 4, "--clip-s 4 --clip-hop-s 2": 7, "": 4}


def test_predict_names_what_a_folder_holds_besides_audio(tmp_path: Path, odd_model: Path) -> None:
    """As train: a file that is not audio is named (a note: the exit status stays 0); a link to
    nothing may be a recording on a disk not connected: named, and the exit status is 1."""
    folder = tmp_path / "takes"
    folder.mkdir()
    write_tone(folder / "one.wav")
    (folder / "notes.txt").write_text("what I played")
    result = run("predict", odd_model, folder)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1
    assert result.stderr == f"skipped {folder / 'notes.txt'}: not an audio file (.txt)\n"
    (folder / "gone.wav").symlink_to(tmp_path / "elsewhere.wav")
    result = run("predict", odd_model, folder)
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 1
    gone = re.escape(str(folder / "gone.wav"))
    assert re.search(rf"skipped {gone}: a link to .*elsewhere\.wav, which is not there", result.stderr)
    assert "notes.txt: not an audio file" in result.stderr
    as_json = json.loads(run("predict", odd_model, folder, "--json").stdout)  # both named there too
    assert as_json["skipped"] == [{"file": str(folder / "notes.txt"), "reason": "not an audio file (.txt)"}]
    assert [e["file"] for e in as_json["errors"]] == [str(folder / "gone.wav")]
