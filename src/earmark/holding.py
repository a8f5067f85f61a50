"""Folders a running process holds: a lock on an owner file inside, which the system lets go of when
the process ends, however it ends (a crash, ``kill -9``). What a killed process leaves (the studio's
temporary folder, an import's hidden build folder) is told apart from one still in use by that lock."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["CAN_LOCK", "OWNER_FILE", "hold", "remove_if_abandoned"]

#: The file inside a held folder that its process keeps locked.
OWNER_FILE = ".earmark-owner"

try:
    import fcntl
except ImportError:  # Windows: no flock; held folders are then removed only by their own process
    fcntl = None  # type: ignore[assignment]

#: Whether this system can tell a held folder from an abandoned one by its lock.
CAN_LOCK = fcntl is not None


def hold(folder: Path, *, note: str) -> int | None:
    """A lock held on ``folder``'s owner file (its descriptor, to close when done), made under another
    name and renamed once locked, so that no one finds the file unlocked while this process runs;
    ``note`` is written in it for a person who looks. ``None`` where the system has no ``flock``."""
    if fcntl is None:
        return None
    staged = folder / f"{OWNER_FILE}.{os.getpid()}"
    fd = os.open(staged, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, f"{note} (process {os.getpid()})\n".encode())
    os.rename(staged, folder / OWNER_FILE)
    return fd


def remove_if_abandoned(folder: Path) -> bool | None:
    """Remove ``folder`` if its owner file is there and no process holds it: True. False when its process
    runs; ``None`` when it has no owner file (not a held folder, or one being made) or the system no
    ``flock``. It is removed while locked, so that a process sweeping at the same moment cannot lock it too."""
    if fcntl is None:
        return None
    try:
        fd = os.open(folder / OWNER_FILE, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # its process runs
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return True
    finally:
        os.close(fd)
