"""A trained classifier: predict a clip, a file, many files; make timelines and streams.

A clip is cut into the model's windows (``window_s`` every ``hop_s``), every window is
scored, and the clip's probabilities are the mean over windows. Audio at another rate is
resampled to the model's rate (read from the model file) in :func:`earmark.audio.resample`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from .audio import frame_windows, load_audio, resample, to_mono, valid_audio
from .errors import AudioDecodeError, ModelFileError
from .model import SoundNet, build_model
from .modelfile import Manifest, load_weights, read_manifest, write_model_file

if TYPE_CHECKING:
    from .stream import StreamingClassifier
    from .timeline import Timeline

__all__ = ["Prediction", "Classifier", "load", "window_weights"]


@dataclass(frozen=True)
class Prediction:
    """A label, its probability, and every class's probability (in the model's label order)."""

    label: str
    probabilities: dict[str, float]
    source: str | None = None
    time_s: float | None = None

    @property
    def confidence(self) -> float:
        return self.probabilities[self.label]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"label": self.label, "confidence": round(self.confidence, 4),
                             "probabilities": {k: round(v, 4) for k, v in self.probabilities.items()}}
        if self.source is not None:
            d["file"] = self.source
        if self.time_s is not None:
            d["time_s"] = round(self.time_s, 3)
        return d


def window_weights(windows: np.ndarray, owner: np.ndarray, n_clips: int) -> np.ndarray:
    """Weight of each window in its clip's vote: its RMS relative to the clip's loudest window,
    floored at 0.05. A one-shot's silent tail then barely counts, while a steady sound (room
    tone, a held note) weighs every window alike."""
    rms = np.sqrt(np.einsum("ij,ij->i", windows, windows) / max(windows.shape[1], 1)) + 1e-12
    loudest = np.zeros(n_clips)
    np.maximum.at(loudest, owner, rms)
    return np.clip(rms / loudest[owner], 0.05, 1.0)


class Classifier:
    """A trained model plus its manifest. Build with :func:`earmark.train` or :func:`earmark.load`."""

    def __init__(self, model: SoundNet, manifest: Manifest) -> None:
        self.model = model.eval()
        self.manifest = manifest

    @property
    def labels(self) -> list[str]:
        return list(self.manifest.labels)

    @property
    def sample_rate(self) -> int:
        return self.manifest.sample_rate

    @property
    def window_s(self) -> float:
        return self.manifest.window_s

    def __repr__(self) -> str:
        return (f"Classifier(labels={self.labels}, sample_rate={self.sample_rate}, "
                f"window_s={self.window_s}, arch={self.manifest.arch.name!r})")

    # -- scoring -----------------------------------------------------------------------
    def _prepare(self, samples: np.ndarray, sample_rate: int, source: str) -> np.ndarray:
        samples = np.asarray(samples, dtype=np.float32)
        valid_audio(samples, sample_rate=sample_rate, source=source)
        return resample(to_mono(samples), orig_sr=sample_rate, target_sr=self.sample_rate)

    def score_windows(self, windows: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
        """Class probabilities for model-rate windows ``(n, window_samples)`` → ``(n, n_classes)``."""
        out = []
        with torch.inference_mode():
            for i in range(0, windows.shape[0], batch_size):
                logits = self.model(torch.from_numpy(np.ascontiguousarray(windows[i : i + batch_size])))
                out.append(torch.softmax(logits, dim=-1).numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.labels)), np.float32)

    def window_probabilities(
        self, samples: np.ndarray, *, sample_rate: int, hop_s: float | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities of each window: ``(n_windows, n_classes)`` and window starts in seconds."""
        y = self._prepare(samples, sample_rate, "audio")
        windows, starts = frame_windows(y, sample_rate=self.sample_rate, window_s=self.window_s,
                                        hop_s=hop_s or self.manifest.hop_s)
        return self.score_windows(windows), starts

    def _to_prediction(self, probs: np.ndarray, source: str | None = None,
                       time_s: float | None = None) -> Prediction:
        i = int(np.argmax(probs))
        return Prediction(label=self.labels[i], probabilities=dict(zip(self.labels, map(float, probs))),
                          source=source, time_s=time_s)

    def predict(self, samples: np.ndarray, *, sample_rate: int) -> Prediction:
        """Label one clip: its windows' probabilities, averaged with weight on its louder windows."""
        y = self._prepare(samples, sample_rate, "audio")
        return self._to_prediction(self.predict_clips([y])[0])

    def predict_file(self, path: str | os.PathLike[str]) -> Prediction:
        audio = load_audio(path, sample_rate=self.sample_rate)
        return self._to_prediction(self.predict_clips([audio.samples])[0], source=str(path))

    def predict_clips(self, clips: Iterable[np.ndarray], *, batch_size: int = 256) -> np.ndarray:
        """Mean window probabilities for many model-rate clips, batched: ``(n_clips, n_classes)``."""
        windows, owner = [], []
        for k, y in enumerate(clips):
            w, _ = frame_windows(y, sample_rate=self.sample_rate, window_s=self.window_s,
                                 hop_s=self.manifest.hop_s)
            windows.append(w)
            owner.extend([k] * w.shape[0])
        if not windows:
            return np.zeros((0, len(self.labels)), np.float32)
        all_windows = np.concatenate(windows)
        probs = self.score_windows(all_windows, batch_size=batch_size)
        idx = np.asarray(owner)
        n = int(idx.max()) + 1
        weights = window_weights(all_windows, idx, n)
        sums = np.zeros((n, probs.shape[1]))
        np.add.at(sums, idx, probs * weights[:, None])
        totals = np.zeros(n)
        np.add.at(totals, idx, weights)
        return (sums / totals[:, None]).astype(np.float32)

    def predict_files(
        self, paths: Iterable[str | os.PathLike[str]]
    ) -> tuple[list[Prediction], list[tuple[str, str]]]:
        """Predict many files; bad files are returned as ``(path, reason)`` instead of stopping the batch."""
        ok: list[tuple[str, np.ndarray]] = []
        failed: list[tuple[str, str]] = []
        for p in paths:
            try:
                ok.append((str(p), load_audio(p, sample_rate=self.sample_rate).samples))
            except AudioDecodeError as exc:
                failed.append((str(p), str(exc)))
        probs = self.predict_clips([y for _, y in ok])
        return [self._to_prediction(pr, source=name) for (name, _), pr in zip(ok, probs)], failed

    # -- views -------------------------------------------------------------------------
    def timeline(self, samples: np.ndarray, *, sample_rate: int, hop_s: float = 0.25,
                 smooth_s: float = 1.0, min_segment_s: float = 0.5) -> Timeline:
        """Label a long recording over time (see :mod:`earmark.timeline`)."""
        from .timeline import make_timeline

        probs, starts = self.window_probabilities(samples, sample_rate=sample_rate, hop_s=hop_s)
        return make_timeline(probs, starts, labels=self.labels, window_s=self.window_s,
                             duration_s=samples.shape[-1] / sample_rate, hop_s=hop_s,
                             smooth_s=smooth_s, min_segment_s=min_segment_s)

    def stream(self, *, sample_rate: int, hop_s: float = 0.1, smoothing: float = 0.0) -> StreamingClassifier:
        """A :class:`~earmark.stream.StreamingClassifier` fed with chunks at ``sample_rate``."""
        from .stream import StreamingClassifier

        return StreamingClassifier(self, sample_rate=sample_rate, hop_s=hop_s, smoothing=smoothing)

    # -- files -------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model file atomically (safetensors weights + JSON manifest)."""
        return write_model_file(path, state=self.model.state_dict(), manifest=self.manifest)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Classifier:
        manifest = read_manifest(path)
        state = load_weights(path, manifest)
        model = build_model(n_classes=len(manifest.labels), features=manifest.features, arch=manifest.arch)
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise ModelFileError(
                f"{path}: its weights do not fit its architecture {manifest.arch.name!r}; the file is corrupted"
            ) from exc
        return cls(model, manifest)


def load(path: str | os.PathLike[str]) -> Classifier:
    """Load a model file (validating its manifest before its weights)."""
    return Classifier.load(path)
