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
    ((b"\xff\xfb\x90\x64" + bytes(413)) * 2, ".mp3"),  # two MPEG-1 layer III frames (128 kb/s, 44.1 kHz)
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


# --- MP3: two frame headers in a row, not one sync word -------------------------------------------


def _mpeg_audio(codec: str = "libmp3lame", rate: int = 44100, *, seconds: float = 0.5, **options: str) -> bytes:
    """A tone encoded with PyAV (its own FFmpeg) as MPEG audio (``libmp3lame``: MP3; ``mp2``: layer II, raw
    frames), with the mp3 muxer's ``options`` (``id3v2_version="0"``: no tag, ``write_xing="0"``: no Xing header)."""
    import av

    pcm = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate) * 32767).astype(np.int16)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp2" if codec == "mp2" else "mp3", options=options) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        for i in range(0, len(pcm), 1152):
            frame = av.AudioFrame.from_ndarray(pcm[np.newaxis, i : i + 1152], format="s16", layout="mono")
            frame.rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def _held(data: bytes) -> str | None:
    held = audio_held(io.BytesIO(data))
    return None if held is None else held.kind


@pytest.mark.parametrize("rate", [44100, 48000, 32000, 22050, 8000])
@pytest.mark.parametrize("options", [{}, {"id3v2_version": "0"}, {"id3v2_version": "0", "write_xing": "0"}],
                         ids=["id3v2-and-xing", "no-tag", "no-tag-no-xing"])
def test_an_mp3_at_any_rate_is_known_by_its_frames(rate: int, options: dict[str, str]) -> None:
    """MPEG-1, -2 and -2.5 (8 kHz) layer III, with an ID3v2 tag before the frames or none."""
    data = _mpeg_audio(rate=rate, **options)
    assert data.startswith(b"ID3") != bool(options)
    assert _held(data) == "MP3"


@pytest.mark.parametrize("rate", [44100, 24000])
def test_mpeg_layer_ii_is_known_by_its_frames(rate: int) -> None:
    data = _mpeg_audio("mp2", rate)
    assert data[:2] == b"\xff\xfd" if rate == 44100 else data[:2] == b"\xff\xf5"  # MPEG-1 / -2 layer II
    assert _held(data) == "MP3"


@pytest.mark.parametrize("text", ["hello, this is text", "ünïcödé ♪ notes\nsecond line\n" * 40])
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_text_file_is_no_mp3(text: str, encoding: str) -> None:
    """UTF-16's mark (FF FE) reads as an MPEG sync word with a valid layer; no second frame follows."""
    data = ("\ufeff" if encoding != "utf-16" else "") + text
    assert _held(data.encode(encoding)) is None


def test_random_bytes_after_an_mp3_sync_word_are_no_mp3() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        data = b"\xff\xfb" + rng.integers(0, 256, int(rng.integers(2, 5000)), np.uint8).tobytes()
        assert _held(data) is None


def _first_frames(n: int) -> bytes:
    """The first ``n`` frames of an MP3 without a tag or a Xing header, where FFmpeg's demuxer finds them."""
    import av

    data = _mpeg_audio(id3v2_version="0", write_xing="0")
    with av.open(io.BytesIO(data)) as container:
        packets = [(p.pos, p.size) for p in container.demux(container.streams.audio[0]) if p.size]
    assert packets[0][0] == 0
    return data[: packets[n - 1][0] + packets[n - 1][1]]


def test_a_very_short_mp3_is_known_where_its_frames_end_with_the_file() -> None:
    """Decided: one whole frame, alone or before an ID3v1 tag, is an MP3 (nothing else could follow it);
    one frame cut short (nothing to check it against) is not known: it is kept by its name."""
    one, two = _first_frames(1), _first_frames(2)
    assert _held(one) == _held(two) == _held(one + b"TAG" + bytes(125)) == "MP3"
    assert _held(one[:-1]) is None and _held(one + b"\0") is None
    assert _held(two[:-100]) == "MP3"  # the second frame's header is there: a file cut short is still one
