"""How a clip's windows are pooled into its label: earmark's rule against the alternatives.

earmark labels a clip by averaging its windows' probabilities, weighted by each window's RMS
relative to the clip's loudest (floored at 0.05), so that a one-shot's silent tail does not vote.
This script trains earmark on ``train/`` as the benchmark does (one model per seed, or reuses the
model files in ``--models``), scores every window of ``test/``, ``dev/`` and ``indomain_test/``
once, and then pools those same window scores by each rule below, so the rules differ only in the
pooling. Results: ``results/pooling_probe.{md,json}``.

    .venv/bin/python benchmarks/pooling_probe.py             # seeds 0 1 2 (~3 min of training each)
    .venv/bin/python benchmarks/pooling_probe.py --models /tmp/pool   # keep/reuse the trained models there
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import check_splits, list_split, load_mono, probe_parser  # noqa: E402
from run_benchmark import environment  # noqa: E402

import earmark  # noqa: E402
from earmark.classifier import Classifier, _weights_from_rms, _window_rms  # noqa: E402

SPLITS = ("test", "dev", "indomain_test")


def _relative(rms: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    loudest = np.zeros(n)
    np.maximum.at(loudest, owner, rms)
    return rms / loudest[owner]


def _weighted(weight: Callable[[np.ndarray], np.ndarray], *, geometric: bool = False) -> Callable[..., np.ndarray]:
    def pool(p: np.ndarray, rms: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
        w = weight(_relative(rms, owner, n))
        sums = np.zeros((n, p.shape[1]))
        np.add.at(sums, owner, (np.log(p + 1e-6) if geometric else p) * w[:, None])
        return sums
    return pool


def _earmark(p: np.ndarray, rms: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """The shipped rule, through the shipped code."""
    w = _weights_from_rms(rms, owner, n)
    sums = np.zeros((n, p.shape[1]))
    np.add.at(sums, owner, p * w[:, None])
    return sums


RULES: dict[str, Callable[..., np.ndarray]] = {
    "earmark (RMS-weighted mean)": _earmark,
    "plain mean": _weighted(np.ones_like),
    "geometric mean, RMS-weighted": _weighted(lambda r: np.clip(r, 0.05, 1.0), geometric=True),
    "dB-scaled weights (0 at -40 dB)": _weighted(lambda r: np.clip((20 * np.log10(r) + 40) / 40, 0.05, 1.0)),
    "mean of windows within 20 dB of the loudest": _weighted(lambda r: (r >= 0.1).astype(float)),
    "mean of windows within 40 dB of the loudest": _weighted(lambda r: (r >= 0.01).astype(float)),
}


def window_scores(clf: Classifier, data: Path, split: str) -> dict[str, np.ndarray]:
    items = list_split(data / split)
    clips = [load_mono(it.path, clf.sample_rate) for it in items]
    probs, rms, owner = [], [], []
    for own, windows in clf._window_batches(clips, 256, False):
        probs.append(clf.score_windows(windows, batch_size=256))
        rms.append(_window_rms(windows))
        owner.append(own)
    truth = np.array([clf.labels.index(it.label) for it in items])
    return {"p": np.concatenate(probs), "rms": np.concatenate(rms), "owner": np.concatenate(owner), "truth": truth}


def model_for(seed: int, data: Path, models: Path | None) -> Classifier:
    path = models / f"seed{seed}.earmark" if models else None
    if path is not None and path.exists():
        return earmark.load(path)
    start = time.time()
    clf = earmark.train(data / "train", settings=earmark.TrainSettings(seed=seed), progress=False)
    print(f"seed {seed}: trained in {time.time() - start:.0f} s", flush=True)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        clf.save(path)
    return clf


def run(data: Path, seeds: list[int], models: Path | None) -> dict[str, dict[str, list[float]]]:
    acc: dict[str, dict[str, list[float]]] = {rule: {s: [] for s in SPLITS} for rule in RULES}
    for seed in seeds:
        clf = model_for(seed, data, models)
        for split in SPLITS:
            z = window_scores(clf, data, split)
            n = len(z["truth"])
            for rule, pool in RULES.items():
                pred = pool(z["p"], z["rms"], z["owner"], n).argmax(axis=1)
                acc[rule][split].append(round(float((pred == z["truth"]).mean()) * 100, 2))
        print(f"seed {seed}: " + ", ".join(f"{s} {acc['earmark (RMS-weighted mean)'][s][-1]:.1f} %"
                                          for s in SPLITS), flush=True)
    return acc


def markdown(acc: dict[str, dict[str, list[float]]], seeds: list[int], env: dict[str, Any]) -> str:
    lines = ["# Pooling a clip's windows: earmark's rule and the alternatives", "",
             f"{env.get('date', '')} · commit {env.get('git_commit', '?')} · seeds {seeds} · "
             "the same window scores pooled each way; worst / mean / best seed", "",
             "| rule | `test/` | `dev/` | `indomain_test/` |", "|---|---:|---:|---:|"]
    for rule, by_split in acc.items():
        cells = [" / ".join(f"{f(v):.1f}" for f in (min, np.mean, max)) for v in by_split.values()]
        lines.append(f"| {rule} | " + " | ".join(f"{c} %" for c in cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    args = probe_parser(__doc__, "pooling_probe").parse_args()
    check_splits(args.data, "train", *SPLITS)
    acc = run(args.data, args.seeds, args.models)
    env = environment()
    report = markdown(acc, args.seeds, env)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({"environment": env, "seeds": args.seeds,
                                                         "accuracy": acc}, indent=2))
    args.out.with_suffix(".md").write_text(report)
    print(f"wrote {args.out.with_suffix('.md')} and .json")


if __name__ == "__main__":
    main()
