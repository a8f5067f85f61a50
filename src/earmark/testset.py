"""A project's test set, ``PROJECT/test/<class>/``: recordings kept apart from training, to score
models on (``earmark evaluate MODEL my-band``). :class:`~earmark.project.Project` is built on
:class:`ProjectTestSet`, so these are a project's own methods (``project.move_to_test(...)``).

The test set has the same classes as ``samples/`` (a folder made by hand may spell one in another
case); a recording moves between the two sets whole (:meth:`ProjectTestSet.move_to_test`), so no
take has clips on both sides, and :meth:`ProjectTestSet.test_leaks` names the clips of a take
that is on both sides all the same (put there by hand, or by an import). A move writes what it
is about to do to ``.earmark-move.json`` first, and holds a lock on it while it runs
(:mod:`earmark.holding`): a journal whose lock is free is a move cut short by a crash (kill -9),
finished when the project is next opened (:meth:`ProjectTestSet.recover_move`), never left split;
one whose lock is held is a move going on, however long it takes. (Where the system has no
``flock``, Windows, any journal found is taken as cut short.)
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from abc import abstractmethod
from pathlib import Path

from .atomic import atomic_write
from .audio import AUDIO_EXTENSIONS
from .dataset import audio_files, is_background_name, is_ignored_name, recording_of
from .errors import ConflictError, DatasetError, EarmarkError, OutputError
from .holding import abandoned, write_held
from .naming import NAMING, name_key, new_file, quoted, quoted_list
from .projectfile import zipped_project
from .projectsamples import ProjectSamples, SampleInfo

__all__ = ["TEST_DIR", "ProjectTestSet", "zipped_test_leaks"]

#: The project's test set: a folder per class, beside ``samples/``.
TEST_DIR = "test"
#: What a move between the sets is doing, in the project folder while it runs: a crash leaves it behind
#: for :meth:`ProjectTestSet.finish_interrupted_move`.
MOVE_JOURNAL = ".earmark-move.json"
#: What :meth:`ProjectTestSet.finish_interrupted_move` did, for the studio to show.
MOVE_NOTE = ".earmark-move-note.json"


class ProjectTestSet(ProjectSamples):
    """A project's test set (its ``test/`` folder): the part of :class:`~earmark.project.Project`
    that keeps it, built on the project's samples (:class:`~earmark.projectsamples.ProjectSamples`)
    and classes (the abstract methods, which :class:`~earmark.project.Project` has)."""

    root: Path
    name: str

    @abstractmethod
    def class_names(self) -> list[str]: ...

    @abstractmethod
    def _cannot_write(self, folder: Path, exc: OSError) -> OutputError: ...

    @property
    def test_dir(self) -> Path:
        """The test set: ``test/<class>/``, the same classes as ``samples/``, never trained on."""
        return self.root / TEST_DIR

    def set_dir(self, class_name: str, *, test: bool = False) -> Path:
        """The folder of class ``class_name``'s training samples, or with ``test`` its test
        samples (which need not exist yet); :class:`NotFoundError` when there is no such class.

        A test folder made by hand may spell the class in another case (``test/Bass`` for
        ``samples/bass``) or, for the background class, use another of its names (``test/background``
        beside ``samples/_background_noise_``); the folder of the exact name comes first."""
        folder = self.class_dir(class_name)
        if not test:
            return folder
        exact = self.test_dir / folder.name
        if exact.is_dir() or not self.test_dir.is_dir():
            return exact
        for other in sorted(p for p in self.test_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if other.name.casefold() == folder.name.casefold() or \
                    (is_background_name(folder.name) and is_background_name(other.name)):
                return other
        return exact

    def orphan_test_folders(self) -> list[str]:
        """Folders of ``test/`` that are no class's test set (made by hand, or left by a crash);
        evaluation refuses a test set that holds one, saying which."""
        if not self.test_dir.is_dir():
            return []
        claimed = {self.set_dir(name, test=True).name for name in self.class_names()}
        return sorted(p.name for p in self.test_dir.iterdir()
                      if p.is_dir() and not p.name.startswith(".") and p.name not in claimed)

    def check_test_set(self, *, in_zip: tuple[Path, Path] | None = None) -> Path:
        """The test set's folder, ready to score on; :class:`DatasetError` saying what to do when it
        is empty or holds a folder that is no class's. ``in_zip``: ``(the zip, the folder it was
        unpacked to)`` for a project read from a zip (its export): messages name the zip and the
        folder in it, not a temporary folder."""
        orphans = self.orphan_test_folders()
        inside = None if in_zip is None else self.test_dir.relative_to(in_zip[1]).as_posix()
        if orphans:
            where = str(self.test_dir) if in_zip is None else f"{in_zip[0]}: its folder {inside}"
            raise DatasetError(f"{where} holds folders that match no class of project {quoted(self.name)}: "
                               f"{quoted_list(orphans)}; rename each to its class's folder name "
                               f"({quoted_list(self.class_names())}), "
                               "or move it out of test/")
        if not any(self.samples(name, test=True) for name in self.class_names()):
            project, studio, files = (quoted(self.name), "", f"on disk: {self.test_dir}{os.sep}<class>{os.sep}") \
                if in_zip is None else (f"{quoted(self.name)} ({in_zip[0]})", "import the zip, then ",
                                        f"in the zip: its folder {inside}/<class>/")
            raise DatasetError(f"project {project} has no test set yet: add recordings that training must not see "
                               f"(in the studio: {studio}Samples, switch a class to its Test set, then record, upload, "
                               f"or \"Move to test set\"; {files}), or give a folder with one subfolder per class")
        return self.test_dir

    # -- moving recordings between the sets ---------------------------------------------
    def move_to_test(self, class_name: str, sample_id: str) -> list[SampleInfo]:
        """Move a training sample to the test set, with every other clip of its recording, in any
        class (so that no take has clips on both sides); the moved samples, as they are in the test set."""
        return self._switch_set(class_name, sample_id, test=False)

    def move_to_training(self, class_name: str, sample_id: str) -> list[SampleInfo]:
        """Move a test sample back to the training samples, with every other clip of its recording."""
        return self._switch_set(class_name, sample_id, test=True)

    def _switch_set(self, class_name: str, sample_id: str, *, test: bool) -> list[SampleInfo]:
        with NAMING:  # no rename or delete of a class in between; the take moves all or nothing
            path = self.sample_path(class_name, sample_id, test=test)
            source = self.set_dir(class_name, test=test)
            rel = path.relative_to(source).as_posix()
            recording = recording_of(rel)
            # (its set's folder, the other set's folder, file): the one file, or a take's clips in every class
            files = [(source, self.set_dir(class_name, test=not test), path)] if recording == rel else [
                (folder, self.set_dir(name, test=not test), p)
                for name in sorted(self.class_names(), key=lambda n: n != class_name)
                if (folder := self.set_dir(name, test=test)).is_dir()
                for p in audio_files(folder) if recording_of(p.relative_to(folder).as_posix()) == recording]
            # (the other set's folder, the subfolders the file is in, file)
            plan = [(target_dir, file.parent.relative_to(folder).parts, file) for folder, target_dir, file in files]
            journal = self.root / MOVE_JOURNAL
            held = self._write_journal(journal, plan,
                                       recording=rel.rsplit(".", 1)[0] if recording == rel else recording,
                                       test=not test)
            moved: list[tuple[Path, Path, Path]] = []  # (the other set's folder, file, where it went)
            try:
                for target_dir, parts, file in plan:
                    place = _folder_in(target_dir, parts)
                    place.mkdir(parents=True, exist_ok=True)
                    with new_file(place / file.name) as target:  # free in any case: no `take.wav` beside `Take.wav`
                        file.rename(target)
                    moved.append((target_dir, file, target))
            except BaseException:
                for _, file, target in reversed(moved):  # undone; cut short here, the next open finishes it
                    target.rename(file)
                _end_move(journal, held)
                raise
            _end_move(journal, held)
            (self.root / MOVE_NOTE).unlink(missing_ok=True)  # the note of an older, interrupted move is past
        return [self.info_of(target_dir, target, test=not test) for target_dir, _, target in moved]

    def _write_journal(self, journal: Path, plan: list[tuple[Path, tuple[str, ...], Path]], *, recording: str,
                       test: bool) -> int | None:
        """Write what a move between the sets is about to do (``plan``: ``(the other set's folder, the
        subfolders the file is in, file)``), before it moves anything, and hold it: the descriptor of its
        lock (:func:`~earmark.holding.write_held`), held until the move ends. :meth:`finish_interrupted_move`
        finishes it after a crash, when the lock has gone with the process."""
        if journal.exists():  # an older move's, not finished: this one would overwrite its plan
            self.finish_interrupted_move()
        if journal.exists():
            raise ConflictError(f"project {quoted(self.name)} is moving a recording between the training samples "
                                "and the test set in another program; try again when it is done")
        entries = [[file.relative_to(self.root).as_posix(), target_dir.relative_to(self.root).as_posix(), *parts]
                   for target_dir, parts, file in plan]
        record = {"format": "earmark-move", "recording": recording, "to": TEST_DIR if test else "samples",
                  "files": entries}
        try:
            return write_held(journal, json.dumps(record, ensure_ascii=False, indent=1).encode())
        except OSError as exc:
            raise self._cannot_write(self.root, exc) from exc

    def recover_move(self) -> None:
        """:meth:`finish_interrupted_move`, if a move's journal is there (one look at the disk when none
        is); a project that cannot be written now, or a journal that cannot be read, is left for later
        (the next open tries again, and :meth:`test_leaks` names the take on both sides meanwhile)."""
        if (self.root / MOVE_JOURNAL).exists():
            with contextlib.suppress(EarmarkError):
                self.finish_interrupted_move()

    def finish_interrupted_move(self) -> str | None:
        """Finish a move between the training samples and the test set that a crash cut short (the
        process killed, the machine off), as its journal (``.earmark-move.json`` in the project folder)
        says: every file of the take still where it was goes where it was going, so that no take is on
        both sides and no file is lost (a move is finished, never undone: the files already moved
        stay). The journal of a move going on now, in this process or another, is left alone: its
        lock is held, however long the move takes.

        Returns what was done, as the studio shows it (:meth:`move_notes`, kept until the next move
        between the sets), or ``None`` when there was nothing to finish; :class:`OutputError` when the
        project cannot be written (the journal stays, and the next open tries again)."""
        journal = self.root / MOVE_JOURNAL
        with NAMING, abandoned(journal) as free:
            if free is False or not journal.is_file():
                return None  # a move going on now (or finished by another process meanwhile)
            try:
                record = json.loads(journal.read_bytes())
                entries = [(str(file), str(target), [str(p) for p in parts])
                           for file, target, *parts in record["files"]]
                to, recording = str(record["to"]), str(record["recording"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise DatasetError(f"{journal} cannot be read ({exc}): it says which files a move between the "
                                   "training samples and the test set was moving when it was cut short; move the "
                                   "clips of that take to one side by hand, then delete the file") from exc
            left = 0
            try:
                for file_rel, target_rel, parts in entries:
                    file, target_dir = self._inside(file_rel), self._inside(target_rel)
                    if file is None or target_dir is None or not file.is_file() or \
                            any(p in ("", ".", "..") or "/" in p for p in parts):
                        continue  # moved already (or a journal edited by hand)
                    place = _folder_in(target_dir, tuple(parts))
                    place.mkdir(parents=True, exist_ok=True)
                    with new_file(place / file.name) as target:
                        file.rename(target)
                    left += 1
                where = "the test set" if to == TEST_DIR else "the training samples"
                note = (f"A move of recording {quoted(recording)} to {where} was cut short (earmark stopped after "
                        f"{len(entries) - left} of its {len(entries)} files); it was finished when the project was "
                        f"next opened, on {time.strftime('%Y-%m-%d %H:%M')}: all {len(entries)} are in {where} now, "
                        "none on both sides.")
                with atomic_write(self.root / MOVE_NOTE) as fh:
                    fh.write(json.dumps({"note": note}, ensure_ascii=False).encode())
                journal.unlink()
            except OSError as exc:
                raise OutputError(f"project {quoted(self.name)}: a move of recording {quoted(recording)} between "
                                  f"the training samples and the test set was cut short, and cannot be finished "
                                  f"now ({exc.strerror or exc}); make the project folder writable and open it "
                                  "again") from exc
        return note

    def move_notes(self) -> list[str]:
        """What :meth:`finish_interrupted_move` last did, for the studio to show (empty when nothing)."""
        try:
            return [str(json.loads((self.root / MOVE_NOTE).read_bytes())["note"])]
        except (OSError, ValueError, KeyError, TypeError):
            return []

    def _inside(self, rel: str) -> Path | None:
        """The path ``rel`` (as a journal gives it) in the project's ``samples/`` or ``test/``; ``None`` for one
        that leaves them (a journal edited by hand)."""
        parts = rel.split("/")
        if len(parts) < 2 or parts[0] not in ("samples", TEST_DIR) or any(p in ("", ".", "..") for p in parts):
            return None
        return self.root.joinpath(*parts)

    def test_leaks(self) -> list[str]:
        """Test samples (``class/id``) cut from a recording that the training samples hold clips of
        too, in any class: the windows of one take on both sides make a test score look better
        than it is. (Of a project's export zip: :func:`zipped_test_leaks`.)"""
        names = self.class_names()
        training = [p.relative_to(folder).as_posix() for name in names
                    if (folder := self.set_dir(name)).is_dir() for p in audio_files(folder)]
        test = [(folder.name, p.relative_to(folder).as_posix()) for name in names
                if (folder := self.set_dir(name, test=True)).is_dir() for p in audio_files(folder)]
        return _takes_on_both_sides(training, test)


def _end_move(journal: Path, held: int | None) -> None:
    """Remove a move's journal, the move done or undone, then let go of its lock (``held``); one that
    cannot be removed is finished (a move done: nothing to do) by the next open."""
    with contextlib.suppress(OSError):
        journal.unlink()
    if held is not None:
        os.close(held)


def _folder_in(base: Path, parts: tuple[str, ...]) -> Path:
    """The folder ``base/parts...``, each part as a folder already there spells it in another case
    or Unicode form (see :func:`~earmark.naming.name_key`), if one is: a clip of ``Session/`` joins
    a ``session/`` folder rather than making its twin."""
    for part in parts:
        if not (base / part).is_dir() and base.is_dir():
            key = name_key(part)
            part = next((p.name for p in sorted(base.iterdir()) if p.is_dir() and name_key(p.name) == key), part)
        base = base / part
    return base


def zipped_test_leaks(path: Path) -> list[str]:
    """:meth:`ProjectTestSet.test_leaks` of a project exported as the zip ``path``, read without
    unpacking it; none when the zip holds no project (see :func:`~earmark.projectfile.zipped_project`)."""
    project = zipped_project(path)
    if project is None:
        return []
    sets: dict[str, list[tuple[str, str]]] = {"samples": [], TEST_DIR: []}  # (class folder, sample id)
    for parts in project.files:
        if len(parts) > 2 and parts[0] in sets and not any(is_ignored_name(p) for p in parts[1:]) \
                and Path(parts[-1]).suffix.lower() in AUDIO_EXTENSIONS:
            sets[parts[0]].append((parts[1], "/".join(parts[2:])))
    return _takes_on_both_sides([sample_id for _, sample_id in sets["samples"]], sets[TEST_DIR])


def _takes_on_both_sides(training: list[str], test: list[tuple[str, str]]) -> list[str]:
    """The test samples ``test`` (``(test folder, id)``) cut from a take that the training samples
    (``training``: their ids in their class, any class) hold clips of too, as ``folder/id``. A take's
    clips are ``NAME_nohash_N`` (:func:`~earmark.dataset.recording_of`); a whole file is a recording of its own."""
    trained = {take for sample_id in training if (take := recording_of(sample_id)) != sample_id}
    return [f"{folder}/{sample_id}" for folder, sample_id in test
            if (take := recording_of(sample_id)) != sample_id and take in trained]
