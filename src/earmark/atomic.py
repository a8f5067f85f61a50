"""Atomic file writes: write beside the target, fsync, then rename over it.

A crash or a full disk mid-write leaves the previous file (or nothing) in place, never a
half-written one. Every output earmark writes (model files, WAV clips, pictures, reports)
goes through :func:`atomic_write`. A folder built out of sight and moved into place whole (an import's)
is synced once when built instead, file by file never (:func:`synced_when_done`).

A new file gets the permissions any other program would give it (``0o666`` less the
umask); a replaced file keeps the permissions it had.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .containers import audio_held, other_held
from .errors import OutputError, ParameterError

__all__ = ["atomic_copy", "atomic_write", "cannot_write", "check_replaceable", "check_writable", "probe_folder",
           "synced_when_done"]

#: Where Linux reports the process umask without changing it.
_PROC_STATUS = Path("/proc/self/status")
#: Reading the umask elsewhere means setting it; this lock keeps earmark's own threads from racing.
_UMASK_LOCK = threading.Lock()
#: The folders (as :func:`os.path.realpath` gives them) that :func:`synced_when_done` makes durable at once
#: when done; :func:`atomic_write` syncs no file in them one by one. Any thread's writes count.
_SYNCED_WHEN_DONE: set[str] = set()
_SYNCED_LOCK = threading.Lock()


def _umask() -> int:
    """The process umask, read without changing it where the system allows."""
    try:
        for line in _PROC_STATUS.read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        # For the moment it is set, a restrictive umask: a file another thread creates
        # meanwhile comes out too private, never too open.
        old = os.umask(0o077)
        os.umask(old)
    return old


def _mode_for(target: Path) -> int:
    """The permission bits the finished file should have."""
    try:
        st = target.stat()
    except OSError:
        return 0o666 & ~_umask()
    if stat.S_ISREG(st.st_mode):
        return stat.S_IMODE(st.st_mode) & 0o777  # never carry set-id bits to new content
    return 0o666 & ~_umask()


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable; a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _synced_later(folder: Path) -> bool:
    """Whether ``folder`` is in one that :func:`synced_when_done` syncs whole when done."""
    if not _SYNCED_WHEN_DONE:
        return False
    real = Path(os.path.realpath(folder))
    with _SYNCED_LOCK:
        return any(real.is_relative_to(done) for done in _SYNCED_WHEN_DONE)


def _syncfs(folder: Path) -> bool:
    """Flush to disk everything written to the file system that holds ``folder`` (Linux's ``syncfs``);
    ``False`` where this system has no ``syncfs``. A disk that fails the flush raises its ``OSError``."""
    try:
        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError, TypeError):
        return False
    fd = os.open(folder, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(folder))
    finally:
        os.close(fd)
    return True


def _fsync_tree(folder: Path) -> None:
    """Sync every file in ``folder``, then every folder, deepest first (where :func:`_syncfs` cannot)."""
    for where, _, files in os.walk(folder, topdown=False):
        for name in files:
            # Windows syncs no file opened read-only
            fd = os.open(os.path.join(where, name), os.O_RDWR if os.name == "nt" else os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_folder(Path(where))


@contextlib.contextmanager
def synced_when_done(folder: str | os.PathLike[str]) -> Iterator[None]:
    """Make everything written in the existing ``folder`` durable once, when the block ends without
    error, rather than file by file: for a folder built out of sight and moved into place whole when
    complete (an import's hidden folder), where one sync before the move keeps the guarantee that a
    crash leaves the folder whole or not in place, at a fraction of the cost of thousands of syncs.

    Within the block, :func:`atomic_write` (from any thread) still writes each file under a temporary
    name and renames it, but syncs neither it nor its folder when the target is in ``folder``. At the
    end, the file system that holds ``folder`` is flushed in one call (Linux's ``syncfs``), or, where
    there is none, each file and folder in it is synced. The caller syncs the folder it is then moved
    into, after the move. A block that raises syncs nothing (the folder is to be removed).

    Raises
    ------
    OutputError
        If the disk fails the flush (a full disk, an I/O error); the message names ``folder``.
    """
    real = os.path.realpath(folder)
    with _SYNCED_LOCK:
        if real in _SYNCED_WHEN_DONE:
            raise ParameterError(f"{folder} is synced when done already; nest no second synced_when_done in it")
        _SYNCED_WHEN_DONE.add(real)
    try:
        yield
    finally:
        with _SYNCED_LOCK:
            _SYNCED_WHEN_DONE.discard(real)
    try:
        if not _syncfs(Path(real)):
            _fsync_tree(Path(real))
    except OSError as exc:
        raise cannot_write(folder, exc, doing=f"make {folder} durable on disk") from exc


def _not_a_folder(target: Path) -> Path | None:
    """The nearest existing ancestor of ``target`` when it is something other than a folder."""
    for parent in target.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, make_folders: bool = True) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path`` for binary writing; on success rename it over ``path``.

    If the block raises, ``path`` is left as it was and the temporary file is removed. A
    symbolic link is written through (the file it points to is replaced, the link stays).
    ``make_folders=False``: the folder must be there already (a write into a folder that is being
    moved away must not make it again); its absence is an ``OutputError`` caused by a
    ``FileNotFoundError``.

    The file and its folder are synced before this returns (the rename is on disk), except in a folder
    that :func:`synced_when_done` syncs whole when it is done.

    Raises
    ------
    ParameterError
        If ``path`` is not a ``str`` or path object.
    OutputError
        If the folder cannot be created or written to, or ``path`` is something other than a
        file (a folder, a device such as ``/dev/null``, a pipe); the message names the path.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ParameterError(f"give the path to write as a str or pathlib.Path, got {type(path).__name__}")
    target = Path(path)
    try:
        if target.is_symlink():
            target = Path(os.path.realpath(target))
        if target.exists() and not target.is_dir() and not target.is_file():
            raise OutputError(f"cannot write {path}: it is a device, pipe or socket, not a file, and earmark "
                              "replaces what it writes whole; give a file name")
        if target.is_dir():
            raise OutputError(f"cannot write {target}: it is a folder; give a file name")
    except OSError as exc:  # a name too long for the file system, a folder that cannot be searched
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}; choose a shorter name or another "
                          "folder") from exc
    blocker = _not_a_folder(target)
    if blocker is not None:
        raise OutputError(
            f"cannot write {target}: {blocker} is a file, not a folder; choose a folder you can write to"
        )
    try:
        if make_folders:
            target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise cannot_write(target, exc) from exc
    tmp = Path(tmp_name)
    later = _synced_later(target.parent)  # a folder synced whole when built (synced_when_done)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if not later:
                os.fsync(fh.fileno())
        # mkstemp makes the file 0600; best effort, as some file systems (FAT) refuse chmod.
        with contextlib.suppress(OSError):
            os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise cannot_write(target, exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if not later:
        _fsync_folder(target.parent)


def atomic_copy(source: str | os.PathLike[str], *, target: str | os.PathLike[str]) -> None:
    """The bytes of ``source`` written to ``target`` whole, or not at all (:func:`atomic_write`)."""
    with open(source, "rb") as src, atomic_write(target) as out:
        shutil.copyfileobj(src, out)


def cannot_write(path: str | os.PathLike[str], exc: OSError, *, doing: str | None = None,
                 fix: str | None = None) -> OutputError:
    """The error for ``exc``, met writing ``path``, saying what is wrong and what to do. Every write earmark
    cannot make is worded here: a file, a project's folder, the studio's folders.

    What is wrong is the system's own word for it (``Read-only file system``, ``Permission denied``,
    ``No space left on device``), or the file that stands where a folder of ``path`` should be. What to
    do is first what mends that cause (free some space on a full disk or a spent quota; make the folder
    writable where it is read-only or refused), then ``fix``: the way out elsewhere (default: another
    folder). ``doing``: what could not be done, in words (default ``write PATH``)."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        target = Path(path)
        blocker = next((p for p in (target, *target.parents) if p.exists() and not p.is_dir()), None)
        reason = reason if blocker is None else f"{blocker} is a file, not a folder"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        todo = f"free some space on that disk, or {fix or 'choose another folder'}"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        todo = ("make the folder writable (its permissions, or a disk mounted read-only), or "
                f"{fix or 'choose a folder you can write to'}")
    else:
        todo = fix or "choose a folder you can write to"
    return OutputError(f"cannot {doing or f'write {path}'}: {reason}; {todo}")


def probe_folder(folder: str | os.PathLike[str]) -> None:
    """Raise the :class:`OSError` that a write into the existing folder ``folder`` meets now (read-only,
    refused, a full disk), if any: a nameless temporary file is made there and removed. Leaves nothing."""
    with tempfile.TemporaryFile(dir=folder):
        pass


def check_writable(path: str | os.PathLike[str]) -> None:
    """Fail before long work if the file ``path`` cannot be written. Creates nothing.

    Raises
    ------
    OutputError
        If ``path`` is a folder, sits under a file, or its folder cannot be written to.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder; give a file name")
    folder = path.parent
    while not folder.exists():  # the nearest existing folder decides; the writer creates the rest
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: {folder} is a file, not a folder; choose another place")
    try:
        probe_folder(folder)
    except OSError as exc:
        raise cannot_write(path, exc) from exc


#: What :func:`check_replaceable` writes, by ``kind``, as a person names it.
_KINDS = {"earmark model": "an earmark model", "onnx": "an ONNX model", "png": "a PNG picture",
          "zip": "a zip archive"}
#: What an existing file holds, by :func:`earmark.containers.other_held`'s kind, as a person names it.
_HELD = {**_KINDS, "safetensors": "a safetensors file (not an earmark model)", "jpeg": "a JPEG picture",
         "gif": "a GIF picture", "pdf": "a PDF document", "gzip": "a gzip archive"}


def check_replaceable(path: str | os.PathLike[str], *, kind: str) -> None:
    """Fail if writing ``kind`` (``"earmark model"``, ``"onnx"``, ``"png"`` or ``"zip"``) at ``path``
    would replace a file that holds something else: a recording, a model of another kind, a
    document. A file of the same kind (a model trained again, a picture drawn again; for a zip, one
    named ``.zip``: a Word document is a zip too), an empty file, or no file at all may be written.
    What a file holds is read from its bytes, not its name: a recording named ``model.earmark`` is
    still a recording. Reads a few kilobytes; a pipe or device is left to the write, which refuses it.

    Raises
    ------
    OutputError
        Naming what the file holds and what to do (another name, or delete it first); also when the
        file cannot be read to tell.
    """
    if kind not in _KINDS:
        raise ParameterError(f"kind must be one of {sorted(_KINDS)}, got {kind!r}")
    try:
        found = os.stat(path)
        if not stat.S_ISREG(found.st_mode) or found.st_size == 0:
            return  # nothing there, a folder, a pipe (never opened: it would wait for a writer), or empty
    except OSError:
        return  # check_writable and the write itself say what is wrong
    try:
        with open(path, "rb") as stream:
            other, held = other_held(stream), audio_held(stream)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: earmark cannot read it to see whether it is {_KINDS[kind]} "
                          f"({exc.strerror or exc}); give another name, or delete that file first if it is "
                          "not needed") from exc
    if other == kind and kind == "zip" and Path(path).suffix.lower() != ".zip":  # a Word or Excel file, a .jar
        raise OutputError(f"cannot write {path}: it holds a zip archive but is not named .zip (as a Word or Excel "
                          "file, or a .jar, is), and writing would replace it; give a name ending in .zip, or "
                          "delete that file first if it is not needed")
    if other == kind:
        return
    what = (f"an audio file ({held.kind})" if held is not None and other is None
            else _HELD.get(other or "", "a file of another kind"))
    raise OutputError(f"cannot write {path}: it is {what}, not {_KINDS[kind]}, and writing would replace it; "
                      "give another name, or delete that file first if it is not needed")
