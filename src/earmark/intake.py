"""Intake: getting audio into a project's class — uploads (files, folders, zips) and recordings.

Every file is decoded before it is kept, so a file that is not audio, is empty, too short,
too long or holds NaN is reported by name and skipped while the rest land. Short files are
kept as they came (no re-encoding), except a phone's videos (MP4, MOV, 3GP, told by their bytes: a
``.mov`` sent as ``x.m4a`` is one), of which only the sound is kept, as WAV, and AIFF, CAF and Apple
Lossless files, which only Safari plays: they are kept as FLAC, WAV or M4A
(:func:`earmark.playable.playable_copy`) under their own name, bit for bit (a float64
AIFF that float32 cannot hold exactly is kept as it came). A file is kept under the suffix of what
its bytes are, not of its name (``x.mp3`` that holds WAV is kept as ``x.wav``, as it came, and the
result's ``warnings`` say so): the studio serves a file as its suffix says. Long
ones, and takes sent with ``clip_s``, are cut into clips saved as WAV (16-bit, or float past full
scale: :func:`earmark.audio.write_wav`) at their own sample rate and named ``RECORDING_nohash_NNN.wav``
so that every clip remembers its recording (see :mod:`earmark.dataset`); a clip that comes named so (an
exported project's ``riff_nohash_005.wav``) keeps its name, number and all, where no file of the class has
it yet, so that a project exported and imported again has the same sample ids. Names keep their
letters in any script, composed (NFC, as a name typed elsewhere; macOS writes them decomposed). Nothing
is ever overwritten: a taken name gets a ``-2`` suffix, and a name taken in another case or Unicode
form counts as taken (``Bass.wav`` beside ``bass.wav`` would be one file on macOS and Windows, and
in a copy of the project unpacked there). Every write is atomic.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np

from .atomic import atomic_copy, atomic_write
from .audio import AUDIO_EXTENSIONS, Audio, collecting_warnings, load_audio, probe, write_wav
from .containers import Held, audio_held, other_held
from .copies import KnownFiles
from .dataset import (
    CLIP_S,
    LONG_RECORDING_S,
    cut_recording,
    extract_zip,
    files_under,
    is_ignored_name,
    recording_of,
)
from .errors import AudioDecodeError, DatasetError, LimitError, ParameterError
from .naming import (
    NAMING,
    NOHASH,
    clean_stem,
    fit_stem,
    has_unsafe,
    name_key,
    names_in,
    place_file,
    safe_name,
    safe_stem,
    staged,
)
from .playable import browsers_play, playable_copy
from .project import Project, SampleInfo, is_project_folder
from .uploadlayout import FolderOfClassesError, refuse_classes

__all__ = ["DEFAULT_CLIP_S", "FolderOfClassesError", "IntakeLimits", "IntakeResult", "add_files", "too_long_message"]

#: Files longer than ``LONG_RECORDING_S`` are cut into clips of this length (as training cuts them).
DEFAULT_CLIP_S = CLIP_S
#: The most UTF-8 bytes of a clip's number (``005``, ``000-2``) kept as it came in its name.
_NUMBER_BYTES = 24
#: Containers of a phone's videos (Android MP4, iPhone QuickTime, old Android 3GP): of these only the
#: sound is kept, as WAV (the picture is not needed and would take most of the space, and not every
#: browser plays the container).
_SOUND_ONLY = frozenset({".mp4", ".mov", ".3gp"})


@dataclass(frozen=True)
class IntakeLimits:
    """How much one request may add."""

    max_files: int = 2000
    max_file_s: float = 30 * 60.0
    max_total_s: float = 4 * 3600.0
    #: what a zip may unpack to: a small zip of zeros must not fill the disk and memory
    max_unpacked_bytes: int = 1024**3


@dataclass
class IntakeResult:
    added: list[SampleInfo] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: ``(name, message)`` for files kept though something is wrong with them (one cut short, its
    #: :class:`~earmark.errors.AudioWarning`: the user may want to copy them again; one named for
    #: another format than it holds, which is kept under the right suffix; a zip whose names may read
    #: wrongly, its :class:`~earmark.errors.ZipNameWarning`)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"added": [s.to_dict() for s in self.added],
                "skipped": [{"name": n, "reason": r} for n, r in self.skipped],
                "warnings": [{"name": n, "message": m} for n, m in self.warnings]}


#: A file for :func:`add_files`: its path (``str`` or :class:`os.PathLike`), or ``(name, path)``.
FileArg: TypeAlias = "str | os.PathLike[str] | tuple[str, str | os.PathLike[str]]"
_SHAPES = ("a path (str or pathlib.Path; a folder adds the files in it) or a (name, path) tuple, "
           "e.g. add_files(project, 'bass', ['riff.wav']) or [('riff.wav', Path('/tmp/upload-1'))]")


def _as_project(project: object) -> Project:
    """``project``, or the project folder at its path, opened; :class:`ParameterError` for anything else."""
    if isinstance(project, Project):
        return project
    if not isinstance(project, (str, os.PathLike)):
        raise ParameterError(f"add_files takes the project as a Project or a project folder's path, "
                             f"got {type(project).__name__} {project!r:.60}")
    root = Path(project)
    if not is_project_folder(root):
        raise ParameterError(f"{os.fspath(project)!r} is not an earmark project folder; make one with "
                             f"earmark.Project.create({os.fspath(project)!r}), then add files to it")
    return Project.open(root)


def add_files(project: Project | str | os.PathLike[str], class_name: str,
              files: Iterable[FileArg] | str | os.PathLike[str], *,
              clip_s: float | None = None, recording: str | None = None,
              excerpt: tuple[float, float] | None = None,
              limits: IntakeLimits | None = None, test: bool = False, one_class: bool = True,
              tmp_dir: str | os.PathLike[str] | None = None) -> IntakeResult:
    """Add audio files to a class of ``project`` (a :class:`Project`, or a project folder's path, opened);
    zips are unpacked. Each of ``files`` is a path (``str`` or
    :class:`os.PathLike`, named by its own file name; a folder's files are added as if it had been
    dropped, named ``FOLDER/…``), or ``(name, path)``: the name as uploaded (which decides how the
    file is read and kept: ``take.wav``, ``takes.zip``, ``take1/a.wav``) and where its bytes are. One
    path alone may be given instead of a list. Anything else is a :class:`ParameterError`.
    With ``test`` they go to the class's test set (``test/<class>/``), which training never reads.

    A folder (or zip) of classes is refused before anything is written (:class:`DatasetError`): two
    or more subfolders with audio (of the folder dropped, or a project's ``samples/``), one of them
    named as the background class or as another class of the project (``bass/``, ``drums/``,
    ``background/``), or one named as ``class_name`` beside a word-named one (``bass/`` beside
    ``guitar/``), would all become ``class_name``. Other nesting (``take1/``, ``take2/``; anything in a
    folder named as ``class_name`` itself) is one class's own, and is added. ``one_class=False`` leaves
    that to the caller (an import that has placed each class's folder).

    ``clip_s`` cuts every file longer than it into clips of that length (default: files over
    12 s into 4 s clips). ``recording`` names the take the files belong to (the recorder's
    short samples): they are saved as ``RECORDING_nohash_NNN``. Without it, a file named
    ``NAME_nohash_N`` (a clip of an exported project, a Speech Commands file) joins take ``NAME``,
    so that the clips of one recording stay together on one side of every split, and keeps its name,
    ``N`` as it is (an exported project imported again has the same sample ids, which its models'
    validation clips name); only a name the class folder has already (in any case) gives it the take's
    next number.

    ``excerpt=(start_s, end_s)`` keeps only that stretch of each file (one segment of a long
    recording's timeline, say), saved as WAV (mono, 16-bit) at the file's own rate, and cut into
    clips as a whole file would be when it is long. A file that ends before ``start_s`` is skipped,
    saying so; one that ends before ``end_s`` is kept to its end. The stretches of one file, added one
    by one to one class or to several, are one take (``recording``, else named for the file), so
    that a split never puts one part of a recording in training and another in validation.

    A file kept though the decoder warns of it (a compressed file cut short: its
    :class:`~earmark.errors.AudioWarning`) is named in the result's ``warnings``, which hold those
    warnings instead of issuing them.

    Zips are unpacked into a private temporary folder made in ``tmp_dir`` (default: the system's
    temporary folder) and removed before this returns.
    """
    project = _as_project(project)
    if not isinstance(class_name, str):
        raise ParameterError(f"add_files: the class is one name (a str), got {type(class_name).__name__} "
                             f"{class_name!r:.60}; to add files to several classes, call add_files once per class")
    limits = limits or IntakeLimits()
    entries = _as_entries(files)
    project.set_dir(class_name, test=test)  # no such class: say so before decoding anything
    if clip_s is not None and not 0.25 <= clip_s <= 60:
        raise ParameterError(f"clip_s must be between 0.25 and 60 seconds, got {clip_s}")
    if excerpt is not None:
        excerpt = _checked_excerpt(excerpt)
    take = safe_name(recording, "take") if recording else None
    result = IntakeResult()
    numbers = _ClipNumbers()
    known = KnownFiles()  # a file the class holds already is named in the warnings (and added, as asked)
    said: set[str] = set()  # the takes said to be on both sides of the split
    with tempfile.TemporaryDirectory(prefix="earmark-intake-", dir=tmp_dir) as tmp:
        total_s = 0.0
        for name, path in _audio_entries(project, class_name, entries, Path(tmp), result, limits=limits,
                                         one_class=one_class):
            noted: list[tuple[str, str]] = []
            audio = _decode(name, path, limits=limits, noted=noted)
            if excerpt is not None and not isinstance(audio, str):
                audio = _stretch(audio, excerpt)
            if isinstance(audio, str):
                result.skipped.append((name, audio))
                continue
            total_s += audio.duration_s
            if total_s > limits.max_total_s:
                result.skipped.append((name, f"the upload holds more than {limits.max_total_s / 3600:.0f} h of "
                                             "audio; upload the rest in another batch"))
                continue
            into = _Target(project, class_name, test=test)
            folder = into.folder()
            if excerpt is None and (same := known.same_as(folder, path)) is not None:
                where = f"the test set of class {class_name!r}" if test else f"class {class_name!r}"
                noted.append((name, f"is the same file as {same.relative_to(folder).as_posix()}, already in {where}: "
                                    "added again, it counts twice; delete one if that was not meant"))
            # the stretches of one file are one take
            own = _take_in_name(name) or (safe_stem(name) if excerpt is not None else None)
            # a clip named as one (an exported project's) keeps its number, unless given a take or cut from a file
            number = _number_in_name(name) if take is None and excerpt is None else None
            kept = _keep(into, name, path, audio, clip_s=clip_s, numbers=numbers, whole=excerpt is None,
                         take=take if take is not None else own, number=number, noted=noted)
            for info in kept:
                known.added(folder / info.id, folder=folder)
            noted += [(name, note) for note in _on_both_sides(project, kept, test=test, said=said)]
            result.added.extend(kept)
            result.warnings += noted
    return result


def _on_both_sides(project: Project, kept: list[SampleInfo], *, test: bool, said: set[str]) -> list[str]:
    """What to say of the takes of ``kept`` (clips named ``TAKE_nohash_N``) that the other side holds clips
    of already (the test set, for clips added to training; training, for clips added to the test set):
    another part of a tried file added to a class after its first part was moved to the test set. The
    test score of a take on both sides overstates how the model does on new recordings. Once per take
    (``said``)."""
    takes = {take for info in kept if (take := recording_of(info.id.rsplit("/", 1)[-1])) != info.id.rsplit("/", 1)[-1]}
    notes = []
    for take in sorted(takes - said):
        prefix = name_key(take + NOHASH)
        there = [c for c in project.class_names() if any(key.startswith(prefix)
                                                         for key in names_in(project.set_dir(c, test=not test)))]
        if there:
            said.add(take)
            side, classes = "training samples" if test else "test set", ", ".join(map(repr, there))
            notes.append(f"its recording {take!r} has clips in the {side} already (class {classes}): "
                         "a recording with clips in both makes the test score overstate how the model does on new "
                         "recordings; keep each recording's clips on one side")
    return notes


def _as_entries(files: object) -> list[tuple[str, Path]]:
    """``files`` as :func:`add_files` takes them, as ``(name, path)``; :class:`ParameterError` naming the
    first item of another shape (a bare ``str`` is one path, not its characters)."""
    if isinstance(files, (str, os.PathLike)):
        files = [files]
    if not isinstance(files, Iterable) or isinstance(files, (bytes, dict)):
        raise ParameterError(f"files must be a list of files, got {type(files).__name__} {files!r:.80}; "
                             f"each one {_SHAPES}")
    entries: list[tuple[str, Path]] = []
    for n, item in enumerate(files):
        if isinstance(item, (str, os.PathLike)) and os.fspath(item):
            entries += _path_entries(Path(item))
        elif (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) and item[0]
              and isinstance(item[1], (str, os.PathLike)) and os.fspath(item[1])):
            entries.append((item[0], Path(item[1])))
        else:
            raise ParameterError(f"files[{n}] is {item!r:.80}, which is not a file; each file is {_SHAPES}")
    return entries


def _path_entries(path: Path) -> list[tuple[str, Path]]:
    """A path given alone as ``(its name, path)``; a folder's files as ``(FOLDER/…, path)``, as a folder
    dropped in the studio arrives (what is not audio is reported as it would be)."""
    if not path.is_dir():
        return [(path.name or str(path), path)]
    top = path.resolve().name or "folder"
    return [(f"{top}/{f.relative_to(path).as_posix()}", f) for f in files_under(path, skip=is_ignored_name)]


def _audio_entries(project: Project, class_name: str, files: Iterable[tuple[str, Path]], tmp: Path,
                   result: IntakeResult, *, limits: IntakeLimits, one_class: bool) -> list[tuple[str, Path]]:
    """The audio files of an upload (``(name, path)``), zips unpacked into ``tmp`` and the rest reported
    in ``result``; :class:`DatasetError` for a folder of classes (with ``one_class``), :class:`LimitError`
    for too many files."""
    grouped = list(_expand(files, tmp, result, max_unpacked_bytes=limits.max_unpacked_bytes))
    if one_class:
        refuse_classes(project, class_name=class_name, entries=grouped)
    if len(grouped) > limits.max_files:
        raise LimitError(f"{len(grouped)} files in one upload is more than the limit of {limits.max_files}; "
                         "upload them in smaller batches")
    return [(name, path) for _, name, path in grouped]


def _decode(name: str, path: Path, *, limits: IntakeLimits, noted: list[tuple[str, str]]) -> Audio | str:
    """The upload ``name`` (at ``path``) decoded, or why it is skipped (too long, not audio); what
    the decoder warns of (a file cut short) is added to ``noted`` as ``(name, message)``."""
    stated_s, _ = probe(path)  # from the header: refuse hours of audio before decoding them
    if stated_s > limits.max_file_s:
        return too_long_message(stated_s, limits)
    try:
        audio, said = _load_noting(path, max_s=limits.max_file_s)
    except LimitError:  # no length stated (a browser's WebM recording): decoding stopped at the limit
        return (f"longer than the limit of {limits.max_file_s / 60:.1f} min (decoding stopped there); "
                "cut it into shorter files")
    except AudioDecodeError as exc:  # the reason, without the file's name (it has its own field)
        return str(exc).replace(str(path), name).removeprefix(f"{name}: ")
    noted.extend((name, message.replace(str(path), name).removeprefix(f"{name}: ")) for message in said)
    if audio.duration_s > limits.max_file_s:
        return too_long_message(audio.duration_s, limits)
    return audio


def _load_noting(path: Path, *, max_s: float) -> tuple[Audio, list[str]]:
    """``path`` decoded, and the :class:`~earmark.errors.AudioWarning` messages about it (each one,
    not only the first of its kind), collected for this thread alone: uploads decoded side by side
    in the studio's threads each get their own, and nothing else's warnings are touched."""
    with collecting_warnings() as said:
        audio = load_audio(path, max_duration_s=max_s)
    return audio, said


#: The shortest stretch :func:`add_files` keeps of a file: shorter clips of a long recording are left out too.
MIN_EXCERPT_S = 0.1


def _checked_excerpt(excerpt: object) -> tuple[float, float]:
    """``excerpt`` as ``(start_s, end_s)``; :class:`ParameterError` for anything else or a stretch that is empty,
    negative or shorter than :data:`MIN_EXCERPT_S`."""
    try:
        start_s, end_s = (float(t) for t in excerpt)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ParameterError(f"excerpt must be (start_s, end_s), two numbers of seconds, got {excerpt!r:.60}") from None
    if not (math.isfinite(start_s) and math.isfinite(end_s) and 0 <= start_s and end_s - start_s >= MIN_EXCERPT_S):
        raise ParameterError(f"excerpt must run forward from 0 s or later, at least {MIN_EXCERPT_S} s long, "
                             f"got {start_s} to {end_s} s")
    return start_s, end_s


def _stretch(audio: Audio, excerpt: tuple[float, float]) -> Audio | str:
    """The stretch ``excerpt`` of ``audio`` (to its end, if it ends sooner), or why there is none."""
    start_s, end_s = excerpt
    if audio.duration_s - start_s < MIN_EXCERPT_S:
        return (f"is {audio.duration_s:.2f} s long, so the stretch from {start_s:.2f} s holds no sound of it; "
                "give a start within the file")
    first, last = round(start_s * audio.sample_rate), round(end_s * audio.sample_rate)
    return Audio(audio.samples[..., first:last], audio.sample_rate, audio.source)


def _take_in_name(name: str) -> str | None:
    """The recording a file's name says it is a clip of (``riff_nohash_003.wav`` → ``riff``), or ``None``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    recording = recording_of(base)
    if recording == base:
        return None
    return fit_stem(clean_stem(recording)) or None


def _number_in_name(name: str) -> str | None:
    """What follows ``_nohash_`` in a clip's name (``riff_nohash_005.wav`` → ``005``; ``000-2`` for a clip
    renamed where its name was taken), kept as the clip's number where it is a safe, short part of a
    file name; else ``None`` (the clip is numbered anew)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    recording, marker, number = stem.partition(NOHASH)
    number = unicodedata.normalize("NFC", number)
    if not (recording and marker and number) or NOHASH in number or clean_stem(number) != number:
        return None
    return number if len(number.encode()) <= _NUMBER_BYTES and not has_unsafe(number) else None


def too_long_message(seconds: float, limits: IntakeLimits) -> str:
    """Why a recording of ``seconds`` is refused under ``limits``."""
    return (f"{seconds / 60:.1f} min long, more than the limit of {limits.max_file_s / 60:.1f} min; "
            "cut it into shorter files")



def _expand(files: Iterable[tuple[str, Path]], tmp: Path, result: IntakeResult, *,
            max_unpacked_bytes: int) -> Iterable[tuple[str, str, Path]]:
    """Audio files among ``files`` (``(zip it came from or "", name, path)``), with zips unpacked
    (safely) into ``tmp``; the rest reported, but for hidden and system files (``.DS_Store``, a Mac's
    ``._take.wav`` companions, ``Thumbs.db``), which a folder picked holds as a zip does: left out."""
    for n, (name, path) in enumerate(files):
        suffix = Path(name).suffix.lower()
        if any(is_ignored_name(part) for part in name.replace("\\", "/").split("/")):
            continue
        if suffix == ".zip" or ((suffix in AUDIO_EXTENSIONS or not suffix) and _holds_zip(path)):
            target = tmp / f"zip{n}"
            target.mkdir()
            try:
                with collecting_warnings() as said:  # names in a code page that cannot be told
                    root = extract_zip(path, target, max_bytes=max_unpacked_bytes)
            except DatasetError as exc:
                result.skipped.append((name, str(exc).replace(str(path), name).removeprefix(f"{name}: ")))
                continue
            result.warnings += [(name, message.replace(str(path), name).removeprefix(f"{name}: ")) for message in said]
            if suffix != ".zip":  # a zip sent as take.wav: what it holds is what was meant
                result.warnings.append((name, f"is a zip archive, though named {suffix or 'with no ending'}; "
                                              "unpacked, and its recordings added as a zip's are"))
            inside = files_under(root, skip=is_ignored_name)
            if not inside:
                result.skipped.append((name, "holds no files to add (hidden and system files, such as .DS_Store and "
                                             "__MACOSX/, are left out); zip the folder of recordings again"))
            for inner in inside:
                rel = inner.relative_to(root).as_posix()
                if inner.suffix.lower() in AUDIO_EXTENSIONS:
                    yield name, f"{name}/{rel}", inner
                else:
                    result.skipped.append((f"{name}/{rel}", f"not an audio file ({inner.suffix or 'no extension'})"))
        elif suffix in AUDIO_EXTENSIONS or not suffix:
            yield "", name, path  # no extension: let the decoder decide
        else:
            result.skipped.append((name, f"not an audio file ({suffix}); earmark reads "
                                         f"{', '.join(sorted(e.lstrip('.') for e in AUDIO_EXTENSIONS))} and .zip"))


class _ClipNumbers:
    """The number the next clip of each take gets in a folder (one more than its highest there), for
    one upload: read once from the folder's names, then counted on as clips are written (a batch of
    thousands of clips does not read the folder for each)."""

    def __init__(self) -> None:
        self._next: dict[tuple[Path, str], int] = {}

    def next(self, folder: Path, take: str) -> int:
        key = (folder, name_key(take))
        if key not in self._next:
            pattern = re.compile(re.escape(name_key(take + NOHASH)) + r"(\d+)")
            with NAMING:
                found = [int(m.group(1)) for name in names_in(folder) if (m := pattern.match(name))]
            self._next[key] = max(found, default=-1) + 1
        return self._next[key]

    def wrote(self, folder: Path, take: str, index: int) -> None:
        # the folder read first: a clip kept under its own number may be the take's first, below others there
        self._next[(folder, name_key(take))] = max(self.next(folder, take), index + 1)


class _Target:
    """The class folder an upload goes to, asked again each time a file is placed in it: a class renamed
    or deleted meanwhile is not made again (:class:`~earmark.errors.NotFoundError`)."""

    def __init__(self, project: Project, class_name: str, *, test: bool) -> None:
        self.project, self.class_name, self.test = project, class_name, test

    def folder(self) -> Path:
        folder = self.project.set_dir(self.class_name, test=self.test)
        if self.test:
            folder.mkdir(parents=True, exist_ok=True)
        return folder

    def place(self, hidden: Path, name: str) -> SampleInfo:
        """Move the written file ``hidden`` (:func:`earmark.naming.staged`) to a free name for ``name`` in the
        class folder (holding :data:`NAMING` for that alone, not for the write before it)."""
        with NAMING:
            folder = self.folder()
            target = place_file(hidden, folder / name)
        return self.project.info_of(folder, target, test=self.test)


def _keep(into: _Target, name: str, path: Path, audio: Audio, *, clip_s: float | None,
          take: str | None, numbers: _ClipNumbers, noted: list[tuple[str, str]],
          whole: bool = True, number: str | None = None) -> list[SampleInfo]:
    """Save one decoded upload into its class: as it came, or cut into clips; ``audio`` that is not the
    ``whole`` file (an excerpt) is saved as WAV, never as the file came. Each file is written (encoded,
    converted, copied) under a hidden name first, and only then, under :data:`NAMING`, given a name free in any
    case (:func:`earmark.naming.place_file`). A file whose name ends in another format's suffix than its bytes
    are (``x.mp3`` that holds WAV) is kept under the suffix of what it is, and that is added to ``noted``.
    A clip of ``take`` kept whole keeps its ``number`` (as its name gave it) where that name is free in the class
    folder; else, and without one, it gets the take's next number."""
    folder = into.folder()
    cut_at = clip_s if clip_s is not None else (DEFAULT_CLIP_S if audio.duration_s > LONG_RECORDING_S else None)
    if cut_at is not None and audio.duration_s > cut_at * 1.5:
        return _keep_clips(into, folder, audio, take=take, stem=safe_stem(name), clip_s=cut_at,
                           first=numbers.next(folder, take) if take is not None else 0, numbers=numbers)
    named = Path(name).suffix.lower()
    held: Held | None = None
    video, lossless, suffix = False, None, ""  # an excerpt: its samples, as WAV
    if whole:
        held, video, lossless, suffix = _kept_form(path, named)
    as_wav = lossless is None and (not suffix or video)  # unknown container, or a video
    if as_wav:
        suffix = ".wav"
    with staged(folder.parent) as hidden:  # beside the class folder (see naming.staged)
        if lossless is not None:
            with atomic_write(hidden) as out:
                out.write(lossless)
        elif as_wav:
            write_wav(hidden, audio)
        else:
            atomic_copy(path, target=hidden)
        with NAMING:  # the number chosen and the file placed in one hold: no other upload takes it meanwhile
            index, stem = 0, safe_stem(name)
            if take is not None:
                index, stem = _clip_number(into.folder(), take, number, suffix=suffix, numbers=numbers)
            info = into.place(hidden, f"{stem}{suffix}")
    if take is not None:
        numbers.wrote(folder, take, index)
    if held is not None and (note := _misnamed(held, named=named, video=video, saved=Path(info.id).name)):
        noted.append((name, note))
    return [info]


def _clip_number(folder: Path, take: str, number: str | None, *, suffix: str,
                 numbers: _ClipNumbers) -> tuple[int, str]:
    """The number (as a count) and stem a clip of ``take`` is saved under in ``folder``: ``number`` as its name
    gave it, where ``TAKE_nohash_NUMBER`` with ``suffix`` is free in any case; else the take's next number.
    Hold :data:`NAMING`."""
    if number is not None and name_key(f"{take}{NOHASH}{number}{suffix}") not in names_in(folder):
        digits = re.match(r"\d+", number)
        return (int(digits.group()) if digits else -1), f"{take}{NOHASH}{number}"
    index = numbers.next(folder, take)
    return index, f"{take}{NOHASH}{index:03d}"


def _kept_form(path: Path, named: str) -> tuple[Held | None, bool, bytes | None, str]:
    """How the upload at ``path``, named with the suffix ``named``, is kept as it came: the container its bytes
    are, whether it is a video (its sound is then saved as WAV), its lossless copy in a format every browser
    plays (or ``None``), and the suffix to keep it under (``""`` when unknown: saved as WAV)."""
    suffix = named
    held = _held(path) if suffix else None
    if held is not None and suffix not in held.suffixes:  # served and played by its suffix: it must say what it is
        suffix = held.suffix
    # a video by what its bytes are: a phone's .mov sent as x.m4a (one MPEG-4 family) is one too; a plain
    # MPEG-4 only with a picture (an Android recorder's x.m4a is one without: every browser plays it)
    video = suffix in _SOUND_ONLY if held is None else held.suffix in _SOUND_ONLY and (
        held.suffix != ".mp4" or _has_picture(path))
    lossless: bytes | None = None
    if suffix and not browsers_play(path, name=f"x{suffix}"):  # AIFF, Apple Lossless: only Safari plays them
        copy = playable_copy(path)
        if copy.exact:  # else (finer than float32) kept as it came: the studio plays a copy of it
            lossless, suffix = copy.data, copy.suffix
    return held, video, lossless, suffix


def _misnamed(held: Held, *, named: str, video: bool, saved: str) -> str | None:
    """What to tell of an upload named ``x{named}`` whose bytes are ``held``, kept as ``saved``; ``None``
    when its name is right (a video named as a video, whose sound is saved as WAV, goes without a word)."""
    if video:
        if named in _SOUND_ONLY:
            return None
        article = "an" if held.kind[:1] in "AEIMO" else "a"  # an MPEG-4, a QuickTime, a 3GP
        return f"is {article} {held.kind} video, though named {named}; its sound was saved as {saved}"
    if named in held.suffixes:
        return None
    kept = Path(saved).suffix.lower()
    if kept in held.suffixes:  # as it came
        return f"holds {held.kind} audio, though named {named}; saved as {saved}"
    # converted: AIFF, CAF and Apple Lossless only Safari plays
    return (f"holds {held.kind} audio, though named {named}; converted without loss to "
            f"{kept.lstrip('.').upper()}, which every browser plays, and saved as {saved}")


def _holds_zip(path: Path) -> bool:
    """Whether the file at ``path`` is a zip archive, by its first bytes, whatever its name says."""
    try:
        with path.open("rb") as stream:
            return other_held(stream) == "zip"
    except OSError:
        return False  # the decoder says what is wrong with it


def _held(path: Path) -> Held | None:
    """The audio container the file at ``path`` is, by its first bytes (:func:`earmark.containers.audio_held`)."""
    try:
        with path.open("rb") as stream:
            return audio_held(stream)
    except OSError:
        return None  # it decoded a moment ago: kept by its name, as before


def _has_picture(path: Path) -> bool:
    """Whether the file at ``path`` (that decoded as audio a moment ago) holds a video stream too."""
    import av

    try:
        with av.open(str(path)) as container:
            return bool(container.streams.video)
    except (OSError, ValueError, av.error.FFmpegError):
        return False  # it decoded a moment ago: kept as an audio file


def _new_recording(project: Project, recording: str) -> str:
    """``recording``, or ``recording-2``…: a take name no class's training samples or test set use in
    any case (a take is one recording in every class: the split keeps it on one side, and
    Project.test_leaks looks for takes on both; another upload's name must not join it)."""
    folders = [project.set_dir(c, test=t) for c in project.class_names() for t in (False, True)]
    with NAMING:
        while True:
            prefix = name_key(recording + NOHASH)
            if not any(key.startswith(prefix) for folder in folders for key in names_in(folder)):
                return recording
            recording = _bump(recording)


def _keep_clips(into: _Target, folder: Path, audio: Audio, *, take: str | None, stem: str, clip_s: float,
                first: int, numbers: _ClipNumbers) -> list[SampleInfo]:
    """Cut ``audio`` into clips of ``clip_s`` saved as WAV, ``RECORDING_nohash_NNN.wav`` from ``first`` on
    (silent and very short ones left out). ``RECORDING`` is ``take``, or without one a new take named for
    ``stem`` (:func:`_new_recording`), chosen as the first clip is placed, in one hold of :data:`NAMING`:
    an upload of the same name meanwhile does not join it."""
    pieces = cut_recording(audio.samples, sample_rate=audio.sample_rate, clip_s=clip_s, clip_hop_s=clip_s)
    saved = []
    recording = take
    for k, (_, clip) in enumerate(pieces):
        if clip.shape[-1] < 0.1 * audio.sample_rate or not np.any(clip):
            continue
        with staged(folder.parent) as hidden:
            write_wav(hidden, Audio(clip, audio.sample_rate))
            with NAMING:
                recording = recording or _new_recording(into.project, stem)
                saved.append(into.place(hidden, f"{recording}{NOHASH}{first + k:03d}.wav"))
        numbers.wrote(folder, recording, first + k)
    return saved


def _bump(stem: str) -> str:
    m = re.match(r"^(.*)-(\d+)$", stem)
    return f"{m.group(1)}-{int(m.group(2)) + 1}" if m else f"{stem}-2"
