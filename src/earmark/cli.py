"""The ``earmark`` command: a thin shell over the library.

Each command parses options, calls the library, and prints. Library errors
(:class:`~earmark.errors.EarmarkError`) become one line on stderr and exit status 1;
usage errors exit with 2. No tracebacks for mistakes a user can make.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
import time
import unicodedata
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ._version import __version__
from .atomic import check_writable
from .errors import AudioWarning, EarmarkError, OutputError, ParameterError
from .export import WEB_FILES

if TYPE_CHECKING:
    from .classifier import Prediction
    from .dataset import Dataset

__all__ = ["main"]


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    """Warnings earmark issues (:class:`~earmark.errors.AudioWarning`) as one ``warning:`` line, like
    training's; any other warning as Python shows it."""
    if issubclass(category, AudioWarning):
        click.echo(f"warning: {' '.join(str(message).split())}", err=True)
    else:
        _python_show_warning(message, category, filename, lineno, file, line)


_python_show_warning = warnings.showwarning


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", AudioWarning)  # every file cut short is named, not only the first
                warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except EarmarkError as exc:
            message = " ".join(str(exc).split())  # always one line
            click.secho(f"Error: {message}", fg="red", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:  # the reader went away (`earmark listen … | head`): stop quietly
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)


def _emit_json(obj: Any) -> None:
    from .evaluate import finite

    text = json.dumps(finite(obj), indent=2, ensure_ascii=False, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a file name with bytes that are not UTF-8: escape it, so the output stays JSON
        text = json.dumps(finite(obj), indent=2, ensure_ascii=True, allow_nan=False)
    click.echo(text)


class _FirstInterruptStops:
    """While training: a first Ctrl-C (SIGINT) asks to stop after this epoch and keep the model;
    a second one aborts: KeyboardInterrupt, and nothing is written. The handler before it comes
    back afterwards.

    Presses are counted from a wakeup pipe, which gets one byte per signal: Python runs a handler
    once for two signals that arrive while the main thread is inside one long call (a torch
    operation), and a KeyboardInterrupt raised where Python only reports it (a ``__del__``, such
    as a data loader's shutting down its workers) is lost. So the count is also checked on the
    way out, and a second press aborts even then."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._previous: Any = None
        self._previous_fd = -1
        self._previous_hook = sys.unraisablehook
        self._pipe: tuple[int, int] | None = None
        self.presses = 0

    def _count(self) -> int:
        """Ctrl-C presses since the last count, from the bytes (signal numbers) in the pipe."""
        if self._pipe is None:
            return 0
        seen = b""
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while chunk := os.read(self._pipe[0], 512):
                seen += chunk
        return seen.count(bytes([signal.SIGINT]))

    def _handle(self, signum: int, frame: Any) -> None:
        self.presses += max(1, self._count())  # this call's signal is in the pipe already
        if self.presses >= 2:
            raise KeyboardInterrupt
        self._event.set()
        click.echo("\nCtrl-C: stopping after this epoch and keeping the model (Ctrl-C again to abort)", err=True)

    def __enter__(self) -> threading.Event:
        if threading.current_thread() is threading.main_thread():  # signals reach only the main thread
            self._pipe = os.pipe()
            for fd in self._pipe:
                os.set_blocking(fd, False)
            self._previous_fd = signal.set_wakeup_fd(self._pipe[1], warn_on_full_buffer=False)
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._previous_hook = sys.unraisablehook
            sys.unraisablehook = self._unraisable
        return self._event

    def _unraisable(self, info: Any) -> None:
        """A second press that lands in a ``__del__`` is counted, not shown as a traceback."""
        if not isinstance(info.exc_value, KeyboardInterrupt):
            self._previous_hook(info)

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if self._pipe is None:
            return
        self.presses += self._count()  # presses whose handler has not run yet, or whose interrupt was lost
        signal.signal(signal.SIGINT, self._previous)
        signal.set_wakeup_fd(self._previous_fd)
        sys.unraisablehook = self._previous_hook
        for fd in self._pipe:
            os.close(fd)
        self._pipe = None
        if self.presses >= 2 and exc_type is None:
            raise KeyboardInterrupt


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="earmark")
def main() -> None:
    """earmark: teach a computer to recognise sounds from your own examples.

    Datasets are folders with one subfolder per class (or a zip of one); the folder
    'background' (or 'Background Noise', '_background_noise_') is the background-noise class.
    """


F = TypeVar("F", bound=Callable[..., Any])


#: The suffix of each kind of file the command writes, and what it is, for the message.
_SUFFIXES = {".earmark": "an earmark model", ".onnx": "an ONNX model", ".png": "a PNG picture"}


def _check_output(out: Path, *inputs: Path, suffix: str, option: str = "--out") -> None:
    """Fail before any work if ``out`` cannot be written, is one of the command's ``inputs`` (a
    swapped argument would replace the model or recording being read), is an audio file
    (earmark writes models, pictures and exports, never over a recording), or is not named with
    the ``suffix`` of what is written there (a PNG named s.svg, an ONNX file named m.txt)."""
    from .audio import AUDIO_EXTENSIONS

    check_writable(out)
    for source in inputs:
        with contextlib.suppress(OSError):
            if out.exists() and source.exists() and os.path.samefile(out, source):
                raise OutputError(f"cannot write {out}: it is the input {source}, which writing would replace; "
                                  "give the output another name")
    if out.is_file() and out.suffix.lower() in AUDIO_EXTENSIONS and _holds_audio(out):
        raise OutputError(f"cannot write {out}: it is an audio file, which earmark does not replace with "
                          "a model or a picture; give the output another name")
    if out.suffix.lower() != suffix:
        raise OutputError(f"cannot write {out}: {option} writes {_SUFFIXES[suffix]}, so its name must end in "
                          f"{suffix}; give a name such as {out.with_suffix(suffix).name if out.stem else 'x' + suffix}")


def _holds_audio(path: Path) -> bool:
    """Whether ``path`` decodes as audio (from its header): a model once written as ``model.wav``
    may be written again."""
    from .audio import probe

    return probe(path)[1] > 0  # (0.0, 0): not audio


def _clip_options(command: F) -> F:
    """--clip-s / --clip-hop-s: how recordings longer than 12 s are cut into clips."""
    command = click.option("--clip-hop-s", type=float, default=None,
                           help="Seconds between clip starts when cutting long recordings [= --clip-s].")(command)
    return click.option("--clip-s", type=float, default=None,
                        help="Length of the clips long recordings (> 12 s) are cut into [4.0].")(command)


def _load_set(path: Path, *, sample_rate: int, clip_s: float | None, clip_hop_s: float | None,
              test: bool = False) -> Dataset:
    """Load a dataset (``test``: a project's test set), reporting skipped files on stderr as they are found."""
    from .dataset import load_dataset

    return load_dataset(path, sample_rate=sample_rate, test=test,
                        clip_s=4.0 if clip_s is None else clip_s, clip_hop_s=clip_hop_s,
                        on_skip=lambda s: click.echo(f"skipped {s.path}: {s.reason}", err=True))


@main.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="Model file to write (.earmark).")
@click.option("--epochs", type=int, default=None, help="Passes over the data [24].")
@click.option("--batch-size", type=int, default=None, help="Examples per step [64].")
@click.option("--learning-rate", type=float, default=None,
              help="Peak learning rate [0.003; 0.001 with --tune-backbone].")
@click.option("--window-s", type=float, default=None, help="Seconds of audio the model hears at once [1.0].")
@click.option("--seed", type=int, default=None, help="Random seed [0].")
@click.option("--arch", type=click.Choice(["cnn", "tiny"]), default=None, help="Network size [cnn].")
@click.option("--backbone", default=None, metavar="NAME",
              help="Where training starts: auto (earmark's pretrained backbone where it fits the network), "
                   "none (random weights) or a shipped backbone's name [auto].")
@click.option("--tune-backbone", is_flag=True,
              help="Fine-tune the backbone's weights too (default: keep them frozen, train the classifier on "
                   "top, and keep the backbone's concept head; see 'How it learns' in the README).")
@click.option("--head-hidden", type=int, default=None, metavar="N",
              help="Hidden units in the classifier head, 0 for a linear head [128 on a frozen backbone, else 0].")
@click.option("--no-augment", is_flag=True, help="Train on the clips as they are (not recommended).")
@click.option("--allow-no-background", is_flag=True, help="Train without a background-noise class.")
@click.option("--json", "as_json", is_flag=True, help="Print the validation report as one JSON object.")
@click.option("--steps-per-epoch", type=int, default=None, hidden=True,
              help="Optimiser steps per epoch (0: from the dataset size); for tests and quick checks.")
@_clip_options
def train(data: Path, out: Path, epochs: int | None, batch_size: int | None, learning_rate: float | None,
          window_s: float | None, seed: int | None, arch: str | None, backbone: str | None, tune_backbone: bool,
          head_hidden: int | None, no_augment: bool, allow_no_background: bool, as_json: bool,
          steps_per_epoch: int | None, clip_s: float | None, clip_hop_s: float | None) -> None:
    """Train a classifier on DATA (a folder per class, a zip, or a project: its samples) and write it to --out.

    Ctrl-C once ends training after the current epoch and keeps the model (the file records
    where it stopped); Ctrl-C again aborts and writes nothing.
    """
    from .evaluate import training_warnings
    from .train import TrainSettings, warning_facts
    from .train import train as run_training

    given = {"epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate, "window_s": window_s,
             "seed": seed, "arch": arch, "steps_per_epoch": steps_per_epoch, "backbone": backbone,
             "head_hidden": head_hidden}
    overrides: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    settings = TrainSettings(**overrides, augment=not no_augment, require_background=not allow_no_background,
                             freeze_backbone=not tune_backbone)
    if tune_backbone and settings.start()[0] == "none":
        why = "--backbone none" if settings.backbone == "none" else f"the {settings.arch!r} network trains from scratch"
        raise ParameterError(f"--tune-backbone fine-tunes the pretrained backbone, which this run does not start "
                             f"from ({why}); leave it out")
    _check_output(out, data, suffix=".earmark")
    dataset = _load_set(data, sample_rate=settings.sample_rate, clip_s=clip_s, clip_hop_s=clip_hop_s)
    dataset.check_trainable(require_background=settings.require_background)
    counts = ", ".join(f"{k} {v}" for k, v in dataset.counts().items())
    warnings = training_warnings(warning_facts(dataset))  # before the minutes of training: Ctrl-C and fix
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{len(dataset.clips)} clips ({counts}); training {settings.arch} for {settings.epochs} "
               f"epoch{'s' if settings.epochs != 1 else ''}",
               err=True)
    with _FirstInterruptStops() as interrupted:
        clf = run_training(dataset, settings=settings, progress=not as_json, should_stop=interrupted.is_set)
    clf.save(out)
    stopped = clf.manifest.metrics.get("stopped_at_epoch")
    if stopped is not None:
        click.echo(f"stopped after epoch {stopped} of {settings.epochs} (Ctrl-C); keeping the model as it is",
                   err=True)
    if as_json:
        _emit_json({"model": str(out), "validation": clf.manifest.metrics["validation"],
                    "history": clf.manifest.metrics["history"], "warnings": warnings})
        return
    report = clf.validation_report
    if report is not None:  # train() always writes one
        click.echo(f"\nvalidation (held out by recording, {clf.manifest.dataset['val_clips']} clips):")
        click.echo(report.format())
    click.echo(f"\nmodel written to {out} ({clf.manifest.metrics['train_seconds']:.0f} s of training)")


@main.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("test_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_clip_options
def evaluate(model: Path, test_dir: Path, as_json: bool, clip_s: float | None, clip_hop_s: float | None) -> None:
    """Score MODEL on TEST_DIR (a folder per class, a zip, or a project: its test set)."""
    from .classifier import load
    from .evaluate import as_named_now
    from .evaluate import evaluate as run_eval

    clf = as_named_now(load(model), test_dir)  # a project's classes renamed since training: their names now
    report = run_eval(clf, _load_set(test_dir, sample_rate=clf.sample_rate, clip_s=clip_s, clip_hop_s=clip_hop_s,
                                     test=True))
    if as_json:
        _emit_json({"model": str(model), **report.to_dict()})
    else:
        click.echo(report.format())


@main.command()
@click.argument("model_a", type=click.Path(path_type=Path))
@click.argument("model_b", type=click.Path(path_type=Path))
@click.argument("test_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_clip_options
def compare(model_a: Path, model_b: Path, test_dir: Path, as_json: bool, clip_s: float | None,
            clip_hop_s: float | None) -> None:
    """Evaluate two models side by side on the same TEST_DIR (as for evaluate)."""
    from .classifier import load
    from .dataset import load_dataset
    from .evaluate import as_named_now
    from .evaluate import compare as run_compare

    a, b = load(model_a), load(model_b)
    data: Path | Dataset = test_dir  # compare() names a project's classes as they are now
    if clip_s is not None or clip_hop_s is not None:  # cut once, at the higher rate: neither model hears it thinned
        a, b = as_named_now(a, test_dir), as_named_now(b, test_dir)  # a loaded set names no project
        data = load_dataset(test_dir, sample_rate=max(a.sample_rate, b.sample_rate), test=True,
                            clip_s=4.0 if clip_s is None else clip_s, clip_hop_s=clip_hop_s)
    comparison = run_compare(a, b, data, model_a=str(model_a), model_b=str(model_b))
    for skipped in comparison.a.skipped:  # both models scored the same files
        click.echo(f"skipped {skipped.path}: {skipped.reason}", err=True)
    if as_json:
        _emit_json({"test_set": str(test_dir), **comparison.to_dict()})
    else:
        click.echo(comparison.format())


@main.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def predict(model: Path, files: tuple[Path, ...], as_json: bool) -> None:
    """Label each audio file (folders are searched for audio).

    Prints one line per file, tab-separated: the file, its label, and the classes'
    probabilities ("bass 0.93  drums 0.07"). A backslash, tab, newline or other control
    character in a name is written as \\\\, \\t, \\n, \\xNN (--json gives the names as they are).

    Bad files (and links to nothing) are reported on stderr and skipped; the others are labelled.
    The exit status is then 1, so that a script sees that not every file was labelled (0 when all
    were). Files in a folder that are not audio (by extension) are named on stderr too, as train
    does, but do not change the exit status.
    """
    from .classifier import load

    clf = load(model)
    not_audio = _not_audio(files)
    predictions, failed = clf.predict_files(files)
    failed += [(str(path), f"{path}: {why}") for path, why in not_audio if why is not None]
    if as_json:
        _emit_json({"model": str(model), "labels": clf.labels, "predictions": [p.to_dict() for p in predictions],
                    "errors": [{"file": f, "error": e} for f, e in failed]})
    else:
        for p in predictions:
            probs = "  ".join(f"{_tsv(k)} {v:.2f}" for k, v in p.probabilities.items())
            click.echo(f"{_tsv(str(p.source))}\t{_tsv(p.label)}\t{probs}")
    for f, e in failed:  # the reason names the file already
        click.secho(f"skipped {e if e.startswith(f) else f'{f}: {e}'}", fg="yellow", err=True)
    for path, why in not_audio:
        if why is None:
            click.echo(f"skipped {path}: not an audio file ({path.suffix or 'no extension'})", err=True)
    if failed:
        sys.exit(1)


def _not_audio(paths: tuple[Path, ...]) -> list[tuple[Path, str | None]]:
    """What the folders among ``paths`` hold besides audio: files that are not audio (why: None),
    and links to nothing or unreadable folders (why: the reason)."""
    from .archive import is_ignored_name
    from .audio import AUDIO_EXTENSIONS
    from .dataset import files_under

    found: list[tuple[Path, str | None]] = []
    for folder in paths:
        if folder.is_dir():
            missed: list[tuple[Path, str]] = []
            found += [(p, None) for p in files_under(folder, skip=is_ignored_name, missed=missed)
                      if p.suffix.lower() not in AUDIO_EXTENSIONS]
            found += [(p, why) for p, why in missed]
    return found


_TSV_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _tsv(text: str) -> str:
    """``text`` as one field of a tab-separated line: a backslash, tab, newline or other control
    character (a class or file may be named with one) escaped as \\\\, \\t, \\n, \\xNN."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(_TSV_ESCAPES.get(c) or (f"\\x{ord(c):02x}" if unicodedata.category(c) == "Cc" else c)
                   for c in text)


@main.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("recording", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (segments) instead of CSV.")
@click.option("--png", type=click.Path(path_type=Path), default=None,
              help="Also draw spectrogram + label track, as a picture (.png).")
@click.option("--hop-s", type=float, default=None,
              help="Seconds between windows [0.25, or the model's window if shorter].")
@click.option("--smooth-s", type=float, default=1.0, show_default=True, help="Smoothing span in seconds.")
@click.option("--min-segment-s", type=float, default=0.5, show_default=True, help="Shortest segment kept.")
def timeline(model: Path, recording: Path, as_json: bool, png: Path | None, hop_s: float | None, smooth_s: float,
             min_segment_s: float) -> None:
    """Label a long RECORDING over time, as segments (CSV, or JSON with --json)."""
    from .audio import load_audio
    from .classifier import load
    from .timeline import check_timeline_settings, timeline_hop

    clf = load(model)
    hop_s = timeline_hop(hop_s, window_s=clf.window_s)
    check_timeline_settings(window_s=clf.window_s, hop_s=hop_s, smooth_s=smooth_s, min_segment_s=min_segment_s)
    if png is not None:
        _check_output(png, model, recording, suffix=".png", option="--png")
    audio = load_audio(recording, sample_rate=clf.sample_rate)
    tl = clf.timeline(audio.samples, sample_rate=audio.sample_rate, hop_s=hop_s, smooth_s=smooth_s,
                      min_segment_s=min_segment_s)
    if png is not None:
        from .pictures import timeline_png

        timeline_png(audio.samples, sample_rate=audio.sample_rate, timeline=tl, path=png, title=recording.name)
        click.echo(f"picture written to {png}", err=True)
    if as_json:
        _emit_json({"model": str(model), "recording": str(recording), **tl.to_dict()})
    else:
        click.echo(tl.to_csv(), nl=False)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--png", type=click.Path(path_type=Path), required=True, help="Picture to write (.png).")
def spectrogram(file: Path, png: Path) -> None:
    """Draw the full-band mel spectrogram of FILE."""
    from .audio import load_audio
    from .pictures import spectrogram_png

    _check_output(png, file, suffix=".png", option="--png")
    audio = load_audio(file)
    spectrogram_png(audio.samples, sample_rate=audio.sample_rate, path=png, title=file.name)
    click.echo(f"spectrogram written to {png}")


@main.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--input", "input_file", type=click.Path(path_type=Path), default=None,
              help="Play this file as if it were live, instead of the microphone.")
@click.option("--hop-s", type=float, default=0.1, show_default=True, help="Seconds between predictions.")
@click.option("--seconds", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop after this many seconds.")
@click.option("--fast", is_flag=True, help="With --input: do not wait in real time.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def listen(model: Path, input_file: Path | None, hop_s: float, seconds: float | None, fast: bool,
           as_json: bool) -> None:
    """Classify live audio from the microphone (or --input FILE), printing every --hop-s."""
    import numpy as np

    from .classifier import load
    from .live import file_chunks, microphone_chunks

    if fast and input_file is None:
        raise click.UsageError("--fast only applies with --input FILE; a microphone runs in real time")
    clf = load(model)
    if input_file is not None:
        chunks, rate = file_chunks(input_file, chunk_s=hop_s, realtime=not fast)
    else:
        chunks, rate = microphone_chunks(chunk_s=hop_s)
    stream = clf.stream(sample_rate=rate, hop_s=hop_s)

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


@main.command()
@click.argument("model", type=click.Path(path_type=Path))
def info(model: Path) -> None:
    """Check a model file and print its manifest (labels, settings, metrics) as JSON."""
    from .classifier import load

    _emit_json(load(model).manifest.to_dict())


@main.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="The ONNX file to write (.onnx).")
@click.option("--web", type=click.Path(path_type=Path),
              help=f"Instead: a new folder for a web page that runs the model in the browser ({', '.join(WEB_FILES)}); "
                   "serve it over http(s).")
@click.option("--name", default=None, help="With --web: the page's title (default: the model file's name).")
@click.option("--runtime-url", default=None,
              help="With --web: where the page loads onnxruntime-web from (default: the jsDelivr CDN; "
                   "./ort.wasm.min.mjs for a copy hosted beside it).")
def export(model: Path, out: Path | None, web: Path | None, name: str | None, runtime_url: str | None) -> None:
    """Export MODEL for deployment: one ONNX file (--out) that runs with onnxruntime, without earmark or
    PyTorch, or a web page (--web) that runs it in the browser.

    The graph takes windows of mono audio at the model's rate, 'waveform' (batch, window
    samples), and gives 'probabilities' (batch, classes); the file's metadata holds the
    labels, sample rate, window, hop and how earmark labels a whole clip (docs/deploy.md).
    """
    from .classifier import load
    from .export import ORT_WEB_URL, export_onnx, export_web

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
    _check_output(out, model, suffix=".onnx")
    export_onnx(clf, out)  # checks that it can write `out` before the seconds of work
    click.echo(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB): input 'waveform' float32 "
               f"(batch, {clf.window_samples}), "
               f"mono at {clf.sample_rate} Hz; output 'probabilities' (batch, {len(clf.labels)}): "
               f"{', '.join(clf.labels)}")


@main.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("earmark-demo-output"), show_default=True,
              help="Folder for the model, report and pictures.")
@click.option("--epochs", type=int, default=None, help="Override the demo's epochs.")
def demo(out: Path, epochs: int | None) -> None:
    """Train a bass / drums / background classifier on the built-in demo set and show what it learnt."""
    from .demo import run_demo

    started = time.perf_counter()
    run_demo(out, epochs=epochs, echo=click.echo)
    click.echo(f"\ndemo finished in {time.perf_counter() - started:.0f} s")


@main.command()
@click.argument("project_dir", required=False, type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep it local).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port; 0 picks a free one.  [default: 0]")
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
def studio(project_dir: Path | None, host: str, port: int, no_browser: bool) -> None:
    """Start the web studio: record, upload, train, inspect and try a classifier in the browser.

    PROJECT_DIR is opened (and created when missing); without it, projects live in
    $EARMARK_HOME or ~/earmark-projects, and a first start makes a ready demo project.
    """
    from .studio.serve import prepare, serve

    serve(prepare(project_dir, echo=click.echo), host=host, port=port, open_browser=not no_browser,
          echo=click.echo)


@main.command()
@click.argument("models", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets others on your network open the page.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port; 0 picks a free one.  [default: 0]")
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
def share(models: tuple[Path, ...], host: str, port: int, no_browser: bool) -> None:
    """Serve only the try page of MODELS (microphone or a file), for others to use.

    Nothing of a project is served: just the page, the models' labels and their predictions.
    Prints one link per model.
    """
    from .studio.serve import prepare_share, serve

    with tempfile.TemporaryDirectory(prefix="earmark-share-") as tmp:
        settings, tokens = prepare_share(list(models), folder=Path(tmp))
        serve(settings, host=host, port=port, open_browser=not no_browser, echo=click.echo, share_tokens=tokens)


if __name__ == "__main__":  # pragma: no cover
    main()
