"""What the API shows of a project's samples and models: their fields, plus the addresses where
the page fetches their audio, pictures, files and exports."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from ..errors import NotFoundError
from ..naming import NAMING
from ..project import ModelInfo, Project, SampleInfo

__all__ = ["model_view", "sample_base", "sample_query", "sample_urls", "sample_version"]


def sample_base(project: Project, class_name: str, sample_id: str) -> str:
    path = "/".join(quote(part, safe="") for part in sample_id.split("/"))
    return f"/api/projects/{quote(project.root.name, safe='')}/samples/{quote(class_name, safe='')}/{path}"


def sample_version(project: Project, class_name: str, sample_id: str, *, test: bool = False) -> str:
    """Changes whenever the file does (a new file under an old name gets a fresh picture);
    ``"gone"`` when there is no such sample."""
    try:
        return _version(project.sample_path(class_name, sample_id, test=test))
    except NotFoundError:
        return "gone"


def sample_query(version: str, *, test: bool = False) -> str:
    """The query of a sample's audio and picture addresses: which set it is in, and its version."""
    return f"?set=test&v={version}" if test else f"?v={version}"


def _version(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_mtime_ns:x}-{stat.st_size:x}"


def sample_urls(project: Project, info: SampleInfo) -> dict[str, object]:
    """A sample as the API shows it: its fields plus where to fetch its audio and picture.

    ``info`` was read as a change left the sample (or as it was listed); when its file moved since (another
    request renamed its class, or moved it, in between), it is shown where it is now, and as ``"gone"`` (its
    version) when it is nowhere now: the answer of a change that was made never says it failed."""
    info, version = _as_now(project, info)
    base = sample_base(project, info.class_name, info.id)
    query = sample_query(version, test=info.test)
    return {**info.to_dict(), "audio_url": f"{base}/audio{query}", "spectrogram_url": f"{base}/spectrogram.png{query}"}


def _as_now(project: Project, info: SampleInfo) -> tuple[SampleInfo, str]:
    """``info`` where its file is now, followed through the class renames and sample moves the project file
    remembers (:meth:`~earmark.project.Project.locate_sample`), with its version; as given and ``"gone"``
    when it is not found."""
    folder = project.test_dir if info.test else project.samples_dir
    try:
        return info, _version(folder / info.class_name / info.id)  # the usual case: still where it was read
    except (FileNotFoundError, NotADirectoryError):
        pass
    with NAMING:  # no rename or move of this studio's in between: it is looked for where it is now
        if info.test:  # a test sample moves with its class only
            class_name, sample_id = project.class_now(info.class_name)[0], info.id
        else:
            class_name, sample_id = project.locate_sample(info.class_name, info.id)
        try:
            now = project.sample_info(class_name, sample_id, test=info.test)
            return now, _version(folder / now.class_name / now.id)
        except (NotFoundError, FileNotFoundError, NotADirectoryError):
            return info, "gone"


def model_view(project: Project, info: ModelInfo) -> dict[str, object]:
    """A model as the API shows it: its fields plus its download, ONNX and web-page exports and share links."""
    base = f"/api/projects/{quote(project.root.name, safe='')}/models/{quote(info.id, safe='')}"
    return {**info.to_dict(), "share_url": f"/try/{info.token}", "download_url": f"{base}/download",
            "onnx_url": f"{base}/onnx", "web_url": f"{base}/web"}
