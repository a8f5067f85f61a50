"""Tests for earmark.decode on a WebM that states no duration (as a browser's MediaRecorder writes it:
clusters of unknown size, no cues; FFmpeg's ``live`` option), cut short: its demuxer drops the block the
file ends in without a word, but the elements after the last block read run past the end."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from earmark.audio import AudioWarning, load_audio

SECONDS, RATE = 10.0, 48000


def _webm(**options: str) -> bytes:
    """A 10 s tone as Opus in WebM, with the muxer's ``options``."""
    import av

    pcm = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(SECONDS * RATE)) / RATE) * 32767).astype(np.int16)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm", options=options) as out:
        stream = out.add_stream("libopus", rate=RATE, layout="mono")
        for i in range(0, len(pcm), 960):
            frame = av.AudioFrame.from_ndarray(pcm[np.newaxis, i : i + 960], format="s16", layout="mono")
            frame.rate = RATE
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def live_webm() -> bytes:
    import av

    data = _webm(live="1")
    with av.open(io.BytesIO(data)) as container:  # as a browser's: nothing says how long it is
        assert container.duration is None and container.streams.audio[0].duration is None
    return data


@pytest.mark.parametrize("keep", [0.3, 0.61, 0.999])
def test_a_webm_without_a_duration_cut_short_says_so(tmp_path: Path, live_webm: bytes, keep: float) -> None:
    cut = tmp_path / "cut.webm"
    cut.write_bytes(live_webm[: int(len(live_webm) * keep)])
    with pytest.warns(AudioWarning, match=rf"^{re.escape(str(cut))}: ends after \d+\.\d s partway through a packet; "
                                          r"the file may be cut short"):
        assert load_audio(cut).duration_s == pytest.approx(SECONDS * keep, abs=0.3)


@pytest.mark.parametrize("options", [{"live": "1"}, {}], ids=["no-duration", "duration-and-cues"])
def test_a_whole_webm_gives_no_warning(tmp_path: Path, options: dict[str, str]) -> None:
    whole = tmp_path / "whole.webm"
    whole.write_bytes(_webm(**options))
    with warnings.catch_warnings():
        warnings.simplefilter("error", AudioWarning)
        assert load_audio(whole).duration_s == pytest.approx(SECONDS, abs=0.03)
