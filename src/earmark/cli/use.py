"""The commands that put a model to work: ``predict``, ``timeline``, ``listen`` and ``info``,
``spectrogram`` to look at a recording, and ``export`` to run a model without earmark."""

from __future__ import annotations

import contextlib
import json
import sys
import unicodedata
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..export import WEB_FILES
from .options import check_output, model_hint
from .runtime import EngineCommand, KeptWarnings, emit_json

if TYPE_CHECKING:
    from ..classifier import Prediction

__all__ = ["export", "info", "listen", "predict", "spectrogram", "timeline"]


@click.command(cls=EngineCommand)
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: model, labels, predictions (each file's label, confidence, probabilities "
                   "and warnings: what decoding it warned of, such as a file cut short or channels that cancel "
                   "out) and errors (the files skipped).")
def predict(model: Path, files: tuple[Path, ...], as_json: bool) -> None:
    """Label each audio file (folders are searched for audio).

    Prints one line per file, tab-separated: the file, its label, and the classes'
    probabilities ("bass 0.93  drums 0.07"). A backslash, tab, newline or other control
    character in a name is written as \\\\, \\t, \\n, \\xNN (--json gives the names as they are).

    Files labelled less surely than the model's sure level (how sure it was of 95% of its right
    validation answers; earmark info prints it) are named on stderr after the list: worth a listen.
    --json gives the level and, per file, "unsure".

    Bad files (and links to nothing) are reported on stderr and skipped; the others are labelled.
    The exit status is then 1, so that a script sees that not every file was labelled (0 when all
    were). Files in a folder that are not audio (by extension) are named on stderr too, as train
    does, but do not change the exit status (--json: "skipped", beside the bad files' "errors").
    """
    from ..classifier import load

    with model_hint("the model goes first (e.g. earmark predict model.earmark take.wav)"):
        clf = load(model)
    not_audio = _not_audio(files)
    predictions: list[Prediction] = []
    failed: list[tuple[str, str]] = []
    with _each_warning_once():  # what decoding warns of: a warning: line as each file is decoded
        for group in _file_groups(files):  # each group's lines as soon as it is scored, not after the last file
            scored, group_failed = clf.predict_files(group)
            predictions += scored
            failed += group_failed
            if not as_json:
                for p in scored:
                    probs = "  ".join(f"{_tsv(k)} {v:.2f}" for k, v in p.probabilities.items())
                    click.echo(f"{_tsv(str(p.source))}\t{_tsv(p.label)}\t{probs}")
    failed += [(str(path), f"{path}: {why}") for path, why in not_audio if why is not None]
    level = clf.sure_level
    unsure = [p for p in predictions if level is not None and p.confidence < level]
    if as_json:
        emit_json({"model": str(model), "labels": clf.labels, "sure_level": None if level is None else round(level, 4),
                   "predictions": [{**p.to_dict(), "unsure": None if level is None else p.confidence < level,
                                    "warnings": p.warnings} for p in predictions],  # [] too
                   "errors": [{"file": f, "error": e} for f, e in failed],
                   "skipped": [{"file": str(path), "reason": _not_audio_reason(path)}  # as stderr names them
                               for path, why in not_audio if why is None]})
    elif unsure and level is not None:
        names = ", ".join(_tsv(str(p.source)) for p in unsure[:10]) + (", …" if len(unsure) > 10 else "")
        click.echo(f"less sure than the model's sure level ({level:.1%}), worth a listen: {len(unsure)} of "
                   f"{len(predictions)} file{'' if len(predictions) == 1 else 's'}: {names}", err=True)
    for f, e in failed:  # the reason names the file already
        click.secho(f"skipped {e if e.startswith(f) else f'{f}: {e}'}", fg="yellow", err=True)
    for path, why in not_audio:
        if why is None:
            click.echo(f"skipped {path}: {_not_audio_reason(path)}", err=True)
    if failed:
        sys.exit(1)


def _file_groups(paths: tuple[Path, ...], *, first: int = 1, most: int = 64) -> Iterator[list[Path]]:
    """``paths`` with their folders' audio files in place of the folders (a folder without audio stays, for
    ``predict_files`` to name), ``first`` at a time, then twice as many, up to ``most`` (a chunk of
    ``predict_files``, so files are scored as many at a time as in one call): the first lines come quickly."""
    from ..dataset import audio_files

    group: list[Path] = []
    size = first
    for given in paths:
        for path in (audio_files(given) or [given]) if given.is_dir() else [given]:
            group.append(path)
            if len(group) == size:
                yield group
                group, size = [], min(2 * size, most)
    if group:
        yield group


@contextlib.contextmanager
def _each_warning_once() -> Iterator[None]:
    """Each warning shown once while it is open, as one ``predict_files`` call shows a file given twice."""
    shown: set[str] = set()
    show = warnings.showwarning

    def once(message: Warning | str, *args: Any, **kwargs: Any) -> None:
        if str(message) not in shown:
            shown.add(str(message))
            show(message, *args, **kwargs)

    with warnings.catch_warnings():
        warnings.showwarning = once
        yield


def _not_audio(paths: tuple[Path, ...]) -> list[tuple[Path, str | None]]:
    """What the folders among ``paths`` hold besides audio: files that are not audio (why: None),
    and links to nothing or unreadable folders (why: the reason)."""
    from ..archive import is_ignored_name
    from ..audio import AUDIO_EXTENSIONS
    from ..dataset import files_under

    found: list[tuple[Path, str | None]] = []
    for folder in paths:
        if folder.is_dir():
            missed: list[tuple[Path, str]] = []
            found += [(p, None) for p in files_under(folder, skip=is_ignored_name, missed=missed)
                      if p.suffix.lower() not in AUDIO_EXTENSIONS]
            found += [(p, why) for p, why in missed]
    return found


def _not_audio_reason(path: Path) -> str:
    return f"not an audio file ({path.suffix or 'no extension'})"


_TSV_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _tsv(text: str) -> str:
    """``text`` as one field of a tab-separated line: a backslash, tab, newline or other control
    character (a class or file may be named with one) escaped as \\\\, \\t, \\n, \\xNN."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(_TSV_ESCAPES.get(c) or (f"\\x{ord(c):02x}" if unicodedata.category(c) == "Cc" else c)
                   for c in text)


@click.command(cls=EngineCommand)
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("recording", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object instead of CSV: model, recording, duration_s, labels, segments, and "
                   "warnings (what decoding the recording warned of, such as a file cut short).")
@click.option("--png", type=click.Path(path_type=Path), default=None,
              help="Also draw spectrogram + label track, as a picture (.png).")
@click.option("--hop-s", type=float, default=None,
              help="Seconds between windows [0.25, or the model's window if shorter].")
@click.option("--smooth-s", type=float, default=1.0, show_default=True, help="Smoothing span in seconds.")
@click.option("--min-segment-s", type=float, default=0.5, show_default=True,
              help="Shortest segment kept; a shorter one joins the neighbour its windows find likelier.")
def timeline(model: Path, recording: Path, as_json: bool, png: Path | None, hop_s: float | None, smooth_s: float,
             min_segment_s: float) -> None:
    """Label a long RECORDING over time, as segments (CSV, or JSON with --json)."""
    from ..audio import load_audio
    from ..classifier import load
    from ..timeline import check_timeline_settings, timeline_hop

    with model_hint("the model goes first (e.g. earmark timeline model.earmark take.wav)"):
        clf = load(model)
    hop_s = timeline_hop(hop_s, window_s=clf.window_s)
    check_timeline_settings(window_s=clf.window_s, hop_s=hop_s, smooth_s=smooth_s, min_segment_s=min_segment_s)
    if png is not None:
        check_output(png, model, recording, suffix=".png", option="--png")
    with KeptWarnings() as kept:  # shown on stderr as well
        audio = load_audio(recording, sample_rate=clf.sample_rate)
    tl = clf.timeline(audio.samples, sample_rate=audio.sample_rate, hop_s=hop_s, smooth_s=smooth_s,
                      min_segment_s=min_segment_s)
    if png is not None:
        from ..pictures import timeline_png

        timeline_png(audio.samples, sample_rate=audio.sample_rate, timeline=tl, path=png, title=recording.name)
        click.echo(f"picture written to {png}", err=True)
    if as_json:
        emit_json({"model": str(model), "recording": str(recording), **tl.to_dict(), "warnings": kept.messages})
    else:
        click.echo(tl.to_csv(), nl=False)


@click.command(cls=EngineCommand)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--png", "--out", "png", type=click.Path(path_type=Path), default=None,
              help="Picture to write (.png) [FILE's name with .png, beside it: take.wav draws take.png].")
def spectrogram(file: Path, png: Path | None) -> None:
    """Draw the full-band mel spectrogram of FILE as a picture (.png)."""
    from ..audio import load_audio
    from ..pictures import spectrogram_png

    if png is None:
        png = file.with_suffix(".png")
    check_output(png, file, suffix=".png", option="--png")
    audio = load_audio(file)
    spectrogram_png(audio.samples, sample_rate=audio.sample_rate, path=png, title=file.name)
    click.echo(f"spectrogram written to {png}")


def _above_zero(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """``value`` if it is above 0: ``nan`` passes a float range."""
    if value is not None and not value > 0:
        raise click.BadParameter(f"{value} is not a number of seconds above 0; give e.g. 10")
    return value


@click.command(cls=EngineCommand)
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--input", "input_file", type=click.Path(path_type=Path), default=None,
              help="Play this file as if it were live, instead of the microphone.")
@click.option("--hop-s", type=float, default=0.1, show_default=True, help="Seconds between predictions.")
@click.option("--seconds", type=click.FloatRange(min=0, min_open=True), default=None, callback=_above_zero,
              help="Stop after this many seconds.")
@click.option("--fast", is_flag=True, help="With --input: do not wait in real time.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def listen(model: Path, input_file: Path | None, hop_s: float, seconds: float | None, fast: bool,
           as_json: bool) -> None:
    """Classify live audio from the microphone (or --input FILE), printing every --hop-s."""
    import numpy as np

    from ..classifier import load
    from ..live import file_chunks, microphone_chunks

    if fast and input_file is None:
        raise click.UsageError("--fast only applies with --input FILE; a microphone runs in real time")
    with model_hint("to label a recording, give it with --input (e.g. earmark listen model.earmark --input take.wav)"):
        clf = load(model)
    clf.stream(sample_rate=clf.sample_rate, hop_s=hop_s)  # --hop-s checked against the model before any audio
    if input_file is not None:
        chunks, rate = file_chunks(input_file, chunk_s=hop_s, realtime=not fast)
    else:
        chunks, rate = microphone_chunks(chunk_s=hop_s)
    stream = clf.stream(sample_rate=rate, hop_s=hop_s)
    source = "the microphone" if input_file is None else \
        f"{input_file.name}{' as fast as it decodes' if fast else ' as if live'}"
    click.echo(f"listening to {source} ({rate} Hz) with {model.name} ({', '.join(clf.labels)}): a line every "
               f"{hop_s:g} s; Ctrl-C stops", err=True)

    def show(predictions: list[Prediction]) -> None:
        for p in predictions:
            if as_json:
                click.echo(json.dumps(p.to_dict()))
            else:
                bars = "  ".join(f"{k} {v:4.2f}" for k, v in p.probabilities.items())
                click.echo(f"{p.time_s:7.2f}s  {p.label:<12} {bars}")

    for chunk in chunks:
        show(stream.feed(chunk))
        if seconds is not None and stream.time_s >= seconds:
            break
    else:  # the file ended: its last fraction of a hop is heard too
        show(stream.finish())
    if stream.compute_s:
        n = len(stream.compute_s)
        click.echo(f"{n} prediction{'s' if n != 1 else ''}, median compute "
                   f"{1000 * float(np.median(stream.compute_s)):.1f} ms each", err=True)


@click.command(cls=EngineCommand)
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Print the whole manifest as one JSON object: labels, settings, features, architecture, "
                   "training settings, metrics (validation report, history) and dataset.")
def info(model: Path, as_json: bool) -> None:
    """Check a model file and say what it is: its classes, sample rate, window and hop, when and by which
    earmark it was made, its network and training, the clips it learnt from and its validation accuracy
    (overall and per class), and what its training warned of (a class of one recording, a class it mostly
    gets wrong...). --json prints the whole manifest."""
    from ..classifier import load
    from ..evaluate import training_warnings
    from ..report import model_summary

    clf = load(model)
    manifest = clf.manifest
    if as_json:
        emit_json(manifest.to_dict())
        return
    click.echo(model_summary(manifest, name=model.name))
    report = clf.validation_report
    for warning in dict.fromkeys([*training_warnings(manifest.dataset), *(report.warnings() if report else [])]):
        click.echo("warning: " + " ".join(warning.split()))


@click.command(cls=EngineCommand)
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path),
              help="The ONNX file to write (.onnx); this or --web is required.")
@click.option("--web", type=click.Path(path_type=Path),
              help=f"Instead: a new folder for a web page that runs the model in the browser ({', '.join(WEB_FILES)}); "
                   "serve it over http(s).")
@click.option("--name", default=None, help="With --web: the page's title (default: the model file's name).")
@click.option("--runtime-url", default=None,
              help="With --web: where the page loads onnxruntime-web from (default: the jsDelivr CDN; "
                   "./ort.wasm.min.mjs for a copy hosted beside it).")
def export(model: Path, out: Path | None, web: Path | None, name: str | None, runtime_url: str | None) -> None:
    """Export MODEL for deployment: one ONNX file (--out) that runs with onnxruntime, without earmark or
    PyTorch, or a web page (--web) that runs it in the browser. Give one of the two: --out FILE.onnx
    or --web FOLDER.

    The graph takes windows of mono audio at the model's rate, 'waveform' (batch, window
    samples), and gives 'probabilities' (batch, classes); the file's metadata holds the
    labels, sample rate, window, hop and how earmark labels a whole clip (docs/deploy.md).
    """
    from ..classifier import load
    from ..export import ORT_WEB_URL, export_onnx, export_web

    if (out is None) == (web is None):
        raise click.UsageError("give --out FILE.onnx for an ONNX file, or --web FOLDER for a web page (one of them)")
    if web is None and (name is not None or runtime_url is not None):
        raise click.UsageError("--name and --runtime-url go with --web")
    clf = load(model)
    if web is not None:
        # checks that it can write the folder before the seconds of work
        export_web(clf, web, name=model.stem if name is None else name,
                   runtime_url=ORT_WEB_URL if runtime_url is None else runtime_url)
        click.echo(f"wrote a web page for {', '.join(clf.labels)} to {web}/ ({', '.join(WEB_FILES)}); "
                   f"serve it over http(s), e.g. python3 -m http.server -d {web}")
        return
    assert out is not None
    check_output(out, model, suffix=".onnx")
    export_onnx(clf, out)  # checks that it can write `out` before the seconds of work
    click.echo(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB): input 'waveform' float32 "
               f"(batch, {clf.window_samples}), "
               f"mono at {clf.sample_rate} Hz; output 'probabilities' (batch, {len(clf.labels)}): "
               f"{', '.join(clf.labels)}")
