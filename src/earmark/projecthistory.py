"""Where a project's classes and samples are now, after renames and moves: the part of
:class:`~earmark.project.Project` that reads what its project file (:mod:`earmark.projectfile`)
remembers of their past, for a model's report, a delete's Undo (:mod:`earmark.trash`) and a move's Undo.

A delete's Undo, and a move's, follow the class a sample was deleted from (or moved between) through
every change logged since, in order (:meth:`ProjectHistory.follow_class`, from :meth:`ProjectHistory.changes_after`
or :meth:`ProjectHistory.changes_since`): a class renamed onto its name, or made anew under it after it was
deleted, is another class. Where the class log does not reach back (a project made before earmark kept it, or
one whose log lost its oldest entries), a class is followed through the renames the project file remembers in
no order (:meth:`ProjectHistory.class_now`), as a model's report follows it (:meth:`ProjectHistory.locate_sample`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import NamedTuple

from .dataset import is_background_name
from .naming import name_key
from .projectfile import (
    PROJECT_FILE,
    ClassChange,
    ClassHistory,
    ProjectFile,
    changes_after,
    changes_since,
    class_log,
    classes_deleted,
)

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
            elif (now_in := self.class_now(class_name)[0]) != class_name:
                class_name = now_in
            else:
                break
        return class_name, sample_id

    def class_now(self, name: str) -> tuple[str, bool]:
        """What class ``name`` is called now, and whether there is such a class: followed through the
        renames the project file remembers, in no order (bass → guitar → lead guitar), stopping at a class
        there is now (one of that very name, in any case or Unicode form, comes first). For a model's report
        (:meth:`locate_sample`), and for an Undo only where the class log does not tell (:meth:`changes_after`
        or :meth:`changes_since` is ``None``: a project made before earmark kept it, a move's Undo without its
        ``log_position``); an Undo follows the log where it can (:meth:`follow_class`)."""
        names, remembered = self.class_names(), self.where_now("renamed_classes")
        for _ in range(len(remembered)):
            if _class_named(name, names) is not None or name not in remembered:
                break
            name = remembered.pop(name)
        there = _class_named(name, names)
        return (there, True) if there is not None else (name, False)

    def log_position(self) -> int:
        """Where the class log is now: what a move or delete keeps for its Undo (:meth:`changes_since`)."""
        return self.file.position()

    def changes_after(self, trash_id: str, *, at: str, mark: int | None) -> list[ClassChange] | None:
        """The class log's changes (in order) made after the delete whose trash folder is ``trash_id`` (made
        at ``at``, with the log at :meth:`log_position` ``mark``), for its Undo, as
        :func:`earmark.projectfile.changes_after` finds them; ``None`` when the log does not reach back to it."""
        return changes_after(self.file.read(), trash_id, at=at, mark=mark)

    def changes_since(self, mark: int | None) -> list[ClassChange] | None:
        """The class log's changes (in order) made since it was at :meth:`log_position` ``mark`` (as a move
        answered it, for its Undo: :meth:`follow_class`); ``None`` when not known (no ``mark``, no log, or
        the log lost its oldest entries since)."""
        return changes_since(self.file.read(), mark)

    def classes_deleted(self, trash_id: str) -> list[str]:
        """The classes the delete whose trash folder is ``trash_id`` took whole, as the class log names them
        (:func:`earmark.projectfile.classes_deleted`)."""
        return classes_deleted(self.file.read(), trash_id)

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


def _class_named(name: str, names: list[str]) -> str | None:
    """The class of ``names`` that ``name`` names: itself, the background class by any of its names,
    or one of that name in another case or Unicode form; ``None`` when there is none."""
    if name in names:
        return name
    if is_background_name(name) and names and is_background_name(names[0]):
        return names[0]
    return next((n for n in names if name_key(n) == name_key(name)), None)
