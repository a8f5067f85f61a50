"""Edge cases of the cut-short checks and the MP3 sniff (earmark.mpegaudio, earmark.decode), each on a
file made here: a Matroska whose MP3 track strips each frame's header (ContentCompression, header
removal, as mkvmerge wrote it), MP3 in a Matroska that states no duration, MPEG-2.5 layer II (the
longest MPEG audio frames, 2881 bytes) and free-format MP3 (bitrate index 0). No encoder here writes
the last three as they are, so they are hand-built from frames PyAV encodes. And raw AAC (ADTS) cut
short, in a frame or in a frame's header."""

from __future__ import annotations

import io
import re
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

from earmark.audio import AudioWarning, load_audio
from earmark.containers import audio_held
from earmark.errors import AudioDecodeError
from earmark.mpegaudio import _MP3_MAX_FRAME, _mp3_frame

SECONDS = 3.0


def _encoded(codec: str, rate: int, bit_rate: int, *, fmt: str, **options: str) -> bytes:
    """A tone of :data:`SECONDS` encoded with PyAV (its own FFmpeg) as ``codec`` in ``fmt``."""
    import av

    pcm = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(SECONDS * rate)) / rate) * 32767).astype(np.int16)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt, options=options) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        stream.bit_rate = bit_rate
        for i in range(0, len(pcm), 1152):
            frame = av.AudioFrame.from_ndarray(pcm[np.newaxis, i : i + 1152], format="s16", layout="mono")
            frame.rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def _mpeg_frames(data: bytes) -> list[bytes]:
    """The frames of raw MPEG audio (no tag, no Xing header), where FFmpeg's demuxer finds them."""
    import av

    with av.open(io.BytesIO(data)) as container:
        return [data[p.pos : p.pos + p.size] for p in container.demux(container.streams.audio[0]) if p.size]


def _no_warning(path: Path) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("error", AudioWarning)
        return load_audio(path).duration_s


def _warned(path: Path, why: str) -> float:
    with pytest.warns(AudioWarning, match=rf"^{re.escape(str(path))}: ends after \d+\.\d s {why}; "
                                          r"the file may be cut short"):
        return load_audio(path).duration_s


# --- Matroska, written by hand: EBML elements ---------------------------------------------------------

_UNKNOWN_SIZE = b"\x01\xff\xff\xff\xff\xff\xff\xff"


def _size(n: int) -> bytes:
    """``n`` as an EBML size in as few bytes as hold it (all ones is "unknown", so not used)."""
    k = next(k for k in range(1, 9) if n < (1 << 7 * k) - 1)
    return (n | 1 << 7 * k).to_bytes(k, "big")


def _el(element_id: int, payload: bytes) -> bytes:
    return element_id.to_bytes((element_id.bit_length() + 7) // 8, "big") + _size(len(payload)) + payload


def _uint(element_id: int, value: int) -> bytes:
    return _el(element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def _matroska(frames: list[bytes], *, rate: int, frame_s: float, strip: bytes = b"",
              duration_s: float | None = None, laced: bool = False) -> bytes:
    """A Matroska file of one MP3 track of ``frames``, in SimpleBlocks in clusters of unknown size (as a
    browser or a pipe writes them), no cues. ``strip``: the bytes every frame opens with, removed from each
    block and stated once in the track's ContentEncoding (header removal, ContentCompAlgo 3);
    ``duration_s``: the duration its Info states (``None``: none, as a live recording); ``laced``: two
    frames in a block (Xiph lacing)."""
    assert all(f.startswith(strip) for f in frames) and not (laced and strip)
    if laced:  # the frames' count less one, the first's length (under 255), then both
        frames = [b"\x01" + bytes((len(a),)) + a + b for a, b in zip(frames[::2], frames[1::2], strict=True)]
        frame_s *= 2
    ebml = _el(0x1A45DFA3, _uint(0x4286, 1) + _uint(0x42F7, 1) + _uint(0x42F2, 4) + _uint(0x42F3, 8)
               + _el(0x4282, b"matroska") + _uint(0x4287, 4) + _uint(0x4285, 2))
    info = _uint(0x2AD7B1, 1_000_000) + _el(0x4D80, b"earmark test") + _el(0x5741, b"earmark test")
    if duration_s is not None:
        info += _el(0x4489, struct.pack(">d", duration_s * 1000))
    encoding = b""
    if strip:
        compression = _el(0x5034, _uint(0x4254, 3) + _el(0x4255, strip))
        encoding = _el(0x6D80, _el(0x6240, _uint(0x5031, 0) + _uint(0x5032, 1) + _uint(0x5033, 0) + compression))
    track = _el(0xAE, _uint(0xD7, 1) + _uint(0x73C5, 1) + _uint(0x83, 2) + _el(0x86, b"A_MPEG/L3")
                + _el(0xE1, _el(0xB5, struct.pack(">d", rate)) + _uint(0x9F, 1)) + encoding)
    body = _el(0x1549A966, info) + _el(0x1654AE6B, track)
    per_cluster = 40
    for first in range(0, len(frames), per_cluster):
        cluster_ms = round(first * frame_s * 1000)
        blocks = b"".join(
            _el(0xA3, b"\x81" + (round((first + k) * frame_s * 1000) - cluster_ms).to_bytes(2, "big", signed=True)
                + (b"\x82" if laced else b"\x80") + frame[len(strip) :])
            for k, frame in enumerate(frames[first : first + per_cluster]))
        body += b"\x1f\x43\xb6\x75" + _UNKNOWN_SIZE + _uint(0xE7, cluster_ms) + blocks
    return ebml + b"\x18\x53\x80\x67" + _UNKNOWN_SIZE + body


@pytest.fixture(scope="module")
def mp3_frames() -> list[bytes]:
    """MPEG-1 layer III frames of a tone at 48 kHz, 64 kb/s: 192 bytes each, every header the same."""
    frames = _mpeg_frames(_encoded("libmp3lame", 48000, 64000, fmt="mp3", id3v2_version="0", write_xing="0"))
    assert {f[:4] for f in frames} == {frames[0][:4]} and {len(f) for f in frames} == {192}
    return frames


@pytest.mark.parametrize("duration_s", [SECONDS, None], ids=["duration", "no-duration"])
@pytest.mark.parametrize("strip", [4, 3, 0], ids=lambda n: f"strip-{n}")
def test_a_whole_matroska_whose_blocks_strip_a_header_gives_no_warning(
        tmp_path: Path, mp3_frames: list[bytes], strip: int, duration_s: float | None) -> None:
    """FFmpeg's packets put the stripped bytes back, so they are longer than the blocks in the file: where
    a block ends is read from the file, not from the packet."""
    whole = tmp_path / "whole.mka"
    whole.write_bytes(_matroska(mp3_frames, rate=48000, frame_s=0.024, strip=mp3_frames[0][:strip],
                                duration_s=duration_s))
    assert _no_warning(whole) == pytest.approx(SECONDS, abs=0.06)


@pytest.mark.parametrize("strip", [4, 0], ids=lambda n: f"strip-{n}")
@pytest.mark.parametrize("keep", [0.5, 0.999])
def test_a_matroska_whose_blocks_strip_a_header_cut_short_says_so(
        tmp_path: Path, mp3_frames: list[bytes], strip: int, keep: float) -> None:
    data = _matroska(mp3_frames, rate=48000, frame_s=0.024, strip=mp3_frames[0][:strip])
    cut = tmp_path / "cut.mka"
    cut.write_bytes(data[: int(len(data) * keep)])
    assert _warned(cut, "partway through a packet") == pytest.approx(SECONDS * keep, abs=0.1)


@pytest.mark.parametrize("keep", [1.0, 0.5, 0.999])
def test_a_matroska_of_laced_blocks_is_told_whole_or_cut_short(tmp_path: Path, mp3_frames: list[bytes],
                                                               keep: float) -> None:
    """Two frames a block: the block's end is its stated size, not the last packet's."""
    data = _matroska(mp3_frames, rate=48000, frame_s=0.024, laced=True)
    path = tmp_path / "laced.mka"
    path.write_bytes(data[: int(len(data) * keep)])
    if keep == 1.0:
        assert _no_warning(path) == pytest.approx(SECONDS, abs=0.06)
    else:
        assert _warned(path, "partway through a packet") == pytest.approx(SECONDS * keep, abs=0.1)


# --- MP3 in a Matroska that states no duration --------------------------------------------------------


@pytest.fixture(scope="module")
def live_mka() -> bytes:
    """MP3 in Matroska as FFmpeg writes it to a pipe or live: no duration, no cues. FFmpeg guesses a
    length from the bitrate of the first packets, which is no promise."""
    return _encoded("libmp3lame", 44100, 128000, fmt="matroska", live="1")


def test_a_whole_mp3_in_a_matroska_without_a_duration_gives_no_warning(tmp_path: Path, live_mka: bytes) -> None:
    whole = tmp_path / "whole.mka"
    whole.write_bytes(live_mka)
    assert _no_warning(whole) == pytest.approx(SECONDS, abs=0.03)


def test_a_whole_hand_built_mp3_matroska_without_a_duration_gives_no_warning(
        tmp_path: Path, mp3_frames: list[bytes]) -> None:
    whole = tmp_path / "whole.mka"
    whole.write_bytes(_matroska(mp3_frames, rate=48000, frame_s=0.024))
    assert _no_warning(whole) == pytest.approx(SECONDS, abs=0.06)


@pytest.mark.parametrize("keep", [0.4, 0.999])
def test_an_mp3_in_a_matroska_without_a_duration_cut_short_says_so(tmp_path: Path, live_mka: bytes,
                                                                    keep: float) -> None:
    cut = tmp_path / "cut.mka"
    cut.write_bytes(live_mka[: int(len(live_mka) * keep)])
    assert _warned(cut, "partway through a packet") == pytest.approx(SECONDS * keep, abs=0.1)


def test_an_mp3_in_a_matroska_with_a_duration_cut_short_still_says_so(tmp_path: Path) -> None:
    data = _encoded("libmp3lame", 44100, 128000, fmt="matroska")
    cut = tmp_path / "cut.mka"
    cut.write_bytes(data[: len(data) // 2])
    assert _warned(cut, r"of the 3\.0 s its header promises") == pytest.approx(SECONDS / 2, abs=0.1)


def test_a_whole_aac_quiet_at_first_gives_no_warning(tmp_path: Path) -> None:
    """Raw AAC (ADTS) states no length: FFmpeg's, guessed from the first packets' bitrate, is 150 s here."""
    import av

    rate = 48000
    noise = np.random.default_rng(0).normal(0, 0.3, 7 * rate)
    pcm = (np.clip(np.concatenate([np.zeros(3 * rate), noise]), -1, 1) * 32767).astype(np.int16)
    path = tmp_path / "take.aac"
    with av.open(str(path), "w", format="adts") as out:
        stream = out.add_stream("aac", rate=rate, layout="mono")
        for i in range(0, len(pcm), 1024):
            frame = av.AudioFrame.from_ndarray(pcm[np.newaxis, i : i + 1024], format="s16", layout="mono")
            frame.rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    with av.open(str(path)) as container:
        assert container.duration > 100_000_000  # µs: FFmpeg's guess
    assert _no_warning(path) == pytest.approx(10.0, abs=0.05)


# --- raw AAC (ADTS) cut short: its demuxer marks no packet corrupt; the frames' headers tell --------------


@pytest.fixture(scope="module")
def adts() -> bytes:
    return _encoded("aac", 44100, 64000, fmt="adts")


def _adts_frames(data: bytes) -> list[tuple[int, int]]:
    """Where each ADTS frame starts and its length (13 bits of its 7-byte header, the header included)."""
    frames, at = [], 0
    while at + 7 <= len(data):
        assert data[at] == 0xFF and data[at + 1] & 0xF6 == 0xF0
        frames.append((at, (data[at + 3] & 3) << 11 | data[at + 4] << 3 | data[at + 5] >> 5))
        at += frames[-1][1]
    assert at == len(data)
    return frames


@pytest.mark.parametrize(("frame", "into"), [(60, 0.5), (60, 3), (-2, 3), (60, 7), (60, 8), (-1, -1)],
                         ids=["mid-frame", "in-a-header", "in-the-last-but-one-header", "header-only",
                              "a-byte-past-the-header", "a-byte-short"])
def test_a_raw_aac_cut_short_loads_as_far_as_it_goes_and_says_so(tmp_path: Path, adts: bytes, frame: int,
                                                                  into: float) -> None:
    """Cut in a frame (FFmpeg's decoder refused it: "damaged") or in its header (its demuxer stopped with
    an error, or quietly): the frames before it load, with the usual warning."""
    at, length = _adts_frames(adts)[frame]
    cut = tmp_path / "cut.aac"
    cut.write_bytes(adts[: at + (round(length * into) if 0 < into < 1 else int(into) % length)])
    before = tmp_path / "before.aac"
    before.write_bytes(adts[:at])
    assert _warned(cut, "partway through a packet") == pytest.approx(_no_warning(before), abs=1e-6)


def test_a_raw_aac_damaged_in_the_middle_is_still_refused(tmp_path: Path, adts: bytes) -> None:
    """A frame's tail lost in the middle (the file also cut short at its end): damage, not a file cut short."""
    frames = _adts_frames(adts)
    path = tmp_path / "damaged.aac"
    path.write_bytes((adts[: frames[40][0] + 50] + adts[frames[41][0] :])[:-5])
    with pytest.raises(AudioDecodeError, match=r"damaged\.aac: is damaged or cut short \(the decoder stopped"):
        load_audio(path)


# --- the longest MPEG audio frames: MPEG-2.5 layer II, 160 kb/s at 8 kHz (2880 bytes, 2881 padded) -----

ID3V1 = b"TAG" + b"earmark test".ljust(30, b"\0") + bytes(95)


@pytest.fixture(scope="module")
def mpeg25_layer2() -> bytes:
    """MPEG-2 layer II frames (160 kb/s at 16 kHz, 1440 bytes) made MPEG-2.5 (8 kHz): the same audio data,
    then as many zero bytes of ancillary data, to the 2880 bytes the header now states."""
    frames = _mpeg_frames(_encoded("mp2", 16000, 160000, fmt="mp2"))
    assert {len(f) for f in frames} == {1440} and frames[0][:2] == b"\xff\xf5"
    return b"".join(bytes([f[0], f[1] & 0xE7]) + f[2:] + bytes(1440) for f in frames)


def test_the_longest_mpeg_frame_is_the_one_the_readers_allow_for() -> None:
    """MPEG-2.5 layer II, 160 kb/s at 8 kHz, padded: 144 * 160000 / 8000 + 1 bytes (not MPEG-1's 1729)."""
    frame = _mp3_frame(bytes.fromhex("ffe5eac4"))
    assert frame is not None and frame.length == _MP3_MAX_FRAME == 2881


def test_the_longest_mpeg_frames_are_known_as_mp3(mpeg25_layer2: bytes) -> None:
    held = audio_held(io.BytesIO(mpeg25_layer2))
    assert held is not None and held.kind == "MP3"
    assert audio_held(io.BytesIO(mpeg25_layer2[: 2880 + 2])) is None  # one frame and 2 bytes: no second header


@pytest.mark.parametrize("tag", [b"", ID3V1], ids=["no-tag", "id3v1"])
def test_the_longest_mpeg_frames_whole_give_no_warning(tmp_path: Path, mpeg25_layer2: bytes, tag: bytes) -> None:
    whole = tmp_path / "whole.mp2"
    whole.write_bytes(mpeg25_layer2 + tag)
    assert _no_warning(whole) == pytest.approx(2 * SECONDS, abs=0.3)  # 8 kHz: the 16 kHz tone, twice as long


@pytest.mark.parametrize("tag", [b"", ID3V1], ids=["no-tag", "id3v1"])
@pytest.mark.parametrize("cut_by", [1, 1000, 2879])
def test_the_longest_mpeg_frames_cut_short_say_so(tmp_path: Path, mpeg25_layer2: bytes, tag: bytes,
                                                  cut_by: int) -> None:
    cut = tmp_path / "cut.mp2"
    cut.write_bytes(mpeg25_layer2[:-cut_by] + tag)
    assert _warned(cut, "partway through an MP3 frame") == pytest.approx(2 * SECONDS, abs=0.5)


# --- free format: bitrate index 0, the frame's length the distance to the next header -----------------


def _free_format(frames: list[bytes]) -> bytes:
    """``frames`` (of one length, unpadded) with their bitrate index set to 0: free format, as
    ``lame --freeformat`` writes it."""
    return b"".join(f[:2] + bytes([f[2] & 0x0F]) + f[3:] for f in frames)


@pytest.fixture(scope="module")
def free_mp3(mp3_frames: list[bytes]) -> bytes:
    return _free_format(mp3_frames)


@pytest.fixture(scope="module")
def free_mp2() -> bytes:
    frames = _mpeg_frames(_encoded("mp2", 48000, 192000, fmt="mp2"))
    assert {len(f) for f in frames} == {576}
    return _free_format(frames)


@pytest.mark.parametrize("which", ["free_mp3", "free_mp2"])
def test_a_free_format_mp3_is_known_as_mp3_and_decodes(request: pytest.FixtureRequest, tmp_path: Path,
                                                       which: str) -> None:
    data: bytes = request.getfixturevalue(which)
    for head in (data, data[: len(data) // 2]):  # whole or cut short
        held = audio_held(io.BytesIO(head))
        assert held is not None and held.kind == "MP3"
    path = tmp_path / "free.wav"  # misnamed, as an upload may be
    path.write_bytes(data)
    assert _no_warning(path) == pytest.approx(SECONDS, abs=0.06)


def test_free_format_needs_three_headers_in_step(free_mp3: bytes) -> None:
    """A lone free-format header, or two, is no MP3; random bytes after one are none either."""
    assert audio_held(io.BytesIO(free_mp3[:192] + bytes(1000))) is None
    assert audio_held(io.BytesIO(free_mp3[:384] + bytes(1000))) is None
    rng = np.random.default_rng(0)
    for _ in range(300):
        data = b"\xff\xfb\x04" + rng.integers(0, 256, int(rng.integers(2, 8000)), np.uint8).tobytes()
        assert audio_held(io.BytesIO(data)) is None
