"""Baselines on the benchmark splits, for comparison with earmark.

(a) ``mfcc_logreg``: 40 MFCCs + deltas, mean/std over the clip (160 numbers),
    standardised, scikit-learn logistic regression.
(b) ``pyaudioanalysis_svm``: pyAudioAnalysis 0.3.14 trained through its own
    API (``audioTrainTest.extract_features_and_train`` on the folder-per-class
    training set, default settings, default "svm" classifier), then
    ``audioTrainTest.file_classification`` on every test file.  Runs in its own
    venv ``benchmarks/.venv-paa`` created by ``setup_paa.sh`` (on first use if
    missing).  If it cannot be installed the result says so; it is never faked.

Each result: accuracy / macro-F1 / per-class recall / confusion on ``test/``
(cross-domain) and ``indomain_test/``, training wall time (feature extraction
included), inference speed (decode included) as x real time.

Usage::

    .venv/bin/python benchmarks/baselines.py [--data benchmarks/data] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.fft import dct
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import (  # noqa: E402
    HERE,
    Item,
    audio_seconds,
    classification_report,
    format_confusion,
    list_split,
    load_mono,
    pct,
    per_source_accuracy,
)

EVAL_SPLITS = ("test", "indomain_test", "dev")
PAA_VENV = HERE / ".venv-paa"

# ------------------------------------------------------------------ MFCC --

SR = 22050
N_FFT = 1024
HOP = 512
N_MELS = 64
N_MFCC = 40


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + f / 700.0)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def mel_filterbank(sr: int = SR, n_fft: int = N_FFT, n_mels: int = N_MELS, fmin: float = 20.0) -> np.ndarray:
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(np.array(fmin)), _hz_to_mel(np.array(sr / 2)), n_mels + 2))
    fb = np.zeros((n_mels, len(freqs)))
    for i in range(n_mels):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        up = (freqs - lo) / (mid - lo)
        down = (hi - freqs) / (hi - mid)
        fb[i] = np.maximum(0.0, np.minimum(up, down))
    return fb


_FB = mel_filterbank()
_WINDOW = np.hanning(N_FFT)


def mfcc(x: np.ndarray) -> np.ndarray:
    """(N_MFCC, frames) MFCC matrix of a mono 22050 Hz signal."""
    if len(x) < N_FFT:
        x = np.pad(x, (0, N_FFT - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP] * _WINDOW
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    logmel = np.log(power @ _FB.T + 1e-10)
    return dct(logmel, type=2, norm="ortho", axis=1)[:, :N_MFCC].T


def deltas(c: np.ndarray, width: int = 2) -> np.ndarray:
    padded = np.pad(c, ((0, 0), (width, width)), mode="edge")
    num = sum(
        k * (padded[:, width + k : padded.shape[1] - width + k] - padded[:, width - k : padded.shape[1] - width - k])
        for k in range(1, width + 1)
    )
    return num / (2 * sum(k * k for k in range(1, width + 1)))


def mfcc_features(path: Path) -> np.ndarray:
    c = mfcc(load_mono(path, SR))
    d = deltas(c)
    return np.concatenate([c.mean(1), c.std(1), d.mean(1), d.std(1)])


def evaluate_predictions(items: list[Item], pred: list[str], seconds: float, infer_seconds: float) -> dict[str, Any]:
    report = classification_report([it.label for it in items], pred)
    report.update(
        infer_seconds=infer_seconds,
        audio_seconds=seconds,
        x_realtime=seconds / infer_seconds if infer_seconds > 0 else None,
        per_source=per_source_accuracy(items, pred),
    )
    return report


def run_mfcc_logreg(data_dir: Path) -> dict[str, Any]:
    train = list_split(data_dir / "train")
    t0 = time.perf_counter()
    x_train = np.stack([mfcc_features(it.path) for it in train])
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    model.fit(x_train, [it.label for it in train])
    train_seconds = time.perf_counter() - t0
    result: dict[str, Any] = {"name": "mfcc_logreg", "available": True, "train_seconds": train_seconds, "splits": {}}
    for split in EVAL_SPLITS:
        items = list_split(data_dir / split)
        t1 = time.perf_counter()
        pred = [str(p) for p in model.predict(np.stack([mfcc_features(it.path) for it in items]))]
        infer = time.perf_counter() - t1
        result["splits"][split] = evaluate_predictions(items, pred, audio_seconds(items), infer)
    return result


# ------------------------------------------------------- pyAudioAnalysis --


def ensure_paa_venv() -> str | None:
    """Create the pyAudioAnalysis venv if needed; returns an error message or None."""
    if (PAA_VENV / "bin" / "python").exists():
        check = subprocess.run(
            [str(PAA_VENV / "bin" / "python"), "-c", "import pyAudioAnalysis.audioTrainTest"],
            capture_output=True,
            text=True,
        )
        if check.returncode == 0:
            return None
    print("baselines: setting up pyAudioAnalysis in benchmarks/.venv-paa (setup_paa.sh) ...", flush=True)
    setup = subprocess.run(["bash", str(HERE / "setup_paa.sh")], capture_output=True, text=True)
    if setup.returncode != 0:
        return "pyAudioAnalysis could not be installed: " + (setup.stderr.strip().splitlines() or ["unknown error"])[-1]
    return None


def run_pyaudioanalysis(data_dir: Path, classifier: str = "svm") -> dict[str, Any]:
    name = f"pyaudioanalysis_{classifier}"
    error = ensure_paa_venv()
    if error:
        return {"name": name, "available": False, "note": error}
    with tempfile.TemporaryDirectory() as work:
        cmd = [
            str(PAA_VENV / "bin" / "python"), str(HERE / "paa_runner.py"), str(data_dir / "train"), work,
            *[f"{s}={data_dir / s}" for s in EVAL_SPLITS], "--classifier", classifier,
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"name": name, "available": False, "note": "pyAudioAnalysis run failed: " + proc.stderr.strip()[-500:]}
    raw = json.loads(proc.stdout.strip().splitlines()[-1])
    result: dict[str, Any] = {
        "name": name,
        "available": True,
        "train_seconds": raw["train_seconds"],
        "model_bytes": raw["model_bytes"],
        "note": f"pyAudioAnalysis 0.3.14 own API; {raw['selected']}",
        "splits": {},
    }
    for split in EVAL_SPLITS:
        items = list_split(data_dir / split)
        by_rel = {rel: pred for rel, _true, pred in raw["splits"][split]["predictions"]}
        pred = [by_rel[it.rel] for it in items]
        result["splits"][split] = evaluate_predictions(
            items, pred, audio_seconds(items), raw["splits"][split]["infer_seconds"]
        )
    return result


# ------------------------------------------------------------------ API --

BASELINES: dict[str, Callable[[Path], dict[str, Any]]] = {
    "mfcc_logreg": run_mfcc_logreg,
    "pyaudioanalysis_svm": run_pyaudioanalysis,
}


def run_baselines(data_dir: Path, names: list[str] | None = None) -> list[dict[str, Any]]:
    """Train and evaluate every baseline on ``data_dir``'s splits."""
    results = []
    for name in names or list(BASELINES):
        print(f"baselines: running {name} ...", flush=True)
        t0 = time.perf_counter()
        try:
            results.append(BASELINES[name](Path(data_dir)))
        except Exception as exc:  # a baseline failing must not hide the others
            results.append({"name": name, "available": False, "note": f"{type(exc).__name__}: {exc}"})
        print(f"baselines: {name} done in {time.perf_counter() - t0:.0f} s", flush=True)
    return results


BASELINE_COLUMNS = ("baseline", "cross-domain acc", "macro-F1", "in-domain acc", "dev acc", "train s", "x realtime",
                    "note")


def baseline_cells(r: dict[str, Any]) -> list[str]:
    """One baseline's result as table cells, in ``BASELINE_COLUMNS`` order (text and markdown tables)."""
    if not r.get("available"):
        return [r["name"], "unavailable", "", "", "", "", "", r.get("note", "")]
    test, ind, dev = r["splits"]["test"], r["splits"]["indomain_test"], r["splits"].get("dev")
    return [r["name"], pct(test["accuracy"]), pct(test["macro_f1"]), pct(ind["accuracy"]),
            pct(dev["accuracy"]) if dev else "-", f"{r['train_seconds']:.1f}", f"{test['x_realtime']:.0f}x",
            r.get("note", "")]


def format_table(results: list[dict[str, Any]]) -> str:
    widths = (22, 16, 9, 14, 8, 8, 11)
    head = " ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, w) in enumerate(zip(BASELINE_COLUMNS, widths)))
    lines = [head, "-" * len(head)]
    for r in results:
        cells = baseline_cells(r)
        if not r.get("available"):
            lines.append(f"{cells[0]:<22} unavailable: {cells[-1]}")
            continue
        lines.append(" ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, w) in enumerate(zip(cells, widths))))
    return "\n".join(lines)


def format_details(r: dict[str, Any]) -> str:
    if not r.get("available"):
        return ""
    test = r["splits"]["test"]
    recall = ", ".join(f"{c} {pct(v)}" for c, v in test["per_class_recall"].items())
    sources = ", ".join(f"{k} {pct(v['accuracy'])}" for k, v in test["per_source"].items())
    return f"{r['name']} cross-domain recall: {recall}\n{format_confusion(test)}\nper source: {sources}"


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the baselines on the benchmark splits.")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "baselines.json")
    parser.add_argument("--only", nargs="+", choices=list(BASELINES))
    args = parser.parse_args()
    if not (args.data / "train").is_dir():
        sys.exit(f"baselines: no data in {args.data}; run benchmarks/make_data.py first")
    results = run_baselines(args.data, args.only)
    print()
    print(format_table(results))
    for r in results:
        print()
        print(format_details(r))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1))
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
