"""The studio serves every sample in a format every browser plays (in-process API; real files)."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from conftest import aac_in_caf, alac, make_client, wav_bytes
from earmark.audio import load_audio
from earmark.project import Project
from earmark.studio.routes.samples import IN_USE_S, prune_cache

SR = 22050
DATA = Path(__file__).parent / "data" / "audio"
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
    os.utime(copy, ns=(10**18, 10**18))  # as if last played long ago
    made = copy.stat().st_ino
    assert client.get(sample["audio_url"]).content == first.content
    assert copy.stat().st_ino == made and copy.stat().st_mtime_ns > 10**18 + 10**9, "played: marked recently used"
    assert list((project.cache_dir / "playable").iterdir()) == [copy], "made once"
    assert stored.read_bytes() == original, "the sample itself is not touched"
    np.testing.assert_array_equal(load_audio(io.BytesIO(first.content)).samples, load_audio(stored).samples)


def test_a_wav_sample_is_served_as_it_is(studio: tuple[TestClient, Project]) -> None:
    client, project = studio
    [sample] = client.post(f"{BASE}/classes/bass/samples", files=[("files", ("a.wav", wav_bytes()))]).json()["added"]
    audio = client.get(sample["audio_url"])
    assert audio.headers["content-type"] == "audio/wav" and audio.content == wav_bytes()
    assert not (project.cache_dir / "playable").exists()


def test_a_replaced_sample_plays_as_it_is_now(studio: tuple[TestClient, Project]) -> None:
    """A sample file replaced in place (same name and size, or an Apple Lossless .m4a by an AAC one) is
    served as it is now, not from the copy, or the answer about the codec, of the file before."""
    client, project = studio
    stored = project.class_dir("bass") / "old.aiff"
    first, second = (np.random.default_rng(seed).integers(-(2**15), 2**15, size=(1, SR // 2)) for seed in (3, 4))
    sf.write(stored, first.T.astype(np.int16), SR, subtype="PCM_16", format="AIFF")
    [sample] = client.get(f"{BASE}/classes/bass/samples").json()["samples"]
    np.testing.assert_array_equal(sf.read(io.BytesIO(client.get(sample["audio_url"]).content), dtype="int16")[0],
                                  first[0])
    before = stored.stat().st_mtime_ns
    sf.write(stored, second.T.astype(np.int16), SR, subtype="PCM_16", format="AIFF")
    os.utime(stored, ns=(before + 10**9, before + 10**9))  # a coarse clock must not hide the change
    np.testing.assert_array_equal(sf.read(io.BytesIO(client.get(sample["audio_url"]).content), dtype="int16")[0],
                                  second[0])
    m4a = project.class_dir("bass") / "memo.m4a"
    alac(m4a, first.repeat(2, axis=0), bits=16)
    url = f"{BASE}/samples/bass/memo.m4a/audio"
    assert client.get(url).headers["content-type"] == "audio/flac"
    m4a.write_bytes((DATA / "mono.m4a").read_bytes())
    again = client.get(url)
    assert again.headers["content-type"] == "audio/mp4" and again.content == m4a.read_bytes()


def test_aac_in_a_caf_plays_as_the_same_aac(studio: tuple[TestClient, Project]) -> None:
    """A voice memo's CAF of AAC: the copy is the same AAC in an .m4a, not a float WAV many times its size."""
    client, project = studio
    stored = aac_in_caf(project.class_dir("bass") / "memo.caf", 0.3 * np.sin(np.arange(SR) / SR * 2 * np.pi * 220))
    [sample] = client.get(f"{BASE}/classes/bass/samples").json()["samples"]
    audio = client.get(sample["audio_url"])
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mp4"
    assert len(audio.content) < 2 * stored.stat().st_size


def test_the_cache_keeps_its_limits_on_files_and_bytes(tmp_path: Path) -> None:
    """The least recently used go first; the newest stays even when it alone is over the bytes."""
    def fill(sizes: list[int]) -> None:
        for n, size in enumerate(sizes):
            (tmp_path / f"{n}.bin").write_bytes(bytes(size))
            os.utime(tmp_path / f"{n}.bin", ns=(10**18 + n * 10**9,) * 2)

    def left() -> list[str]:
        return sorted(p.name for p in tmp_path.iterdir())

    fill([100] * 5)
    prune_cache(tmp_path, keep=3)
    assert left() == ["2.bin", "3.bin", "4.bin"]
    prune_cache(tmp_path, keep=3, max_bytes=250)
    assert left() == ["3.bin", "4.bin"]
    prune_cache(tmp_path, keep=3, max_bytes=200)
    assert left() == ["3.bin", "4.bin"], "at the limit: nothing goes"
    fill([10, 10, 10, 10, 500])
    prune_cache(tmp_path, keep=10, max_bytes=200)
    assert left() == ["4.bin"]


def test_the_cache_never_prunes_a_file_used_in_the_last_minute(tmp_path: Path) -> None:
    """A burst of new copies: one returned to a request a moment ago, and not yet sent (a FileResponse
    opens its file later), stays however far over its limits the folder is; older ones go."""
    now = time.time()
    for n, age_s in enumerate([3 * IN_USE_S, 2 * IN_USE_S, IN_USE_S / 2, IN_USE_S / 4, 1.0]):
        (tmp_path / f"{n}.bin").write_bytes(bytes(100))
        os.utime(tmp_path / f"{n}.bin", (now - age_s, now - age_s))
    prune_cache(tmp_path, keep=1, max_bytes=100, in_use_s=IN_USE_S)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2.bin", "3.bin", "4.bin"]
    old = now - 2 * IN_USE_S
    os.utime(tmp_path / "2.bin", (old, old))  # its minute is up
    prune_cache(tmp_path, keep=1, max_bytes=100, in_use_s=IN_USE_S)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3.bin", "4.bin"]


def test_playable_copies_sent_in_a_burst_all_stay_for_a_minute(studio: tuple[TestClient, Project],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the cache's limit, a copy just returned to one request is not deleted by the next one's
    pruning before it is sent; once its minute is up, it goes."""
    client, project = studio
    monkeypatch.setattr("earmark.studio.routes.samples.PLAYABLE_CACHE_FILES", 1)
    for seed in range(3):
        ints = np.random.default_rng(seed).integers(-(2**15), 2**15, size=(SR // 4,))
        sf.write(project.class_dir("bass") / f"old{seed}.aiff", ints.astype(np.int16), SR, subtype="PCM_16")
    for seed in range(3):
        assert client.get(f"{BASE}/samples/bass/old{seed}.aiff/audio").status_code == 200
    copies = sorted((project.cache_dir / "playable").iterdir())
    assert len(copies) == 3
    for copy in copies:
        os.utime(copy, ns=(10**18, 10**18))  # as if last played long ago
    (project.class_dir("bass") / "old0.aiff").touch()  # a new version: a new copy, and a pruning
    assert client.get(f"{BASE}/samples/bass/old0.aiff/audio").status_code == 200
    assert len(list((project.cache_dir / "playable").iterdir())) == 1
