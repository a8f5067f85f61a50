"""A big project exports and imports without needless work: its audio is stored in the zip as it is
(not deflated), and an import syncs its hidden folder to disk once, not each clip as it is written."""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import write_tone
from earmark.atomic import atomic_write, synced_when_done
from earmark.dataset import extract_zip
from earmark.importer import import_project
from earmark.project import PROJECT_FILE, Project


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The descriptors :func:`os.fsync` is called with, counted as it still syncs them."""
    called: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        called.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    yield called


def _project(root: Path, *, clips: int) -> Project:
    """A project of ``clips`` WAV tones in bass, a FLAC and an OGG in drums, and no background yet."""
    project = Project.create(root, name="big")
    for name in ("bass", "drums"):
        project.add_class(name)
    for k in range(clips):
        write_tone(project.set_dir("bass") / f"tone{k:03d}.wav", freq_hz=110.0 + 10 * k)
    noise = (0.2 * np.random.default_rng(0).standard_normal(11025)).astype(np.float32)
    sf.write(project.set_dir("drums") / "hit.flac", noise, 22050)
    sf.write(project.set_dir("drums") / "hat.ogg", noise, 22050)
    return project


def _digests(project: Project) -> list[str]:
    return sorted(hashlib.md5(f.read_bytes()).hexdigest() for f in project.samples_dir.rglob("*")
                  if f.is_file() and not f.name.startswith("."))


def _imported(archive: Path, tmp_path: Path, name: str) -> Project:
    unpacked = extract_zip(archive, tmp_path / f"{name}-unpacked")
    (tmp_path / "projects").mkdir(exist_ok=True)
    project, result = import_project(unpacked, tmp_path / "projects", name=name)
    assert result.skipped == []
    return project


def test_an_export_stores_its_audio_as_it_is_and_imports_again_the_same(tmp_path: Path) -> None:
    project = _project(tmp_path / "big", clips=3)
    archive = project.export_zip(tmp_path / "big.zip")
    with zipfile.ZipFile(archive) as zipped:
        kinds = {Path(info.filename).name: info.compress_type for info in zipped.infolist()}
    assert kinds == {PROJECT_FILE: zipfile.ZIP_DEFLATED, "tone000.wav": zipfile.ZIP_STORED,
                     "tone001.wav": zipfile.ZIP_STORED, "tone002.wav": zipfile.ZIP_STORED,
                     "hit.flac": zipfile.ZIP_STORED, "hat.ogg": zipfile.ZIP_STORED,
                     ".keep": zipfile.ZIP_DEFLATED}  # the empty background class's folder
    assert _digests(_imported(archive, tmp_path, "again")) == _digests(project)
    # a zip of an earlier earmark, every file deflated, imports the same
    old = tmp_path / "old.zip"
    with zipfile.ZipFile(archive) as zipped, zipfile.ZipFile(old, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info in zipped.infolist():
            out.writestr(info.filename, zipped.read(info))
    assert _digests(_imported(old, tmp_path, "old")) == _digests(project)


def test_an_import_syncs_the_same_few_times_however_many_clips(tmp_path: Path, fsyncs: list[int]) -> None:
    counts = []
    for clips in (2, 12):
        archive = _project(tmp_path / f"p{clips}", clips=clips).export_zip(tmp_path / f"p{clips}.zip")
        unpacked = extract_zip(archive, tmp_path / f"u{clips}")
        projects = tmp_path / f"projects{clips}"
        projects.mkdir()
        fsyncs.clear()
        project, result = import_project(unpacked, projects, name="imported")
        assert len(result.added) == clips + 2
        assert [p.name for p in projects.iterdir()] == ["imported"]  # in place, no hidden folder left
        counts.append(len(fsyncs))
    assert counts[0] == counts[1] <= 4, counts


def test_a_folder_synced_when_done_leaves_other_writes_synced_each(tmp_path: Path, fsyncs: list[int]) -> None:
    built, elsewhere = tmp_path / "built", tmp_path / "elsewhere"
    built.mkdir()
    with synced_when_done(built):
        with atomic_write(built / "clip.wav") as out:
            out.write(b"in the folder built")
        assert fsyncs == []
        with atomic_write(elsewhere / "kept.wav") as out:
            out.write(b"a sample in place")
        assert len(fsyncs) == 2  # the file, then its folder: as ever
    assert (built / "clip.wav").read_bytes() == b"in the folder built"
    with pytest.raises(RuntimeError, match="stopped"), synced_when_done(built):
        raise RuntimeError("stopped")
    with atomic_write(built / "later.wav") as out:  # the block is over: synced as ever again
        out.write(b"later")
    assert len(fsyncs) == 4
