"""Names on disk: names that are safe as one folder or file, free names that never overwrite, and
the lock held while a free name is chosen and written."""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from .errors import ParameterError

__all__ = ["NAMING", "clean_name", "free_path", "is_clean_name", "quoted", "quoted_list", "rename_folder"]

_NAME_OK = re.compile(r"^[\w][\w .()+,&'#@-]*$")
#: Held while a free name is chosen and written, so that two requests never pick the same one.
NAMING = threading.RLock()


def quoted(name: object) -> str:
    """A name as a message shows it: in quotes, as written (one backslash stays one, where
    ``repr`` doubles it and JSON doubles it again); only characters that cannot be printed are escaped."""
    return "'" + "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(name)) + "'"


def quoted_list(names: Iterable[object], *, none: str = "none") -> str:
    """Names as a message lists them: ``'band demo', 'proj1'`` (not a Python list); ``none`` when empty."""
    return ", ".join(quoted(n) for n in names) or none


def clean_name(name: str, *, what: str) -> str:
    """A class, project or file name that is safe as one folder name, or :class:`ParameterError`.

    Letters (any script), digits, spaces and ``_ . ( ) + , & ' # @ -`` are allowed; it must
    start with a letter, digit or ``_``, hold no ``/`` or ``..``, and be 1–64 characters.
    """
    # NFC: macOS writes "café" as "cafe" plus a combining accent, which is not a letter alone
    cleaned = unicodedata.normalize("NFC", " ".join(str(name).split()))
    if not cleaned or len(cleaned) > 64 or ".." in cleaned or not _NAME_OK.match(cleaned):
        raise ParameterError(
            f"{what} name {quoted(name)} cannot be used; use 1–64 letters, digits, spaces or _ . ( ) + , & ' # @ -, "
            "starting with a letter or digit"
        )
    return cleaned


def is_clean_name(name: str) -> bool:
    """Whether ``name`` holds only what :func:`clean_name` allows (of any length), as it is."""
    return ".." not in name and bool(_NAME_OK.match(name))


def rename_folder(folder: Path, target: Path) -> None:
    """Rename ``folder`` to ``target``; a case-only rename on a case-insensitive disk goes through a
    free name (``.renaming-*``, which :meth:`earmark.project.Project.sweep_crash_leftovers` recovers after a crash)."""
    if not target.exists():
        folder.rename(target)
        return
    step = folder.parent / f".renaming-{time.time_ns()}"
    folder.rename(step)
    try:
        step.rename(target)
    except OSError:
        step.rename(folder)
        raise


def free_path(path: Path, *, any_case: bool = False) -> Path:
    """``path``, or ``stem-2.ext``, ``stem-3.ext``… when it is taken (never overwrite).

    With ``any_case=True`` a name taken in another case counts as taken too (``Bass.wav`` beside
    ``bass.wav``: on macOS and Windows, and in a zip unpacked there, the two would be one file).
    That lists the whole folder, so use it only where names are few and chosen by a person (model
    files); the default checks only the candidate names, and stays fast in a folder of thousands of clips.
    """
    taken: set[str] = set()
    if any_case:
        try:
            taken = {p.name.casefold() for p in path.parent.iterdir()}
        except OSError:  # no folder yet: nothing in it is taken
            pass

    def free(candidate: Path) -> bool:
        return candidate.name.casefold() not in taken and not candidate.exists()

    if free(path):
        return path
    n = 2
    while not free(candidate := path.with_name(f"{path.stem}-{n}{path.suffix}")):
        n += 1
    return candidate
