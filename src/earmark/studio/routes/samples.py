"""One sample: its audio, its spectrogram thumbnail, moving and deleting it, and moving its recording
between the training samples and the test set. ``?set=test`` names a sample of the test set."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import mimetypes
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query

from ...atomic import atomic_write
from ...audio import collecting_warnings, load_audio
from ...errors import ConflictError, NotFoundError, OutputError, ParameterError
from ...naming import quoted
from ...pictures import spectrogram_thumbnail
from ...playable import browsers_play, playable_copy
from ...project import Project
from ...trash import TRASH_DIR, is_entry
from ..deps import InTestSet, ProjectDep, StudioDep
from ..files import StudioFileResponse, version_headers
from ..links import sample_urls
from ..schemas import SampleMove

router = APIRouter(prefix="/api/projects/{project}/samples/{class_name}", tags=["samples"])
_THUMB_RATE = 22050
#: Thumbnails kept per project (a few kB each); past it the least recently shown go first, so
#: pictures of deleted or changed samples, and of every span a client asks for, do not pile up.
THUMB_CACHE_FILES = 4000
_DAY_S = 24 * 3600.0  # no sample is longer; this also keeps inf and 1e308 out of the slicing below


#: Copies of samples that only Safari plays (AIFF, CAF, Apple Lossless) kept per project, each a whole
#: sample (FLAC, WAV or M4A: :func:`earmark.playable.playable_copy`): uploads are stored so today, these
#: are for files from before (or put in by hand). At most this many, and this many bytes in all.
PLAYABLE_CACHE_FILES = 200
PLAYABLE_CACHE_BYTES = 500 * 2**20
_MEDIA = {".wav": "audio/wav", ".flac": "audio/flac", ".m4a": "audio/mp4"}
_PLAYABLE_SUFFIXES = (".flac", ".wav", ".m4a")


@router.head("/{sample_id:path}/audio", include_in_schema=False)  # a player or curl -I asking for its headers
@router.get("/{sample_id:path}/audio", response_class=StudioFileResponse)
def sample_audio(class_name: str, sample_id: str, project: ProjectDep, test: InTestSet) -> StudioFileResponse:
    """The sample's file, or for one that only Safari plays, a copy every browser plays."""
    path = project.sample_path(class_name, sample_id, test=test)
    stat = path.stat()
    headers: dict[str, str] = {}
    if not _browsers_play(str(path), stat.st_mtime_ns, stat.st_size):
        path = _playable_copy(project, path, stat)  # named <its key>.<suffix>
        headers = version_headers(path.name, modified_s=stat.st_mtime)  # a FLAC and a WAV copy differ
    media = _MEDIA.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return StudioFileResponse(path, media_type=media, headers=headers)


@functools.lru_cache(maxsize=4096)
def _browsers_play(path: str, mtime_ns: int, size: int) -> bool:
    """:func:`earmark.playable.browsers_play`, asked once per version of a file (an ``.m4a`` is opened to
    see its codec; a page asks for one sample's audio in many Range requests)."""
    return browsers_play(path)


class CopyLocks:
    """The playable copies being made now, one lock per copy (per version of a sample): concurrent first
    requests for one sample encode it once (the others wait, then find the copy), while copies of different
    samples are made side by side. A lock lives only while a request holds or waits for it. ``made`` counts
    the copies this process has made (encoded). Another process serving the same project may still make
    the same copy at the same time: each writes it whole (atomic_write), so only time is lost."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}  # key → (its lock, requests holding or waiting)
        self.made = 0

    def __len__(self) -> int:
        """How many copies are being made (or waited for) now."""
        return len(self._locks)

    @contextlib.contextmanager
    def making(self, key: str) -> Iterator[None]:
        """Hold the lock of the copy ``key`` (waiting while another request makes it)."""
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                users = self._locks[key][1] - 1
                if users:
                    self._locks[key] = (lock, users)
                else:
                    del self._locks[key]

    def count_made(self) -> None:
        with self._guard:
            self.made += 1


#: The playable copies being made by this process (see :class:`CopyLocks`).
PLAYABLE_COPIES = CopyLocks()


def _playable_copy(project: Project, path: Path, stat: os.stat_result) -> Path:
    """A copy of ``path`` every browser plays, made once per version of the file and kept in ``.cache``."""
    key = hashlib.sha1(f"{path}|{stat.st_mtime_ns}|{stat.st_size}".encode()).hexdigest()
    folder = project.cache_dir / "playable"
    if (kept := _kept_copy(folder, key)) is not None:
        return kept
    with PLAYABLE_COPIES.making(key):  # a request that waited here finds the copy the first one made
        if (kept := _kept_copy(folder, key)) is not None:
            return kept
        made = playable_copy(path)
        PLAYABLE_COPIES.count_made()
        copy = folder / f"{key}{made.suffix}"
        _write_cached(project, copy, made.data)
    prune_cache(folder, keep=PLAYABLE_CACHE_FILES, max_bytes=PLAYABLE_CACHE_BYTES, in_use_s=IN_USE_S)
    return copy


def _kept_copy(folder: Path, key: str) -> Path | None:
    """The playable copy ``key`` in ``folder``, marked used now; None when there is none (yet)."""
    for kept in (folder / f"{key}{suffix}" for suffix in _PLAYABLE_SUFFIXES):
        if _touch(kept):
            return kept
    return None


def _touch(cached: Path) -> bool:
    """Mark a cached file used now, so that it is kept longest (and a playable copy is not pruned while
    it is being sent: :data:`IN_USE_S`); False when there is no such file (not made yet, or pruned just now)."""
    try:
        os.utime(cached)
    except FileNotFoundError:
        return False
    except OSError:  # there, but not ours to touch
        return cached.is_file()
    return True


def _write_cached(project: Project, target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` in a folder of the project's ``.cache``. No folder above ``.cache`` is
    ever made: a project deleted (moved away) meanwhile is not made again; the write finds its folder
    gone, and says so."""
    try:
        project.cache_dir.mkdir(exist_ok=True)
        target.parent.mkdir(exist_ok=True)
        with atomic_write(target, make_folders=False) as fh:
            fh.write(data)
    except (FileNotFoundError, OutputError) as exc:
        if isinstance(exc, OutputError) and not isinstance(exc.__cause__, FileNotFoundError):
            raise
        raise NotFoundError(f"project {project.name!r} was deleted meanwhile; reload the page") from exc


@router.head("/{sample_id:path}/spectrogram.png", include_in_schema=False)
@router.get("/{sample_id:path}/spectrogram.png", response_class=StudioFileResponse)
def sample_spectrogram(class_name: str, sample_id: str, project: ProjectDep, test: InTestSet,
                       start_s: Annotated[float, Query(ge=0, le=_DAY_S)] = 0.0,
                       end_s: Annotated[float | None, Query(gt=0, le=_DAY_S)] = None) -> StudioFileResponse:
    """A thumbnail (of ``start_s``–``end_s`` of the file, default all of it), drawn once per
    version of the file and kept in the project's ``.cache``."""
    path = project.sample_path(class_name, sample_id, test=test)
    stat = path.stat()
    key = hashlib.sha1(f"{path}|{stat.st_mtime_ns}|{stat.st_size}|{start_s}|{end_s}".encode()).hexdigest()
    thumb = project.cache_dir / "thumbs" / f"{key}.png"
    if not _touch(thumb):  # not drawn yet (or pruned just now)
        with collecting_warnings():  # a file cut short was named when it came in: the picture draws what there is
            audio = load_audio(path, sample_rate=_THUMB_RATE)
        part = audio.samples[int(start_s * _THUMB_RATE): None if end_s is None else int(end_s * _THUMB_RATE)]
        if part.shape[-1] < _THUMB_RATE // 20:
            raise ParameterError(f"{start_s}–{end_s} s is not inside {sample_id} ({audio.duration_s:.2f} s long)")
        _write_cached(project, thumb, spectrogram_thumbnail(part, sample_rate=audio.sample_rate))
        prune_cache(thumb.parent, keep=THUMB_CACHE_FILES)
    # the page asks with ?v=<version of the file>, so a long cache never shows a stale picture
    headers = {"Cache-Control": "max-age=86400", **version_headers(key, modified_s=stat.st_mtime)}
    return StudioFileResponse(thumb, media_type="image/png", headers=headers)


#: A playable copy used (made or played) this recently is never pruned: a request may have returned it
#: and not yet opened it (a FileResponse opens its file when it sends it).
IN_USE_S = 60.0


def prune_cache(folder: Path, *, keep: int, max_bytes: int | None = None, in_use_s: float = 0.0) -> None:
    """Delete all but the ``keep`` most recently used files in ``folder``, and, with ``max_bytes``, the
    least recently used past that many bytes in all. The newest file always stays (the one just made,
    about to be sent), and so does any used in the last ``in_use_s`` seconds (another request may be
    about to send it): a burst can go over the limits for that long. A file another request deletes
    meanwhile is no matter: it is a cache."""
    files: list[tuple[int, int, str]] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False):
                    stat = entry.stat(follow_symlinks=False)
                    files.append((stat.st_mtime_ns, stat.st_size, entry.path))
    if len(files) <= keep and (max_bytes is None or sum(size for _, size, _ in files) <= max_bytes):
        return
    files.sort(reverse=True)  # newest first
    total = 0
    for n, (_, size, path) in enumerate(files):
        total += size
        if n and (n >= keep or (max_bytes is not None and total > max_bytes)):
            with contextlib.suppress(OSError):
                if not in_use_s or time.time() - os.stat(path).st_mtime >= in_use_s:  # used since it was listed?
                    os.unlink(path)


#: ``?undo=true`` on a move: it is the Undo of one (see :func:`move_sample`).
UndoFlag = Annotated[bool, Query(description="the Undo of a move: its classes are followed through renames since")]
#: ``?since=N`` on a move's Undo: the ``log_position`` its move answered (the renames after it are followed).
SinceMark = Annotated[int | None, Query(description="the Undo of a move: the log_position the move answered")]


@router.post("/{sample_id:path}/move")
def move_sample(class_name: str, sample_id: str, body: SampleMove, project: ProjectDep, studio: StudioDep,
                test: InTestSet, undo: UndoFlag = False, since: SinceMark = None) -> dict[str, Any]:
    """Move a sample to another class, in its set; the answer's ``log_position`` is where the project's
    class log was before the move. With ``?undo=true`` it is the Undo of a move (the page's toast: the
    sample goes back to the class ``to`` it came from): both classes are followed through the class changes
    logged since ``?since=`` (that move's ``log_position``), in order, as a delete's Undo follows them (a class
    renamed onto a name, or made anew under it, is another class: after a swap of names the sample goes back
    to the class it came from, under its new name); without ``since`` (or when the log does not reach back
    to it), through the renames the project remembers. A class deleted since is named as such, with where it
    waits in the trash and what to do."""
    to = body.to
    with studio.jobs.changing(project.root.name):  # not while training reads the samples
        if undo:
            to, class_name = _undo_classes(project, sample_id, back_to=to, now_in=class_name, since=since)
        mark = project.log_position()  # before the move: a rename after it is followed by its Undo
        moved = project.move_sample(class_name, sample_id, to=to, test=test)
    return {**sample_urls(project, moved), "log_position": mark}


def _undo_classes(project: Project, sample_id: str, *, back_to: str, now_in: str,
                  since: int | None) -> tuple[str, str]:
    """The Undo of a move of ``sample_id`` from class ``back_to`` to class ``now_in`` (as named then): the two
    classes as they are called now, ``(back_to, now_in)``, followed through the class log from ``since``
    (:meth:`~earmark.project.Project.follow_class`); :class:`ConflictError` when one is not there now."""
    changes = project.changes_since(since)
    if changes is None:  # no log reaching back to the move: the renames the project remembers, in no order
        (to, there), (now, here) = project.class_now(back_to), project.class_now(now_in)
        if not (there and here):
            raise _cannot_move_back(project, sample_id, back_to=back_to, now_in=now,
                                    gone=(back_to, to) if not there else (now_in, now))
        return to, now
    came_from, went_to = project.follow_class(back_to, changes), project.follow_class(now_in, changes)
    for then, followed in ((back_to, came_from), (now_in, went_to)):
        if followed.there is None:
            raise _cannot_move_back(project, sample_id, back_to=back_to, now_in=went_to.there or went_to.name,
                                    gone=(then, followed.name), trash_id=followed.deleted_in)
    return str(came_from.there), str(went_to.there)


def _cannot_move_back(project: Project, sample_id: str, *, back_to: str, now_in: str,
                      gone: tuple[str, str], trash_id: str = "") -> ConflictError:
    """Why the Undo of a move of ``sample_id`` (from class ``back_to`` to class ``now_in``, as it is called now)
    cannot be done: class ``gone`` (one of the two: its name then and the last name it had) is not there now
    (deleted into the trash folder ``trash_id``, when known). Says where it waits, where the sample is, and
    what to do."""
    (then, last), sample = gone, quoted(sample_id)
    trashed = _in_trash(project, last, trash_id=trash_id)
    head = f"cannot move {sample} back to class {quoted(back_to)}"
    renamed = f", later renamed {quoted(last)}," if last != then else ""
    deleted = f"was deleted since (it waits in the project's {trashed})"
    restore = "restore it first (the Undo of its delete, or put that folder back in samples/), then Undo again"
    outside = "is not in the project now (deleted or renamed outside the studio since)"
    if trash_id and not trashed:  # a class made under its name since is another class: only a move by hand helps
        outside = f"was deleted since, and its folder is no longer in the project's {TRASH_DIR}"
    if then == back_to:
        if trash_id and not trashed:
            return ConflictError(f"{head}: that class{renamed} {outside}. {sample} stays in class {quoted(now_in)}: "
                                 "move it to another class by hand")
        again = restore if trashed else f"add a class {quoted(last)} again first, then Undo again"
        return ConflictError(f"{head}: that class{renamed} {deleted if trashed else outside}. {sample} stays in "
                             f"class {quoted(now_in)}: to undo the move, {again}; or move {sample} to another "
                             "class by hand")
    where = f"class {quoted(then)}{renamed or ','} where the move put it,"
    if trashed:
        return ConflictError(f"{head}: {where} {deleted}, with {sample} in it. To undo the move, {restore}")
    return ConflictError(f"{head}: {where} {outside}, and {sample} with it")


def _in_trash(project: Project, name: str, *, trash_id: str = "") -> str | None:
    """``.trash/<id>/<name>``: the delete ``trash_id`` (the one the class log names; ``None`` when it no longer
    holds a class folder ``name``), or without it, the newest delete in the project's trash that does."""
    trash = project.root / TRASH_DIR
    if trash_id:
        return f"{TRASH_DIR}/{trash_id}/{name}" if is_entry(trash, trash_id) and (trash / trash_id / name).is_dir() \
            else None
    with contextlib.suppress(OSError):
        entries = sorted((e.name for e in trash.iterdir() if (e / name).is_dir()), reverse=True)
        if entries:
            return f"{TRASH_DIR}/{entries[0]}/{name}"
    return None


@router.post("/{sample_id:path}/to-test")
def move_to_test(class_name: str, sample_id: str, project: ProjectDep, studio: StudioDep) -> dict[str, Any]:
    """Move a training sample to the test set, with every other clip of its recording."""
    with studio.jobs.changing(project.root.name):  # not while training reads the samples
        moved = project.move_to_test(class_name, sample_id)
    return {"moved": [sample_urls(project, s) for s in moved]}


@router.post("/{sample_id:path}/to-training")
def move_to_training(class_name: str, sample_id: str, project: ProjectDep, studio: StudioDep) -> dict[str, Any]:
    """Move a test sample back to the training samples, with every other clip of its recording."""
    with studio.jobs.changing(project.root.name):  # not while training reads the samples
        moved = project.move_to_training(class_name, sample_id)
    return {"moved": [sample_urls(project, s) for s in moved]}


@router.delete("/{sample_id:path}")
def delete_sample(class_name: str, sample_id: str, project: ProjectDep, studio: StudioDep,
                  test: InTestSet) -> dict[str, Any]:
    with studio.jobs.changing(project.root.name):  # not while training reads the samples
        trashed = project.delete_sample(class_name, sample_id, test=test)
    return {"deleted": sample_id, "class_name": class_name, "test": test, "undo": trashed.id}
