"""Whole sets into a project: a folder-per-class set or an exported project (unpacked from a zip), each
class's files brought in through :func:`earmark.intake.add_files`; and a folder-per-class test set laid
out from uploaded files. Audio in no class's folder is named among the skipped, never left out silently.
"""

from __future__ import annotations

import os
from pathlib import Path

from .atomic import atomic_copy
from .audio import AUDIO_EXTENSIONS
from .dataset import BACKGROUND_LABEL, extract_zip, files_under, is_background_name, is_ignored_name, zip_root
from .errors import DatasetError, EarmarkError, ParameterError
from .intake import IntakeLimits, IntakeResult, add_files, safe_stem
from .naming import clean_name, place_file, quoted_list, staged
from .project import PROJECT_FILE, TEST_DIR, Project, is_project_folder
from .projectfile import PROJECT_FORMAT, ProjectFile

__all__ = ["chosen_name", "fill_from_folder", "folder_per_class", "stored_name"]


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
    """A folder's name, safe to save under as :func:`~earmark.intake.safe_stem` makes a file's, all
    of it kept (``v1.2`` is no stem ``v1`` with an extension)."""
    return safe_stem(f"{name}.dir")


def fill_from_folder(project: Project, root: Path, *, limits: IntakeLimits | None = None,
                     tmp_dir: str | os.PathLike[str] | None = None) -> IntakeResult:
    """Add an unpacked project (``samples/<class>/``, ``test/<class>/``, ``models/``) or folder-per-class
    set to ``project``; a project's test set lands in ``project``'s.

    Every class's files go through :func:`add_files` (decoded, cut, named, limited; bad files
    reported), background folder aliases all land in the Background Noise class, system and
    hidden folders (``__MACOSX``, ``.git``) are left out, and model files are checked before
    they are kept. Zips inside are unpacked in ``tmp_dir`` (default: the system's temp folder).
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
    test_root = root / TEST_DIR
    test_folders = [p for p in sorted(test_root.iterdir()) if p.is_dir() and not is_ignored_name(p.name)] \
        if is_project and test_root.is_dir() else []
    result.skipped += _loose_files(test_root, f"{TEST_DIR}/") if is_project else []
    for folder, test in [(f, False) for f in folders] + [(f, True) for f in test_folders]:
        where = f"{TEST_DIR}/{folder.name}" if test else folder.name
        try:
            label = BACKGROUND_LABEL if is_background_name(folder.name) else clean_name(folder.name, what="class")
        except ParameterError as exc:  # one folder's name does not stop the rest from landing
            result.skipped.append((f"{where}/", f"{exc}; rename the folder and add its files again"))
            continue
        same = {name.casefold(): name for name in project.class_names()}  # "Bass" beside "bass": one class
        label = same.get(label.casefold(), label)
        if label not in project.class_names() and not is_background_name(label):
            project.add_class(label)
        files = [(f"{where}/{f.relative_to(folder).as_posix()}", f) for f in files_under(folder, skip=is_ignored_name)]
        part = add_files(project, label, files, limits=limits, test=test, one_class=False, tmp_dir=tmp_dir)
        result.added += part.added
        result.skipped += part.skipped
        result.warnings += part.warnings
    for model in sorted((root / "models").glob("*.earmark")) if (root / "models").is_dir() else []:
        try:  # an exported project's models keep their names (ids, links), unstamped; 'x-2' beside a taken 'x'
            project.import_model(model, name=model.name, stamp=not is_project)
        except EarmarkError as exc:
            result.skipped.append((f"models/{model.name}", str(exc).replace(str(model), model.name)))
    return result


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
