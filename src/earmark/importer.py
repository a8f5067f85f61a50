"""Whole sets into a project: a folder-per-class set or an exported project (unpacked from a zip), each
class's files brought in through :func:`earmark.intake.add_files`; and a folder-per-class test set laid
out from uploaded files. Audio in no class's folder is named among the skipped, never left out silently.

:func:`import_project` makes a new project of a set in a hidden folder beside the projects and moves it
into place in one rename once it is complete: an import killed half way leaves no project with part of
its samples, only a hidden folder that the next import (or the studio's start) removes
(:func:`sweep_import_leftovers`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .atomic import _fsync_folder, atomic_copy, synced_when_done
from .audio import AUDIO_EXTENSIONS
from .dataset import BACKGROUND_LABEL, extract_zip, files_under, is_background_name, is_ignored_name, zip_root
from .errors import ConflictError, DatasetError, EarmarkError, ParameterError
from .holding import CAN_LOCK, hold, remove_if_abandoned
from .intake import IntakeLimits, IntakeResult, add_files
from .layout import LayoutError, check_layout
from .naming import NAMING, clean_name, place_file, quoted, quoted_list, safe_stem, staged
from .project import LEFTOVER_AGE_S, PROJECT_FILE, TEST_DIR, Project, is_project_folder
from .projectfile import LOG_COUNT, PROJECT_FORMAT, RENAME_LOG, ProjectFile, remembered

__all__ = ["IMPORTING_PREFIX", "chosen_name", "fill_from_folder", "folder_per_class", "import_project",
           "stored_name", "sweep_import_leftovers"]

#: The start of the name of the hidden folder, beside the projects, that :func:`import_project` builds a
#: project in (a project list leaves hidden folders out).
IMPORTING_PREFIX = ".importing-"
#: The file in an import's folder that its process holds a lock on while it runs.
#: How old an import's folder must be for a sweep to remove it where the system has no ``flock`` (Windows).
_UNLOCKED_AGE_S = 24 * 3600.0
#: What an exported project's file keeps of its classes' past (the class log, the renames and moves it
#: remembers), taken into the project it is imported as: a model of the zip trained before a class was
#: renamed is scored under the class's name now, as in the project it came from.
_HISTORY_KEYS = (RENAME_LOG, LOG_COUNT, "renamed_classes", "moved_samples")


def folder_per_class(files: list[tuple[str, Path]], target: Path, *,
                     max_unpacked_bytes: int = IntakeLimits.max_unpacked_bytes) -> Path:
    """A folder-per-class set (e.g. a test set) from uploaded files: one zip of it (unpacking to
    at most ``max_unpacked_bytes``), or files named as a folder picked names them
    (``[TOP/]CLASS/[FOLDERS/]FILE``), laid out in ``target`` as :func:`earmark.dataset.load_dataset`
    reads a folder: the first folder is a file's class, and the folders under it are kept (``bass/day
    1/riff.flac`` and ``bass/day 2/riff.flac`` are two files of class bass). A top folder that every
    file is in (the folder picked) is left out, as a zip's is (:func:`earmark.archive.zip_root`);
    hidden and system files (``.DS_Store``, a Mac's ``._riff.flac``, ``__MACOSX/``) are left out as a
    folder's are, and the other files (in no class's folder, not audio) are laid out too, so that
    reading the set names them among the skipped. Each file is copied under a hidden name in
    ``target`` first, with no lock held, and only then named (:func:`earmark.naming.place_file`), so a
    big set keeps no rename, move or upload in any project waiting."""
    if len(files) == 1 and files[0][0].lower().endswith(".zip"):
        return extract_zip(files[0][1], target, max_bytes=max_unpacked_bytes)
    named = _named(files)
    top = list(zip_root(["/".join(parts) for parts, _ in named]))
    in_classes = 0
    for parts, path in named:
        if parts[:len(top)] != top:  # a README beside the top folder, left out as a zip's is
            continue
        *folders, name = parts[len(top):]
        folder = target.joinpath(*map(_folder_name, folders))
        folder.mkdir(parents=True, exist_ok=True)
        with staged(target) as hidden:
            atomic_copy(path, target=hidden)
            # the file's own name, so a report names the files as the user knows them (x-2.wav beside a second x.wav)
            place_file(hidden, folder / f"{safe_stem(name)}{Path(name).suffix.lower()}")
        in_classes += bool(folders) and Path(name).suffix.lower() in AUDIO_EXTENSIONS
    if not in_classes:
        raise DatasetError("the set needs one folder per class: upload a zip of it, or pick the folder "
                           "(files must arrive as CLASS/FILE)")
    return target


def chosen_name(files: list[tuple[str, Path]]) -> str:
    """How a message names the set uploaded ``files`` (``(name, path)``) hold, as the person who chose
    it knows it: ``the zip you chose (demo.zip)``, ``the folder you chose (demo/)`` (the top folder
    that :func:`folder_per_class` leaves out), else ``the test set you chose``."""
    if len(files) == 1 and files[0][0].lower().endswith(".zip"):
        zipped = files[0][0].replace("\\", "/").rsplit("/", 1)[-1]
        return f"the zip you chose ({zipped})"
    top = zip_root(["/".join(parts) for parts, _ in _named(files)])
    return f"the folder you chose ({top[0]}/)" if top else "the test set you chose"


def _named(files: list[tuple[str, Path]]) -> list[tuple[list[str], Path]]:
    """Uploaded ``files`` (``(name, path)``), each name as its folders and file name, the hidden and
    system files (``.DS_Store``, ``__MACOSX/``) left out."""
    return [(parts, path) for name, path in files
            if (parts := [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")])
            and not any(is_ignored_name(p) for p in parts)]


def _folder_name(name: str) -> str:
    """A folder's name, safe to save under as :func:`~earmark.naming.safe_stem` makes a file's, all
    of it kept (``v1.2`` is no stem ``v1`` with an extension)."""
    return safe_stem(f"{name}.dir")


def fill_from_folder(project: Project, root: Path, *, limits: IntakeLimits | None = None,
                     tmp_dir: str | os.PathLike[str] | None = None) -> IntakeResult:
    """Add an unpacked project (``samples/<class>/``, ``test/<class>/``, ``models/``) or folder-per-class
    set to ``project``; a project's test set lands in ``project``'s, and so does a set's ``test/`` folder
    of class folders (``bass/``, ``background/``, ``test/bass/``…), as in a project folder. A project
    into a new project (no class log of its own) keeps what its project file remembers of its classes'
    past, so that its models are scored under the names their classes have now.

    Every class's files go through :func:`add_files` (decoded, cut, named, limited; bad files
    reported), background folder aliases all land in the Background Noise class, system and
    hidden folders (``__MACOSX``, ``.git``) are left out, and model files are checked before
    they are kept. Zips inside are unpacked in ``tmp_dir`` (default: the system's temp folder).
    A set with another folder of class folders in it (``bass/drums/``) is refused, as training refuses it.
    """
    root = _project_top(root)
    is_project = is_project_folder(root)
    classes_root = root / "samples" if is_project else root
    folders = [p for p in sorted(classes_root.iterdir()) if p.is_dir() and not is_ignored_name(p.name)] \
        if classes_root.is_dir() else []
    loose = _loose_files(root, "") if is_project else []
    loose += _loose_files(classes_root, "samples/" if is_project else "")
    if not folders and not is_project:
        held = f"audio files ({quoted_list([n for n, _ in loose][:3])}{', …' if len(loose) > 3 else ''}) but " \
            if loose else ""
        raise DatasetError(f"the zip holds {held}no class folders; zip a project exported from earmark, or a folder "
                           "with one subfolder of audio per class (bass/, drums/, …); or make a project and drop "
                           "the files onto a class")
    result = IntakeResult(skipped=loose)
    test_root: Path | None = root / TEST_DIR if is_project else None
    if not is_project:
        folders, test_root = _split_test_set(folders, root)
        if test_root is not None:
            result.warnings.append((f"{test_root.relative_to(root).as_posix()}/", (
                "its class folders are the project's test set (the Test set switch), not a class: models are "
                "scored on them, and training never reads them")))
            if test_root.parent != root:  # train/ beside test/: train/'s folders are the classes
                result.skipped += _loose_files(test_root.parent, f"{test_root.parent.name}/")
    moves = _keep_history(project, root) if is_project else set()
    renamed: dict[str, str] = {}  # a moved sample's place in the zip ("drums/hit.wav"): its place now
    test_folders = [p for p in sorted(test_root.iterdir()) if p.is_dir() and not is_ignored_name(p.name)] \
        if test_root is not None and test_root.is_dir() else []
    result.skipped += _loose_files(test_root, f"{test_root.relative_to(root).as_posix()}/") \
        if test_root is not None else []
    for folder, test in [(f, False) for f in folders] + [(f, True) for f in test_folders]:
        renamed |= _add_folder(project, folder, root=root, test=test, result=result, limits=limits,
                               tmp_dir=tmp_dir, follow=set() if test else moves)
    _follow_moves(project, renamed)
    for model in sorted((root / "models").glob("*.earmark")) if (root / "models").is_dir() else []:
        try:  # an exported project's models keep their names (ids, links), unstamped; 'x-2' beside a taken 'x'
            project.import_model(model, name=model.name, stamp=not is_project)
        except EarmarkError as exc:
            result.skipped.append((f"models/{model.name}", str(exc).replace(str(model), model.name)))
    return result


def _add_folder(project: Project, folder: Path, *, root: Path, test: bool, result: IntakeResult,
                limits: IntakeLimits | None, tmp_dir: str | os.PathLike[str] | None,
                follow: set[str]) -> dict[str, str]:
    """Add a class ``folder``'s files to ``project``'s class of its name (made when there is none),
    to its test set if ``test``; what came of it added to ``result``. Returns, of the files named
    in ``follow`` (``drums/hit.wav``, as the zip's ``moved_samples`` names them), each one kept under
    another class or name (its name taken: ``drums/hit-2.wav``) with that name."""
    where = folder.relative_to(root).as_posix().removeprefix("samples/")
    try:
        label = BACKGROUND_LABEL if is_background_name(folder.name) else clean_name(folder.name, what="class")
    except ParameterError as exc:  # one folder's name does not stop the rest from landing
        result.skipped.append((f"{where}/", f"{exc}; rename the folder and add its files again"))
        return {}
    same = {name.casefold(): name for name in project.class_names()}  # "Bass" beside "bass": one class
    label = same.get(label.casefold(), label)
    if label not in project.class_names() and not is_background_name(label):
        project.add_class(label)
    files = [(f"{where}/{f.relative_to(folder).as_posix()}", f) for f in files_under(folder, skip=is_ignored_name)]
    renamed: dict[str, str] = {}
    for batch in _batches(files, follow):  # a file followed alone, so that what it became is known
        part = add_files(project, label, batch, limits=limits, test=test, one_class=False, tmp_dir=tmp_dir)
        if len(batch) == 1 and batch[0][0] in follow and len(part.added) == 1:
            now = f"{part.added[0].class_name}/{part.added[0].id}"
            renamed |= {batch[0][0]: now} if now != batch[0][0] else {}
        result.added += part.added
        result.skipped += part.skipped
        result.warnings += part.warnings
    return renamed


def _batches(files: list[tuple[str, Path]], alone: set[str]) -> list[list[tuple[str, Path]]]:
    """``files`` in order, in runs (one, however few), each of those named in ``alone`` a run of its own."""
    runs: list[list[tuple[str, Path]]] = []
    for entry in files:
        if entry[0] in alone or not runs or runs[-1][-1][0] in alone:
            runs.append([entry])
        else:
            runs[-1].append(entry)
    return runs or [[]]


def _split_test_set(folders: list[Path], root: Path) -> tuple[list[Path], Path | None]:
    """A folder-per-class set's class folders and its test set: a ``test/`` folder of class folders (as
    :func:`earmark.layout.check_layout` finds them: the background class's, or those of the set's other
    classes), beside the classes or beside a ``train/`` folder of them. Any other folder of class folders
    is refused with what to do, as training refuses it: its files would all become one class."""
    audio = [(f, folder.name) for folder in folders for f in files_under(folder, skip=is_ignored_name)
             if f.suffix.lower() in AUDIO_EXTENSIONS]
    try:
        check_layout(root, audio, root=root)
    except LayoutError as exc:
        nested = exc.nesting.nested
    else:
        return folders, None
    tests = [f for f in folders if f.name.casefold() == TEST_DIR and f.name in nested]
    rest = [f for f in folders if f not in tests]
    if tests and len(rest) == 1 and rest[0].name in nested:  # train/ and test/
        return [p for p in sorted(rest[0].iterdir()) if p.is_dir() and not is_ignored_name(p.name)], tests[0]
    if tests and not any(f.name in nested for f in rest):
        return rest, tests[0]
    top = next(name for name in nested if not tests or name != tests[0].name)
    raise DatasetError(f"{top}/ in the zip holds class folders ({', '.join(nested[top])}), not audio of a class "
                       f"{quoted(top)}: move {top}/ out of the folder, or its folders' files into the class folders "
                       f"they belong to, and import it again (a {TEST_DIR}/ folder of class folders beside the "
                       "classes is taken as the project's test set)")


def _keep_history(project: Project, root: Path) -> set[str]:
    """Give ``project`` what the exported project in ``root`` remembers of its classes' past
    (:data:`_HISTORY_KEYS`), unless ``project``'s file keeps some of its own (a project filled before).
    Returns where the samples it remembers as moved are in ``root`` (``drums/hit.wav``), for
    :func:`_follow_moves`; none where nothing was kept."""
    meta = ProjectFile(root / PROJECT_FILE).read()
    kept = {key: meta[key] for key in _HISTORY_KEYS if key in meta}
    if meta.get("format") != PROJECT_FORMAT or not kept:
        return set()
    with NAMING:  # as a class rename writes the file: neither write loses the other's
        own = project.file.read_or_missing()
        if not own or any(key in own for key in _HISTORY_KEYS):
            return set()
        project.file.write({**own, **kept})
    return set(remembered(meta, "moved_samples").values())


def _follow_moves(project: Project, renamed: dict[str, str]) -> None:
    """Point the ``moved_samples`` kept from an exported project (:func:`_keep_history`) at the new
    names ``renamed`` gives their samples (one whose name the class had already took another number:
    ``drums/hit_nohash_001.wav`` is ``drums/hit_nohash_002.wav`` now), so that a model's report
    that names a sample where it was before its move still finds it, not the other one."""
    if not renamed:
        return
    with NAMING:
        meta = project.file.read_or_missing()
        moves = remembered(meta, "moved_samples")
        if moves:
            project.file.write({**meta, "moved_samples": {old: now for old, new in moves.items()
                                                          if old != (now := renamed.get(new, new))}})


def import_project(root: Path, projects_root: Path, *, name: str,
                   place: Callable[[Project], Project] | None = None, limits: IntakeLimits | None = None,
                   tmp_dir: str | os.PathLike[str] | None = None) -> tuple[Project, IntakeResult]:
    """A new project named ``name`` in ``projects_root``, filled from the unpacked set ``root`` by
    :func:`fill_from_folder`, and what came of its files.

    It is built in a hidden folder beside the projects (:data:`IMPORTING_PREFIX`), which no project
    list shows, and only once complete is moved into place in one rename, by ``place`` (which takes the
    project where it was built and returns it where it now is: the studio's picks a free name under its
    lock), else into ``projects_root/name``, refused when that is taken. An import that fails or is
    stopped leaves nothing behind; one killed outright leaves its hidden folder, which the next import
    removes (:func:`sweep_import_leftovers`). Its files are put on disk in one sync before the move
    (:func:`earmark.atomic.synced_when_done`), not one by one, and the move after it."""
    sweep_import_leftovers(projects_root)
    building = Path(tempfile.mkdtemp(prefix=IMPORTING_PREFIX, dir=projects_root))
    lock = hold(building, note="an import, while it runs")
    try:
        with synced_when_done(building):  # one sync of it all before the move, not two per file
            project = Project.create(building / "project", name=name)
            result = fill_from_folder(project, root, limits=limits, tmp_dir=tmp_dir)
        placed = (place or _place)(project)
        _fsync_folder(placed.root.parent)  # the move itself on disk
        return placed, result
    finally:
        shutil.rmtree(building, ignore_errors=True)  # what is left: the lock, or a project that failed
        if lock is not None:
            os.close(lock)


def _place(project: Project) -> Project:
    """``project``, built in a hidden folder of the projects folder, moved beside it under its name."""
    target = project.root.parent.parent / project.name
    with NAMING:
        if target.exists() or target.is_symlink():
            raise ConflictError(f"there is already {target}; choose another name for the project")
        project.root.rename(target)
    return Project.open(target)


def sweep_import_leftovers(projects_root: Path) -> list[Path]:
    """Remove the hidden folders (:data:`IMPORTING_PREFIX`) in ``projects_root`` of imports whose process
    ended without finishing them (killed, a power cut); the folders removed. An import going on (its
    lock held) is left alone; where the system has no ``flock`` (Windows), so is one under a day old."""
    removed: list[Path] = []
    with contextlib.suppress(OSError):
        leftovers = [p for p in projects_root.iterdir() if p.name.startswith(IMPORTING_PREFIX)
                     and p.is_dir() and not p.is_symlink()]
        for folder in leftovers:
            if _abandoned(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def _abandoned(folder: Path) -> bool:
    """Whether the import that built in ``folder`` has ended: its owner file is there and not locked (the
    folder is then removed at once, while locked), or it has none an hour after it was made (a process
    killed as it began); with no ``flock``, a day after."""
    gone = remove_if_abandoned(folder)
    if gone is not None:
        return gone
    return time.time() - folder.stat().st_mtime > (LEFTOVER_AGE_S if CAN_LOCK else _UNLOCKED_AGE_S)


def stored_name(root: Path) -> str | None:
    """The name an unpacked project export keeps in its ``earmark-project.json`` (``"my band"``), as a
    project may be named; ``None`` for a folder-per-class set, or a project file with no usable name."""
    meta = ProjectFile(_project_top(root) / PROJECT_FILE).read()
    if meta.get("format") != PROJECT_FORMAT or not isinstance(meta.get("name"), str):
        return None
    try:
        return clean_name(meta["name"], what="project")
    except ParameterError:  # a hand-edited file: the zip's name does instead
        return None


def _project_top(root: Path) -> Path:
    """The folder of an unpacked import that holds it: a zip of one exported project folder's folder, else ``root``."""
    entries = [p for p in root.iterdir() if not is_ignored_name(p.name)]
    return entries[0] if len(entries) == 1 and (entries[0] / PROJECT_FILE).is_file() else root


def _loose_files(folder: Path, where: str) -> list[tuple[str, str]]:
    """The audio files and zips right in ``folder`` (the top of an import, a project's ``samples/`` or
    ``test/``), named ``where`` + name: in no class's folder, so in no class; each with what to do."""
    if not folder.is_dir():
        return []
    return [(f"{where}{p.name}", "in no class's folder, so in no class: put it in the folder of its class "
                                 "and import again, or drop it onto its class")
            for p in sorted(folder.iterdir(), key=lambda p: p.name)
            if p.is_file() and not is_ignored_name(p.name) and p.suffix.lower() in AUDIO_EXTENSIONS | {".zip"}]
