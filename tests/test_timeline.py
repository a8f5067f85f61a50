"""Tests for earmark.timeline.make_timeline on hand-made window probabilities.

Windows are 1 s long every 0.5 s, so window k starts at 0.5 k, is centred at 0.5 k + 0.5, and
segment boundaries fall halfway between centres: 0.75, 1.25, 1.75, ... (0 and the duration at the ends).
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from earmark.errors import ParameterError
from earmark.timeline import Segment, Timeline, check_timeline_settings, make_timeline, timeline_hop

LABELS = ["background", "bass", "drums"]
ONE_HOT = {"background": [0.9, 0.05, 0.05], "bass": [0.1, 0.8, 0.1], "drums": [0.05, 0.15, 0.8]}


def windows(*labels: str) -> tuple[np.ndarray, np.ndarray]:
    probs = np.array([ONE_HOT[lab] for lab in labels])
    return probs, np.arange(len(labels)) * 0.5


def timeline(*labels: str, smooth_s: float = 0.0, min_segment_s: float = 0.0,
             label_names: list[str] = LABELS) -> Timeline:
    probs, starts = windows(*labels)
    return make_timeline(probs, starts, labels=label_names, window_s=1.0, hop_s=0.5,
                         duration_s=0.5 * len(labels) + 0.5, smooth_s=smooth_s, min_segment_s=min_segment_s)


def spans(tl: Timeline) -> list[tuple[float, float, str]]:
    return [(s.start_s, s.end_s, s.label) for s in tl.segments]


def test_runs_of_one_label_become_segments_with_boundaries_between_centres() -> None:
    tl = timeline("background", "background", "bass", "bass", "bass", "drums", "drums")
    # centres 0.5 .. 3.5; the change bass→drums is between windows 4 and 5: (2.5 + 3.0) / 2
    assert spans(tl) == [(0.0, 1.25, "background"), (1.25, 2.75, "bass"), (2.75, 4.0, "drums")]
    assert [s.confidence for s in tl.segments] == pytest.approx([0.9, 0.8, 0.8])
    np.testing.assert_allclose(tl.times_s, 0.5 + 0.5 * np.arange(7))
    assert tl.duration_s == 4.0


def test_one_label_throughout_is_one_segment_over_the_whole_recording() -> None:
    assert spans(timeline("bass", "bass", "bass")) == [(0.0, 2.0, "bass")]


def test_a_single_window_spans_the_recording() -> None:
    assert spans(timeline("drums")) == [(0.0, 1.0, "drums")]


def test_smoothing_averages_probabilities_over_smooth_s() -> None:
    """One bass window among background: unsmoothed it is a segment; averaged over three windows
    (1.5 s / 0.5 s) its background probability is (0.1 + 0.9 + 0.9) / 3 = 0.63 > bass 0.3."""
    labels = ("background",) * 3 + ("bass",) + ("background",) * 3
    assert [s.label for s in timeline(*labels).segments] == ["background", "bass", "background"]
    smoothed = timeline(*labels, smooth_s=1.5)
    assert spans(smoothed) == [(0.0, 4.0, "background")]
    assert smoothed.probabilities[3] == pytest.approx([(0.1 + 0.9 + 0.9) / 3, (0.8 + 0.05 + 0.05) / 3,
                                                       (0.1 + 0.05 + 0.05) / 3])
    # the timeline keeps the smoothed probabilities, one row per window
    assert smoothed.probabilities.shape == (7, 3)


def test_smoothing_shorter_than_a_hop_changes_nothing() -> None:
    probs, starts = windows("bass", "drums", "bass")
    tl = make_timeline(probs, starts, labels=LABELS, window_s=1.0, hop_s=0.5, duration_s=2.0, smooth_s=0.2,
                       min_segment_s=0.0)
    np.testing.assert_allclose(tl.probabilities, probs, atol=1e-12)


def test_short_segments_fold_into_the_previous_one() -> None:
    """The lone drums window spans 1.75-2.25 s (0.5 s): shorter than min_segment_s=1 s, it joins
    the bass before it; the two bass runs then merge into one."""
    labels = ("bass",) * 4 + ("drums",) + ("bass",) * 3
    assert len(timeline(*labels, min_segment_s=0.4).segments) == 3  # 0.5 s is long enough here
    tl = timeline(*labels, min_segment_s=1.0)
    assert spans(tl) == [(0.0, 4.5, "bass")]
    # its confidence is the mean bass probability over all eight windows, the folded one included
    assert tl.segments[0].confidence == pytest.approx((7 * 0.8 + 0.15) / 8)


def test_a_short_first_segment_folds_into_the_next() -> None:
    tl = timeline("drums", "bass", "bass", "bass", "bass", min_segment_s=1.0)  # drums: 0-0.75 s
    assert spans(tl) == [(0.0, 3.0, "bass")]


def test_a_short_segment_joins_the_neighbour_its_windows_find_likelier() -> None:
    """The lone drums window (1.75-2.25 s) finds bass likelier (0.15) than background (0.05): it
    joins the bass after it, though the background before it is longer."""
    tl = timeline("background", "background", "background", "drums", "bass", "bass", min_segment_s=0.75)
    assert spans(tl) == [(0.0, 1.75, "background"), (1.75, 3.5, "bass")]


@pytest.mark.parametrize(("n_before", "n_after", "expected"), [
    (3, 2, [(0.0, 2.25, "background"), (2.25, 3.5, "bass")]),    # the background is longer
    (2, 3, [(0.0, 1.25, "background"), (1.25, 3.5, "bass")]),    # the bass is longer
    (3, 3, [(0.0, 2.25, "background"), (2.25, 4.0, "bass")])])   # as long: the earlier
def test_a_short_segment_as_likely_to_be_either_neighbour_joins_the_longer_or_the_earlier(
        n_before: int, n_after: int, expected: list[tuple[float, float, str]]) -> None:
    blip = [0.1, 0.1, 0.8]  # drums, and as likely background as bass
    probs = np.array([ONE_HOT["background"]] * n_before + [blip] + [ONE_HOT["bass"]] * n_after)
    n = len(probs)
    tl = make_timeline(probs, np.arange(n) * 0.5, labels=LABELS, window_s=1.0, hop_s=0.5, duration_s=0.5 * n + 0.5,
                       smooth_s=0.0, min_segment_s=0.75)
    assert spans(tl) == expected


def test_long_segments_are_kept_whatever_their_neighbours() -> None:
    tl = timeline(*("bass",) * 3, *("drums",) * 3, min_segment_s=1.0)
    assert spans(tl) == [(0.0, 1.75, "bass"), (1.75, 3.5, "drums")]


def test_everything_too_short_ends_as_one_segment() -> None:
    tl = timeline("bass", "drums", "bass", "drums", min_segment_s=10.0)
    assert len(tl.segments) == 1
    assert (tl.segments[0].start_s, tl.segments[0].end_s) == (0.0, 2.5)


def test_a_shortest_segment_longer_than_the_recording_keeps_its_main_sound() -> None:
    # Folding each short run into the next once named the whole recording after its last second.
    tl = timeline("bass", *("drums",) * 8, "background", "background", min_segment_s=60.0)
    assert spans(tl) == [(0.0, 6.0, "drums")]
    tl = timeline("background", *("bass",) * 5, "drums", *("bass",) * 2, "drums", "drums", min_segment_s=60.0)
    assert spans(tl) == [(0.0, 6.0, "bass")]


def test_segments_tile_the_recording() -> None:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), size=40)
    tl = make_timeline(probs, np.arange(40) * 0.25, labels=LABELS, window_s=1.0, hop_s=0.25, duration_s=10.75,
                       smooth_s=0.75, min_segment_s=0.5)
    assert tl.segments[0].start_s == 0.0 and tl.segments[-1].end_s == 10.75
    assert all(a.end_s == b.start_s and a.label != b.label for a, b in zip(tl.segments, tl.segments[1:]))
    assert all(s.end_s - s.start_s >= 0.5 for s in tl.segments)


DOUBTFUL_DRUMS = [0.05, 0.45, 0.5]  # drums, but nearly bass
SURE_BASS = [0.05, 0.9, 0.05]


def test_short_bass_between_doubtful_drums_is_not_swallowed_by_the_drums() -> None:
    """A user's recording that predict called bass came out drums from end to end: each short bass
    run (0.5 s) folded into the longer drums run beside it, which grew and swallowed the next.
    The bass holds more of the recording's probability (6.3 against 4.15 over 11 windows), so the
    folded timeline must not name most of it drums."""
    probs = np.array([DOUBTFUL_DRUMS] * 2 + ([SURE_BASS] + [DOUBTFUL_DRUMS] * 2) * 3)
    mass = probs.sum(axis=0)
    assert mass[1] > mass[2] and probs.argmax(axis=1).tolist().count(2) == 8  # bass by mass, drums by windows
    kwargs = {"labels": LABELS, "window_s": 1.0, "hop_s": 0.5, "duration_s": 6.0, "smooth_s": 0.0}
    assert [s.label for s in make_timeline(probs, np.arange(11) * 0.5, min_segment_s=0.0, **kwargs).segments] == [
        "drums", "bass"] * 3 + ["drums"]
    tl = make_timeline(probs, np.arange(11) * 0.5, min_segment_s=1.5, **kwargs)
    assert spans(tl) == [(0.0, 6.0, "bass")]
    assert tl.segments[0].confidence == pytest.approx(mass[1] / 11)
    # sure drums after it are drums still: the folding names each stretch by what its windows say
    probs = np.concatenate([probs, [ONE_HOT["drums"]] * 8])
    tl = make_timeline(probs, np.arange(19) * 0.5, min_segment_s=1.5, **{**kwargs, "duration_s": 10.0})
    assert spans(tl) == [(0.0, 3.25, "bass"), (3.25, 10.0, "drums")]


@pytest.mark.parametrize("min_segment_s", [0.5, 1.0, 2.0, 5.0, 60.0])
@pytest.mark.parametrize("seed", range(5))
def test_every_folded_segment_is_named_by_the_label_most_likely_over_it(min_segment_s: float, seed: int) -> None:
    """No fold hands windows to a label they, together, find less likely than another; a recording
    folded into one segment is named by the label with the most probability over all of it."""
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(3, 0.5), size=80)
    tl = make_timeline(probs, np.arange(80) * 0.25, labels=LABELS, window_s=1.0, hop_s=0.25, duration_s=20.75,
                       smooth_s=0.0, min_segment_s=min_segment_s)
    assert tl.segments[0].start_s == 0.0 and tl.segments[-1].end_s == 20.75
    assert all(a.end_s == b.start_s and a.label != b.label for a, b in zip(tl.segments, tl.segments[1:]))
    assert all(s.end_s - s.start_s >= min_segment_s for s in tl.segments) or len(tl.segments) == 1
    for s in tl.segments:
        inside = probs[(tl.times_s > s.start_s) & (tl.times_s < s.end_s)].mean(axis=0)
        assert s.label == LABELS[int(inside.argmax())]
        assert s.confidence == pytest.approx(inside.max())
    if min_segment_s == 60.0:
        assert [s.label for s in tl.segments] == [LABELS[int(probs.sum(axis=0).argmax())]]


def drum_section_with_quiet_gaps() -> tuple[np.ndarray, np.ndarray]:
    """4 s of quiet room tone, then 6.5 s of drums whose every hit (a loud drums window) but the
    last is followed by two quiet windows that sound like room tone, then 4 s of loud bass:
    probabilities and the loudness weights :meth:`~earmark.classifier.Classifier.timeline` passes
    (1 loud, 0.05 quiet, as :func:`~earmark.classifier.window_weights` floors them)."""
    labels = ["background"] * 8 + ["drums", "background", "background"] * 4 + ["drums"] + ["bass"] * 8
    weights = [0.05] * 8 + [1.0, 0.05, 0.05] * 4 + [1.0] + [1.0] * 8
    return np.array([ONE_HOT[lab] for lab in labels]), np.array(weights)


def test_quiet_windows_between_loud_drum_hits_do_not_outvote_the_hits() -> None:
    """Two of every three windows of the drums sound like room tone: by the plain mean the section
    is background; weighted by loudness, as predict weighs a clip's windows, it is drums, from its
    first hit (window 8, 4-5 s) to its last (window 20, 10-11 s)."""
    probs, weights = drum_section_with_quiet_gaps()
    kwargs = {"labels": LABELS, "window_s": 1.0, "hop_s": 0.5, "duration_s": 15.0, "smooth_s": 1.0,
              "min_segment_s": 2.0}
    plain = make_timeline(probs, np.arange(29) * 0.5, **kwargs)
    assert spans(plain) == [(0.0, 10.75, "background"), (10.75, 15.0, "bass")]
    tl = make_timeline(probs, np.arange(29) * 0.5, weights=weights, **kwargs)
    assert spans(tl) == [(0.0, 4.25, "background"), (4.25, 10.75, "drums"), (10.75, 15.0, "bass")]
    drums = tl.segments[1]  # folded from runs of hits and gaps: its confidence is predict's over its windows
    assert drums.confidence == pytest.approx(np.average(probs[8:21, 2], weights=weights[8:21]))


def test_a_timeline_folded_into_one_segment_is_named_by_the_weighted_mean() -> None:
    """What predict does with a clip: the label with the most probability, each window counted by its weight."""
    probs, weights = drum_section_with_quiet_gaps()
    probs, weights = probs[:21], weights[:21]  # the room tone and the drums
    kwargs = {"labels": LABELS, "window_s": 1.0, "hop_s": 0.5, "duration_s": 11.0, "smooth_s": 0.0,
              "min_segment_s": 60.0}
    assert spans(make_timeline(probs, np.arange(21) * 0.5, **kwargs)) == [(0.0, 11.0, "background")]
    tl = make_timeline(probs, np.arange(21) * 0.5, weights=weights, **kwargs)
    assert spans(tl) == [(0.0, 11.0, "drums")]
    assert tl.segments[0].confidence == pytest.approx(np.average(probs[:, 2], weights=weights))


def test_equal_weights_change_nothing() -> None:
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(3), size=40)
    kwargs = {"labels": LABELS, "window_s": 1.0, "hop_s": 0.25, "duration_s": 10.75, "smooth_s": 0.75,
              "min_segment_s": 0.5}
    plain = make_timeline(probs, np.arange(40) * 0.25, **kwargs)
    for weights in (np.ones(40), np.full(40, 0.3)):
        tl = make_timeline(probs, np.arange(40) * 0.25, weights=weights, **kwargs)
        assert spans(tl) == spans(plain)
        assert [s.confidence for s in tl.segments] == pytest.approx([s.confidence for s in plain.segments])
        np.testing.assert_allclose(tl.probabilities, plain.probabilities)


# -- output shapes --------------------------------------------------------------------------------


def test_json_shape() -> None:
    tl = timeline("background", "background", "bass", "bass")
    d = tl.to_dict()
    assert d == {"duration_s": 2.5, "labels": LABELS, "segments": [
        {"start_s": 0.0, "end_s": 1.25, "label": "background", "confidence": 0.9},
        {"start_s": 1.25, "end_s": 2.5, "label": "bass", "confidence": 0.8}]}
    assert json.loads(json.dumps(d)) == d


def test_csv_shape() -> None:
    tl = timeline("background", "background", "bass", "bass")
    assert tl.to_csv() == ("start_s,end_s,label,confidence\n"
                           "0.000,1.250,background,0.9000\n"
                           "1.250,2.500,bass,0.8000\n")


def test_csv_quotes_labels_that_hold_commas() -> None:
    probs, starts = windows("background", "bass")
    tl = make_timeline(probs, starts, labels=["room", 'bass, "electric"', "drums"], window_s=1.0, hop_s=0.5,
                       duration_s=1.5, smooth_s=0.0, min_segment_s=0.0)
    rows = list(csv.reader(io.StringIO(tl.to_csv())))
    assert rows == [["start_s", "end_s", "label", "confidence"], ["0.000", "0.750", "room", "0.9000"],
                    ["0.750", "1.500", 'bass, "electric"', "0.8000"]]


def test_segment_to_dict_rounds() -> None:
    assert Segment(1.23456, 2.0, "bass", 0.987654).to_dict() == {"start_s": 1.235, "end_s": 2.0, "label": "bass",
                                                                  "confidence": 0.9877}


# -- bad input ------------------------------------------------------------------------------------


def test_probabilities_must_match_the_labels_and_starts() -> None:
    probs, starts = windows("bass", "drums")
    with pytest.raises(ParameterError, match=r"need probs of shape \(n_windows, 2\) .* got \(2, 3\) and \(2,\)"):
        make_timeline(probs, starts, labels=["a", "b"], window_s=1.0, hop_s=0.5, duration_s=1.5, smooth_s=0.0,
                      min_segment_s=0.0)
    with pytest.raises(ParameterError, match=r"got \(2, 3\) and \(3,\)"):
        make_timeline(probs, np.arange(3.0), labels=LABELS, window_s=1.0, hop_s=0.5, duration_s=1.5,
                      smooth_s=0.0, min_segment_s=0.0)


@pytest.mark.parametrize("weights", [np.ones(3), np.array([1.0, 0.0]), np.array([1.0, -1.0]),
                                     np.array([1.0, np.nan]), np.ones((2, 1))])
def test_weights_must_be_one_positive_number_per_window(weights: np.ndarray) -> None:
    probs, starts = windows("bass", "drums")
    with pytest.raises(ParameterError, match=r"need weights of shape \(n_windows,\) = \(2,\), positive and finite"):
        make_timeline(probs, starts, labels=LABELS, window_s=1.0, hop_s=0.5, duration_s=1.5, smooth_s=0.0,
                      min_segment_s=0.0, weights=weights)


@pytest.mark.parametrize("hop_s", [0.0, -0.25, float("nan"), float("inf"), 0.001, "0.25", None])
def test_hop_must_be_a_sensible_fraction_of_the_window(hop_s: float) -> None:
    probs, starts = windows("bass", "drums")
    with pytest.raises(ParameterError, match=r"^the hop must be between 0\.01 s and the model's window \(1\.0 s\): "
                                             r"give --hop-s \(hop_s from Python\) from 0\.01 to 1\.0, got "):
        make_timeline(probs, starts, labels=LABELS, window_s=1.0, hop_s=hop_s, duration_s=1.5, smooth_s=1.0,
                      min_segment_s=0.0)


def test_the_default_hop_fits_a_short_window() -> None:
    assert timeline_hop(None, window_s=1.0) == 0.25
    assert timeline_hop(None, window_s=0.2) == 0.2  # training allows 0.2 s windows
    assert timeline_hop(0.5, window_s=1.0) == 0.5


def test_a_hop_longer_than_the_window_is_refused_for_the_audio_it_would_skip() -> None:
    with pytest.raises(ParameterError, match=r"got 10\.0; a longer one would leave audio between windows unheard"):
        check_timeline_settings(window_s=1.0, hop_s=10.0, smooth_s=1.0, min_segment_s=0.5)
    check_timeline_settings(window_s=1.0, hop_s=1.0, smooth_s=0.0, min_segment_s=0.0)  # the edges are allowed


@pytest.mark.parametrize(("field", "option"), [("smooth_s", "--smooth-s"), ("min_segment_s", "--min-segment-s")])
@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf"), 1e300, "1", None, True])
def test_spans_must_be_between_zero_and_an_hour(field: str, option: str, value: float) -> None:
    """The message names the argument as Python callers give it; the hint the ``earmark`` command
    adds names its option."""
    settings = {"window_s": 1.0, "hop_s": 0.25, "smooth_s": 1.0, "min_segment_s": 0.5, field: value}
    with pytest.raises(ParameterError, match=rf"must be between 0 and 3600 seconds, got .* for {field}$") as info:
        check_timeline_settings(**settings)
    assert info.value.cli_hint == f"give {option} from 0 to 3600"
