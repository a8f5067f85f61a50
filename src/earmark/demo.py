"""``earmark demo``: the main job, end to end, on the built-in demo set.

Trains a bass / drums / background classifier on ``demo_data/train`` (rendered from the
MIT-licensed FluidR3 GM soundfont; see ``demo_data/ATTRIBUTION.md``), evaluates it on
``demo_data/test`` (made differently: other tempos, reverb, noise), labels the demo
recording over time, and writes the model and pictures to an output folder.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np

from .atomic import atomic_write, check_replaceable
from .audio import load_audio
from .errors import OutputError
from .evaluate import evaluate
from .pictures import confusion_png, history_png, spectrogram_png, timeline_png
from .train import train
from .trainsettings import TrainSettings

__all__ = ["demo_data_dir", "next_steps", "run_demo"]


def demo_data_dir() -> Path:
    """The folder holding the built-in demo set (``train/``, ``test/``, ``recording.ogg``)."""
    return Path(str(resources.files("earmark") / "demo_data"))


def _agreement(segments: list[dict[str, object]], truth: list[dict[str, object]], duration_s: float) -> float:
    """Fraction of time (10 ms steps) where the timeline's label equals the true label."""
    t = np.arange(0, duration_s, 0.01)

    def labels_at(segs: list[dict[str, object]]) -> np.ndarray:
        out = np.full(t.shape, "", dtype=object)
        for s in segs:
            out[(t >= float(s["start_s"])) & (t < float(s["end_s"]))] = s["label"]  # type: ignore[arg-type]
        return out

    return float(np.mean(labels_at(segments) == labels_at(truth)))


#: What the demo writes into its folder, with the kind of file each may replace (None: the demo's report).
_OUTPUTS: dict[str, str | None] = {"demo.earmark": "earmark model", "timeline.png": "png", "spectrogram.png": "png",
                                   "training_curves.png": "png", "confusion.png": "png", "report.json": None}


def _check_outputs(out: Path) -> None:
    """Before the training: fail if a file the demo writes would replace something else (a recording
    named timeline.png, a report.json of the user's own). A previous demo's files are replaced."""
    for name, kind in _OUTPUTS.items():
        path = out / name
        if kind is not None:
            check_replaceable(path, kind=kind)
        elif path.is_file() and path.stat().st_size and not _is_demo_report(path):
            raise OutputError(f"cannot write {path}: it is not a report of earmark's demo, and writing would "
                              f"replace it; give the demo another folder (--out), or move that file first")


def _is_demo_report(path: Path) -> bool:
    try:
        held = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(held, dict) and {"test", "timeline", "timeline_agreement"} <= held.keys()


def next_steps(model: Path, *, files: Path) -> list[str]:
    """What to try after the demo, as lines to print: label ``files`` (a file or folder) with the
    ``model`` it wrote, and open the studio; paths quoted as a shell needs them."""
    return ["", f"{'try next:':<13}earmark predict {shlex.quote(str(model))} {shlex.quote(str(files))}"
                "   (or your own files and folders)",
            f"{'':<13}earmark studio   (the same in the browser: record and train classes of your own)"]


def run_demo(out: Path, *, epochs: int | None = None, echo: Callable[[str], None] = print) -> dict[str, object]:
    """Run the demo; returns a summary (accuracy, timeline agreement, paths written)."""
    out = Path(out)
    data = demo_data_dir()
    settings = TrainSettings(epochs=30 if epochs is None else epochs, seed=0)
    if out.exists() and not out.is_dir():
        raise OutputError(f"cannot write the demo's output to {out}: it is a file; give a folder")
    try:  # before the training, so that a bad --out fails in a second, not after a minute
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot make the output folder {out}: {exc.strerror or exc}; "
                          "choose a folder you can write to") from exc
    _check_outputs(out)
    echo(f"training on the built-in demo set ({data / 'train'}) …")
    clf = train(data / "train", settings=settings, progress=True)
    model_path = clf.save(out / "demo.earmark")
    report = evaluate(clf, data / "test")
    echo("\nevaluation on the demo test set (other riffs, grooves, rooms):")
    echo(report.format())

    recording = load_audio(data / "recording.ogg", sample_rate=clf.sample_rate)
    tl = clf.timeline(recording.samples, sample_rate=recording.sample_rate)
    truth = json.loads((data / "recording.json").read_text())
    agreement = _agreement([s.to_dict() for s in tl.segments], truth, recording.duration_s)
    echo(f"\ntimeline of the demo recording ({recording.duration_s:.0f} s), {agreement:.0%} of the time right:")
    for seg in tl.segments:
        echo(f"  {seg.start_s:6.2f} – {seg.end_s:6.2f} s  {seg.label:<11} ({seg.confidence:.0%})")
    pictures = {
        "timeline": timeline_png(recording.samples, sample_rate=recording.sample_rate, timeline=tl,
                                 path=out / "timeline.png", title="demo recording"),
        "spectrogram": spectrogram_png(recording.samples, sample_rate=recording.sample_rate,
                                       path=out / "spectrogram.png", title="demo recording"),
        "curves": history_png(clf.manifest.metrics["history"], path=out / "training_curves.png"),
        "confusion": confusion_png(report, path=out / "confusion.png", title="demo test set"),
    }
    summary = {"test": report.to_dict(), "timeline": tl.to_dict(), "timeline_agreement": agreement}
    with atomic_write(out / "report.json") as fh:
        fh.write(json.dumps(summary, indent=2).encode())
    echo(f"\n{'model:':<13}{model_path}")
    for name, path in pictures.items():
        echo(f"{name + ':':<13}{path}")
    echo(f"{'report:':<13}{out / 'report.json'}")
    return {"accuracy": report.accuracy, "timeline_agreement": agreement, "model": str(model_path),
            **{k: str(v) for k, v in pictures.items()}}
