"""Projects: a folder on disk holding one classifier's classes, samples and models.

Layout (a person can read and edit it by hand; ``earmark train PROJECT/samples`` trains on it)::

    my-band/
        earmark-project.json     ← {"format": "earmark-project", "name": ...}
        samples/
            background/          ← the Background Noise class, always there
            bass/  take-20261125-180102_nohash_000.wav  riff.mp3 ...
            drums/ ...
        test/                    ← the test set: the same classes, never trained on
            bass/  other-room_nohash_000.wav ...
        models/  model-20261125-181500.earmark ...
        .cache/  thumbnails (safe to delete)
        .trash/  deleted samples, classes and models (nothing a person saved is destroyed by one click)

Samples cut from one recording are named ``RECORDING_nohash_N`` (see :mod:`earmark.dataset`),
so that they stay on one side of the validation split. The test set (``test/``) holds recordings
kept apart from training, to score models on (``earmark evaluate MODEL my-band/test``); it is
kept by :mod:`earmark.testset`, the samples of each class (listed, checked, moved between classes)
by :mod:`earmark.projectsamples`, and the project's model files by :mod:`earmark.projectmodels`
(all bases of :class:`Project`); what the project file remembers of the classes' past, by
:mod:`earmark.projectfile`, and where that says a class or sample is now, by
:mod:`earmark.projecthistory`. Adding audio lives in :mod:`earmark.intake`; this module owns the
layout, names and classes.
"""

from __future__ import annotations

import contextlib
import os
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import trash
from .atomic import atomic_write, cannot_write, check_replaceable, probe_folder
from .audio import AUDIO_EXTENSIONS
from .dataset import (
    BACKGROUND_LABEL,
    CLIP_S,
    LONG_RECORDING_S,
    MIN_CLIPS_PER_CLASS,
    audio_files,
    is_background_name,
    is_ignored_name,
)
from .errors import ConflictError, DatasetError, NotFoundError, OutputError, ParameterError
from .naming import NAMING, clean_name, free_path, name_key, quoted, quoted_list, rename_folder, safe_stem
from .projectfile import PROJECT_FILE, RENAME_LOG, ClassChange, ProjectFile, now
from .projecthistory import ProjectHistory
from .projectmodels import ModelInfo, ProjectModels
from .projectsamples import SampleInfo
from .testset import TEST_DIR, ProjectTestSet
from .trash import Restored, Trashed

__all__ = ["PROJECT_FILE", "RENAME_LOG", "TEST_DIR", "ClassInfo", "ModelInfo", "Project", "SampleInfo",
           "is_project_folder", "set_folder"]

BACKGROUND_DISPLAY = "Background Noise"
#: Temporary files older than this are a crash's leftovers, not a write going on (Project.sweep_crash_leftovers).
LEFTOVER_AGE_S = 3600.0


@dataclass(frozen=True)
class ClassInfo:
    """One class of a project, as the studio shows it."""

    name: str
    is_background: bool
    display_name: str
    samples: int
    seconds: float
    enough: bool
    hint: str | None
    #: clips of this class in the project's test set (never trained on)
    test_samples: int = 0
    test_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Project(ProjectHistory, ProjectModels, ProjectTestSet):
    """A project folder. Build with :meth:`create` or :meth:`open`."""

    def __init__(self, root: Path, name: str) -> None:
        self.root = root
        self.name = name

    # -- opening -----------------------------------------------------------------------
    @classmethod
    def create(cls, root: str | Path, *, name: str | None = None) -> Project:
        """Make a new, empty project (with its Background Noise class) at ``root``."""
        root = Path(root)
        if root.exists() and any(root.iterdir()):
            if (root / PROJECT_FILE).exists():
                raise ConflictError(f"a project already exists at {root}; open it, or choose another name")
            raise ConflictError(f"{root} already holds files; choose an empty or new folder for the project")
        display = clean_name(name or root.name, what="project")
        (root / "samples" / BACKGROUND_LABEL).mkdir(parents=True, exist_ok=True)
        (root / "models").mkdir(exist_ok=True)
        project = cls(root, display)
        project.file.write_new(name=display, created=now())
        return project

    @classmethod
    def open(cls, root: str | Path) -> Project:
        """Open a project folder; a plain folder with ``samples/`` class folders is adopted."""
        root = Path(root)
        if not root.is_dir():
            raise NotFoundError(f"no project at {root}; create it first")
        meta_path = root / PROJECT_FILE
        if meta_path.exists():
            name = str(ProjectFile(meta_path).read_checked().get("name") or root.name)
        elif is_project_folder(root):
            name = root.name
        else:
            raise NotFoundError(f"{root} is not an earmark project (no {PROJECT_FILE}, nor a samples/ folder "
                                "of classes)")
        project = cls(root, name)
        if meta_path.exists():  # an earmark project: make sure its fixed folders are there
            try:
                if project._background_folder() is None:
                    (project.samples_dir / BACKGROUND_LABEL).mkdir(parents=True, exist_ok=True)
                project.models_dir.mkdir(exist_ok=True)
            except OSError as exc:  # "samples" or "models" is a file, a dangling link, unwritable...
                raise DatasetError(f"{root}: its samples/ or models/ folder cannot be used ({exc.strerror or exc}); "
                                   "make them folders again, or move the project away") from exc
        project.recover_move()  # a move to or from the test set cut short by a crash: finished first
        return project

    @classmethod
    def adopt(cls, root: str | Path) -> Project:
        """Make a folder-per-class folder (``root/samples/<class>/``) an earmark project, in place."""
        project = cls.open(root)
        if not (project.root / PROJECT_FILE).exists():
            project.file.write_new(name=project.name, created=now(), adopted=True)
        return cls.open(root)

    def sweep_crash_leftovers(self) -> None:
        """Delete what a crash in the middle of a write left behind: :func:`~earmark.atomic.atomic_write`'s
        hidden ``.NAME.XXXX.tmp`` files (never the file they were to replace) and a case-only
        rename's ``.renaming-*`` step (its samples come back as a class ``restored-*``), once an hour
        old, so that a write going on now is left alone. The studio sweeps each project once, when
        it first opens it."""
        cutoff = time.time() - LEFTOVER_AGE_S
        for folder in (self.samples_dir, self.test_dir, self.models_dir, self.cache_dir):
            if not folder.is_dir():
                continue
            for path in folder.rglob(".*.tmp"):
                with contextlib.suppress(OSError):
                    if path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                        path.unlink()
        for base in (self.samples_dir, self.test_dir):
            if not base.is_dir():
                continue
            for step in base.glob(".renaming-*"):
                # a class folder half way through a case-only rename: its samples, not trash
                with contextlib.suppress(OSError):
                    if step.is_dir() and not step.is_symlink() and step.stat().st_mtime < cutoff:
                        restored = free_path(base / f"restored-{step.name.removeprefix('.renaming-')}", any_case=True)
                        step.rename(restored)

    def set_name(self, name: str) -> None:
        """Give the project another name to show; its folder, which names it in links, stays."""
        cleaned = clean_name(name, what="project")
        with NAMING:  # as the class log is written: neither write loses the other's
            meta = self.file.read_or_missing()  # one that cannot be read now is an error, not made anew
            if meta:
                self.file.write({**meta, "name": cleaned})
            else:  # an adopted folder: its first project file
                self.file.write_new(name=cleaned, created=now())
        self.name = cleaned

    @property
    def samples_dir(self) -> Path:
        return self.root / "samples"

    @property
    def cache_dir(self) -> Path:
        return self.root / ".cache"

    # -- classes -----------------------------------------------------------------------
    def _background_folder(self) -> Path | None:
        if not self.samples_dir.is_dir():
            return None
        found = sorted(p for p in self.samples_dir.iterdir() if p.is_dir() and is_background_name(p.name))
        return found[0] if found else None

    def class_names(self) -> list[str]:
        """Folder names of the classes: the background class first, the rest sorted."""
        if not self.samples_dir.is_dir():
            return []
        folders = sorted(p.name for p in self.samples_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
        background = [f for f in folders if is_background_name(f)][:1]
        return background + [f for f in folders if not is_background_name(f)]

    def class_dir(self, name: str) -> Path:
        """The folder of class ``name``, or :class:`NotFoundError`."""
        if name in self.class_names():
            return self.samples_dir / name
        if is_background_name(name) and (folder := self._background_folder()) is not None:
            return folder
        raise NotFoundError(f"no class {quoted(name)} in project {quoted(self.name)}; "
                            f"the classes are {quoted_list(self.class_names())}")

    def class_info(self, name: str) -> ClassInfo:
        return self._class_info(self.class_dir(name))

    def _class_info(self, folder: Path) -> ClassInfo:
        samples = [self.info_of(folder, path) for path in audio_files(folder)]
        count = len(samples)
        seconds = round(sum(s.duration_s for s in samples), 2)
        background = is_background_name(folder.name)
        # as training will see them: files over 12 s are cut into 4 s clips
        clips = sum(1 if s.duration_s <= LONG_RECORDING_S else int(s.duration_s // CLIP_S) for s in samples)
        enough = clips >= MIN_CLIPS_PER_CLASS
        hint = None if enough else (
            f"{'Background Noise' if background else repr(folder.name)} has {count} sample"
            f"{'' if count == 1 else 's'}; add at least {MIN_CLIPS_PER_CLASS} to train"
        )
        test_folder = self.set_dir(folder.name, test=True)
        tests = [self.info_of(test_folder, p, test=True) for p in audio_files(test_folder)] \
            if test_folder.is_dir() else []
        return ClassInfo(name=folder.name, is_background=background,
                         display_name=BACKGROUND_DISPLAY if background else folder.name,
                         samples=count, seconds=seconds, enough=enough, hint=hint, test_samples=len(tests),
                         test_seconds=round(sum(s.duration_s for s in tests), 2))

    def classes(self) -> list[ClassInfo]:
        return [self._class_info(self.samples_dir / name) for name in self.class_names()]

    def hints(self, infos: list[ClassInfo] | None = None) -> list[str]:
        """What to do before this project can be trained (empty when it can); ``infos``: its
        :meth:`classes`, when the caller has them already."""
        infos = self.classes() if infos is None else infos
        hints = [c.hint for c in infos if c.hint]
        if len([c for c in infos if not c.is_background]) < 1:
            hints.append("add a class for the sound you want to recognise (e.g. 'bass')")
        return hints

    def check_trainable(self) -> None:
        """Raise :class:`DatasetError` saying what to add when this project cannot be trained yet."""
        hints = self.hints()
        if hints:
            raise DatasetError("not ready to train: " + "; ".join(hints))

    def _check_new_class(self, name: str) -> str:
        cleaned = clean_name(name, what="class")
        if is_background_name(cleaned):
            raise ConflictError("the Background Noise class is always there; choose another name")
        same = [n for n in self.class_names() if name_key(n) == name_key(cleaned)]  # no case or Unicode-form twins
        if same:
            raise ConflictError(f"a class named {same[0]!r} already exists; choose another name")
        return cleaned

    def add_class(self, name: str) -> ClassInfo:
        with NAMING:
            cleaned = self._check_new_class(name)
            if (self.samples_dir / cleaned).exists():
                raise ConflictError(f"{cleaned!r} is already taken by a file in {self.samples_dir}; "
                                    "choose another name or move the file")
            try:
                (self.samples_dir / cleaned).mkdir(parents=True)
            except FileExistsError as exc:  # made by another program since the check
                raise ConflictError(f"{cleaned!r} is already taken in {self.samples_dir}; choose another name") from exc
            except OSError as exc:
                raise self._cannot_write(self.samples_dir, exc) from exc
        return self.class_info(cleaned)

    def check_writable(self, *, into: Path | None = None) -> None:
        """Fail before long work (an upload, a training run) with an :class:`OutputError` saying what to do
        if the project cannot be written into ``into`` (default: its folder; one not made yet: the nearest
        folder above it): read-only, or on a full disk. Creates nothing."""
        folder = into or self.root
        while folder != self.root and not folder.is_dir():
            folder = folder.parent
        try:
            probe_folder(folder)
        except FileNotFoundError as exc:
            raise NotFoundError(f"project {quoted(self.name)} is no longer there: it was deleted meanwhile") from exc
        except OSError as exc:
            raise self._cannot_write(folder, exc) from exc

    def _cannot_write(self, folder: Path, exc: OSError) -> OutputError:
        """The error for ``exc`` met writing into ``folder`` of this project (:func:`~earmark.atomic.cannot_write`)."""
        return cannot_write(folder, exc, doing=f"write into project {quoted(self.name)} (its folder {folder})",
                            fix="copy the project to a folder you can write to and open it there")

    def rename_class(self, name: str, *, to: str) -> ClassInfo:
        """Rename a class folder; refuses names taken by another class or by a file."""
        folder = self.class_dir(name)
        if is_background_name(folder.name):
            raise ParameterError("the Background Noise class cannot be renamed")
        cleaned = clean_name(to, what="class")
        if cleaned == folder.name:
            return self.class_info(folder.name)
        with NAMING:
            if name_key(cleaned) != name_key(folder.name):  # not a case-only (or Unicode-form-only) rename
                self._check_new_class(cleaned)
            target = self.samples_dir / cleaned
            test_folder, test_target = self.set_dir(folder.name, test=True), self.test_dir / cleaned
            for old, new in ((folder, target), (test_folder, test_target)):
                if new.exists() and not (new.is_dir() and old.is_dir() and new.samefile(old)):
                    raise ConflictError(f"{cleaned!r} is already taken by a file or folder in {new.parent}; "
                                        "choose another name, or move that out of the way")
            rename_folder(folder, target)
            if test_folder.is_dir():  # the test set's class follows, or the class goes back as it was
                try:
                    rename_folder(test_folder, test_target)
                except OSError:
                    rename_folder(target, folder)
                    raise
            self.remember("renamed_classes", folder.name, target.name)
        return self.class_info(target.name)

    def delete_class(self, name: str) -> Trashed:
        """Move class ``name`` (with its samples, test samples included) to the project's
        ``.trash``; :meth:`restore` undoes it."""
        folder = self.class_dir(name)
        if is_background_name(folder.name):
            raise ParameterError("the Background Noise class cannot be deleted; delete its samples instead")
        count = len(self.samples(folder.name)) + len(self.samples(folder.name, test=True))
        test_folder = self.set_dir(folder.name, test=True)
        with NAMING:  # logged as it goes: a class made anew under its name is not the one a model knew
            trash_id = trash.to_trash(self, folder, *([test_folder] if test_folder.is_dir() else []))
            self.file.log(ClassChange("deleted", folder.name, now(), trash=trash_id))
        return Trashed(id=trash_id, samples=count)

    def restore(self, trash_id: str) -> Restored:
        """Put back what one delete moved to the project's ``.trash`` (see :func:`earmark.trash.restore`).

        The undo of a class's delete is logged with the class it came back as (or joined), so a
        model trained before the delete knows that class again."""
        with NAMING:
            deleted = self.classes_deleted(trash_id)
            before = set(self.class_names())
            restored = trash.restore(self, trash_id)
            for name in deleted:
                if (to := self._restored_as(name, before, restored)) is not None:
                    self.file.log(ClassChange("restored", name, now(), to=to, trash=trash_id))
        return restored

    def _restored_as(self, name: str, before: set[str], restored: Restored) -> str | None:
        """The class that deleted class ``name`` came back as, or joined, in ``restored``: the class
        the undo made, else the one its samples went to, else the class of its name in any case."""
        names = self.class_names()
        made = [n for n in names if n not in before]
        if len(made) == 1:
            return made[0]
        by_key = {name_key(n): n for n in names}
        joined = {by_key[k] for s in restored.samples if (k := name_key(s.class_name)) in by_key}
        if len(joined) == 1:
            return joined.pop()
        same = [n for n in names if name_key(n) == name_key(name)]  # the log's names are NFC, a Mac's folders NFD
        return same[0] if len(same) == 1 else None

    # -- samples (listed, checked, moved between classes: ProjectSamples) --------------
    def delete_sample(self, class_name: str, sample_id: str, *, test: bool = False) -> Trashed:
        """Move a sample (of the test set with ``test``) to the project's ``.trash``; :meth:`restore` undoes it."""
        return Trashed(id=trash.to_trash(self, self.sample_path(class_name, sample_id, test=test)), samples=1)

    # -- models (listed, imported, saved, renamed: ProjectModels) ------------------------
    def delete_model(self, model_id: str) -> Trashed:
        """Move a model file to the project's ``.trash``; :meth:`restore` undoes it."""
        return Trashed(id=trash.to_trash(self, self.model_path(model_id)), samples=0)

    # -- whole project -----------------------------------------------------------------
    def export_zip(self, dest: Path) -> Path:
        """The project (its file, samples, test set and models; not the cache or trash) as one zip.

        A class with no samples yet is kept as its folder with an empty ``.keep`` file in it (zips
        of files alone have no empty folders, and every import leaves hidden files out).

        Its one top folder is named as the project is shown, made file-safe as the studio names the
        download (``zed.zip`` unpacks to ``zed/``, though the project's folder is ``a``).

        Audio files are stored uncompressed (deflate gains a WAV about a tenth, a FLAC, OGG or MP3
        nothing, and takes most of the export's time); the project file and models are deflated."""

        check_replaceable(dest, kind="zip")  # never over a model, a recording or a picture
        stem = safe_stem(f"{self.name}.zip")  # the suffix is cut off, not a dot in the name ("v1.2")
        # a top folder every import would leave out as clutter ("Thumbs.db", "desktop.ini") gets a "_"
        top = Path(f"{stem}_" if is_ignored_name(stem) else stem)
        with atomic_write(dest) as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in [self.root / PROJECT_FILE, *sorted(self.samples_dir.rglob("*")),
                         *sorted(self.test_dir.rglob("*")), *sorted(self.models_dir.rglob("*"))]:
                if path.is_file() and not any(p.startswith(".") for p in path.relative_to(self.root).parts):
                    # audio is stored as it is: deflate takes long and saves little (a WAV ~10 %, FLAC or MP3 none)
                    stored = path.suffix.lower() in AUDIO_EXTENSIONS
                    archive.write(path, (top / path.relative_to(self.root)).as_posix(),
                                  compress_type=zipfile.ZIP_STORED if stored else None)
            for name in self.class_names():
                if not any(p.is_file() and not p.name.startswith(".") for p in (self.samples_dir / name).rglob("*")):
                    archive.writestr((top / "samples" / name / ".keep").as_posix(), b"")
        return dest

    def to_dict(self) -> dict[str, Any]:
        """The project as the studio shows it (classes, hints; its models are :meth:`models`)."""
        infos = self.classes()
        return {"id": self.root.name, "name": self.name, "path": str(self.root),
                "classes": [c.to_dict() for c in infos], "hints": self.hints(infos),
                "test_samples": sum(c.test_samples for c in infos)}


def set_folder(path: str | os.PathLike[str], *, test: bool = False, in_zip: tuple[Path, Path] | None = None) -> Path:
    """The folder-per-class set a path names for training (``test=False``) or testing: a project
    folder's ``samples/`` or ``test/``, any other path as it is. A project whose test set is empty
    is a :class:`DatasetError` that says how to fill it (``in_zip``: see :meth:`Project.check_test_set`)."""
    path = Path(path)
    if not is_project_folder(path):
        return path
    project = Project.open(path)
    return project.check_test_set(in_zip=in_zip) if test else project.samples_dir


def is_project_folder(path: Path) -> bool:
    """A project's folder (``earmark-project.json``, or a ``samples/`` folder of classes, as
    :meth:`Project.open` adopts), not a folder per class.

    Without the project file, ``samples/`` makes a project only when it holds no audio of its own
    and nothing beside it but ``test/``, ``models/`` and what every import leaves out (hidden
    folders, ``__MACOSX``): a folder per class with a class named ``samples`` (``background/``,
    ``bass/``, ``samples/``) stays a folder per class.
    """
    if (path / PROJECT_FILE).is_file():
        return True
    samples = path / "samples"
    if not samples.is_dir():
        return False
    try:
        beside = [p for p in path.iterdir() if p.is_dir() and not is_ignored_name(p.name)]
        own_audio = any(p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS for p in samples.iterdir())
    except OSError:
        return False
    return not own_audio and all(p.name in ("samples", TEST_DIR, "models") for p in beside)
