"""The commands that teach a model and test it: ``train``, ``evaluate``, ``compare``, and ``demo``,
which does both on the built-in demo set."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ..errors import ParameterError
from .options import check_output, clip_options, load_set, model_hint
from .runtime import EngineCommand, FirstInterruptStops, KeptWarnings, emit_json

__all__ = ["compare", "demo", "evaluate", "train"]


@click.command(cls=EngineCommand, engine_modules=("earmark.train", "earmark.evaluate"))
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
@clip_options
def train(data: Path, out: Path, epochs: int | None, batch_size: int | None, learning_rate: float | None,
          window_s: float | None, seed: int | None, arch: str | None, backbone: str | None, tune_backbone: bool,
          head_hidden: int | None, no_augment: bool, allow_no_background: bool, as_json: bool,
          steps_per_epoch: int | None, clip_s: float | None, clip_hop_s: float | None) -> None:
    """Train a classifier on DATA (a folder per class, a zip, or a project: its samples) and write it to --out.

    Ctrl-C once ends training after the current epoch and keeps the model (the file records
    where it stopped); Ctrl-C again aborts and writes nothing.
    """
    from ..evaluate import training_warnings
    from ..train import check_trainable, warning_facts
    from ..train import train as run_training
    from ..trainsettings import TrainSettings

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
    check_output(out, data, suffix=".earmark")
    with KeptWarnings() as decoding:  # a file cut short, channels that cancel out: for --json too
        dataset = load_set(data, sample_rate=settings.sample_rate, clip_s=clip_s, clip_hop_s=clip_hop_s)
    check_trainable(dataset, settings=settings)
    counts = ", ".join(f"{k} {v}" for k, v in dataset.counts().items())
    warnings = training_warnings(warning_facts(dataset))  # before the minutes of training: Ctrl-C and fix
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{len(dataset.clips)} clips ({counts}); training {settings.arch} for {settings.epochs} "
               f"epoch{'s' if settings.epochs != 1 else ''}",
               err=True)
    with FirstInterruptStops() as interrupted, KeptWarnings() as during:
        clf = run_training(dataset, settings=settings, progress=not as_json, should_stop=interrupted.is_set)
    clf.save(out)
    stopped = clf.manifest.metrics.get("stopped_at_epoch")
    if stopped is not None:
        click.echo(f"stopped after epoch {stopped} of {settings.epochs} (Ctrl-C); keeping the model as it is",
                   err=True)
    report = clf.validation_report
    if as_json:  # the report as the text shows it, its warnings included ("88 % right, but 'bass' 0 %")
        emit_json({"model": str(out),
                   "validation": report.to_dict() if report is not None else clf.manifest.metrics["validation"],
                   "history": clf.manifest.metrics["history"],
                   "warnings": list(dict.fromkeys([*decoding.messages, *warnings, *during.messages]))})
        return
    if report is not None:  # train() always writes one
        click.echo(f"\nvalidation (held out by recording, {clf.manifest.dataset['val_clips']} clips):")
        click.echo(report.format())
    click.echo(f"\nmodel written to {out} ({clf.manifest.metrics['train_seconds']:.0f} s of training)")


@click.command(cls=EngineCommand, engine_modules=("earmark.evaluate",))
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("test_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: the scores, misclassified and skipped files, and warnings (what "
                   "weakens the scores, and what decoding the test files warned of, such as a file cut short).")
@clip_options
def evaluate(model: Path, test_dir: Path, as_json: bool, clip_s: float | None, clip_hop_s: float | None) -> None:
    """Score MODEL on TEST_DIR (a folder per class, a zip, or a project: its test set).

    Files that cannot be used are named on stderr as they are found ("skipped …"), as train and
    predict do, and are not repeated in the report.
    """
    from ..classifier import load
    from ..dataset import CLIP_S
    from ..evaluate import evaluate as run_eval

    with model_hint("the model goes first (e.g. earmark evaluate model.earmark test_dir)"):
        clf = load(model)
    if sys.stderr.isatty():  # a big test set takes a while to read and score: a sign of life meanwhile
        click.echo(f"reading and scoring the test set in {test_dir} with {model.name}…", err=True)
    # evaluate() names a project's classes as they are now; what decoding warned of is shown on stderr as well
    report = run_eval(clf, test_dir, clip_s=CLIP_S if clip_s is None else clip_s, clip_hop_s=clip_hop_s,
                      on_skip=lambda s: click.echo(f"skipped {s.path}: {s.reason}", err=True))
    if as_json:
        emit_json({"model": str(model), **report.to_dict()})
    else:  # the skipped files and decoding's warnings are on stderr already
        click.echo(replace(report, skipped=[], decoding_warnings=[]).format())


@click.command(cls=EngineCommand, engine_modules=("earmark.evaluate",))
@click.argument("model_a", type=click.Path(path_type=Path))
@click.argument("model_b", type=click.Path(path_type=Path))
@click.argument("test_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: each model's report (as evaluate --json gives it, warnings about the "
                   "test files' decoding in both), the clips only one model gets wrong, and which class of each "
                   "model each test folder was scored as (test_classes).")
@clip_options
def compare(model_a: Path, model_b: Path, test_dir: Path, as_json: bool, clip_s: float | None,
            clip_hop_s: float | None) -> None:
    """Evaluate two models side by side on the same TEST_DIR (as for evaluate)."""
    from ..dataset import CLIP_S
    from ..evaluate import compare as run_compare

    # compare() loads a file given twice once, and says it is one model; it names a project's classes as
    # they are now, and shows what decoding warned of on stderr, once if the set is decoded at two rates
    with model_hint("the two models go first (e.g. earmark compare a.earmark b.earmark test_dir)"):
        comparison = run_compare(model_a, model_b, test_dir, model_a=str(model_a), model_b=str(model_b),
                                 clip_s=CLIP_S if clip_s is None else clip_s, clip_hop_s=clip_hop_s)
    for skipped in comparison.a.skipped:  # both models scored the same files
        click.echo(f"skipped {skipped.path}: {skipped.reason}", err=True)
    if as_json:
        emit_json({"test_set": str(test_dir), **comparison.to_dict()})
    else:  # decoding's warnings are on stderr already
        click.echo(replace(comparison, a=replace(comparison.a, decoding_warnings=[]),
                           b=replace(comparison.b, decoding_warnings=[])).format())


@click.command(cls=EngineCommand, engine_modules=("earmark.train", "earmark.evaluate"))
@click.option("--out", type=click.Path(path_type=Path), default=Path("earmark-demo-output"), show_default=True,
              help="Folder for the model, report and pictures.")
@click.option("--epochs", type=int, default=None, help="Override the demo's epochs.")
def demo(out: Path, epochs: int | None) -> None:
    """Train a bass / drums / background classifier on the built-in demo set and show what it learnt."""
    from ..demo import demo_data_dir, next_steps, run_demo

    started = time.perf_counter()
    summary = run_demo(out, epochs=epochs, echo=click.echo)
    click.echo(f"\ndemo finished in {time.perf_counter() - started:.0f} s")
    for line in next_steps(Path(str(summary["model"])), files=demo_data_dir() / "test" / "drums"):
        click.echo(line)
