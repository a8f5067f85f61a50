"""Class folders on disk: every file below a folder (links followed, loops not), the audio files
among them, and the names a class folder cannot have."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from pathlib import Path

from .archive import is_ignored_name
from .audio import AUDIO_EXTENSIONS
from .errors import DatasetError
from .naming import quoted, undecodable

__all__ = ["audio_files", "check_class_names", "check_folder", "files_under", "is_audio"]


def files_under(root: Path, *, skip: Callable[[str], bool] = lambda name: False,
                missed: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Every file below ``root``, sorted, leaving out files and folders whose name ``skip``
    matches. Symlinked folders are followed (a class folder may be a link to where the
    recordings live, and two classes may link to the same place); a link back to a folder the
    path already passed through is a loop, and is not followed. What cannot be read (a folder, a
    link to nothing) is added to ``missed``, with why, when it is given."""
    found: list[Path] = []

    def walk(folder: Path, ancestors: frozenset[str]) -> None:
        real = os.path.realpath(folder)
        if real in ancestors:
            return
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as exc:  # unreadable, or gone since it was listed
            if missed is not None:
                missed.append((folder, f"the folder cannot be read ({exc.strerror or exc})"))
            return
        for entry in entries:
            if skip(entry.name):
                continue
            if entry.is_dir():
                walk(folder / entry.name, ancestors | {real})
            elif entry.is_file():
                found.append(folder / entry.name)
            elif missed is not None and entry.is_symlink():
                missed.append((folder / entry.name, f"a link to {_link_target(entry.path)}, which is not there "
                                                    "(on a disk not connected?)"))

    walk(root, frozenset())
    return sorted(found)


def _link_target(path: str) -> str:
    """Where the link ``path`` points, as it is written; ``?`` when it is gone meanwhile."""
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _visible_files(root: Path) -> list[Path]:
    """Every file under ``root``, sorted, leaving out hidden files and system folders."""
    return files_under(root, skip=is_ignored_name)


def is_audio(path: Path) -> bool:
    return path.suffix.lower() in AUDIO_EXTENSIONS


def check_folder(root: Path) -> None:
    if not root.exists():
        raise DatasetError(f"{root}: no such folder; check the path")
    if not root.is_dir():
        raise DatasetError(f"{root}: is not a folder or a .zip; give a folder with one subfolder per class")


def audio_files(root: Path) -> list[Path]:
    """Every audio file under the folder ``root`` (nested folders included), sorted.

    Hidden files and folders (``.git``, macOS ``._take.wav`` companions), ``__MACOSX`` and
    files whose extension is not an audio one are left out.

    Raises
    ------
    DatasetError
        If ``root`` does not exist or is not a folder.
    """
    check_folder(root)
    return [path for path in _visible_files(root) if is_audio(path)]


#: Characters a class name cannot hold: control characters (a tab, a newline) and line or paragraph
#: separators break the lines and tab-separated columns class names are written in.
_NOT_IN_NAMES = ("Cc", "Zl", "Zp")


def check_class_names(folder: Path, *, root: Path) -> None:
    """Refuse a class folder under ``folder`` (``root`` as the user gave it) whose name holds a
    control character (its class could not be written one to a line, or in a column of a table), or
    bytes that are not UTF-8 (:func:`earmark.naming.undecodable`: it could not be written to a model
    file, JSON or ONNX)."""
    for path in sorted(folder.iterdir()):
        if not path.is_dir() or is_ignored_name(path.name):
            continue
        if undecodable(path.name):
            raise DatasetError(
                f"the class folder {quoted(path.name)} in {quoted(root)} has a name that is not UTF-8 text (its bytes "
                "that are not are shown as \\xNN; unzip leaves such names from a zip made on Windows); a class name "
                "is written into the model file and its exports as text: rename the folder")
        bad = sorted({ch for ch in path.name if unicodedata.category(ch) in _NOT_IN_NAMES})
        if bad:
            shown = ", ".join(repr(ch) for ch in bad)
            raise DatasetError(f"the class folder {path.name!r} in {root} has a control character in its name "
                               f"({shown}); a class name is written one to a line and in columns, which it would "
                               "break: rename the folder")
