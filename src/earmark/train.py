"""Training: from a folder-per-class dataset to a :class:`~earmark.classifier.Classifier`.

Every training example is made fresh and augmented (:mod:`earmark.examples`), by worker
processes while this one trains. Validation clips are held out **by recording** and scored
clean. The weights kept are an exponential moving average over training steps, which makes
the result far less dependent on the seed than the last step's weights.
"""

from __future__ import annotations

import copy
import math
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .audio import MIN_HOP_S, is_number
from .backbone import AUTO, NONE, backbone_info, load_backbone, resolve_backbone
from .classifier import FORWARD_WINDOWS, Classifier
from .concepts import concept_map
from .dataset import BACKGROUND_LABEL, Clip, Dataset, load_dataset
from .errors import DatasetError, ParameterError
from .examples import ExampleMaker, Pools, batches, feature_augment
from .features import FeatureConfig, LogMel
from .model import ARCHITECTURES, MAX_HEAD_HIDDEN, ArchSpec, SoundNet, build_model
from .modelfile import SAME_AUDIO, SAME_AUDIO_IN_CLASS, SILENT_CLIPS, SPLIT_IN_TIME, TRAIN_FINGERPRINTS, Manifest, stamp
from .split import single_recording_classes, split_by_source

__all__ = ["TrainSettings", "EpochRecord", "train", "warning_facts", "update_ema", "LEARNING_RATE",
           "LEARNING_RATE_TUNING_BACKBONE", "HEAD_HIDDEN_FROZEN", "MAX_WORKERS"]

#: Groups of sounds trained on under two classes that a model file names (it counts them all).
_SAME_AUDIO_KEPT = 20

#: Peak learning rates when ``TrainSettings.learning_rate`` is left out. Fine-tuning the pretrained
#: backbone (``freeze_backbone=False``) wants a gentler one: on the cross-domain benchmark 1e-3
#: scored 84.3 / 85.3 % (worst / mean of three seeds) against 83.2 / 84.6 % at 3e-3 (quick runs with
#: a trial backbone). Training from scratch, or only the head on a frozen backbone, takes 3e-3:
#: on the frozen backbone with its concept prior, 1e-3 scored 86.7 / 87.1 % but let in-domain
#: accuracy fall to 98 % on one seed (an under-confident head lets the prior call hum "bass");
#: 3e-3 scored 85.3 / 86.7 % with 100 % in-domain; 1e-2 84.8 / 86.3 %.
LEARNING_RATE_TUNING_BACKBONE = 1e-3
LEARNING_RATE = 3e-3
#: Width of the classifier head's hidden layer when ``TrainSettings.head_hidden`` is left out and the
#: head trains on a frozen backbone. gm-families-v4's features put a hummy room tone near a bass note:
#: a linear head sent three of the benchmark's in-domain room-noise clips to bass on one seed of
#: three (98 %); one hidden layer of 128 keeps them apart (100 % on all three), at the same training
#: time. Everywhere else the head stays linear (0): training from scratch, the hidden layer scored
#: 73.3 / 75.2 % worst / mean cross-domain against 75.7 / 76.5 % without it.
HEAD_HIDDEN_FROZEN = 128

#: The most processes that may make training examples (``TrainSettings.workers``).
MAX_WORKERS = 32


@dataclass(frozen=True)
class TrainSettings:
    """Training settings; every one is stored in the model file.

    ``steps_per_epoch=0`` picks a number from the dataset size; ``hop_s=None`` (the default)
    scores clips with windows every ``window_s / 2``. ``backbone`` is the pretrained start
    (:mod:`earmark.backbone`): ``"auto"`` (the default) means the shipped one when it fits
    ``arch`` and the front end, else ``"none"`` (random weights). ``freeze_backbone=True`` (the
    default) keeps a backbone's weights as they are, trains only the classifier head, and keeps
    the backbone's concept head in the model (:mod:`earmark.concepts`; needs a background class);
    ``False`` fine-tunes every weight. ``learning_rate=None`` (the default) means
    :data:`LEARNING_RATE_TUNING_BACKBONE` when fine-tuning a backbone, else :data:`LEARNING_RATE`. :meth:`start`
    resolves both; the model file records the resolved values. ``head_hidden`` is the width of the
    classifier head's hidden layer (0: a linear head); ``None`` (the default) means
    :data:`HEAD_HIDDEN_FROZEN` on a frozen backbone, else 0 (:meth:`resolved` fills it in).
    ``workers`` processes make the training examples while this one trains (``None``, the default:
    :meth:`example_workers` picks from the cores; 0: this process makes them); with ``threads``
    fixed, a seed gives the same model whatever their number. ``threads`` is torch's for training
    (0, the default: the cores the workers leave, at least one; another number of threads sums in
    another order, so the last digits differ).
    """

    epochs: int = 24
    batch_size: int = 64
    learning_rate: float | None = None
    window_s: float = 1.0
    hop_s: float | None = None
    val_fraction: float = 0.2
    augment: bool = True
    seed: int = 0
    arch: str = "cnn"
    steps_per_epoch: int = 0
    ema_decay: float = 0.97
    require_background: bool = True
    sample_rate: int = 22050
    n_mels: int = 64
    top_db: float = 60.0
    threads: int = 0
    workers: int | None = None
    backbone: str = AUTO
    freeze_backbone: bool = True
    head_hidden: int | None = None

    def _check_types(self) -> None:
        """Each setting must be of its kind: ``epochs=2.5``, ``augment="no"`` or ``seed=True`` is a mistake."""
        for f in fields(self):
            value, kind = getattr(self, f.name), str(f.type)
            if value is None and kind.endswith("| None"):
                continue
            if kind.startswith("int"):
                ok, want = is_number(value, whole=True), "a whole number"
            elif kind.startswith("float"):
                ok, want = is_number(value), "a number"
            elif kind == "bool":
                ok, want = isinstance(value, (bool, np.bool_)), "True or False"
            else:
                ok, want = isinstance(value, str), "text"
            if not ok:
                raise ParameterError(f"{f.name} must be {want}, got {value!r}")

    def __post_init__(self) -> None:
        self._check_types()
        if self.hop_s is None:
            object.__setattr__(self, "hop_s", self.window_s / 2)
        checks = [
            (self.epochs >= 1, f"epochs must be at least 1, got {self.epochs}"),
            (0 <= self.seed < 2**32, f"seed must be a whole number from 0 to {2**32 - 1}, got {self.seed}"),
            (self.batch_size >= 2, f"batch_size must be at least 2, got {self.batch_size}"),
            (self.learning_rate is None or 0 < self.learning_rate < 1,
             f"learning_rate must be in (0, 1), got {self.learning_rate}"),
            (0.2 <= self.window_s <= 10, f"window_s must be in [0.2, 10] seconds, got {self.window_s}"),
            (MIN_HOP_S <= self.hop_s <= self.window_s,  # type: ignore[operator]
             f"hop_s must be {MIN_HOP_S} to window_s={self.window_s} seconds, got {self.hop_s}"),
            (0 < self.val_fraction < 1, f"val_fraction must be in (0, 1), got {self.val_fraction}"),
            (self.arch in ARCHITECTURES, f"arch must be one of {sorted(ARCHITECTURES)}, got {self.arch!r}"),
            (0 <= self.ema_decay < 1, f"ema_decay must be in [0, 1), got {self.ema_decay}"),
            (self.steps_per_epoch >= 0, f"steps_per_epoch must be >= 0, got {self.steps_per_epoch}"),
            (self.head_hidden is None or 0 <= self.head_hidden <= MAX_HEAD_HIDDEN,
             f"head_hidden must be 0 (a linear head) to {MAX_HEAD_HIDDEN}, got {self.head_hidden}"),
            (self.workers is None or 0 <= self.workers <= MAX_WORKERS,
             f"workers must be 0 (make examples in this process) to {MAX_WORKERS}, got {self.workers}"),
            (0 <= self.threads <= 1024, f"threads must be 0 (as many as the machine has) to 1024, got {self.threads}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ParameterError(message)
        if self.backbone not in (AUTO, NONE):  # a named backbone must exist and fit, before any work
            resolve_backbone(self.backbone, arch=ArchSpec(name=self.arch), features=self.features())

    def features(self) -> FeatureConfig:
        """The front end these settings train."""
        return FeatureConfig(sample_rate=self.sample_rate, n_mels=self.n_mels, top_db=self.top_db)

    def start(self) -> tuple[str, float]:
        """The backbone training starts from (a shipped name or ``"none"``) and the peak learning rate,
        with ``"auto"`` and ``learning_rate=None`` resolved."""
        backbone = resolve_backbone(self.backbone, arch=ArchSpec(name=self.arch), features=self.features())
        if self.learning_rate is not None:
            return backbone, self.learning_rate
        tuning = backbone != NONE and not self.freeze_backbone
        return backbone, LEARNING_RATE_TUNING_BACKBONE if tuning else LEARNING_RATE

    def resolved(self) -> TrainSettings:
        """These settings with :meth:`start`'s answers filled in: what a model file records."""
        backbone, learning_rate = self.start()
        frozen = self.freeze_backbone and backbone != NONE
        head_hidden = self.head_hidden if self.head_hidden is not None else HEAD_HIDDEN_FROZEN if frozen else 0
        return replace(self, backbone=backbone, learning_rate=learning_rate, freeze_backbone=frozen,
                       head_hidden=head_hidden)

    def example_workers(self) -> int:
        """Processes that make training examples: ``workers``, or for ``None`` about two thirds of
        the machine's cores (at least one, at most six). Making examples is most of a run's work
        (about 70 % on 2 cores with the frozen backbone); the process that trains waits for them
        otherwise. With ``threads`` fixed, a run's result does not depend on this number (see
        :class:`ExampleMaker`)."""
        if self.workers is not None:
            return self.workers
        return min(6, max(1, math.ceil(2 * (os.cpu_count() or 2) / 3)))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainSettings:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ParameterError(f"unknown training settings {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)


@dataclass(frozen=True)
class EpochRecord:
    """One epoch of the training history."""

    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    learning_rate: float
    seconds: float

    def to_dict(self) -> dict[str, float]:
        return {k: (round(v, 5) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _evaluate_clips(clf: Classifier, clips: list[Clip], labels: list[str]) -> tuple[float, float, np.ndarray]:
    """Clip-level loss and accuracy on clean validation clips; also the probabilities."""
    if not clips:
        return float("nan"), float("nan"), np.zeros((0, len(labels)))
    probs = clf.predict_clips([c.samples for c in clips])
    y = np.array([labels.index(c.label) for c in clips])
    loss = float(-np.mean(np.log(probs[np.arange(len(y)), y] + 1e-9)))
    return loss, float(np.mean(probs.argmax(1) == y)), probs


ProgressCallback = Callable[[EpochRecord], None]


class StopTraining(Exception):  # noqa: N818 - a request, not an error
    """Raise it from a ``progress`` callback to end training after the epoch just reported and keep
    the model as it is then (the studio's "Stop and keep"). The model file records where it stopped:
    ``metrics["stopped_at_epoch"]``."""


def train(
    data: str | os.PathLike[str] | Dataset,
    *,
    settings: TrainSettings | dict[str, Any] | None = None,
    progress: bool | ProgressCallback = True,
    should_stop: Callable[[], bool] | None = None,
) -> Classifier:
    """Train a classifier on a folder-per-class dataset (a path, a zip, a project folder: its
    ``samples/``, never its test set; or a loaded :class:`Dataset`).

    ``settings`` is a :class:`TrainSettings` or a dict of its fields (``{"epochs": 10}``).
    ``progress``: ``True`` for a progress bar, ``False`` for none, or a callable given each
    :class:`EpochRecord`; it may raise :class:`StopTraining` to end early and keep the model.
    ``should_stop``, asked after each epoch (whatever ``progress`` is), ends training there and
    keeps the model when it returns True: ``earmark train`` answers a first Ctrl-C this way.
    Returns the classifier; its ``manifest`` holds the settings, the training history, and the
    validation metrics (per-class accuracy, confusion matrix, misclassified clips).

    A run is reproducible from its seed when it is the only one in its process: training seeds
    PyTorch's, NumPy's and Python's process-wide generators and sets PyTorch's thread count, so
    two runs in threads of one process disturb each other (run them in separate processes).
    """
    if isinstance(settings, dict):
        settings = TrainSettings.from_dict(settings)
    elif settings is not None and not isinstance(settings, TrainSettings):
        raise ParameterError(f"settings must be a TrainSettings or a dict, got {type(settings).__name__}")
    settings = settings or TrainSettings()
    threads_before = torch.get_num_threads()
    if settings.threads:
        torch.set_num_threads(settings.threads)
    elif settings.example_workers():  # leave the workers that make examples their cores
        torch.set_num_threads(max(1, (os.cpu_count() or 2) - settings.example_workers()))
    try:
        return _train(data, settings=settings, progress=progress, should_stop=should_stop)
    finally:
        torch.set_num_threads(threads_before)


def _load_and_split(data: str | os.PathLike[str] | Dataset, *, settings: TrainSettings,
                    sample_rate: int) -> tuple[Dataset, list[Clip], list[Clip]]:
    dataset = data if isinstance(data, Dataset) else load_dataset(data, sample_rate=sample_rate)
    if dataset.sample_rate != sample_rate:
        raise DatasetError(f"the dataset was loaded at {dataset.sample_rate} Hz but training needs {sample_rate} Hz; "
                           f"load it with load_dataset(..., sample_rate={sample_rate})")
    dataset.check_trainable(require_background=settings.require_background)
    train_clips, val_clips = split_by_source(dataset.clips, sample_rate=dataset.sample_rate,
                                             val_fraction=settings.val_fraction, seed=settings.seed)
    missing = sorted(set(dataset.labels) - {c.label for c in train_clips})
    if missing:
        raise DatasetError(f"class {missing[0]!r} has too little audio to train on; add more recordings")
    return dataset, train_clips, val_clips


@dataclass
class _Run:
    """The moving parts of one training run."""

    model: SoundNet
    ema: SoundNet
    optimiser: torch.optim.Optimizer
    schedule: torch.optim.lr_scheduler.LRScheduler
    batches: Iterator[tuple[torch.Tensor, torch.Tensor]]
    rng: np.random.Generator
    settings: TrainSettings
    frozen: bool = False  # only the classifier head learns; the body keeps its batch-norm statistics too
    step: int = 0

    def epoch(self, steps: int, bar: Any) -> tuple[float, float]:
        """Train ``steps`` batches; returns mean loss and accuracy on the (augmented) batches."""
        loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
        self.model.train()
        if self.frozen:
            self.model.body.eval()  # its batch norms keep the backbone's statistics
        losses, correct, seen = [], 0, 0
        for _ in range(steps):
            x, y = next(self.batches)
            with torch.no_grad():
                feats = self.model.frontend.raw(x)
                feats = (feature_augment(feats, self.rng) if self.settings.augment
                         else LogMel.normalise_window(feats))
            logits = self.model.forward_features(feats)
            loss = loss_fn(logits, y)
            self.optimiser.zero_grad(set_to_none=True)
            loss.backward()
            self.optimiser.step()
            self.schedule.step()
            self.step += 1
            update_ema(self.ema, self.model, decay=min(self.settings.ema_decay, (1 + self.step) / (10 + self.step)),
                        only="head." if self.frozen else "")
            losses.append(loss.item())
            correct += int((logits.argmax(1) == y).sum())
            seen += y.shape[0]
            if bar is not None:
                bar.update(1)
        return float(np.mean(losses)), correct / seen


def _train(data: str | os.PathLike[str] | Dataset, *, settings: TrainSettings,
           progress: bool | ProgressCallback, should_stop: Callable[[], bool] | None) -> Classifier:
    features = settings.features()
    backbone, learning_rate = settings.start()
    settings = settings.resolved()  # what the model file records
    read_at = stamp()  # a class renamed while the data loads is renamed since the model was trained
    dataset, train_clips, val_clips = _load_and_split(data, settings=settings, sample_rate=features.sample_rate)
    labels = dataset.labels
    _seed_everything(settings.seed)
    window = int(round(settings.window_s * features.sample_rate))
    pools = Pools.from_clips(train_clips, labels, sample_rate=features.sample_rate, window=window)
    maker = ExampleMaker(pools, labels=labels, window=window, sample_rate=features.sample_rate,
                          augment=settings.augment, seed=settings.seed)
    frozen = backbone != NONE and settings.freeze_backbone
    info = backbone_info(backbone) if frozen else None
    concepts = info.classes if info is not None and info.has_concepts and BACKGROUND_LABEL in labels else ()
    arch = ArchSpec(name=settings.arch, concepts=concepts, head_hidden=settings.head_hidden or 0)
    model = build_model(n_classes=len(labels), features=features, arch=arch)
    if backbone != NONE:
        load_backbone(model, backbone)
    if frozen:
        for name, p in model.named_parameters():
            p.requires_grad_(name.startswith("head."))
    if concepts:
        model.concept_map.copy_(torch.from_numpy(
            _learn_concept_map(model, pools, background=labels.index(BACKGROUND_LABEL), window=window)))
    ema = copy.deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    steps = settings.steps_per_epoch or int(np.clip(math.ceil(2 * len(train_clips) / settings.batch_size), 4, 16))
    total = steps * settings.epochs
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=learning_rate,
                                  weight_decay=1e-3)
    run = _Run(model=model, ema=ema, optimiser=optimiser,
               schedule=torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=learning_rate,
                                                            total_steps=total, pct_start=0.15),
               batches=iter(batches(maker, batch_size=settings.batch_size, count=total,
                                     workers=settings.example_workers())),
               rng=np.random.default_rng(settings.seed), settings=settings, frozen=frozen)
    manifest = Manifest(labels=labels, features=features, arch=arch, window_s=settings.window_s,
                        hop_s=float(settings.hop_s or settings.window_s / 2),
                        background_label=BACKGROUND_LABEL if BACKGROUND_LABEL in labels else None,
                        training=settings.to_dict(), created=read_at)
    clf = Classifier(ema, manifest)
    bar = _progress_bar(total) if progress is True else None
    started = time.perf_counter()
    try:  # closed however training ends: a Ctrl-C's "interrupted" goes on a line of its own
        history, val_probs = _epochs(run, clf, val_clips, steps=steps, bar=bar, progress=progress,
                                     should_stop=should_stop)
    finally:
        if bar is not None:
            bar.close()
    _finish(clf, dataset, train_clips, val_clips, val_probs, history, seconds=time.perf_counter() - started)
    if len(history) < settings.epochs:
        clf.manifest.metrics["stopped_at_epoch"] = len(history)
    return clf


def _epochs(run: _Run, clf: Classifier, val_clips: list[Clip], *, steps: int, bar: Any,
            progress: bool | ProgressCallback,
            should_stop: Callable[[], bool] | None) -> tuple[list[EpochRecord], np.ndarray]:
    """Train epoch after epoch until the last, a :class:`StopTraining` or ``should_stop``; returns the
    history and the last validation probabilities."""
    history: list[EpochRecord] = []
    labels = clf.labels
    val_probs = np.zeros((0, len(labels)))
    for epoch in range(1, run.settings.epochs + 1):
        t0 = time.perf_counter()
        train_loss, train_acc = run.epoch(steps, bar)
        if not np.isfinite(train_loss):  # a model that learnt nothing must not be saved as trained
            raise DatasetError(f"training diverged in epoch {epoch} (the loss is {train_loss}); "
                               "a clip with absurd sample values is the usual cause: check the data, "
                               "or lower the learning rate")
        val_loss, val_acc, val_probs = _evaluate_clips(clf, val_clips, labels)
        record = EpochRecord(epoch=epoch, train_loss=train_loss, train_accuracy=train_acc, val_loss=val_loss,
                             val_accuracy=val_acc, learning_rate=float(run.schedule.get_last_lr()[0]),
                             seconds=time.perf_counter() - t0)
        history.append(record)
        if bar is not None:
            bar.set_postfix(epoch=epoch, loss=f"{train_loss:.3f}", acc=f"{train_acc:.2f}",
                            val_loss=f"{val_loss:.3f}", val_acc=f"{val_acc:.2f}")
        elif callable(progress):
            try:
                progress(record)
            except StopTraining:
                break
        if should_stop is not None and should_stop():
            break
    return history, val_probs


def _learn_concept_map(model: SoundNet, pools: Pools, *, background: int, window: int,
                       per_clip: int = 8, batch_size: int = FORWARD_WINDOWS) -> np.ndarray:
    """``p(class | concept)`` from the training clips: each clip's concept probabilities are the
    mean over up to ``per_clip`` of its windows that hold sound (see :mod:`earmark.concepts`)."""
    places: list[tuple[np.ndarray, int]] = []  # (clip, start) of each window
    owner: list[int] = []                       # the clip each window belongs to
    classes: list[int] = []                     # each clip's class
    for k, (clips, starts) in enumerate(zip(pools.by_class, pools.starts)):
        for y, at in zip(clips, starts):
            for start in at[np.linspace(0, len(at) - 1, min(per_clip, len(at))).astype(int)]:
                places.append((y, int(start)))
                owner.append(len(classes))
            classes.append(k)
    sums = np.zeros((len(classes), len(model.concept_names)))
    model.eval()
    for b in range(0, len(places), batch_size):
        windows = np.stack([np.pad(w := y[at : at + window], (0, window - w.shape[0]))
                            for y, at in places[b : b + batch_size]])
        with torch.inference_mode():
            probs = model.concept_probabilities(model.frontend(torch.from_numpy(windows))).numpy()
        np.add.at(sums, owner[b : b + batch_size], probs)
    means = sums / np.bincount(owner, minlength=len(classes))[:, None]
    return concept_map(means, np.array(classes), n_classes=len(pools.by_class), background=background).astype(
        np.float32)


def _finish(clf: Classifier, dataset: Dataset, train_clips: list[Clip], val_clips: list[Clip],
            val_probs: np.ndarray, history: list[EpochRecord], *, seconds: float) -> None:
    """Write the validation report, history and dataset summary into the manifest."""
    from .evaluate import report_from_probabilities

    report = report_from_probabilities(val_probs, [c.label for c in val_clips], [c.name for c in val_clips],
                                       labels=clf.labels)
    # what to_dict derives for a person (warnings, test clips seen in training) is left out: it is
    # worked out again from the figures whenever the report is shown, so it never goes stale
    validation = {k: v for k, v in report.to_dict().items()
                  if k not in ("warnings", "seen_in_training", "split_recordings")}
    clf.manifest.metrics = {"validation": validation, "history": [h.to_dict() for h in history],
                            "train_seconds": round(seconds, 2),
                            "validation_clips": _clip_outcomes(val_clips, val_probs, clf.labels,
                                                               sample_rate=dataset.sample_rate)}
    clf.manifest.dataset = {"root": Path(dataset.root).name, "counts": dataset.counts(),
                            "seconds": dataset.seconds(), "train_clips": len(train_clips),
                            "val_clips": len(val_clips), "skipped": [asdict(s) for s in dataset.skipped],
                            **warning_facts(dataset),
                            # what it learnt from, so that an evaluation can say when a test clip is one of them
                            TRAIN_FINGERPRINTS: sorted({fp for c in train_clips if (fp := c.fingerprint)})}


def warning_facts(dataset: Dataset) -> dict[str, Any]:
    """What :func:`earmark.evaluate.training_warnings` reads about a training set (kept in the model
    file's ``dataset``): its classes, the sounds found under two of them or twice in one, the classes of
    one recording, each class's silent clips."""
    same, twice = dataset.same_audio_in_classes(), dataset.same_audio_in_one_class()
    return {"counts": dataset.counts(), SAME_AUDIO: {"count": len(same), "examples": same[:_SAME_AUDIO_KEPT]},
            SAME_AUDIO_IN_CLASS: {"count": len(twice), "examples": twice[:_SAME_AUDIO_KEPT]},
            SPLIT_IN_TIME: single_recording_classes(dataset.clips), SILENT_CLIPS: _silent_facts(dataset)}


def _silent_facts(dataset: Dataset) -> dict[str, dict[str, Any]]:
    """Each class's silent clips as :data:`earmark.modelfile.SILENT_CLIPS` keeps them: how many, of
    how many, and the files they come from (the first few named)."""
    counts, out = dataset.counts(), {}
    for label, quiet in dataset.silent_clips().items():
        files = list(dict.fromkeys(c.file or c.source for c in quiet))
        out[label] = {"count": len(quiet), "clips": counts[label], "files": files[:_SAME_AUDIO_KEPT],
                      "file_count": len(files)}
    return out


def _clip_outcomes(clips: list[Clip], probs: np.ndarray, labels: list[str], *,
                   sample_rate: int) -> list[dict[str, Any]]:
    """Where every validation clip landed: its file and place in it, true and predicted label.

    This is what lets a person open a confusion-matrix cell and listen to the clips in it.
    """
    out = []
    for clip, p in zip(clips, probs):
        start = clip.start_s if clip.file_start_s is None else clip.file_start_s
        k = int(np.argmax(p))
        out.append({"file": clip.file or clip.source, "start_s": round(start, 3),
                    "end_s": round(start + clip.samples.shape[-1] / sample_rate, 3),
                    "true": clip.label, "predicted": labels[k], "confidence": round(float(p[k]), 4)})
    return out


def update_ema(ema: nn.Module, model: nn.Module, *, decay: float, only: str = "") -> None:
    """Move the average toward the model; tensors whose names do not start with ``only`` (frozen
    ones) are copied, since ``e * d + p * (1 - d)`` can move the last bit even where ``e == p``."""
    with torch.no_grad():
        for (name, e), p in zip(ema.state_dict().items(), model.state_dict().values()):
            if e.dtype.is_floating_point and name.startswith(only):
                e.mul_(decay).add_(p.detach(), alpha=1 - decay)
            else:
                e.copy_(p)


def _progress_bar(total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="step", desc="training", dynamic_ncols=True, leave=True)
