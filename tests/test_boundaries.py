"""Tests for earmark.boundaries: a timeline's boundaries moved to where the sound changes."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SR, bass_note, drum_hit, room_noise
from earmark.boundaries import snap_boundaries
from earmark.classifier import Classifier
from earmark.timeline import Segment, Timeline


def _timeline(edges: list[float], labels: list[str], duration_s: float) -> Timeline:
    bounds = [0.0, *edges, duration_s]
    return Timeline(segments=[Segment(a, b, label, 0.9) for a, b, label in zip(bounds, bounds[1:], labels)],
                    labels=sorted(set(labels)), times_s=np.zeros(0), probabilities=np.zeros((0, 3)),
                    duration_s=duration_s)


def _bass_line(rng: np.random.Generator, seconds: float) -> np.ndarray:
    return np.concatenate([bass_note(rng, duration_s=0.5) for _ in range(int(seconds / 0.5))])


def _drums(rng: np.random.Generator, seconds: float) -> np.ndarray:
    return np.concatenate([drum_hit(rng, duration_s=0.25) for _ in range(int(seconds / 0.25))])


def test_boundaries_move_to_where_the_sound_changes() -> None:
    """Room noise, bass from 5 s, drums from 10 s, room noise from 15 s: the windows put the first boundary
    0.6 s early (a window is named by its loud part) and the last one 0.6 s late; each moves to the change."""
    rng = np.random.default_rng(0)
    y = np.concatenate([room_noise(rng, duration_s=5), _bass_line(rng, 5), _drums(rng, 5),
                        room_noise(rng, duration_s=5)])
    off = _timeline([4.4, 10.3, 15.6], ["background", "bass", "drums", "background"], len(y) / SR)
    snapped = snap_boundaries(off, y, sample_rate=SR, window_s=1.0, hop_s=0.25)
    assert [s.start_s for s in snapped.segments[1:]] == pytest.approx([5.0, 10.0, 15.0], abs=0.03)
    assert [s.end_s for s in snapped.segments[:-1]] == [s.start_s for s in snapped.segments[1:]]
    assert [(s.label, s.confidence) for s in snapped.segments] == [(s.label, s.confidence) for s in off.segments]
    assert snapped.segments[0].start_s == 0.0 and snapped.segments[-1].end_s == off.segments[-1].end_s


def test_a_boundary_moves_no_further_than_half_a_window_and_a_hop() -> None:
    rng = np.random.default_rng(1)
    y = np.concatenate([room_noise(rng, duration_s=5), _bass_line(rng, 5)])
    far = _timeline([3.5], ["background", "bass"], len(y) / SR)  # the change (5 s) is 1.5 s away
    assert snap_boundaries(far, y, sample_rate=SR, window_s=1.0, hop_s=0.25).segments[1].start_s <= 3.5 + 0.75


def test_where_nothing_stands_out_a_boundary_stays() -> None:
    """Steady noise that slowly turns into a hum: no moment is a clear change."""
    rng = np.random.default_rng(2)
    t = np.arange(10 * SR) / SR
    fade = np.clip((t - 2) / 6, 0, 1)
    y = ((1 - fade) * 0.1 * rng.standard_normal(t.size) + fade * 0.1 * np.sin(2 * np.pi * 110 * t)).astype(np.float32)
    tl = _timeline([5.0], ["background", "bass"], 10.0)
    assert snap_boundaries(tl, y, sample_rate=SR, window_s=1.0, hop_s=0.25).segments[1].start_s == 5.0


def test_one_segment_and_short_neighbours_are_left_alone() -> None:
    rng = np.random.default_rng(3)
    y = np.concatenate([room_noise(rng, duration_s=2), _bass_line(rng, 2)])
    one = _timeline([], ["bass"], len(y) / SR)
    assert snap_boundaries(one, y, sample_rate=SR, window_s=1.0, hop_s=0.25) is one
    tiny = _timeline([0.3, 0.6], ["background", "bass", "background"], len(y) / SR)  # too short to look inside
    snapped = snap_boundaries(tiny, y, sample_rate=SR, window_s=1.0, hop_s=0.25)
    assert all(a.end_s <= b.start_s + 1e-9 for a, b in zip(snapped.segments, snapped.segments[1:]))
    assert all(s.end_s > s.start_s for s in snapped.segments), "no boundary crosses its neighbour"


def test_a_timeline_starts_the_bass_where_it_comes_in(trained_classifier: Classifier) -> None:
    """Classifier.timeline snaps: bass after room noise began up to 0.6 s early (user review)."""
    rng = np.random.default_rng(4)
    y = np.concatenate([room_noise(rng, duration_s=5), _bass_line(rng, 5)])
    tl = trained_classifier.timeline(y, sample_rate=SR)
    changes = [s.start_s for s in tl.segments[1:]]
    assert [s.label for s in tl.segments] == ["background", "bass"], tl.segments
    assert changes == pytest.approx([5.0], abs=0.05)


@pytest.mark.parametrize("sample_rate", [SR, 96000])
@pytest.mark.parametrize("change_s", [5.32, 5.47, 5.61])
def test_two_boundaries_near_one_change_never_cross(sample_rate: int, change_s: float) -> None:
    """Room noise, then bass from ``change_s``, with a one-second segment of drums put over the change:
    both of its boundaries could move to the bass's entry, and the drums came out 5.347 → 5.337 s (review)."""
    rng = np.random.default_rng(5)
    noise = room_noise(rng, duration_s=change_s, sample_rate=sample_rate)
    y = np.concatenate([noise, _bass_line(rng, 5)]) if sample_rate == SR else np.concatenate(
        [noise, np.concatenate([bass_note(rng, sample_rate=sample_rate, duration_s=0.5) for _ in range(10)])])
    tl = _timeline([5.0, 6.0], ["background", "drums", "bass"], len(y) / sample_rate)
    for min_segment_s in (0.5, 0.0):
        snapped = snap_boundaries(tl, y, sample_rate=sample_rate, window_s=1.0, hop_s=0.25,
                                  min_segment_s=min_segment_s)
        lengths = [s.end_s - s.start_s for s in snapped.segments]
        assert min(lengths) >= min(0.5, max(min_segment_s, 0.05)) - 1e-9, snapped.segments
        assert [s.end_s for s in snapped.segments[:-1]] == [s.start_s for s in snapped.segments[1:]]


def test_stereo_samples_are_refused_with_what_to_do() -> None:
    from earmark.errors import ParameterError

    tl = _timeline([1.0], ["background", "bass"], 2.0)
    with pytest.raises(ParameterError, match=r"mono samples, shape \(samples,\), got \(2, 44100\); mix"):
        snap_boundaries(tl, np.zeros((2, 2 * SR), np.float32), sample_rate=SR, window_s=1.0, hop_s=0.25)
