"""Shared helpers for the benchmark scripts: split listing, audio loading, metrics."""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

CLASSES = ("background", "bass", "drums")
AUDIO_EXTS = {".wav", ".flac", ".ogg"}
HERE = Path(__file__).resolve().parent


def probe_parser(doc: str, name: str, *, seeds: bool = True, models: bool = True) -> argparse.ArgumentParser:
    """The options the probes share: ``--data``, ``--out`` (``results/NAME``), and ``--seeds`` and ``--models``
    where the probe trains earmark; each probe adds its own."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--data", type=Path, default=HERE / "data")
    if seeds:
        ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    if models:
        ap.add_argument("--models", type=Path, default=None,
                        help="folder to keep the trained models in and reuse them from")
    ap.add_argument("--out", type=Path, default=HERE / "results" / name,
                    help="results path without suffix (default %(default)s)")
    return ap


def check_splits(data: Path, *splits: str) -> None:
    """Stop, saying what to run, when a split of the benchmark data is missing."""
    missing = [s for s in splits if not (data / s).is_dir()]
    if missing:
        raise SystemExit(f"{data} has no {', '.join(missing)} split; run benchmarks/make_data.py first")


@dataclass(frozen=True)
class Item:
    path: Path
    label: str

    @property
    def rel(self) -> str:
        return f"{self.label}/{self.path.name}"

    @property
    def source(self) -> str:
        """Sub-source, encoded by make_data.py as ``<source>_<index>.wav``."""
        return self.path.stem.rsplit("_", 1)[0]


def list_split(split_dir: Path) -> list[Item]:
    items = [
        Item(p, cdir.name)
        for cdir in sorted(split_dir.iterdir())
        if cdir.is_dir() and not cdir.name.startswith(".")
        for p in sorted(cdir.iterdir())
        if p.suffix.lower() in AUDIO_EXTS
    ]
    if not items:
        raise FileNotFoundError(f"no audio files in class folders under {split_dir}")
    return items


def load_mono(path: Path, sr: int) -> np.ndarray:
    x, file_sr = sf.read(str(path), dtype="float32", always_2d=True)
    x = x.mean(axis=1)
    if file_sr != sr:
        x = soxr.resample(x, file_sr, sr).astype(np.float32)
    return x


def audio_seconds(items: list[Item]) -> float:
    return float(sum(sf.info(str(it.path)).duration for it in items))


def classification_report(true: list[str], pred: list[str], classes: tuple[str, ...] = CLASSES) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class recall/precision and confusion matrix (rows = true)."""
    idx = {c: i for i, c in enumerate(classes)}
    cm = np.zeros((len(classes), len(classes) + 1), dtype=int)  # last column: predictions outside `classes`
    for t, p in zip(true, pred, strict=True):
        cm[idx[t], idx.get(p, len(classes))] += 1
    tp = np.diag(cm[:, : len(classes)]).astype(float)
    support = cm.sum(axis=1).astype(float)
    predicted = cm[:, : len(classes)].sum(axis=0).astype(float)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(tp), where=(precision + recall) > 0)
    return {
        "n": len(true),
        "accuracy": float(tp.sum() / max(1, len(true))),
        "macro_f1": float(f1.mean()),
        "per_class_recall": {c: float(recall[i]) for i, c in enumerate(classes)},
        "per_class_precision": {c: float(precision[i]) for i, c in enumerate(classes)},
        "confusion": {
            "classes": list(classes),
            "rows_true_cols_pred": cm[:, : len(classes)].tolist(),
            "other": cm[:, -1].tolist(),
        },
    }


def per_source_accuracy(items: list[Item], pred: list[str]) -> dict[str, dict[str, Any]]:
    """Accuracy per test sub-source, with the most common wrong answer."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for it, p in zip(items, pred, strict=True):
        groups[f"{it.label}:{it.source}"].append((it.label, p))
    out: dict[str, dict[str, Any]] = {}
    for key, pairs in sorted(groups.items()):
        wrong = [p for t, p in pairs if p != t]
        common = max(set(wrong), key=wrong.count) if wrong else ""
        out[key] = {"n": len(pairs), "accuracy": sum(t == p for t, p in pairs) / len(pairs), "mostly_wrong_as": common}
    return out


def format_confusion(report: dict[str, Any]) -> str:
    conf = report["confusion"]
    assert isinstance(conf, dict)
    classes = conf["classes"]
    lines = ["true \\ pred  " + " ".join(f"{c:>10}" for c in classes)]
    for c, row in zip(classes, conf["rows_true_cols_pred"], strict=True):
        lines.append(f"{c:<12} " + " ".join(f"{v:>10d}" for v in row))
    return "\n".join(lines)


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"
