"""Deleting without losing: a delete moves what it takes into a new folder of a ``.trash`` folder,
and its undo puts it back.

In a project (:class:`~earmark.project.Project`), a deleted sample, class or model waits in
``PROJECT/.trash/<id>/``, keeping its place: ``<class>/<file>`` for training samples,
``.test/<class>/<file>`` for the test set, ``.models/<file>`` for model files, beside a small
``.class-log-position`` file (where the class log was, for the undo). The studio keeps
a deleted project in ``PROJECTS/.trash/<id>/<project>/``. An ``<id>`` is the time of the delete
and a counter, so two deletes never share a folder. Nothing in a ``.trash`` folder is ever
deleted by earmark; a person empties it by hand.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .audio import AUDIO_EXTENSIONS
from .dataset import audio_files, recording_of
from .errors import ConflictError, NotFoundError
from .naming import NAMING, free_path, name_key, new_file, quoted, quoted_list
from .projectfile import classes_deleted
from .projectmodels import MODEL_SUFFIX

if TYPE_CHECKING:
    from .project import Project, SampleInfo

__all__ = ["TRASH_DIR", "Restored", "TrashEntry", "Trashed", "cannot_move", "deleted", "deleted_at", "entry_ids",
           "is_entry", "new_entry", "remove_empty_folders", "remove_entries", "remove_for_good", "restore", "to_trash"]

#: The folder, in a project or in the studio's projects folder, that deletes go to.
TRASH_DIR = ".trash"
#: Where a deleted model waits in its ``.trash`` folder (beside the class folders of deleted
#: samples; no class name starts with a dot).
_TRASHED_MODELS = ".models"
#: Where deleted test samples wait in a ``.trash`` folder: ``.test/<class>/...``.
_TRASHED_TEST = ".test"
#: The file in a project delete's ``.trash`` folder that keeps where the class log was at the delete
#: (:meth:`~earmark.project.Project.log_position`), so that its undo follows the renames made after it.
_LOG_MARK = ".class-log-position"
#: What a delete's folder is renamed to while :func:`remove_for_good` deletes it (never listed, never restored).
_REMOVING = ".removing-"
#: A ``.trash`` folder's name: the time of the delete, then nanoseconds and a counter (:func:`new_entry`).
_TRASH_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9]{9}-[0-9]{1,3}")


@dataclass(frozen=True)
class Trashed:
    """What a delete moved to the project's ``.trash``: ``id`` names it for :func:`restore`."""

    id: str
    samples: int


@dataclass(frozen=True)
class Restored:
    """What :func:`restore` put back: samples (of one class, or one sample) or a model (its id); ``notes``:
    what did not go back as it was, in words (a class back under another name, a class restored too)."""

    samples: list[SampleInfo]
    models: list[str]
    notes: list[str] = field(default_factory=list)


def new_entry(trash: Path) -> str:
    """Make a new, empty folder in ``trash`` (made if missing) for one delete; its name. Call it
    holding :data:`~earmark.naming.NAMING`."""
    trash.mkdir(exist_ok=True)
    base = f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9:09d}"
    for n in range(1, 1000):  # a coarse clock may give two deletes one stamp: never merge them
        stamp = f"{base}-{n}"
        with contextlib.suppress(FileExistsError):
            (trash / stamp).mkdir()
            return stamp
    raise ConflictError(f"{trash} holds 999 deletes made at {base}; try again")


def is_entry(trash: Path, trash_id: str) -> bool:
    """Whether ``trash_id`` (as a client sent it) names a delete's folder in ``trash`` that is still
    there; only an id :func:`new_entry` could have made counts, so no path can be smuggled in."""
    return bool(_TRASH_ID.fullmatch(trash_id)) and (trash / trash_id).is_dir()


def to_trash(project: Project, *paths: Path) -> str:
    """Move ``paths`` (under samples/ or test/, keeping their place, or model files) into one
    new folder of the project's ``.trash``; that folder's name, the id :func:`restore` takes.

    All or nothing, and by renaming only: what cannot be renamed into the trash (a class folder
    that is a mount point, a file in use on Windows) is never copied and deleted instead, since a
    copy that fails half way would leave the sound in neither place."""
    trash = project.root / TRASH_DIR
    with NAMING:
        stamp = new_entry(trash)
        moved: list[tuple[Path, Path]] = []
        try:
            for path in paths:
                if path.parent == project.models_dir:
                    target = trash / stamp / _TRASHED_MODELS / path.name
                elif path.is_relative_to(project.test_dir):
                    target = trash / stamp / _TRASHED_TEST / path.relative_to(project.test_dir)
                else:
                    target = trash / stamp / path.relative_to(project.samples_dir)
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    path.rename(target)
                except FileNotFoundError:  # gone meanwhile (another request): that, as it is
                    raise
                except OSError as exc:
                    raise cannot_move(path, trash, exc) from exc
                moved.append((path, target))
        except BaseException:  # what went already comes back; the folders made for it go
            for path, target in reversed(moved):
                target.rename(path)
            remove_empty_folders(trash / stamp)
            raise
        with contextlib.suppress(OSError):  # without it, the undo places the delete by its time
            (trash / stamp / _LOG_MARK).write_text(str(project.log_position()), encoding="utf-8")
    return stamp


def cannot_move(path: Path, trash: Path, exc: OSError) -> ConflictError:
    """The error for ``path`` that could not be renamed into ``trash``, saying what to do."""
    return ConflictError(f"{path} cannot be moved into {trash} ({exc.strerror or exc}): it may be on another "
                         "disk, a mount point, or in use; close what uses it, or move or delete it by hand")


def remove_empty_folders(folder: Path) -> None:
    """Remove ``folder`` and the folders under it, if they hold no file (never a file)."""
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir() and not p.is_symlink()), reverse=True):
        with contextlib.suppress(OSError):
            sub.rmdir()
    with contextlib.suppress(OSError):
        folder.rmdir()


def restore(project: Project, trash_id: str) -> Restored:
    """Put back what one delete moved to ``.trash`` (a sample, a class with its samples and test
    samples, a model).

    A class deleted whole comes back as it was (subfolders and links included), never into another
    class: if a class has its name now (renamed to it, or made anew, in any case), it comes back under a
    free one (``drums-2``), and :attr:`Restored.notes` says so. A deleted sample goes back into the class
    it was deleted from, followed through the class changes logged since, in order
    (:meth:`~earmark.project.Project.follow_class`); when that class was deleted since, that delete is
    undone too, or, when it is no longer in the trash, the class comes back holding what this delete
    took, under a free name. A project file that keeps no class log reaching back to the delete
    follows the renames it remembers, in no order, and joins the class of the name it finds.
    A sample or model whose name was taken meanwhile, in any case or Unicode form (``take.wav``
    for ``Take.wav``), gets a free one (a model that keeps its name keeps its share link).

    Raises
    ------
    NotFoundError
        If ``trash_id`` names nothing in the trash (restored already, or emptied by hand).
    """
    folder = project.root / TRASH_DIR / trash_id
    moved: list[tuple[Path, Path]] = []  # (class folder, what came back into it)
    moved_test: list[tuple[Path, Path]] = []  # the same in test/
    models: list[str] = []
    takes = _Takes(project)
    with NAMING:
        if not is_entry(project.root / TRASH_DIR, trash_id):
            raise NotFoundError(f"nothing to undo under {trash_id!r}: it was restored already, or deleted for "
                                "good (or the project's .trash folder was emptied)")
        homes = _Homes(project, trash_id)
        also = homes.restore_deleted_classes()
        # test samples last: their class comes back first, when the delete took it
        for deleted in sorted(folder.iterdir(), key=lambda p: (p.name == _TRASHED_TEST, p.name)):
            if deleted.name == _LOG_MARK:
                continue
            if deleted.name == _TRASHED_TEST:
                to_test, to_training = _restore_test(project, deleted, takes, homes)
                moved_test.extend(to_test)
                moved.extend(to_training)
                continue
            if deleted.name == _TRASHED_MODELS:
                models.extend(_restore_models(project, deleted))
                continue
            to_training, to_test = _restore_class(project, deleted, takes, homes)
            moved.extend(to_training)
            moved_test.extend(to_test)
        (folder / _LOG_MARK).unlink(missing_ok=True)
        folder.rmdir()
    samples = [sample for class_dir, path in moved for sample in _samples_under(project, class_dir, path)]
    samples += [sample for class_dir, path in moved_test
                for sample in _samples_under(project, class_dir, path, test=True)]
    return Restored(samples=samples + also, models=models, notes=homes.notes)


class _Homes:
    """Where one delete's class folders go back (:func:`restore`): the class each joins, or comes back
    as; what was not as the delete left it goes into :attr:`notes`."""

    def __init__(self, project: Project, trash_id: str) -> None:
        self.project, self.trash_id = project, trash_id
        folder = project.root / TRASH_DIR / trash_id
        self.at, self.mark = deleted_at(trash_id), _log_mark(folder)
        #: the classes the delete took whole (its entries in the class log)
        self.took = {name_key(name) for name in project.classes_deleted(trash_id)}
        self.changes = project.changes_after(trash_id, at=self.at, mark=self.mark)
        #: the class folder each class folder of the delete came back as (by :func:`name_key`)
        self.came_back: dict[str, Path] = {}
        self.notes: list[str] = []
        self.names = sorted({p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")}
                            | {p.name for p in (folder / _TRASHED_TEST).glob("*") if p.is_dir()})

    def restore_deleted_classes(self) -> list[SampleInfo]:
        """Undo the deletes, made since, of the classes this delete's samples were deleted from (still in
        the trash); the samples they brought back."""
        samples: list[SampleInfo] = []
        while self.changes is not None:
            found = [(name, f.deleted_in) for name in self.names if name_key(name) not in self.took
                     and (f := self.project.follow_class(name, self.changes)).deleted_in
                     and is_entry(self.project.root / TRASH_DIR, f.deleted_in)]
            if not found:
                break
            name, trash_id = found[0]
            back = self.project.restore(trash_id)
            self.changes = self.project.changes_after(self.trash_id, at=self.at, mark=self.mark)
            now = self.project.follow_class(name, self.changes or []).name
            self.notes += [*back.notes, f"class {quoted(name)} was deleted since: its delete is undone too (it is "
                                        f"class {quoted(now)} now, with {_count(back.samples)})"]
            samples += back.samples
        return samples

    def home(self, name: str) -> tuple[Path, bool]:
        """The class folder a restored class folder ``name`` goes into, and whether it comes back as a
        class there (a free folder, not made yet; :attr:`notes` says so when it is not under the name it
        had) rather than joining one: followed through the class log, or, where there is none reaching back,
        through the renames the project file remembers in no order (:meth:`~earmark.project.Project.class_now`)."""
        key = name_key(name)
        if key in self.came_back:
            return self.came_back[key], False
        last, gone = name, False
        if self.changes is None:  # no log to follow: the renames the project file remembers, in no order
            now_in, named = self.project.class_now(name)
            if named:
                return self.project.class_dir(now_in), False
        elif key not in self.took:  # (a class that went with the delete: any class of its name now is another)
            followed = self.project.follow_class(name, self.changes)
            if followed.there is not None:
                return self.project.class_dir(followed.there), False
            last, gone = followed.name, True
        class_dir = free_path(self.project.samples_dir / last, any_case=True)
        self.came_back[key] = class_dir
        if gone:
            self.notes.append(f"class {quoted(name)}, which it was deleted from, is not in the project now (deleted "
                              "and no longer in the trash, or renamed outside earmark): it comes back as class "
                              f"{quoted(class_dir.name)}")
        elif class_dir.name != name:
            self.notes.append(f"class {quoted(name)} comes back as {quoted(class_dir.name)}: another class is "
                              f"called {quoted(name)} now")
        return class_dir, True


def _count(samples: list[SampleInfo]) -> str:
    return "1 sample" if len(samples) == 1 else f"{len(samples)} samples"


def _restore_class(project: Project, deleted: Path, takes: _Takes,
                   homes: _Homes) -> tuple[list[tuple[Path, Path]], list[tuple[Path, Path]]]:
    """Put back a delete's ``.trash/<id>/<class>`` folder: whole, when the class went with the delete
    (or is gone since), else into the class it joins (:meth:`_Homes.home`); ``(class folder, what came
    back into it)`` of the training samples, then of the test set (:func:`_joins_test`)."""
    class_dir, new = homes.home(deleted.name)
    if new:  # the class comes back whole
        deleted.rename(class_dir)
        takes.forget()
        return [(class_dir, class_dir)], []
    if class_dir.name != deleted.name:  # joined under another name: clips follow it (no rename to log)
        project.file.remember("renamed_classes", deleted.name, class_dir.name, logged=False)
    moved: dict[bool, list[tuple[Path, Path]]] = {False: [], True: []}
    for entry in sorted(deleted.iterdir()):  # entries as they are: links are not followed
        folder_now, target, in_test = _put_back(project, entry, class_dir, takes, test=False)
        moved[in_test].append((folder_now, target))
    deleted.rmdir()
    return moved[False], moved[True]


def _restore_models(project: Project, deleted: Path) -> list[str]:
    """Put back a delete's ``.trash/<id>/.models`` folder, each model under a free name; their ids."""
    project.models_dir.mkdir(exist_ok=True)
    models = []
    for model in sorted(deleted.iterdir()):
        target = free_path(project.models_dir / model.name, any_case=True)
        model.rename(target)
        models.append(target.stem)
    deleted.rmdir()
    return models


def _put_back(project: Project, entry: Path, class_dir: Path, takes: _Takes, *,
              test: bool) -> tuple[Path, Path, bool]:
    """Move a deleted ``entry`` of class ``class_dir`` (from its test set with ``test``) back
    under a free name, into the set :func:`_joins_test` says; ``(that set's folder, where it
    went, whether that is the test set)``."""
    in_test = _joins_test(takes, entry, test=test)
    folder = project.set_dir(class_dir.name, test=in_test)
    folder.mkdir(parents=True, exist_ok=True)
    with new_file(folder / entry.name) as target:  # free in any case: no `Take.wav` beside `take.wav`
        entry.rename(target)
    if target.is_dir():  # a subfolder of the class, clips and all
        takes.forget()
    else:
        takes.add(recording_of(target.name), test=in_test)
    return folder, target, in_test


def _joins_test(takes: _Takes, entry: Path, *, test: bool) -> bool:
    """Whether a deleted file ``entry``, from the test set with ``test``, comes back into the test
    set: where it was, unless it is a clip of a take whose clips (in any class) are all in the
    other set now (a take is never on both sides)."""
    recording = recording_of(entry.name)
    if not entry.is_file() or recording == entry.name:
        return test
    there, here = recording in takes.of(test=not test), recording in takes.of(test=test)
    return not test if there and not here else test


class _Takes:
    """The recordings with clips in the training samples and in the test set, in any class: read
    once per undo (a class of thousands of clips comes back without rereading the project for each),
    and kept up to date as the undo puts files back."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._sets: dict[bool, set[str]] = {}

    def of(self, *, test: bool) -> set[str]:
        if test not in self._sets:
            folders = [self.project.set_dir(name, test=test) for name in self.project.class_names()]
            self._sets[test] = {recording_of(p.relative_to(folder).as_posix())
                                for folder in folders if folder.is_dir() for p in audio_files(folder)}
        return self._sets[test]

    def add(self, recording: str, *, test: bool) -> None:
        if test in self._sets:
            self._sets[test].add(recording)

    def forget(self) -> None:
        """A whole folder came back: read the sets again when next asked."""
        self._sets.clear()


def _restore_test(project: Project, deleted: Path, takes: _Takes,
                  homes: _Homes) -> tuple[list[tuple[Path, Path]], list[tuple[Path, Path]]]:
    """Put back a delete's ``.trash/<id>/.test`` folder: each class's test samples join the test
    set of the class its training samples join or came back as (:class:`_Homes`); what went
    back to the training samples instead (:func:`_joins_test`), second."""
    moved: list[tuple[Path, Path]] = []
    moved_back: list[tuple[Path, Path]] = []
    for trashed_class in sorted(deleted.iterdir()):
        class_dir, new = homes.home(trashed_class.name)
        if new:  # the class went: it comes back, empty but for its test set
            class_dir.mkdir(parents=True)
        test_dir = project.set_dir(class_dir.name, test=True)
        if not test_dir.exists():
            test_dir.parent.mkdir(parents=True, exist_ok=True)
            trashed_class.rename(test_dir)
            takes.forget()
            moved.append((test_dir, test_dir))
            continue
        for entry in sorted(trashed_class.iterdir()):
            folder_now, target, in_test = _put_back(project, entry, class_dir, takes, test=True)
            (moved if in_test else moved_back).append((folder_now, target))
        trashed_class.rmdir()
    deleted.rmdir()
    return moved, moved_back


def _samples_under(project: Project, class_dir: Path, path: Path, *, test: bool = False) -> list[SampleInfo]:
    """The samples of class folder ``class_dir`` (of the test set with ``test``) at or under ``path``."""
    if path.is_dir():
        return [project.info_of(class_dir, p, test=test) for p in audio_files(path)]
    return [project.info_of(class_dir, path, test=test)] if path.suffix.lower() in AUDIO_EXTENSIONS else []


def _log_mark(folder: Path) -> int | None:
    """Where the class log was when the delete of trash folder ``folder`` was made; ``None`` when not
    known (a delete made before earmark kept that)."""
    try:
        return int((folder / _LOG_MARK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def deleted_at(trash_id: str) -> str:
    """When the delete ``trash_id`` names was made, as the class log writes times (ISO, UTC, see
    :func:`earmark.projectfile.now`): its id starts with the local time (:func:`new_entry`)."""
    try:
        return datetime.strptime(trash_id[:15], "%Y%m%d-%H%M%S").astimezone(UTC).isoformat(timespec="seconds")
    except ValueError:
        return ""  # not an id new_entry made: not known


@dataclass(frozen=True)
class TrashEntry:
    """One delete waiting in a project's ``.trash`` (:func:`deleted`): ``id`` (the one :func:`restore` and
    :func:`remove_for_good` take), when it was made, and what it took: per class, its training and test
    samples; model ids; and ``sample``, the file's name when it took one sample alone."""

    id: str
    deleted_at: str
    classes: dict[str, tuple[int, int]]
    models: list[str]
    sample: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "deleted_at": self.deleted_at, "models": self.models, "sample": self.sample,
                "classes": [{"name": name, "samples": training, "test_samples": test}
                            for name, (training, test) in self.classes.items()]}


def entry_ids(trash: Path) -> list[str]:
    """The deletes' folders in ``trash`` (a project's ``.trash``, or the projects folder's), newest first; none
    when there is no such folder yet (or it cannot be read: nothing to list)."""
    try:
        return sorted((p.name for p in trash.iterdir() if _TRASH_ID.fullmatch(p.name) and p.is_dir()), reverse=True)
    except OSError:
        return []


def deleted(project: Project) -> list[TrashEntry]:
    """What the project's deletes put in its ``.trash`` and is still there, newest first. A folder emptied by
    hand, or one a person put there, is left out."""
    trash = project.root / TRASH_DIR
    if not (ids := entry_ids(trash)):
        return []
    meta = project.file.read()  # the class log: which deletes took a class whole
    entries = []
    for trash_id in ids:
        folder = trash / trash_id
        with contextlib.suppress(OSError):  # restored or removed meanwhile: not listed
            entry = _entry(trash_id, folder, whole=set(classes_deleted(meta, trash_id)))
            if entry.classes or entry.models:
                entries.append(entry)
    return entries


def _entry(trash_id: str, folder: Path, *, whole: set[str]) -> TrashEntry:
    """What the delete in ``folder`` took (see :class:`TrashEntry`); ``whole``: the classes the class log says
    it took whole (listed though empty; and a class of one sample is not "one sample")."""
    classes: dict[str, list[int]] = {}
    files: list[Path] = []
    for side, root in ((0, folder), (1, folder / _TRASHED_TEST)):
        for class_dir in sorted(root.iterdir()) if root.is_dir() else []:
            if class_dir.name.startswith(".") or not class_dir.is_dir():
                continue
            found = audio_files(class_dir)
            files += found
            classes.setdefault(class_dir.name, [0, 0])[side] += len(found)
    models = sorted(p.stem for p in (folder / _TRASHED_MODELS).glob(f"*{MODEL_SUFFIX}")) \
        if (folder / _TRASHED_MODELS).is_dir() else []
    one = files[0].name if len(files) == 1 and not models and not whole & set(classes) else None
    return TrashEntry(id=trash_id, deleted_at=deleted_at(trash_id), models=models, sample=one,
                      classes={name: (t, s) for name, (t, s) in classes.items() if t or s or name in whole})


def remove_for_good(project: Project, trash_ids: list[str]) -> list[str]:
    """Delete what the deletes ``trash_ids`` put in the project's ``.trash``, for good (:func:`remove_entries`)."""
    return remove_entries(project.root / TRASH_DIR, trash_ids)


def remove_entries(trash: Path, trash_ids: list[str]) -> list[str]:
    """Delete what the deletes ``trash_ids`` put in the ``.trash`` folder ``trash`` (a project's, or the
    projects folder's), for good; the ids removed (one restored or removed meanwhile is left out).

    Each goes from the listing at once (renamed to a hidden name under the lock :func:`restore` takes, so
    it is either restored whole or removed whole), then its files are deleted (a removal cut short is
    finished by the next one).

    Raises
    ------
    NotFoundError
        If none of ``trash_ids`` is in the trash.
    """
    removed: list[tuple[str, Path]] = []
    with NAMING:
        for trash_id in dict.fromkeys(trash_ids):
            if is_entry(trash, trash_id):
                going = trash / f"{_REMOVING}{trash_id}"
                (trash / trash_id).rename(going)
                removed.append((trash_id, going))
    if not removed:
        raise NotFoundError(f"nothing to delete for good under {quoted_list(trash_ids)}: restored already, or "
                            "deleted for good in another tab; reload the page")
    for going in trash.glob(f"{_REMOVING}*"):  # these, and what a removal cut short left
        shutil.rmtree(going, ignore_errors=True)
    return [trash_id for trash_id, _ in removed]
