"""A video whose sound track starts late: its sound is decoded from the file's start, as a player plays it.

A phone or an editor may start a video's sound after its picture (here 2 s in: FFmpeg's ``-itsoffset 2``).
A player plays silence until then; the decoded sound starts with as much digital silence, so that a
timeline of the video, its duration and the studio's cursor over the original file agree. An audio-only
file is never shifted by its first timestamp (an MP3's 0.025 s of encoder delay, AAC's priming).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from conftest import bass_note
from earmark import load_audio
from earmark.classifier import Classifier
from earmark.decode import probe

PICTURE_S = 6.0  # the video's length; its sound starts LATE_S in and runs to the end
LATE_S = 2.0


def tone(rate: int, seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def video(path: Path, sound: np.ndarray, *, rate: int, sound_from_s: float, audio_codec: str,
          picture_s: float = PICTURE_S) -> Path:
    """A black 16×16 video of ``picture_s`` at 10 frames a second whose sound (``sound`` in ``audio_codec``)
    starts ``sound_from_s`` in, written by PyAV in ``path``'s container (``.mp4``, ``.mov``, ``.mkv``)."""
    with av.open(str(path), "w") as out:
        picture = out.add_stream("mpeg4", rate=10)
        picture.width = picture.height = 16
        picture.pix_fmt = "yuv420p"
        audio = out.add_stream(audio_codec, rate=rate, layout="mono")
        for i in range(round(picture_s * 10)):
            frame = av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
            frame.pts = i
            out.mux(picture.encode(frame))
        out.mux(picture.encode())
        first = round(sound_from_s * rate)
        for i in range(0, len(sound), 1024):
            chunk = av.AudioFrame.from_ndarray(sound[np.newaxis, i : i + 1024], format="flt", layout="mono")
            chunk.sample_rate = rate
            chunk.pts, chunk.time_base = first + i, Fraction(1, rate)
            out.mux(audio.encode(chunk))
        out.mux(audio.encode())
    return path


def onset_s(y: np.ndarray, rate: int) -> float:
    """When the sound first passes a sixth of the tone's level."""
    return float(np.argmax(np.abs(y) > 0.05)) / rate


@pytest.mark.parametrize(("name", "codec"), [("late.mp4", "aac"), ("late.mov", "aac"), ("late.mkv", "flac")])
def test_a_video_whose_sound_starts_late_decodes_to_silence_first(tmp_path: Path, name: str, codec: str) -> None:
    """The sound used to be decoded from its first sample: 4 s long for a 6 s video, 2 s ahead of the player."""
    rate = 44100
    path = video(tmp_path / name, tone(rate, PICTURE_S - LATE_S), rate=rate, sound_from_s=LATE_S, audio_codec=codec)
    audio = load_audio(path)
    assert audio.duration_s == pytest.approx(PICTURE_S, abs=0.01)
    assert probe(path)[0] == pytest.approx(audio.duration_s, abs=0.01), "the length stated agrees"
    lead = round(1.97 * rate)  # AAC starts 1024 samples (23 ms) early, with its encoder's priming
    assert not np.any(audio.samples[:lead]), "digital silence until the sound starts"
    assert onset_s(audio.samples, rate) == pytest.approx(LATE_S, abs=0.005)


def test_a_late_lossless_sound_is_kept_sample_for_sample_after_its_silence(tmp_path: Path) -> None:
    rate = 44100
    sound = tone(rate, 3.0)
    path = video(tmp_path / "late.mkv", sound, rate=rate, sound_from_s=LATE_S, audio_codec="flac")
    y = load_audio(path).samples
    np.testing.assert_array_equal(y[: round(LATE_S * rate)], 0)
    np.testing.assert_allclose(y[round(LATE_S * rate) :], sound, atol=1 / 32768)  # FLAC holds 16 bits


def test_a_video_whose_sound_starts_with_its_picture_is_decoded_as_before(tmp_path: Path) -> None:
    rate = 44100
    path = video(tmp_path / "on-time.mp4", tone(rate, PICTURE_S), rate=rate, sound_from_s=0.0, audio_codec="aac")
    audio = load_audio(path)
    assert audio.duration_s == pytest.approx(PICTURE_S, abs=0.01)
    assert onset_s(audio.samples, rate) < 0.01


def test_a_timeline_of_the_video_is_timed_as_the_player_plays_it(tmp_path: Path,
                                                                 trained_classifier: Classifier) -> None:
    """Three bass notes from 2 s in: the timeline lasts the video's 6 s and hears the bass from about 2 s."""
    rate = trained_classifier.sample_rate
    notes = np.concatenate([bass_note(np.random.default_rng(seed), sample_rate=rate, duration_s=4 / 3)
                            for seed in (4, 5, 6)])
    path = video(tmp_path / "late.mp4", notes, rate=rate, sound_from_s=LATE_S, audio_codec="aac")
    audio = load_audio(path, sample_rate=rate)
    timeline = trained_classifier.timeline(audio.samples, sample_rate=rate)
    assert timeline.duration_s == pytest.approx(PICTURE_S, abs=0.01)
    bass = [s for s in timeline.segments if s.label == "bass"]
    # within a window and a hop: windows count by loudness in the smoothing, so a loud sound after near-silence
    # begins up to a hop early (1.25 s here, 1.75 s with windows counted alike); an offset lost would be 2 s
    assert bass and bass[0].start_s == pytest.approx(LATE_S, abs=0.8), timeline.to_dict()
    assert bass[-1].end_s == pytest.approx(PICTURE_S, abs=0.01)


# -- audio-only files: their first timestamp is the encoder's delay, not a gap ---------------------------------


def _encode(path: Path, codec: str, rate: int, sound: np.ndarray) -> Path:
    if codec == "vorbis":
        sf.write(path, sound, rate, format="OGG", subtype="VORBIS")
        return path
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        pcm = (sound * 32767).astype(np.int16)
        for i in range(0, len(pcm), 960):
            chunk = av.AudioFrame.from_ndarray(pcm[np.newaxis, i : i + 960], format="s16", layout="mono")
            chunk.sample_rate = rate
            for packet in stream.encode(chunk):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.mark.parametrize(("name", "codec", "rate"), [
    ("take.mp3", "libmp3lame", 44100),  # its stream starts at 0.025 s: LAME's delay, already taken out
    ("take.m4a", "aac", 44100),
    ("take.opus", "libopus", 48000),
    ("take.ogg", "vorbis", 44100),  # written by libsndfile (FFmpeg's own Vorbis encoder is experimental)
    ("take.webm", "libopus", 48000),
])
def test_an_audio_only_file_is_not_shifted_by_its_first_timestamp(tmp_path: Path, name: str, codec: str,
                                                                   rate: int) -> None:
    audio = load_audio(_encode(tmp_path / name, codec, rate, tone(rate, 3.0)))
    assert audio.duration_s == pytest.approx(3.0, abs=0.03)
    assert onset_s(audio.samples, rate) < 0.03, "an AAC's priming (23 ms) may stay, as before; nothing more"

