"""Tests for earmark.pictures: every picture is a real PNG, written atomically, and the
spectrogram puts a tone where its frequency axis says it is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from earmark.errors import AudioDecodeError, ParameterError
from earmark.evaluate import report_from_probabilities
from earmark.pictures import _draw_spectrogram, confusion_png, history_png, spectrogram_png, timeline_png
from earmark.timeline import make_timeline

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SR = 22050
LABELS = ["background", "bass", "drums"]


def tone(hz: float, *, duration_s: float = 1.0, sample_rate: int = SR) -> np.ndarray:
    t = np.arange(int(duration_s * sample_rate)) / sample_rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".")]


def test_spectrogram_png_of_a_tone(tmp_path: Path) -> None:
    path = spectrogram_png(tone(1000), sample_rate=SR, path=tmp_path / "tone.png", title="1 kHz")
    assert path == tmp_path / "tone.png"
    assert png_size(path) == (1000, 360) and path.stat().st_size > 5_000
    assert leftovers(tmp_path) == []


def test_a_stereo_take_or_a_list_is_drawn_as_its_mix(tmp_path: Path) -> None:
    mono = spectrogram_png(tone(1000), sample_rate=SR, path=tmp_path / "mono.png")
    stereo = spectrogram_png(np.stack([tone(1000), tone(1000)]), sample_rate=SR, path=tmp_path / "stereo.png")
    listed = spectrogram_png(tone(1000).tolist(), sample_rate=SR, path=tmp_path / "list.png")  # type: ignore[arg-type]
    assert mono.read_bytes() == stereo.read_bytes() == listed.read_bytes()
    with pytest.raises(ParameterError, match=r"pass data.T"):
        spectrogram_png(np.stack([tone(1000), tone(1000)], axis=1), sample_rate=SR, path=tmp_path / "x.png")


@pytest.mark.parametrize(("hz", "tick"), [(500, "500"), (1000, "1k"), (5000, "5k")])
def test_a_tone_lies_on_its_tick(hz: int, tick: str) -> None:
    """The brightest mel band of a pure tone sits at the tick for its frequency (within a band)."""
    ax = Figure().add_subplot()
    _draw_spectrogram(ax, tone(hz), SR)
    ticks = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks()))
    spec = np.asarray(ax.images[0].get_array())
    brightest_row = int(np.argmax(spec.mean(axis=1)))
    assert abs((brightest_row + 0.5) - ticks[tick]) <= 1.0, (brightest_row, ticks)


def test_a_picture_replaces_an_old_one_whole(tmp_path: Path) -> None:
    path = tmp_path / "spec.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"an older, bigger picture " * 10_000)
    spectrogram_png(tone(440), sample_rate=SR, path=path)
    assert png_size(path) == (1000, 360) and b"an older" not in path.read_bytes()
    assert leftovers(tmp_path) == []


def test_a_failed_picture_leaves_the_old_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "spec.png"
    path.write_bytes(b"old")
    broken = tone(440)
    broken[100] = np.nan
    with pytest.raises(AudioDecodeError, match=r"NaN or infinite"):
        spectrogram_png(broken, sample_rate=SR, path=path)
    assert path.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_audio_below_4_khz_is_drawn_with_its_tone_on_its_tick() -> None:
    """The mel front end needs 4 kHz; slower audio is drawn at 8 kHz, its tone where it belongs."""
    ax = Figure().add_subplot()
    _draw_spectrogram(ax, tone(500, sample_rate=2000), 2000)
    ticks = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks()))
    spec = np.asarray(ax.images[0].get_array())
    assert abs(int(np.argmax(spec.mean(axis=1))) + 0.5 - ticks["500"]) <= 1.0
    assert ax.images[0].get_extent()[1] == pytest.approx(1.0)  # still one second long


def test_a_long_recording_s_quiet_part_looks_the_same_in_every_segment(monkeypatch: pytest.MonkeyPatch) -> None:
    """One floor for the whole picture: a segment that holds only the quiet part must not get a
    floor of its own, 20 dB lower than its neighbour's (a seam)."""
    import earmark.pictures

    monkeypatch.setattr(earmark.pictures, "MAX_COLUMNS", 300)
    monkeypatch.setattr(earmark.pictures, "_SEGMENT_S", 10.0)
    quiet = np.random.default_rng(0).normal(0, 1e-4, 100 * SR).astype(np.float32)
    y = np.concatenate([tone(1000, duration_s=35.0), quiet])  # segments start every 10 s: 30-40 s holds both
    ax = Figure().add_subplot()
    _draw_spectrogram(ax, y, SR)
    spec = np.asarray(ax.images[0].get_array())
    column_s = len(y) / SR / spec.shape[1]
    upper = spec[-40:]  # bands far above the tone: only the noise
    early = np.median(upper[:, int(36 / column_s) : int(39.5 / column_s)])  # shares a segment with the tone
    late = np.median(upper[:, int(60 / column_s) :])
    assert abs(early - late) < 3, (early, late)


def test_audio_faster_than_384_khz_is_drawn_too() -> None:
    ax = Figure().add_subplot()
    _draw_spectrogram(ax, tone(1000, duration_s=0.5, sample_rate=768_000), 768_000)
    ticks = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks()))
    spec = np.asarray(ax.images[0].get_array())
    assert abs(int(np.argmax(spec.mean(axis=1))) + 0.5 - ticks["1k"]) <= 1.0


def test_a_long_recording_is_pooled_to_a_picture_s_width_keeping_short_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_COLUMNS frames, neighbouring frames merge (loudest kept), computed a segment at a
    time: the picture stays that wide, a click in the silence still shows, and a change of tone
    stays where it happened."""
    import earmark.pictures

    monkeypatch.setattr(earmark.pictures, "MAX_COLUMNS", 200)
    monkeypatch.setattr(earmark.pictures, "_SEGMENT_S", 7.0)  # several segments, the last a part one
    y = np.concatenate([tone(200, duration_s=30.0), tone(3000, duration_s=31.3)]) * 0.01
    y[int(45.0 * SR)] = 0.9  # one sample: a click
    ax = Figure().add_subplot()
    _draw_spectrogram(ax, y, SR)
    spec = np.asarray(ax.images[0].get_array())
    assert 150 < spec.shape[1] <= 200
    column_s = len(y) / SR / spec.shape[1]
    top = spec[-20:].mean(axis=0)  # the top bands (above 7 kHz): only the click reaches them
    click = int(np.argmax(top))
    assert abs(click * column_s - 45.0) <= 2 * column_s
    low_band = int(np.argmax(spec[:, : int(25 / column_s)].mean(axis=1)))
    high_band = int(np.argmax(spec[:, int(35 / column_s) :].mean(axis=1)))
    assert high_band > low_band + 20
    change = np.argmax(spec[high_band] > spec[low_band])  # the first column where the high tone wins
    assert abs(change * column_s - 30.0) <= 2 * column_s


def test_timeline_png(tmp_path: Path) -> None:
    y = np.concatenate([tone(60, duration_s=2.0), tone(2000, duration_s=2.0)])
    probs = np.array([[0.1, 0.8, 0.1]] * 3 + [[0.1, 0.1, 0.8]] * 4)
    timeline = make_timeline(probs, np.arange(7) * 0.5, labels=LABELS, window_s=1.0, duration_s=4.0, hop_s=0.5,
                             smooth_s=0.0, min_segment_s=0.0)
    path = timeline_png(y, sample_rate=SR, timeline=timeline, path=tmp_path / "t.png", title="two tones")
    assert png_size(path) == (1100, 500) and path.stat().st_size > 10_000


def test_history_png(tmp_path: Path) -> None:
    history = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "train_accuracy": 1 - 0.5 / e,
                "val_accuracy": 1 - 0.6 / e} for e in range(1, 6)]
    path = history_png(history, path=tmp_path / "curves.png")
    assert png_size(path) == (900, 320) and path.stat().st_size > 5_000


def test_confusion_png(tmp_path: Path) -> None:
    probs = np.eye(3)[[0, 1, 1, 2, 2, 0]]
    report = report_from_probabilities(probs, ["background", "bass", "bass", "drums", "drums", "drums"],
                                       [f"{i}.wav" for i in range(6)], labels=LABELS)
    path = confusion_png(report, path=tmp_path / "confusion.png")
    assert png_size(path) == (int(100 * (1.2 + 1.1 * 3)), int(100 * (1.0 + 1.0 * 3)))
    assert leftovers(tmp_path) == []
