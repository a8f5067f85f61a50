"""Honest evaluation: accuracy, macro-F1, per-class precision/recall, confusion, mistakes.

Evaluate on a test set kept apart from training (ideally recorded elsewhere): a folder per class,
a zip of one, or a project (its ``test/`` set, see :mod:`earmark.project`). Each file (or
each clip of a long recording) gets one prediction: its windows' probabilities averaged with
weight on the louder windows (see :func:`earmark.classifier.window_weights`). The scores, and
how they print, are :class:`earmark.report.EvaluationReport` (importable from here too).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from .audio import resample
from .classifier import Classifier, as_classifier
from .dataset import BACKGROUND_LABEL, CLIP_S, Dataset, Skipped, load_dataset
from .errors import DatasetError, EarmarkWarning, ParameterError, collecting_warnings, warn
from .modelfile import SAME_AUDIO, SAME_AUDIO_IN_CLASS, SILENT_CLIPS, SPLIT_IN_TIME
from .naming import name_key, quoted, quoted_list
from .project import TEST_DIR, Project, is_project_folder
from .projectfile import ClassHistory, zipped_history
from .report import Comparison, EvaluationReport, finite, report_from_probabilities
from .testset import zipped_test_leaks

# Comparison, EvaluationReport, finite and report_from_probabilities live in earmark.report;
# they stay importable from here, where they were first.
__all__ = ["Comparison", "EvaluationReport", "as_named_now", "evaluate", "compare", "finite",
           "report_from_probabilities", "same_model", "training_warnings"]


def _split_recordings(dataset: Dataset) -> list[str]:
    """For a project's test set (``PROJECT/test``, or a project's export zip): its scored clips cut
    from a recording whose other clips are training samples (:meth:`Project.test_leaks`); for any
    other set, none."""
    root = Path(dataset.root)
    if root.name == TEST_DIR and is_project_folder(root.parent):
        leaks = Project.open(root.parent).test_leaks()
    elif root.suffix.lower() == ".zip" and root.is_file():
        leaks = zipped_test_leaks(root)
    else:
        return []
    scored = {c.file or c.source for c in dataset.clips}
    return [name for name in leaks if name in scored]


@contextlib.contextmanager
def _decoding_noted() -> Iterator[list[str]]:
    """The messages of the warnings issued in the block (decoding a test set: a file cut short, channels
    that cancel out, a zip's names that may read wrongly), for a report's ``decoding_warnings``; on the
    way out, even on an error, each is issued again once (:func:`earmark.errors.warn`), so whoever
    watches :mod:`warnings`, or collects them around this call, still learns of it: once, although
    :func:`compare` may decode a set twice."""
    kept: list[str] = []
    try:
        with collecting_warnings() as said:
            yield kept
    finally:
        kept[:] = dict.fromkeys(said)
        for message in kept:
            warn(message, EarmarkWarning, stacklevel=4)  # from the line that called evaluate or compare


def _load_test_set(clf: Classifier, data: str | os.PathLike[str] | Dataset, *, name: str = "the model",
                   clip_s: float = CLIP_S, clip_hop_s: float | None = None,
                   on_skip: Callable[[Skipped], None] | None = None) -> tuple[Dataset, dict[str, str]]:
    """The test set ``data`` read for ``clf`` (:func:`_read_test_set`) under ``clf``'s class names
    (:func:`_with_model_labels`)."""
    return _with_model_labels(clf, _read_test_set(clf, data, clip_s=clip_s, clip_hop_s=clip_hop_s, on_skip=on_skip),
                              name=name)


def _read_test_set(clf: Classifier, data: str | os.PathLike[str] | Dataset, *, clip_s: float = CLIP_S,
                   clip_hop_s: float | None = None, on_skip: Callable[[Skipped], None] | None = None) -> Dataset:
    """The test set ``data`` at ``clf``'s sample rate, its clips labelled by their folders as they are."""
    dataset = data if isinstance(data, Dataset) else load_dataset(
        data, sample_rate=clf.sample_rate, test=True, clip_s=clip_s, clip_hop_s=clip_hop_s, on_skip=on_skip)
    if dataset.sample_rate != clf.sample_rate:
        # A loaded set at another rate (e.g. shared by ``compare``): bring it to the rate the
        # model file asks for, as ``Classifier.predict`` does, instead of scoring it at the wrong speed.
        clips = [replace(c, samples=resample(c.samples, orig_sr=dataset.sample_rate, target_sr=clf.sample_rate))
                 for c in dataset.clips]
        dataset = replace(dataset, clips=clips, sample_rate=clf.sample_rate)
    if not dataset.clips:
        raise DatasetError(f"{dataset.root}: holds no usable audio; it needs one subfolder per class with audio files")
    return dataset


def _with_model_labels(clf: Classifier, dataset: Dataset, *, name: str) -> tuple[Dataset, dict[str, str]]:
    """``dataset`` (as :func:`_read_test_set` gives it: clips labelled by their folders) with each clip
    under ``clf``'s class for its folder (:func:`_as_model_labels`), and each folder's class of ``clf``.

    Raises
    ------
    DatasetError
        If a folder is no class of ``clf``'s, or it is not clear which; ``name`` names the model.
    """
    dataset, folders = _as_model_labels(dataset, clf.labels, name=name)
    unknown = sorted({c.label for c in dataset.clips} - set(clf.labels))
    if unknown:
        raise DatasetError(
            f"the test set has classes {name} does not know: {quoted_list(unknown)}; "
            f"it knows {quoted_list(clf.labels)}. Rename the folders to match, or remove them"
        )
    return dataset, folders


def _as_model_labels(dataset: Dataset, labels: list[str], *,
                     name: str = "the model") -> tuple[Dataset, dict[str, str]]:
    """``dataset`` with each class the model does not know by name given the model's label that differs
    from it only in case or in composition (NFC; a test folder ``Bass/`` for the model's ``bass``), where just
    one does; and each of the set's folders with the class its clips now have (``{'Bass': 'bass'}``).

    A :class:`DatasetError` names the folders when that is not clear: a folder that matches two of the
    model's classes (``BASS/`` for ``Bass`` and ``bass``), or folders that would become one class
    (``Bass/`` and ``bass/`` for ``bass``); ``name`` names the model."""
    by_case: dict[str, list[str]] = {}
    for label in labels:
        by_case.setdefault(name_key(label), []).append(label)
    found = sorted({c.label for c in dataset.clips})
    for folder in found:
        if folder not in labels and len(twins := by_case.get(name_key(folder), [])) > 1:
            raise DatasetError(f"the test set's folder {quoted(folder)} matches {name}'s classes "
                               f"{' and '.join(quoted(t) for t in sorted(twins))}, which differ only in case; "
                               "rename it to the one its clips belong to")
    renamed = {folder: by_case[name_key(folder)][0] for folder in found
               if folder not in labels and name_key(folder) in by_case}
    merged: dict[str, list[str]] = {}
    for folder in found:
        merged.setdefault(renamed.get(folder, folder), []).append(folder)
    for label, folders in merged.items():
        if len(folders) > 1:
            raise DatasetError(f"the test set's folders {' and '.join(quoted(n) for n in folders)} differ only in "
                               f"case, and each would be {name}'s class {quoted(label)}; move their files into one "
                               f"folder named {quoted(label)}")
    classes = {folder: renamed.get(folder, folder) for folder in found}
    if not renamed:
        return dataset, classes
    return replace(dataset, clips=[replace(c, label=renamed.get(c.label, c.label)) for c in dataset.clips]), classes


def as_named_now(clf: Classifier, where: Project | str | os.PathLike[str] | Dataset) -> Classifier:
    """``clf`` with its classes under the names the project ``where`` (a :class:`Project`, a
    project folder, or a project's export zip) gives them now: a class renamed since the model was
    trained (``bass`` → ``electric bass``) is scored under its new name, so a rename does not stop
    an older model being scored on the project's test set. A class of the model that the project
    has deleted, and whose name another class was then renamed to, is shown as ``NAME (deleted)``:
    the clips now under that name are the other class's. ``clf`` itself when ``where`` is no
    project or no name changed.

    Raises
    ------
    DatasetError
        If the names no longer say which class is which (two of the model's classes would be one).
    """
    history = _class_history(where)
    if history is None:
        return clf
    now = history.labels_now(clf.labels, since=clf.manifest.created)
    if now == clf.labels:
        return clf
    if len({n.casefold() for n in now}) < len(now):
        raise DatasetError(f"the classes of project {quoted(history.project)} were renamed since the model was "
                           f"trained so that its classes {quoted_list(clf.labels)} no longer say which is which; "
                           "train a new model")
    background = clf.manifest.background_label
    return Classifier(clf.model, replace(clf.manifest, labels=now, background_label=(
        None if background is None else now[clf.labels.index(background)])))


def _class_history(where: Project | str | os.PathLike[str] | Dataset) -> ClassHistory | None:
    """The class history of the project ``where`` names (see :func:`as_named_now`), or ``None``."""
    if isinstance(where, Project):
        return where.class_history()
    if isinstance(where, Dataset):
        return None
    path = Path(where)
    if is_project_folder(path):
        return Project.open(path).class_history()
    if path.is_file() and path.suffix.lower() == ".zip":
        return zipped_history(path)
    return None


def _check_test_data(data: object) -> None:
    if isinstance(data, Classifier):
        raise ParameterError("evaluate(model, test_data): the model goes first (a Classifier or a model file's "
                             "path), then the test set's folder; got the Classifier second")
    if not isinstance(data, (str, os.PathLike, Dataset)):
        raise ParameterError("evaluate's test data is a folder with a subfolder per class (or a zip of one, a "
                             f"project folder or a Dataset), got {type(data).__name__} {data!r:.60}")


def evaluate(clf: Classifier | str | os.PathLike[str], data: str | os.PathLike[str] | Dataset, *,
             clip_s: float = CLIP_S, clip_hop_s: float | None = None,
             on_skip: Callable[[Skipped], None] | None = None) -> EvaluationReport:
    """Score ``clf`` (a :class:`Classifier` or a model file's path) on a folder-per-class test set
    (or zip, or loaded :class:`Dataset`, or a project folder: its test set, with the model's classes
    under the names the project gives them now, see :func:`as_named_now`).

    A set read here is read as :func:`~earmark.dataset.load_dataset` reads it, with ``clip_s``,
    ``clip_hop_s`` and ``on_skip``; what decoding its files warned of (a file cut short, channels
    that cancel out) is the report's ``decoding_warnings``, the first of its ``warnings()``, and is
    issued too, once each (:func:`earmark.errors.warn`). A loaded :class:`Dataset` is taken as it is.

    The report names the test clips that are audio ``clf`` was trained on (``seen_in_training``),
    and, for a project's test set (its folder or export zip), those cut from a recording that the
    training samples hold clips of (``split_recordings``), and warns about them: their scores say
    little about new recordings.
    """
    _check_test_data(data)
    clf = as_named_now(as_classifier(clf, function="evaluate"), data)
    with _decoding_noted() as decoding:
        dataset, folders = _load_test_set(clf, data, clip_s=clip_s, clip_hop_s=clip_hop_s, on_skip=on_skip)
    report = _scored(clf, dataset, folders=folders)
    report.decoding_warnings = decoding
    return report


def _scored(clf: Classifier, dataset: Dataset, *, folders: dict[str, str]) -> EvaluationReport:
    """:func:`evaluate` on a test set loaded and checked (:func:`_load_test_set`), whose ``folders`` are
    ``clf``'s classes as given (the report's ``folders``)."""
    started = time.perf_counter()
    probs = clf.predict_clips([c.samples for c in dataset.clips])
    report = report_from_probabilities(probs, [c.label for c in dataset.clips], [c.name for c in dataset.clips],
                                       labels=clf.labels)
    report.skipped = list(dataset.skipped)
    report.seconds = time.perf_counter() - started
    learnt = clf.manifest.train_fingerprints
    if learnt is not None:  # model files from before earmark kept them have none: not known
        report.seen_in_training = sorted(c.name for c in dataset.clips if c.fingerprint in learnt)
    report.split_recordings = _split_recordings(dataset)
    report.folders = folders
    return report


def compare(a: Classifier | str | os.PathLike[str], b: Classifier | str | os.PathLike[str],
            data: str | os.PathLike[str] | Dataset, *, model_a: str | None = None,
            model_b: str | None = None, clip_s: float = CLIP_S, clip_hop_s: float | None = None) -> Comparison:
    """Evaluate two models (each a :class:`Classifier` or a model file's path) on the same test set;
    ``model_a`` and ``model_b`` name them in the result (by default the paths given, else ``A`` and ``B``).
    Each is scored as :func:`evaluate` scores it alone: the set's folders are matched to its own classes
    (``bass/`` may be A's ``Bass`` and B's ``bass``; the reports' ``folders`` say which), and a folder either
    model cannot place is refused, naming that model.

    A folder or zip is decoded (with ``clip_s`` and ``clip_hop_s``, as :func:`evaluate` reads it) once
    when both models share a sample rate, else once per rate; what decoding warned of is in both
    reports' ``decoding_warnings``, and is issued, once each however often the set was decoded.
    A loaded :class:`Dataset` is resampled from its own clips to each model's rate, so neither
    model hears audio resampled twice.

    Two that are one model (:func:`same_model`: one file given twice, or a copy of it) are scored
    once, and the result says so (``same_model``, both reports the one report).
    """
    name_a = model_a if model_a is not None else "A" if isinstance(a, Classifier) else str(a)
    name_b = model_b if model_b is not None else "B" if isinstance(b, Classifier) else str(b)
    first = as_classifier(a, function="compare")
    one_file = isinstance(a, (str, os.PathLike)) and isinstance(b, (str, os.PathLike)) \
        and Path(a).resolve() == Path(b).resolve()
    second = first if one_file else as_classifier(b, function="compare")
    if same_model(first, second):
        named = as_named_now(first, data)
        with _decoding_noted() as decoding:
            dataset, folders = _load_test_set(named, data, name=name_a, clip_s=clip_s, clip_hop_s=clip_hop_s)
        report = _scored(named, dataset, folders=folders)
        report.decoding_warnings = decoding
        return Comparison(report, report, model_a=name_a, model_b=name_b, same_model=True)
    first, second = as_named_now(first, data), as_named_now(second, data)
    with _decoding_noted() as decoding:
        read_a = _read_test_set(first, data, clip_s=clip_s, clip_hop_s=clip_hop_s)
        data_a, folders_a = _with_model_labels(first, read_a, name=name_a)
        # the set as read, its clips labelled by their folders: B matches them to its own classes, as evaluate would
        shared = not isinstance(data, Dataset) and first.sample_rate == second.sample_rate
        read_b = read_a if shared else _read_test_set(second, data, clip_s=clip_s, clip_hop_s=clip_hop_s)
        data_b, folders_b = _with_model_labels(second, read_b, name=name_b)
    report_a, report_b = _scored(first, data_a, folders=folders_a), _scored(second, data_b, folders=folders_b)
    report_a.decoding_warnings, report_b.decoding_warnings = decoding, list(decoding)
    return Comparison(report_a, report_b, model_a=name_a, model_b=name_b)


#: What two model files may differ in and still be one model: when it was made, and what training
#: measured and kept about its data (a copy re-stamped, or its metrics trimmed, hears the same).
_NOT_THE_MODEL = frozenset({"created", "metrics", "dataset"})


def same_model(a: Classifier, b: Classifier) -> bool:
    """Whether ``a`` and ``b`` are one model: the same object, or the same weights (by the digest a
    model file keeps) under the same manifest apart from when it was made, its metrics and its
    training set's facts. Two that share weights but hear differently (another ``window_s``,
    ``hop_s``, feature settings or background class) are two models."""
    if a is b:
        return True
    digest = a.manifest.weights_sha256
    return bool(digest) and digest == b.manifest.weights_sha256 and all(
        getattr(a.manifest, f.name) == getattr(b.manifest, f.name)
        for f in fields(a.manifest) if f.name not in _NOT_THE_MODEL)


def training_warnings(dataset: dict[str, Any]) -> list[str]:
    """What about a training set (a model file's ``dataset``, or :func:`earmark.train.warning_facts`)
    makes the model, or its validation figure, weaker than it could be, in words a person can act
    on (empty: nothing)."""
    out = []
    by_case: dict[str, list[str]] = {}
    for label in dataset.get("counts") or {}:
        by_case.setdefault(label.casefold(), []).append(label)
    for spellings in (v for v in by_case.values() if len(v) > 1):
        out.append(f"The classes {' and '.join(repr(n) for n in sorted(spellings))} differ only in case: on macOS "
                   "and Windows their folders would be one; if they are one class, move their files into one folder")
    same = dataset.get(SAME_AUDIO) or {}
    if same.get("count"):
        n, examples = int(same["count"]), same.get("examples") or []
        out.append(f"The same sound was trained on under two classes {'once' if n == 1 else f'{n} times'} "
                   f"({_groups_shown(examples, n)}): a copied file or a class folder linked into another teaches "
                   "the model two answers for one sound; keep each recording in one class and train again")
    twice = dataset.get(SAME_AUDIO_IN_CLASS) or {}
    if twice.get("count"):
        n, examples = int(twice["count"]), twice.get("examples") or []
        out.append(f"The same sound twice in one class, {'once' if n == 1 else f'{n} times'} "
                   f"({_groups_shown(examples, n)}): a file added twice is still one recording (validation "
                   "keeps its copies on one side), but training hears it once per copy; delete the copies")
    one = dataset.get(SPLIT_IN_TIME) or []
    if one:
        names = ", ".join(repr(label) for label in one)
        which = f"Class {names} has only one recording: validation used its end" if len(one) == 1 else \
            f"Classes {names} have only one recording each: validation used the end of each"
        out.append(f"{which}, after training on the rest, so the validation figure says little about new "
                   "recordings; add recordings from other takes")
    return out + _silence_warnings(dataset.get(SILENT_CLIPS) or {})


#: How many files a warning about silent clips names.
_SILENT_NAMED = 3


def _silence_warnings(silent: dict[str, Any]) -> list[str]:
    """The words for a training set's silent clips (:data:`earmark.modelfile.SILENT_CLIPS`): a
    background of digital silence (a real room never is), some silent clips in a class. A class
    other than background that is nothing but silence never trains (``Dataset.check_trainable``)."""
    out = []
    for label, facts in silent.items():
        n, total = int(facts.get("count", 0)), int(facts.get("clips", 0))
        listed = [str(f) for f in facts.get("files") or []][:_SILENT_NAMED]
        more = int(facts.get("file_count", len(listed))) - len(listed)
        files = ", ".join(listed) + (f" and {more} more" if more > 0 else "")
        if label == BACKGROUND_LABEL:
            which = f"all {n} of its clips" if n == total else f"{n} of its {total} clips"
            out.append(f"The background class is digital silence ({which}: {files}): a real room is never "
                       "silent, so the model will not learn what your room sounds like; record the room as it is "
                       "while none of your sounds play, with the microphone the model will listen with")
        elif 0 < n < total:
            out.append(f"{n} of the {total} clips of class {label!r} are silent ({files}): they teach the model "
                       f"that silence is {label!r}; delete them, or record them again with the microphone on")
    return out


def _groups_shown(examples: list[list[str]], n: int) -> str:
    """A few of ``n`` groups of clips that are one sound, as a warning names them."""
    return "; ".join(" = ".join(group[:3]) for group in examples[:3]) + ("; …" if n > 3 else "")
