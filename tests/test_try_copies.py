"""Trying a file whose format browsers do not play (AIFF, WMA…): the predict answer's ``audio_url`` is a
FLAC copy of it to play and draw; a file browsers play has none (the page plays the file itself)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import make_client
from earmark import Classifier
from earmark.project import Project


@pytest.mark.parametrize(("name", "kind", "subtype", "copied"), [("bounce.aiff", "AIFF", "PCM_24", True),
                                                                 ("take.caf", "CAF", "PCM_16", True),
                                                                 ("take.wav", "WAV", "PCM_16", False),
                                                                 ("take.flac", "FLAC", "PCM_16", False)])
def test_a_file_browsers_do_not_play_gets_a_flac_copy(tmp_path: Path, trained_classifier: Classifier, name: str,
                                                       kind: str, subtype: str, copied: bool) -> None:
    project = Project.create(tmp_path / "band")
    trained_classifier.save(project.models_dir / "m.earmark")
    rate = 44100
    t = np.arange(3 * rate) / rate
    left = (0.3 * np.sin(2 * np.pi * 110 * t)).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, np.stack([left, -left], axis=1), rate, format=kind, subtype=subtype)
    with make_client(tmp_path) as c:
        answer = c.post("/api/projects/band/models/m/predict", files={"file": (name, buffer.getvalue())}).json()
        if not copied:
            assert answer["audio_url"] is None
            return
        copy = c.get(answer["audio_url"])
        assert copy.status_code == 200 and copy.headers["content-type"] == "audio/flac"
        samples, copy_rate = sf.read(io.BytesIO(copy.content), dtype="float32")
    assert copy_rate == rate and samples.shape == (3 * rate, 2)  # rate, channels and length kept
    assert np.abs(samples[:, 0] - left).max() < 1e-4 and np.abs(samples[:, 1] + left).max() < 1e-4


def test_the_copy_of_a_video_whose_sound_starts_late_starts_with_the_video(tmp_path: Path,
                                                                          trained_classifier: Classifier) -> None:
    """A .mov (browsers do not play it) with sound from 2 s: its copy has the same 2 s of silence first,
    so the player and the timeline, which counts from the video's start, stay in step."""
    from test_decode_start_offset import onset_s, tone, video

    project = Project.create(tmp_path / "band")
    trained_classifier.save(project.models_dir / "m.earmark")
    rate = 44100
    late = video(tmp_path / "late.mov", tone(rate, 3.0), rate=rate, sound_from_s=2.0, audio_codec="aac")
    with make_client(tmp_path) as c:
        answer = c.post("/api/projects/band/models/m/predict", files={"file": ("late.mov", late.read_bytes())}).json()
        samples, copy_rate = sf.read(io.BytesIO(c.get(answer["audio_url"]).content), dtype="float32")
    assert copy_rate == rate
    assert abs(onset_s(samples, rate) - 2.0) < 0.01
    assert abs(len(samples) / rate - answer["duration_s"]) < 0.05
