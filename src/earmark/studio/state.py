"""The studio's state: the projects folder, the training runner, loaded models and result files.

One :class:`Studio` per app, built by :func:`earmark.studio.create_app` (no import-time globals).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..classifier import Classifier
from ..dataset import BACKGROUND_LABEL, is_background_name
from ..demo import demo_data_dir
from ..errors import ConflictError, EarmarkError, NotFoundError, ParameterError
from ..export import onnx_bytes
from ..holding import CAN_LOCK, hold, remove_if_abandoned
from ..importer import sweep_import_leftovers
from ..intake import IntakeLimits
from ..naming import MAX_NAME_LENGTH, NAMING, clean_name, new_file, quoted, quoted_list
from ..project import PROJECT_FILE, Project
from ..projectfile import ProjectFile
from ..trash import (
    TRASH_DIR,
    cannot_move,
    deleted_at,
    entry_ids,
    is_entry,
    new_entry,
    remove_empty_folders,
    remove_entries,
)
from .jobs import JobRunner
from .settings import StudioSettings

__all__ = ["HeldFolder", "Studio", "sweep_dead_folders"]

#: The hidden folder, beside the result files, of the requests' temporary folders (:attr:`Studio.scratch_dir`).
_SCRATCH_DIR = ".scratch"

#: Timeline pictures kept for the page (each is made by a predict call and fetched right after).
_MAX_RESULTS = 100

#: ONNX exports kept in memory (about 1.3 MB each with the default network).
_MAX_EXPORTS = 8


def _file_key(path: Path) -> tuple[str, int, int]:
    """What a file's cached products are kept under: its path, and its change time and size (a
    new file under the same name, a model re-saved, is a new key)."""
    stat = path.stat()
    return str(path), stat.st_mtime_ns, stat.st_size


class Studio:
    """Projects under ``settings.projects_root``, plus what the running server keeps in memory."""

    def __init__(self, settings: StudioSettings) -> None:
        self.settings = settings
        self.root = settings.projects_root
        self.root.mkdir(parents=True, exist_ok=True)
        sweep_import_leftovers(self.root)  # the hidden folders of imports a killed studio left
        self.jobs = JobRunner()
        self._models: dict[tuple[str, int, int], Classifier] = {}
        self._exports: dict[tuple[str, int, int], bytes] = {}  # ONNX exports, as _models
        self._lock = threading.Lock()
        self._filling: Counter[tuple[str, str]] = Counter()  # (project, class folder): uploads running into it
        self._held = HeldFolder("earmark-studio-")
        self._results = self._held.path
        self._swept: set[str] = set()  # projects whose crash leftovers this process has cleared
        self.limits = IntakeLimits(max_files=settings.max_upload_files,
                                   max_file_s=settings.max_file_minutes * 60,
                                   max_unpacked_bytes=int(settings.max_upload_mb * 1024**2))

    def close(self) -> None:
        """Cancel the training run going on and wait for it to end (no model half-written, no PyTorch
        left running as the interpreter ends), then remove the folder this process holds."""
        self.jobs.close()
        self._held.close()

    @property
    def scratch_dir(self) -> Path:
        """Where a request's own temporary folders go (an upload's files, a zip unpacked, an export
        being written): ``tempfile.mkdtemp(prefix=..., dir=studio.scratch_dir)``, private (0o700) as
        in the system's temporary folder. It is inside the folder this process holds, so a studio
        killed mid-request (SIGKILL) leaves them to the next start to remove with the rest; and it is
        hidden, so the results' pruning (:meth:`result_path`) never takes one in use."""
        folder = self._results / _SCRATCH_DIR
        folder.mkdir(mode=0o700, exist_ok=True)  # again each time: a temp cleaner may have removed it
        return folder

    # -- projects ----------------------------------------------------------------------
    def project_ids(self) -> list[str]:
        """Folders under the projects folder that hold an ``earmark-project.json`` (nothing else is touched)."""
        return sorted(p.name for p in (self.root.iterdir() if self.root.is_dir() else [])
                      if p.is_dir() and not p.name.startswith(".") and (p / PROJECT_FILE).is_file())

    def projects(self) -> tuple[list[Project], list[tuple[str, str]]]:
        """The projects that open, and ``(id, reason)`` for those that do not (a broken project file)."""
        good, broken = [], []
        for project_id in self.project_ids():
            try:
                good.append(Project.open(self.root / project_id))
            except EarmarkError as exc:
                broken.append((project_id, str(exc)))
        return good, broken

    def current(self) -> str | None:
        """The project to open first: the one asked for, else the most recently changed one."""
        ids = self.project_ids()
        if self.settings.project in ids:
            return self.settings.project
        if not ids:
            return None
        return max(ids, key=lambda i: (self.root / i / PROJECT_FILE).stat().st_mtime
                   if (self.root / i / PROJECT_FILE).exists() else 0.0)

    def project(self, project_id: str) -> Project:
        folder = self.root / project_id
        if "/" in project_id or "\\" in project_id or project_id.startswith(".") or \
                not (folder / PROJECT_FILE).is_file():
            raise NotFoundError(f"no project {quoted(project_id)}; the projects are {quoted_list(self.project_ids())}")
        project = Project.open(folder)
        if project_id not in self._swept:  # once per project and process: it walks every file
            self._swept.add(project_id)
            project.sweep_crash_leftovers()
        return project

    def create_project(self, name: str, *, demo: bool = False, rename_if_taken: bool = False) -> Project:
        """A new project; a taken name is refused, or (``rename_if_taken``: imports) made unique."""
        with self._lock:  # two requests for one name: the second finds it taken
            folder, shown = self._free_folder(clean_name(name, what="project"), rename_if_taken=rename_if_taken)
            project = Project.create(folder, name=shown)
        if demo:
            fill_with_demo(project)
        return project

    def place_project(self, built: Project) -> Project:
        """A project built in a hidden folder (an import, :func:`~earmark.importer.import_project`) moved
        into the projects folder in one rename, under its name, or ``name-2``… where that is taken."""
        with NAMING, self._lock:
            folder, shown = self._free_folder(clean_name(built.name, what="project"), rename_if_taken=True)
            built.root.rename(folder)
        project = Project.open(folder)
        if project.name != shown:
            project.set_name(shown)
        return project

    def _free_folder(self, name: str, *, rename_if_taken: bool) -> tuple[Path, str]:
        """A new project's folder and the name it is shown under: ``name``, unless a project is shown
        under that name, or something not a project is there: then a :class:`ConflictError`, or
        (``rename_if_taken``) ``name-2``, ``name-3``…; hold ``_lock``. A folder of a project shown under
        another name (renamed) does not take the name: the new project gets the next free folder."""
        # 'Band' beside 'band' is taken too: the two would be one folder on macOS or Windows
        taken = self._names_taken()
        if name.casefold() in taken and not rename_if_taken:
            raise ConflictError(taken[name.casefold()])
        shown = next(c for c in _numbered(name) if c.casefold() not in taken)
        return self._folder_for(shown, name, taken=taken), shown

    def _folder_for(self, first: str, name: str, *, taken: dict[str, str]) -> Path:
        """``root/first``, else ``root/name-2``, ``name-3``…: the first that is nothing in the projects
        folder nor a name in ``taken`` (:meth:`_names_taken`); hold ``_lock``."""
        folders = {entry.name.casefold() for entry in self.root.iterdir()} if self.root.is_dir() else set()
        folders |= set(taken)
        return self.root / next(c for c in itertools.chain([first], _numbered(name)) if c.casefold() not in folders)

    def rename_project(self, project_id: str, name: str) -> Project:
        """Show a project under another name (its folder, which names it in links, stays); a name
        another project shows already is refused."""
        project = self.project(project_id)
        cleaned = clean_name(name, what="project")
        # under NAMING: not between a delete's move and nothing (writing the project file would make
        # the folder again), nor beside another write of the project file (a class renamed)
        with NAMING, self._lock:
            if not (project.root / PROJECT_FILE).is_file():
                raise NotFoundError(f"project {project_id!r} was deleted meanwhile; reload the page")
            taken = self._names_taken(but=project.root.name)
            if cleaned.casefold() in taken:
                raise ConflictError(taken[cleaned.casefold()])
            project.set_name(cleaned)
        return project

    def _names_taken(self, *, but: str | None = None) -> dict[str, str]:
        """The names no other project may be shown under, but ``but``'s (a project folder):
        case-folded → why. They are the names the projects are shown under, the folders of projects
        that do not open (their names are unknown), and anything else in the projects folder (the
        user's own); the folder of a project shown under another name (renamed) is not one. Hold ``_lock``."""
        good, _ = self.projects()
        shown = {p.root.name: p.name for p in good if p.root.name != but}
        taken = {}
        for entry in self.root.iterdir() if self.root.is_dir() else []:
            if entry.name == but or entry.name in shown:  # an open project's name is the one it shows
                continue
            if (entry / PROJECT_FILE).is_file():
                why = f"a project named {quoted(entry.name)} already exists; choose another name"
            else:  # a folder (or file) of the user's that only happens to be there
                kind = "folder" if entry.is_dir() else "file"
                why = (f"there is already a {kind} {quoted(entry.name)} in {self.root} that is not an earmark "
                       "project; choose another name, or move it out of that folder")
            taken[entry.name.casefold()] = why
        taken.update({name.casefold(): f"a project named {quoted(name)} already exists; choose another name"
                      for name in shown.values()})
        return taken

    def delete_project(self, project_id: str) -> str:
        """Move a project to the projects folder's ``.trash`` (not while it trains or an upload fills it);
        the id :meth:`restore_project` takes to put it back."""
        project = self.project(project_id)
        training = f"project {project_id!r} is training; cancel the training first, then delete it"
        trash = self.root / TRASH_DIR
        # no run of it starts meanwhile (one starting waits, then finds the project deleted)
        with self.jobs.changing(project_id, while_training=training):
            self.check_not_filling(project, None, then="delete the project")
            entry = self._trash_project(project, trash)
        self._swept.discard(project_id)
        return entry

    def _trash_project(self, project: Project, trash: Path) -> str:
        """Move a project's folder into a new entry of ``trash``; the entry's id."""
        with NAMING:
            entry = new_entry(trash)
            try:  # a rename or nothing: never a copy and a delete that could stop half way
                project.root.rename(trash / entry / project.root.name)
            except OSError as exc:
                remove_empty_folders(trash / entry)
                if isinstance(exc, FileNotFoundError):  # deleted meanwhile by another request
                    raise
                raise cannot_move(project.root, trash, exc) from exc
        return entry

    def restore_project(self, trash_id: str) -> Project:
        """Put back a project :meth:`delete_project` moved to the trash, in its own folder and under
        the name it was shown under; each, when taken since, becomes ``…-2``, ``…-3``… on its own
        (a new project in its folder leaves its shown name alone, and the other way round)."""
        trash = self.root / TRASH_DIR
        with NAMING, self._lock:
            if not is_entry(trash, trash_id) or not (found := [p for p in (trash / trash_id).iterdir()
                                                            if (p / PROJECT_FILE).is_file()]):
                raise NotFoundError(f"no deleted project to undo under {trash_id!r}: it was restored already, "
                                    f"or {trash} was emptied")
            stored = _shown_name(found[0])
            taken = self._names_taken()
            shown = next(c for c in _numbered(stored) if c.casefold() not in taken)
            folder = self._folder_for(found[0].name, found[0].name, taken=taken)
            found[0].rename(folder)
            with contextlib.suppress(OSError):  # what else was in there stays in the trash
                (trash / trash_id).rmdir()
        project = self.project(folder.name)
        if project.name != shown:  # a project shown as "zed" was made since: this one is "zed-2"
            project.set_name(shown)
        return project

    def deleted_projects(self) -> list[dict[str, str]]:
        """The projects :meth:`delete_project` moved to the trash and still there, newest first: the ``id``
        :meth:`restore_project` takes, when (ISO, UTC) and the name each was shown under."""
        trash = self.root / TRASH_DIR
        listed = []
        for trash_id in entry_ids(trash):
            with contextlib.suppress(OSError):  # restored or removed meanwhile
                found = [p for p in (trash / trash_id).iterdir() if (p / PROJECT_FILE).is_file()]
                if found:
                    listed.append({"id": trash_id, "deleted_at": deleted_at(trash_id), "name": _shown_name(found[0])})
        return listed

    def remove_deleted_projects(self, trash_ids: list[str]) -> list[str]:
        """Delete the deleted projects ``trash_ids`` for good (:func:`earmark.trash.remove_entries`)."""
        return remove_entries(self.root / TRASH_DIR, trash_ids)

    # -- uploads running into a class: it is not deleted or renamed under them --------------
    @contextmanager
    def filling(self, project: Project, class_name: str) -> Iterator[None]:
        """Mark a class as receiving an upload while the block runs."""
        key = (project.root.name, project.class_dir(class_name).name)
        with self._lock:
            self._filling[key] += 1
        try:
            yield
        finally:
            with self._lock:
                self._filling[key] -= 1
                if not self._filling[key]:
                    del self._filling[key]

    def filling_classes(self, project: Project) -> list[str]:
        """The folders of ``project``'s classes that an upload is adding files to now (a page
        reloaded mid-upload shows them filling)."""
        with self._lock:
            return sorted(c for p, c in self._filling if p == project.root.name)

    def check_not_filling(self, project: Project, class_name: str | None, *, then: str) -> None:
        """:class:`ConflictError` if an upload is still adding files to the class (or, with
        ``class_name=None``, to any class of the project)."""
        folder = None if class_name is None else project.class_dir(class_name).name
        with self._lock:
            busy = [c for p, c in self._filling if p == project.root.name and folder in (None, c)]
        if busy:
            raise ConflictError(f"an upload into {busy[0]!r} is still being added; wait for it to finish, then {then}")

    # -- models ------------------------------------------------------------------------
    def classifier(self, path: Path) -> Classifier:
        """A model file, loaded once and kept while the file is unchanged."""
        key = _file_key(path)
        with self._lock:
            clf = self._models.get(key)
        if clf is None:
            clf = Classifier.load(path)
            with self._lock:
                self._models = {k: v for k, v in self._models.items() if k[0] != key[0]}
                self._models[key] = clf
        return clf

    def onnx(self, path: Path) -> bytes:
        """A model file's ONNX export (see earmark.export), made once and kept while the file is
        unchanged: a second click on the download does not cost another few seconds."""
        key = _file_key(path)
        with self._lock:
            data = self._exports.get(key)
        if data is None:
            data = onnx_bytes(self.classifier(path))
            with self._lock:
                kept = [(k, v) for k, v in self._exports.items() if k[0] != key[0]][-(_MAX_EXPORTS - 1):]
                self._exports = {**dict(kept), key: data}
        return data

    def shared_model(self, token: str) -> tuple[Project, str]:
        """The project and model id a share token names."""
        if len(token) < 8:
            raise NotFoundError("no shared model with that link; ask its owner for a fresh link")
        for project in self.projects()[0]:
            for info in project.models():
                if info.token == token:
                    return project, info.id
        raise NotFoundError("no shared model with that link; it may have been deleted; ask its owner for a fresh link")

    # -- result files (pictures and audio of predictions) -------------------------------
    def result_path(self, suffix: str) -> tuple[str, Path]:
        """A new file for a prediction's picture; the oldest go once there are ``_MAX_RESULTS``."""
        with self._lock:
            # not the owner file, nor the requests' folders (scratch_dir)
            kept = sorted((p for p in self._results.iterdir() if not p.name.startswith(".") and p.is_file()),
                          key=lambda p: p.stat().st_mtime_ns)
            for old in kept[: max(0, len(kept) - _MAX_RESULTS + 1)]:
                old.unlink(missing_ok=True)
        name = f"{uuid.uuid4().hex}{suffix}"
        return name, self._results / name

    def result_file(self, name: str) -> Path:
        path = self._results / name
        if "/" in name or name.startswith(".") or not path.is_file():
            raise NotFoundError(f"no result {name!r}; results last as long as the studio runs")
        return path


#: The temporary folders of earmark's servers: the studio's result files, share's copy of the models.
HELD_PREFIXES = ("earmark-studio-", "earmark-share-")

class HeldFolder:
    """A new temporary folder, ``PREFIX…`` in the system's temporary folder, that this process holds
    until :meth:`close` removes it. It holds a lock on a file inside, and the system lets go of that
    lock when the process ends, however it ends; so the folders of processes that could not clean up
    (killed with SIGKILL, a power cut) are known as such, and the next start removes them
    (:func:`sweep_dead_folders`). ``prefix`` is one of :data:`HELD_PREFIXES`."""

    def __init__(self, prefix: str) -> None:
        sweep_dead_folders()
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        try:
            self._lock = hold(self.path, note="held while it runs")
        except BaseException:  # a stop signal meanwhile (raised as Ctrl+C): no ``with`` removes it yet
            shutil.rmtree(self.path, ignore_errors=True)
            raise

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc: object) -> None:
        self.close()


def sweep_dead_folders() -> list[Path]:
    """Remove the :class:`HeldFolder` folders (this user's) of processes that ended without removing
    them; the folders removed. A folder whose process runs (its owner file locked) is left alone, and
    so is any folder without an owner file: not made by a :class:`HeldFolder`, or one being made."""
    if not CAN_LOCK:
        return []
    root = Path(tempfile.gettempdir())
    removed: list[Path] = []
    candidates: list[os.DirEntry[str]] = []
    with contextlib.suppress(OSError), os.scandir(root) as entries:
        candidates = [e for e in entries if e.name.startswith(HELD_PREFIXES)]
    for entry in candidates:
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
        except OSError:  # gone meanwhile
            continue
        if remove_if_abandoned(Path(entry.path)):
            removed.append(Path(entry.path))
    return removed


def _shown_name(folder: Path) -> str:
    """The name a project folder's project file says it is shown under; its folder's name when the
    file does not say or cannot be read (:meth:`Studio.project` then says what is wrong with it)."""
    try:
        return str(ProjectFile(folder / PROJECT_FILE).read_checked().get("name") or folder.name)
    except EarmarkError:
        return folder.name


def _numbered(name: str) -> Iterator[str]:
    """``name``, ``name-2``, ``name-3``…: the names tried for a new project when ``name`` is taken; a
    long name is shortened to leave room for its number, so every one is a name a project may have."""
    yield name
    for n in itertools.count(2):
        suffix = f"-{n}"
        yield f"{name[:MAX_NAME_LENGTH - len(suffix)].rstrip()}{suffix}"


def fill_with_demo(project: Project) -> None:
    """Copy the built-in bass / drums / background demo set into a project: its training clips into
    the samples, its test clips (made differently: other mixes, tempos, kits and rooms) into the
    test set, so that a model of the demo can be scored on new recordings at once."""
    for split, root in (("train", project.samples_dir), ("test", project.test_dir)):
        source = demo_data_dir() / split
        for folder in sorted(p for p in source.iterdir() if p.is_dir()) if source.is_dir() else []:
            name = BACKGROUND_LABEL if is_background_name(folder.name) else folder.name
            target = root / name
            target.mkdir(parents=True, exist_ok=True)
            for file in sorted(folder.iterdir()):
                if file.is_file():  # a name free in any case: no twin of a file already there (Bass.ogg, bass.ogg)
                    with new_file(target / file.name) as copy:
                        shutil.copy2(file, copy)
    if not any(project.samples_dir.iterdir()):
        raise ParameterError("the built-in demo set is missing from this installation; reinstall earmark")
