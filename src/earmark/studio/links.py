"""What the API shows of a project's samples and models: their fields, plus the addresses where
the page fetches their audio, pictures, files and exports."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from ..errors import NotFoundError
from ..project import ModelInfo, Project, SampleInfo

__all__ = ["model_view", "sample_base", "sample_urls", "sample_version"]


def sample_base(project: Project, class_name: str, sample_id: str) -> str:
    path = "/".join(quote(part, safe="") for part in sample_id.split("/"))
    return f"/api/projects/{quote(project.root.name, safe='')}/samples/{quote(class_name, safe='')}/{path}"


def sample_version(project: Project, class_name: str, sample_id: str) -> str:
    """Changes whenever the file does (a new file under an old name gets a fresh picture);
    ``"gone"`` when there is no such sample."""
    try:
        return _version(project.sample_path(class_name, sample_id))
    except NotFoundError:
        return "gone"


def _version(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_mtime_ns:x}-{stat.st_size:x}"


def sample_urls(project: Project, info: SampleInfo) -> dict[str, object]:
    """A sample as the API shows it: its fields plus where to fetch its audio and picture."""
    base = sample_base(project, info.class_name, info.id)
    version = _version(project.samples_dir / info.class_name / info.id)  # a sample the project just listed
    return {**info.to_dict(), "audio_url": f"{base}/audio?v={version}",
            "spectrogram_url": f"{base}/spectrogram.png?v={version}"}


def model_view(project: Project, info: ModelInfo) -> dict[str, object]:
    """A model as the API shows it: its fields plus its download, ONNX and web-page exports and share links."""
    base = f"/api/projects/{quote(project.root.name, safe='')}/models/{quote(info.id, safe='')}"
    return {**info.to_dict(), "share_url": f"/try/{info.token}", "download_url": f"{base}/download",
            "onnx_url": f"{base}/onnx", "web_url": f"{base}/web"}
