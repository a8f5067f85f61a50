"""The project file, ``earmark-project.json``: a project's name, and what it remembers of its
classes' past, so that what was made before a change still finds its way.

It keeps where classes were renamed to and samples moved to (``renamed_classes``,
``moved_samples``: old → new, for a model's report and an undo), and a log, in order, of the
class renames, deletes and undone deletes (:data:`RENAME_LOG`), from which a model trained
before them is scored under the names the classes have now (:meth:`ClassHistory.labels_now`):
a class deleted, then made anew under its old name, is not the class the model knew. A project
exported as a zip keeps the file, and is read from the zip the same way (:func:`zipped_history`).
"""

from __future__ import annotations

import itertools
import json
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ._version import __version__
from .archive import zip_members, zip_root
from .atomic import atomic_write
from .errors import DatasetError

__all__ = ["PROJECT_FILE", "PROJECT_FORMAT_VERSION", "RENAME_LOG", "ClassChange", "ClassHistory", "ProjectFile",
           "ZippedProject", "changes_after", "changes_since", "class_log", "classes_deleted", "log_count", "now",
           "remembered", "with_change", "zipped_history", "zipped_project"]

PROJECT_FILE = "earmark-project.json"
#: The project file's log of class renames, deletes and their undos (:class:`ClassChange`), in
#: order, for models made before them; named for the renames, which it logged first.
RENAME_LOG = "class_renames"
#: The most entries the class log keeps (the oldest go first).
MAX_LOG = 1000
#: How many entries were ever added to the class log (the oldest may be gone: :data:`MAX_LOG`), so that
#: a place in the log (:func:`log_count`, taken by a delete or a move) still finds it as it grows.
LOG_COUNT = "class_log_count"
PROJECT_FORMAT = "earmark-project"
#: The project file's ``format_version`` this earmark writes and reads: a file of a higher one (a newer
#: earmark's) is refused, never read in part and written over (:meth:`ProjectFile.read_checked`).
PROJECT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class ClassChange:
    """One entry of a project's class log, made at ``at`` (an ISO time): class ``name`` renamed
    ``to`` another name (``kind`` ``"renamed"``), deleted into the project's trash folder ``trash``
    (``"deleted"``), or put back from there ``to`` a class (``"restored"``, the delete's undo)."""

    kind: Literal["renamed", "deleted", "restored"]
    name: str
    at: str
    to: str = ""
    trash: str = ""

    def __post_init__(self) -> None:  # as a model's labels: a folder adopted from a Mac is named in NFD
        object.__setattr__(self, "name", _nfc(self.name))
        object.__setattr__(self, "to", _nfc(self.to))

    def to_dict(self) -> dict[str, str]:
        """The entry as the project file keeps it (a rename as ``{"from", "to", "at"}``, as
        earmark kept renames before it kept deletes)."""
        if self.kind == "renamed":
            return {"from": self.name, "to": self.to, "at": self.at}
        if self.kind == "deleted":
            return {"deleted": self.name, "trash": self.trash, "at": self.at}
        return {"restored": self.name, "to": self.to, "trash": self.trash, "at": self.at}

    @classmethod
    def from_dict(cls, entry: object) -> ClassChange | None:
        """The change a log entry records; ``None`` for one it cannot read."""
        if not isinstance(entry, dict) or "at" not in entry:
            return None
        at, trash = str(entry["at"]), str(entry.get("trash", ""))
        if {"from", "to"} <= set(entry):
            return cls("renamed", str(entry["from"]), at, to=str(entry["to"]))
        if "deleted" in entry:
            return cls("deleted", str(entry["deleted"]), at, trash=trash)
        if {"restored", "to"} <= set(entry):
            return cls("restored", str(entry["restored"]), at, to=str(entry["to"]), trash=trash)
        return None


def class_log(meta: dict[str, Any]) -> list[ClassChange] | None:
    """The class log of a project file's contents ``meta``, in order; ``None`` for a project file
    that keeps none (made before earmark kept it). Entries it cannot read are left out."""
    log = meta.get(RENAME_LOG)
    if not isinstance(log, list):
        return None
    return [change for entry in log if (change := ClassChange.from_dict(entry)) is not None]


def _nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


def log_count(meta: dict[str, Any]) -> int:
    """How many entries were ever added to the class log of a project file's contents ``meta``: the
    place in the log of the next one (:data:`LOG_COUNT`; the log's length, for a file that keeps none)."""
    found, log = meta.get(LOG_COUNT), meta.get(RENAME_LOG)
    length = len(log) if isinstance(log, list) else 0
    return found if isinstance(found, int) and not isinstance(found, bool) and found >= length else length


def changes_since(meta: dict[str, Any], mark: int | None) -> list[ClassChange] | None:
    """The changes (in order) of the class log of a project file's contents ``meta`` made since it was at
    :meth:`ProjectFile.position` ``mark`` (as a move or a delete kept it, for its Undo); ``None`` when not
    known (no ``mark``, no log, or the log lost its oldest entries since)."""
    raw = meta.get(RENAME_LOG)
    if mark is None or not isinstance(raw, list):
        return None
    start = mark - (log_count(meta) - len(raw))
    return None if start < 0 else class_log({RENAME_LOG: raw[start:]})


def changes_after(meta: dict[str, Any], trash_id: str, *, at: str, mark: int | None) -> list[ClassChange] | None:
    """The changes (in order) of the class log of a project file's contents ``meta`` made after the delete
    whose trash folder is ``trash_id``, as its Undo follows them: those after its entry, where the log holds
    it (a class's delete), else those since :meth:`ProjectFile.position` ``mark`` (as its trash folder keeps
    it: :func:`changes_since`), else, for a delete made before earmark kept that, those made at or after
    ``at``, the delete's time (an ISO time as the log writes them; a change in the same second counts as
    after). ``None`` when the log does not reach back to the delete (no log, it began after the delete, or
    it lost its oldest entries since): the renames the project file remembers in no order are all there is."""
    log = class_log(meta)
    if log is None:
        return None
    if logged := _deletes(log, trash_id):
        return log[logged[-1] + 1:]
    if mark is not None:
        return changes_since(meta, mark)
    return [change for change in log if change.at >= at] if at and log and log[0].at <= at else None


def classes_deleted(meta: dict[str, Any], trash_id: str) -> list[str]:
    """The classes the delete whose trash folder is ``trash_id`` took whole, as the class log of a project
    file's contents ``meta`` names them; none for a delete of samples or models, or a file that keeps no log."""
    log = class_log(meta) or []
    return [log[i].name for i in _deletes(log, trash_id)]


def _deletes(log: list[ClassChange], trash_id: str) -> list[int]:
    """The places in ``log`` of the class deletes into trash folder ``trash_id``."""
    return [i for i, change in enumerate(log) if change.kind == "deleted" and change.trash == trash_id]


def with_change(meta: dict[str, Any], change: ClassChange) -> dict[str, Any]:
    """A project file's contents ``meta`` with ``change`` added to its class log (the last
    :data:`MAX_LOG` entries are kept)."""
    found = meta.get(RENAME_LOG)
    log: list[Any] = found if isinstance(found, list) else []
    return {**meta, RENAME_LOG: [*log, change.to_dict()][-MAX_LOG:], LOG_COUNT: log_count(meta) + 1}


def remembered(meta: dict[str, Any], kind: str) -> dict[str, str]:
    """``renamed_classes`` (old class → new) or ``moved_samples`` ("class/id" → "class/id") of a
    project file's contents ``meta``."""
    found = meta.get(kind)
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


#: What to do about a project file that cannot be read: its samples, models and test set are safe in
#: their folders, and `earmark studio FOLDER` makes a new file for them (the class renames it logged are lost).
_MEND = ("fix it (it is JSON), or move it aside and run `earmark studio` on the project folder once, which makes a "
         "new one from the folder's samples, models and test set (the class renames it remembered are lost)")


class ProjectFile:
    """A project's ``earmark-project.json``, read and written whole (atomically); an adopted
    folder may have none, or one that cannot be read, and keeps nothing then."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, Any]:
        """What the file holds; empty when it is missing or cannot be read."""
        try:
            meta = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return meta if isinstance(meta, dict) else {}

    def read_or_missing(self) -> dict[str, Any]:
        """What the file holds; empty only when there is none (an adopted folder), else what
        :meth:`read_checked` says of one that cannot be read (never read as empty, and written over)."""
        if not self.path.exists() and not self.path.is_symlink():
            return {}
        return self.read_checked()

    def read_checked(self) -> dict[str, Any]:
        """What the file holds, or :class:`DatasetError` saying what to do when it cannot be read, is
        not an earmark project file, or is of a format this earmark does not know (:meth:`check_version`)."""
        try:
            meta = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DatasetError(f"{self.path}: cannot be read ({exc}); {_MEND}") from exc
        if not isinstance(meta, dict) or meta.get("format") != PROJECT_FORMAT:
            raise DatasetError(f"{self.path}: is not an earmark project file; {_MEND}")
        self.check_version(meta)
        return meta

    def check_version(self, meta: dict[str, Any]) -> None:
        """:class:`DatasetError` when the file's contents ``meta`` are of a ``format_version`` above
        :data:`PROJECT_FORMAT_VERSION` (a newer earmark's), or one that cannot be read; none (the first
        files) is format 1."""
        found = meta.get("format_version", 1)
        if isinstance(found, str) and found.isascii() and found.isdigit():
            found = int(found)
        if not isinstance(found, int) or isinstance(found, bool):
            raise DatasetError(f"{self.path}: has an unreadable format_version ({json.dumps(found)}); fix it, or "
                               "upgrade earmark with 'pip install -U earmark' if a newer earmark wrote it")
        if found > PROJECT_FORMAT_VERSION:
            raise DatasetError(f"{self.path}: was made by a newer earmark (project format {found}; this earmark "
                               f"{__version__} reads format {PROJECT_FORMAT_VERSION}); upgrade earmark with "
                               "'pip install -U earmark'")

    def _read_for_change(self) -> dict[str, Any]:
        """What the file holds, to change and write back (:meth:`read`): empty, as read, for one that cannot
        be read; :class:`DatasetError` for one of a newer format, which is never written over."""
        meta = self.read()
        if meta.get("format") == PROJECT_FORMAT:
            self.check_version(meta)
        return meta

    def write(self, meta: dict[str, Any]) -> None:
        with atomic_write(self.path) as fh:
            fh.write(json.dumps(meta, indent=2).encode())

    def write_new(self, *, name: str, **extra: Any) -> None:
        """Write a new project file for a project called ``name``, with ``extra`` fields."""
        self.write({"format": PROJECT_FORMAT, "format_version": PROJECT_FORMAT_VERSION, "name": name, **extra})

    def where_now(self, kind: str) -> dict[str, str]:
        """``renamed_classes`` or ``moved_samples`` as the file keeps them (:func:`remembered`)."""
        return remembered(self.read(), kind)

    def remember(self, kind: str, old: str, new: str, *, logged: bool = True) -> None:
        """Remember that ``old`` is now ``new`` (see :func:`remembered`); a class rename is logged too,
        unless not ``logged`` (no rename: an Undo's samples joined a class by another name)."""
        meta = self._read_for_change()
        if not meta:
            return
        known = {k: (new if v == old else v) for k, v in remembered(meta, kind).items() if k != new}
        known[old] = new
        meta[kind] = {k: v for k, v in known.items() if k != v}
        if kind == "renamed_classes" and logged:  # and in order, with when: a model follows the renames made since it
            meta = with_change(meta, ClassChange("renamed", old, now(), to=new))
        self.write(meta)

    def position(self) -> int:
        """Where the class log is now (how many entries were ever added to it): what a delete or a move
        keeps, so that its Undo follows the class changes made after it (:func:`changes_since`)."""
        return log_count(self.read())

    def log(self, change: ClassChange) -> None:
        """Add ``change`` to the class log."""
        meta = self._read_for_change()
        if meta:
            self.write(with_change(meta, change))


def now() -> str:
    """The time now as the project file and model files write it (ISO, UTC, in seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


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
        deleted (and not put back) is ``NAME (deleted)``, even where another class has its name now."""
        labels, names = [_nfc(label) for label in labels], [_nfc(name) for name in self.classes]  # a Mac's folders: NFD
        if self.log is None:
            return _renamed_by_map(labels, {_nfc(k): _nfc(v) for k, v in self.renamed.items()}, names)
        return _renamed_by_log(labels, [c for c in self.log if c.at >= since], names)


def _renamed_by_log(labels: list[str], log: list[ClassChange], names: list[str]) -> list[str]:
    """``labels`` after the changes of ``log``, in order (a swap through a third name included).

    A label whose class was deleted is ``NAME (deleted)``, whatever class is given its name later,
    until that delete is undone; so is a label whose name another class is renamed to (its class
    was deleted before deletes were logged)."""
    now = list(labels)
    gone: dict[int, str] = {}  # label → the trash folder of the delete that took its class ("": not known)
    for change in log:
        live = [i for i in range(len(now)) if i not in gone]
        if change.kind == "renamed":
            renamed = [i for i in live if now[i] == change.name]
            if renamed:
                gone |= {j: "" for j in live if now[j].casefold() == change.to.casefold() and j not in renamed}
                for i in renamed:
                    now[i] = change.to
        elif change.kind == "deleted":
            gone |= {i: change.trash for i in live if now[i] == change.name}
        elif not any(now[j].casefold() == change.to.casefold() for j in live):
            # restored: what that delete took is back, in class ``to`` (unless the model knows that
            # class as another of its own: the clips there are then mostly that one's)
            for i in [i for i, trash in gone.items() if trash and trash == change.trash]:
                del gone[i]
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


@dataclass(frozen=True)
class ZippedProject:
    """A project exported as a zip (the studio's export), read without unpacking it."""

    #: what its project file holds
    meta: dict[str, Any]
    #: its files, each as the folders and name below the project's folder in the zip
    #: (``("samples", "bass", "a.wav")``)
    files: list[tuple[str, ...]]
    #: the project's folder in the zip (``("band",)``; ``()``: the zip's top)
    top: tuple[str, ...]


def zipped_project(path: Path) -> ZippedProject | None:
    """The project exported as the zip ``path`` (its project file and where its files are);
    ``None`` when the zip holds no readable project file where :func:`earmark.dataset.load_dataset`
    finds it."""
    try:
        with zipfile.ZipFile(path) as archive:
            # as extract_zip unpacks them: its names read as their zipper meant them, no case twins
            members = {m.parts: m.info for m in zip_members(archive)}
            top = zip_root(["/".join(parts) for parts in members])
            found = members.get((*top, PROJECT_FILE))
            meta = json.loads(archive.read(found)) if found is not None else None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, NotImplementedError):
        return None  # reading it as a test set says what is wrong with it
    if not isinstance(meta, dict) or meta.get("format") != PROJECT_FORMAT:
        return None
    depth = len(top)
    return ZippedProject(meta=meta, files=[parts[depth:] for parts in members if parts[:depth] == top], top=top)


def zipped_history(path: Path) -> ClassHistory | None:
    """The class history of a project exported as the zip ``path`` (the studio's export: its
    project file and ``samples/`` class folders), read without unpacking it; ``None`` when the
    zip holds no readable project file (see :func:`zipped_project`)."""
    project = zipped_project(path)
    if project is None:
        return None
    classes = sorted({parts[1] for parts in project.files
                      if len(parts) > 2 and parts[0] == "samples" and not parts[1].startswith(".")})
    name = str(project.meta.get("name") or (project.top[-1] if project.top else path.stem))
    return ClassHistory.of(project.meta, project=name, classes=classes)
