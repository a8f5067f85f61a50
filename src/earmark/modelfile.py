"""The model file: one safetensors file whose header carries a JSON manifest.

Layout: a standard `safetensors <https://github.com/huggingface/safetensors>`_ file (no
pickle, nothing executable). Its ``__metadata__`` holds ``format`` = ``"earmark-model"``,
``format_version`` and ``manifest``: JSON with the earmark version, architecture, sample
rate, window, feature parameters, labels, training settings, metrics and history, and the
SHA-256 of the weights. :func:`read_manifest` checks the header before any weight is read;
:func:`load_weights` checks the digest (tensor names and shapes are checked when the
weights are loaded into the architecture the manifest names).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.numpy import save as st_save

from ._version import __version__
from .atomic import atomic_write, check_replaceable
from .audio import AUDIO_EXTENSIONS, MIN_HOP_S
from .containers import audio_held, other_held
from .errors import ModelFileError, ParameterError
from .features import FeatureConfig
from .model import ArchSpec

__all__ = ["FORMAT", "FORMAT_VERSION", "SILENT_CLIPS", "TRAIN_FINGERPRINTS", "Manifest", "read_manifest",
           "load_weights", "write_model_file"]

FORMAT = "earmark-model"
# 4: the classifier head may have a hidden layer; 3: the architecture may carry a concept head;
# 2: it names its pooling (1: frequency-mean)
FORMAT_VERSION = 4
_AGAIN = "; train the model again or ask its author for a fresh copy"
#: The key of ``Manifest.dataset`` that holds the training clips' fingerprints.
TRAIN_FINGERPRINTS = "train_fingerprints"
#: The key of ``Manifest.dataset`` for the sounds trained on under two classes:
#: ``{"count": groups, "examples": [[clip names], ...]}`` (the first few).
SAME_AUDIO = "same_audio_in_classes"
#: The key of ``Manifest.dataset`` for the sounds a class holds more than once (a file added twice),
#: as ``SAME_AUDIO``: ``{"count": groups, "examples": [[clip names], ...]}``.
SAME_AUDIO_IN_CLASS = "same_audio_in_one_class"
#: The key of ``Manifest.dataset`` for the classes of one recording, validated on its end.
SPLIT_IN_TIME = "split_in_time"
#: The key of ``Manifest.dataset`` for each class's silent clips (absent in a file from before
#: earmark kept them): ``{label: {"count": silent clips, "clips": all its clips, "files": [the
#: first few files], "file_count": files}}``.
SILENT_CLIPS = "silent_clips"


def stamp() -> str:
    """Now, as a model file's ``created`` holds it (ISO 8601, UTC, to the second)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Manifest:
    """Everything a model file says about itself."""

    labels: list[str]
    features: FeatureConfig
    arch: ArchSpec
    window_s: float
    hop_s: float
    background_label: str | None = None
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    dataset: dict[str, Any] = field(default_factory=dict)
    earmark_version: str = __version__
    #: When the model was made, as an ISO time to the second: :func:`earmark.train.train` stamps the
    #: moment it began to read its data, so that a project's class renames from then on (while
    #: training) are ones the model has not seen (:func:`earmark.evaluate.as_named_now`).
    created: str = field(default_factory=stamp)
    weights_sha256: str = ""

    @property
    def sample_rate(self) -> int:
        return self.features.sample_rate

    @property
    def train_fingerprints(self) -> frozenset[str] | None:
        """The fingerprints of the clips the model was trained on (:func:`earmark.dataset.fingerprint`);
        ``None`` for a model file from before earmark kept them."""
        found = self.dataset.get(TRAIN_FINGERPRINTS)
        return frozenset(found) if isinstance(found, list) else None

    def shareable_dataset(self) -> dict[str, Any]:
        """``dataset`` less the training clips' fingerprints: what a deployment or a page may show.
        In a public file they would let anyone test whether a recording was trained on."""
        return {k: v for k, v in self.dataset.items() if k != TRAIN_FINGERPRINTS}

    def to_dict(self) -> dict[str, Any]:
        return {
            "earmark_version": self.earmark_version,
            "created": self.created,
            "labels": list(self.labels),
            "background_label": self.background_label,
            "sample_rate": self.sample_rate,
            "window_s": self.window_s,
            "hop_s": self.hop_s,
            "features": self.features.to_dict(),
            "architecture": self.arch.to_dict(),
            "training": self.training,
            "metrics": self.metrics,
            "dataset": self.dataset,
            "weights_sha256": self.weights_sha256,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        if not isinstance(data, dict):
            raise ModelFileError(f"the model manifest is incomplete or invalid (not a JSON object){_AGAIN}")
        labels = data.get("labels")
        if not (isinstance(labels, list) and all(isinstance(x, str) and x.strip() for x in labels)):
            raise ModelFileError(f"the model manifest's labels must be a list of names, got {labels!r}{_AGAIN}")
        try:
            manifest = cls(
                labels=labels,
                features=FeatureConfig.from_dict(dict(data["features"])),
                arch=ArchSpec.from_dict(dict(data["architecture"])),
                window_s=float(data["window_s"]),
                hop_s=float(data["hop_s"]),
                background_label=data.get("background_label"),
                training=dict(data.get("training", {})),
                metrics=dict(data.get("metrics", {})),
                dataset=dict(data.get("dataset", {})),
                earmark_version=str(data.get("earmark_version", "?")),
                created=str(data.get("created", "")),
                weights_sha256=str(data.get("weights_sha256", "")),
            )
        except (KeyError, TypeError, ValueError, ParameterError) as exc:
            raise ModelFileError(f"the model manifest is incomplete or invalid ({exc}){_AGAIN}") from exc
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise ModelFileError(f"the model manifest has invalid labels {labels!r}{_AGAIN}")
        # what training allows
        if not (0.2 <= manifest.window_s <= 10 and MIN_HOP_S <= manifest.hop_s <= manifest.window_s):
            raise ModelFileError(f"the model manifest has an impossible window ({manifest.window_s} s) "
                                 f"or hop ({manifest.hop_s} s){_AGAIN}")
        return manifest


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        h.update(name.encode())
        h.update(np.ascontiguousarray(arrays[name]).tobytes())
    return h.hexdigest()


def _lowest_version(arch: ArchSpec) -> int:
    """The oldest format that describes a model of ``arch``: files are written as that, so an older
    earmark that can read them still does."""
    return 4 if arch.head_hidden else 3 if arch.concepts else 2


def write_model_file(path: str | os.PathLike[str], *, state: dict[str, torch.Tensor],
                     manifest: Manifest) -> Path:
    """Write weights and manifest to ``path`` atomically; returns the path. A file there is replaced
    only if it is an earmark model (:func:`earmark.atomic.check_replaceable`): never a recording."""
    check_replaceable(path, kind="earmark model")
    arrays = {k: v.detach().cpu().contiguous().numpy() for k, v in state.items()}
    manifest.weights_sha256 = _digest(arrays)
    version = _lowest_version(manifest.arch)
    meta = {"format": FORMAT, "format_version": str(version),
            "manifest": json.dumps(manifest.to_dict())}
    data = st_save(arrays, metadata=meta)
    with atomic_write(path) as fh:
        fh.write(data)
    return Path(path)


def _header(path: Path) -> dict[str, str]:
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file; check the path")
    if path.is_dir():
        raise ModelFileError(f"{path}: is a folder; give the model file (e.g. model.earmark)")
    try:
        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
    except Exception as exc:  # noqa: BLE001 - safetensors raises several types for bad headers
        message, cli_case = _what_else(path) or (_corrupted(exc), None)
        raise ModelFileError(f"{path}: {message}", cli_case=cli_case) from exc
    return meta


#: Files that are not models, by :func:`earmark.containers.other_held`'s kind, as a person names them.
_OTHER_FILES = {"zip": "a zip archive", "gzip": "a gzip archive", "png": "a PNG picture", "jpeg": "a JPEG picture",
                "gif": "a GIF picture", "pdf": "a PDF document"}


def _what_else(path: Path) -> tuple[str, str | None] | None:
    """What the file at ``path``, which is no safetensors file, is instead, by its bytes (its name when
    they say nothing), and what to do, with the error's ``cli_case`` (each ``earmark`` command words
    its hint); ``None`` for a file that only looks damaged."""
    try:
        with path.open("rb") as stream:
            other, held = other_held(stream), audio_held(stream)
            empty = stream.seek(0, os.SEEK_END) == 0
    except OSError:
        return None  # safetensors could not read it either: its message says why
    if empty:
        return "is empty (0 bytes), not an earmark model; give a model file that earmark wrote", None
    if other == "earmark model":  # its header is there, the rest is not: a copy or download broken off
        return "is an earmark model file cut short or damaged; copy it again, or train it again", None
    if other is None and (held is not None or path.suffix.lower() in AUDIO_EXTENSIONS):
        # `earmark predict take.wav model.earmark`: swapped, not bad (the command says which goes first)
        return "is an audio file, not an earmark model; give an earmark model file (.earmark) here", "audio-as-model"
    if other == "zip" and _is_torch_checkpoint(path):
        return ("is a PyTorch checkpoint, not an earmark model; earmark reads the model files it writes "
                "(.earmark, from 'earmark train' or Classifier.save)", None)
    if other == "onnx":
        return ("is an ONNX model (what 'earmark export' writes for deployment, run with ONNX Runtime), not an "
                "earmark model file; give the .earmark file it was exported from"), None
    if other in _OTHER_FILES:
        return f"is {_OTHER_FILES[other]}, not an earmark model; give an earmark model file (.earmark)", None
    return None


def _is_torch_checkpoint(path: Path) -> bool:
    """Whether the zip at ``path`` is what ``torch.save`` writes (a pickle under ``*/data.pkl``)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith("/data.pkl") or name == "data.pkl" for name in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def _corrupted(exc: Exception) -> str:
    return (f"is not an earmark model file or is corrupted ({type(exc).__name__}); train it again or ask for a "
            "fresh copy")


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read and validate a model file's manifest without touching its weights."""
    if not isinstance(path, (str, os.PathLike)):
        raise ParameterError(f"give the model file's path as a str or pathlib.Path, got {type(path).__name__}")
    p = Path(path)
    meta = _header(p)
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"{p}: is a safetensors file but not an earmark model (no earmark manifest); "
                             "give a file written by 'earmark train' or Classifier.save")
    try:
        version = int(meta.get("format_version", "0"))
    except ValueError as exc:
        raise ModelFileError(f"{p}: has an unreadable format version{_AGAIN}") from exc
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{p}: was made by a newer earmark (model format {version}; this earmark {__version__} "
            f"reads format {FORMAT_VERSION}); upgrade earmark with 'pip install -U earmark'"
        )
    try:
        data = json.loads(meta.get("manifest", ""))
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{p}: its manifest is not valid JSON, the file is corrupted{_AGAIN}") from exc
    try:
        return Manifest.from_dict(data)
    except ModelFileError as exc:
        raise ModelFileError(f"{p}: {exc}") from exc


def load_weights(path: str | os.PathLike[str], manifest: Manifest) -> dict[str, torch.Tensor]:
    """Read the weights and check them against the manifest's digest."""
    p = Path(path)
    try:
        with safe_open(str(p), framework="numpy") as f:
            arrays = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # noqa: BLE001
        raise ModelFileError(
            f"{p}: its weights cannot be read ({type(exc).__name__}), the file is corrupted{_AGAIN}"
        ) from exc
    if not manifest.weights_sha256:
        raise ModelFileError(f"{p}: its manifest has no weights checksum, so it cannot be trusted{_AGAIN}")
    if _digest(arrays) != manifest.weights_sha256:
        raise ModelFileError(f"{p}: its weights do not match their checksum, the file is corrupted{_AGAIN}")
    return {k: torch.from_numpy(np.array(v)) for k, v in arrays.items()}
