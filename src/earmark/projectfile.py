"""The project file, ``earmark-project.json``: a project's name, and what it remembers of its
classes' past, so that what was made before a change still finds its way.

It keeps where classes were renamed to and samples moved to (``renamed_classes``,
``moved_samples``: old → new, for a model's report and an undo), and a log, in order, of the
class renames (:data:`RENAME_LOG`), from which a model trained before them is scored under
the names the classes have now (:meth:`ClassHistory.labels_now`). A project exported as a zip
keeps the file, and is read from the zip the same way (:func:`zipped_history`).
"""

from __future__ import annotations

import itertools
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .dataset import member_parts, zip_root

__all__ = ["PROJECT_FILE", "RENAME_LOG", "ClassChange", "ClassHistory", "zipped_history"]

PROJECT_FILE = "earmark-project.json"
#: The project file's log of class renames (``[{"from", "to", "at"}]``), for models made before them.
RENAME_LOG = "class_renames"
PROJECT_FORMAT = "earmark-project"


@dataclass(frozen=True)
class ClassChange:
    """One entry of a project's class log: class ``name`` renamed ``to`` another, at ``at`` (ISO time)."""

    name: str
    to: str
    at: str


def class_log(meta: dict[str, Any]) -> list[ClassChange] | None:
    """The class log of a project file's contents ``meta``, in order; ``None`` for a project file
    that keeps none (made before earmark kept it). Entries it cannot read are left out."""
    log = meta.get(RENAME_LOG)
    if not isinstance(log, list):
        return None
    return [ClassChange(name=str(e["from"]), to=str(e["to"]), at=str(e["at"]))
            for e in log if isinstance(e, dict) and {"from", "to", "at"} <= set(e)]


def remembered(meta: dict[str, Any], kind: str) -> dict[str, str]:
    """``renamed_classes`` (old class → new) or ``moved_samples`` ("class/id" → "class/id") of a
    project file's contents ``meta``."""
    found = meta.get(kind)
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


@dataclass(frozen=True)
class ClassHistory:
    """What a project's file says of its classes' past, with the classes it has now: enough to
    name a model's classes as the project names them now (:meth:`labels_now`)."""

    #: the project's name, for messages
    project: str
    #: its class folders' names now
    classes: list[str]
    #: its class log (:func:`class_log`); ``None`` when its file keeps none
    log: list[ClassChange] | None
    #: old class → its name now, as the project file keeps them (:func:`remembered`)
    renamed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, meta: dict[str, Any], *, project: str, classes: list[str]) -> ClassHistory:
        """The history a project file's contents ``meta`` tell, for a project with ``classes`` now."""
        return cls(project=project, classes=classes, log=class_log(meta),
                   renamed=remembered(meta, "renamed_classes"))

    def labels_now(self, labels: list[str], *, since: str) -> list[str]:
        """A model's ``labels`` (trained at ``since``, an ISO time as a model file's ``created``)
        under the names the project gives those classes now. A class of the model the project has
        deleted, and whose name another class was then renamed to, is ``NAME (deleted)``."""
        if self.log is None:
            return _renamed_by_map(labels, self.renamed, self.classes)
        return _renamed_by_log(labels, [c for c in self.log if c.at >= since], self.classes)


def _renamed_by_log(labels: list[str], log: list[ClassChange], names: list[str]) -> list[str]:
    """``labels`` after the renames of ``log``, in order (a swap through a third name included). A
    label whose name another class is renamed to had its own class deleted before: ``NAME (deleted)``."""
    now, gone = list(labels), set()
    for change in log:
        renamed = [i for i, n in enumerate(now) if n == change.name and i not in gone]
        if renamed:
            gone |= {j for j, n in enumerate(now) if n.casefold() == change.to.casefold() and j not in renamed}
            for i in renamed:
                now[i] = change.to
    return [_deleted_name(labels[i], names) if i in gone else n for i, n in enumerate(now)]


def _renamed_by_map(labels: list[str], renames: dict[str, str], names: list[str]) -> list[str]:
    """``labels`` as a project file without a class log says (each old name → its name now), for
    projects made before the log was kept."""
    moved = {label: renames[label] for label in labels if label not in names and renames.get(label) in names}
    taken = {new.casefold() for new in moved.values()}
    return [moved[label] if label in moved else _deleted_name(label, names) if label.casefold() in taken else label
            for label in labels]  # a label in ``taken``: its class was deleted, and another renamed to its name


def _deleted_name(label: str, names: list[str]) -> str:
    """``label (deleted)`` (``label (deleted 2)`` …): a name for a model's class the project no longer has."""
    return next(name for k in itertools.count(1)
                if (name := f"{label} (deleted{'' if k == 1 else f' {k}'})") not in names)


def zipped_history(path: Path) -> ClassHistory | None:
    """The class history of a project exported as the zip ``path`` (the studio's export: its
    project file and ``samples/`` class folders), read without unpacking it; ``None`` when the
    zip holds no readable project file where :func:`earmark.dataset.load_dataset` finds it."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = {member_parts(m.filename): m for m in archive.infolist() if not m.is_dir()}
            top = zip_root([m.filename for m in members.values()])
            found = members.get((*top, PROJECT_FILE))
            meta = json.loads(archive.read(found)) if found is not None else None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, NotImplementedError):
        return None  # reading it as a test set says what is wrong with it
    if not isinstance(meta, dict) or meta.get("format") != PROJECT_FORMAT:
        return None
    depth = len(top)
    classes = sorted({parts[depth + 1] for parts in members
                      if len(parts) > depth + 2 and parts[:depth] == top and parts[depth] == "samples"
                      and not parts[depth + 1].startswith(".")})
    name = str(meta.get("name") or (top[-1] if top else path.stem))
    return ClassHistory.of(meta, project=name, classes=classes)
