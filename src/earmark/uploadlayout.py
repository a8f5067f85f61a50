"""The layout of an upload to one class: whether its files (a folder dropped, a zip) are a folder of
classes, each of which would become that one class, rather than that class's own takes in subfolders
(``take1/``, ``take2/``); such an upload is refused before anything is written, saying how to bring the
classes in."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from .dataset import is_background_name, is_ignored_name
from .errors import DatasetError
from .naming import quoted, quoted_list
from .project import TEST_DIR, Project

__all__ = ["FolderOfClassesError", "refuse_classes"]


def refuse_classes(project: Project, *, class_name: str, entries: list[tuple[str, str, Path]]) -> None:
    """Raise :class:`FolderOfClassesError` when the upload (``(zip or "", name, path)``: the zip each file
    came in, or ``""``) to ``class_name`` holds a folder of classes (see :func:`earmark.intake.add_files`),
    saying how to bring them in."""
    groups: dict[str, list[str]] = {}
    for zip_name, name, _ in entries:
        groups.setdefault(zip_name, []).append(name[len(zip_name) + 1:] if zip_name else name)
    for zip_name, names in groups.items():
        root, folders = _class_folders(names)
        zip_stem = unicodedata.normalize("NFC", Path(zip_name).stem) if zip_name else None
        if not _are_classes(project, class_name, folders, root=root or zip_stem):
            continue
        known = {c.casefold() for c in project.class_names()}
        missing = [f for f in folders if f.casefold() not in known and not is_background_name(f)]
        raise FolderOfClassesError(class_name=class_name, zip_name=zip_name or None, folders=folders, missing=missing)


class FolderOfClassesError(DatasetError):
    """A folder (or zip) of classes given to :func:`earmark.intake.add_files` for one class: its files would all become
    that class. ``folders`` are its class folders, ``missing`` those the project has no class for yet,
    ``zip_name`` the zip they came in (``None``: files or a folder); the message says how to bring them
    in from Python (the studio words it for its page)."""

    def __init__(self, *, class_name: str, zip_name: str | None, folders: list[str], missing: list[str]) -> None:
        self.class_name, self.zip_name, self.folders, self.missing = class_name, zip_name, folders, missing
        target, code = quoted(class_name), repr(class_name)
        unzip = "unzip it and " if zip_name else ""
        super().__init__(
            f"{self.found()}: added to class {target}, every file would become {target}. To add them all to "
            f"{target}, {unzip}give each subfolder alone, add_files(project, {code}, SUBFOLDER); to add them to "
            f"this project, add each class's folder to its class, add_files(project, CLASS, FOLDER){self.first()}; "
            f"to make a new project of them, {unzip}import the whole set with "
            "earmark.importer.fill_from_folder(Project.create(NEW_FOLDER), FOLDER)")

    def found(self) -> str:
        """What was given, as a message begins: ``takes.zip holds a folder per class (bass/, drums/)``."""
        listed = ", ".join(f"{f}/" for f in self.folders[:4]) + (", …" if len(self.folders) > 4 else "")
        return f"{self.zip_name + ' holds' if self.zip_name else 'these files are'} a folder per class ({listed})"

    def first(self) -> str:
        """`` (make class 'x' first)`` when the project has no class for some of the folders, else ``""``."""
        if not self.missing:
            return ""
        return f" (make {'class' if len(self.missing) == 1 else 'classes'} {quoted_list(self.missing)} first)"


def _are_classes(project: Project, class_name: str, folders: list[str], *, root: str | None) -> bool:
    """Whether ``folders`` (the audio subfolders of the folder ``root`` dropped onto ``class_name``) are
    classes rather than that class's own takes: two or more, and one of them named as the background
    class or as another class of the project, or one named as ``class_name`` beside a folder named like
    a class (a word: no digits, unlike ``take1/``, ``2024-06-01/``). A folder named as ``class_name``
    itself (``speech/`` onto speech) holds that class's own parts, whatever their names."""
    if len(folders) < 2:
        return False
    target = class_name.casefold()
    if root is not None and (root.casefold() == target or is_background_name(root) and is_background_name(class_name)):
        return False
    others = {c.casefold() for c in project.class_names()} - {target}
    if any(is_background_name(f) or f.casefold() in others for f in folders):
        return True
    return any(f.casefold() == target for f in folders) and any(
        f.casefold() != target and not any(ch.isdigit() for ch in f) for f in folders)


def _class_folders(names: list[str]) -> tuple[str | None, list[str]]:
    """The folder dropped or picked (the one all files named ``names``, ``a/b/file.wav`` as uploaded, are
    in, if any) and the folders that would be classes if they were a folder-per-class set: its subfolders
    with audio below, or a project's ``samples/``'s; sorted. Hidden and system folders are left out."""
    paths = [parts for name in names  # NFC: a folder from macOS is named as the class it matches
             if (parts := [p for p in unicodedata.normalize("NFC", name).replace("\\", "/").split("/")
                           if p not in ("", ".")])
             and not any(is_ignored_name(p) for p in parts)]
    root = None
    if paths and all(len(p) > 1 for p in paths) and len({p[0] for p in paths}) == 1:
        root = paths[0][0]
        paths = [p[1:] for p in paths]  # the folder picked or dropped
    tops = {p[0] for p in paths if len(p) > 1}
    if "samples" in tops and tops <= {"samples", TEST_DIR, "models"}:  # a project (see is_project_folder)
        root, paths = "samples", [p[1:] for p in paths if p[0] == "samples"]
    return root, sorted({p[0] for p in paths if len(p) > 1})
