"""A model's page under the names the project gives its classes now: a model file keeps the class
names it was trained with (``bass``), and a class renamed since (``electric bass``) is shown by its
new name in the model's confusion matrix, per-class figures and warnings, as scoring the model on the
project's test set names it (:func:`earmark.evaluate.as_named_now`) and as its confusion cells find
their clips (:meth:`earmark.project.Project.locate_sample`). The model file is not changed."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ..modelfile import SAME_AUDIO, SAME_AUDIO_IN_CLASS, SILENT_CLIPS, SPLIT_IN_TIME, Manifest
from ..project import Project
from ..report import EvaluationReport

__all__ = ["dataset_now", "file_now", "names_now", "validation_now"]

#: A clip's name: its file, then where in it the clip starts (:attr:`earmark.dataset.Clip.name`).
_AT_OFFSET = re.compile(r"@\d+(?:\.\d+)?s\Z")


def names_now(project: Project, manifest: Manifest) -> dict[str, str]:
    """Each of the model's classes (as trained) → the name its page shows: the class's name in the
    project now (:meth:`~earmark.projectfile.ClassHistory.labels_now`: renamed since, its new name;
    deleted, ``bass (deleted)``), or ``bass (now: electric bass)`` where two of the model's classes
    would otherwise be shown by one name."""
    now = project.class_history().labels_now(manifest.labels, since=manifest.created)
    shown = Counter(name.casefold() for name in now)
    return {old: new if old == new or shown[new.casefold()] == 1 else f"{old} (now: {new})"
            for old, new in zip(manifest.labels, now, strict=True)}


def file_now(project: Project, file: str) -> str:
    """A training or validation file as a model file names it (``bass/take.wav``, a clip of it
    ``bass/take.wav@4.00s``) as it is named now: where the sample is now, its class renamed or the
    file moved since (as given when it is gone)."""
    at = _AT_OFFSET.search(file)
    path, offset = (file[:at.start()], at.group()) if at else (file, "")
    class_name, slash, sample_id = path.partition("/")
    if not (slash and class_name):
        return file
    return "/".join(project.locate_sample(class_name, sample_id)) + offset


def validation_now(project: Project, validation: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A model's validation report (``metrics["validation"]``) with its classes and files under
    ``names`` (:func:`names_now`), and the warnings it calls for worded with them."""
    def name(label: str) -> str:
        return names.get(label, label)

    confusion = validation.get("confusion")
    now = {**validation, "labels": [name(label) for label in validation["labels"]],
           "per_class": {name(label): scores for label, scores in validation["per_class"].items()},
           "confusion": {**confusion, "labels": [name(label) for label in confusion.get("labels", [])]}
           if isinstance(confusion, dict) else confusion,
           "misclassified": [{**m, "true": name(m["true"]), "predicted": name(m["predicted"]),
                              **({"file": file_now(project, str(m["file"]))} if "file" in m else {})}
                             for m in validation["misclassified"]]}
    return {**now, "warnings": EvaluationReport.from_dict(now).warnings()}


def dataset_now(project: Project, dataset: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """What a model file keeps of its training set for its warnings (``manifest.dataset``, read by
    :func:`earmark.evaluate.training_warnings`) with its classes and files under ``names``."""
    def groups(facts: dict[str, Any]) -> dict[str, Any]:
        return {**facts, "examples": [[file_now(project, f) for f in group] for group in facts.get("examples") or []]}

    now = dict(dataset)
    if "counts" in dataset:
        now["counts"] = {names.get(label, label): n for label, n in (dataset["counts"] or {}).items()}
    for key in (SAME_AUDIO, SAME_AUDIO_IN_CLASS):
        if dataset.get(key):
            now[key] = groups(dataset[key])
    if dataset.get(SPLIT_IN_TIME):
        now[SPLIT_IN_TIME] = [names.get(label, label) for label in dataset[SPLIT_IN_TIME]]
    if dataset.get(SILENT_CLIPS):
        now[SILENT_CLIPS] = {names.get(label, label): {**facts, "files": [file_now(project, f) for f in
                                                                          facts.get("files") or []]}
                             for label, facts in dataset[SILENT_CLIPS].items()}
    return now
