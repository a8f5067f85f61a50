"""Files a class folder holds already, found by their bytes: a folder of samples dropped twice, or a
file uploaded again, is named in the upload's warnings (it was kept as ``bass1-2.wav`` beside
``bass1.wav`` without a word, and the sound counted twice in training; only training said so)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

from .archive import is_ignored_name
from .folders import files_under

__all__ = ["KnownFiles"]


class KnownFiles:
    """The files under each class folder by size, read once per upload (not once per file: a batch of
    thousands reads a folder of thousands once), and counted on as files are added. What training
    leaves out of a class (hidden files: a write in progress; system clutter) is left out."""

    def __init__(self) -> None:
        self._by_size: dict[Path, dict[int, list[Path]]] = {}
        self._digests: dict[Path, bytes | None] = {}

    def same_as(self, folder: Path, path: Path) -> Path | None:
        """A file under ``folder`` with the bytes of the file at ``path``, or ``None``."""
        try:
            size = path.stat().st_size
        except OSError:
            return None  # the decoder said what is wrong with it
        candidates = self._index(folder).get(size, [])
        if not candidates:
            return None
        digest = _digest(path)
        for known in candidates:
            if known not in self._digests:  # once per file and upload: 1 s clips are all one size
                self._digests[known] = _digest(known)
            if digest is not None and self._digests[known] == digest:
                return known
        return None

    def added(self, path: Path, *, folder: Path) -> None:
        """Count ``path``, just added under ``folder``."""
        if folder in self._by_size:
            try:
                self._by_size[folder][path.stat().st_size].append(path)
            except OSError:
                pass

    def _index(self, folder: Path) -> dict[int, list[Path]]:
        if folder not in self._by_size:
            index: dict[int, list[Path]] = defaultdict(list)
            for path in files_under(folder, skip=is_ignored_name):  # as training reads the class
                try:
                    index[path.stat().st_size].append(path)
                except OSError:
                    continue  # moved or deleted meanwhile
            self._by_size[folder] = index
        return self._by_size[folder]


def _digest(path: Path) -> bytes | None:
    """A hash of the file's bytes (``None`` when it cannot be read: moved or deleted meanwhile)."""
    try:
        with path.open("rb") as stream:
            return hashlib.file_digest(stream, "blake2b").digest()
    except OSError:
        return None

