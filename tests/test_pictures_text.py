"""Pictures of files and classes named in any script: no matplotlib "Glyph … missing" warnings."""

from __future__ import annotations

import logging
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earmark.evaluate import report_from_probabilities
from earmark.pictures import confusion_png, spectrogram_png, timeline_png
from earmark.timeline import make_timeline

SR = 16000
NO_FONT_HAS = "\U0010fffd"  # a private-use character: drawn as a box


def _noise(seconds: float = 1.0) -> np.ndarray:
    return (0.1 * np.random.default_rng(0).standard_normal(int(seconds * SR))).astype(np.float32)


def test_earmark_spectrogram_of_a_japanese_file_name_prints_no_warning(tmp_path: Path) -> None:
    take = tmp_path / "ベース.wav"
    sf.write(take, _noise(), SR)
    png = tmp_path / "ベース.png"
    done = subprocess.run([sys.executable, "-c", "from earmark.cli import main; main()", "spectrogram", str(take),
                           "--png", str(png)], capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"spectrogram written to {png}\n"
    assert done.stderr == ""
    assert png.stat().st_size > 0


def test_labels_no_installed_font_has_are_drawn_without_a_warning(tmp_path: Path) -> None:
    labels = ["ベース", "ドラム", f"noise {NO_FONT_HAS}"]
    truth = [labels[i] for i in (0, 1, 2, 1)]
    report = report_from_probabilities(np.eye(3)[[0, 1, 2, 2]], truth, [f"{i}.wav" for i in range(4)], labels=labels)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spectrogram_png(_noise(), sample_rate=SR, path=tmp_path / "s.png", title=f"ベース {NO_FONT_HAS}.wav")
        confusion_png(report, path=tmp_path / "c.png")
    assert (tmp_path / "s.png").stat().st_size > 0 and (tmp_path / "c.png").stat().st_size > 0


def test_bold_words_in_a_font_with_no_bold_face_are_drawn_without_a_font_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The timeline's segment names are bold; a Japanese class name is drawn with a fallback font that
    may have no bold face (Droid Sans Fallback): matplotlib logged "findfont: Failed to find font
    weight bold for Droid Sans Fallback, now using 400." on every picture."""
    labels = ["ベース", "ドラム"]
    probs = np.eye(2)[[0, 0, 0, 1, 1, 1]]
    timeline = make_timeline(probs, np.arange(6) * 0.5, labels=labels, window_s=1.0, duration_s=3.5, hop_s=0.5,
                             smooth_s=0.0, min_segment_s=0.0)
    assert [s.label for s in timeline.segments] == labels
    with caplog.at_level(logging.INFO, logger="matplotlib"):
        timeline_png(_noise(3.5), sample_rate=SR, timeline=timeline, path=tmp_path / "t.png", title="ベース.wav")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert (tmp_path / "t.png").stat().st_size > 0
