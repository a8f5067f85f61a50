"""Staged writes: a file is written (encoded, converted, copied) under a hidden name first, holding no
lock, and only then given a free name and moved there under :data:`earmark.naming.NAMING`
(:func:`earmark.naming.place_file`), so that a slow write keeps no rename, move or upload waiting.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .atomic import atomic_write

__all__ = ["copy_file", "staged"]


@contextmanager
def staged(beside: Path) -> Iterator[Path]:
    """A hidden name in the folder ``beside`` to write a file under before it is placed, removed
    afterwards unless it was placed. ``beside`` is the folder above the one the file goes to (a
    project's ``samples/`` or ``test/``, a test set's folder: on the same disk, where a rename or delete
    of the class does not carry it off). The name is as :func:`earmark.atomic.atomic_write`'s temporary files are
    named, which no listing counts as a sample and
    :meth:`~earmark.project.Project.sweep_crash_leftovers` removes when a crash leaves one behind."""
    path = beside / f".intake-{uuid.uuid4().hex}.tmp"
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def copy_file(source: Path, target: Path) -> None:
    """The bytes of ``source`` written to ``target`` (atomically: whole, or not at all)."""
    with source.open("rb") as src, atomic_write(target) as out:
        shutil.copyfileobj(src, out)
