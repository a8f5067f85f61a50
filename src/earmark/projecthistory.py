"""Where a project's classes and samples are now, after renames and moves: the part of
:class:`~earmark.project.Project` that reads what its project file (:mod:`earmark.projectfile`)
remembers of their past, for a model's report, a delete's Undo (:mod:`earmark.trash`) and a move's Undo.

One walker follows a class through renames (:meth:`ProjectHistory.follow_renames`): in order, from
a place in the class log (:meth:`ProjectHistory.log_position`, kept by a delete or a move), or,
where the log does not reach back, through the renames the project file remembers in no order.
A delete's Undo, and a move's, follow the class a sample was deleted from (or moved between) through
every change logged since, in order (:meth:`ProjectHistory.follow_class`, from :meth:`ProjectHistory.changes_after`
or :meth:`ProjectHistory.changes_since`): a class renamed onto its name, or made anew under it after it was
deleted, is another class.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, NamedTuple

from .dataset import is_background_name
from .naming import name_key
from .projectfile import PROJECT_FILE, RENAME_LOG, ClassChange, ClassHistory, ProjectFile, class_log, log_count

__all__ = ["Followed", "ProjectHistory"]


class Followed(NamedTuple):
    """Where a class is now, as the class log says (:meth:`ProjectHistory.follow_class`)."""

    #: its name now (its last name, when it is gone)
    name: str
    #: the class of that name there is now, when it is this class; ``None`` when it is gone
    there: str | None
    #: the trash folder of the delete that took it since (and was not undone); ``""``: not deleted
    deleted_in: str


class ProjectHistory(ABC):
    """What a project remembers of its classes' past, and where that says a class or sample is now;
    built on the project's classes (the abstract methods, which :class:`~earmark.project.Project` has)."""

    root: Path
    name: str

    @abstractmethod
    def class_names(self) -> list[str]: ...

    @property
    @abstractmethod
    def samples_dir(self) -> Path: ...

    @property
    def file(self) -> ProjectFile:
        """The project file (``earmark-project.json``): its name, and what it remembers of its classes."""
        return ProjectFile(self.root / PROJECT_FILE)

    def where_now(self, kind: str) -> dict[str, str]:
        """``renamed_classes`` (old class → new) or ``moved_samples`` ("class/id" → "class/id"), as the
        project file keeps them for :meth:`locate_sample` (and :mod:`earmark.trash`, whose undo follows
        a class renamed since)."""
        return self.file.where_now(kind)

    def remember(self, kind: str, old: str, new: str) -> None:
        """Remember in the project file that ``old`` is now ``new`` (see :meth:`where_now`)."""
        self.file.remember(kind, old, new)

    def renames_since(self, when: str) -> list[tuple[str, str]] | None:
        """The class renames (``(old, new)``, in order) made at or after ``when`` (an ISO time, as a model
        file's ``created``); ``None`` for a project whose file keeps no such log (made before it did)."""
        log = class_log(self.file.read())
        return None if log is None else [(c.name, c.to) for c in log if c.kind == "renamed" and c.at >= when]

    def class_history(self) -> ClassHistory:
        """What the project file says of the classes' past, with the classes now: a model's classes
        under the names they have now (:meth:`~earmark.projectfile.ClassHistory.labels_now`)."""
        return ClassHistory.of(self.file.read(), project=self.name, classes=self.class_names())

    def locate_sample(self, class_name: str, sample_id: str) -> tuple[str, str]:
        """Where sample ``class_name/sample_id`` (as a model's report names it) is now, following
        the classes renamed and the samples moved since; as given when it is there or gone."""
        if (self.samples_dir / class_name / sample_id).is_file():
            return class_name, sample_id  # the usual case: no need to read the project file
        moves = self.where_now("moved_samples")
        for _ in range(len(moves) + 2):
            if (self.samples_dir / class_name / sample_id).is_file():
                break
            key = f"{class_name}/{sample_id}"
            if key in moves:
                class_name, _, sample_id = moves.pop(key).partition("/")
            elif (now_in := self.follow_renames(class_name, None)[0]) != class_name:
                class_name = now_in
            else:
                break
        return class_name, sample_id

    def class_now(self, name: str, *, since: int | None = None) -> tuple[str, bool]:
        """What class ``name`` is called now, and whether there is such a class: followed through the
        class renames logged since the class log was at ``since`` (a :meth:`log_position`, as a move
        or delete kept it), in order; without ``since`` (or when the log does not reach back to it),
        through the renames the project file remembers in no order (:meth:`follow_renames`). A move's
        Undo follows a class by :meth:`follow_class` where the log reaches back, and this where it does not."""
        return self.follow_renames(name, self.file.renames_from(since))

    def log_position(self) -> int:
        """Where the class log is now: what a move or delete keeps for its Undo (:meth:`class_now`)."""
        return self.file.position()

    def changes_after(self, trash_id: str, *, at: str, mark: int | None) -> list[ClassChange] | None:
        """The class log's changes (in order) made after the delete whose trash folder is ``trash_id``:
        those after its entry, where the log holds it (a class's delete), else those since :meth:`log_position`
        ``mark`` (as the delete's trash folder keeps it), else, for a delete made before earmark kept that,
        those made at or after ``at``, its time (see :func:`earmark.projectfile.renames_after`). ``None``
        when the log does not reach back to the delete (no log, or it lost its oldest entries since)."""
        meta = self.file.read()
        log, raw = class_log(meta), meta.get(RENAME_LOG)
        if log is None or not isinstance(raw, list):
            return None
        logged = [i for i, change in enumerate(log) if change.kind == "deleted" and change.trash == trash_id]
        if logged:
            return log[logged[-1] + 1:]
        if mark is not None:
            return _changes_from(meta, raw, mark)
        return [change for change in log if change.at >= at] if at and log and log[0].at <= at else None

    def changes_since(self, mark: int | None) -> list[ClassChange] | None:
        """The class log's changes (in order) made since it was at :meth:`log_position` ``mark`` (as a move
        answered it, for its Undo: :meth:`follow_class`); ``None`` when not known (no ``mark``, no log, or
        the log lost its oldest entries since)."""
        meta = self.file.read()
        raw = meta.get(RENAME_LOG)
        return None if mark is None or not isinstance(raw, list) else _changes_from(meta, raw, mark)

    def follow_class(self, name: str, changes: list[ClassChange]) -> Followed:
        """Class ``name`` followed through ``changes`` (:meth:`changes_after`), in order: renamed, deleted,
        and back with the Undo of that delete. Once deleted, a change to a class of its name is another
        class's (one made anew); and so is a class of its last name there is now, when the log says it
        is gone (it is ``there`` only when the log says it is this one)."""
        gone: str | None = None
        for change in changes:
            if gone is not None:
                if change.kind == "restored" and change.trash == gone:
                    name, gone = change.to, None
            elif name_key(change.name) == name_key(name):
                if change.kind == "renamed":
                    name = change.to
                elif change.kind == "deleted":
                    gone = change.trash
        there = _class_named(name, self.class_names()) if gone is None else None
        return Followed(name, there, gone or "")

    def follow_renames(self, name: str, renames: list[tuple[str, str]] | None) -> tuple[str, bool]:
        """Class ``name`` followed through ``renames`` (``(old, new)``, in order; ``None``: those the
        project file remembers, bass → guitar → lead guitar), stopping at a class there is now (one of
        that very name, in any case or Unicode form, comes first: a class renamed away from ``name``
        before a class of that name was made is another class); its name and whether there is one."""
        names = self.class_names()
        if renames is None:
            remembered = self.where_now("renamed_classes")
            for _ in range(len(remembered)):
                if _class_named(name, names) is not None or name not in remembered:
                    break
                name = remembered.pop(name)
        else:
            for old, new in renames:
                if _class_named(name, names) is not None:
                    break
                if name_key(old) == name_key(name):
                    name = new
        there = _class_named(name, names)
        return (there, True) if there is not None else (name, False)


def _changes_from(meta: dict[str, Any], raw: list[Any], mark: int) -> list[ClassChange] | None:
    """The changes of a project file's class log (``raw``, as ``meta`` holds it) from :meth:`log_position`
    ``mark`` on; ``None`` when the log lost its oldest entries since."""
    start = mark - (log_count(meta) - len(raw))
    return None if start < 0 else class_log({RENAME_LOG: raw[start:]})


def _class_named(name: str, names: list[str]) -> str | None:
    """The class of ``names`` that ``name`` names: itself, the background class by any of its names,
    or one of that name in another case or Unicode form; ``None`` when there is none."""
    if name in names:
        return name
    if is_background_name(name) and names and is_background_name(names[0]):
        return names[0]
    return next((n for n in names if name_key(n) == name_key(name)), None)
