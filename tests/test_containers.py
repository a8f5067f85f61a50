"""Tests for earmark.containers' readers of what a file is, by its first bytes: the checked-in awkward
files, and files of each other container made here."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earmark.containers import audio_held, other_held

DATA = Path(__file__).parent / "data" / "audio"
AUDIO = sorted(p for p in DATA.iterdir() if p.suffix.lower() != ".md" and p.stat().st_size
               and p.name != "not_audio.wav")


@pytest.mark.parametrize("path", AUDIO, ids=lambda p: p.name)
def test_each_checked_in_audio_file_is_known_by_its_bytes_and_named_rightly(path: Path) -> None:
    with path.open("rb") as stream:
        held = audio_held(stream)
        assert stream.tell() == 0  # left where it was
        assert other_held(stream) is None
    assert held is not None and path.suffix.lower() in held.suffixes and held.suffix in held.suffixes


@pytest.mark.parametrize(("fmt", "kind", "suffix"), [("WAV", "WAV", ".wav"), ("RF64", "WAV", ".wav"),
                                                     ("W64", "Wave64", ".w64"), ("CAF", "CAF", ".caf"),
                                                     ("AU", "AU", ".au"), ("AIFF", "AIFF", ".aiff"),
                                                     ("FLAC", "FLAC", ".flac"), ("OGG", "Ogg", ".ogg"),
                                                     ("MP3", "MP3", ".mp3")])
def test_containers_libsndfile_writes_are_known(fmt: str, kind: str, suffix: str) -> None:
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(4410, np.float32), 44100, format=fmt)
    held = audio_held(buffer)
    assert held is not None and (held.kind, held.suffix) == (kind, suffix)


@pytest.mark.parametrize(("head", "suffix"), [
    (b"\x00\x00\x00\x1cftypM4A \x00\x00\x02\x00", ".m4a"),
    (b"\x00\x00\x00\x1cftypisom\x00\x00\x02\x00", ".mp4"),  # not an audio brand: a video's sound, kept as WAV
    (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00", ".mov"),
    (b"\xff\xf1\x50\x80", ".aac"),  # ADTS
    (b"\xff\xfb\x90\x64", ".mp3"),  # an MPEG-1 layer III frame
    (b"ID3\x04\x00\x00\x00\x00\x00\x00fLaC", ".flac"),  # a tag before FLAC
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", ".mka"),
])
def test_containers_are_told_apart_by_their_first_bytes(head: bytes, suffix: str) -> None:
    held = audio_held(io.BytesIO(head + bytes(64)))
    assert held is not None and held.suffix == suffix


@pytest.mark.parametrize(("head", "kind"), [(b"PK\x03\x04", "zip"), (b"\x89PNG\r\n\x1a\n", "png"),
                                            (b"%PDF-1.7", "pdf"), (b"\xff\xd8\xff\xe0", "jpeg"),
                                            (b"hello, this is text", None), (b"", None)])
def test_other_files_are_told_by_their_first_bytes(head: bytes, kind: str | None) -> None:
    stream = io.BytesIO(head + bytes(32) if head else b"")
    assert other_held(stream) == kind
    assert audio_held(stream) is None


def test_a_safetensors_file_is_an_earmark_model_only_with_an_earmark_header() -> None:
    header = b'{"__metadata__":{"format":"earmark-model"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'
    model = len(header).to_bytes(8, "little") + header + bytes(4)
    assert other_held(io.BytesIO(model)) == "earmark model"
    assert other_held(io.BytesIO(model[:40])) == "safetensors"  # cut before it says whose it is
    other = model.replace(b"earmark-model", b"something-els")
    assert other_held(io.BytesIO(other)) == "safetensors"
