"""Tests for load_audio's ``max_duration_s``: a recording over the limit is refused *while* it is decoded,
not after. A file whose header states no length (a browser's WebM recording, raw ADTS AAC) passes a
check of its stated length, and before this limit it was decoded whole into memory: two hours of
6 kbit/s Opus, 6 MB uploaded to a share page, took 4 GB."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earmark.audio import load_audio, probe
from earmark.errors import LimitError, ParameterError
from earmark.intake import IntakeLimits, add_files
from earmark.project import Project

RATE = 48000


def _unstated_webm(seconds: float) -> bytes:
    """A tone of ``seconds`` as low-rate Opus in WebM that states no duration (FFmpeg's ``live``, as a
    browser's MediaRecorder writes it): about 1 KB per second."""
    import av

    hop = RATE  # a second at a time
    tone = (0.2 * np.sin(2 * np.pi * 220 * np.arange(hop) / RATE)).astype(np.float32)[np.newaxis]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm", options={"live": "1"}) as out:
        stream = out.add_stream("libopus", rate=RATE, layout="mono")
        stream.bit_rate = 6000
        for k in range(int(seconds)):
            frame = av.AudioFrame.from_ndarray(tone, format="flt", layout="mono")
            frame.sample_rate, frame.pts = RATE, k * hop
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def ten_minutes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("limit") / "set.webm"
    path.write_bytes(_unstated_webm(600))
    assert probe(path)[0] == 0.0, "the header states no length: only decoding tells"
    return path


def test_a_recording_with_no_stated_length_is_refused_as_it_decodes(ten_minutes: Path) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(LimitError) as caught:
            load_audio(ten_minutes, sample_rate=16000, max_duration_s=20.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(caught.value) == (f"{ten_minutes}: is longer than the limit of 20 s (decoding stopped there); "
                                 "cut it into shorter files")
    # ten minutes at 48 kHz are 115 MB of float32; stopping at the limit keeps well under a tenth of that
    assert peak < 10 * 1024**2, f"peak {peak / 1024**2:.0f} MB: decoded past the limit"


def test_under_the_limit_a_recording_loads_whole(ten_minutes: Path) -> None:
    audio = load_audio(ten_minutes, sample_rate=16000, max_duration_s=601.0)
    assert audio.duration_s == pytest.approx(600.0, abs=0.1)


@pytest.mark.parametrize("kind", ["WAV", "FLAC"])
def test_a_stated_length_over_the_limit_is_refused_too(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"long.{kind.lower()}"
    sf.write(path, np.zeros(30 * 8000, np.float32), 8000, format=kind)
    with pytest.raises(LimitError, match=r"long\.\w+: is longer than the limit of 10 s"):
        load_audio(path, max_duration_s=10.0)
    assert load_audio(path, max_duration_s=30.0).duration_s == 30.0, "exactly the limit is allowed"


def test_the_limit_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    sf.write(path, np.zeros(8000, np.float32), 8000)
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ParameterError, match="max_duration_s must be a positive number of seconds"):
            load_audio(path, max_duration_s=bad)


def test_an_upload_with_no_stated_length_over_the_limit_is_skipped(tmp_path: Path, ten_minutes: Path) -> None:
    project = Project.create(tmp_path / "band")
    project.add_class("bass")
    result = add_files(project, "bass", [("set.webm", ten_minutes)], limits=IntakeLimits(max_file_s=60))
    assert result.added == []
    assert result.skipped == [("set.webm", "longer than the limit of 1.0 min (decoding stopped there); "
                                           "cut it into shorter files")]
