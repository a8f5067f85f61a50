"""A project's samples: the audio files of its classes, in its training samples (``samples/``) or its test
set (``test/``): listed, each checked against its class folder, described (:class:`SampleInfo`), and
moved between classes. :class:`~earmark.project.Project` is built on :class:`ProjectSamples` (by way
of :class:`~earmark.testset.ProjectTestSet`, which moves them between the sets), so these are a
project's own methods (``project.samples("bass")``).
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .audio import AUDIO_EXTENSIONS, probe
from .dataset import audio_files, recording_of
from .errors import NotFoundError
from .naming import NAMING, new_file, quoted

__all__ = ["ProjectSamples", "SampleInfo"]


@dataclass(frozen=True)
class SampleInfo:
    """One audio file of a class; ``id`` is its path inside the class folder, ``test`` whether it
    is in the project's test set (``test/``) rather than its training samples (``samples/``)."""

    class_name: str
    id: str
    duration_s: float
    sample_rate: int
    recording: str
    test: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ProjectSamples(ABC):
    """A project's samples: the part of :class:`~earmark.project.Project` that lists and checks them,
    built on the project's class folders and record of moves (the abstract methods, which
    :class:`~earmark.project.Project` has)."""

    @property
    @abstractmethod
    def samples_dir(self) -> Path: ...

    @abstractmethod
    def class_dir(self, name: str) -> Path: ...

    @abstractmethod
    def set_dir(self, class_name: str, *, test: bool = False) -> Path: ...

    @abstractmethod
    def remember(self, kind: str, old: str, new: str) -> None: ...

    @abstractmethod
    def locate_sample(self, class_name: str, sample_id: str) -> tuple[str, str]: ...

    def samples(self, class_name: str, *, test: bool = False) -> list[SampleInfo]:
        """Every audio file of a class (of its test set with ``test``), sorted by name."""
        folder = self.set_dir(class_name, test=test)
        return [self.info_of(folder, path, test=test) for path in audio_files(folder)] if folder.is_dir() else []

    def sample_path(self, class_name: str, sample_id: str, *, test: bool = False) -> Path:
        """The file of a sample (of the test set with ``test``); refuses ids that leave the class
        folder or are not audio."""
        where = "the test set of class" if test else "class"
        base = self.set_dir(class_name, test=test)
        folder = base.resolve()
        parts = sample_id.replace("\\", "/").split("/")
        if not sample_id or "\0" in sample_id or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            raise NotFoundError(f"no sample {sample_id!r} in {where} {class_name!r}")
        path = base.joinpath(*parts)  # as the project names it (its root may be a link), checked resolved
        if not path.resolve().is_relative_to(folder) or not path.is_file() \
                or path.suffix.lower() not in AUDIO_EXTENSIONS:
            raise NotFoundError(f"no sample {sample_id!r} in {where} {class_name!r}; "
                                f"{self._where_now(class_name, parts, test=test)}")
        return path

    def _where_now(self, class_name: str, parts: list[str], *, test: bool) -> str:
        """Where the sample ``parts`` (its id, split) of class ``class_name`` that is not there went, as
        a hint: the class's other set (moved with its recording), or, for a training sample, where the
        project's record of moves puts it (another tab moved it; :meth:`locate_sample`), under its new
        name. A file of the same name in another class is no sign: class folders often share names."""
        if self.set_dir(class_name, test=not test).joinpath(*parts).is_file():
            return "it is in the training samples now" if test else "it is in the test set now"
        if not test:
            sample_id = "/".join(parts)
            now_in, now_id = self.locate_sample(class_name, sample_id)
            if (now_in, now_id) != (class_name, sample_id) and (self.samples_dir / now_in / now_id).is_file():
                renamed = f", as {quoted(now_id)}" if now_id != sample_id else ""
                return f"it is in class {quoted(now_in)} now{renamed}"
        return "it may have been moved or deleted"

    def sample_info(self, class_name: str, sample_id: str, *, test: bool = False) -> SampleInfo:
        return self.info_of(self.set_dir(class_name, test=test), self.sample_path(class_name, sample_id, test=test),
                            test=test)

    @staticmethod
    def info_of(folder: Path, path: Path, *, test: bool = False) -> SampleInfo:
        """The sample at ``path`` (already checked) in the class folder ``folder`` (a test set's with ``test``)."""
        rel = path.relative_to(folder).as_posix()
        recording = recording_of(rel)
        stat = path.stat()
        duration, rate = _probe_once(str(path), stat.st_mtime_ns, stat.st_size)
        return SampleInfo(class_name=folder.name, id=rel, duration_s=round(duration, 3), sample_rate=rate,
                          recording=rel.rsplit(".", 1)[0] if recording == rel else recording, test=test)

    def move_sample(self, class_name: str, sample_id: str, *, to: str, test: bool = False) -> SampleInfo:
        """Move a sample to another class (keeping its name, made unique there in any case), within its set:
        the training samples, or with ``test`` the test set."""
        path = self.sample_path(class_name, sample_id, test=test)
        target_dir = self.set_dir(to, test=test)
        if target_dir == self.set_dir(class_name, test=test):
            return self.sample_info(class_name, sample_id, test=test)
        with NAMING:
            target_dir.mkdir(parents=True, exist_ok=True)
            with new_file(target_dir / path.name) as target:  # free in any case: no `Bass.wav` beside `bass.wav`
                path.rename(target)
            if not test:  # a model's report still names it where it was: remember where it went
                self.remember("moved_samples", f"{self.class_dir(class_name).name}/{sample_id}",
                               f"{target_dir.name}/{target.name}")
        return self.sample_info(target_dir.name, target.name, test=test)


@functools.lru_cache(maxsize=100_000)
def _probe_once(path: str, mtime_ns: int, size: int) -> tuple[float, int]:
    """:func:`earmark.audio.probe`, read once per version of a file (listing a big class stays fast)."""
    return probe(path)
