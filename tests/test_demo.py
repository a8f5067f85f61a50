"""``earmark demo``: the main job end to end on the built-in demo set (2 epochs, so it is quick)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

import earmark
from conftest import write_tone
from earmark.cli import main
from earmark.demo import _check_outputs, demo_data_dir

PICTURES = ["timeline.png", "spectrogram.png", "training_curves.png", "confusion.png"]


def test_demo_trains_reports_and_draws(tmp_path: Path) -> None:
    out = tmp_path / "demo-output"
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--epochs", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output

    text = result.stdout
    assert "evaluation on the demo test set" in text
    assert re.search(r"accuracy \d+\.\d%   macro-F1 \d\.\d{3}   \(30 clips\)", text)
    assert re.search(r"timeline of the demo recording \(30 s\), \d+% of the time right:", text)
    assert re.search(r"^\s+0\.00 – +\d+\.\d\d s  (background|bass|drums)", text, re.MULTILINE)
    assert re.search(r"demo finished in \d+ s\n\ntry next: ", text), "the last lines say what to try next"
    # what to try next, with the paths it wrote: a command that runs as printed, and the studio
    tried = re.search(r"^try next: +(earmark predict .*?)   \(or your own files and folders\)\n +earmark studio   ",
                      text, re.MULTILINE)
    assert tried is not None, text
    command = shlex.split(tried[1])
    assert command[2:] == [str(out / "demo.earmark"), str(demo_data_dir() / "test" / "drums")]
    labelled = CliRunner().invoke(main, command[1:], catch_exceptions=False)
    assert labelled.exit_code == 0 and len(labelled.stdout.splitlines()) == 10, labelled.output
    for name in ["demo.earmark", *PICTURES, "report.json"]:
        assert re.search(rf"^\w+: +{re.escape(str(out / name))}$", text, re.MULTILINE), f"{name} not reported"

    for name in PICTURES:
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000, name
    report = json.loads((out / "report.json").read_text())
    assert report["test"]["n_clips"] == 30 and report["timeline"]["segments"]
    assert 0 <= report["timeline_agreement"] <= 1

    clf = earmark.load(out / "demo.earmark")
    assert clf.labels == ["background", "bass", "drums"]
    assert len(clf.manifest.metrics["history"]) == 2
    assert sorted(p.name for p in out.iterdir()) == sorted(["demo.earmark", *PICTURES, "report.json"])
    _check_outputs(out)  # run again into the same folder, the demo replaces its own files


@pytest.mark.parametrize("name", ["timeline.png", "report.json", "demo.earmark"])
def test_demo_refuses_to_replace_a_users_file_before_training(tmp_path: Path, name: str) -> None:
    """A recording named timeline.png, or a report.json of the user's own, in the --out folder: the demo
    trained for a minute, wrote its model, then failed on the picture; and replaced any report.json."""
    out = tmp_path / "mine"
    held = out / name
    if name == "report.json":
        out.mkdir()
        held.write_text('{"my": "notes"}')
    else:
        write_tone(out / "take.wav").rename(held)
    before = held.read_bytes()
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--epochs", "1"], catch_exceptions=False)
    assert result.exit_code == 1 and result.stdout == "", result.output
    assert result.stderr.startswith(f"Error: cannot write {held}: ") and "writing would replace it" in result.stderr
    assert held.read_bytes() == before and [p.name for p in out.iterdir()] == [name], "nothing written"


def test_demo_refuses_an_output_that_is_a_file_before_training(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    result = CliRunner().invoke(main, ["demo", "--out", str(afile)], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == f"Error: cannot write the demo's output to {afile}: it is a file; give a folder"


def test_demo_refuses_zero_epochs(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "o"), "--epochs", "0"],
                                catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: epochs must be at least 1, got 0"
    assert not (tmp_path / "o").exists()
