"""Folders and files a running process holds: a lock on a file, which the system lets go of when the
process ends, however it ends (a crash, ``kill -9``). What a killed process leaves (the studio's
temporary folder, an import's hidden build folder, a move's journal) is told apart from one still in
use by that lock, never by a process id (which the system gives out again) or by its age."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["CAN_LOCK", "OWNER_FILE", "abandoned", "claim", "hold", "let_go", "remove_if_abandoned", "write_held"]

#: The file inside a held folder that its process keeps locked.
OWNER_FILE = ".earmark-owner"

try:
    import fcntl
except ImportError:  # Windows: no flock; held folders are then removed only by their own process
    fcntl = None  # type: ignore[assignment]

#: Whether this system can tell a held folder from an abandoned one by its lock.
CAN_LOCK = fcntl is not None


def write_held(path: Path, content: bytes) -> int | None:
    """Write the file ``path`` whole (on disk before it is named: a crash leaves all of it or none) and
    hold it: the descriptor of its lock, to close when done. It is locked under another name and renamed
    once locked, so that no one finds it unlocked while this process runs. Where the system has no
    ``flock`` it is written all the same, and ``None`` returned."""
    fd, staged = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp")
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
        if fcntl is None:  # Windows renames no open file
            os.close(fd)
            fd = -1
        os.replace(staged, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(staged)
        raise
    return None if fd < 0 else fd


def hold(folder: Path, *, note: str) -> int | None:
    """A lock held on ``folder``'s owner file (:func:`write_held`; ``note`` is written in it for a person
    who looks). ``None`` where the system has no ``flock``."""
    if fcntl is None:
        return None
    return write_held(folder / OWNER_FILE, f"{note} (process {os.getpid()})\n".encode())


@contextlib.contextmanager
def abandoned(path: Path) -> Iterator[bool | None]:
    """Around work on what the file ``path`` (an owner file, a journal) stands for: True when no process
    holds it, and then this one does until the block ends (a process looking at the same moment finds it
    held); False when a process holds it (this one included, by another descriptor) or it was replaced
    meanwhile; ``None`` when there is no such file, or the system has no ``flock``."""
    if fcntl is None:
        yield None
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        yield None
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # its process runs
            yield False
            return
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except OSError:
            same = False
        yield same  # not the same: finished and made anew by another process since it was opened
    finally:
        os.close(fd)


def remove_if_abandoned(folder: Path) -> bool | None:
    """Remove ``folder`` if its owner file is there and no process holds it: True. False when its process
    runs; ``None`` when it has no owner file (not a held folder, or one being made) or the system no
    ``flock``. It is removed while locked, so that a process sweeping at the same moment cannot lock it too."""
    with abandoned(folder / OWNER_FILE) as free:
        if free:
            shutil.rmtree(folder, ignore_errors=True)
        return free


def claim(path: Path, content: bytes) -> int | None:
    """Hold the file ``path`` (made when missing, never replaced: a process holding it keeps it) with ``content``
    written in it: the descriptor of its lock, to give to :func:`let_go` when done; ``None`` when another
    process holds it (what it wrote is then in the file), or where the system has no ``flock``. An
    :class:`OSError` when it cannot be made (a folder that cannot be written to)."""
    if fcntl is None:
        return None
    for _ in range(8):  # removed by its process as it ended, between our open and our lock: take the new one
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # its process runs
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except OSError:
            same = False
        if same:
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, content, 0)
            except BaseException:
                os.close(fd)
                raise
            return fd
        os.close(fd)
    return None


def let_go(path: Path, fd: int) -> None:
    """Remove the file ``path`` that :func:`claim` held by ``fd`` (unless replaced meanwhile), then let go of it."""
    try:
        if os.path.samestat(os.fstat(fd), os.stat(path)):
            os.unlink(path)
    except OSError:
        pass
    finally:
        os.close(fd)
