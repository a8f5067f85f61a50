"""Training: from a folder-per-class dataset to a :class:`~earmark.classifier.Classifier`.

Every training example is made fresh and augmented (:mod:`earmark.examples`), by worker
processes while this one trains. Validation clips are held out **by recording** and scored
clean. The weights kept are an exponential moving average over training steps, which makes
the result far less dependent on the seed than the last step's weights. The settings are
:class:`earmark.trainsettings.TrainSettings` (importable from here too).
"""

from __future__ import annotations

import copy
import math
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .backbone import NONE, backbone_info, load_backbone
from .classifier import FORWARD_WINDOWS, Classifier
from .concepts import concept_map
from .dataset import BACKGROUND_LABEL, Clip, Dataset, LoadCancelled, load_dataset
from .errors import DatasetError, ParameterError
from .examples import ExampleMaker, Pools, batches, feature_augment
from .features import LogMel
from .model import ArchSpec, SoundNet, build_model
from .modelfile import SAME_AUDIO, SAME_AUDIO_IN_CLASS, SILENT_CLIPS, SPLIT_IN_TIME, TRAIN_FINGERPRINTS, Manifest, stamp
from .split import single_recording_classes, split_by_source
from .trainsettings import (
    HEAD_HIDDEN_FROZEN,
    LEARNING_RATE,
    LEARNING_RATE_TUNING_BACKBONE,
    MAX_WORKERS,
    TrainSettings,
)

# TrainSettings and its defaults live in earmark.trainsettings; they stay importable from here.
__all__ = ["TrainSettings", "EpochRecord", "TrainingCancelled", "check_trainable", "train", "warning_facts",
           "update_ema", "LEARNING_RATE", "LEARNING_RATE_TUNING_BACKBONE", "HEAD_HIDDEN_FROZEN", "MAX_WORKERS"]

#: Groups of sounds trained on under two classes that a model file names (it counts them all).
_SAME_AUDIO_KEPT = 20


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


class TrainingCancelled(Exception):  # noqa: N818 - a request, not an error
    """What :func:`train` raises when its ``should_cancel`` returns True: the run ended at once, no model."""


def _check_data(data: object) -> None:
    """:class:`ParameterError` saying what to give when ``data`` is not one folder, zip or :class:`Dataset`."""
    if isinstance(data, (str, os.PathLike, Dataset)):
        return
    given = f"{type(data).__name__} {data!r:.80}"
    if isinstance(data, (list, tuple)):
        parents = {Path(d).parent for d in data if isinstance(d, (str, os.PathLike))}
        above = f" (here train({str(parents.pop())!r}))" if len(parents) == 1 and len(data) > 1 else ""
        raise ParameterError(f"train takes one folder with a subfolder per class, not a list of folders; got {given}. "
                             f"Give the folder that holds the class folders{above}, or a zip of it, a project "
                             "folder or a Dataset")
    raise ParameterError(f"train takes one folder with a subfolder per class (or a zip of one, a project folder or "
                         f"a Dataset), got {given}")


def train(
    data: str | os.PathLike[str] | Dataset,
    *,
    settings: TrainSettings | dict[str, Any] | None = None,
    progress: bool | ProgressCallback = True,
    should_stop: Callable[[], bool] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Classifier:
    """Train a classifier on a folder-per-class dataset (a path, a zip, a project folder: its
    ``samples/``, never its test set; or a loaded :class:`Dataset`).

    ``settings`` is a :class:`TrainSettings` or a dict of its fields (``{"epochs": 10}``).
    ``progress``: ``True`` for a progress bar, ``False`` for none, or a callable given each
    :class:`EpochRecord`; it may raise :class:`StopTraining` to end early and keep the model.
    ``should_stop``, asked after each epoch (whatever ``progress`` is), ends training there and
    keeps the model when it returns True: ``earmark train`` answers a first Ctrl-C this way.
    ``should_cancel``, asked before each file read, between the steps before training and before each
    training step (a fraction of a second), ends training there without a model when it returns True,
    raising :class:`TrainingCancelled`: the studio answers Cancel, and its own stop, this way.
    Returns the classifier; its ``manifest`` holds the settings, the training history, and the
    validation metrics (per-class accuracy, confusion matrix, misclassified clips).

    A run is reproducible from its seed when it is the only one in its process: training seeds
    PyTorch's, NumPy's and Python's process-wide generators and sets PyTorch's thread count, so
    two runs in threads of one process disturb each other (run them in separate processes).
    """
    _check_data(data)
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
        return _train(data, settings=settings, progress=progress, should_stop=should_stop,
                      should_cancel=should_cancel)
    finally:
        torch.set_num_threads(threads_before)


def _cancel_if_asked(should_cancel: Callable[[], bool] | None) -> None:
    """:class:`TrainingCancelled` if ``should_cancel`` says so: asked between the steps before training too
    (reading, checking, pooling the clips: seconds each on a big set), so a Cancel is heard within one."""
    if should_cancel is not None and should_cancel():
        raise TrainingCancelled


def _load_and_split(data: str | os.PathLike[str] | Dataset, *, settings: TrainSettings, sample_rate: int,
                    should_cancel: Callable[[], bool] | None = None) -> tuple[Dataset, list[Clip], list[Clip]]:
    try:
        dataset = data if isinstance(data, Dataset) else load_dataset(data, sample_rate=sample_rate,
                                                                      should_stop=should_cancel)
    except LoadCancelled:
        raise TrainingCancelled from None
    _cancel_if_asked(should_cancel)
    if dataset.sample_rate != sample_rate:
        raise DatasetError(f"the dataset was loaded at {dataset.sample_rate} Hz but training needs {sample_rate} Hz; "
                           f"load it with load_dataset(..., sample_rate={sample_rate})")
    check_trainable(dataset, settings=settings)
    _cancel_if_asked(should_cancel)
    train_clips, val_clips = split_by_source(dataset.clips, sample_rate=dataset.sample_rate,
                                             val_fraction=settings.val_fraction, seed=settings.seed)
    missing = sorted(set(dataset.labels) - {c.label for c in train_clips})
    if missing:
        raise DatasetError(f"class {missing[0]!r} has too little audio to train on; add more recordings")
    return dataset, train_clips, val_clips


def check_trainable(dataset: Dataset, *, settings: TrainSettings) -> None:
    """Raise :class:`DatasetError` saying what to do when ``dataset`` cannot be trained on with
    ``settings``: :meth:`Dataset.check_trainable`, and a window far longer than every clip."""
    dataset.check_trainable(require_background=settings.require_background)
    _check_window(dataset, window_s=settings.window_s)


def _check_window(dataset: Dataset, *, window_s: float) -> None:
    """Refuse a window, longer than the default, that every clip fills less than half of (10 s on clips
    of 1.5 s): the model would learn from windows of mostly padding, and training takes several times
    as long. Sounds shorter than the default window (one-shots) are normal: that window is left alone."""
    default = TrainSettings().window_s
    if window_s <= default or not dataset.clips:
        return
    longest = max(dataset.clips, key=lambda c: c.samples.shape[-1])
    longest_s = longest.samples.shape[-1] / dataset.sample_rate
    if longest_s >= window_s / 2:
        return
    # the longest window accepted (the longest clip fills half of it), in tenths of a second rounded down;
    # rounded first so that 2 × 1.45 s is 2.9 s, not 2.8 s (a clip's length is a whole number of samples)
    fit = max(math.floor(round(20 * longest_s, 6)) / 10, default)
    whole = math.floor(round(10 * longest_s, 6)) / 10
    cut = any(c.start_s > 0 for c in dataset.clips)  # long recordings were cut into clips: longer ones fit too
    also = f" (or {whole:g} s, the longest clip's length)" if default < whole < fit else ""
    raise DatasetError(f"every clip is shorter than half the {window_s:g} s window (the longest, {longest.name}, is "
                       f"{longest_s:.2f} s): the model would hear mostly padding, and train slowly; use a window of "
                       f"at most {fit:g} s{also}" + (", or cut the long recordings into longer clips" if cut else ""),
                       cli_hint=f"try --window-s {fit:g}" + (" or a longer --clip-s" if cut else ""))


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
    should_cancel: Callable[[], bool] | None = None

    def epoch(self, steps: int, bar: Any) -> tuple[float, float]:
        """Train ``steps`` batches; returns mean loss and accuracy on the (augmented) batches."""
        loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
        self.model.train()
        if self.frozen:
            self.model.body.eval()  # its batch norms keep the backbone's statistics
        losses, correct, seen = [], 0, 0
        for _ in range(steps):
            _cancel_if_asked(self.should_cancel)
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
           progress: bool | ProgressCallback, should_stop: Callable[[], bool] | None,
           should_cancel: Callable[[], bool] | None) -> Classifier:
    features = settings.features()
    backbone, learning_rate = settings.start()
    settings = settings.resolved()  # what the model file records
    read_at = stamp()  # a class renamed while the data loads is renamed since the model was trained
    dataset, train_clips, val_clips = _load_and_split(data, settings=settings, sample_rate=features.sample_rate,
                                                      should_cancel=should_cancel)
    read_at = dataset.read_at or read_at  # a dataset loaded beforehand: when it was read
    labels = dataset.labels
    _seed_everything(settings.seed)
    window = int(round(settings.window_s * features.sample_rate))
    pools = Pools.from_clips(train_clips, labels, sample_rate=features.sample_rate, window=window)
    _cancel_if_asked(should_cancel)
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
            _learn_concept_map(model, pools, background=labels.index(BACKGROUND_LABEL), window=window,
                               should_cancel=should_cancel)))
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
               rng=np.random.default_rng(settings.seed), settings=settings, frozen=frozen,
               should_cancel=should_cancel)
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
                       per_clip: int = 8, batch_size: int = FORWARD_WINDOWS,
                       should_cancel: Callable[[], bool] | None = None) -> np.ndarray:
    """``p(class | concept)`` from the training clips: each clip's concept probabilities are the
    mean over up to ``per_clip`` of its windows that hold sound (see :mod:`earmark.concepts`).
    ``should_cancel`` is asked before each batch (:class:`TrainingCancelled` when it returns True)."""
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
        _cancel_if_asked(should_cancel)
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
    from .report import report_from_probabilities

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
