"""A trained classifier: predict a clip, a file, many files; make timelines and streams.

A clip is cut into the model's windows (``window_s`` every ``hop_s``, plus one ending with
the clip; see :func:`earmark.audio.frame_windows`; a clip shorter than a window is zero-padded
to one), every window is scored, and the clip's
probabilities are its windows' probabilities averaged with weights from their loudness
(:func:`window_weights`), so a hit's silent tail does not outvote the hit. Audio at another
rate is resampled to the model's rate (read from the model file) in :func:`earmark.audio.resample`.

Windows are scored a batch at a time from a strided view of the audio, and many files are
decoded a chunk at a time, so memory stays bounded on long recordings and big folders.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from .audio import _window_view, as_waveform, as_windows, load_audio, resample, to_mono, valid_audio
from .errors import AudioDecodeError, AudioWarning, ModelFileError, ParameterError, collecting_warnings, warn
from .model import SoundNet, build_model
from .modelfile import Manifest, load_weights, read_manifest, write_model_file

if TYPE_CHECKING:
    from .report import EvaluationReport
    from .stream import StreamingClassifier
    from .timeline import Timeline

__all__ = ["Prediction", "Classifier", "as_classifier", "load", "loop_to", "window_weights", "FOLD_FROM_WINDOWS",
           "FORWARD_WINDOWS"]

#: From this many windows in one call, :meth:`Classifier.score_windows` scores them with the batch
#: norms folded into the convolutions (folding costs about 3 ms; 64 windows take about 35 ms).
FOLD_FROM_WINDOWS = 64
#: At most this many windows go through the network at once. On a 2-core CPU, 1024 windows took
#: 0.33–0.42 s in batches of 32 to 64 and 0.68–0.78 s in batches of 256 (the larger batches' feature
#: maps no longer fit the caches).
FORWARD_WINDOWS = 64


@dataclass(frozen=True)
class Prediction:
    """A label, its probability, and every class's probability (in the model's label order).

    ``source`` is the file predicted (:meth:`Classifier.predict_file`, :meth:`Classifier.predict_files`),
    ``time_s`` where in a stream. ``warnings`` are what decoding that file warned of (a file cut short,
    channels that cancel out when mixed to mono), each a message naming the file; empty for a clean
    file, and for audio given as samples, which earmark did not decode.
    """

    label: str
    probabilities: dict[str, float]
    source: str | None = None
    time_s: float | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        return self.probabilities[self.label]

    def to_dict(self) -> dict[str, Any]:
        """The prediction as JSON holds it: with ``"file"`` for a file's (``source``), ``"time_s"`` for a
        stream's, and ``"warnings"`` where decoding warned of something."""
        d: dict[str, Any] = {"label": self.label, "confidence": round(self.confidence, 4),
                             "probabilities": {k: round(v, 4) for k, v in self.probabilities.items()}}
        if self.source is not None:
            d["file"] = self.source
        if self.warnings:
            d["warnings"] = list(self.warnings)
        if self.time_s is not None:
            d["time_s"] = round(self.time_s, 3)
        return d


def loop_to(y: np.ndarray, n: int) -> np.ndarray:
    """Mono ``y`` repeated to ``n`` samples, ending with its last sample; ``y`` itself when it
    holds ``n`` or more (or no samples at all).

    How a live stream fills its window before a whole window is heard
    (:class:`~earmark.stream.StreamingClassifier`): never with digital silence, since the step from
    silence into sound sounds like a drum hit, so a stream of room tone started as "drums". A
    clip shorter than a window given to :meth:`Classifier.predict` is zero-padded instead: it is
    usually a one-shot, and training shows one-shots so. Looped, the benchmark's lmms drum hits
    labelled right fell from 100 % to 82-84 % and its bass one-shots on one seed from 87 % to 80 %
    (a hit repeated is a roll); padded, 0.3 s of plain room tone can read as drums.
    """
    if y.shape[0] >= n or y.shape[0] == 0:
        return y
    return np.tile(y, -(-n // y.shape[0]))[-n:]


def _window_rms(windows: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("ij,ij->i", windows, windows) / max(windows.shape[1], 1)) + 1e-12


def _weights_from_rms(rms: np.ndarray, owner: np.ndarray, n_clips: int) -> np.ndarray:
    loudest = np.zeros(n_clips)
    np.maximum.at(loudest, owner, rms)
    return np.clip(rms / loudest[owner], 0.05, 1.0)


def window_weights(windows: np.ndarray, owner: np.ndarray, n_clips: int) -> np.ndarray:
    """Weight of each window in its clip's vote: its RMS relative to the clip's loudest window,
    floored at 0.05. A one-shot's silent tail then barely counts, while a steady sound (room
    tone, a held note) weighs every window alike.

    ``windows`` is ``(n_windows, window_samples)``, ``owner`` the clip index of each window.
    """
    return _weights_from_rms(_window_rms(windows), np.asarray(owner), n_clips)


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

    @property
    def window_samples(self) -> int:
        """Samples in one window at the model's rate: what the network takes at a time."""
        return int(round(self.window_s * self.sample_rate))

    @property
    def validation_report(self) -> EvaluationReport | None:
        """The report on the clips held out while training (from the manifest), or ``None``
        for a model that was not trained by :func:`earmark.train`."""
        from .report import EvaluationReport

        validation = self.manifest.metrics.get("validation")
        return None if validation is None else EvaluationReport.from_dict(validation)

    @property
    def sure_level(self) -> float | None:
        """How sure the model was of 95 % of its right answers on its validation clips (the 5th
        percentile of their confidence), or ``None`` without ten of them (a model
        not trained by :func:`earmark.train`, or held out too few clips to say).

        A prediction less sure than this is worth a listen. On the cross-domain benchmark
        (``benchmarks/confidence_probe.py``), the clips below such a level were about 30 % of the clips
        from sources the model never heard, and held 76–91 % of its mistakes there; on clips like its
        training examples, 5 %."""
        from .report import sure_level

        return sure_level(self.manifest.metrics.get("validation_clips"))

    def __repr__(self) -> str:
        return (f"Classifier(labels={self.labels}, sample_rate={self.sample_rate}, "
                f"window_s={self.window_s}, arch={self.manifest.arch.name!r})")

    # -- scoring -----------------------------------------------------------------------
    def _prepare(self, samples: np.ndarray, sample_rate: int, source: str) -> np.ndarray:
        """Checked mono audio at the model's rate (integer PCM scaled to ±1; see :func:`~earmark.audio.as_waveform`)."""
        y = as_waveform(samples, source=source)
        valid_audio(y, sample_rate=sample_rate, source=source)
        return resample(to_mono(y), orig_sr=sample_rate, target_sr=self.sample_rate)

    def score_windows(self, windows: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
        """Class probabilities for model-rate windows ``(n, window_samples)`` → ``(n, n_classes)``.

        At most ``batch_size`` windows, and at most :data:`FORWARD_WINDOWS`, go through the network
        at once. From :data:`FOLD_FROM_WINDOWS` windows on, a copy of the network with its batch
        norms folded into its convolutions scores them (:meth:`~earmark.model.SoundNet.folded`: about
        15 % faster, the same probabilities to about 1e-6); fewer (a live stream's one window) are
        scored as is."""
        if batch_size < 1:
            raise ParameterError(f"batch_size must be at least 1, got {batch_size}")
        windows = as_windows(windows, window_samples=self.window_samples)
        model = self.model
        if windows.shape[0] >= FOLD_FROM_WINDOWS and not model.training:
            model = model.folded()
        step = min(batch_size, FORWARD_WINDOWS)
        out = []
        with torch.inference_mode():
            for i in range(0, windows.shape[0], step):
                logits = model(torch.from_numpy(np.ascontiguousarray(windows[i : i + step])))
                out.append(torch.softmax(logits, dim=-1).numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.labels)), np.float32)

    def window_probabilities(
        self, samples: np.ndarray, *, sample_rate: int, hop_s: float | None = None, batch_size: int = 256
    ) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities of each window: ``(n_windows, n_classes)`` and window starts in seconds.

        Windows are copied out of a strided view ``batch_size`` at a time, so an hour-long
        recording never exists as one array of overlapping windows.
        """
        probs, starts_s, _ = self._scored_windows(samples, sample_rate=sample_rate, hop_s=hop_s,
                                                  batch_size=batch_size)
        return probs, starts_s

    def _scored_windows(self, samples: np.ndarray, *, sample_rate: int, hop_s: float | None,
                        batch_size: int = 256) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`window_probabilities`, plus each window's RMS (for :func:`window_weights`)."""
        y = self._prepare(samples, sample_rate, "audio")
        view, starts = _window_view(y, sample_rate=self.sample_rate, window_s=self.window_s,
                                    hop_s=hop_s or self.manifest.hop_s)
        probs, rms = [], []
        for i in range(0, len(starts), batch_size):
            windows = view[starts[i : i + batch_size]]
            probs.append(self.score_windows(windows, batch_size=batch_size))
            rms.append(_window_rms(windows))
        return np.concatenate(probs), starts / self.sample_rate, np.concatenate(rms)

    def _to_prediction(self, probs: np.ndarray, source: str | None = None,
                       time_s: float | None = None, warnings: list[str] | None = None) -> Prediction:
        i = int(np.argmax(probs))
        return Prediction(label=self.labels[i], probabilities=dict(zip(self.labels, map(float, probs))),
                          source=source, time_s=time_s, warnings=list(warnings or []))

    def predict(self, samples: np.ndarray, *, sample_rate: int) -> Prediction:
        """Label one clip: its windows' probabilities, averaged with weight on its louder windows."""
        y = self._prepare(samples, sample_rate, "audio")
        return self._to_prediction(self._score_clips([y], checked=True)[0])

    def predict_file(self, path: str | os.PathLike[str]) -> Prediction:
        """Label one audio file (decoded and resampled to the model's rate).

        What decoding warned of (a file cut short, channels that cancel out) is in the prediction's
        ``warnings``, and is issued too, once, as an :class:`~earmark.errors.AudioWarning` (through
        :mod:`warnings`, or to the caller's :func:`~earmark.errors.collecting_warnings`)."""
        said: list[str] = []
        audio = _decoded(path, sample_rate=self.sample_rate, said=said)
        return self._to_prediction(self._score_clips([audio], checked=True)[0], source=str(path), warnings=said)

    def _checked_clip(self, clip: np.ndarray, k: int) -> np.ndarray:
        y = as_waveform(clip, source=f"clip {k}")
        if y.ndim != 1:
            raise ParameterError(f"clip {k}: predict_clips takes mono clips at the model's rate, got shape "
                                 f"{y.shape}; mix with earmark.audio.to_mono (or use predict)")
        valid_audio(y, sample_rate=self.sample_rate, source=f"clip {k}")
        return y

    def _window_batches(self, clips: Iterable[np.ndarray], batch_size: int,
                        checked: bool) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(owner, windows)``: at most ``batch_size`` windows at a time, across clip boundaries.
        ``checked``: the clips are known to be mono model-rate audio already (see :meth:`_checked_clip`)."""
        owners: list[np.ndarray] = []
        pieces: list[np.ndarray] = []
        count = 0
        for k, clip in enumerate(clips):
            y = clip if checked else self._checked_clip(clip, k)
            view, starts = _window_view(y, sample_rate=self.sample_rate, window_s=self.window_s,
                                        hop_s=self.manifest.hop_s)
            pos = 0
            while pos < len(starts):
                take = min(batch_size - count, len(starts) - pos)
                pieces.append(view[starts[pos : pos + take]])
                owners.append(np.full(take, k))
                count, pos = count + take, pos + take
                if count == batch_size:
                    yield np.concatenate(owners), np.concatenate(pieces)
                    owners, pieces, count = [], [], 0
        if count:
            yield np.concatenate(owners), np.concatenate(pieces)

    def predict_clips(self, clips: Iterable[np.ndarray], *, batch_size: int = 256) -> np.ndarray:
        """Probabilities of many model-rate mono clips: ``(n_clips, n_classes)``.

        Each clip's row is the mean of its windows' probabilities weighted by
        :func:`window_weights` (louder windows count more), scored ``batch_size`` windows at a time.
        A clip shorter than a window is zero-padded to one (a one-shot, as training shows them).

        Raises
        ------
        ParameterError
            If a clip is not mono samples (:func:`~earmark.audio.as_waveform`), or ``clips`` is one
            clip's array instead of a list of clips.
        AudioDecodeError
            If a clip is empty or holds NaN, infinite or far out-of-range values.
        """
        if isinstance(clips, np.ndarray) and clips.ndim < 2:
            raise ParameterError(f"predict_clips takes a list of clips, got one numpy array of shape {clips.shape}; "
                                 "for one clip use predict(samples, sample_rate=...), or give [clip]")
        return self._score_clips(clips, batch_size=batch_size, checked=False)

    def _score_clips(self, clips: Iterable[np.ndarray], *, batch_size: int = 256, checked: bool) -> np.ndarray:
        """:meth:`predict_clips`; ``checked=True`` skips checking clips that were checked on their way in."""
        if batch_size < 1:
            raise ParameterError(f"batch_size must be at least 1, got {batch_size}")
        probs, rms, owner = [], [], []
        for own, windows in self._window_batches(clips, batch_size, checked):
            probs.append(self.score_windows(windows, batch_size=batch_size))
            rms.append(_window_rms(windows))
            owner.append(own)
        if not probs:
            return np.zeros((0, len(self.labels)), np.float32)
        p, idx = np.concatenate(probs), np.concatenate(owner)
        n = int(idx[-1]) + 1
        weights = _weights_from_rms(np.concatenate(rms), idx, n)
        sums = np.zeros((n, p.shape[1]))
        np.add.at(sums, idx, p * weights[:, None])
        totals = np.zeros(n)
        np.add.at(totals, idx, weights)
        return (sums / totals[:, None]).astype(np.float32)

    def _decoded_chunks(self, paths: Iterable[str | os.PathLike[str]], failed: list[tuple[str, str]], *,
                        chunk_files: int, chunk_s: float,
                        warned: dict[str, list[str]] | None = None) -> Iterator[list[tuple[str, np.ndarray]]]:
        """Decoded files, ``chunk_files`` or about ``chunk_s`` seconds at a time; failures go to ``failed``,
        and what decoding a file warned of to ``warned`` under its path."""
        from .dataset import audio_files

        issued: set[str] = set()
        chunk: list[tuple[str, np.ndarray]] = []
        seconds = 0.0
        for given in paths:
            path = Path(given)
            found = audio_files(path) if path.is_dir() else [path]
            if not found:
                failed.append((str(path), f"{path}: holds no audio files; give audio files or folders holding some"))
            for p in found:
                said: list[str] = []
                try:
                    y = _decoded(p, sample_rate=self.sample_rate, said=said, issued=issued)
                except AudioDecodeError as exc:
                    failed.append((str(p), str(exc)))
                    continue
                if warned is not None:
                    warned[str(p)] = said  # a file given twice warns twice alike
                chunk.append((str(p), y))
                seconds += y.shape[-1] / self.sample_rate
                if len(chunk) >= chunk_files or seconds >= chunk_s:
                    yield chunk
                    chunk, seconds = [], 0.0
        if chunk:
            yield chunk

    def predict_files(
        self, paths: Iterable[str | os.PathLike[str]], *, chunk_files: int = 64, chunk_s: float = 600.0
    ) -> tuple[list[Prediction], list[tuple[str, str]]]:
        """Predict many files, and every audio file in the folders among ``paths`` (sorted, nested);
        one path (a ``str`` or ``Path``) is taken as one file or folder.

        Files are decoded and scored ``chunk_files`` at a time, or fewer once a chunk holds
        ``chunk_s`` seconds of audio, so a big folder never sits in memory at once. Files that
        cannot be decoded, and folders without audio, are returned as ``(path, reason)``
        instead of stopping the batch. What decoding a file warned of is in its prediction's
        ``warnings``, and is issued too as each file is decoded (as :meth:`predict_file` issues it),
        each message once (a file given twice warns once).

        Raises
        ------
        ParameterError
            If ``chunk_files`` is below 1 or ``chunk_s`` is not positive.
        """
        if chunk_files < 1 or not (math.isfinite(chunk_s) and chunk_s > 0):
            raise ParameterError(f"chunk_files must be at least 1 and chunk_s positive, got {chunk_files}, {chunk_s}")
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]  # one path, not its characters
        elif isinstance(paths, (bytes, bytearray)):
            raise ParameterError("give paths as str or pathlib.Path, not bytes")
        predictions: list[Prediction] = []
        failed: list[tuple[str, str]] = []
        warned: dict[str, list[str]] = {}
        for chunk in self._decoded_chunks(paths, failed, chunk_files=chunk_files, chunk_s=chunk_s, warned=warned):
            probs = self._score_clips([y for _, y in chunk], checked=True)  # load_audio checked them
            predictions += [self._to_prediction(pr, source=name, warnings=warned[name])
                            for (name, _), pr in zip(chunk, probs)]
        return predictions, failed

    # -- views -------------------------------------------------------------------------
    def timeline(self, samples: np.ndarray, *, sample_rate: int, hop_s: float | None = None,
                 smooth_s: float = 1.0, min_segment_s: float = 0.5) -> Timeline:
        """Label a long recording over time (see :mod:`earmark.timeline`); ``hop_s`` defaults
        to a quarter second, or the model's window where that is shorter.

        Windows count by loudness as in :meth:`predict` (:func:`window_weights`, relative to the
        recording's loudest window), so quiet gaps between drum hits do not outvote the hits, and
        a segment made by folding is named as predict names its span (its windows at predict's hop,
        each counted by its loudness): a recording folded into one segment (``min_segment_s`` longer
        than it) gets predict's label and probability.
        Each boundary between segments is then moved to where the sound changes, within half a window and
        the longer of half a hop and a quarter second of where the windows put it (about where the windows
        leave the change), never making a segment shorter than
        ``min_segment_s`` (:func:`earmark.boundaries.snap_boundaries`).
        """
        from .boundaries import snap_boundaries
        from .timeline import check_timeline_settings, make_timeline, timeline_hop

        hop_s = timeline_hop(hop_s, window_s=self.window_s)
        check_timeline_settings(window_s=self.window_s, hop_s=hop_s, smooth_s=smooth_s, min_segment_s=min_segment_s)
        y = as_waveform(samples)  # a list has no .shape; _scored_windows checks the rest
        probs, starts, rms = self._scored_windows(y, sample_rate=sample_rate, hop_s=hop_s)
        weights = _weights_from_rms(rms, np.zeros(len(rms), dtype=np.intp), 1)
        timeline = make_timeline(probs, starts, labels=self.labels, window_s=self.window_s,
                                 duration_s=y.shape[-1] / sample_rate, hop_s=hop_s,
                                 smooth_s=smooth_s, min_segment_s=min_segment_s, weights=weights,
                                 loudness=rms, predict_hop_s=self.manifest.hop_s)
        return snap_boundaries(timeline, to_mono(y), sample_rate=sample_rate, window_s=self.window_s, hop_s=hop_s,
                               min_segment_s=min_segment_s)

    def stream(self, *, sample_rate: int, hop_s: float = 0.1, smoothing: float = 0.0) -> StreamingClassifier:
        """A :class:`~earmark.stream.StreamingClassifier` fed with chunks at ``sample_rate``."""
        from .stream import StreamingClassifier

        return StreamingClassifier(self, sample_rate=sample_rate, hop_s=hop_s, smoothing=smoothing)

    # -- files -------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model file atomically (safetensors weights + JSON manifest); returns its path.

        Raises
        ------
        OutputError
            If ``path`` cannot be written, or holds something other than an earmark model (a
            recording, an ONNX export, a picture): a model replaces only a model.
        """
        return write_model_file(path, state=self.model.state_dict(), manifest=self.manifest)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Classifier:
        manifest = read_manifest(path)
        state = load_weights(path, manifest)
        unfit = ModelFileError(f"{path}: its weights do not fit its architecture {manifest.arch.name!r}; "
                               "the file is corrupted; train the model again or ask its author for a fresh copy")
        # First a weightless copy (PyTorch's "meta" device) to compare shapes: a manifest edited
        # to name a huge network must not allocate it before the weights say otherwise.
        with torch.device("meta"):
            shell = build_model(n_classes=len(manifest.labels), features=manifest.features, arch=manifest.arch)
        expected = {k: tuple(v.shape) for k, v in shell.state_dict().items()}
        if expected != {k: tuple(v.shape) for k, v in state.items()}:
            raise unfit
        model = build_model(n_classes=len(manifest.labels), features=manifest.features, arch=manifest.arch)
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise unfit from exc
        return cls(model, manifest)


def as_classifier(model: object, *, function: str) -> Classifier:
    """``model`` as a :class:`Classifier`: itself, or the model file at its path (``str`` or
    :class:`os.PathLike`), loaded; anything else is a :class:`ParameterError` naming ``function``."""
    if isinstance(model, Classifier):
        return model
    if isinstance(model, (str, os.PathLike)):
        return Classifier.load(model)
    raise ParameterError(f"{function} takes the model as a Classifier or a model file's path, "
                         f"got {type(model).__name__} {model!r:.60}")


def _decoded(path: str | os.PathLike[str], *, sample_rate: int, said: list[str], issued: set[str] | None = None
             ) -> np.ndarray:
    """The samples of the audio file ``path`` at ``sample_rate``; what decoding warned of is appended to
    ``said`` and then issued again through :func:`earmark.errors.warn` (as an
    :class:`~earmark.errors.AudioWarning`, to :mod:`warnings` or the caller's
    :func:`~earmark.errors.collecting_warnings`), so a caller who reads a prediction's ``warnings`` and one who
    watches :mod:`warnings` both learn of it, once: a message in ``issued`` (a file given twice) is not
    issued again. Also when decoding then fails."""
    try:
        with collecting_warnings() as noted:
            return load_audio(path, sample_rate=sample_rate).samples
    finally:
        said += noted
        for message in noted:
            if issued is None or message not in issued:
                warn(message, AudioWarning, stacklevel=3)  # from the line that called predict_file(s)
            if issued is not None:
                issued.add(message)


def load(path: str | os.PathLike[str]) -> Classifier:
    """Load a model file (validating its manifest before its weights)."""
    return Classifier.load(path)
