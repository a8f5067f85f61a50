"""The earmark benchmark: cross-domain and in-domain accuracy, speed, size, memory.

For each seed (default 0 1 2) a fresh subprocess trains earmark on
``train/`` and measures, so peak memory is per run:

* cross-domain accuracy / macro-F1 on ``test/``, in-domain accuracy on
  ``indomain_test/``, and cross-domain accuracy on ``dev/``, the development split
  from yet other sources that choices are steered by (``earmark.evaluate``);
* training wall time (``earmark.train``, decode included);
* batch inference speed: test-set audio seconds / wall time of
  ``earmark.evaluate(clf, test_dir)`` (decode included);
* streaming compute per prediction: a long file (test clips back to back) fed
  in 100 ms chunks to ``clf.stream``; total feed time / predictions returned;
* model file size (``clf.save``), peak RSS during training and overall;
* single one-shots from another source (lmms-common's bass notes and drum hits,
  the same files ``make_data.py`` sequences into test phrases): the share labelled
  right. The cross-domain test holds phrases, loops and grooves; this checks
  that a lone short note is not taken for a drum hit.

The baselines (``baselines.py``) run on the same splits.  Results go to
``benchmarks/results/benchmark.{json,md}`` (``quick.{json,md}`` with
``--quick``).

Usage::

    .venv/bin/python benchmarks/run_benchmark.py [--data DIR] [--seeds 0 1 2] [--quick] [--skip-baselines]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import CLASSES, HERE, Item, format_confusion, list_split, load_mono, pct, per_source_accuracy  # noqa: E402

TARGETS = {
    "cross_domain_accuracy": ("≥", 0.95, "worst seed"),
    "indomain_accuracy": ("≥", 0.99, "worst seed"),
    "train_seconds": ("≤", 60.0, "worst seed"),
    "x_realtime": ("≥", 500.0, "worst seed"),
    "stream_ms_per_prediction": ("≤", 10.0, "worst seed"),
}
STREAM_CHUNK_S = 0.1
STREAM_SECONDS = 120.0


# ------------------------------------------------------------ one seed --


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def long_signal(items: list[Item], sr: int, seconds: float) -> np.ndarray:
    """Test clips back to back (interleaving classes) up to ``seconds``."""
    by_class = {c: [it for it in items if it.label == c] for c in CLASSES}
    order = [it for group in zip(*by_class.values(), strict=False) for it in group]
    parts, total = [], 0
    for it in order:
        x = load_mono(it.path, sr)
        parts.append(x)
        total += len(x)
        if total >= seconds * sr:
            break
    return np.concatenate(parts)[: int(seconds * sr)]


def measure_stream(clf: Any, signal: np.ndarray, sr: int) -> dict[str, float]:
    stream = clf.stream(sample_rate=sr)
    chunk = int(STREAM_CHUNK_S * sr)
    for start in range(0, min(len(signal), 2 * sr), chunk):  # warm-up, not timed
        stream.feed(signal[start : start + chunk])
    stream = clf.stream(sample_rate=sr)
    n_pred, worst_chunk, total = 0, 0.0, 0.0
    for start in range(0, len(signal) - chunk + 1, chunk):
        piece = np.ascontiguousarray(signal[start : start + chunk], dtype=np.float32)
        t0 = time.perf_counter()
        preds = stream.feed(piece)
        dt = time.perf_counter() - t0
        total += dt
        worst_chunk = max(worst_chunk, dt)
        n_pred += len(preds)
    return {
        "stream_ms_per_prediction": 1000.0 * total / max(1, n_pred),
        "stream_predictions": n_pred,
        "stream_worst_chunk_ms": 1000.0 * worst_chunk,
        "stream_audio_seconds": len(signal) / sr,
    }


def per_source_from_report(items: list[Item], report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    wrong = {Path(str(m["file"]).split("@")[0]).name: str(m["predicted"]) for m in report["misclassified"]}
    pred = [wrong.get(it.path.name, it.label) for it in items]
    return per_source_accuracy(items, pred)


def source_hash(package_dir: Path) -> str:
    """Short hash of the package's .py files and shipped backbones: shows whether every seed ran
    the same code and started from the same weights."""
    digest = hashlib.sha256()
    files = [*package_dir.rglob("*.py"), *package_dir.glob("backbones/*.safetensors")]
    for path in sorted(files):
        digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def oneshot_items() -> list[Item]:
    """lmms-common's bass one-shots and drum hits (as listed by make_data.py), each file once."""
    import make_data as md  # noqa: PLC0415 - the data builder's lists of lmms files

    drums = {q for patterns in md.LMMS_DRUMS.values() for g in patterns
             for q in (md.LMMS / "drums").glob(g if g.endswith(".ogg") else f"{g}.ogg")}
    items = [Item(md.LMMS / name, "bass") for name in md.LMMS_BASS_ONESHOTS]
    return items + [Item(q, "drums") for q in sorted(drums)]


def measure_oneshots(clf: Any) -> dict[str, Any]:
    """Share of single lmms bass notes labelled bass and drum hits labelled drums."""
    import soxr  # noqa: PLC0415
    import synth_tools as st  # noqa: PLC0415 - decodes lmms' odd files (sox), at st.SR

    def decode(path: Path) -> np.ndarray:
        y = st.load_audio(path)
        return y if st.SR == clf.sample_rate else soxr.resample(y, st.SR, clf.sample_rate)

    # lmms ships an empty file: skip it
    audio = [(it, y) for it in oneshot_items() if (y := decode(it.path).astype(np.float32)).size]
    items = [it for it, _ in audio]
    probs = clf.predict_clips([y for _, y in audio])
    pred = [clf.labels[i] for i in probs.argmax(axis=1)]
    out: dict[str, Any] = {}
    for label in ("bass", "drums"):
        mine = [p for it, p in zip(items, pred, strict=True) if it.label == label]
        out[f"oneshot_{label}_accuracy"] = mine.count(label) / len(mine)
        out[f"oneshot_{label}_n"] = len(mine)
    return out


def machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (``/proc/stat``), or None where
    there is no such file."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    ticks = [int(v) for v in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (the training's example workers)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def run_seed(data: Path, seed: int, backbone: str = "auto") -> dict[str, Any]:
    """Train and measure one seed (runs inside a fresh subprocess)."""
    import earmark  # noqa: PLC0415

    result: dict[str, Any] = {
        "seed": seed,
        "earmark_version": getattr(earmark, "__version__", "?"),
        "earmark_source_hash": source_hash(Path(earmark.__file__).parent),
    }
    busy0, own0, wall0 = machine_busy_seconds(), own_cpu_seconds(), time.perf_counter()
    rss0 = peak_rss_mb()
    t0 = time.perf_counter()
    settings = earmark.TrainSettings(seed=seed, backbone=backbone)
    clf = earmark.train(data / "train", settings=settings, progress=False)
    result["train_seconds"] = time.perf_counter() - t0
    result["backbone"] = clf.manifest.training.get("backbone", "none")
    result["peak_rss_train_mb"] = peak_rss_mb()
    result["rss_before_train_mb"] = rss0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.earmark"
        saved = clf.save(path)
        result["model_bytes"] = os.path.getsize(saved if saved else path)

    test_items = list_split(data / "test")
    for split, key in (("test", "cross"), ("indomain_test", "indomain"), ("dev", "dev")):
        t1 = time.perf_counter()
        report = earmark.evaluate(clf, data / split)
        wall = time.perf_counter() - t1
        rep = report.to_dict()
        result[f"{key}_accuracy"] = float(report.accuracy)
        result[f"{key}_macro_f1"] = float(report.macro_f1)
        result[f"{key}_report"] = {k: rep[k] for k in ("per_class", "confusion", "n_clips", "skipped")}
        result[f"{key}_eval_seconds"] = wall
        if split == "test":  # the batch-inference speed is the test set's
            audio_s = sum(len(load_mono(it.path, clf.sample_rate)) for it in test_items) / clf.sample_rate
            result["x_realtime"] = audio_s / wall
            result["test_audio_seconds"] = audio_s
            result["per_source"] = per_source_from_report(test_items, rep)
            result["misclassified"] = rep["misclassified"]
        if split == "dev":
            result["dev_per_source"] = per_source_from_report(list_split(data / split), rep)
    result.update(measure_oneshots(clf))
    sr = clf.sample_rate
    result.update(measure_stream(clf, long_signal(test_items, sr, STREAM_SECONDS), sr))
    result["peak_rss_mb"] = peak_rss_mb()
    busy1, own1, wall = machine_busy_seconds(), own_cpu_seconds(), time.perf_counter() - wall0
    if busy0 is not None and busy1 is not None:  # how much of the machine others used meanwhile
        result["others_cpu_share"] = max(0.0, (busy1 - busy0) - (own1 - own0)) / (wall * (os.cpu_count() or 1))
    return result


def run_seed_subprocess(data: Path, seed: int, backbone: str = "auto") -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "seed.json"
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--_worker",
            str(seed),
            "--data",
            str(data),
            "--_out",
            str(out),
            "--_backbone",
            backbone,
        ]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr or proc.stdout).strip()[-2000:]
            return {"seed": seed, "error": f"seed {seed} failed (exit {proc.returncode}):\n{tail}"}
        result = json.loads(out.read_text())
        result["subprocess_seconds"] = time.perf_counter() - t0
        return result


def run_seeds(data: Path, seeds: list[int], backbone: str, errors: list[str]) -> list[dict[str, Any]]:
    """Each seed in its own subprocess; a failed seed's message goes to ``errors``."""
    what = "earmark" if backbone == "auto" else f"earmark with backbone {backbone!r}"
    runs = []
    for seed in seeds:
        print(f"run_benchmark: training {what}, seed {seed} ...", flush=True)
        r = run_seed_subprocess(data, seed, backbone)
        if "error" in r:
            print(r["error"], file=sys.stderr)
            errors.append(r["error"])
            continue
        runs.append(r)
        print(
            f"  seed {seed}: cross {pct(r['cross_accuracy'])}, in-domain {pct(r['indomain_accuracy'])}, "
            f"dev {pct(r['dev_accuracy'])}, "
            f"train {r['train_seconds']:.1f} s, {r['x_realtime']:.0f}x real time",
            flush=True,
        )
    return runs


# -------------------------------------------------------------- report --

SEED_COLUMNS = [
    ("cross_domain acc", "cross_accuracy", pct),
    ("cross macro-F1", "cross_macro_f1", pct),
    ("in-domain acc", "indomain_accuracy", pct),
    ("dev acc", "dev_accuracy", pct),
    ("1-shot bass", "oneshot_bass_accuracy", pct),
    ("1-shot drums", "oneshot_drums_accuracy", pct),
    ("train s", "train_seconds", lambda v: f"{v:.1f}"),
    ("x realtime", "x_realtime", lambda v: f"{v:.0f}x"),
    ("stream ms/pred", "stream_ms_per_prediction", lambda v: f"{v:.2f}"),
    ("model KiB", "model_bytes", lambda v: f"{v / 1024:.0f}"),
    ("peak RSS MB", "peak_rss_mb", lambda v: f"{v:.0f}"),
]


def spread(runs: list[dict[str, Any]], key: str) -> dict[str, float]:
    vals = [float(r[key]) for r in runs]
    return {"min": min(vals), "mean": float(np.mean(vals)), "max": max(vals)}


def target_checks(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = {"cross_domain_accuracy": "cross_accuracy", "indomain_accuracy": "indomain_accuracy"}
    checks = []
    for name, (op, target, scope) in TARGETS.items():
        vals = [float(r[keys.get(name, name)]) for r in runs]
        worst = min(vals) if op == "≥" else max(vals)
        ok = worst >= target if op == "≥" else worst <= target
        checks.append({"target": name, "op": op, "value": target, "worst": worst, "pass": ok, "scope": scope})
    return checks


def fmt_target(c: dict[str, Any]) -> str:
    is_acc = "accuracy" in str(c["target"])
    show = (lambda v: pct(float(v))) if is_acc else (lambda v: f"{float(v):.2f}")
    verdict = "PASS" if c["pass"] else "FAIL"
    return f"{verdict}  {c['target']:<26} {c['op']} {show(c['value']):>8}   worst seed: {show(c['worst'])}"


def seed_table(runs: list[dict[str, Any]], markdown: bool = False) -> str:
    heads = ["seed"] + [h for h, _, _ in SEED_COLUMNS]
    rows = [[str(r["seed"])] + [f(r[k]) for _, k, f in SEED_COLUMNS] for r in runs]
    for stat in ("min", "mean", "max"):
        rows.append([stat] + [f(spread(runs, k)[stat]) for _, k, f in SEED_COLUMNS])
    if markdown:
        lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
    line = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    return "\n".join([line(heads), "-" * (sum(widths) + 2 * len(widths))] + [line(r) for r in rows])


def worst_seed_details(worst: dict[str, Any]) -> str:
    rep = worst["cross_report"]
    assert isinstance(rep, dict)
    recall = ", ".join(f"{c} {pct(v['recall'])}" for c, v in rep["per_class"].items())
    conf = {"confusion": {"classes": rep["confusion"]["labels"], "rows_true_cols_pred": rep["confusion"]["matrix"]}}
    def lines(sources: dict[str, dict[str, Any]]) -> list[str]:
        return [f"  {k:<28} n={v['n']:<3} acc {pct(v['accuracy']):>6}  "
                + (f"mostly → {v['mostly_wrong_as']}" if v["mostly_wrong_as"] else "") for k, v in sources.items()]

    return "\n".join(
        [
            f"worst seed {worst['seed']}: cross-domain recall: {recall}",
            format_confusion(conf),
            "per test sub-source:",
            *lines(worst["per_source"]),
            f"per dev sub-source (same seed; dev accuracy {pct(worst['dev_accuracy'])}):",
            *lines(worst["dev_per_source"]),
        ]
    )


def baseline_rows(baselines: list[dict[str, Any]], markdown: bool) -> str:
    from baselines import BASELINE_COLUMNS, baseline_cells, format_table  # noqa: PLC0415

    if not markdown:
        return format_table(baselines)
    lines = ["| " + " | ".join(BASELINE_COLUMNS) + " |", "|" + "---|" * len(BASELINE_COLUMNS)]
    lines += ["| " + " | ".join(baseline_cells(r)) + " |" for r in baselines]
    return "\n".join(lines)


def environment() -> dict[str, Any]:
    try:
        import torch  # noqa: PLC0415

        torch_version = str(torch.__version__)
    except ImportError:
        torch_version = "n/a"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    # code changed since that commit (results files and Markdown aside) means the figures are not that commit's
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--", ".", ":!benchmarks/results", ":!*.md"], capture_output=True,
        text=True, cwd=HERE.parent,
    ).stdout.strip()
    if commit and changed:
        commit += " + uncommitted changes"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_count": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch_version,
        "git_commit": commit or "uncommitted",
    }


#: Above this share of the machine's CPU time taken by other processes during a seed, its timings are flagged.
OTHERS_CPU_SHARE_LIMIT = 0.1


def run_warnings(runs: list[dict[str, Any]]) -> list[str]:
    """Things that make the numbers less comparable: code changes mid-run, a busy machine."""
    warnings = []
    hashes = sorted({str(r.get("earmark_source_hash")) for r in runs})
    if len(hashes) > 1:
        warnings.append(
            f"earmark's source changed during the run (hashes {', '.join(hashes)}); seeds are not comparable"
        )
    # Not the load average: earmark's own example workers raise it. What counts is how much of the
    # machine other processes took while a seed ran.
    busy = {r["seed"]: r["others_cpu_share"] for r in runs if r.get("others_cpu_share", 0) > OTHERS_CPU_SHARE_LIMIT}
    if busy:
        shares = ", ".join(f"seed {seed}: {share:.0%}" for seed, share in busy.items())
        warnings.append(f"other processes used more than {OTHERS_CPU_SHARE_LIMIT:.0%} of the machine ({shares}); "
                        "timings inflated")
    return warnings


def markdown_report(summary: dict[str, Any]) -> str:
    runs = summary["runs"]
    assert isinstance(runs, list)
    env = summary["environment"]
    parts = [
        "# earmark benchmark results",
        "",
        f"{env['date']} · {env['cpu_count']} CPU cores · Python {env['python']} · "
        f"torch {env['torch']} · commit {env['git_commit']}",
        f"Data: `{summary['data']}` (see benchmarks/README.md). Seeds: {summary['seeds']}.",
        "earmark source hash per seed: " + ", ".join(f"{r['seed']}: `{r.get('earmark_source_hash')}`" for r in runs),
        "",
        *[f"**Warning:** {w}" for w in summary.get("warnings", [])],
        "",
        "## earmark per seed",
        "",
        seed_table(runs, markdown=True),
        "",
        "## targets",
        "",
        *[f"- {fmt_target(c)}" for c in summary["targets"]],
        "",
        "## worst seed failure modes",
        "",
        "```",
        worst_seed_details(summary["worst_seed"]),
        "```",
    ]
    if summary.get("scratch_runs"):
        parts += ["", "## earmark from scratch (backbone 'none'): what the pretrained backbone adds", "",
                  seed_table(summary["scratch_runs"], markdown=True)]
    if summary.get("baselines"):
        parts += ["", "## baselines (same splits)", "", baseline_rows(summary["baselines"], markdown=True)]
    if summary.get("errors"):
        parts += ["", "## errors", "", *[f"```\n{e}\n```" for e in summary["errors"]]]
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------- main --


def ensure_data(data: Path) -> None:
    if all((data / s).is_dir() for s in ("train", "test", "indomain_test", "dev")):
        return
    print(f"run_benchmark: {data} is incomplete; building it with make_data.py ...", flush=True)
    import make_data  # noqa: PLC0415

    make_data.main(["--out", str(data)])


def compact_run(r: dict[str, Any]) -> dict[str, Any]:
    """Drop bulky fields (the misclassified list) from the saved JSON except for the worst seed."""
    return {k: v for k, v in r.items() if k != "misclassified"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark earmark against targets and baselines.")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="one seed (the first), results to results/quick.*")
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--_worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--skip-scratch", action="store_true",
                        help="skip earmark trained from scratch (backbone 'none'), the ablation of the backbone")
    parser.add_argument("--_out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--_backbone", default="auto", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    data = args.data.resolve()

    if args._worker is not None:
        args._out.write_text(json.dumps(run_seed(data, args._worker, args._backbone)))
        return 0

    ensure_data(data)
    seeds = args.seeds[:1] if args.quick else args.seeds
    errors: list[str] = []
    runs = run_seeds(data, seeds, "auto", errors)
    scratch = [] if args.skip_scratch else [compact_run(r) for r in run_seeds(data, seeds, "none", errors)]

    baselines: list[dict[str, Any]] = []
    if not args.skip_baselines:
        from baselines import run_baselines  # noqa: PLC0415

        baselines = run_baselines(data)

    summary: dict[str, Any] = {
        "environment": environment(),
        "data": str(data.relative_to(HERE.parent)) if data.is_relative_to(HERE.parent) else str(data),
        "seeds": seeds,
        "quick": args.quick,
        "errors": errors,
        "baselines": baselines,
        "scratch_runs": scratch,
    }
    warnings = run_warnings(runs)
    summary["warnings"] = warnings
    for w in warnings:
        print("WARNING: " + w, file=sys.stderr)
    if runs:
        worst = min(runs, key=lambda r: float(r["cross_accuracy"]))
        summary.update(
            runs=[compact_run(r) for r in runs],
            spread={k: spread(runs, k) for _, k, _ in SEED_COLUMNS},
            targets=target_checks(runs),
            worst_seed=worst,
        )
        print("\n" + seed_table(runs))
        print("\nTargets:")
        for c in summary["targets"]:
            print("  " + fmt_target(c))
        print("\n" + worst_seed_details(worst))
    if scratch:
        print("\nearmark from scratch (backbone 'none'), the backbone's ablation:\n" + seed_table(scratch))
    if baselines:
        print("\nBaselines (same splits):\n" + baseline_rows(baselines, markdown=False))

    args.results.mkdir(parents=True, exist_ok=True)
    stem = "quick" if args.quick else "benchmark"
    (args.results / f"{stem}.json").write_text(json.dumps(summary, indent=1, default=str))
    if runs:
        (args.results / f"{stem}.md").write_text(markdown_report(summary))
    print(f"\nwrote {args.results / (stem + '.json')}" + (f" and {stem}.md" if runs else ""))
    return 1 if errors and not runs else 0


if __name__ == "__main__":
    raise SystemExit(main())
