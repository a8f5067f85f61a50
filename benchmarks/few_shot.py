"""How much do a few of the user's own clips help? earmark trained on ``train/`` plus k clips per test source.

The studio lets a user add a tried file (or part of it) to a class: a few examples recorded in
their own conditions. This script measures what that buys on the cross-domain benchmark. For each
k in ``--ks`` (0 2 5 10) and each seed, it draws k clips at random (seeded) from every sub-source of
``test/`` (``background:lincity_amb``, ``bass:lmms_bass_seq``, …; at most half of a sub-source, so
that half of it is always left to score: ``freepats_fx`` and ``lmms_crowd`` hold 10 clips, so k=10
draws 5 of them), copies ``train/`` to a temporary folder with the drawn clips added under their
true class as files of their own (each its own recording, as a user's folder holds them), trains
earmark there with its defaults (``TrainSettings(seed=seed)``) and scores:

* **test/, not drawn**: the test clips that were not added (an added clip is never scored);
* **test/, the same clips at k=0**: the k=0 model of that seed on exactly those clips, so the gain
  is not a change of what is counted;
* **dev/**: all of it; none of its sources was added, so it asks whether a few clips of *some*
  recorded sources help on *others* too, or only on the sources added;
* **indomain_test/**: the clean one-shots ``train/`` is made like (does adding recordings cost there?).

Draws are nested (one seeded shuffle per sub-source and seed; k takes its first k), so the clips
added at k=2 are among those added at k=5. k=0 is trained in the same run as the baseline. Each
figure is worst / mean / best over the seeds; per sub-source, the mean over seeds. Results:
``results/few_shot.{md,json}``.

    .venv/bin/python benchmarks/few_shot.py      # k 0 2 5 10, seeds 0 1 2: 12 trainings, ~15 min on 2 cores
    .venv/bin/python benchmarks/few_shot.py --seeds 0 --ks 0 5
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import Item, check_splits, list_split, load_mono, probe_parser  # noqa: E402
from run_benchmark import environment  # noqa: E402

import earmark  # noqa: E402
from earmark.classifier import Classifier  # noqa: E402

SCORED = ("dev", "indomain_test")  # scored whole; test/ is scored on the clips not drawn


def source_key(it: Item) -> str:
    return f"{it.label}:{it.source}"


def draw_order(items: list[Item], seed: int) -> dict[str, list[Item]]:
    """One seeded shuffle of each test sub-source; k clips are the first k (nested draws)."""
    groups: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        groups[source_key(it)].append(it)
    out = {}
    for key, members in sorted(groups.items()):
        rng = random.Random(seed * 1_000_003 + zlib.crc32(key.encode()))
        out[key] = rng.sample(members, len(members))
    return out


def drawn(order: dict[str, list[Item]], k: int) -> list[Item]:
    """k clips of each sub-source, at most half of it (so half is always left to score)."""
    return [it for members in order.values() for it in members[: min(k, len(members) // 2)]]


def train_with(train_dir: Path, added: list[Item], seed: int) -> tuple[Classifier, float]:
    """Train earmark (defaults, this seed) on a temporary copy of ``train/`` with ``added`` in it."""
    with tempfile.TemporaryDirectory(prefix="earmark_few_shot_") as tmp:
        folder = Path(tmp) / "train"
        shutil.copytree(train_dir, folder)
        for it in added:
            target = folder / it.label / it.path.name
            if target.exists():
                raise SystemExit(f"{target.name} is in train/ already; the added clips' names must be new")
            shutil.copy2(it.path, target)
        start = time.time()
        clf = earmark.train(folder, settings=earmark.TrainSettings(seed=seed), progress=False)
        return clf, time.time() - start


class Audio:
    """Every scored split's clips, decoded once per sample rate."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.items = {s: list_split(data / s) for s in ("test", *SCORED)}
        self._clips: dict[tuple[str, int], list[np.ndarray]] = {}

    def clips(self, split: str, sample_rate: int) -> list[np.ndarray]:
        if (split, sample_rate) not in self._clips:
            self._clips[split, sample_rate] = [load_mono(it.path, sample_rate) for it in self.items[split]]
        return self._clips[split, sample_rate]

    def correct(self, clf: Classifier, split: str) -> np.ndarray:
        """Per clip of ``split``: is earmark's label (its pooled window probabilities) the true one?"""
        probs = clf.predict_clips(self.clips(split, clf.sample_rate))
        pred = [clf.labels[i] for i in probs.argmax(axis=1)]
        return np.array([p == it.label for p, it in zip(pred, self.items[split], strict=True)])


def per_source(items: list[Item], correct: np.ndarray, keep: np.ndarray) -> dict[str, float]:
    groups: dict[str, list[bool]] = defaultdict(list)
    for it, ok, kept in zip(items, correct, keep, strict=True):
        if kept:
            groups[source_key(it)].append(bool(ok))
    return {key: 100 * float(np.mean(v)) for key, v in sorted(groups.items())}


def run(data: Path, seeds: list[int], ks: list[int]) -> list[dict[str, Any]]:
    audio = Audio(data)
    test_items = audio.items["test"]
    runs: list[dict[str, Any]] = []
    for seed in seeds:
        order = draw_order(test_items, seed)
        baseline: np.ndarray | None = None  # this seed's k=0 model, right or wrong per test clip
        for k in sorted(ks):
            added = drawn(order, k)
            names = {it.path for it in added}
            clf, seconds = train_with(data / "train", added, seed)
            ok = audio.correct(clf, "test")
            keep = np.array([it.path not in names for it in test_items])
            if k == 0:
                baseline = ok
            row: dict[str, Any] = {
                "seed": seed, "k": k, "added": len(added), "train_s": round(seconds, 1),
                "added_per_class": {c: sum(it.label == c for it in added) for c in ("background", "bass", "drums")},
                "test_scored": int(keep.sum()),
                "test": 100 * float(ok[keep].mean()),
                "test_k0_same_clips": None if baseline is None else 100 * float(baseline[keep].mean()),
                "test_per_source": per_source(test_items, ok, keep),
                "test_per_source_k0_same_clips": None if baseline is None else per_source(test_items, baseline, keep),
                "added_files": sorted(it.rel for it in added),
            }
            for split in SCORED:
                right = audio.correct(clf, split)
                row[split] = 100 * float(right.mean())
                if split == "dev":
                    row["dev_per_source"] = per_source(audio.items[split], right, np.ones_like(right))
            runs.append(row)
            print(f"seed {seed} k {k:>2}: +{len(added)} clips, trained in {seconds:.0f} s; test (not drawn, "
                  f"{row['test_scored']}) {row['test']:.1f} %, dev {row['dev']:.1f} %, "
                  f"in-domain {row['indomain_test']:.1f} %", flush=True)
    return runs


def _spread(values: list[float]) -> str:
    return " / ".join(f"{f(values):.1f}" for f in (min, np.mean, max)) + " %"


def summary(runs: list[dict[str, Any]], ks: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {"by_k": {}, "test_per_source_mean": {}, "dev_per_source_mean": {}}
    for k in sorted(ks):
        rows = [r for r in runs if r["k"] == k]
        fig = {key: [r[key] for r in rows] for key in ("test", "test_k0_same_clips", "dev", "indomain_test")}
        out["by_k"][k] = {key: {"worst": min(v), "mean": float(np.mean(v)), "best": max(v)}
                          for key, v in fig.items() if None not in v}
        out["by_k"][k]["added"] = rows[0]["added"]
        out["by_k"][k]["test_scored"] = rows[0]["test_scored"]
        for field, target in (("test_per_source", "test_per_source_mean"), ("dev_per_source", "dev_per_source_mean")):
            for src in rows[0][field]:
                target_row = out[target].setdefault(src, {})
                target_row[f"k{k}"] = float(np.mean([r[field][src] for r in rows]))
        if k:
            for src in rows[0]["test_per_source_k0_same_clips"]:
                out["test_per_source_mean"][src][f"k0_on_k{k}_clips"] = float(
                    np.mean([r["test_per_source_k0_same_clips"][src] for r in rows]))
    return out


def markdown(runs: list[dict[str, Any]], summ: dict[str, Any], seeds: list[int], ks: list[int],
             env: dict[str, Any]) -> str:
    lines = ["# A few of the user's own clips: earmark trained on train/ + k clips per test sub-source", "",
             f"{env.get('date', '')} · commit {env.get('git_commit', '?')} · {env.get('cpu_count', '?')} cores · "
             f"seeds {seeds} · worst / mean / best seed · earmark's default training settings", "",
             "k clips drawn at random from each of `test/`'s 14 sub-sources (at most half of one: the two "
             "10-clip sources give 5 at k=10) and added to `train/` under their true class. `test/` is scored on "
             "the clips not drawn; the k=0 column beside it is the same seed's k=0 model on exactly those clips. "
             "`dev/`'s sources were never added.", "",
             "| k | clips added | test/ clips scored | `test/` (not drawn) | k=0 on the same clips | `dev/` "
             "| `indomain_test/` | training |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for k in sorted(ks):
        b = summ["by_k"][k]
        secs = [r["train_s"] for r in runs if r["k"] == k]
        cells = [_spread([b[key][f] for f in ("worst", "mean", "best")])
                 for key in ("test", "test_k0_same_clips", "dev", "indomain_test")]
        lines.append(f"| {k} | {b['added']} | {b['test_scored']} | " + " | ".join(cells)
                     + f" | {np.mean(secs):.0f} s |")
    show = [k for k in (0, 5) if k in ks]
    if len(show) == 2:
        lines += ["", "Per `test/` sub-source, mean over seeds (k=5: the clips not drawn; beside it the k=0 models "
                  "on those same clips):", "",
                  "| sub-source | clips | k=0 (all) | k=0 (k=5's clips) | k=5 |", "|---|---:|---:|---:|---:|"]
        counts: dict[str, int] = defaultdict(int)
        for it in list_split(Path(env["data"]) / "test"):
            counts[source_key(it)] += 1
        for src, v in summ["test_per_source_mean"].items():
            lines.append(f"| {src} | {counts[src]} | {v['k0']:.1f} % | {v['k0_on_k5_clips']:.1f} % | {v['k5']:.1f} % |")
        lines += ["", "Per `dev/` sub-source (never added), mean over seeds:", "",
                  "| sub-source | k=0 | k=5 |", "|---|---:|---:|"]
        for src, v in summ["dev_per_source_mean"].items():
            lines.append(f"| {src} | {v['k0']:.1f} % | {v['k5']:.1f} % |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = probe_parser(__doc__, "few_shot", models=False)
    ap.add_argument("--ks", type=int, nargs="+", default=[0, 2, 5, 10],
                    help="clips added per test sub-source; 0 (the baseline) is always run")
    args = ap.parse_args()
    ks = sorted(set(args.ks) | {0})
    if min(ks) < 0:
        raise SystemExit(f"--ks must be 0 or more, got {args.ks}")
    check_splits(args.data, "train", "test", *SCORED)
    runs = run(args.data, args.seeds, ks)
    summ = summary(runs, ks)
    env = {**environment(), "data": str(args.data)}
    report = markdown(runs, summ, args.seeds, ks, env)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(
        {"environment": env, "seeds": args.seeds, "ks": ks, "summary": summ, "runs": runs}, indent=2))
    args.out.with_suffix(".md").write_text(report)
    print(f"wrote {args.out.with_suffix('.md')} and .json")


if __name__ == "__main__":
    main()
