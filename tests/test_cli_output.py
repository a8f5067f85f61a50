"""What the ``earmark`` command writes, whatever the names: predict's tab-separated lines stay
one line per file with three fields when a class or file is named with a tab or newline."""

from __future__ import annotations

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
