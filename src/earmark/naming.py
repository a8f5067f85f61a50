"""Names on disk: names that are safe as one folder or file, free names that never overwrite, and
the lock held while a free name is chosen and written."""

from __future__ import annotations

import os
import re
import threading
import time
import unicodedata
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ParameterError

__all__ = ["MAX_NAME_LENGTH", "NAMING", "NOHASH", "clean_name", "clean_stem", "fit_stem", "free_path", "has_unsafe",
           "is_clean_name", "name_key", "names_in", "new_file", "place_file", "quoted", "quoted_list", "rename_folder",
           "safe_name", "safe_stem", "staged", "undecodable"]

#: the longest class, project or file name :func:`clean_name` allows
MAX_NAME_LENGTH = 64
_NAME_OK = re.compile(r"^[\w][\w .()+,&'#@-]*$")
#: Held while a free name is chosen and written, so that two requests never pick the same one.
NAMING = threading.RLock()


#: Characters no saved file name keeps (:func:`safe_stem`): a run of them becomes one ``_``.
_UNSAFE = re.compile(r"[^\w .()+,&'#@-]+")
#: Names Windows keeps for devices, alone or before a dot: no file ``CON.wav`` can be made there.
_WINDOWS_DEVICE = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?=\.|$)", re.IGNORECASE)
#: The most UTF-8 bytes a stem keeps: a file name holds 255 on most disks, and a clip's number, a
#: ``-2`` and :func:`earmark.atomic.atomic_write`'s temporary name (14 more) are added to it.
_STEM_BYTES = 160
#: Marks clips cut from one recording: ``take1_nohash_003.wav`` belongs to recording ``take1``.
NOHASH = "_nohash_"


def safe_stem(name: str) -> str:
    """A file stem safe to save under: the name's last part, unsafe characters replaced."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return safe_name(stem, "sample")


def safe_name(text: str, default: str) -> str:
    """``text`` safe to save under (or ``default`` where nothing of it is): a file's stem, or a take's name
    given as it is (``v1.2 mix`` keeps its ``.2``, which `safe_stem` would take for an ending)."""
    return fit_stem((clean_stem(text) or default).replace(NOHASH, "_")) or default


def fit_stem(stem: str) -> str:
    """``stem`` cut to 80 characters and ``_STEM_BYTES`` (80 Chinese characters are 240 bytes), ending
    in no dot or space (Windows drops them), and not a device's name on Windows (``CON`` → ``CON_``)."""
    stem = stem[:80]
    while len(stem.encode()) > _STEM_BYTES:
        stem = stem[:-1]
    return _WINDOWS_DEVICE.sub(r"\1_", stem.rstrip(" ._"))


def clean_stem(stem: str) -> str:
    """``stem`` with characters unsafe in a file name replaced, and no leading or trailing dots,
    spaces or underscores (possibly empty)."""
    # NFC: macOS writes "café" as "cafe" plus a combining accent; the same name must be the same file
    return _UNSAFE.sub(_unsafe_run, unicodedata.normalize("NFC", stem)).strip(" ._")


def _unsafe_run(match: re.Match[str]) -> str:
    """A run of characters unsafe in a file name as one ``_``, keeping the combining marks in it (an
    accent no precomposed letter holds, Hindi's and Tamil's vowel signs: part of a letter, though not a
    word character to ``re``)."""
    kept = "".join(c if unicodedata.category(c).startswith("M") else "_" for c in match.group())
    return re.sub("_+", "_", kept)


def has_unsafe(text: str) -> bool:
    """Whether ``text`` holds a character :func:`safe_stem` would replace."""
    return bool(_UNSAFE.search(text))


def quoted(name: object) -> str:
    """A name as a message shows it: in quotes, as written (one backslash stays one, where
    ``repr`` doubles it and JSON doubles it again); only characters that cannot be printed are escaped,
    and a byte that is not UTF-8 (:func:`undecodable`) is shown as that byte, ``\\xe4``."""
    return "'" + "".join(c if c.isprintable() else _escaped(c) for c in str(name)) + "'"


def _escaped(c: str) -> str:
    """A character that cannot be printed, as an escape: a byte a name read from disk held that is
    not UTF-8 (Python's ``surrogateescape``) as that byte, ``\\xe4``, not ``\\udce4``."""
    return f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF else repr(c)[1:-1]


def undecodable(name: str) -> bool:
    """Whether ``name``, read from disk, held bytes that are not UTF-8: a folder unpacked by ``unzip`` from
    a zip made on Windows (``b\\xe4ss``, Latin-1 for ``bäss``). Python keeps each such byte as a lone
    surrogate (``surrogateescape``), which cannot be written as text: to a model file, JSON, ONNX."""
    return any(0xDC80 <= ord(c) <= 0xDCFF for c in name)


def quoted_list(names: Iterable[object], *, none: str = "none") -> str:
    """Names as a message lists them: ``'band demo', 'proj1'`` (not a Python list); ``none`` when empty."""
    return ", ".join(quoted(n) for n in names) or none


def clean_name(name: str, *, what: str) -> str:
    """A class, project or file name that is safe as one folder name, or :class:`ParameterError`.

    Letters (any script, with their combining marks: Hindi's and Tamil's vowel signs, accents),
    digits, spaces and ``_ . ( ) + , & ' # @ -`` are allowed; it must start with a letter, digit or
    ``_``, hold no ``/`` or ``..``, and be 1–64 characters.
    """
    # NFC: macOS writes "café" as "cafe" plus a combining accent, which is not a letter alone
    cleaned = unicodedata.normalize("NFC", " ".join(str(name).split()))
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH or not is_clean_name(cleaned):
        raise ParameterError(
            f"{what} name {quoted(name)} cannot be used; use 1–64 letters, digits, spaces or _ . ( ) + , & ' # @ -, "
            "starting with a letter or digit"
        )
    return cleaned


def is_clean_name(name: str) -> bool:
    """Whether ``name`` holds only what :func:`clean_name` allows (of any length), as it is."""
    # a combining mark after the first character is part of a letter (\w leaves marks out)
    letters = "".join("a" if k and unicodedata.category(c).startswith("M") else c for k, c in enumerate(name))
    return ".." not in name and bool(_NAME_OK.match(letters))


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


def name_key(name: str) -> str:
    """``name`` as a case- and normalisation-insensitive disk compares it: ``Bass.wav``, ``bass.wav``
    and ``BASS.WAV`` have one key, as do ``café.wav`` written precomposed (NFC, as Linux and Windows
    usually write it) and decomposed (NFD, as macOS writes it). Two names with one key are one file on
    macOS, and (case) on Windows, and in a zip or copy of a project unpacked there."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", name).casefold())


@dataclass
class _Listing:
    """The keys (:func:`name_key`) of the names in a folder, as of ``stamp``."""

    stamp: tuple[int, int] | None
    keys: set[str]
    #: per name key, the first ``-N`` worth trying: every lower one was taken when the listing was read
    next_n: dict[str, int] = field(default_factory=dict)


#: The folders whose names were listed lately, most recent last: every name chosen under :data:`NAMING`
#: is added, so a folder is listed again only when something else changed it.
_LISTINGS: OrderedDict[str, _Listing] = OrderedDict()  # by the folder's path as a string: quicker than Path
_LISTINGS_KEPT = 256


def _stamp(folder: str) -> tuple[int, int] | None:
    """What changes when a folder's names do: its inode (a folder made anew) and modification time."""
    try:
        st = os.stat(folder)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def _listing(folder: str) -> _Listing:
    """The names in ``folder``, listed again only when it changed since last seen (hold :data:`NAMING`)."""
    stamp = _stamp(folder)  # before listing: a name added meanwhile makes the next call list again
    listing = _LISTINGS.get(folder)
    if listing is None or listing.stamp != stamp:
        try:
            keys = {name_key(name) for name in os.listdir(folder)}
        except OSError:  # no folder yet: nothing in it is taken
            keys = set()
        listing = _Listing(stamp, keys)
    _LISTINGS[folder] = listing
    _LISTINGS.move_to_end(folder)
    while len(_LISTINGS) > _LISTINGS_KEPT:
        _LISTINGS.popitem(last=False)
    return listing


def names_in(folder: Path) -> AbstractSet[str]:
    """The keys (:func:`name_key`) of the names in ``folder`` and of the names chosen for it by
    :func:`free_path` and :func:`new_file`; empty when there is no such folder. Cheap after the first
    call while nothing else changes the folder. Hold :data:`NAMING` while using them: they are the
    listing itself, which names chosen meanwhile join."""
    with NAMING:
        return _listing(str(folder)).keys


def free_path(path: Path, *, any_case: bool = False) -> Path:
    """``path``, or ``stem-2.ext``, ``stem-3.ext``… when it is taken (never overwrite).

    With ``any_case=True`` a name taken in another case or Unicode normalisation counts as taken too
    (``Bass.wav`` beside ``bass.wav``, see :func:`name_key`). The folder is listed once and the listing
    kept while nothing but :data:`NAMING`'s holders change it, so naming thousands of files into one
    folder stays fast; to name a file and write it, use :func:`new_file`, which keeps the listing
    current after the write.
    """
    with NAMING:
        folder = str(path.parent)
        listing = _listing(folder) if any_case else _LISTINGS.get(folder)
        taken: AbstractSet[str] = listing.keys if any_case and listing is not None else frozenset()
        key = name_key(path.name)
        chosen, chosen_key, n = path, key, listing.next_n.get(key, 2) if listing is not None else 2
        while chosen_key in taken or os.path.lexists(chosen):  # lexists: a link, even one to nothing, is taken
            chosen = path.with_name(f"{path.stem}-{n}{path.suffix}")
            chosen_key, n = name_key(chosen.name), n + 1
        if listing is not None:  # a name chosen is taken, whether or not it was asked with any_case
            listing.keys.add(chosen_key)
            listing.next_n[key] = n
        return chosen


@contextmanager
def new_file(path: Path) -> Iterator[Path]:
    """A free name for ``path`` in any case (:func:`free_path` with ``any_case``), held under
    :data:`NAMING` while the body writes it. Afterwards the folder's listing is marked current, so
    the next name chosen in it needs no new listing.

    A program writing into the folder without :data:`NAMING` (another process) is seen by the
    folder's modification time; only a write in the same tick of the clock as this one (a few
    milliseconds) could go unseen.
    """
    with NAMING:
        target = free_path(path, any_case=True)
        yield target
        _mark_current(target.parent)


@contextmanager
def staged(beside: Path) -> Iterator[Path]:
    """A hidden name in the folder ``beside`` to write a file under before :func:`place_file` names it,
    removed afterwards unless it was placed (as far as the disk lets: a read-only disk refuses that too, and
    the write's own error is the one raised). A slow write (an encode, a copy) is done there holding no
    lock. ``beside`` is the folder above the one the file goes to (a project's ``samples/`` or ``test/``,
    a test set's folder): on the same disk, where a rename or delete of the class does not carry it off.
    The name is as :func:`earmark.atomic.atomic_write`'s temporary files are named, which no listing
    counts as a sample and :meth:`~earmark.project.Project.sweep_crash_leftovers` removes when a crash
    leaves one behind."""
    path = beside / f".staged-{uuid.uuid4().hex}.tmp"
    try:
        yield path
    finally:
        # best effort: a disk that refused the write (read-only) refuses this too, and must not hide why
        with suppress(OSError):
            path.unlink(missing_ok=True)


def place_file(staged: Path, path: Path) -> Path:
    """Give the finished file ``staged`` (written beforehand, on the same disk, under a hidden name no
    listing counts) a free name for ``path`` in any case (:func:`free_path` with ``any_case``), and
    return that name. :data:`NAMING` is held only to choose the name and move the file there, so a slow
    write (an encode, a copy of a big file) done before keeps no one else's rename or upload waiting;
    the file appears under its name whole, or not at all. A hard link is made first, which fails
    rather than replace a file another program made meanwhile; a disk without hard links (FAT)
    renames instead.
    """
    with NAMING:
        while True:
            target = free_path(path, any_case=True)
            try:
                os.link(staged, target)
            except FileExistsError:  # made by another program since the listing: take the next name
                continue
            except OSError:  # no hard links on this disk
                os.replace(staged, target)
            else:
                staged.unlink()
            break
        _mark_current(target.parent)
        return target


def _mark_current(folder_path: Path) -> None:
    """Mark the listing of ``folder_path`` current after a name chosen under :data:`NAMING` was written
    (hold :data:`NAMING`): the next name chosen in it needs no new listing."""
    folder = str(folder_path)
    if (listing := _LISTINGS.get(folder)) is not None:
        listing.stamp = _stamp(folder)
