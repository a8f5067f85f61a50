"""Which clips will earmark get wrong? Its own confidence against the clip's unfamiliarity.

A model trained on clean one-shots meets recordings unlike anything it heard (the benchmark's
cross-domain ``test/`` and ``dev/``). Two ways to tell a user "do not trust this label":

* **confidence**: 1 − the clip's top probability, as earmark predicts it (window probabilities
  averaged with the RMS weights of :func:`earmark.classifier.window_weights`);
* **unfamiliarity**: how far the clip's windows lie from the training windows in the backbone's
  pooled embedding (``SoundNet.embed_features``), each window measured against the class the
  clip is predicted as, then averaged over the clip with the same RMS weights. Two distances:
  **Mahalanobis** to the class mean under one covariance shared by the classes (fitted on the
  class-centred training windows, Ledoit–Wolf shrinkage), and **kNN**, the mean cosine distance
  to the 10 nearest training windows of that class. (Of the variants tried while this was
  researched — nearest class instead of predicted class, all classes' neighbours, a heavier
  shrinkage, plain instead of RMS-weighted means, and sums of z-scores with confidence — these
  two were the best; none came near confidence.)

For each seed, earmark is trained on ``train/`` as the benchmark trains it (or loaded from
``--models``); the training clips are cut into windows as prediction cuts them (no augmentation)
to make the reference set; every clip of ``test/``, ``dev/`` and ``indomain_test/`` is scored.
Per split it reports the error rate and, for each score, the AUROC of telling wrong predictions
from right ones (0.5: no better than chance; undefined where the model makes no mistake). Then
a flag a user could act on: a confidence threshold calibrated on ``indomain_test/`` so that at
most 5 % of its clips are flagged, with the share of each split's clips it flags and the
precision (flagged clips that are wrong) and recall (wrong clips that are flagged) of errors.
Each figure is given as worst / mean / best over the seeds. Results:
``results/confidence_probe.{md,json}``.

    .venv/bin/python benchmarks/confidence_probe.py                  # seeds 0 1 2 (~1 min of training each on 2 cores)
    .venv/bin/python benchmarks/confidence_probe.py --seeds 0 1 --models /tmp/conf   # keep/reuse the models there
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.covariance import LedoitWolf
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import check_splits, list_split, load_mono, probe_parser  # noqa: E402
from pooling_probe import model_for  # noqa: E402
from run_benchmark import environment  # noqa: E402

from earmark.classifier import Classifier, _weights_from_rms, _window_rms  # noqa: E402

SPLITS = ("test", "dev", "indomain_test")
CALIBRATION = "indomain_test"
FLAG_SHARE = 0.05  # at most this share of the calibration split's clips is flagged
K = 10  # neighbours for the kNN distance
SCORES = ("confidence (1 − max prob)", "Mahalanobis to predicted class", "kNN cosine, predicted class")
BATCH = 256
Distance = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (window embeddings, predicted class) -> (n,)


def windows_of(clf: Classifier, split_dir: Path) -> dict[str, Any]:
    """Every window of a split's clips, as earmark cuts them: embedding, probabilities, RMS, clip."""
    items = list_split(split_dir)
    clips = [load_mono(it.path, clf.sample_rate) for it in items]
    model = clf.model
    emb, probs, rms, owner = [], [], [], []
    for own, windows in clf._window_batches(clips, BATCH, False):
        probs.append(clf.score_windows(windows, batch_size=BATCH))  # the shipped path's probabilities
        with torch.inference_mode():
            emb.append(model.embed_features(model.frontend(torch.from_numpy(np.ascontiguousarray(windows)))).numpy())
        rms.append(_window_rms(windows))
        owner.append(own)
    z = {"emb": np.concatenate(emb).astype(np.float64), "p": np.concatenate(probs), "rms": np.concatenate(rms),
         "owner": np.concatenate(owner), "n": len(items),
         "truth": np.array([clf.labels.index(it.label) for it in items])}
    z["weight"] = _weights_from_rms(z["rms"], z["owner"], z["n"])
    shipped = clf.predict_clips(clips[:8])  # the pooling below is earmark's own
    if np.abs(shipped - clip_mean(z["p"], z)[:8]).max() > 1e-4:
        raise SystemExit(f"{split_dir}: pooled probabilities differ from Classifier.predict_clips")
    return z


def clip_mean(values: np.ndarray, z: dict[str, Any]) -> np.ndarray:
    """Per clip, the RMS-weighted mean of per-window ``values`` (``(n_windows,)`` or ``(n_windows, k)``)."""
    w = z["weight"] if values.ndim == 1 else z["weight"][:, None]
    sums = np.zeros((z["n"], *values.shape[1:]))
    np.add.at(sums, z["owner"], values * w)
    totals = np.zeros(z["n"])
    np.add.at(totals, z["owner"], z["weight"])
    return sums / (totals if values.ndim == 1 else totals[:, None])


def distances(train: dict[str, Any], n_classes: int) -> dict[str, Distance]:
    """Window distance functions ``(embeddings, predicted class) -> (n,)``, fitted on the training windows."""
    emb, label = train["emb"], train["truth"][train["owner"]]
    means = np.stack([emb[label == c].mean(axis=0) for c in range(n_classes)])
    precision = LedoitWolf().fit(emb - means[label]).precision_
    bank = emb / np.linalg.norm(emb, axis=1, keepdims=True)

    def mahalanobis(e: np.ndarray, pred: np.ndarray) -> np.ndarray:
        d = e - means[pred]
        return np.sqrt(np.einsum("nd,de,ne->n", d, precision, d))

    def knn(e: np.ndarray, pred: np.ndarray) -> np.ndarray:
        sim = (e / np.linalg.norm(e, axis=1, keepdims=True)) @ bank.T
        out = np.empty(len(e))
        for c in np.unique(pred):
            rows = pred == c
            nearest = -np.partition(-sim[rows][:, label == c], K - 1, axis=1)[:, :K]
            out[rows] = 1 - nearest.mean(axis=1)
        return out

    return {SCORES[1]: mahalanobis, SCORES[2]: knn}


def clip_scores(z: dict[str, Any], dist: dict[str, Distance]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Predicted class and the three scores of every clip (higher: less to be trusted)."""
    probs = clip_mean(z["p"], z)
    pred = probs.argmax(axis=1)
    scores = {SCORES[0]: 1 - probs.max(axis=1)}
    for name, fn in dist.items():
        per_window = np.concatenate([fn(z["emb"][i:i + 2048], pred[z["owner"][i:i + 2048]])
                                     for i in range(0, len(z["owner"]), 2048)])
        scores[name] = clip_mean(per_window, z)
    return pred, scores


def evaluate(clf: Classifier, data: Path) -> dict[str, Any]:
    """One trained model: error rate, AUROCs and the calibrated confidence flag on each split."""
    t0 = time.perf_counter()
    dist = distances(windows_of(clf, data / "train"), len(clf.labels))
    scored = {}
    for split in SPLITS:
        z = windows_of(clf, data / split)
        scored[split] = (z["truth"], *clip_scores(z, dist))
    calib = np.sort(scored[CALIBRATION][2][SCORES[0]])[::-1]
    threshold = float(calib[int(FLAG_SHARE * len(calib))])  # flag score > threshold: at most 5 % of calibration
    out: dict[str, Any] = {"flag_max_prob_below": 1 - threshold, "seconds": 0.0, "splits": {}}
    for split, (truth, pred, scores) in scored.items():
        wrong = pred != truth
        flag = scores[SCORES[0]] > threshold
        out["splits"][split] = {
            "clips": len(truth), "error_rate": float(wrong.mean()),
            "auroc": {name: float(roc_auc_score(wrong, v)) if 0 < wrong.sum() < len(wrong) else None
                      for name, v in scores.items()},
            "flagged_share": float(flag.mean()),
            "precision": float(wrong[flag].mean()) if flag.any() else None,
            "recall": float(flag[wrong].mean()) if wrong.any() else None}
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def spread(values: list[float | None], *, higher_is_better: bool = True, fmt: str = "{:.2f}") -> str:
    """``worst / mean / best`` of a figure over seeds; ``-`` where it is undefined."""
    v = [x for x in values if x is not None]
    if not v:
        return "-"
    lo, hi = min(v), max(v)
    worst, best = (lo, hi) if higher_is_better else (hi, lo)
    return " / ".join(fmt.format(x) for x in (worst, float(np.mean(v)), best))


def markdown(per_seed: dict[int, dict[str, Any]], env: dict[str, Any]) -> str:
    seeds = list(per_seed)
    runs = list(per_seed.values())
    pc = "{:.1%}"
    lines = ["# Which clips will earmark get wrong? Confidence against unfamiliarity", "",
             f"{env['date']} · {env['cpu_count']} cores · commit {env['git_commit']} · seeds {seeds} · "
             "`benchmarks/confidence_probe.py` (its docstring says what each score is); worst / mean / best seed", "",
             "AUROC of telling wrong predictions from right ones (0.5 = chance; - where there is no error):", "",
             "| split | clips | error rate | " + " | ".join(SCORES) + " |",
             "|---|---:|---:|" + "---:|" * len(SCORES)]
    for split in SPLITS:
        r = [run["splits"][split] for run in runs]
        errors = spread([x["error_rate"] for x in r], higher_is_better=False, fmt=pc)
        lines.append(f"| `{split}/` | {r[0]['clips']} | {errors} | "
                     + " | ".join(spread([x["auroc"][name] for x in r]) for name in SCORES) + " |")
    thresholds = ", ".join(f"{run['flag_max_prob_below']:.3f}" for run in runs)
    lines += ["", f"Flagging a clip when its top probability is below a threshold set so that at most "
              f"{FLAG_SHARE:.0%} of `{CALIBRATION}/` is flagged (thresholds {thresholds}):", "",
              "| split | share flagged (lowest / mean / highest) | precision of errors | recall of errors |",
              "|---|---:|---:|---:|"]
    for split in SPLITS:
        r = [run["splits"][split] for run in runs]
        lines.append(f"| `{split}/` | {spread([x['flagged_share'] for x in r], fmt=pc)} | "
                     f"{spread([x['precision'] for x in r], fmt=pc)} | {spread([x['recall'] for x in r], fmt=pc)} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    args = probe_parser(__doc__, "confidence_probe").parse_args()
    check_splits(args.data, "train", *SPLITS)
    per_seed = {}
    for seed in args.seeds:
        per_seed[seed] = evaluate(model_for(seed, args.data, args.models), args.data)
        print(f"seed {seed}: " + "; ".join(
            f"{s} err {r['error_rate']:.1%}, AUROC " + "/".join(f"{a:.2f}" if a is not None else "-"
                                                                for a in r["auroc"].values())
            + f", flags {r['flagged_share']:.1%}" for s, r in per_seed[seed]["splits"].items()), flush=True)
    env = environment()
    report = markdown(per_seed, env)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({"environment": env, "seeds": args.seeds, "k": K,
                                                         "flag_share": FLAG_SHARE, "per_seed": per_seed}, indent=2))
    args.out.with_suffix(".md").write_text(report)
    print(f"wrote {args.out.with_suffix('.md')} and .json")


if __name__ == "__main__":
    main()
