"""Where a timeline's segment changes really are: each boundary moved to the moment the sound changes.

The windows a timeline is made of are a second long (the model's window) and a quarter second
apart, and the boundary between two segments is first put halfway between the centres of the last
window of one and the first of the next. A window is labelled by what is loudest in it, so a
bass note coming in after room noise names every window that holds its first fraction of a second:
the boundary came up to 0.6 s early, and drums ending in quiet came as late. The moment of change
lies within half a window of that first boundary. It is found in the sound itself, by novelty
(Foote, 2000): the distance between the mean log spectrum of the quarter second before each moment
and of the quarter second after it, highest where the sound changes. A boundary moves to that
moment when the change is clear there (well above the region's usual novelty, and a peak inside
the reach, not at its edge); where nothing stands out (a slow cross-fade), it stays where the
windows put it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .timeline import Segment, Timeline

__all__ = ["snap_boundaries"]

#: Spectral frames: ~46 ms long, ~12 ms apart at 22.05 kHz (scaled with the rate).
_FRAME_S = 1024 / 22050
_STEP_S = 256 / 22050
#: The sound compared on either side of a moment.
_SIDE_S = 0.25
#: A boundary moves only to a change this many times the region's median novelty.
_CLEAR = 2.0
#: Bands the spectrum is summed into (log-spaced from 40 Hz to the Nyquist frequency).
_BANDS = 32


def snap_boundaries(timeline: Timeline, samples: np.ndarray, *, sample_rate: int, window_s: float,
                    hop_s: float) -> Timeline:
    """``timeline`` with each boundary between two segments moved to where the sound changes, within
    half a window and a hop (at least a quarter second) of where the windows put it, and never past a
    neighbouring boundary.

    ``samples``: the recording the timeline was made from, mono (``(samples,)``) at ``sample_rate``.
    Segment labels and confidences, and the windows' probabilities, are unchanged.
    """
    segments = timeline.segments
    if len(segments) < 2:
        return timeline
    y = np.asarray(samples, dtype=np.float32).reshape(-1)
    reach = window_s / 2 + max(hop_s, _SIDE_S)  # a window named by its loud end: up to half a window off, and more
    moved = [s.start_s for s in segments[1:]]
    for i, edge in enumerate(moved):
        low = max(edge - reach, segments[i].start_s + _SIDE_S)
        high = min(edge + reach, segments[i + 1].end_s - _SIDE_S)
        if high - low < 2 * _STEP_S:
            continue
        at = _clear_change(y, sample_rate=sample_rate, low_s=low, high_s=high)
        if at is not None:
            moved[i] = at
    starts = [segments[0].start_s, *moved]
    ends = [*moved, segments[-1].end_s]
    return replace(timeline, segments=[Segment(start_s=a, end_s=b, label=s.label, confidence=s.confidence)
                                       for s, a, b in zip(segments, starts, ends, strict=True)])


def _clear_change(y: np.ndarray, *, sample_rate: int, low_s: float, high_s: float) -> float | None:
    """The moment between ``low_s`` and ``high_s`` where the sound changes most, if it stands out."""
    frame = max(64, int(round(_FRAME_S * sample_rate)))
    step = max(16, int(round(_STEP_S * sample_rate)))
    side = max(1, int(round(_SIDE_S * sample_rate / step)))
    first = int(low_s * sample_rate) - side * step - frame // 2  # the frames both sides of the region need
    last = int(high_s * sample_rate) + side * step + frame // 2
    piece = y[max(0, first) : min(len(y), last)]
    offset = max(0, first)
    if len(piece) < frame + 2 * side * step:
        return None
    bands = _log_bands(piece, frame=frame, step=step, sample_rate=sample_rate)  # (n_frames, _BANDS)
    totals = np.concatenate([np.zeros((1, bands.shape[1])), np.cumsum(bands, axis=0)])
    # novelty between frames [k - side, k) and [k, k + side), for each k with both sides whole
    k = np.arange(side, len(bands) - side + 1)
    before = (totals[k] - totals[k - side]) / side
    after = (totals[k + side] - totals[k]) / side
    novelty = np.sqrt(np.mean((after - before) ** 2, axis=1))
    # frame k starts at offset + k * step; the moment between frames k - 1 and k is its centre's time
    times = (offset + k * step + frame / 2 - step / 2) / sample_rate
    inside = (times >= low_s) & (times <= high_s)
    if inside.sum() < 2:
        return None
    region, moments = novelty[inside], times[inside]
    best = int(np.argmax(region))
    if region[best] < _CLEAR * max(float(np.median(region)), 1e-6):
        return None
    # A peak at the edge of the reach is no peak: the novelty still rises beyond it, toward a change
    # the windows did not put here (a note that died away before the label changed, say).
    if best in (0, len(region) - 1):
        return None
    return float(moments[best])


def _log_bands(y: np.ndarray, *, frame: int, step: int, sample_rate: int) -> np.ndarray:
    """Log energy (dB) in ``_BANDS`` log-spaced bands, frame by frame: ``(n_frames, _BANDS)``."""
    n = 1 + (len(y) - frame) // step
    index = np.arange(frame)[None, :] + step * np.arange(n)[:, None]
    power = np.abs(np.fft.rfft(y[index] * np.hanning(frame).astype(np.float32), axis=1)) ** 2
    freqs = np.fft.rfftfreq(frame, 1 / sample_rate)
    edges = np.geomspace(40.0, sample_rate / 2, _BANDS + 1)
    which = np.clip(np.searchsorted(edges, freqs, side="right") - 1, 0, _BANDS - 1)
    return 10 * np.log10(power @ np.eye(_BANDS, dtype=np.float32)[which] + 1e-10)
