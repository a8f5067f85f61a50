"""The studio serves every sample in a format every browser plays (in-process API; real files)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from conftest import alac, make_client, wav_bytes
from earmark.audio import load_audio
from earmark.project import Project

SR = 22050
BASE = "/api/projects/band"


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[tuple[TestClient, Project]]:
    project = Project.create(tmp_path / "projects" / "band")
    project.add_class("bass")
    with make_client(tmp_path / "projects") as client:
        yield client, project


def aiff_bytes(ints: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, ints.T.astype(np.int32) << 8, SR, subtype="PCM_24", format="AIFF")
    return buf.getvalue()


def test_an_uploaded_aiff_plays_as_flac(studio: tuple[TestClient, Project]) -> None:
    """QA: an AIFF sample gave MediaError 4 in Chromium. It is stored as FLAC, the same samples."""
    client, project = studio
    ints = np.random.default_rng(1).integers(-(2**23), 2**23, size=(2, SR))
    up = client.post(f"{BASE}/classes/bass/samples", files=[("files", ("Riff 1.aiff", aiff_bytes(ints)))])
    assert up.status_code == 201, up.text
    [sample] = up.json()["added"]
    assert sample["id"] == "Riff 1.flac" and sample["duration_s"] == 1.0
    audio = client.get(sample["audio_url"])
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/flac"
    assert (sf.read(io.BytesIO(audio.content), dtype="int32")[0].T >> 8 == ints).all()


@pytest.mark.parametrize("name", ["old.aiff", "old.m4a"])
def test_an_aiff_or_apple_lossless_sample_from_before_plays_from_a_flac_copy(
        studio: tuple[TestClient, Project], tmp_path: Path, name: str) -> None:
    """A project that already holds AIFF or Apple Lossless samples (saved before, or put in by hand):
    the file stays as it is, and the page gets a FLAC copy, made once per version of the file."""
    client, project = studio
    ints = np.random.default_rng(2).integers(-(2**15), 2**15, size=(2, SR // 2))
    stored = project.class_dir("bass") / name
    if name.endswith(".m4a"):
        alac(stored, ints, bits=16, sample_rate=SR)
    else:
        sf.write(stored, ints.T.astype(np.int16), SR, subtype="PCM_16", format="AIFF")
    original = stored.read_bytes()
    [sample] = client.get(f"{BASE}/classes/bass/samples").json()["samples"]
    first = client.get(sample["audio_url"])
    assert first.status_code == 200 and first.headers["content-type"] == "audio/flac"
    np.testing.assert_array_equal(sf.read(io.BytesIO(first.content), dtype="int16")[0].T, ints)
    [copy] = (project.cache_dir / "playable").iterdir()
    made = copy.stat().st_mtime_ns
    assert client.get(sample["audio_url"]).content == first.content and copy.stat().st_mtime_ns >= made
    assert list((project.cache_dir / "playable").iterdir()) == [copy], "made once"
    assert stored.read_bytes() == original, "the sample itself is not touched"
    np.testing.assert_array_equal(load_audio(io.BytesIO(first.content)).samples, load_audio(stored).samples)


def test_a_wav_sample_is_served_as_it_is(studio: tuple[TestClient, Project]) -> None:
    client, project = studio
    [sample] = client.post(f"{BASE}/classes/bass/samples", files=[("files", ("a.wav", wav_bytes()))]).json()["added"]
    audio = client.get(sample["audio_url"])
    assert audio.headers["content-type"] == "audio/wav" and audio.content == wav_bytes()
    assert not (project.cache_dir / "playable").exists()
