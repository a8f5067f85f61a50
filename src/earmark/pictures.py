"""Pictures people look at: spectrograms, timelines, training curves, confusion matrices (PNG)."""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .atomic import atomic_write, check_replaceable
from .audio import as_waveform, resample, to_mono
from .features import FeatureConfig, _hz_to_mel, log_mel

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from .report import EvaluationReport
    from .timeline import Timeline

__all__ = ["spectrogram_thumbnail", "spectrogram_png", "timeline_png", "history_png", "confusion_png"]

_COLOURS = ["#8c8c8c", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#bcbd22"]


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure  # the object API: no global pyplot state, no GUI backend

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


#: Fonts with the characters matplotlib's own (DejaVu Sans) lacks: Chinese, Japanese and Korean above
#: all (a file or class named "ベース"). A text that needs them is drawn with the first installed that
#: has each character; one that no installed font has is drawn as a box (□), without matplotlib's
#: "Glyph … missing from font(s)" warning.
_FALLBACK_FONTS = ("Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK KR", "Source Han Sans", "Source Han Sans JP",
                   "Droid Sans Fallback", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "IPAexGothic", "IPAGothic",
                   "TakaoGothic", "Hiragino Sans", "Hiragino Sans GB", "PingFang SC", "Yu Gothic", "Meiryo",
                   "MS Gothic", "Microsoft YaHei", "Microsoft JhengHei", "SimHei", "Malgun Gothic",
                   "Apple SD Gothic Neo", "Arial Unicode MS", "Noto Sans", "FreeSans")
_NO_GLYPH = "\N{WHITE SQUARE}"


@functools.cache
def _characters(font_path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    try:
        return frozenset(FT2Font(font_path).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()


@functools.cache
def _fallback_fonts() -> tuple[tuple[str, frozenset[int]], ...]:
    """The installed :data:`_FALLBACK_FONTS`, each with the characters it has."""
    from matplotlib import font_manager

    paths = {font.name: font.fname for font in font_manager.fontManager.ttflist}
    return tuple((name, _characters(paths[name])) for name in _FALLBACK_FONTS if name in paths)


@functools.cache
def _weights(name: str) -> tuple[int, ...]:
    """The weights (400 regular, 700 bold) installed font ``name`` has faces of."""
    from matplotlib import font_manager

    return tuple(sorted({_weight(font.weight) for font in font_manager.fontManager.ttflist if font.name == name}))


def _weight(weight: str | int | float) -> int:
    """A font weight as a number (``"bold"``: 700)."""
    from matplotlib import font_manager

    return int(font_manager.weight_dict.get(weight, 400) if isinstance(weight, str) else weight)


def _boxed(words: str) -> str:
    """``words`` with each character that neither matplotlib's font nor a fallback has as a box: for
    tick labels, which matplotlib sets again as it draws (:func:`_fit_fonts` cannot change them)."""
    if words.isascii():
        return words
    from matplotlib import font_manager

    have = _characters(font_manager.findfont(font_manager.FontProperties()))
    have = have.union(*(chars for _, chars in _fallback_fonts()))
    return "".join(c if c.isspace() or ord(c) in have else _NO_GLYPH for c in words)


def _fit_fonts(fig: Figure) -> None:
    """Give each text of ``fig`` that holds characters its font lacks the installed fonts that have
    them; a character none has becomes a box (:data:`_NO_GLYPH`)."""
    from matplotlib import font_manager
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        words = text.get_text()
        if words.isascii():
            continue
        have = _characters(font_manager.findfont(text.get_fontproperties()))
        lacking = {ord(c) for c in words if not c.isspace()} - have
        if not lacking:
            continue
        families = list(text.get_fontfamily())
        for name, chars in _fallback_fonts():
            if lacking & chars:
                families.append(name)
                have |= chars
                lacking -= chars
        if added := families[len(text.get_fontfamily()):]:
            text.set_fontfamily(families)
            _fit_weight(text, added)
        if lacking:
            text.set_text("".join(_NO_GLYPH if ord(c) in lacking else c for c in words))


def _fit_weight(text: Text, fonts: list[str]) -> None:
    """Draw ``text`` in a weight each of ``fonts`` (the fallbacks it was given) has a face of: bold text
    given Droid Sans Fallback (regular only) is drawn regular, as matplotlib would draw it anyway, but
    without its log line "findfont: Failed to find font weight bold for Droid Sans Fallback"."""
    asked = weight = _weight(text.get_fontweight())
    for name in fonts:
        if (weights := _weights(name)) and weight not in weights:
            weight = min(weights, key=lambda w: abs(w - weight))
    if weight != asked:
        text.set_fontweight(weight)


def _save(fig: Figure, path: str | os.PathLike[str]) -> Path:
    check_replaceable(path, kind="png")  # a picture never replaces a recording or a model
    _fit_fonts(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    with atomic_write(path) as fh:
        fh.write(buf.getvalue())
    return Path(path)


#: A picture is about a thousand pixels wide: past this many frames, neighbouring frames are
#: merged (their loudest value kept) so that an hour-long recording costs no more memory than a minute.
MAX_COLUMNS = 4000
_SEGMENT_S = 60.0  # a long recording's spectrogram is computed this much at a time


def _picture_log_mel(samples: np.ndarray, sample_rate: int, config: FeatureConfig) -> np.ndarray:
    """``log_mel`` of ``samples``, its frames max-pooled down to at most :data:`MAX_COLUMNS`."""
    hop, n = config.hop_length, samples.shape[-1]
    group = -(-config.n_frames(n) // MAX_COLUMNS)  # frames merged into one column
    if group == 1:
        return log_mel(samples, sample_rate=sample_rate, config=config)
    step = group * hop * max(1, int(_SEGMENT_S * sample_rate) // (group * hop))  # whole columns per segment
    columns = []
    for start in range(0, n, step):
        spec = log_mel(samples[start : start + step], sample_rate=sample_rate, config=config)
        spec = spec[:, : -(-min(step, n - start) // hop)]  # drop the centred STFT's extra last frame
        pad = -spec.shape[1] % group
        spec = np.pad(spec, ((0, 0), (0, pad)), constant_values=spec.min())
        columns.append(spec.reshape(spec.shape[0], -1, group).max(axis=2))
    return np.concatenate(columns, axis=1)


_RANGE_DB = 60.0  # a picture shows this far below its loudest cell


def _draw_spectrogram(ax: Any, samples: np.ndarray, sample_rate: int) -> None:
    samples = to_mono(as_waveform(samples, source="spectrogram"))  # a picture of a stereo take: its mix
    # The mel front end takes 4 to 384 kHz: slower audio is drawn at 8 kHz (the bands above its
    # own top stay empty), faster at 192 kHz.
    if not 4000 <= sample_rate <= 384_000:
        target = 8000 if sample_rate < 4000 else 192_000
        samples, sample_rate = resample(samples, orig_sr=sample_rate, target_sr=target), target
    # top_db=200: no floor per log_mel call (a long recording's segments would each set their
    # own, and the seams would show); one floor for the whole picture below.
    config = FeatureConfig(sample_rate=sample_rate, n_fft=2048 if sample_rate > 32000 else 1024,
                           hop_length=512 if sample_rate > 32000 else 256, n_mels=128, top_db=200.0)
    spec = _picture_log_mel(samples, sample_rate, config) * (10 / np.log(10))  # → dB
    spec = np.maximum(spec, spec.max() - _RANGE_DB)
    duration = samples.shape[-1] / sample_rate
    ax.imshow(spec, origin="lower", aspect="auto", cmap="magma", extent=(0, duration, 0, config.n_mels))
    ticks_hz = [f for f in (50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000) if config.f_min_hz < f < config.top_hz]
    # Band i is centred at mel lo + (i + 1) (hi - lo) / (n_mels + 1) on the features' own mel
    # scale (see mel_filterbank) and drawn as row [i, i + 1]: place each tick at its band.
    lo, hi = (float(_hz_to_mel(np.array(f))) for f in (config.f_min_hz, config.top_hz))
    positions: list[float] = []
    kept: list[int] = []
    for f in ticks_hz:  # skip ticks that would overprint the one below
        y = (float(_hz_to_mel(np.array(f, dtype=np.float64))) - lo) / (hi - lo) * (config.n_mels + 1) - 0.5
        if not positions or y - positions[-1] >= 0.07 * config.n_mels:
            positions.append(y)
            kept.append(f)
    ax.set_yticks(positions)
    ax.set_yticklabels([f"{f // 1000}k" if f >= 1000 else str(f) for f in kept])
    ax.set_ylabel("Hz (mel scale)")


def spectrogram_thumbnail(samples: np.ndarray, *, sample_rate: int, n_mels: int = 64) -> bytes:
    """A small full-band mel spectrogram picture (no axes; low notes at the bottom), as PNG bytes.

    One pixel per band and frame (``n_mels`` high, about 43 frames a second at 22.05 kHz):
    cheap enough to draw for every sample a project holds.
    """
    from matplotlib import colormaps
    from PIL import Image

    config = FeatureConfig(sample_rate=sample_rate, n_mels=n_mels)
    spec = log_mel(to_mono(as_waveform(samples, source="thumbnail")), sample_rate=sample_rate, config=config)
    spec = np.maximum(spec, spec.max() - np.log(10) * 8)  # 80 dB of range
    span = float(spec.max() - spec.min()) or 1.0
    rgba = colormaps["magma"]((spec - spec.min()) / span, bytes=True)[::-1]
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(buf, format="PNG")
    return buf.getvalue()


def spectrogram_png(samples: np.ndarray, *, sample_rate: int, path: str | os.PathLike[str],
                    title: str = "") -> Path:
    """A full-band mel spectrogram (dB) of ``samples`` (stereo is drawn as its mix), written as PNG."""
    fig = _figure(10, 3.6)
    ax = fig.add_subplot()
    _draw_spectrogram(ax, samples, sample_rate)
    ax.set_xlabel("seconds")
    ax.set_title(title)
    return _save(fig, path)


def timeline_png(samples: np.ndarray, *, sample_rate: int, timeline: Timeline, path: str | os.PathLike[str],
                 title: str = "") -> Path:
    """Spectrogram with the label track (and class probabilities) under it."""
    fig = _figure(11, 5)
    ax_spec, ax_prob, ax_track = fig.subplots(3, 1, sharex=True, height_ratios=[3, 1.3, 0.5])
    _draw_spectrogram(ax_spec, samples, sample_rate)
    ax_spec.set_title(title)
    colours = {lab: _COLOURS[i % len(_COLOURS)] for i, lab in enumerate(timeline.labels)}
    for i, lab in enumerate(timeline.labels):
        ax_prob.plot(timeline.times_s, timeline.probabilities[:, i], color=colours[lab], label=lab, lw=1.5)
    ax_prob.set_ylim(0, 1)
    ax_prob.set_ylabel("p")
    ax_prob.legend(loc="upper right", ncol=len(timeline.labels), fontsize=8)
    for seg in timeline.segments:
        ax_track.axvspan(seg.start_s, seg.end_s, color=colours[seg.label], alpha=0.85)
        if seg.end_s - seg.start_s > timeline.duration_s / 40:
            ax_track.text((seg.start_s + seg.end_s) / 2, 0.5, seg.label, ha="center", va="center",
                          color="white", fontsize=9, fontweight="bold")
    ax_track.set_yticks([])
    ax_track.set_xlim(0, timeline.duration_s)
    ax_track.set_xlabel("seconds")
    return _save(fig, path)


def history_png(history: list[dict[str, float]], *, path: str | os.PathLike[str]) -> Path:
    """Loss and accuracy per epoch, train and validation."""
    fig = _figure(9, 3.2)
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = [h["epoch"] for h in history]
    for key, style in (("train", "-"), ("val", "--")):
        marker = "o" if len(epochs) < 12 else None
        ax_loss.plot(epochs, [h[f"{key}_loss"] for h in history], style, marker=marker, label=key)
        ax_acc.plot(epochs, [h[f"{key}_accuracy"] for h in history], style, marker=marker, label=key)
    ax_loss.set_title("loss")
    ax_acc.set_title("accuracy")
    ax_acc.set_ylim(0, 1.02)
    from matplotlib.ticker import MaxNLocator

    for ax in (ax_loss, ax_acc):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.4
        ax.legend()
    return _save(fig, path)


def confusion_png(report: EvaluationReport, *, path: str | os.PathLike[str], title: str = "") -> Path:
    """The confusion matrix (rows = true, columns = predicted) with counts in the cells."""
    matrix = np.asarray(report.confusion)
    fig = _figure(1.2 + 1.1 * len(report.labels), 1.0 + 1.0 * len(report.labels))
    ax = fig.add_subplot()
    ax.imshow(matrix, cmap="Blues")
    for (i, j), v in np.ndenumerate(matrix):
        ax.text(j, i, str(v), ha="center", va="center", color="white" if v > matrix.max() / 2 else "black")
    labels = [_boxed(label) for label in report.labels]
    ax.set_xticks(range(len(labels)), labels, rotation=30)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or f"accuracy {report.accuracy:.1%}")
    return _save(fig, path)
