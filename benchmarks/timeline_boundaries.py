"""How close a timeline's boundaries come to where the sound really changes, with and without snapping.

``Classifier.timeline`` first puts each boundary halfway between the centres of the last window of
one segment and the first of the next (``earmark.timeline.make_timeline``), then moves it to where
the sound changes (``earmark.boundaries.snap_boundaries``). This script measures both in the same
run, on recordings whose boundaries are known: each is 3-6 pieces of 2-6 s cut from the demo set's
*test* clips (never the training clips), neighbours of different classes, transitions of every
kind balanced across the set, and in some a short background gap (0.6-1.2 s) between two instrument
pieces. A piece longer than one clip (3 s) joins two clips of its class in its middle, at least a
second from either end (out of the snapping's reach, half a window and a hop); every join and
boundary gets 5 ms fades so that no click marks it.

Figures for the snapped timeline (what ``Classifier.timeline`` returns) and the unsnapped one (the
same windows, weights and ``make_timeline``, without ``snap_boundaries``): the share of time labelled
right (as ``earmark.demo._agreement`` counts it), and for each true boundary found (a predicted
boundary between the same two labels within 1.5 s) the absolute error, overall and per kind of
transition, plus the per-boundary change snapping makes; the boundaries missed; the time each took.

The model is trained as ``earmark demo`` trains it (demo ``train/``, 30 epochs, seed 0; ~30 s on
2 cores), or read with ``--model``::

    .venv/bin/python benchmarks/timeline_boundaries.py              # --model FILE --recordings N --seed N

Results go to ``benchmarks/results/timeline_boundaries.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import HERE  # noqa: E402
from run_benchmark import environment  # noqa: E402

from earmark.audio import load_audio  # noqa: E402
from earmark.boundaries import snap_boundaries  # noqa: E402
from earmark.classifier import Classifier, _weights_from_rms  # noqa: E402
from earmark.demo import _agreement, demo_data_dir  # noqa: E402
from earmark.timeline import Timeline, make_timeline, timeline_hop  # noqa: E402
from earmark.train import train  # noqa: E402
from earmark.trainsettings import TrainSettings  # noqa: E402

CLASSES = ("background", "bass", "drums")
MATCH_S = 1.5      # a true boundary is found when a predicted one between the same labels is this close
FADE_S = 0.005     # fade at every join, so that no click marks a boundary
SMOOTH_S, MIN_SEGMENT_S = 1.0, 0.5  # Classifier.timeline's defaults
EDGE_S, QUIET_DB = 0.25, 10.0  # an instrument piece is "quiet at the edge" when its last/first 0.25 s is 10 dB down

Truth = list[tuple[float, float, str]]


# -- recordings -----------------------------------------------------------------------------
def _faded(y: np.ndarray, n_fade: int) -> np.ndarray:
    y = y.copy()
    ramp = np.linspace(0.0, 1.0, n_fade, dtype=np.float32)
    y[:n_fade] *= ramp
    y[-n_fade:] *= ramp[::-1]
    return y


def _piece(clips: list[np.ndarray], length: int, rng: np.random.Generator, n_fade: int) -> np.ndarray:
    """``length`` samples of one class: a cut of one clip, or two clips' cuts joined in the middle."""
    parts = [length] if length <= min(len(c) for c in clips) else [length // 2, length - length // 2]
    picks = rng.choice(len(clips), size=len(parts), replace=False)
    out = []
    for n, k in zip(parts, picks):
        at = int(rng.integers(0, len(clips[k]) - n + 1))
        out.append(_faded(clips[k][at : at + n], n_fade))
    return np.concatenate(out)


def _sequence(rng: np.random.Generator, n_pieces: int, counts: dict[tuple[str, str], int]) -> list[str]:
    """Labels with neighbours different, each step taking the transition seen least so far."""
    labels = [str(rng.choice(CLASSES))]
    for _ in range(n_pieces - 1):
        options = [c for c in CLASSES if c != labels[-1]]
        rng.shuffle(options)
        nxt = min(options, key=lambda c: counts[(labels[-1], c)])
        counts[(labels[-1], nxt)] += 1
        labels.append(nxt)
    return labels


def make_recordings(test_dir: Path, *, sample_rate: int, n: int, seed: int) -> list[tuple[np.ndarray, Truth]]:
    """``n`` recordings from the test clips, each with its truth as (start_s, end_s, label)."""
    rng = np.random.default_rng(seed)
    clips = {c: [load_audio(p, sample_rate=sample_rate).samples for p in sorted((test_dir / c).glob("*.ogg"))]
             for c in CLASSES}
    n_fade = int(FADE_S * sample_rate)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    recordings = []
    for _ in range(n):
        labels = _sequence(rng, int(rng.integers(3, 7)), counts)
        lengths = [float(rng.uniform(2.0, 6.0)) for _ in labels]
        # a short background gap between two instrument pieces, in about a third of the recordings
        inner = [i for i in range(1, len(labels)) if "background" not in labels[i - 1 : i + 1]]
        if inner and rng.random() < 0.4:
            i = int(rng.choice(inner))
            labels.insert(i, "background")
            lengths.insert(i, float(rng.uniform(0.6, 1.2)))
        pieces, truth, t = [], [], 0
        for label, length_s in zip(labels, lengths):
            n_samples = int(round(length_s * sample_rate))
            pieces.append(_piece(clips[label], n_samples, rng, n_fade))
            truth.append((t / sample_rate, (t + n_samples) / sample_rate, label))
            t += n_samples
        recordings.append((np.concatenate(pieces), truth))
    return recordings


# -- the two timelines ----------------------------------------------------------------------
def unsnapped_timeline(clf: Classifier, y: np.ndarray, *, sample_rate: int) -> Timeline:
    """What ``Classifier.timeline`` does before ``snap_boundaries`` (default settings)."""
    hop_s = timeline_hop(None, window_s=clf.window_s)
    probs, starts, rms = clf._scored_windows(y, sample_rate=sample_rate, hop_s=hop_s)
    weights = _weights_from_rms(rms, np.zeros(len(rms), dtype=np.intp), 1)
    return make_timeline(probs, starts, labels=clf.labels, window_s=clf.window_s,
                         duration_s=y.shape[-1] / sample_rate, hop_s=hop_s,
                         smooth_s=SMOOTH_S, min_segment_s=MIN_SEGMENT_S, weights=weights)


def snapped_timeline(clf: Classifier, y: np.ndarray, *, sample_rate: int) -> Timeline:
    return clf.timeline(y, sample_rate=sample_rate, smooth_s=SMOOTH_S, min_segment_s=MIN_SEGMENT_S)


# -- scoring --------------------------------------------------------------------------------
def _db(y: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(y, dtype=np.float64)) + 1e-12))


def true_boundaries(y: np.ndarray, truth: Truth, *, sample_rate: int) -> list[dict[str, Any]]:
    """Each boundary with its kind, whether it borders a gap, and whether an instrument side is
    quiet at the boundary (its EDGE_S next to it over QUIET_DB below its piece's level: a rest or
    a note's decayed tail, so the sound changes away from where the label does)."""
    gap = {i for i, (s, e, lab) in enumerate(truth)
           if lab == "background" and 0 < i < len(truth) - 1 and e - s < 2.0}
    edge = int(EDGE_S * sample_rate)
    out = []
    for i in range(len(truth) - 1):
        quiet = False
        for (s, e, lab), side in ((truth[i], "end"), (truth[i + 1], "start")):
            piece = y[int(round(s * sample_rate)) : int(round(e * sample_rate))]
            near = piece[-edge:] if side == "end" else piece[:edge]
            quiet |= lab != "background" and _db(near) < _db(piece) - QUIET_DB
        out.append({"t": truth[i][1], "kind": f"{truth[i][2]}->{truth[i + 1][2]}",
                    "gap": i in gap or i + 1 in gap, "quiet_edge": quiet})
    return out


def matched_errors(tl: Timeline, bounds: list[dict[str, Any]]) -> tuple[list[float | None], int]:
    """Signed error (predicted - true, s) of each true boundary, None when missed; and the count of
    predicted boundaries no true one matched."""
    segs = tl.segments
    pred = [(a.end_s, f"{a.label}->{b.label}") for a, b in zip(segs, segs[1:])]
    used: set[int] = set()
    errors: list[float | None] = []
    for b in bounds:
        near = [(abs(t - b["t"]), k) for k, (t, kind) in enumerate(pred)
                if kind == b["kind"] and abs(t - b["t"]) <= MATCH_S and k not in used]
        if not near:
            errors.append(None)
            continue
        k = min(near)[1]
        used.add(k)
        errors.append(pred[k][0] - b["t"])
    return errors, len(pred) - len(used)


def error_stats(errors: list[float | None]) -> dict[str, Any]:
    found = np.array([e for e in errors if e is not None], dtype=np.float64)
    out: dict[str, Any] = {"n": len(errors), "found": int(found.size), "missed": len(errors) - int(found.size)}
    if found.size:
        a = np.abs(found)
        out.update({"median_abs_s": float(np.median(a)), "mean_abs_s": float(a.mean()),
                    "p90_abs_s": float(np.percentile(a, 90)), "within_0.1s": float(np.mean(a <= 0.1)),
                    "within_0.25s": float(np.mean(a <= 0.25)), "median_signed_s": float(np.median(found))})
    return out


def paired_change(snap: list[float | None], plain: list[float | None]) -> dict[str, Any]:
    """Per boundary found by both: |error snapped| - |error unsnapped| (negative: snapping helped)."""
    d = np.array([abs(s) - abs(p) for s, p in zip(snap, plain) if s is not None and p is not None])
    if not d.size:
        return {"n": 0}
    return {"n": int(d.size), "mean_change_s": float(d.mean()), "median_change_s": float(np.median(d)),
            "better_by_0.1s": int(np.sum(d < -0.1)), "worse_by_0.1s": int(np.sum(d > 0.1)),
            "worst_change_s": float(d.max())}


def timed(fn: Any, repeats: int) -> tuple[Any, float]:
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return result, best


# -- main -----------------------------------------------------------------------------------
def get_model(args: argparse.Namespace) -> tuple[Classifier, dict[str, Any]]:
    if args.model:
        return Classifier.load(args.model), {"model": str(args.model)}
    t0 = time.perf_counter()
    clf = train(demo_data_dir() / "train", settings=TrainSettings(epochs=args.epochs, seed=0), progress=False)
    return clf, {"model": f"trained on demo train/ ({args.epochs} epochs, seed 0)",
                 "train_s": round(time.perf_counter() - t0, 1)}


def row(name: str, s: dict[str, Any], p: dict[str, Any]) -> str:
    def cell(d: dict[str, Any]) -> str:
        if not d.get("found"):
            return f"{'—':>7} {'—':>7} {'—':>7} {'—':>5} {'—':>5} {d['missed']:>2}/{d['n']:<3}"
        return (f"{d['median_abs_s']:7.3f} {d['mean_abs_s']:7.3f} {d['p90_abs_s']:7.3f} "
                f"{100 * d['within_0.1s']:4.0f}% {100 * d['within_0.25s']:4.0f}% {d['missed']:>2}/{d['n']:<3}")
    return f"{name:<28} {cell(s)} | {cell(p)}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, help="an .earmark model file (default: train one as `earmark demo` does)")
    ap.add_argument("--epochs", type=int, default=30, help="epochs when training (earmark demo's 30)")
    ap.add_argument("--recordings", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0, help="seed of the recordings")
    ap.add_argument("--repeats", type=int, default=3, help="timings: best of this many runs")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "timeline_boundaries.json")
    args = ap.parse_args()

    clf, model_info = get_model(args)
    sr = clf.sample_rate
    recordings = make_recordings(demo_data_dir() / "test", sample_rate=sr, n=args.recordings, seed=args.seed)
    total_s = sum(len(y) / sr for y, _ in recordings)
    print(f"{model_info['model']}; {len(recordings)} recordings, {total_s:.0f} s of audio")

    errs: dict[str, list[float | None]] = {"snapped": [], "unsnapped": []}
    right_s = {"snapped": 0.0, "unsnapped": 0.0}
    spurious = {"snapped": 0, "unsnapped": 0}
    seconds = {"snapped": 0.0, "unsnapped": 0.0, "snapping alone": 0.0}
    hop_s = timeline_hop(None, window_s=clf.window_s)
    bounds_all: list[dict[str, Any]] = []
    per_recording = []
    for y, truth in recordings:
        duration_s = len(y) / sr
        bounds = true_boundaries(y, truth, sample_rate=sr)
        bounds_all += bounds
        truth_dicts: list[dict[str, object]] = [{"start_s": s, "end_s": e, "label": lab} for s, e, lab in truth]
        entry: dict[str, Any] = {"duration_s": round(duration_s, 3),
                                 "truth": [[round(s, 3), round(e, 3), lab] for s, e, lab in truth],
                                 "quiet_edge": [b["quiet_edge"] for b in bounds]}
        for name, fn in (("snapped", snapped_timeline), ("unsnapped", unsnapped_timeline)):
            tl, took = timed(lambda fn=fn, y=y: fn(clf, y, sample_rate=sr), args.repeats)
            seconds[name] += took
            segs = [s.to_dict() for s in tl.segments]
            right_s[name] += _agreement(segs, truth_dicts, duration_s) * duration_s
            e, extra = matched_errors(tl, bounds)
            errs[name] += e
            spurious[name] += extra
            if name == "unsnapped":  # the snapping alone, on the same timeline
                _, took = timed(lambda tl=tl, y=y: snap_boundaries(tl, y, sample_rate=sr, window_s=clf.window_s,
                                                                   hop_s=hop_s), args.repeats)
                seconds["snapping alone"] += took
            entry[name] = {"segments": [[s["start_s"], s["end_s"], s["label"]] for s in segs],
                           "errors_s": [None if v is None else round(v, 3) for v in e]}
        per_recording.append(entry)

    summary: dict[str, Any] = {}
    for name in errs:
        summary[name] = {"agreement": right_s[name] / total_s, "seconds": seconds[name],
                         "spurious_boundaries": spurious[name], **error_stats(errs[name])}
    summary["time_ratio_snapped_over_unsnapped"] = seconds["snapped"] / seconds["unsnapped"]
    summary["snapping_alone_s"] = seconds["snapping alone"]
    summary["paired"] = paired_change(errs["snapped"], errs["unsnapped"])

    groups: dict[str, list[int]] = defaultdict(list)
    for i, b in enumerate(bounds_all):
        groups[b["kind"] + (" (gap)" if b["gap"] else "")].append(i)
    for i, b in enumerate(bounds_all):
        groups["instrument quiet at edge" if b["quiet_edge"] else "instrument sounding at edge"].append(i)
    # a snap that went the whole way it may ended at the edge of its search range (boundaries.snap_boundaries)
    reach = clf.window_s / 2 + max(hop_s / 2, 0.25)
    for i, (sn, un) in enumerate(zip(errs["snapped"], errs["unsnapped"])):
        if sn is not None and un is not None and abs(sn - un) > 0.02:
            groups["moved to the reach limit" if abs(sn - un) >= reach - 0.03 else "moved within reach"].append(i)
    per_kind = {}
    for key in sorted(groups, key=lambda k: (k.startswith(("instrument", "moved")), k)):
        ix = groups[key]
        s, p = [errs["snapped"][i] for i in ix], [errs["unsnapped"][i] for i in ix]
        per_kind[key] = {"snapped": error_stats(s), "unsnapped": error_stats(p), "paired": paired_change(s, p)}

    head = f"{'':<28} {'med':>7} {'mean':>7} {'p90':>7} {'≤.1s':>5} {'≤.25s':>5} {'miss':>6}"
    print(f"\nboundary error (s), snapped | unsnapped\n{head} | {head[29:]}")
    print(row("all", summary["snapped"], summary["unsnapped"]))
    for key, k in per_kind.items():
        print(row(key, k["snapped"], k["unsnapped"]))
    print("\nper boundary found by both, |err snapped| - |err unsnapped| (s):")
    for key, k in {"all": summary, **per_kind}.items():
        c = k["paired"]
        if c["n"]:
            print(f"  {key:<28} mean {c['mean_change_s']:+.3f}  median {c['median_change_s']:+.3f}  "
                  f"better by >0.1 s {c['better_by_0.1s']:>2}  worse by >0.1 s {c['worse_by_0.1s']:>2}  "
                  f"worst {c['worst_change_s']:+.3f}  (n={c['n']})")
    for name in errs:
        d = summary[name]
        print(f"{name:<10} time right {100 * d['agreement']:.1f}%  spurious boundaries {d['spurious_boundaries']}  "
              f"{d['seconds']:.2f} s ({total_s / d['seconds']:.0f}× real time)")
    print(f"time snapped / unsnapped: {summary['time_ratio_snapped_over_unsnapped']:.2f} "
          f"(snap_boundaries alone {seconds['snapping alone']:.3f} s, "
          f"{100 * seconds['snapping alone'] / seconds['unsnapped']:.1f}% of the unsnapped path)")

    result = {"environment": environment(), **model_info,
              "settings": {"recordings": args.recordings, "seed": args.seed, "audio_s": round(total_s, 1),
                           "match_s": MATCH_S, "smooth_s": SMOOTH_S, "min_segment_s": MIN_SEGMENT_S,
                           "window_s": clf.window_s, "hop_s": timeline_hop(None, window_s=clf.window_s),
                           "sample_rate": sr, "timing_repeats": args.repeats},
              "summary": summary, "per_kind": per_kind, "recordings": per_recording}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
