"""Would a pitch model pretrained on real music close the gap? basic-pitch beside the backbone.

The feature probe (``feature_probe.py``) shows what the backbone's frozen features allow; the
cross-domain errors left are mostly pitched bass read as drums and scenes read as instruments.
This script asks whether *pitch* evidence learnt from real recordings adds what is missing. It
takes Spotify's basic-pitch (ICASSP 2022 model, Apache-2.0; trained on real multi-instrument
recordings, Slakh's bass and drum stems among them), run through onnxruntime from the ONNX file
in its wheel, and summarises its note, onset and pitch-contour posteriors over each window
(mean, spread, percentiles and peak of the strongest and the average pitch per frame, activity
per register, the share of frames with a note). Beside it, a pitch evidence that costs nothing:
each frame's normalised autocorrelation peak between 35 and 500 Hz, full band and below 400 Hz.

Two measures, each with the backbone's features alone and with the extra features beside them:

* the three probes of ``feature_probe.py`` (train/ → split, leave one source out, 5-fold), one
  vector per clip (the mean of its windows');
* **the augmented head**, closer to how earmark trains: ``N`` windows made by earmark's own
  ``ExampleMaker`` from train/ (phrases, noise, EQ, reverb …, as training makes them), a
  logistic regression and a one-hidden-layer MLP fitted on their features, and each test and
  dev clip labelled from its windows' probabilities weighted by loudness, as earmark does.

basic-pitch is not a dependency of earmark. Get its model file once::

    pip download --no-deps basic-pitch==0.4.0 -d /tmp/bp
    unzip -o /tmp/bp/basic_pitch-0.4.0-*.whl 'basic_pitch/saved_models/icassp_2022/nmp.onnx' -d /tmp/bp

Usage (about 17 minutes on 2 cores shared with other work; basic-pitch takes some 32 ms per 2 s window
on a quiet 2-core machine)::

    .venv/bin/python benchmarks/pitch_probe.py --nmp /tmp/bp/basic_pitch/saved_models/icassp_2022/nmp.onnx

Results go to ``benchmarks/results/pitch_probe.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import HERE, list_split, load_mono  # noqa: E402
from feature_probe import backbone_network, run  # noqa: E402
from run_benchmark import environment  # noqa: E402

from earmark.audio import frame_windows  # noqa: E402
from earmark.backbone import DEFAULT_BACKBONE  # noqa: E402
from earmark.dataset import load_dataset  # noqa: E402
from earmark.examples import ExampleMaker, Pools, feature_augment  # noqa: E402

SR = 22050
WINDOW = SR  # earmark's 1 s window
NMP_SAMPLES, NMP_HOP = 43844, 256  # basic-pitch's fixed input (2 s less one hop) and its frame hop
WindowFeatures = Callable[[np.ndarray], np.ndarray]  # (windows, WINDOW) -> (windows, d)


def _stats(series: np.ndarray) -> list[np.ndarray]:
    """Mean, spread, 10/50/90th percentiles and peak over time (last axis) of ``(n, frames)``."""
    return [series.mean(1), series.std(1), *np.percentile(series, [10, 50, 90], axis=1), series.max(1)]


def basic_pitch_features(nmp: Path) -> WindowFeatures:
    import onnxruntime as ort  # noqa: PLC0415

    session = ort.InferenceSession(str(nmp), providers=["CPUExecutionProvider"])
    frames = -(-WINDOW // NMP_HOP)

    def features(windows: np.ndarray) -> np.ndarray:
        out = []
        for b in range(0, len(windows), 32):
            x = np.zeros((len(windows[b : b + 32]), NMP_SAMPLES, 1), np.float32)
            x[:, :WINDOW, 0] = windows[b : b + 32]
            note, onset, contour = (a[:, :frames] for a in session.run(
                ["StatefulPartitionedCall:1", "StatefulPartitionedCall:2", "StatefulPartitionedCall:0"],
                {"serving_default_input_2:0": x}))
            v: list[np.ndarray] = []
            for posterior in (note, onset, contour):
                v += _stats(posterior.max(2)) + _stats(posterior.mean(2))
            v += list(note.mean(1).reshape(-1, 8, 11).mean(2).T)  # activity per register (88 keys)
            v += list(contour.mean(1).reshape(-1, 8, 33).mean(2).T)
            v += [(note.max(2) > 0.5).mean(1), (onset.max(2) > 0.5).mean(1)]
            out.append(np.stack(v, 1))
        return np.concatenate(out).astype(np.float32)

    return features


def periodicity_features(windows: np.ndarray) -> np.ndarray:
    """Per window: statistics of each frame's autocorrelation peak (lags 35-500 Hz), full band and below 400 Hz."""
    n, hop, n_fft, lags = 2048, 512, 4096, torch.arange(44, 631)
    frames = torch.from_numpy(windows).unfold(1, n, hop) * torch.hann_window(n)
    spectrum = torch.fft.rfft(frames, n_fft)
    power = spectrum.real**2 + spectrum.imag**2
    taper = np.correlate(np.hanning(n), np.hanning(n), "full")[n - 1 :][:631]
    taper_t = torch.from_numpy((taper / taper[0]).astype(np.float32)) + 1e-3
    weight = (power.sum(2) / (power.sum((1, 2))[:, None] + 1e-12)).numpy()
    v: list[np.ndarray] = []
    for cut_hz in (None, 400.0):
        p = power if cut_hz is None else power * (torch.fft.rfftfreq(n_fft, 1 / SR) <= cut_hz)
        r = torch.fft.irfft(p, n_fft)[..., :631]
        peak, at = (r / (r[..., :1] + 1e-12) / taper_t)[..., lags].max(2)
        peak_np, lag = peak.clamp(-1, 1.5).numpy(), np.log2(lags[at].numpy().astype(np.float32))
        mean_lag = (weight * lag).sum(1, keepdims=True)
        v += _stats(peak_np) + [(weight * peak_np).sum(1), (peak_np > 0.6).mean(1),
                                np.sqrt((weight * (lag - mean_lag) ** 2).sum(1)), np.abs(np.diff(lag, axis=1)).mean(1)]
    return np.nan_to_num(np.stack(v, 1).astype(np.float32))


class Backbone:
    """The shipped backbone's window features (normalised as in inference, or augmented as in training)."""

    def __init__(self) -> None:
        self.net = backbone_network(DEFAULT_BACKBONE)

    def __call__(self, windows: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        out = []
        for b in range(0, len(windows), 64):
            with torch.inference_mode():
                raw = self.net.frontend.raw(torch.from_numpy(windows[b : b + 64]))
                feats = feature_augment(raw, rng) if rng is not None else self.net.frontend.normalise_window(raw)
                out.append(self.net.embed_features(feats).numpy())
        return np.concatenate(out)


def clip_windows(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A clip's 1 s windows every 0.5 s and earmark's loudness weights for them."""
    windows, _ = frame_windows(load_mono(path, SR), sample_rate=SR, window_s=1.0, hop_s=0.5)
    w = np.array(windows, np.float32)  # a copy: frame_windows gives a read-only view
    rms = np.sqrt((w**2).mean(1))
    return w, np.maximum(rms / (rms.max() + 1e-12), 0.05)


def augmented_head(data: Path, extras: dict[str, WindowFeatures], backbone: Backbone, n_examples: int,
                   seed: int = 0) -> dict[str, Any]:
    """Heads fitted on earmark's augmented windows of train/, scored per clip on each split."""
    dataset = load_dataset(data / "train", sample_rate=SR)
    pools = Pools.from_clips(dataset.clips, dataset.labels, sample_rate=SR, window=WINDOW)
    maker = ExampleMaker(pools, labels=dataset.labels, window=WINDOW, sample_rate=SR, augment=True, seed=seed)
    made = [maker.batch(i, 64) for i in range(n_examples // 64)]
    x = np.concatenate([m[0].numpy() for m in made])
    y = np.concatenate([m[1].numpy() for m in made])
    train = {"backbone": backbone(x, np.random.default_rng(seed)), **{k: f(x) for k, f in extras.items()}}
    tests: dict[str, list[tuple[dict[str, np.ndarray], np.ndarray, str, str]]] = {}
    for split in ("test", "dev", "indomain_test"):
        tests[split] = []
        for item in list_split(data / split):
            w, weight = clip_windows(item.path)
            tests[split].append(({"backbone": backbone(w), **{k: f(w) for k, f in extras.items()}}, weight,
                                 item.label, item.source))
    heads: dict[str, Callable[[], Pipeline]] = {
        "logistic regression": lambda: make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000)),
        "MLP (128)": lambda: make_pipeline(StandardScaler(), MLPClassifier((128,), alpha=1e-3, max_iter=300,
                                                                           random_state=seed)),
    }
    results: dict[str, Any] = {}
    for head_name, head in heads.items():
        for combo in (["backbone"], *(["backbone", k] for k in extras), *([k] for k in extras)):
            clf = head().fit(np.concatenate([train[k] for k in combo], 1), y)
            scores: dict[str, Any] = {}
            for split, clips in tests.items():
                hits, per_source = [], {}
                for feats, weight, label, source in clips:
                    p = clf.predict_proba(np.concatenate([feats[k] for k in combo], 1))
                    hit = dataset.labels[int(((p * weight[:, None]).sum(0)).argmax())] == label
                    hits.append(hit)
                    per_source.setdefault(source, []).append(hit)
                scores[split] = {"accuracy": float(np.mean(hits)),
                                 "per_source": {s: float(np.mean(v)) for s, v in sorted(per_source.items())}}
            results[f"{head_name}: {' + '.join(combo)}"] = scores
            print(f"{head_name}: {' + '.join(combo)}: " + ", ".join(
                f"{s} {r['accuracy']:.1%}" for s, r in scores.items()), flush=True)
    return results


def markdown(probes: dict[str, Any], heads: dict[str, Any], env: dict[str, Any], n_examples: int) -> str:
    lines = ["# Pitch evidence beside the backbone (basic-pitch, autocorrelation)", "",
             f"{env['date']} · {env['cpu_count']} cores · commit {env['git_commit']} · "
             "`benchmarks/pitch_probe.py` (its docstring says what each figure means)", "",
             "Probes (one vector per clip; `feature_probe.py`'s three columns):", "",
             "| features | split | train/ → split | leave one source out | 5-fold CV |", "|---|---|---:|---:|---:|"]
    for name, r in probes.items():
        for split in ("test", "dev"):
            s = r[split]
            lines.append(f"| {name} ({r['dimensions']}) | `{split}/` | {s['train_to_split']:.1%} | "
                         f"{s['leave_one_source_out']:.1%} | {s['cv_mean']:.1%} |")
    lines += ["", f"Heads fitted on {n_examples} augmented windows of train/ made by earmark's ExampleMaker, "
              "clips labelled from their windows weighted by loudness:", "",
              "| head: features | `test/` | `dev/` | in-domain |", "|---|---:|---:|---:|"]
    for name, r in heads.items():
        lines.append(f"| {name} | {r['test']['accuracy']:.1%} | {r['dev']['accuracy']:.1%} | "
                     f"{r['indomain_test']['accuracy']:.1%} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nmp", type=Path, required=True, help="basic-pitch's nmp.onnx (see the docstring)")
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--examples", type=int, default=6000, help="augmented windows for the heads (default %(default)s)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "pitch_probe")
    args = ap.parse_args()
    if not args.nmp.is_file():
        raise SystemExit(f"{args.nmp}: no such file; get basic-pitch's nmp.onnx as the docstring says")
    started = time.perf_counter()
    backbone, uncached = Backbone(), basic_pitch_features(args.nmp)
    seen: dict[bytes, np.ndarray] = {}  # basic-pitch is slow: each clip's windows once, for both feature sets

    def bp(windows: np.ndarray) -> np.ndarray:
        key = windows.tobytes()
        if key not in seen:
            seen[key] = uncached(windows)
        return seen[key]

    def per_clip(f: WindowFeatures) -> Callable[[Any], np.ndarray]:
        return lambda item: f(clip_windows(item.path)[0]).mean(0)

    probes = run(args.data, {"backbone": per_clip(backbone), "basic-pitch": per_clip(bp),
                             "backbone + basic-pitch": per_clip(lambda w: np.concatenate([backbone(w), bp(w)], 1)),
                             "backbone + periodicity": per_clip(
                                 lambda w: np.concatenate([backbone(w), periodicity_features(w)], 1))})
    seen.clear()
    heads = augmented_head(args.data, {"basic-pitch": uncached, "periodicity": periodicity_features}, backbone,
                           args.examples)
    env = {**environment(), "seconds": round(time.perf_counter() - started)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({"environment": env, "probes": probes, "heads": heads},
                                                        indent=2))
    args.out.with_suffix(".md").write_text(markdown(probes, heads, env, args.examples))
    print(f"wrote {args.out.with_suffix('.md')} and .json ({env['seconds']} s)")


if __name__ == "__main__":
    main()
