"""Where a timeline's segment changes really are: each boundary moved to the moment the sound changes.

The windows a timeline is made of are a second long (the model's window) and a quarter second
apart, and the boundary between two segments is first put halfway between the centres of the last
window of one and the first of the next. A window is labelled by what is loudest in it, so a
bass note coming in after room noise names every window that holds its first fraction of a second:
the boundary came up to 0.6 s early, and drums ending in quiet came as late. The moment of change
is looked for about where the windows leave it: after the start of the last window of the one segment
and before the end of the first of the next, within half a window and half a hop of that first boundary
(and at least a quarter second beyond half a window, for what smoothing and folding shift), never so far
that a segment becomes shorter than ``min_segment_s``. (It reached half a window and a whole hop: with a
one-second hop, 1.5 s, far enough to find the fall into a moment of silence between drum hits, or the hit
after it, in place of the end of the drums the windows had right.) It is found in the sound itself, by novelty
(Foote, 2000): the distance between the mean log spectrum of the quarter second before each moment
and of the quarter second after it, highest where the sound changes. A boundary moves to that
moment when the change is clear there (well above the region's usual novelty, and a peak inside
the reach, not at its edge); where nothing stands out (a slow cross-fade), it stays where the
windows put it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .audio import resample
from .errors import ParameterError
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
#: The rate the sound is looked at: a recording at a higher one is resampled to it first (a change
#: of sound shows below 11 kHz, and a 96 kHz recording costs four times as much for nothing).
_RATE = 22050
#: Frames analysed at a time (~33 MB of spectrum): a long recording never fills memory.
_BLOCK = 4096
#: The shortest a segment is made by a move, where ``min_segment_s`` is shorter (or 0).
_SHORTEST_S = 0.05


def snap_boundaries(timeline: Timeline, samples: np.ndarray, *, sample_rate: int, window_s: float,
                    hop_s: float, min_segment_s: float = 0.5) -> Timeline:
    """``timeline`` with each boundary between two segments moved to where the sound changes, within
    half a window and the longer of half a hop and a quarter second of where the windows put it (about
    where the windows leave the change). A move never
    makes a segment shorter than ``min_segment_s`` (nor than it was, when it was shorter), so no
    boundary crosses another.

    ``samples``: the recording the timeline was made from, mono (``(samples,)``) at ``sample_rate``.
    Segment labels and confidences, and the windows' probabilities, are unchanged.
    """
    segments = timeline.segments
    if len(segments) < 2:
        return timeline
    y = np.asarray(samples, dtype=np.float32)
    if y.ndim != 1:
        raise ParameterError(f"snap_boundaries takes mono samples, shape (samples,), got {y.shape}; mix them "
                             "with earmark.audio.to_mono first")
    if sample_rate > _RATE:
        y, sample_rate = resample(y, orig_sr=sample_rate, target_sr=_RATE), _RATE
    # The change is after the start of the last window named as the one segment and before the end of the first
    # named as the next (a window is named by its loud part): half a window and half a hop, and at least a
    # quarter second beyond half a window for what smoothing and folding shift.
    reach = window_s / 2 + max(hop_s / 2, _SIDE_S)
    curve = _Novelty(y, sample_rate=sample_rate, around=[s.start_s for s in segments[1:]], reach_s=reach)
    shortest = max(min_segment_s, _SHORTEST_S)
    starts = [s.start_s for s in segments]
    for i in range(1, len(segments)):
        before, after = segments[i - 1], segments[i]
        # segment i - 1 starts where the last move put it; segment i ends where the windows did, and the next
        # move keeps it as long as this one does: each keeps min_segment_s, or its own length if shorter
        low = max(after.start_s - reach, starts[i - 1] + min(shortest, before.end_s - before.start_s))
        high = min(after.start_s + reach, after.end_s - min(shortest, after.end_s - after.start_s))
        if (at := curve.clear_peak(low, high)) is not None:
            starts[i] = at
    ends = [*starts[1:], segments[-1].end_s]
    return replace(timeline, segments=[Segment(start_s=a, end_s=b, label=s.label, confidence=s.confidence)
                                       for s, a, b in zip(segments, starts, ends, strict=True)])


class _Novelty:
    """How much the sound changes at each moment near the boundaries: the distance between the mean log band
    energies of the quarter second before and of the quarter second after. Worked out once for each stretch
    within ``reach_s`` of a boundary in ``around`` (stretches that overlap are one), not for the whole
    recording: a 30 s recording with four changes looks at a sixth of it."""

    def __init__(self, y: np.ndarray, *, sample_rate: int, around: list[float], reach_s: float) -> None:
        frame = max(64, int(round(_FRAME_S * sample_rate)))
        step = max(16, int(round(_STEP_S * sample_rate)))
        side = max(1, int(round(_SIDE_S * sample_rate / step)))
        margin = side * step + frame  # the frames both sides of a moment need
        spans: list[list[int]] = []
        for edge in sorted(around):
            a = max(0, int((edge - reach_s) * sample_rate) - margin)
            b = min(len(y), int((edge + reach_s) * sample_rate) + margin)
            if spans and a <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], b)
            else:
                spans.append([a, b])
        values, times = [], []
        for a, b in spans:
            bands = _log_bands(y[a:b], frame=frame, step=step, sample_rate=sample_rate)  # (n_frames, _BANDS)
            totals = np.concatenate([np.zeros((1, _BANDS)), np.cumsum(bands, axis=0)])
            k = np.arange(side, len(bands) - side + 1)  # the frames with both sides whole
            before = (totals[k] - totals[k - side]) / side
            after = (totals[k + side] - totals[k]) / side
            values.append(np.sqrt(np.mean((after - before) ** 2, axis=1)))
            # frame k starts at a + k * step; the moment between frames k - 1 and k is half a step before its centre
            times.append((a + k * step + frame / 2 - step / 2) / sample_rate)
        self.values = np.concatenate(values) if values else np.zeros(0)
        self.times = np.concatenate(times) if times else np.zeros(0)

    def clear_peak(self, low_s: float, high_s: float) -> float | None:
        """The moment between ``low_s`` and ``high_s`` where the sound changes most, if it stands out:
        well above the region's usual change, and a peak inside the region, not at its edge (the change
        still rises beyond it, toward one the windows did not put here: a note that died away before
        the label changed, say)."""
        a, b = np.searchsorted(self.times, [low_s, high_s], side="left")
        region = self.values[a : min(b + 1, len(self.values))]
        region_times = self.times[a : a + len(region)]
        keep = region_times <= high_s
        region, region_times = region[keep], region_times[keep]
        if len(region) < 3:
            return None
        best = int(np.argmax(region))
        if best in (0, len(region) - 1) or region[best] < _CLEAR * max(float(np.median(region)), 1e-6):
            return None
        return float(region_times[best])


def _log_bands(y: np.ndarray, *, frame: int, step: int, sample_rate: int) -> np.ndarray:
    """Log energy (dB) in ``_BANDS`` log-spaced bands, frame by frame: ``(n_frames, _BANDS)``; none for
    audio shorter than a frame."""
    n = max(0, 1 + (len(y) - frame) // step)
    freqs = np.fft.rfftfreq(frame, 1 / sample_rate)
    edges = np.geomspace(40.0, sample_rate / 2, _BANDS + 1)
    which = np.clip(np.searchsorted(edges, freqs, side="right") - 1, 0, _BANDS - 1)  # rising with the bins
    # Summed by reduceat over each band's run of bins, not by a matrix product: BLAS's threads, left
    # spinning after it, slowed the network's next windows twofold (timelines of 20 s recordings).
    present, first_bin = np.unique(which, return_index=True)
    taper = np.hanning(frame).astype(np.float32)
    out = np.zeros((n, _BANDS), dtype=np.float32)
    for first in range(0, n, _BLOCK):
        count = min(_BLOCK, n - first)
        index = np.arange(frame)[None, :] + step * np.arange(first, first + count)[:, None]
        power = np.abs(np.fft.rfft(y[index] * taper, axis=1)).astype(np.float32) ** 2
        out[first : first + count, present] = np.add.reduceat(power, first_bin, axis=1)
    return 10 * np.log10(out + 1e-10)
