"""The front end: full-band log-mel spectrograms, level-normalised per window.

Features are ``(..., n_mels, n_frames)``, time last. The mel filterbank spans
``f_min_hz`` to ``f_max_hz`` (by default the whole band up to Nyquist), unlike speech
front ends that stop at 5 kHz and so cannot hear cymbals, fret noise or string attack.

:class:`FeatureConfig` is stored in every model file, so a loaded model computes exactly
the features it was trained on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import torch

from .audio import valid_audio
from .errors import ParameterError

__all__ = ["FeatureConfig", "LogMel", "mel_filterbank", "log_mel"]


@dataclass(frozen=True)
class FeatureConfig:
    """Log-mel front-end parameters (all stored in the model file).

    ``f_max_hz=None`` means Nyquist (``sample_rate / 2``): the full band.
    """

    sample_rate: int = 22050
    n_fft: int = 1024
    hop_length: int = 512
    n_mels: int = 64
    f_min_hz: float = 20.0
    f_max_hz: float | None = None
    #: Dynamic range kept below each window's loudest cell, in dB: digital silence, band
    #: limits and codec holes all sit at the same floor instead of at arbitrary depths.
    top_db: float = 60.0

    def __post_init__(self) -> None:
        if not 4000 <= self.sample_rate <= 384_000:
            raise ParameterError(f"sample_rate must be 4000 to 384000 Hz, got {self.sample_rate}")
        if not (64 <= self.n_fft <= 16384 and 1 <= self.hop_length <= self.n_fft):
            raise ParameterError(
                f"need 64 <= n_fft <= 16384 and 1 <= hop_length <= n_fft, got n_fft={self.n_fft}, "
                f"hop_length={self.hop_length}"
            )
        if not 10 <= self.top_db <= 200:
            raise ParameterError(f"top_db must be in [10, 200] dB, got {self.top_db}")
        if not 8 <= self.n_mels <= self.n_fft // 2:
            raise ParameterError(f"n_mels must be in 8..{self.n_fft // 2}, got {self.n_mels}")
        if not 0 <= self.f_min_hz < self.top_hz:
            raise ParameterError(
                f"need 0 <= f_min_hz < f_max_hz <= sample_rate/2, got {self.f_min_hz}, {self.f_max_hz}"
            )

    @property
    def top_hz(self) -> float:
        nyquist = self.sample_rate / 2
        return nyquist if self.f_max_hz is None else min(float(self.f_max_hz), nyquist)

    def n_frames(self, n_samples: int) -> int:
        """Frames for ``n_samples`` of audio (centred STFT)."""
        return n_samples // self.hop_length + 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ParameterError(f"unknown feature settings {sorted(unknown)}")
        return cls(**data)


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + hz / 700.0)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


def mel_filterbank(config: FeatureConfig) -> np.ndarray:
    """Triangular HTK-scale mel filters, area-normalised, shape ``(n_mels, n_fft // 2 + 1)``."""
    n_bins = config.n_fft // 2 + 1
    fft_hz = np.linspace(0.0, config.sample_rate / 2, n_bins)
    mel_pts = np.linspace(_hz_to_mel(np.array(config.f_min_hz)), _hz_to_mel(np.array(config.top_hz)),
                          config.n_mels + 2)
    hz_pts = _mel_to_hz(mel_pts)
    lower, centre, upper = hz_pts[:-2, None], hz_pts[1:-1, None], hz_pts[2:, None]
    rising = (fft_hz[None, :] - lower) / np.maximum(centre - lower, 1e-9)
    falling = (upper - fft_hz[None, :]) / np.maximum(upper - centre, 1e-9)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    # Filters narrower than one FFT bin would be empty: give them their nearest bin.
    for i in np.flatnonzero(weights.sum(axis=1) == 0):
        weights[i, int(np.argmin(np.abs(fft_hz - centre[i, 0])))] = 1.0
    weights *= (2.0 / np.maximum(upper - lower, 1e-9))
    return weights.astype(np.float32)


class LogMel(torch.nn.Module):
    """Waveform ``(batch, samples)`` → normalised log-mel ``(batch, n_mels, n_frames)``.

    Each window is standardised over time and frequency (mean 0, and unit spread with a
    floor so that silence stays flat), which makes the model indifferent to recording
    level and microphone gain while keeping spectral shape and dynamics.
    """

    def __init__(self, config: FeatureConfig, *, normalise: bool = True) -> None:
        super().__init__()
        self.config = config
        self.normalise = normalise
        self.window: torch.Tensor
        self.mel: torch.Tensor
        self.register_buffer("window", torch.hann_window(config.n_fft), persistent=False)
        self.register_buffer("mel", torch.from_numpy(mel_filterbank(config)), persistent=False)

    def raw(self, waveform: torch.Tensor) -> torch.Tensor:
        """Log-mel (natural log of mel power), before per-window normalisation.

        The waveform's mean is taken out first: an interface's DC offset would otherwise
        be a step at the window's zero-padded edges, which a quiet room turns into clicks."""
        waveform = waveform - waveform.mean(dim=-1, keepdim=True)
        spec = torch.stft(
            waveform, n_fft=self.config.n_fft, hop_length=self.config.hop_length,
            window=self.window, center=True, pad_mode="constant", return_complex=True,
        )
        power = spec.real.square() + spec.imag.square()  # a quarter of the time of summing view_as_real's pairs
        logmel = torch.log(torch.matmul(self.mel, power) + 1e-10)
        floor = logmel.amax(dim=(-2, -1), keepdim=True) - self.config.top_db * (np.log(10) / 10)
        return torch.maximum(logmel, floor)

    @staticmethod
    def normalise_window(logmel: torch.Tensor) -> torch.Tensor:
        """Standardise each window over time and frequency; spread floored at 1 (silence stays flat)."""
        mean = logmel.mean(dim=(-2, -1), keepdim=True)
        std = logmel.std(dim=(-2, -1), keepdim=True).clamp_min(1.0)
        return (logmel - mean) / std

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        logmel = self.raw(waveform)
        return self.normalise_window(logmel) if self.normalise else logmel


def log_mel(samples: np.ndarray, *, sample_rate: int, config: FeatureConfig | None = None,
            normalise: bool = False) -> np.ndarray:
    """Log-mel spectrogram of mono ``samples`` (natural log of mel power), ``(n_mels, n_frames)``.

    ``sample_rate`` must equal ``config.sample_rate``; resample first with
    :func:`earmark.audio.resample` (earmark never resamples silently).

    Raises
    ------
    ParameterError
        If ``samples`` is not mono or ``sample_rate`` differs from ``config.sample_rate``.
    AudioDecodeError
        If ``samples`` is empty or holds NaN or infinite values.
    """
    samples = np.asarray(samples, dtype=np.float32)
    valid_audio(samples, sample_rate=sample_rate, source="log_mel")
    if samples.ndim != 1:
        raise ParameterError(
            f"log_mel expects mono samples of shape (samples,), got {samples.shape}; call to_mono first"
        )
    config = config or FeatureConfig(sample_rate=sample_rate)
    if sample_rate != config.sample_rate:
        raise ParameterError(
            f"audio is at {sample_rate} Hz but the features expect {config.sample_rate} Hz; "
            "resample it first"
        )
    with torch.no_grad():
        out = LogMel(config, normalise=normalise)(torch.from_numpy(np.ascontiguousarray(samples))[None])
    return out[0].numpy()
