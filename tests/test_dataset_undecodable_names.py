"""A class folder whose name is not UTF-8 (what ``unzip`` makes of a zip made on Windows: ``b\\xe4ss``)
is refused when the dataset is read, named readably, not trained into a model no export can write."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SR
from earmark.cli import main
from earmark.dataset import load_dataset
from earmark.errors import DatasetError

NOT_UTF8 = os.fsdecode(b"b\xe4ss")  # Latin-1 "bäss", as Python reads it from disk: b\udce4ss


@pytest.fixture
def dataset(tmp_path: Path, small_dataset: Path) -> Path:
    root = shutil.copytree(small_dataset, tmp_path / "bc")
    try:
        (root / "bass").rename(root / NOT_UTF8)
    except (OSError, UnicodeEncodeError):  # a disk that keeps names as Unicode (macOS, Windows)
        pytest.skip("this disk cannot hold a name that is not UTF-8")
    return root


def test_a_class_folder_named_in_bytes_that_are_not_utf8_is_refused_readably(dataset: Path) -> None:
    with pytest.raises(DatasetError, match=r"^the class folder 'b\\xe4ss' in '.*bc' has a name that is not UTF-8 "
                                           r"text .*rename the folder$"):
        load_dataset(dataset, sample_rate=SR)


def test_train_refuses_it_before_training(dataset: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["train", str(dataset), "--out", str(tmp_path / "m.earmark"), "--epochs", "1"])
    assert result.exit_code == 1, result.output
    assert "the class folder 'b\\xe4ss'" in result.output and "rename the folder" in result.output
    assert "udce4" not in result.output
    assert not (tmp_path / "m.earmark").exists()
