"""How far can the backbone's frozen features go? Linear probes on the cross-domain splits.

earmark trains a classifier head on its pretrained backbone's frozen features, from the
benchmark's clean one-shots (``run_benchmark.py``). This script asks a different question:
what would those same features allow with *better* training data? For each cross-domain split
(``test/``, ``dev/``) and each feature set, a standardised logistic regression (C=0.1, balanced
classes) sees one vector per clip, the mean of its 1 s windows' features (every 0.5 s):

* **train/ → split**: fitted on ``train/``'s clean one-shots and room tone as they are (no
  augmentation): how far the plain features carry across the shift;
* **leave one source out**: fitted on the split's *other* sources (e.g. every test source but
  Wesnoth's ambience), scored on the source left out, for each source in turn: realistic,
  varied training data, but still a source never heard;
* **5-fold CV**: fitted on 80 % of the split's own clips (every source seen), scored on the rest;
  three shuffles. Clips cut from the same recording can land on both sides, so this is if
  anything optimistic: it is about the best these features allow on this split, whatever
  the head and however the training data were made.

A cross-domain accuracy above the 5-fold figure would mean beating a probe trained on the
test split itself, so that figure bounds what any head on these features can be expected to
reach. The same probes on the MFCC baseline's 160 numbers (``baselines.py``) run alongside.

``--earmark`` adds earmark itself to the in-split test: trained as shipped (frozen backbone,
then with every weight fine-tuned), seed 0, on each of the first shuffle's five folds of each
split, and scored on the fold left out (about 6 minutes for both splits on 2 cores). It asks whether
the whole network, learning from the split's own clips, gets further than the probe.

``--backbone`` takes a shipped backbone's name (default: the one earmark trains from) or a
``.safetensors`` file written by ``pretraining/pretrain.py``, so a candidate body can be
judged in a minute before any head is trained on it. Results go to
``benchmarks/results/feature_probe.{json,md}``.

Usage::

    .venv/bin/python benchmarks/feature_probe.py [--data benchmarks/data] [--backbone NAME_OR_FILE] [--earmark]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import mfcc_features  # noqa: E402
from bench_common import Item, check_splits, list_split, load_mono, probe_parser  # noqa: E402
from run_benchmark import environment  # noqa: E402

from earmark.audio import frame_windows  # noqa: E402
from earmark.backbone import CONCEPT_KEYS, DEFAULT_BACKBONE, load_backbone  # noqa: E402
from earmark.errors import EarmarkError  # noqa: E402
from earmark.features import FeatureConfig  # noqa: E402
from earmark.model import ArchSpec, SoundNet, build_model  # noqa: E402
from earmark.train import TrainSettings, train  # noqa: E402

SPLITS = ("test", "dev")
CV_SHUFFLES = (0, 1, 2)
WINDOW_S, HOP_S = 1.0, 0.5
Features = Callable[[Item], np.ndarray]


def probe() -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression(C=0.1, class_weight="balanced", max_iter=5000))


def backbone_network(backbone: str) -> SoundNet:
    """The default network with ``backbone``'s body (a shipped name, or a pretrain.py file)."""
    model = build_model(n_classes=2, features=FeatureConfig(), arch=ArchSpec())
    path = Path(backbone)
    if path.suffix == ".safetensors":
        body = {k: v for k, v in load_file(str(path)).items() if k not in CONCEPT_KEYS}
        missing, unexpected = model.load_state_dict(body, strict=False)
        if unexpected or any(not k.startswith("head.") for k in missing):
            raise SystemExit(f"{path} is not a backbone of earmark's default network ({(unexpected or missing)[0]})")
    else:
        load_backbone(model, backbone)
    return model.eval()


def embedding_features(model: SoundNet) -> Features:
    sr = model.frontend.config.sample_rate

    def features(item: Item) -> np.ndarray:
        windows, _ = frame_windows(load_mono(item.path, sr), sample_rate=sr, window_s=WINDOW_S, hop_s=HOP_S)
        with torch.inference_mode():
            emb = model.embed_features(model.frontend(torch.from_numpy(np.array(windows))))
        return emb.mean(dim=0).numpy()

    return features


def mfcc_features_of(item: Item) -> np.ndarray:
    """The MFCC baseline's clip vector (``baselines.mfcc_features``)."""
    return mfcc_features(item.path)


def probe_split(x_train: np.ndarray, y_train: np.ndarray, x: np.ndarray, y: np.ndarray,
                sources: np.ndarray) -> dict[str, Any]:
    """The three probes of the module docstring on one split."""
    shift = float(np.mean(probe().fit(x_train, y_train).predict(x) == y))
    per_source, correct = {}, 0
    for s in sorted(set(sources)):
        held = sources == s
        hits = probe().fit(x[~held], y[~held]).predict(x[held]) == y[held]
        per_source[s], correct = float(np.mean(hits)), correct + int(hits.sum())
    loso = correct / len(y)
    cv = []
    for shuffle in CV_SHUFFLES:
        pred = np.empty_like(y)
        for fit, score in folds(y, shuffle):
            pred[score] = probe().fit(x[fit], y[fit]).predict(x[score])
        cv.append(float(np.mean(pred == y)))
    return {"train_to_split": shift, "leave_one_source_out": loso, "loso_per_source": per_source,
            "cv_mean": float(np.mean(cv)), "cv_min": min(cv), "cv_max": max(cv), "clips": len(y)}


def folds(labels: np.ndarray, shuffle: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fit, score) index pairs of a stratified 5-fold split."""
    return list(StratifiedKFold(5, shuffle=True, random_state=shuffle).split(labels, labels))


def earmark_in_split(items: list[Item], *, tune_backbone: bool) -> float:
    """Accuracy of earmark trained (seed 0) on four fifths of ``items`` and scored on the fifth left out,
    over the first shuffle's five folds."""
    labels = np.array([it.label for it in items])
    correct = 0
    for fit, score in folds(labels, CV_SHUFFLES[0]):
        with tempfile.TemporaryDirectory() as tmp:
            for i in fit:  # a folder per class, of links to the fold's clips
                (Path(tmp) / labels[i]).mkdir(exist_ok=True)
                (Path(tmp) / labels[i] / items[i].path.name).symlink_to(items[i].path.resolve())
            clf = train(tmp, settings=TrainSettings(seed=0, freeze_backbone=not tune_backbone), progress=False)
        predictions, failed = clf.predict_files([items[i].path for i in score])
        if failed:
            raise SystemExit(f"could not decode {failed[0][0]}: {failed[0][1]}")
        correct += sum(p.label == labels[i] for p, i in zip(predictions, score))
    return correct / len(items)


def run(data: Path, feature_sets: dict[str, Features]) -> dict[str, Any]:
    items = {split: list_split(data / split) for split in ("train", *SPLITS)}
    results: dict[str, Any] = {}
    for name, features in feature_sets.items():
        t0 = time.perf_counter()
        x = {split: np.stack([features(it) for it in its]) for split, its in items.items()}
        y = {split: np.array([it.label for it in its]) for split, its in items.items()}
        per_split = {split: probe_split(x["train"], y["train"], x[split], y[split],
                                        np.array([it.source for it in items[split]])) for split in SPLITS}
        results[name] = {"dimensions": int(x["train"].shape[1]), "seconds": round(time.perf_counter() - t0, 1),
                         **per_split}
        print(f"{name}: " + ", ".join(
            f"{split} {r['train_to_split']:.1%} / {r['leave_one_source_out']:.1%} / {r['cv_mean']:.1%}"
            for split, r in per_split.items()), flush=True)
    return results


def markdown(results: dict[str, Any], env: dict[str, Any]) -> str:
    lines = ["# Feature probes: how far the frozen features go", "",
             f"{env['date']} · {env['cpu_count']} cores · commit {env['git_commit']} · "
             "`benchmarks/feature_probe.py` (its docstring says what each column means)", "",
             "| features | split | train/ → split | leave one source out | 5-fold CV, mean (min–max) |",
             "|---|---|---:|---:|---:|"]
    for name, r in results.items():
        for split in SPLITS:
            s = r[split]
            cv = f"{s['cv_mean']:.1%} ({s['cv_min']:.1%}–{s['cv_max']:.1%})"
            lines.append(f"| {name} ({r['dimensions']}) | `{split}/` ({s['clips']} clips) | {s['train_to_split']:.1%} "
                         f"| {s['leave_one_source_out']:.1%} | {cv} |")
    for r in results.values():
        if "earmark_5fold" in r:
            lines += ["", "earmark itself, trained as shipped on four fifths of each split and scored on the rest "
                      "(5 folds, seed 0): "
                      + "; ".join(f"`{split}/` {acc['frozen']:.1%} with the backbone frozen, "
                                  f"{acc['tuned']:.1%} fine-tuned" for split, acc in r["earmark_5fold"].items())]
    lines += ["", "Leave one source out, per source:", ""]
    for name, r in results.items():
        for split in SPLITS:
            per = ", ".join(f"{k} {v:.0%}" for k, v in r[split]["loso_per_source"].items())
            lines.append(f"- {name}, `{split}/`: {per}")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = probe_parser(__doc__, "feature_probe", seeds=False, models=False)
    ap.add_argument("--backbone", default=DEFAULT_BACKBONE,
                    help="a shipped backbone's name or a pretrain.py .safetensors file (default %(default)s)")
    ap.add_argument("--earmark", action="store_true",
                    help="also train earmark itself on each split's folds (shipped backbone; ~10 min a split)")
    args = ap.parse_args()
    check_splits(args.data, "train", *SPLITS)
    if args.earmark and args.backbone != DEFAULT_BACKBONE:
        raise SystemExit(f"--earmark trains with the shipped backbone {DEFAULT_BACKBONE}; leave --backbone out")
    try:
        network = backbone_network(args.backbone)
    except (EarmarkError, SafetensorError, OSError) as exc:
        raise SystemExit(f"--backbone {args.backbone}: {exc}; give a shipped backbone's name or a "
                         "file written by pretraining/pretrain.py") from None
    label = Path(args.backbone).stem
    results = run(args.data, {f"earmark backbone {label}": embedding_features(network),
                              "MFCC(40)+Δ mean/std": mfcc_features_of})
    if args.earmark:
        scores = {}
        for split in SPLITS:
            items = list_split(args.data / split)
            scores[split] = {mode: earmark_in_split(items, tune_backbone=mode == "tuned")
                             for mode in ("frozen", "tuned")}
            print(f"earmark trained inside {split}/: {scores[split]}", flush=True)
        results[f"earmark backbone {label}"]["earmark_5fold"] = scores
    env = environment()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({"environment": env, "backbone": args.backbone,
                                                         "results": results}, indent=2))
    args.out.with_suffix(".md").write_text(markdown(results, env))
    print(f"wrote {args.out.with_suffix('.md')} and .json")


if __name__ == "__main__":
    main()
