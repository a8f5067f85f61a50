"""pyAudioAnalysis baseline, run INSIDE benchmarks/.venv-paa (see setup_paa.sh).

Trains through pyAudioAnalysis' own API on a folder-per-class training set
(``audioTrainTest.extract_features_and_train`` with its default settings and
the classifier type given, "svm" by default) and classifies every file of the
given test folders with ``audioTrainTest.file_classification``.  Prints one
JSON object on the last line of stdout:

    {"classifier": ..., "train_seconds": ..., "model_bytes": ...,
     "splits": {name: {"infer_seconds": ..., "predictions": [[relpath, true, pred], ...]}}}

Usage (called by baselines.py)::

    .venv-paa/bin/python paa_runner.py TRAIN_DIR WORK_DIR name=TEST_DIR [name=TEST_DIR ...] [--classifier svm]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
from pathlib import Path

import numpy as np


def class_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("train_dir", type=Path)
    parser.add_argument("work_dir", type=Path)
    parser.add_argument("tests", nargs="+", help="name=DIR pairs")
    parser.add_argument("--classifier", default="svm")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from pyAudioAnalysis import audioTrainTest as aT  # noqa: PLC0415

    np.random.seed(args.seed)  # its internal train/validation splits use the global RNG
    args.work_dir.mkdir(parents=True, exist_ok=True)
    model = args.work_dir / f"paa_{args.classifier}"
    dirs = [str(d) for d in class_dirs(args.train_dir)]
    log = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(log):
        aT.extract_features_and_train(
            dirs, 1.0, 1.0, aT.shortTermWindow, aT.shortTermStep, args.classifier, str(model), False
        )
    train_seconds = time.perf_counter() - t0
    selected = [ln for ln in log.getvalue().splitlines() if ln.startswith("Selected params")]

    result: dict[str, object] = {
        "classifier": args.classifier,
        "train_seconds": train_seconds,
        "model_bytes": os.path.getsize(model) + os.path.getsize(str(model) + "MEANS"),
        "selected": selected[-1] if selected else "",
        "splits": {},
    }
    for spec in args.tests:
        name, _, folder = spec.partition("=")
        preds: list[list[str]] = []
        t1 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            for cdir in class_dirs(Path(folder)):
                for wav in sorted(cdir.glob("*.wav")):
                    class_id, _prob, classes = aT.file_classification(str(wav), str(model), args.classifier)
                    pred = Path(classes[int(class_id)]).name if class_id != -1 else "<error>"
                    preds.append([f"{cdir.name}/{wav.name}", cdir.name, pred])
        result["splits"][name] = {"infer_seconds": time.perf_counter() - t1, "predictions": preds}  # type: ignore[index]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
