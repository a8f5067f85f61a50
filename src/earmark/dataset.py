"""Datasets: a folder with one subfolder per class (or a zip of one), cut into clips.

Layout::

    my_sounds/
        background/        ← the background-noise class (also "Background Noise", "_background_noise_")
        bass/  take1.wav  take2.flac  session2/riff.mp3
        drums/ ...

Every audio file under a class folder (nested folders included) belongs to that class; what the
folders may be called, and the refusal of a set laid out otherwise, are :mod:`earmark.layout`'s.
Files longer than ``long_recording_s`` are cut into clips of ``clip_s`` every
``clip_hop_s``; every clip remembers the recording (``source``) it came from, so that
validation can be split **by recording, never by window**.

Clips already cut from one recording can share it by name, as in Google's Speech Commands
set: files named ``NAME_nohash_ANYTHING.ext`` in one folder are one recording ``NAME``, in
the order of their names (earmark studio saves recorded and cut takes this way). Files of
``NAME`` in the same place under other class folders are clips of that recording too (part of a
take moved to another class; one speaker in Speech Commands): the split keeps them on one side.
So does a class's copies of one sound (a file added twice): they are one recording.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .archive import extract_zip, is_ignored_name, member_parts, zip_root
from .audio import MIN_HOP_S, load_audio
from .errors import AudioDecodeError, DatasetError, ParameterError
from .folders import audio_files, check_class_names, check_folder, files_under, is_audio
from .layout import BACKGROUND_LABEL, check_background, check_layout, is_background_name, label_of
from .naming import NOHASH

__all__ = [
    "BACKGROUND_LABEL",
    "CLIP_S",
    "LONG_RECORDING_S",
    "MIN_CLIPS_PER_CLASS",
    "NOHASH",
    "Clip",
    "LoadCancelled",
    "Dataset",
    "Skipped",
    "audio_files",
    "extract_zip",
    "fingerprint",
    "is_background_name",
    "is_ignored_name",
    "label_of",
    "load_dataset",
    "member_parts",
    "recording_of",
    "scan_folder",
    "take_key",
    "zip_root",
]

#: Recordings longer than this are cut into clips of ``CLIP_S`` (training, evaluation, the studio).
LONG_RECORDING_S = 12.0
CLIP_S = 4.0
#: Fewer clips than this in a class cannot be learnt from (or validated) honestly.
MIN_CLIPS_PER_CLASS = 5


class LoadCancelled(Exception):  # noqa: N818 - a request, not an error
    """What :func:`load_dataset` raises when its ``should_stop`` returns True: it stopped before the
    next file, reading nothing more and returning nothing."""


@dataclass(frozen=True)
class Skipped:
    """A file that was not used, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Clip:
    """One labelled piece of audio at the dataset's sample rate.

    ``source`` names the recording it was cut from; ``start_s`` is its offset in it.
    ``file`` is the file it was read from (when that is not ``source`` itself: clips saved
    as ``NAME_nohash_N`` files) and ``file_start_s`` its offset in that file.
    """

    samples: np.ndarray
    label: str
    source: str
    start_s: float = 0.0
    file: str = ""
    file_start_s: float | None = None

    @property
    def silent(self) -> bool:
        """True when the clip holds no sound: its peak is below -60 dBFS (digital silence, a muted
        microphone, an unplugged cable), or it has no samples."""
        return is_silent(self.samples)

    @functools.cached_property
    def fingerprint(self) -> str | None:
        """See :func:`fingerprint` (worked out once per clip)."""
        return fingerprint(self.samples)

    @property
    def name(self) -> str:
        """The file and offset a person can find this clip at (``take.wav@4.00s``)."""
        if not self.file:
            return self.source if self.start_s == 0 else f"{self.source}@{self.start_s:.2f}s"
        offset = self.file_start_s or 0.0
        return self.file if offset == 0 else f"{self.file}@{offset:.2f}s"


#: Quieter clips (peak below this, -60 dBFS) hold no sound: they have no fingerprint (every file of
#: silence is alike), and a class of them is refused.
_SILENT_PEAK = 1e-3
#: How many files a message about silent clips names.
_SILENT_NAMED = 3


def is_silent(samples: np.ndarray) -> bool:
    """True for audio with no sound in it: no samples, or a peak below -60 dBFS."""
    return samples.size == 0 or float(np.max(np.abs(samples))) < _SILENT_PEAK


def fingerprint(samples: np.ndarray) -> str | None:
    """A short hash of a clip's sound, as 16-bit samples: the same audio gives the same
    fingerprint whatever lossless file it came from (a WAV, its copy, a FLAC of it), at the
    same rate and cut. A model file keeps its training clips' fingerprints, so an evaluation
    can say which test clips the model learnt from. ``None`` for a near-silent clip."""
    if is_silent(samples):
        return None
    # As WAV holds it. In single precision for float32 clips: scaling by 2**15 and rounding are exact
    # there, so the result is the same as in double, in less time.
    scaled = (samples if samples.dtype == np.float32 else np.asarray(samples, np.float64)) * 32768
    pcm = np.clip(np.round(scaled), -32768, 32767).astype("<i2")
    return hashlib.blake2b(pcm.tobytes(), digest_size=8).hexdigest()


@dataclass
class Dataset:
    """Labelled clips at one sample rate, plus what was skipped while reading them."""

    clips: list[Clip]
    sample_rate: int
    root: str = ""
    skipped: list[Skipped] = field(default_factory=list)
    #: The label of every class folder found, including folders with no usable audio.
    folders: list[str] = field(default_factory=list)
    #: When :func:`load_dataset` began reading it (ISO 8601, UTC, to the second, as a model file's
    #: ``created``): a model trained on it is stamped then, so a class renamed since is followed.
    #: ``None`` for a dataset made by hand: training stamps its own start.
    read_at: str | None = None

    @property
    def labels(self) -> list[str]:
        """Class labels: background first (when present), the rest sorted."""
        found = {c.label for c in self.clips}
        rest = sorted(found - {BACKGROUND_LABEL})
        return ([BACKGROUND_LABEL] if BACKGROUND_LABEL in found else []) + rest

    def counts(self) -> dict[str, int]:
        counts = Counter(c.label for c in self.clips)
        return {label: counts[label] for label in self.labels}

    def seconds(self) -> dict[str, float]:
        total: dict[str, float] = defaultdict(float)
        for c in self.clips:
            total[c.label] += c.samples.shape[-1] / self.sample_rate
        return {label: round(total[label], 2) for label in self.labels}

    def same_audio_in_classes(self) -> list[list[str]]:
        """Clips that are the same sound (:func:`fingerprint`) under more than one class: a file copied
        into two class folders, a class folder linked into another. Each group lists the clips'
        names (``class/file``); they teach the model two answers for one sound."""
        by_sound: dict[str, list[Clip]] = defaultdict(list)
        for clip in self.clips:
            if (fp := clip.fingerprint) is not None:
                by_sound[fp].append(clip)
        return [[c.name for c in group] for group in by_sound.values() if len({c.label for c in group}) > 1]

    def same_audio_in_one_class(self) -> list[list[str]]:
        """Clips of one class that are the same sound (:func:`fingerprint`) from different recordings:
        a file uploaded twice (``bass1.wav``, ``bass1-2.wav``), a duplicate file in a class folder.
        Each group lists the clips' names; :func:`earmark.split.split_by_source` keeps them on one side, but the
        sound counts once for every copy in training."""
        by_sound: dict[tuple[str, str], list[Clip]] = defaultdict(list)
        for clip in self.clips:
            if (fp := clip.fingerprint) is not None:
                by_sound[(clip.label, fp)].append(clip)
        return [[c.name for c in group] for group in by_sound.values() if len({take_key(c) for c in group}) > 1]

    def silent_clips(self) -> dict[str, list[Clip]]:
        """Each class's clips that hold no sound (:attr:`Clip.silent`), for the classes that have any."""
        found: dict[str, list[Clip]] = defaultdict(list)
        for c in self.clips:
            if c.silent:
                found[c.label].append(c)
        return {label: found[label] for label in self.labels if found[label]}

    def check_trainable(self, *, require_background: bool = True) -> None:
        """Raise :class:`DatasetError` saying what to add when this set cannot be trained on."""
        counts = self.counts()
        where = f" in {self.root}" if self.root else ""
        empty = sorted(set(self.folders) - set(counts))
        if empty:
            names = ", ".join(repr(label) for label in empty)
            which = f"class {names} has" if len(empty) == 1 else f"classes {names} have"
            raise DatasetError(
                f"{which} no usable audio{where}: the folder is empty or none of its files could be read; "
                f"add at least {MIN_CLIPS_PER_CLASS} recordings, or remove the folder"
            )
        self._check_sound(where)
        if len(counts) < 2:
            have = f"only the class {next(iter(counts))!r}" if counts else "no classes"
            raise DatasetError(f"found {have}{where}; add at least two class folders with audio")
        if require_background:
            check_background(counts, where=where)
        for label, n in counts.items():
            if n < MIN_CLIPS_PER_CLASS:
                raise DatasetError(
                    f"class {label!r} has {n} clip{'s' if n != 1 else ''}; "
                    f"add at least {MIN_CLIPS_PER_CLASS} (or one longer recording)"
                )
        self._check_not_copies(counts)

    def _check_sound(self, where: str) -> None:
        """Refuse a class (other than background) whose every clip is silent: recorded with the
        microphone muted or unplugged, or the level at zero. It would teach the model that silence is it."""
        counts = self.counts()
        for label, quiet in self.silent_clips().items():
            if label == BACKGROUND_LABEL or len(quiet) < counts[label]:
                continue
            n = len({_file_of(c) for c in quiet})
            which = "its file is" if n == 1 else f"all {n} of its files are"
            raise DatasetError(f"class {label!r} holds no sound{where}: {which} silent ({_files_named(quiet)}); "
                               "check that the microphone was on and connected and its recording level up, then "
                               "record them again (or remove the folder)")

    def _check_not_copies(self, counts: dict[str, int]) -> None:
        """Refuse a class whose clips reach the minimum only with copies of one sound (a file added
        several times): the copies teach nothing new, and validation cannot hold one out honestly.

        A copy is the same sound in another recording (:func:`take_key`): clips of one recording that
        are alike (a steady tone, a metronome, a loop cut into clips) are different moments of it."""
        repeats: dict[tuple[str, object], Counter[str]] = defaultdict(Counter)
        for k, clip in enumerate(self.clips):
            # a near-silent clip has no fingerprint: it is its own sound
            repeats[(clip.label, clip.fingerprint or k)][take_key(clip)] += 1
        sounds: Counter[str] = Counter()
        for (label, _), in_takes in repeats.items():
            sounds[label] += max(in_takes.values())  # copies in other recordings add nothing
        for label, n in counts.items():
            if (distinct := sounds[label]) >= MIN_CLIPS_PER_CLASS:
                continue
            what = f"is one sound copied {n} times" if distinct == 1 else \
                f"has {n} clips but only {distinct} different sounds (the rest are copies of them)"
            raise DatasetError(f"class {label!r} {what}; add at least {MIN_CLIPS_PER_CLASS} different recordings "
                               "(or one longer recording): copies of a file teach the model nothing new")


def _file_of(clip: Clip) -> str:
    """The file ``clip`` was read from, as a person finds it."""
    return clip.file or clip.source


def _files_named(clips: list[Clip]) -> str:
    """The files ``clips`` come from, a few of them named (``bass/a.wav, bass/b.wav and 4 more``)."""
    files = list(dict.fromkeys(_file_of(c) for c in clips))
    shown = ", ".join(files[:_SILENT_NAMED])
    return shown if len(files) <= _SILENT_NAMED else f"{shown} and {len(files) - _SILENT_NAMED} more"


def scan_folder(root: Path) -> tuple[list[tuple[Path, str]], list[Skipped]]:
    """List ``(audio_path, label)`` pairs under a folder-per-class ``root``, and what was skipped."""
    check_folder(root)
    missed: list[tuple[Path, str]] = []
    visible = files_under(root, skip=is_ignored_name, missed=missed)
    found: list[tuple[Path, str]] = []
    for path in visible:
        folder, *rest = path.relative_to(root).parts
        if rest and is_audio(path):
            found.append((path, label_of(folder)))
    listed = {path for path, _ in found}
    skipped = [Skipped(str(path.relative_to(root)), why) for path, why in missed]
    for path in visible:
        if path in listed:
            continue
        rel = path.relative_to(root)
        if len(rel.parts) < 2:
            skipped.append(Skipped(str(rel), "not inside a class folder"))
        else:
            skipped.append(Skipped(str(rel), f"not an audio file ({path.suffix or 'no extension'})"))
    return found, skipped


def recording_of(path: str) -> str:
    """The recording a file belongs to: ``bass/take1_nohash_003.wav`` → ``bass/take1``; else the path itself."""
    folder, _, name = path.rpartition("/")
    stem, marker, _ = name.partition(NOHASH)
    if not marker or not stem:
        return path
    return f"{folder}/{stem}" if folder else stem


def cut_recording(
    samples: np.ndarray, *, sample_rate: int, clip_s: float, clip_hop_s: float
) -> list[tuple[float, np.ndarray]]:
    """Cut a long recording into ``(start_s, clip)`` pieces of ``clip_s`` every ``clip_hop_s``.

    When at least half a clip of sound follows the last full clip, one more (shorter) clip
    starts a hop later and runs to the end; a shorter tail is dropped.
    """
    clip, hop = int(round(clip_s * sample_rate)), int(round(clip_hop_s * sample_rate))
    n = samples.shape[-1]
    if n <= clip:
        return [(0.0, samples)]
    starts = list(range(0, n - clip + 1, hop))
    pieces = [(s / sample_rate, samples[s : s + clip]) for s in starts]
    # The tail counts only for the sound after the last full clip (with overlapping clips,
    # the next start would otherwise repeat audio the last clip already holds).
    tail_start = starts[-1] + hop
    if n - (starts[-1] + clip) >= clip // 2 and tail_start < n:
        pieces.append((tail_start / sample_rate, samples[tail_start:]))
    return pieces


def load_dataset(
    path: str | os.PathLike[str],
    *,
    sample_rate: int,
    long_recording_s: float = LONG_RECORDING_S,
    clip_s: float = CLIP_S,
    clip_hop_s: float | None = None,
    on_skip: Callable[[Skipped], None] | None = None,
    test: bool = False,
    should_stop: Callable[[], bool] | None = None,
) -> Dataset:
    """Read a folder-per-class dataset (or a zip of one), decoding every file at ``sample_rate``.

    Files that cannot be decoded are skipped and listed in ``Dataset.skipped`` (and passed to
    ``on_skip``); the rest load. Recordings longer than ``long_recording_s`` are cut into
    ``clip_s`` clips every ``clip_hop_s`` (default: ``clip_s``, no overlap).

    A project folder, or a zip of one (the studio's export: ``earmark-project.json``,
    ``samples/``, ``test/``, ``models/``), reads as the project trains: its ``samples/`` classes,
    never its test set; with ``test=True`` (evaluation) its test set instead, checked as
    :meth:`earmark.project.Project.check_test_set` checks a project's.

    ``should_stop``, asked before each file is read, ends the read there when it returns True,
    raising :class:`LoadCancelled` (a zip's extracted files are removed still): the studio's Cancel
    takes effect this way while a run reads its project.
    """
    if not (math.isfinite(clip_s) and 0 < clip_s <= long_recording_s):
        raise ParameterError(f"the clip length must be more than 0 and at most the long-recording length "
                             f"({long_recording_s} s), got {clip_s}")
    hop_s = clip_s if clip_hop_s is None else clip_hop_s
    if not (math.isfinite(hop_s) and hop_s >= MIN_HOP_S):
        raise ParameterError(f"the hop between clips must be at least {MIN_HOP_S} seconds, got {hop_s}")
    began = datetime.now(UTC).isoformat(timespec="seconds")
    dataset = _load(Path(path), sample_rate=sample_rate, long_recording_s=long_recording_s, clip_s=clip_s,
                    clip_hop_s=hop_s, on_skip=on_skip, test=test, should_stop=should_stop)
    dataset.read_at = began
    return dataset


def _load(root: Path, *, sample_rate: int, long_recording_s: float, clip_s: float, clip_hop_s: float,
          on_skip: Callable[[Skipped], None] | None, test: bool,
          should_stop: Callable[[], bool] | None = None) -> Dataset:
    """:func:`load_dataset` of a folder or a zip, its settings checked."""
    if root.is_file() and root.suffix.lower() == ".zip":
        # Every clip is decoded into memory, so the extracted files are removed afterwards.
        with tempfile.TemporaryDirectory(prefix="earmark-zip-") as tmp:
            try:
                folder = _set_of(extract_zip(root, Path(tmp)), test=test, in_zip=(root, Path(tmp)))
            except DatasetError as exc:  # about the project in the zip: name the zip, not a folder gone soon
                raise DatasetError(str(exc).replace(str(Path(tmp)), str(root))) from None
            return _read_folder(folder, root=root, sample_rate=sample_rate, long_recording_s=long_recording_s,
                                clip_s=clip_s, clip_hop_s=clip_hop_s, on_skip=on_skip, should_stop=should_stop)
    folder = _set_of(root, test=test)
    return _read_folder(folder, root=folder, sample_rate=sample_rate, long_recording_s=long_recording_s,
                        clip_s=clip_s, clip_hop_s=clip_hop_s, on_skip=on_skip, should_stop=should_stop)


def _set_of(folder: Path, *, test: bool, in_zip: tuple[Path, Path] | None = None) -> Path:
    """The folder-per-class set a folder (or a zip unpacked: ``in_zip``, the zip and where) trains
    on (a project's ``samples/``) or, with ``test``, is scored on (its ``test/``); any other folder as it is."""
    from .project import set_folder  # project builds on this module: imported when used

    return set_folder(folder, test=test, in_zip=in_zip)


def _read_folder(
    folder: Path,
    *,
    root: Path,
    sample_rate: int,
    long_recording_s: float,
    clip_s: float,
    clip_hop_s: float,
    on_skip: Callable[[Skipped], None] | None,
    should_stop: Callable[[], bool] | None = None,
) -> Dataset:
    """Decode every audio file under a folder-per-class ``folder`` (see :func:`load_dataset`)."""
    files, skipped = scan_folder(folder)
    check_class_names(folder, root=root)
    check_layout(folder, files, root=root)
    for s in skipped:
        if on_skip:
            on_skip(s)
    clips: list[Clip] = []
    elapsed: dict[str, float] = defaultdict(float)
    for file, label in files:
        if should_stop is not None and should_stop():
            raise LoadCancelled
        rel = file.relative_to(folder).as_posix()
        try:
            audio = load_audio(file, sample_rate=sample_rate)
        except AudioDecodeError as exc:
            item = Skipped(rel, str(exc).replace(str(file), rel).removeprefix(f"{rel}: "))
            skipped.append(item)
            if on_skip:
                on_skip(item)
            continue
        if audio.duration_s > long_recording_s:
            pieces = cut_recording(audio.samples, sample_rate=sample_rate, clip_s=clip_s,
                                   clip_hop_s=clip_hop_s)
        else:
            pieces = [(0.0, audio.samples)]
        source = recording_of(rel)
        if source == rel:
            clips.extend(Clip(samples=y, label=label, source=rel, start_s=start) for start, y in pieces)
        else:  # one of several files cut from one recording: they follow each other in it
            offset = elapsed[source]
            clips.extend(Clip(samples=y, label=label, source=source, start_s=offset + start, file=rel,
                              file_start_s=start) for start, y in pieces)
            elapsed[source] = offset + audio.duration_s
    folders = sorted({label_of(p.name)
                      for p in folder.iterdir() if p.is_dir() and not is_ignored_name(p.name)})
    return Dataset(clips=clips, sample_rate=sample_rate, root=str(root), skipped=skipped, folders=folders)


def take_key(clip: Clip) -> str:
    """The recording ``clip`` is from, whatever its class: a take's clips (files named
    ``NAME_nohash_N``) are ``NAME`` under any class folder; any other file is its own recording."""
    if not clip.file:
        return clip.source
    _, _, below_class = clip.source.partition("/")
    return f"take:{below_class or clip.source}"
