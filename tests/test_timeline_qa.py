"""Timeline cases a QA pass found wrong: drums ending in quiet ended late, a timeline folded into one
segment named another label than predict, and a long hop let the boundary move wreck a right boundary."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SR, bass_note, drum_hit, room_noise
from earmark.boundaries import snap_boundaries
from earmark.classifier import Classifier
from earmark.timeline import Segment, Timeline, make_timeline

LABELS = ["background", "bass", "drums"]
BASS, DRUMS, QUIET = [0.01, 0.98, 0.01], [0.02, 0.01, 0.97], [0.97, 0.01, 0.02]


def _drums(rng: np.random.Generator, seconds: float) -> np.ndarray:
    return np.concatenate([drum_hit(rng, duration_s=0.25) for _ in range(int(round(seconds / 0.25)))])


def _bass(rng: np.random.Generator, seconds: float) -> np.ndarray:
    return np.concatenate([bass_note(rng, duration_s=0.5) for _ in range(int(round(seconds / 0.5)))])


def test_drums_ending_in_quiet_end_where_their_windows_do() -> None:
    """3 s bass, 3 s drums, 3 s quiet; 1 s windows every 0.25 s, smoothed over 1 s, each counted by its
    loudness: the loud drum windows were carried two windows into the quiet, so the drums ended at
    6.875 s, beyond the boundary move's reach (QA: 6.874, truth 6.0). They now end where their own
    windows do: between the last window holding drums (5.75-6.75 s) and the first that does not. (Bass and
    drums, alike in loudness, keep the smoothed change.)"""
    starts = np.arange(33) * 0.25
    held = [BASS if a + 1 <= 3.0 else DRUMS if a < 6.0 else QUIET for a in starts]
    weights = [0.9 if p is BASS else 0.45 if p is DRUMS else 0.05 for p in held]
    tl = make_timeline(np.array(held), starts, labels=LABELS, window_s=1.0, hop_s=0.25, duration_s=9.0,
                       smooth_s=1.0, min_segment_s=0.5, weights=np.array(weights))
    assert [s.label for s in tl.segments] == ["bass", "drums", "background"]
    assert tl.segments[1].end_s == 6.375  # (6.25 + 6.5) / 2; the move then finds the change at 6.0


def test_a_timeline_folded_into_one_segment_reads_its_windows_as_predict_does() -> None:
    """Windows every 0.25 s; predict's are every 0.5 s (the even ones here, and the last). The odd
    windows say drums, the even ones mostly bass: over all windows drums wins, over predict's bass."""
    held = np.array([[0.05, 0.55, 0.40] if k % 2 == 0 else [0.05, 0.05, 0.90] for k in range(9)])
    loudness = np.full(9, 0.1)
    loudness[1] = 0.4  # not one of predict's windows: its loudness is not what predict's are relative to
    kwargs = {"labels": LABELS, "window_s": 1.0, "hop_s": 0.25, "duration_s": 3.0, "smooth_s": 1.0,
              "min_segment_s": 3600.0, "weights": np.clip(loudness / 0.4, 0.05, 1.0), "loudness": loudness}
    (one,) = make_timeline(held, np.arange(9) * 0.25, predict_hop_s=0.5, **kwargs).segments
    assert (one.start_s, one.end_s, one.label) == (0.0, 3.0, "bass")
    assert one.confidence == pytest.approx(0.55)
    (every,) = make_timeline(held, np.arange(9) * 0.25, **kwargs).segments  # by default: every window
    assert every.label == "drums"


def test_a_recording_folded_into_one_segment_is_named_as_predict_names_it(trained_classifier: Classifier) -> None:
    """Mixes of bass, drums and room tone (QA: 3 of 80 folded mixes named another label than predict)."""
    for seed in range(4):
        rng = np.random.default_rng(seed)
        y = (rng.uniform(0.2, 1.0) * _bass(rng, 4.5)[: int(4.3 * SR)]
             + rng.uniform(0.05, 0.6) * _drums(rng, 4.5)[: int(4.3 * SR)]
             + room_noise(rng, duration_s=4.3)[: int(4.3 * SR)])
        said = trained_classifier.predict(y, sample_rate=SR)
        (one,) = trained_classifier.timeline(y, sample_rate=SR, min_segment_s=3600).segments
        assert one.label == said.label, (seed, said.probabilities)
        assert one.confidence == pytest.approx(said.probabilities[said.label], abs=0.01)


def test_a_long_hop_does_not_move_a_right_boundary_to_a_drum_hit() -> None:
    """Bass, then drums with a hit that dies into silence 1.4 s before they end (a roll after it), then
    quiet: with 1 s windows every 1 s the windows put the drums' end right (6 s), and the move searched
    1.5 s either side, to the fall into that silence or the hit after it (QA: 4.873). It searches only
    about where the windows leave the change: half a window and half a hop (1 s) either side."""
    rng = np.random.default_rng(0)
    roll = np.concatenate([drum_hit(rng, duration_s=0.125) for _ in range(9)])
    drums = np.concatenate([_drums(rng, 1.5), drum_hit(rng, duration_s=0.1), np.zeros(int(0.3 * SR), np.float32),
                            roll])[: 3 * SR]
    y = np.concatenate([_bass(rng, 3.0), drums, 0.05 * room_noise(rng, duration_s=3.0)])
    segments = [Segment(0.0, 3.0, "bass", 0.9), Segment(3.0, 6.0, "drums", 0.9),
                Segment(6.0, len(y) / SR, "background", 0.9)]
    tl = Timeline(segments=segments, labels=LABELS, times_s=np.zeros(0), probabilities=np.zeros((0, 3)),
                  duration_s=len(y) / SR)
    snapped = snap_boundaries(tl, y, sample_rate=SR, window_s=1.0, hop_s=1.0)
    assert [s.start_s for s in snapped.segments[1:]] == pytest.approx([3.0, 6.0], abs=0.03)
