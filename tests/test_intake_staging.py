"""Tests for how earmark.intake writes a file: the slow part (encode, convert, copy) under a hidden
name without holding earmark.naming.NAMING, then a free name chosen and the file moved there under it."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import earmark.intake as intake
from earmark.errors import NotFoundError
from earmark.intake import add_files
from earmark.playable import PlayableCopy
from earmark.project import LEFTOVER_AGE_S, Project

SR = 44100


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project.create(tmp_path / "band")
    p.add_class("bass")
    p.add_class("drums")
    return p


def aiff(path: Path, seconds: float) -> Path:
    t = np.arange(int(SR * seconds)) / SR
    sf.write(path, (0.3 * np.sin(2 * np.pi * 110 * t)).astype(np.float32), SR, subtype="PCM_16", format="AIFF")
    return path


def test_a_rename_finishes_while_an_upload_is_being_encoded(project: Project, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # the real encode, only paused until another class is renamed (or 10 s, had the rename to wait for it)
    encoding, renamed = threading.Event(), threading.Event()
    real = intake.playable_copy
    waited: list[bool] = []

    def paused_encode(path: Path) -> PlayableCopy:
        encoding.set()
        waited.append(renamed.wait(timeout=10))
        return real(path)

    monkeypatch.setattr(intake, "playable_copy", paused_encode)
    source = aiff(tmp_path / "take.aiff", 2.0)
    results: list[intake.IntakeResult] = []
    upload = threading.Thread(target=lambda: results.append(add_files(project, "bass", source)))
    upload.start()
    assert encoding.wait(timeout=30)
    start = time.monotonic()
    project.rename_class("drums", to="perc")
    renamed.set()
    took_s = time.monotonic() - start
    upload.join(timeout=60)
    assert waited == [True], "the rename waited for the upload's encode"
    assert took_s < 5
    [sample] = results[0].added
    assert sample.id == "take.flac"
    # no staged file left beside the classes
    assert sorted(p.name for p in project.samples_dir.iterdir()) == ["background", "bass", "perc"]


def test_a_class_renamed_during_the_encode_is_not_made_again(project: Project, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    real = intake.playable_copy

    def encode_then_rename(path: Path) -> PlayableCopy:
        copy = real(path)
        project.rename_class("bass", to="Bass guitar")  # in this thread: NAMING is not held here
        return copy

    monkeypatch.setattr(intake, "playable_copy", encode_then_rename)
    with pytest.raises(NotFoundError, match="no class 'bass'"):
        add_files(project, "bass", aiff(tmp_path / "take.aiff", 1.0))
    assert sorted(p.name for p in project.samples_dir.iterdir()) == ["Bass guitar", "background", "drums"]
    assert list((project.samples_dir / "Bass guitar").iterdir()) == []


def test_a_staged_file_is_no_sample_and_is_swept_once_old(project: Project, tmp_path: Path) -> None:
    add_files(project, "bass", aiff(tmp_path / "take.aiff", 1.0))
    orphan = project.samples_dir / ".staged-0123456789abcdef.tmp"  # a crash between the write and its naming
    orphan.write_bytes((tmp_path / "take.aiff").read_bytes())
    assert project.class_names() == ["background", "bass", "drums"]
    assert [s.id for s in project.samples("bass")] == ["take.flac"]
    project.sweep_crash_leftovers()
    assert orphan.exists()  # maybe a write going on now
    old = time.time() - LEFTOVER_AGE_S - 60
    os.utime(orphan, (old, old))
    project.sweep_crash_leftovers()
    assert not orphan.exists()
    assert [s.id for s in project.samples("bass")] == ["take.flac"]
