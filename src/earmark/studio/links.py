"""What the API shows of a project's samples and models: their fields, plus the addresses where
the page fetches their audio, pictures, files and exports."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from ..errors import NotFoundError
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
    """A sample as the API shows it: its fields plus where to fetch its audio and picture."""
    base = sample_base(project, info.class_name, info.id)
    folder = project.test_dir if info.test else project.samples_dir
    query = sample_query(_version(folder / info.class_name / info.id), test=info.test)  # a sample just listed
    return {**info.to_dict(), "audio_url": f"{base}/audio{query}", "spectrogram_url": f"{base}/spectrogram.png{query}"}


def model_view(project: Project, info: ModelInfo) -> dict[str, object]:
    """A model as the API shows it: its fields plus its download, ONNX and web-page exports and share links."""
    base = f"/api/projects/{quote(project.root.name, safe='')}/models/{quote(info.id, safe='')}"
    return {**info.to_dict(), "share_url": f"/try/{info.token}", "download_url": f"{base}/download",
            "onnx_url": f"{base}/onnx", "web_url": f"{base}/web"}
