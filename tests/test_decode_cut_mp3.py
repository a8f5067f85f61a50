"""Tests for earmark.decode on an MP3 without a Xing/Info header (constant bitrate, as FFmpeg writes it with
``write_xing=0`` and many old encoders did), cut short: nothing states its length, but its last frame's
header states more bytes than the file holds. Every file is made here: a 10 s tone encoded with PyAV."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earmark.audio import AudioWarning, load_audio

SECONDS, RATE = 10.0, 44100
ID3V1 = b"TAG" + b"earmark test".ljust(30, b"\0") + bytes(95)  # 128 bytes, as taggers append to any file


def _ape_tag() -> bytes:
    """An APE v2 tag (header, one item, footer), as foobar2000 or mp3gain append."""
    item = (6).to_bytes(4, "little") + bytes(4) + b"Artist\0" + b"nobody"
    def block(flags: int) -> bytes:  # its size counts the items and the footer
        return (b"APETAGEX" + (2000).to_bytes(4, "little") + (len(item) + 32).to_bytes(4, "little")
                + (1).to_bytes(4, "little") + flags.to_bytes(4, "little") + bytes(8))
    return block(0xA0000000) + item + block(0x80000000)  # the header's flags say it is one; both: there is one


APE = _ape_tag()
_LYRICS = b"LYRICSBEGIN" + b"IND00003110" + b"LYR00011hello world"
#: A Lyrics3 v2 tag: its fields, their size in six digits, and its end mark (before an ID3v1 tag).
LYRICS3 = _LYRICS + b"%06d" % len(_LYRICS) + b"LYRICS200"


@pytest.fixture(scope="module")
def cbr_mp3(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A 10 s tone as a constant-bitrate MP3 with no Xing/Info header (an ID3v2 tag before its frames)."""
    import av

    pcm = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(SECONDS * RATE)) / RATE) * 32767).astype(np.int16)
    path = tmp_path_factory.mktemp("mp3") / "cbr.mp3"
    with av.open(str(path), "w", options={"write_xing": "0"}) as out:
        stream = out.add_stream("libmp3lame", rate=RATE, layout="mono")
        for i in range(0, len(pcm), 1152):
            frame = av.AudioFrame.from_ndarray(pcm[np.newaxis, i : i + 1152], format="s16", layout="mono")
            frame.rate = RATE
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    data = path.read_bytes()
    assert data[:3] == b"ID3" and b"Xing" not in data[:4096] and b"Info" not in data[:4096]
    return data


def _frames(data: bytes) -> list[tuple[int, int]]:
    """Where each frame of ``data`` begins, and its length, as FFmpeg's demuxer finds them."""
    import av

    with av.open(io.BytesIO(data)) as container:
        return [(p.pos, p.size) for p in container.demux(container.streams.audio[0]) if p.size]


def _no_warning(path: Path) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("error", AudioWarning)
        return load_audio(path).duration_s


def _warned(path: Path) -> float:
    """How far ``path`` loads, checking that it says it ends partway through a frame, and where."""
    with pytest.warns(AudioWarning) as caught:
        loaded = load_audio(path).duration_s
    message = str(caught[0].message)
    said = re.match(rf"^{re.escape(str(path))}: ends after (\d+\.\d) s partway through an MP3 frame; the file "
                    r"may be cut short \(a download or copy broken off\): re-export or re-copy it to use all of it$",
                    message)
    assert said is not None, message
    assert float(said.group(1)) == pytest.approx(loaded, abs=0.06)
    return loaded


@pytest.mark.parametrize("keep", [0.05, 0.3, 0.61, 0.999])
def test_a_cbr_mp3_cut_short_loads_as_far_as_it_goes_and_says_so(tmp_path: Path, cbr_mp3: bytes, keep: float) -> None:
    """It used to load as a shorter recording without a word."""
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(cbr_mp3[: int(len(cbr_mp3) * keep)])
    assert _warned(cut) == pytest.approx(SECONDS * keep, abs=0.1)


@pytest.mark.parametrize("into", [1, 2, 3, 4, 200], ids=lambda n: f"{n}-bytes-into-a-frame")
def test_an_mp3_cut_inside_a_frame_or_its_header_says_so(tmp_path: Path, cbr_mp3: bytes, into: int) -> None:
    at = _frames(cbr_mp3)[200][0] + into
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(cbr_mp3[:at])
    assert _warned(cut) == pytest.approx(200 * 1152 / RATE, abs=0.06)


def test_an_mp3_cut_short_with_a_tag_appended_still_says_so(tmp_path: Path, cbr_mp3: bytes) -> None:
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(cbr_mp3[: len(cbr_mp3) // 2] + APE + ID3V1)
    _warned(cut)


@pytest.mark.parametrize("tags", [b"", ID3V1, APE, APE + ID3V1, LYRICS3 + ID3V1, APE + LYRICS3 + ID3V1],
                         ids=["none", "id3v1", "ape", "ape-id3v1", "lyrics3-id3v1", "ape-lyrics3-id3v1"])
def test_a_whole_cbr_mp3_with_or_without_tags_appended_gives_no_warning(tmp_path: Path, cbr_mp3: bytes,
                                                                        tags: bytes) -> None:
    whole = tmp_path / "whole.mp3"
    whole.write_bytes(cbr_mp3 + tags)
    assert _no_warning(whole) == pytest.approx(SECONDS, abs=0.06)


def test_an_mp3_cut_between_two_frames_cannot_be_told(tmp_path: Path, cbr_mp3: bytes) -> None:
    """Each frame is whole: nothing in the file says that more should follow (so it loads without a word)."""
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(cbr_mp3[: _frames(cbr_mp3)[200][0]])
    assert _no_warning(cut) == pytest.approx(200 * 1152 / RATE, abs=0.06)


def test_an_mp3_with_a_xing_header_cut_inside_its_last_frame_says_so(tmp_path: Path) -> None:
    """Too little is missing to fall short of the length its Xing header promises (a frame, 26 ms):
    the last frame's header still tells."""
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(int(SECONDS * RATE), np.float32), RATE, format="MP3")
    data = buffer.getvalue()
    cut, whole = tmp_path / "cut.mp3", tmp_path / "whole.mp3"
    cut.write_bytes(data[:-50])
    whole.write_bytes(data)
    assert _warned(cut) == pytest.approx(_no_warning(whole), abs=0.06)


def test_tag_marks_inside_the_last_frame_of_a_whole_mp3_are_not_taken_for_tags(cbr_mp3: bytes) -> None:
    """A whole file whose last frame's data happens to hold "TAG" 128 bytes before the end (or an ID3v2
    footer's "3DI" 10 bytes before it): the frames run to the last byte, so nothing was cut."""
    from earmark.mpegaudio import mp3_ends_in_a_frame

    for mark, back in ((b"TAG", 128), (b"3DI\x04\x00\x00\x00\x00\x01\x00", 10)):
        data = bytearray(cbr_mp3)
        data[-back : len(data) - back + len(mark)] = mark
        assert not mp3_ends_in_a_frame(io.BytesIO(bytes(data)))
        assert mp3_ends_in_a_frame(io.BytesIO(bytes(data[:-300])))
