"""Tests for earmark.audio on the awkward little files in tests/data/audio/.

Every good file holds a known tone (see tests/data/audio/README.md), so the tests check
what comes out (rate, length, pitch, level, timing), not just that something loads.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earmark.audio import (
    AUDIO_EXTENSIONS,
    MIN_DURATION_S,
    Audio,
    AudioWarning,
    as_waveform,
    check_sample_rate,
    frame_windows,
    is_number,
    load_audio,
    resample,
    resampler,
    to_mono,
    valid_audio,
    write_wav,
)
from earmark.errors import AudioDecodeError, EarmarkError, OutputError, ParameterError

DATA = Path(__file__).parent / "data" / "audio"

#: Allowed length error for lossy files. Measured (libsndfile 1.2.2, PyAV 18 / FFmpeg 8.1):
#: every file decodes to its exact length. libsndfile honours MP3's LAME gapless header,
#: Opus pre-skip and Vorbis granule positions; FFmpeg trims AAC priming but keeps the end
#: padding (239 samples here), which load_audio cuts to the length the MP4 states. 1 ms
#: still fails a decoder that keeps priming or padding (MP3 >= 25 ms, Opus 6.5 ms, AAC
#: up to 46 ms at 22.05 kHz).
LOSSY_TOLERANCE_S = 0.001


@dataclass(frozen=True)
class Case:
    """What a good file holds: one sine per channel, all starting at phase 0."""

    name: str
    sample_rate: int
    duration_s: float
    freqs_hz: tuple[float, ...] = (440.0,)
    amps: tuple[float, ...] = (0.5,)
    lossy: bool = False
    decoder: str = "libsndfile"

    @property
    def channels(self) -> int:
        return len(self.freqs_hz)

    @property
    def n_samples(self) -> int:
        return round(self.duration_s * self.sample_rate)


STEREO_HZ, STEREO_AMPS = (440.0, 660.0), (0.5, 0.25)
SIX_HZ, SIX_AMPS = (300.0, 400.0, 500.0, 600.0, 700.0, 800.0), (0.3,) * 6
GOOD = [
    Case("mono_uint8.wav", 16000, 0.5),
    Case("mono_int16_8k.wav", 8000, 0.5),
    Case("stereo_int24_48k.wav", 48000, 0.25, STEREO_HZ, STEREO_AMPS),
    Case("mono_int32.wav", 16000, 0.25),
    Case("mono_float32.wav", 16000, 0.25),
    Case("mono_float64.wav", 8000, 0.25),
    Case("stereo.flac", 96000, 0.15, STEREO_HZ, STEREO_AMPS),
    Case("mono.ogg", 16000, 0.5, lossy=True),
    Case("mono.opus", 16000, 0.5, lossy=True),  # libsndfile decodes at the header's input rate
    Case("stereo.mp3", 44100, 0.5, STEREO_HZ, STEREO_AMPS, lossy=True),
    Case("mono.m4a", 22050, 0.5, lossy=True, decoder="ffmpeg"),
    Case("mono.webm", 48000, 0.5, lossy=True, decoder="ffmpeg"),
    Case("phone_video.mov", 44100, 0.5, lossy=True, decoder="ffmpeg"),  # with a video track, longer than the sound
    Case("mono.3gp", 16000, 0.5, lossy=True, decoder="ffmpeg"),
    Case("mono.aiff", 16000, 0.25),
    Case("surround_6ch.wav", 8000, 0.25, SIX_HZ, SIX_AMPS),
    Case("UPPER_CASE.WAV", 16000, 0.25),
]
BY_NAME = {case.name: case for case in GOOD}
good_cases = pytest.mark.parametrize("case", GOOD, ids=[c.name for c in GOOD])


# --- helpers and fixtures -------------------------------------------------------------


def tone(freq_hz: float, *, sample_rate: int, duration_s: float, amp: float = 0.5) -> np.ndarray:
    t = np.arange(round(duration_s * sample_rate)) / sample_rate
    return (amp * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def amplitude_at(y: np.ndarray, freq_hz: float, *, sample_rate: int) -> float:
    """Amplitude of the ``freq_hz`` component (Hann-windowed projection)."""
    w = np.hanning(y.shape[-1])
    t = np.arange(y.shape[-1]) / sample_rate
    return float(2 * abs(np.sum(w * y * np.exp(-2j * np.pi * freq_hz * t))) / np.sum(w))


def peak_hz(y: np.ndarray, *, sample_rate: int) -> float:
    """Frequency of the FFT peak, zero-padded to well under 1 Hz per bin."""
    n_fft = max(1 << 18, 1 << int(np.ceil(np.log2(y.shape[-1]))))
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.shape[-1]), n_fft))
    return float(np.argmax(spectrum) * sample_rate / n_fft)


def reference(case: Case, *, sample_rate: int, n_samples: int) -> np.ndarray:
    """The case's tones mixed to mono, as the file was made."""
    t = np.arange(n_samples) / sample_rate
    chans = [a * np.sin(2 * np.pi * f * t) for f, a in zip(case.freqs_hz, case.amps, strict=True)]
    return np.mean(chans, axis=0)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(a.shape[-1], b.shape[-1])
    return float(np.dot(a[:n], b[:n]) / (np.linalg.norm(a[:n]) * np.linalg.norm(b[:n])))


def tolerance_samples(case: Case, sample_rate: int) -> int:
    return round(LOSSY_TOLERANCE_S * sample_rate) if case.lossy else 0


@pytest.fixture
def tone_wav(tmp_path: Path) -> Path:
    """A 0.3 s, 440 Hz, amplitude 0.5 int16 WAV at 16 kHz, written to ``tmp_path``."""
    path = tmp_path / "tone.wav"
    sf.write(path, tone(440.0, sample_rate=16000, duration_s=0.3), 16000, subtype="PCM_16")
    return path


# --- good files -----------------------------------------------------------------------


def test_checked_in_files_stay_small() -> None:
    total = sum(p.stat().st_size for p in DATA.iterdir())
    assert total < 300_000


@good_cases
@pytest.mark.filterwarnings("error::earmark.audio.AudioWarning")  # none is cut short: no warning
def test_good_file_decodes_to_the_known_tone(case: Case) -> None:
    audio = load_audio(DATA / case.name)
    y, sr = audio.samples, audio.sample_rate
    assert y.dtype == np.float32 and y.ndim == 1
    assert sr == case.sample_rate
    assert audio.source == str(DATA / case.name)
    assert abs(y.shape[0] - case.n_samples) <= tolerance_samples(case, sr)
    assert audio.duration_s == pytest.approx(case.duration_s, abs=LOSSY_TOLERANCE_S)
    loudest = case.freqs_hz[int(np.argmax(case.amps))]
    assert peak_hz(y, sample_rate=sr) == pytest.approx(loudest, abs=2.0)
    level_tol = 0.1 if case.lossy else 0.02
    for freq_hz, amp in zip(case.freqs_hz, case.amps, strict=True):  # channels are averaged
        got = amplitude_at(y, freq_hz, sample_rate=sr)
        assert got == pytest.approx(amp / case.channels, rel=level_tol), freq_hz
    # Starts on time: a decoder that kept codec priming would be out of phase here.
    ref = reference(case, sample_rate=sr, n_samples=y.shape[0])
    assert correlation(y, ref) > (0.98 if case.lossy else 0.9999)


@good_cases
def test_good_file_resamples_to_the_requested_rate(case: Case) -> None:
    audio = load_audio(DATA / case.name, sample_rate=16000)
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.sample_rate == 16000
    expected = round(case.duration_s * 16000)
    assert abs(audio.samples.shape[0] - expected) <= 1 + tolerance_samples(case, 16000)
    loudest = case.freqs_hz[int(np.argmax(case.amps))]
    assert peak_hz(audio.samples, sample_rate=16000) == pytest.approx(loudest, abs=2.0)


@pytest.mark.parametrize(
    "case", [c for c in GOOD if c.channels > 1], ids=[c.name for c in GOOD if c.channels > 1]
)
def test_mono_false_keeps_each_channel(case: Case) -> None:
    audio = load_audio(DATA / case.name, mono=False)
    y, sr = audio.samples, audio.sample_rate
    assert y.dtype == np.float32
    assert y.shape[0] == case.channels
    assert abs(y.shape[1] - case.n_samples) <= tolerance_samples(case, sr)
    for channel, freq_hz, amp in zip(y, case.freqs_hz, case.amps, strict=True):
        assert peak_hz(channel, sample_rate=sr) == pytest.approx(freq_hz, abs=2.0)
        assert amplitude_at(channel, freq_hz, sample_rate=sr) == pytest.approx(
            amp, rel=0.1 if case.lossy else 0.02
        )


def test_mono_false_on_a_mono_file_gives_one_channel() -> None:
    audio = load_audio(DATA / "mono_int16_8k.wav", mono=False)
    assert audio.samples.shape == (1, 4000)


def test_surround_mixes_all_six_channels_equally() -> None:
    y = load_audio(DATA / "surround_6ch.wav").samples
    levels = [amplitude_at(y, f, sample_rate=8000) for f in SIX_HZ]
    np.testing.assert_allclose(levels, 0.3 / 6, rtol=0.01)


def test_resampling_48k_to_22050_keeps_pitch_and_duration() -> None:
    audio = load_audio(DATA / "stereo_int24_48k.wav", sample_rate=22050, mono=False)
    assert audio.sample_rate == 22050
    assert audio.samples.shape[0] == 2
    assert abs(audio.samples.shape[1] - 0.25 * 22050) <= 1
    assert audio.duration_s == pytest.approx(0.25, abs=1 / 22050)
    left, right = audio.samples
    assert peak_hz(left, sample_rate=22050) == pytest.approx(440.0, abs=1.0)
    assert peak_hz(right, sample_rate=22050) == pytest.approx(660.0, abs=1.0)
    assert amplitude_at(left, 440.0, sample_rate=22050) == pytest.approx(0.5, rel=0.01)
    assert amplitude_at(right, 660.0, sample_rate=22050) == pytest.approx(0.25, rel=0.01)


@good_cases
def test_file_extension_is_known(case: Case) -> None:
    assert Path(case.name).suffix.lower() in AUDIO_EXTENSIONS


@good_cases
def test_each_file_goes_through_the_expected_decoder(case: Case) -> None:
    """libsndfile reads what it can; the rest (M4A, WebM) must reach the FFmpeg fallback."""
    if case.decoder == "libsndfile":
        assert sf.info(str(DATA / case.name)).samplerate == case.sample_rate
    else:
        with pytest.raises(sf.LibsndfileError):
            sf.info(str(DATA / case.name))
        assert load_audio(DATA / case.name).samples.shape[0] == case.n_samples


# --- sources: path, bytes, file object --------------------------------------------------


@pytest.mark.parametrize("name", ["mono_int16_8k.wav", "mono.m4a"])
def test_path_bytes_and_file_object_give_the_same_samples(name: str) -> None:
    path = DATA / name
    from_path = load_audio(path)
    from_str = load_audio(str(path))
    from_bytes = load_audio(path.read_bytes())
    from_bytearray = load_audio(bytearray(path.read_bytes()))
    from_bytesio = load_audio(io.BytesIO(path.read_bytes()))
    with path.open("rb") as fh:
        from_file = load_audio(fh)
    for other in (from_str, from_bytes, from_bytearray, from_bytesio, from_file):
        np.testing.assert_array_equal(other.samples, from_path.samples)
        assert other.sample_rate == from_path.sample_rate
    assert from_bytes.source == "<bytes>"
    assert from_bytesio.source == "<file object>"
    assert from_file.source == str(path)


def test_text_mode_file_object_is_refused(tone_wav: Path) -> None:
    with tone_wav.open("r", encoding="latin-1") as fh:
        with pytest.raises(ParameterError, match=r"tone\.wav: read text, not bytes; open .*'rb'"):
            load_audio(fh)  # type: ignore[arg-type]


def test_tmp_path_fixture_file_loads(tone_wav: Path) -> None:
    audio = load_audio(tone_wav)
    assert audio.samples.shape == (4800,)
    assert amplitude_at(audio.samples, 440.0, sample_rate=16000) == pytest.approx(0.5, rel=1e-3)


@pytest.mark.parametrize("sample_rate", [0, -8000, 22050.5, float("nan"), 48, True, "16000"])
def test_bad_requested_sample_rate_is_refused(tone_wav: Path, sample_rate: object) -> None:
    with pytest.raises(ParameterError, match=re.escape(f"got {sample_rate!r}")):
        load_audio(tone_wav, sample_rate=sample_rate)  # type: ignore[arg-type]


# --- bad files --------------------------------------------------------------------------

BAD = [
    ("empty.wav", r"the file is empty \(0 bytes\); record or export it again"),
    ("ten_ms.wav", r"is 10 ms long; earmark needs at least 50 ms of sound per file"),
    ("nan_float32.wav", r"holds NaN or infinite sample values; re-export it"),
    ("not_audio.wav", r"could not be decoded as audio \(.*\); convert it to WAV"),
    ("truncated.mp3", r"could not be decoded as audio \(.*\); convert it to WAV"),
    ("zeros_header_only.wav", r"holds no audio samples; record or export it again"),
]


@pytest.mark.parametrize(("name", "says"), BAD, ids=[name for name, _ in BAD])
def test_bad_file_raises_a_message_naming_it(name: str, says: str) -> None:
    path = DATA / name
    with pytest.raises(AudioDecodeError, match=re.escape(str(path)) + ": " + says):
        load_audio(path)


@pytest.mark.parametrize(("name", "says"), BAD, ids=[name for name, _ in BAD])
def test_bad_bytes_raise_too(name: str, says: str) -> None:
    with pytest.raises(AudioDecodeError, match="^<bytes>: " + says):
        load_audio((DATA / name).read_bytes())


def test_a_video_with_no_sound_says_so(tmp_path: Path) -> None:
    """Not "could not be decoded … if it is audio already, it is damaged": it has no sound track."""
    import av

    path = tmp_path / "silent-film.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width = stream.height = 32
        stream.pix_fmt = "yuv420p"
        for shade in range(0, 250, 50):
            frame = av.VideoFrame.from_ndarray(np.full((32, 32, 3), shade, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with pytest.raises(AudioDecodeError, match=re.escape(f"{path}: holds no sound track (a video with no sound); "
                                                         "give a recording that has sound")):
        load_audio(path)


def test_min_duration_can_be_lowered() -> None:
    assert MIN_DURATION_S == 0.05
    audio = load_audio(DATA / "ten_ms.wav", min_duration_s=0.005)
    assert audio.samples.shape == (160,)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.wav"
    with pytest.raises(AudioDecodeError, match=re.escape(str(path)) + ": no such file; check"):
        load_audio(path)


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(AudioDecodeError, match=re.escape(str(tmp_path)) + ": is a folder.*give"):
        load_audio(tmp_path)


def test_errors_share_the_earmark_root() -> None:
    with pytest.raises(EarmarkError):
        load_audio(DATA / "not_audio.wav")


def test_ffmpeg_errors_mid_stream_become_decode_errors() -> None:
    """Garbage inside an M4A passes PyAV's open and decodes a little, then fails its decoder:
    the file is refused as damaged, saying how far it got, not cut short silently."""
    data = (DATA / "mono.m4a").read_bytes()
    broken = data[:1500] + bytes(range(256)) * 4 + data[2524:]
    with pytest.raises(AudioDecodeError, match=r"^<bytes>: is damaged or cut short .* after 0\.\d\d s of audio"):
        load_audio(broken)


def test_a_truncated_flac_is_refused_as_damaged(tmp_path: Path) -> None:
    t = np.arange(2 * 22050) / 22050
    sf.write(tmp_path / "whole.flac", np.stack([np.sin(2 * np.pi * 110 * t)] * 2, axis=1) * 0.3, 22050)
    data = (tmp_path / "whole.flac").read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioDecodeError, match=r"cut\.flac: is damaged or cut short.*export it again"):
        load_audio(cut)


@pytest.mark.parametrize(("fmt", "subtype", "name"), [("WAV", "PCM_16", "cut.wav"), ("WAV", "FLOAT", "cut.wav"),
                                                     ("WAVEX", "PCM_24", "cut.wav"), ("AIFF", "PCM_16", "cut.aiff")])
def test_a_wav_or_aiff_cut_short_is_refused_not_read_in_part(tmp_path: Path, fmt: str, subtype: str,
                                                             name: str) -> None:
    """A copy or download broken off: the header says 3 s, the file holds half. Read in part, it
    would be a shorter recording taken silently (it was, for WAV and AIFF, until now)."""
    t = np.arange(3 * 22050) / 22050
    path = tmp_path / name
    sf.write(path, 0.3 * np.sin(2 * np.pi * 220 * t), 22050, format=fmt, subtype=subtype)
    assert load_audio(path).duration_s == pytest.approx(3.0)
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size // 2)
    with pytest.raises(AudioDecodeError, match=rf"{name}: is damaged or cut short \(it says it holds 3\.00 s but "
                                               r"ends after 1\.\d\d s\); copy or export it again"):
        load_audio(path)


@pytest.mark.parametrize(("fmt", "chunk", "placeholder"), [
    ("WAV", b"data", b"\xff\xff\xff\xff"),  # ffmpeg -f wav -
    ("WAV", b"data", (0x7FFFF000).to_bytes(4, "little")),  # sox -t wav -
    ("AIFF", b"SSND", (0x7F000008).to_bytes(4, "big")),  # sox -t aiff -
])
def test_a_file_streamed_through_a_pipe_with_no_length_in_its_header_loads_whole(
        tmp_path: Path, fmt: str, chunk: bytes, placeholder: bytes) -> None:
    """A recorder or a pipe that did not know the length writes a placeholder as the data size:
    that is no length, and the file is whole."""
    t = np.arange(22050) / 22050
    buf = io.BytesIO()
    sf.write(buf, 0.3 * np.sin(2 * np.pi * 220 * t), 22050, format=fmt, subtype="PCM_16")
    data = bytearray(buf.getvalue())
    at = data.index(chunk)
    data[at + 4 : at + 8] = placeholder
    (tmp_path / "piped").write_bytes(bytes(data))
    assert load_audio(tmp_path / "piped").duration_s == pytest.approx(1.0)


def test_a_wav_a_frame_short_of_its_header_loads(tmp_path: Path) -> None:
    """A writer that counted a frame it did not write: a few bytes short is not a file cut short."""
    t = np.arange(22050) / 22050
    path = tmp_path / "nearly.wav"
    sf.write(path, 0.3 * np.sin(2 * np.pi * 220 * t), 22050, subtype="PCM_16")
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size - 2)
    assert load_audio(path).duration_s == pytest.approx(1.0, abs=1e-3)


def test_a_flac_cut_at_a_frame_boundary_is_refused_too(tmp_path: Path) -> None:
    # it decodes without an error, and used to load as a shorter recording without a word
    t = np.arange(3 * 22050) / 22050
    sf.write(tmp_path / "whole.flac", 0.3 * np.sin(2 * np.pi * 220 * t), 22050)
    data = (tmp_path / "whole.flac").read_bytes()
    frames = [i for i in range(len(data) - 1) if data[i : i + 2] == b"\xff\xf8"]  # FLAC frame sync codes
    assert len(frames) > 4
    cut = tmp_path / "cut.flac"
    cut.write_bytes(data[: frames[len(frames) // 2]])
    with pytest.raises(AudioDecodeError, match=r"cut\.flac: is damaged or cut short \(it says it holds 3\.00 s "
                                               r"but ends after 1\.\d\d s\)"):
        load_audio(cut)
    assert load_audio(tmp_path / "whole.flac").duration_s == pytest.approx(3.0)


def _eight_channel_opus(path: Path, seconds: float = 1.0, rate: int = 48000) -> np.ndarray:
    """Write a 7.1 Opus WebM (channel k a tone at 110 * (k + 1) Hz) with PyAV; return the tones.
    FFmpeg's Opus decoder gives planar frames: the case that crashed."""
    import av

    t = np.arange(int(seconds * rate)) / rate
    tones = np.stack([0.1 * np.sin(2 * np.pi * 110 * (k + 1) * t) for k in range(8)])
    pcm = np.ascontiguousarray((tones * 32767).astype(np.int16).T)  # packed s16, what libopus takes
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libopus", rate=rate, layout="7.1")
        for i in range(0, pcm.shape[0], 960):
            frame = av.AudioFrame.from_ndarray(pcm[i : i + 960].reshape(1, -1), format="s16", layout="7.1")
            frame.rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return tones


def test_eight_channel_opus_decodes_every_channel(tmp_path: Path) -> None:
    """PyAV crashed (segfault) turning 8-channel planar frames into arrays; packed frames are safe."""
    path = tmp_path / "seven_one.webm"
    _eight_channel_opus(path)
    audio = load_audio(path, mono=False)
    assert audio.samples.shape == (8, 48000)
    for k in range(8):  # each channel keeps its own tone
        got = audio.samples[k, 4800:]
        spectrum = np.abs(np.fft.rfft(got * np.hanning(len(got))))
        assert abs(np.argmax(spectrum) * audio.sample_rate / len(got) - 110 * (k + 1)) < 2
    np.testing.assert_allclose(load_audio(path).samples, to_mono(audio.samples), atol=1e-6)


def test_a_cut_short_mp3_gives_only_what_it_holds(tmp_path: Path) -> None:
    """Its header states 30 s; the frames past the cut must not come out as leftover memory or
    repeated audio (libsndfile's block reader does not say how much each read returned)."""
    t = np.arange(30 * 22050) / 22050
    y = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    sf.write(tmp_path / "whole.mp3", y, 22050, format="MP3")
    data = (tmp_path / "whole.mp3").read_bytes()
    whole = load_audio(data).samples
    with pytest.warns(AudioWarning, match=r"^<bytes>: ends after 1\d\.\d s of the 30\.0 s its header promises"):
        cut = load_audio(data[: int(len(data) * 0.6)]).samples
    assert 0.5 * len(whole) < len(cut) < 0.7 * len(whole)
    np.testing.assert_allclose(cut, whole[: len(cut)], atol=1e-4)


def test_a_flac_whose_header_states_an_absurd_length_still_loads() -> None:
    """STREAMINFO says 2**36 - 1 samples (about three years at 22 kHz); the audio is one second."""
    t = np.arange(22050) / 22050
    y = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, y, 22050, format="FLAC")
    data = bytearray(buf.getvalue())
    data[21] |= 0x0F  # total samples: the low 4 bits of STREAMINFO's byte 13, then 4 bytes
    data[22:26] = b"\xff\xff\xff\xff"
    assert sf.info(io.BytesIO(bytes(data))).frames == 2**36 - 1
    np.testing.assert_allclose(load_audio(bytes(data)).samples, y, atol=1e-4)


def test_long_wav_reads_in_blocks_to_the_same_samples(tmp_path: Path) -> None:
    """A file longer than one read block comes out whole and in order, mono or not."""
    import earmark.decode

    y = np.random.default_rng(0).uniform(-0.5, 0.5, (3, earmark.decode._BLOCK_FRAMES + 12345)).astype(np.float32)
    sf.write(tmp_path / "long.wav", y.T, 8000, subtype="FLOAT")
    np.testing.assert_array_equal(load_audio(tmp_path / "long.wav", mono=False).samples, y)
    np.testing.assert_allclose(load_audio(tmp_path / "long.wav").samples, y.mean(axis=0), atol=1e-6)


def test_random_bytes_are_refused() -> None:
    junk = np.random.default_rng(0).bytes(5000)
    with pytest.raises(AudioDecodeError, match=r"^<bytes>: could not be decoded as audio"):
        load_audio(junk)


def test_ffmpeg_fallback_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    """FFmpeg must not write warnings to stderr, neither on good nor on broken input.

    (libsndfile's MP3 decoder, mpg123, does print one "Xing stream size" warning for
    truncated.mp3; that is outside PyAV's control, so it is not checked here.)
    """
    load_audio(DATA / "mono.m4a")
    load_audio(DATA / "mono.webm")
    webm = (DATA / "mono.webm").read_bytes()
    with pytest.warns(AudioWarning, match=r"ends after 0\.\d s of the 0\.5 s its header promises"):
        load_audio(webm[:1000] + b"\xff" * 800 + webm[1800:])  # damaged but partly decodable, and says so
    m4a = (DATA / "mono.m4a").read_bytes()
    for junk in (m4a[:1500] + bytes(range(256)) * 4 + m4a[2524:], DATA / "not_audio.wav"):
        with pytest.raises(AudioDecodeError):
            load_audio(junk)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


# --- valid_audio, to_mono, resample -------------------------------------------------------


def test_valid_audio_checks() -> None:
    valid_audio(np.zeros(10, np.float32), sample_rate=8000)
    with pytest.raises(ParameterError, match="sample_rate must be 1000 to 768000 Hz, got 0"):
        valid_audio(np.zeros(10, np.float32), sample_rate=0)
    with pytest.raises(ParameterError, match=r"clip: expected shape .*got \(1, 2, 3\)"):
        valid_audio(np.zeros((1, 2, 3), np.float32), sample_rate=8000, source="clip")
    with pytest.raises(AudioDecodeError, match="clip: holds NaN or infinite"):
        valid_audio(np.array([0.0, np.inf], np.float32), sample_rate=8000, source="clip")
    with pytest.raises(AudioDecodeError, match="clip: holds no audio samples"):
        valid_audio(np.zeros((2, 0), np.float32), sample_rate=8000, source="clip")


@pytest.mark.parametrize(("peak", "says"), [(1e30, r"reach 1e\+30"), (32767.0, r"reach 3\.28e\+04, .*divide by 32768")])
def test_absurd_sample_values_are_refused_saying_what_they_look_like(peak: float, says: str) -> None:
    y = np.zeros(1000, np.float32)
    y[10] = peak
    with pytest.raises(AudioDecodeError, match=r"^take: sample values " + says):
        valid_audio(y, sample_rate=22050, source="take")
    valid_audio(y * (4.0 / peak), sample_rate=22050, source="take")  # past full scale, but audio: fine


def test_to_mono_averages_channels() -> None:
    out = to_mono(np.array([[1.0, 2.0], [3.0, 6.0]]))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [2.0, 4.0])
    mono = np.array([0.5, -0.5], np.float32)
    np.testing.assert_array_equal(to_mono(mono), mono)


def test_resample_keeps_pitch_length_and_shape() -> None:
    y = tone(1000.0, sample_rate=48000, duration_s=0.5)
    out = resample(y, orig_sr=48000, target_sr=22050)
    assert out.dtype == np.float32 and out.shape == (11025,)
    assert peak_hz(out, sample_rate=22050) == pytest.approx(1000.0, abs=1.0)
    stereo = resample(np.stack([y, -y]), orig_sr=48000, target_sr=16000)
    assert stereo.shape == (2, 8000) and stereo.flags.c_contiguous
    np.testing.assert_allclose(stereo[0], -stereo[1], atol=1e-6)
    assert resample(y, orig_sr=48000, target_sr=48000) is y
    with pytest.raises(ParameterError, match="_sr must be 1000 to 768000 Hz, got 0"):
        resample(y, orig_sr=48000, target_sr=0)


@pytest.mark.parametrize("rate", [float("nan"), float("inf"), 2**63, 48, 44100.5, True])
def test_resampling_refuses_a_rate_that_is_not_hertz(rate: object) -> None:
    # NaN and 2**63 once sent soxr into a loop no Ctrl-C could stop; 48 took 13 s and 715 MB
    y = tone(1000.0, sample_rate=48000, duration_s=0.1)
    with pytest.raises(ParameterError, match=r"orig_sr must be"):
        resample(y, orig_sr=rate, target_sr=22050)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"target_sr must be"):
        resampler(orig_sr=48000, target_sr=rate)  # type: ignore[arg-type]


def test_check_sample_rate_takes_whole_hertz() -> None:
    assert check_sample_rate(44100) == 44100 and check_sample_rate(np.int64(8000)) == 8000
    assert check_sample_rate(48000.0) == 48000 and type(check_sample_rate(48000.0)) is int
    for bad in (999, 768_001, np.bool_(True), "44100", None, 1e-3):
        with pytest.raises(ParameterError, match=r"rate must be"):
            check_sample_rate(bad, name="rate")


def test_as_waveform_scales_integer_pcm_and_refuses_what_is_not_audio() -> None:
    np.testing.assert_array_equal(as_waveform(np.array([-32768, 0, 16384], np.int16)), [-1.0, 0.0, 0.5])
    np.testing.assert_array_equal(as_waveform(np.array([0, 128, 192], np.uint8)), [-1.0, 0.0, 0.5])
    np.testing.assert_allclose(as_waveform(np.array([2**30], np.int32)), [0.5])
    got = as_waveform([0.25, -0.25])
    assert got.dtype == np.float32 and got.tolist() == [0.25, -0.25]
    for bad, match in ((np.zeros(4, bool), "got bool values"), (np.zeros(4, complex), "got complex128 values"),
                       ("take.wav", "got str"), (b"RIFF", "got bytes"), (None, "got NoneType")):
        with pytest.raises(ParameterError, match=match):
            as_waveform(bad)


def test_samples_by_channels_is_refused_saying_to_transpose() -> None:
    with pytest.raises(ParameterError, match=r"take: shape \(4800, 2\) would be 4800 channels of 2 samples; "
                                             r".*\(samples, channels\): pass data.T"):
        valid_audio(np.zeros((4800, 2), np.float32), sample_rate=48000, source="take")
    valid_audio(np.zeros((2, 4800), np.float32), sample_rate=48000, source="take")


def test_a_file_at_an_impossible_rate_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "slow.wav"
    sf.write(path, np.zeros(500, np.float32), 500)
    with pytest.raises(AudioDecodeError, match=r"slow\.wav: says its sample rate is 500 Hz; earmark reads 1000 "
                                               r"to 768000 Hz; convert it"):
        load_audio(path)


def test_a_few_samples_of_many_channels_is_too_short_not_misshapen(tmp_path: Path) -> None:
    path = tmp_path / "blip.wav"
    sf.write(path, np.zeros((4, 8), np.float32), 8000)  # 4 frames of 8 channels
    with pytest.raises(AudioDecodeError, match=r"blip\.wav: is 0 ms long|blip\.wav: is 4 samples long"):
        load_audio(path)


# --- frame_windows --------------------------------------------------------------------------


def test_frame_windows_overlapping() -> None:
    windows, starts_s = frame_windows(
        np.arange(10, dtype=np.float32), sample_rate=10, window_s=0.4, hop_s=0.2
    )
    assert windows.dtype == np.float32 and starts_s.dtype == np.float64
    np.testing.assert_array_equal(
        windows, [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7], [6, 7, 8, 9]]
    )
    np.testing.assert_allclose(starts_s, [0.0, 0.2, 0.4, 0.6])  # the last ends with the signal: no extra


def test_frame_windows_adds_a_window_that_ends_with_the_signal() -> None:
    # 10 samples, windows of 4 every 4: starts 0, 4 (ends at 8), then 10 - 4 = 6 for the end.
    windows, starts_s = frame_windows(
        np.arange(1, 11, dtype=np.float32), sample_rate=10, window_s=0.4, hop_s=0.4
    )
    np.testing.assert_array_equal(windows, [[1, 2, 3, 4], [5, 6, 7, 8], [7, 8, 9, 10]])
    np.testing.assert_allclose(starts_s, [0.0, 0.4, 0.6])


def test_frame_windows_hears_even_one_sample_past_the_last_window() -> None:
    # 9 samples, windows of 4 every 4: starts 0, 4 (ends at 8), then 9 - 4 = 5 for sample 9.
    windows, starts_s = frame_windows(
        np.arange(1, 10, dtype=np.float32), sample_rate=10, window_s=0.4, hop_s=0.4
    )
    np.testing.assert_array_equal(windows, [[1, 2, 3, 4], [5, 6, 7, 8], [6, 7, 8, 9]])
    np.testing.assert_allclose(starts_s, [0.0, 0.4, 0.5])


def test_frame_windows_scores_the_end_of_a_clip() -> None:
    """1.4 s, 1 s windows every 0.5 s: the regular window at 0 s stops at 1 s, so one more
    starts at 1.4 - 1 = 0.4 s; the last 0.4 s is heard."""
    y = np.arange(1400, dtype=np.float32)
    windows, starts_s = frame_windows(y, sample_rate=1000, window_s=1.0, hop_s=0.5)
    np.testing.assert_allclose(starts_s, [0.0, 0.4])
    np.testing.assert_array_equal(windows[1], y[400:])


def test_frame_windows_short_signal_gives_one_padded_window() -> None:
    windows, starts_s = frame_windows(
        np.array([1, 2, 3], np.float32), sample_rate=10, window_s=0.4, hop_s=0.1
    )
    np.testing.assert_array_equal(windows, [[1, 2, 3, 0]])
    np.testing.assert_array_equal(starts_s, [0.0])


def test_frame_windows_of_exactly_one_window() -> None:
    windows, starts_s = frame_windows(
        np.array([1, 2, 3, 4], np.float32), sample_rate=10, window_s=0.4, hop_s=0.1
    )
    np.testing.assert_array_equal(windows, [[1, 2, 3, 4]])
    np.testing.assert_array_equal(starts_s, [0.0])


def test_frame_windows_views_the_samples_without_copying() -> None:
    y = np.arange(10, dtype=np.float32)
    windows, _ = frame_windows(y, sample_rate=10, window_s=0.4, hop_s=0.2)
    assert np.shares_memory(windows, y)
    assert not windows.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        windows[0, 0] = 1.0


@pytest.mark.parametrize("n", [3, 9])  # padded; with an end window
def test_frame_windows_copies_are_read_only_too(n: int) -> None:
    windows, _ = frame_windows(np.arange(n, dtype=np.float32), sample_rate=10, window_s=0.4, hop_s=0.4)
    assert not windows.flags.writeable


def test_frame_windows_on_a_decoded_file() -> None:
    audio = load_audio(DATA / "mono_uint8.wav")  # 0.5 s at 16 kHz
    windows, starts_s = frame_windows(
        audio.samples, sample_rate=audio.sample_rate, window_s=0.2, hop_s=0.1
    )
    assert windows.shape == (4, 3200)
    np.testing.assert_allclose(starts_s, [0.0, 0.1, 0.2, 0.3])
    np.testing.assert_array_equal(windows[1], audio.samples[1600:4800])
    # 0.15 s windows every 0.1 s: 0, 0.1, 0.2, 0.3 (ends 0.45 s), then 0.35 s for the end
    windows, starts_s = frame_windows(
        audio.samples, sample_rate=audio.sample_rate, window_s=0.15, hop_s=0.1
    )
    np.testing.assert_allclose(starts_s, [0.0, 0.1, 0.2, 0.3, 0.35])
    np.testing.assert_array_equal(windows[-1], audio.samples[-2400:])


def test_frame_windows_refuses_bad_arguments() -> None:
    y = np.zeros(100, np.float32)
    with pytest.raises(ParameterError, match="hop_s must be at least 0.01 s, got 0"):
        frame_windows(y, sample_rate=100, window_s=0.1, hop_s=0)
    with pytest.raises(ParameterError, match="hop_s must be at least 0.01 s, got 1e-06"):
        frame_windows(y, sample_rate=100, window_s=0.1, hop_s=1e-6)
    with pytest.raises(ParameterError, match="window_s must be a positive number of seconds, got nan"):
        frame_windows(y, sample_rate=100, window_s=float("nan"), hop_s=0.1)
    with pytest.raises(ParameterError, match=r"got \(2, 100\); call to_mono first"):
        frame_windows(np.zeros((2, 100), np.float32), sample_rate=100, window_s=0.1, hop_s=0.1)
    with pytest.raises(ParameterError, match="shorter than one sample at 100 Hz"):
        frame_windows(y, sample_rate=100, window_s=0.001, hop_s=0.1)


# --- write_wav ------------------------------------------------------------------------------


def test_write_wav_round_trips_stereo(tmp_path: Path) -> None:
    left = tone(440.0, sample_rate=16000, duration_s=0.25)
    samples = np.stack([left, -0.5 * left])
    target = tmp_path / "out" / "clip.wav"  # missing folders are created
    written = write_wav(target, Audio(samples=samples, sample_rate=16000))
    assert written == target
    back = load_audio(target, mono=False)
    assert back.sample_rate == 16000
    np.testing.assert_allclose(back.samples, samples, atol=1 / 32768)
    assert sf.info(str(target)).subtype == "PCM_16"
    assert sorted(p.name for p in target.parent.iterdir()) == ["clip.wav"]


def test_write_wav_keeps_audio_past_full_scale(tmp_path: Path) -> None:
    """A lossy decode overshoots full scale (a loud AAC track peaks past 1): kept as float, not clipped."""
    path = write_wav(tmp_path / "loud.wav", Audio(np.array([2.0, -2.0, 0.5] * 400, np.float32), 8000))
    assert sf.info(str(path)).subtype == "FLOAT"
    np.testing.assert_array_equal(load_audio(path).samples[:3], [2.0, -2.0, 0.5])


def test_write_wav_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "clip.wav"
    write_wav(target, Audio(tone(440.0, sample_rate=8000, duration_s=1.0), 8000))
    write_wav(target, Audio(tone(880.0, sample_rate=8000, duration_s=0.1), 8000))
    back = load_audio(target)
    assert back.samples.shape == (800,)
    assert peak_hz(back.samples, sample_rate=8000) == pytest.approx(880.0, abs=2.0)
    assert [p.name for p in tmp_path.iterdir()] == ["clip.wav"]


def test_write_wav_under_a_regular_file_raises_output_error(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    target = afile / "x.wav"
    with pytest.raises(OutputError, match=re.escape(f"cannot write {target}:") + ".*choose a folder"):
        write_wav(target, Audio(np.zeros(800, np.float32), 8000))
    assert afile.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]


def test_write_wav_onto_a_folder_raises_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="it is a folder; give a file name"):
        write_wav(tmp_path, Audio(np.zeros(800, np.float32), 8000))


def test_write_wav_refuses_nan_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "nan.wav"
    with pytest.raises(ParameterError, match=re.escape(f"cannot write {target}") + ".*NaN"):
        write_wav(target, Audio(np.array([0.0, np.nan] * 400, np.float32), 8000))
    with pytest.raises(ParameterError, match="sample_rate must be 1000 to 768000 Hz"):
        write_wav(target, Audio(np.zeros(800, np.float32), 0))
    assert list(tmp_path.iterdir()) == []


def test_resample_takes_samples_as_predict_does() -> None:
    """earmark.resample took a (samples, channels) array as thousands of channels of two samples
    (returning nonsense, or soxr's "Channel num out of limit"), left int16 unscaled, and failed on a
    list with an AttributeError: it now takes samples as predict does."""
    y = tone(440.0, sample_rate=44100, duration_s=0.5)
    with pytest.raises(ParameterError, match=r"shape \(22050, 2\) would be 22050 channels of 2 samples.*pass data\.T"):
        resample(np.stack([y, y], axis=1), orig_sr=44100, target_sr=22050)
    pcm = (y * 16384).astype(np.int16)  # half of full scale
    np.testing.assert_allclose(resample(pcm, orig_sr=44100, target_sr=22050),
                               resample(y / 2, orig_sr=44100, target_sr=22050), atol=1e-4)
    assert resample(y.tolist(), orig_sr=44100, target_sr=22050).shape == (11025,)
    with pytest.raises(ParameterError, match="expected audio samples as a numpy array, got str"):
        resample("take.wav", orig_sr=44100, target_sr=22050)  # type: ignore[arg-type]


def test_resampler_in_chunks_matches_resampling_in_one_go() -> None:
    """Chunk edges leave no trace: what the stream has given out equals the one-go result."""
    from earmark.audio import resampler

    t = np.arange(48000) / 48000
    y = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    step = resampler(orig_sr=48000, target_sr=22050)
    streamed = np.concatenate([step(y[i : i + 1234]) for i in range(0, len(y), 1234)])
    whole = resample(y, orig_sr=48000, target_sr=22050)
    assert 0.9 * len(whole) < len(streamed) <= len(whole)  # soxr holds back its filter delay
    np.testing.assert_allclose(streamed, whole[: len(streamed)], atol=1e-6)


def test_resampler_flushes_its_filter_delay_when_told_it_is_the_last_chunk() -> None:
    from earmark.audio import resampler

    y = np.random.default_rng(0).uniform(-0.5, 0.5, 48000).astype(np.float32)
    step = resampler(orig_sr=48000, target_sr=22050)
    streamed = np.concatenate([step(y[i : i + 1234]) for i in range(0, len(y), 1234)] + [step(y[:0], last=True)])
    np.testing.assert_allclose(streamed, resample(y, orig_sr=48000, target_sr=22050), atol=1e-5)


def test_resampler_at_equal_rates_passes_chunks_through() -> None:
    from earmark.audio import resampler

    chunk = np.linspace(-1, 1, 100, dtype=np.float32)
    np.testing.assert_array_equal(resampler(orig_sr=22050, target_sr=22050)(chunk), chunk)
    with pytest.raises(ParameterError, match="_sr must be 1000 to 768000 Hz, got 0"):
        resampler(orig_sr=0, target_sr=22050)


@pytest.mark.parametrize(("value", "number", "whole"), [
    (3, True, True), (np.int16(3), True, True), (2.5, True, False), (np.float32(0.1), True, False),
    (True, False, False), (np.bool_(True), False, False), (float("nan"), False, False),
    (float("inf"), False, False), ("3", False, False), (None, False, False), (3 + 0j, False, False)])
def test_is_number_is_the_one_test_of_numeric_settings(value: object, number: bool, whole: bool) -> None:
    assert is_number(value) is number
    assert is_number(value, whole=True) is whole


def test_a_sample_rate_too_big_for_a_float_is_refused_not_a_crash() -> None:
    with pytest.raises(ParameterError, match="must be 1000 to 768000 Hz"):
        check_sample_rate(10**400)  # the live socket takes the rate from a client's JSON


def test_names_moved_out_of_audio_are_still_importable_from_it() -> None:
    """Decoding lives in earmark.decode and waveform work in earmark.waveform; code that imports
    them from earmark.audio (the library's own modules, users' scripts) keeps working."""
    import earmark.audio
    import earmark.decode
    import earmark.waveform

    for module in (earmark.waveform, earmark.decode):
        for name in module.__all__:
            if name not in ("decode", "source_name"):
                assert getattr(earmark.audio, name) is getattr(module, name), name
    assert earmark.audio._window_view is earmark.waveform._window_view  # earmark.classifier's import
