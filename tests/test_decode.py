"""Tests for earmark.decode (through load_audio): files cut short, and WAVs written to a pipe.

Every file is made here, in ``tmp_path``: a 10 s tone encoded with soundfile or PyAV, then cut
the way an interrupted download or copy cuts it (at a byte, at a packet or page boundary).
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earmark.audio import AudioWarning, collecting_warnings, load_audio, probe
from earmark.errors import AudioDecodeError

SECONDS = 10.0


def _tone(rate: int, seconds: float = SECONDS) -> np.ndarray:
    return (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def _soundfile(fmt: str, subtype: str | None, rate: int = 44100) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        sf.write(path, _tone(rate), rate, format=fmt, subtype=subtype)
    return write


def _pyav(codec: str, rate: int, **options: str) -> Callable[[Path], None]:
    """Encode the tone with PyAV (its own FFmpeg) into ``path``'s container, with muxer ``options``."""
    def write(path: Path) -> None:
        import av

        pcm = (_tone(rate) * 32767).astype(np.int16)
        with av.open(str(path), "w", options=options) as out:
            stream = out.add_stream(codec, rate=rate, layout="mono")
            for i in range(0, len(pcm), 960):
                frame = av.AudioFrame.from_ndarray(pcm[np.newaxis, i : i + 960], format="s16", layout="mono")
                frame.rate = rate
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
    return write


COMPRESSED = {
    "cut.mp3": _soundfile("MP3", None),  # LAME's Xing header counts the frames
    "cut.ogg": _soundfile("OGG", "VORBIS"),
    "cut.opus": _soundfile("OGG", "OPUS", 48000),
    "cut.m4a": _pyav("aac", 44100, movflags="faststart"),  # the index first, as phones and iTunes write it
    "cut.webm": _pyav("libopus", 48000),
}


def _whole_and_cut(tmp_path: Path, name: str, keep: float | Callable[[bytes], int]) -> tuple[Path, Path]:
    whole = tmp_path / f"whole{Path(name).suffix}"
    COMPRESSED[name](whole)
    data = whole.read_bytes()
    cut = tmp_path / name
    cut.write_bytes(data[: keep(data) if callable(keep) else int(len(data) * keep)])
    return whole, cut


def _no_warning(path: Path) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("error", AudioWarning)
        return load_audio(path).samples


@pytest.mark.parametrize("name", sorted(COMPRESSED))
def test_a_compressed_file_cut_short_loads_as_far_as_it_goes_and_says_so(tmp_path: Path, name: str) -> None:
    """Read as far as it goes (it may still be worth learning from), with a warning naming the file:
    it used to load as a shorter recording without a word."""
    whole, cut = _whole_and_cut(tmp_path, name, 0.6)
    full = _no_warning(whole)
    assert len(full) / load_audio(whole).sample_rate == pytest.approx(SECONDS, abs=0.03)
    header = name.endswith((".mp3", ".m4a", ".webm"))  # a length its header states: the header may be wrong
    promise = "of the 10.0 s its header promises" if header else \
        "without the end-of-stream mark an Ogg file closes with"
    with pytest.warns(AudioWarning, match=rf"^{re.escape(str(cut))}: ends after [2-6]\.\d s {promise}; the file "
                                          r"may be cut short \(a download or copy broken off\)"
                                          + (r", or its header may be wrong: if it should be longer, re-export or "
                                             r"re-copy it to use all of it$" if header else
                                             r": re-export or re-copy it to use all of it$")):
        part = load_audio(cut)
    assert 2.0 < part.duration_s < 6.5  # an Ogg file loses the page it breaks off in (2.8 s of Vorbis here)
    np.testing.assert_allclose(part.samples[: len(part.samples) // 2], full[: len(part.samples) // 2], atol=2e-3)



def test_a_whole_mp3_whose_xing_header_counts_too_many_frames_may_have_a_wrong_header(tmp_path: Path) -> None:
    """All of it loads, and the warning allows that the header, not the file, is wrong (an editor that
    rewrote the audio and kept the old header): it does not only say the file was cut short."""
    whole, _ = _whole_and_cut(tmp_path, "cut.mp3", 1.0)
    data = bytearray(whole.read_bytes())
    tag = max(data.find(b"Xing"), data.find(b"Info"))
    assert tag > 0 and data[tag + 7] & 1, "LAME's header counts the frames"
    frames = int.from_bytes(data[tag + 8 : tag + 12], "big")
    data[tag + 8 : tag + 12] = (frames * 10).to_bytes(4, "big")  # ten times the frames there are
    told = tmp_path / "told.mp3"
    told.write_bytes(bytes(data))
    with pytest.warns(AudioWarning, match=rf"^{re.escape(str(told))}: ends after 10\.0 s of the 100\.\d s its header "
                                          r"promises; the file may be cut short \(a download or copy broken off\), "
                                          r"or its header may be wrong: if it should be longer, re-export or re-copy "
                                          r"it to use all of it$"):
        loaded = load_audio(told)
    assert loaded.duration_s == pytest.approx(SECONDS, abs=0.05)


def _packets(data: bytes) -> list[tuple[int, int]]:
    import av

    with av.open(io.BytesIO(data)) as container:
        return [(p.pos, p.size) for p in container.demux(container.streams.audio[0]) if p.size]


@pytest.mark.parametrize("where", ["between packets", "inside a packet"])
def test_an_m4a_cut_inside_or_between_packets_loads_and_says_so(tmp_path: Path, where: str) -> None:
    """Cut inside a packet, FFmpeg's AAC decoder fails on the last, broken packet: that is the file
    ending, not damage inside it, so what came before loads (a decoder error mid-file is refused)."""
    def at(data: bytes) -> int:
        pos, size = _packets(data)[len(_packets(data)) // 2]
        return pos + (size // 2 if where == "inside a packet" else 0)

    _, cut = _whole_and_cut(tmp_path, "cut.m4a", at)
    with pytest.warns(AudioWarning, match=r"cut\.m4a: ends after [45]\.\d s of the 10\.0 s its header promises"):
        assert 4.0 < load_audio(cut).duration_s < 5.5


@pytest.mark.parametrize("where", ["between pages", "inside a page"])
def test_an_ogg_file_cut_between_or_inside_pages_says_so(tmp_path: Path, where: str) -> None:
    """Ogg states no length: its decoders report what the file holds. The mark its last page
    carries tells a file cut short, wherever it was cut."""
    def at(data: bytes) -> int:
        pages = [m.start() for m in re.finditer(b"OggS", data)]
        return pages[len(pages) // 2] + (100 if where == "inside a page" else 0)

    _, cut = _whole_and_cut(tmp_path, "cut.opus", at)
    with pytest.warns(AudioWarning, match=r"cut\.opus: ends after \d\.\d s without the end-of-stream mark"):
        load_audio(cut)


ID3V1_TAG = b"TAG" + b"earmark test".ljust(30, b"\0") + bytes(95)  # 128 bytes, as taggers append to any file


@pytest.mark.parametrize("name", ["cut.ogg", "cut.opus"])
def test_a_whole_ogg_file_with_a_tag_appended_gives_no_warning(tmp_path: Path, name: str) -> None:
    """Some taggers append an ID3v1 tag to Ogg files too: the bytes after the last page are no page,
    and the page before them closes the stream, so the file is whole."""
    whole = tmp_path / f"tagged{Path(name).suffix}"
    COMPRESSED[name](whole)
    whole.write_bytes(whole.read_bytes() + ID3V1_TAG)
    assert len(_no_warning(whole)) / load_audio(whole).sample_rate == pytest.approx(SECONDS, abs=0.03)


def test_an_ogg_file_cut_short_with_a_tag_appended_still_says_so(tmp_path: Path) -> None:
    _, cut = _whole_and_cut(tmp_path, "cut.opus", 0.6)
    cut.write_bytes(cut.read_bytes() + ID3V1_TAG)
    with pytest.warns(AudioWarning, match=r"cut\.opus: ends after \d\.\d s without the end-of-stream mark"):
        load_audio(cut)


def test_a_webm_cut_after_its_header_loads_as_far_as_it_goes(tmp_path: Path) -> None:
    _, cut = _whole_and_cut(tmp_path, "cut.webm", 0.9)
    with pytest.warns(AudioWarning, match=r"cut\.webm: ends after [89]\.\d s of the 10\.0 s"):
        assert 8.0 < load_audio(cut).duration_s < 9.8


def test_a_whole_mp3_without_a_xing_header_gives_no_warning(tmp_path: Path) -> None:
    """Without a header that counts its frames, an MP3's length is estimated from its size (a
    little over what decodes): that is no promise, and the file is whole. (Cut short, such an MP3 is
    told by its last frame, which runs past the end: see test_decode_cut_mp3.py.)"""
    path = tmp_path / "cbr.mp3"
    _pyav("libmp3lame", 44100, write_xing="0")(path)
    assert b"Xing" not in path.read_bytes()[:4096] and b"Info" not in path.read_bytes()[:4096]
    assert sf.info(str(path)).frames > len(_no_warning(path))  # the estimate says more than there is
    assert len(_no_warning(path)) / 44100 == pytest.approx(SECONDS, abs=0.05)


def test_an_m4a_damaged_inside_is_still_refused() -> None:
    data = (Path(__file__).parent / "data" / "audio" / "mono.m4a").read_bytes()
    with pytest.raises(AudioDecodeError, match=r"^<bytes>: is damaged or cut short .* after 0\.\d\d s of audio"):
        load_audio(data[:1500] + bytes(range(256)) * 4 + data[2524:])


# --- WAVs over 4 GB: RF64 and W64, written to a pipe or cut short -------------------------


def _piped(fmt: str, tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A 3 s tone as ``fmt``, with the header a writer to a pipe leaves (it cannot go back to fill
    in the sizes): ``ffmpeg -rf64 always -f wav -`` leaves RF64's ds64 sizes 0, ``ffmpeg -f w64 -``
    states riff size 2**64 - 1 and data size 2**63 - 1."""
    y = _tone(16000, 3.0)
    buf = io.BytesIO()
    sf.write(buf, y, 16000, format=fmt, subtype="PCM_16")
    data = bytearray(buf.getvalue())
    if fmt == "RF64":
        data[20:44] = bytes(24)  # RIFF size, data size, sample count
    else:
        data[16:24] = b"\xff" * 8
        at = data.index(b"data")
        data[at + 16 : at + 24] = (2**63 - 1).to_bytes(8, "little")
    path = tmp_path / f"piped.{fmt.lower()}"
    path.write_bytes(bytes(data))
    return path, (np.round(y * 32767) / 32768).astype(np.float32)


@pytest.mark.parametrize("fmt", ["RF64", "W64"])
def test_an_rf64_or_w64_written_to_a_pipe_loads_whole(tmp_path: Path, fmt: str,
                                                      capfd: pytest.CaptureFixture[str]) -> None:
    """An RF64 from a pipe read as empty ("holds no audio samples"); a W64 from a pipe loaded, but
    libsndfile seeked to its placeholder size and Python printed the failed seeks."""
    path, y = _piped(fmt, tmp_path)
    np.testing.assert_allclose(load_audio(path).samples, y, atol=1e-4)
    np.testing.assert_allclose(load_audio(path.read_bytes()).samples, y, atol=1e-4)
    assert probe(path) == (pytest.approx(3.0), 16000)
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize("fmt", ["RF64", "W64"])
def test_an_rf64_or_w64_cut_short_is_refused_as_a_wav_is(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"cut.{fmt.lower()}"
    sf.write(path, _tone(16000, 3.0), 16000, format=fmt, subtype="PCM_16")
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size // 2)
    with pytest.raises(AudioDecodeError, match=rf"cut\.{fmt.lower()}: is damaged or cut short \(it says it holds "
                                               r"3\.00 s but ends after 1\.\d\d s\)"):
        load_audio(path)


def test_collecting_warnings_keeps_a_threads_own_and_leaves_other_threads_alone(tmp_path: Path) -> None:
    """A collector catches its own thread's cut-short messages, whatever another thread does with the
    warnings module meanwhile (``catch_warnings`` swaps it for every thread), and changes nothing for
    other threads: theirs still go through :mod:`warnings`."""
    import threading

    _, cut = _whole_and_cut(tmp_path, "cut.opus", 0.6)
    entered, leave = threading.Event(), threading.Event()

    def other_thread_swapping_filters() -> None:  # as torch or an exporter does with catch_warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            entered.set()
            leave.wait(10)

    other = threading.Thread(target=other_thread_swapping_filters)
    with collecting_warnings() as messages:
        other.start()
        assert entered.wait(10)
        load_audio(cut)  # inside the other thread's catch_warnings: a warnings.warn here would be ignored
        leave.set()
        other.join()
    assert len(messages) == 1 and messages[0].startswith(f"{cut}: ends after ")

    seen: list[list[str]] = []
    worker = threading.Thread(target=lambda: seen.append(_warned_in_thread(cut)))
    with collecting_warnings() as mine:
        worker.start()
        worker.join()
    assert mine == [] and len(seen[0]) == 1  # the worker's went through warnings, not into this collector


def _warned_in_thread(path: Path) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AudioWarning)
        load_audio(path)
    return [str(w.message) for w in caught if issubclass(w.category, AudioWarning)]
