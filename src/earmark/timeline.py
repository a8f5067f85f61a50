"""Timelines: label a long recording over time as smoothed segments."""

from __future__ import annotations

import csv
import heapq
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.ndimage import uniform_filter1d

from .audio import MIN_HOP_S, is_number
from .errors import ParameterError

__all__ = ["Segment", "Timeline", "check_timeline_settings", "make_timeline", "timeline_hop"]


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    label: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "label": self.label, "confidence": round(self.confidence, 4)}


@dataclass
class Timeline:
    """Segments plus the per-frame probabilities they were made from."""

    segments: list[Segment]
    labels: list[str]
    times_s: np.ndarray = field(repr=False)          # centre of each window
    probabilities: np.ndarray = field(repr=False)    # (n_windows, n_classes), smoothed
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"duration_s": round(self.duration_s, 3), "labels": self.labels,
                "segments": [s.to_dict() for s in self.segments]}

    def to_csv(self) -> str:
        """Segments as CSV (``start_s,end_s,label,confidence``); labels holding commas or quotes are quoted."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["start_s", "end_s", "label", "confidence"])
        for s in self.segments:
            writer.writerow([f"{s.start_s:.3f}", f"{s.end_s:.3f}", s.label, f"{s.confidence:.4f}"])
        return out.getvalue()


TIMELINE_HOP_S = 0.25  # the default hop, or the model's window where that is shorter
MAX_SPAN_S = 3600.0    # smoothing or a shortest segment beyond an hour is a typo


def timeline_hop(hop_s: float | None, *, window_s: float) -> float:
    """``hop_s``, or by default a quarter second (the model's window where that is shorter)."""
    return min(TIMELINE_HOP_S, window_s) if hop_s is None else hop_s


def check_timeline_settings(*, window_s: float, hop_s: float, smooth_s: float, min_segment_s: float) -> None:
    """Refuse settings that would leave audio unheard or break the smoothing, before any work.

    Raises
    ------
    ParameterError
        If ``hop_s`` is not between 0.01 s and ``window_s`` (a longer hop skips audio between
        windows), or ``smooth_s`` / ``min_segment_s`` are not between 0 and an hour. The message
        names the argument; its ``cli_hint`` names the ``earmark timeline`` option.
    """
    if not (is_number(hop_s) and MIN_HOP_S <= hop_s <= window_s):
        too_long = is_number(hop_s) and hop_s > window_s
        why = "; a longer one would leave audio between windows unheard" if too_long else ""
        raise ParameterError(f"the hop must be between {MIN_HOP_S} s and the model's window ({window_s} s): give "
                             f"--hop-s (hop_s from Python) from {MIN_HOP_S} to {window_s}, got {hop_s}{why}")
    for name, param, value in (("smoothing span", "smooth_s", smooth_s),
                               ("shortest segment", "min_segment_s", min_segment_s)):
        if not (is_number(value) and 0 <= value <= MAX_SPAN_S):
            option = "--" + param.replace("_", "-")
            raise ParameterError(f"the {name} must be between 0 and {MAX_SPAN_S:.0f} seconds, got {value} for {param}",
                                 cli_hint=f"give {option} from 0 to {MAX_SPAN_S:.0f}")


def make_timeline(probs: np.ndarray, starts_s: np.ndarray, *, labels: list[str], window_s: float,
                  duration_s: float, hop_s: float, smooth_s: float, min_segment_s: float,
                  weights: np.ndarray | None = None, loudness: np.ndarray | None = None,
                  predict_hop_s: float | None = None) -> Timeline:
    """Smooth window probabilities over ``smooth_s``, take the best label per window, merge runs
    into segments, and fold segments shorter than ``min_segment_s`` into a neighbour (see
    :func:`_fold_short_runs`): every folded segment is named by the label most likely over its windows.

    ``probs`` is ``(n_windows, n_classes)`` in ``labels`` order; ``starts_s`` the windows' starts.
    ``weights`` (``(n_windows,)``, positive; equal by default) is how much each window counts: in
    the smoothing, in which neighbour a short segment joins, and in a segment's label and confidence.
    :meth:`earmark.classifier.Classifier.timeline` passes the loudness weights
    :meth:`~earmark.classifier.Classifier.predict` averages a clip's windows with
    (:func:`earmark.classifier.window_weights`), so quiet gaps between drum hits do not outvote
    the hits.

    Smoothing decides which segments there are; where two meet is then put where the windows'
    own probabilities (each counted by its weight) change from one label to the other, within the
    smoothing span (see :func:`_refined_runs`): a loud drum window smoothed over the quiet windows
    after it no longer carries the drums ``smooth_s`` into the quiet.

    A segment made by folding is named as :meth:`~earmark.classifier.Classifier.predict` would name
    its span (see :func:`_span_vote`): the windows' own probabilities (not smoothed), of the windows
    ``predict_hop_s`` apart (predict's hop; every window by default), each counted by its
    ``loudness`` (window RMS; the ``weights`` by default) relative to the span's loudest, floored
    at 0.05. Its confidence is that label's share. A recording folded into one segment is so named
    as predict names it.
    """
    probs, starts_s = np.asarray(probs, dtype=np.float64), np.asarray(starts_s, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(labels) or starts_s.shape != (probs.shape[0],):
        raise ParameterError(
            f"need probs of shape (n_windows, {len(labels)}) and starts_s of shape (n_windows,), "
            f"got {probs.shape} and {starts_s.shape}"
        )
    w = _checked_weights(weights, n_windows=probs.shape[0])
    check_timeline_settings(window_s=window_s, hop_s=hop_s, smooth_s=smooth_s, min_segment_s=min_segment_s)
    centres = starts_s + window_s / 2
    size = max(1, int(round(smooth_s / hop_s)))
    smooth = _smoothed(probs, w, size=size)
    best = smooth.argmax(axis=1)
    # Boundaries halfway between window centres; the ends are the recording's.
    edges = np.concatenate([[0.0], (centres[1:] + centres[:-1]) / 2, [duration_s]])
    # Runs of one label: label index, first window, last window.
    change = np.flatnonzero(np.diff(best)) + 1
    first = np.concatenate([[0], change])
    last = np.concatenate([change - 1, [len(best) - 1]])
    runs = [(int(lab), int(a), int(b)) for lab, a, b in zip(best[first], first, last)]
    runs = _refined_runs(runs, probs=probs, weights=w, reach=size)
    vote = _SpanVote(probs, loudness=w if loudness is None else _checked_weights(loudness, n_windows=len(w)),
                     starts_s=starts_s, predict_hop_s=hop_s if predict_hop_s is None else predict_hop_s)
    merged = _fold_short_runs(runs, smooth=smooth, weights=w, edges=edges, min_segment_s=min_segment_s, vote=vote)
    segments = [Segment(start_s=float(edges[a]), end_s=float(edges[b + 1]), label=labels[lab],
                        confidence=float(vote(a, b)[lab]) if folded
                        else float(np.average(smooth[a : b + 1, lab], weights=w[a : b + 1])))
                for lab, a, b, folded in merged]
    return Timeline(segments=segments, labels=labels, times_s=centres, probabilities=smooth,
                    duration_s=duration_s)


def _checked_weights(weights: np.ndarray | None, *, n_windows: int) -> np.ndarray:
    if weights is None:
        return np.ones(n_windows)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n_windows,) or not (np.all(np.isfinite(w)) and np.all(w > 0)):
        raise ParameterError(f"need weights of shape (n_windows,) = ({n_windows},), positive and finite, got "
                             f"shape {w.shape}{' with values <= 0 or not finite' if w.shape == (n_windows,) else ''}")
    return w


def _smoothed(probs: np.ndarray, weights: np.ndarray, *, size: int) -> np.ndarray:
    """Each window's probabilities averaged with its neighbours' over ``size`` windows, each
    window counting by its weight (a plain moving average where the weights are equal)."""
    if len(probs) < 2 or size < 2:
        return probs.copy()
    if np.all(weights == weights[0]):
        return uniform_filter1d(probs, size=size, axis=0, mode="nearest")
    total = uniform_filter1d(probs * weights[:, None], size=size, axis=0, mode="nearest")
    return total / uniform_filter1d(weights, size=size, mode="nearest")[:, None]


#: Where the windows on one side of a change are this many times louder than on the other, smoothing
#: weighted by loudness leans toward the loud side, and the change is put where the windows change.
_UNEVEN = 3.0


def _refined_runs(runs: list[tuple[int, int, int]], *, probs: np.ndarray, weights: np.ndarray,
                  reach: int) -> list[tuple[int, int, int]]:
    """Runs ``(label, first window, last window)`` with each change between two moved to where the windows'
    own ``probs`` change from the one label to the other: of the splits no more than ``reach`` windows (the
    smoothing span) from where the smoothed probabilities put it, the one that gives the most probability,
    each window counted by its weight, to the label on its side (on a tie, the nearest); a window whose own
    likeliest label is neither counts for neither side. Only a change between two runs each as long as the
    smoothing span moves (shorter runs, such as the quiet windows between drum hits, are the smoothing's to
    hold together), and only where one side is :data:`_UNEVEN` times louder than the other (where the two
    are alike the smoothing leans neither way, and moving them did worse on the boundary benchmark: 85.7 %
    of the time right, not 87.0 %); each run keeps a window at least. Smoothing weighted by loudness carries a loud
    drum window over the quiet ones after it: drums ending in quiet ended up to ``smooth_s`` late, beyond
    the reach of the boundary move (QA: 0.87 s).
    """
    if reach < 2 or len(runs) < 2:
        return runs
    out = [list(run) for run in runs]
    for i in range(1, len(out)):
        a_label, a_first, _ = out[i - 1]
        b_label, k, b_last = out[i]
        if min(runs[i - 1][2] - runs[i - 1][1], b_last - k) + 1 < reach:
            continue  # a short run among others (quiet windows between drum hits) is the smoothing's to hold
        lo, hi = max(a_first + 1, k - reach), min(b_last, k + reach)
        louder = weights[lo:k].mean() / weights[k:hi + 1].mean()
        if 1 / _UNEVEN < louder < _UNEVEN:
            continue  # alike in loudness: the smoothing leans neither way
        named = np.isin(probs[lo:hi].argmax(axis=1), (a_label, b_label))  # a third label's window counts for neither
        margin = named * weights[lo:hi] * (probs[lo:hi, a_label] - probs[lo:hi, b_label])
        gain = np.round(np.concatenate([[0.0], np.cumsum(margin)]), 9)  # gain[s - lo]: split before window s
        splits = np.arange(lo, hi + 1)[gain == gain.max()]
        split = int(splits[np.argmin(np.abs(splits - k))])
        out[i - 1][2], out[i][1] = split - 1, split
    return [(a, b, c) for a, b, c in out]


class _SpanVote:
    """What :meth:`~earmark.classifier.Classifier.predict` makes of the windows ``a`` to ``b``: the mean of
    their ``probs``, each counted by its ``loudness`` relative to the loudest (floored at 0.05, as
    :func:`~earmark.classifier.window_weights` does), over the windows ``predict_hop_s`` apart from the
    first, and the last (predict's windows, where the timeline's hop divides predict's; every window where
    the timeline's hop is as long or longer)."""

    def __init__(self, probs: np.ndarray, *, loudness: np.ndarray, starts_s: np.ndarray,
                 predict_hop_s: float) -> None:
        self.probs, self.loudness, self.starts_s, self.hop_s = probs, loudness, starts_s, predict_hop_s

    def __call__(self, a: int, b: int) -> np.ndarray:
        starts = self.starts_s[a : b + 1]
        pick = np.arange(len(starts))
        if len(starts) > 1:
            targets = starts[0] + self.hop_s * np.arange(int((starts[-1] - starts[0]) / self.hop_s + 1e-6) + 1)
            at = np.clip(np.searchsorted(starts, targets), 1, len(starts) - 1)
            at -= (targets - starts[at - 1] <= starts[at] - targets).astype(at.dtype)  # the nearest window
            pick = np.unique(np.append(at, len(starts) - 1))
        loud = self.loudness[a + pick]
        return np.average(self.probs[a + pick], axis=0, weights=np.clip(loud / loud.max(), 0.05, 1.0))


def _fold_short_runs(runs: list[tuple[int, int, int]], *, smooth: np.ndarray, weights: np.ndarray,
                     edges: np.ndarray, min_segment_s: float,
                     vote: _SpanVote) -> list[tuple[int, int, int, bool]]:
    """Fold runs ``(label, first window, last window)`` shorter than ``min_segment_s`` into a
    neighbour until none is left (or one run).

    The shortest run goes first, so blips inside a stretch of short pieces of one label fold before
    the pieces do, and the pieces join up instead of being eaten one by one by a growing neighbour.
    A short run joins the neighbour whose label its own windows find likelier (on a tie the longer
    neighbour, then the earlier), and the merged run takes the label ``vote`` (predict's reading of its
    span) finds likeliest, which may be the short run's own: a merge never hands windows to a label they,
    together, find less likely than another (so a run of confident bass between doubtful drums turns
    the drums to bass rather than vanish), and a recording folded into one segment is named as predict
    names it (as is one that was one run from the start). Returns ``(label, first window, last window,
    folded)``, ``folded`` where a run grew or is the whole recording.
    """
    mass = np.concatenate([np.zeros((1, smooth.shape[1])),
                           np.cumsum(smooth * weights[:, None], axis=0)])  # mass[b+1] - mass[a]
    label, first, last = ([r[i] for r in runs] for i in range(3))
    before, after = list(range(-1, len(runs) - 1)), [*range(1, len(runs)), -1]  # a linked list of live runs
    version = [0] * len(runs)  # bumped when a run grows; -1 once it is folded away

    def span(i: int) -> float:
        return float(edges[last[i] + 1] - edges[first[i]])

    def absorb(keep: int, gone: int) -> None:
        first[keep], last[keep] = min(first[keep], first[gone]), max(last[keep], last[gone])
        p, n = before[gone], after[gone]
        if p >= 0:
            after[p] = n
        if n >= 0:
            before[n] = p
        version[gone] = -1

    queue = [(span(i), first[i], i, 0) for i in range(len(runs))]  # shortest, then earliest, first
    heapq.heapify(queue)
    live = len(runs)
    while live > 1:
        length, _, k, seen = heapq.heappop(queue)
        if seen != version[k]:
            continue  # folded away, or grown since it was queued
        if length >= min_segment_s:
            break
        over_k = mass[last[k] + 1] - mass[first[k]]
        over_k = np.round(over_k / over_k.sum(), 9)  # shares: a tie is a tie whatever cumsum's rounding
        j = max((i for i in (before[k], after[k]) if i >= 0),
                key=lambda i: (over_k[label[i]], span(i), -first[i]))
        absorb(j, k)
        live -= 1
        label[j] = int(np.argmax(vote(first[j], last[j])))
        for i in (before[j], after[j]):  # neighbours of one label become one run
            if i >= 0 and label[i] == label[j]:
                absorb(j, i)
                live -= 1
        version[j] += 1
        heapq.heappush(queue, (span(j), first[j], j, version[j]))
    kept = sorted((i for i in range(len(runs)) if version[i] >= 0), key=lambda i: first[i])
    if len(kept) == 1:  # the whole recording, folded or not
        version[kept[0]] += 1
    for n, i in enumerate(kept):  # a run that took in a neighbour of its label is named by all of it, unless
        if version[i] > 0:        # that is a neighbour's label too (then the two would be one run)
            named = int(np.argmax(vote(first[i], last[i])))
            if named not in {label[m] for m in kept[max(n - 1, 0) : n + 2] if m != i}:
                label[i] = named
    return [(label[i], first[i], last[i], version[i] > 0) for i in kept]
