"""Network architectures: waveform in, class logits out, front end included.

The architecture is separate from the task (labels, data, loss live in :mod:`earmark.train`).
A model file stores the architecture's name and parameters (:class:`ArchSpec`), so a loaded
model is rebuilt exactly. ``"cnn"`` is the default; ``"tiny"`` is a very small network for
tests and quick experiments.

How the convolutional body's output becomes one vector per window is the ``pooling``:

- ``"frequency-projection"`` (the default): the body's output keeps its frequency rows; a
  1x1 projection across (channel, frequency) learns which band each pattern lives in, then
  mean and max over time. Where a sound sits in frequency is much of what tells a bass
  note from a drum hit; measured on the cross-domain benchmark this pooling gains about
  three points over averaging frequency away (README, "How it learns").
- ``"frequency-mean"``: average over frequency, then mean and max over time. Model files
  written before ``pooling`` existed (format 1) use it.

A network trained on a frozen pretrained backbone also keeps the backbone's **concept head**
(``concepts``: the kinds of sound it was pretrained to tell apart, such as speech, ambience,
drum kit, bass) and a ``concept_map`` that says how each kind shares out over this model's
classes (:mod:`earmark.concepts`). Its output is the product of the two experts: the trained
head's probabilities times the probabilities the concepts give each class.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from .errors import ParameterError
from .features import FeatureConfig, LogMel

__all__ = ["ArchSpec", "ARCHITECTURES", "POOLINGS", "SoundNet", "build_model"]

ARCHITECTURES: dict[str, tuple[int, ...]] = {
    "cnn": (16, 32, 64, 128),
    "tiny": (8, 16, 16, 16),
}

POOLINGS: tuple[str, ...] = ("frequency-projection", "frequency-mean")
_LEGACY_POOLING = "frequency-mean"  # what a manifest without "pooling" was trained with
MAX_HEAD_HIDDEN = 4096
MAX_CHANNELS = 1024  # per convolutional block; wider is not a model earmark trains, and would take gigabytes


@dataclass(frozen=True)
class ArchSpec:
    """Which network to build: ``name`` in :data:`ARCHITECTURES`, its dropout and pooling, and the
    classifier head: linear (``head_hidden=0``, what every model file before it was written with) or
    one hidden layer of ``head_hidden`` ReLU units with dropout."""

    name: str = "cnn"
    dropout: float = 0.2
    channels: tuple[int, ...] = field(default=())
    pooling: str = "frequency-projection"
    concepts: tuple[str, ...] = field(default=())
    head_hidden: int = 0

    def __post_init__(self) -> None:
        if self.name not in ARCHITECTURES:
            raise ParameterError(f"unknown architecture {self.name!r}; choose one of {sorted(ARCHITECTURES)}")
        if not self.channels:
            object.__setattr__(self, "channels", ARCHITECTURES[self.name])
        if not (2 <= len(self.channels) <= 8 and all(1 <= c <= MAX_CHANNELS for c in self.channels)):
            raise ParameterError(f"channels must be 2 to 8 blocks of 1 to {MAX_CHANNELS} channels, "
                                 f"got {list(self.channels)}")
        if not 0 <= self.dropout < 1:
            raise ParameterError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.pooling not in POOLINGS:
            raise ParameterError(f"unknown pooling {self.pooling!r}; choose one of {list(POOLINGS)}")
        if not 0 <= self.head_hidden <= MAX_HEAD_HIDDEN:
            raise ParameterError(f"head_hidden must be 0 (a linear head) to {MAX_HEAD_HIDDEN}, got {self.head_hidden}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["channels"] = list(self.channels)
        d["concepts"] = list(self.concepts)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArchSpec:
        return cls(name=str(data["name"]), dropout=float(data.get("dropout", 0.2)),
                   channels=tuple(int(c) for c in data.get("channels", ())),
                   pooling=str(data.get("pooling", _LEGACY_POOLING)),
                   concepts=tuple(str(c) for c in data.get("concepts", ())),
                   head_hidden=int(data.get("head_hidden", 0)))


class _Conv2d(nn.Conv2d):
    """A convolution whose output is channels-last. From one input channel PyTorch gives the usual
    layout (the two are the same for one channel), and the max pooling after it is then the
    slowest step of the network: about 16 ms of 45 for a batch of 64 windows on one core."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x).contiguous(memory_format=torch.channels_last)


def _block(c_in: int, c_out: int, pool: tuple[int, int]) -> nn.Sequential:
    return nn.Sequential(
        _Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(pool),
    )


class SoundNet(nn.Module):
    """Log-mel front end + a compact 2-D CNN + pooling (:data:`POOLINGS`).

    Input ``(batch, samples)`` at ``features.sample_rate``; output ``(batch, n_classes)`` logits.
    :meth:`embed_features` gives the pooled features before the classifier.
    """

    concept_map: torch.Tensor  # (n_concepts, n_classes), registered when the network has a concept head

    def __init__(self, *, n_classes: int, features: FeatureConfig, arch: ArchSpec) -> None:
        super().__init__()
        self.frontend = LogMel(features)
        chans = (1, *arch.channels)
        layers = [_block(chans[i], chans[i + 1], (2, 2)) for i in range(len(chans) - 2)]
        layers.append(nn.Sequential(
            nn.Conv2d(chans[-2], chans[-1], 3, padding=1, bias=False),
            nn.BatchNorm2d(chans[-1]), nn.ReLU(inplace=True)))
        # Channels-last: on a CPU, PyTorch's max pooling over (batch, channels, rows, frames) is
        # slower than the convolutions around it; with channels last the body runs in about half
        # the time. (Model files keep the usual layout: ``modelfile`` makes the weights contiguous.)
        self.body = nn.Sequential(*layers)
        for weight in self.body.parameters():
            weight.data = weight.data.contiguous(memory_format=torch.channels_last if weight.dim() == 4 else
                                                 torch.contiguous_format)
        self.pooling = arch.pooling
        if arch.pooling == "frequency-projection":
            rows = features.n_mels >> (len(chans) - 2)  # each pooled block halves frequency (floor)
            if rows < 1:
                raise ParameterError(f"{features.n_mels} mel bands are too few for this network; "
                                     f"use at least {2 ** (len(chans) - 2)}")
            self.project = nn.Conv1d(chans[-1] * rows, chans[-1], 1)
        self.dropout = nn.Dropout(arch.dropout)
        width = 2 * chans[-1]
        self.head: nn.Module = nn.Linear(width, n_classes) if not arch.head_hidden else nn.Sequential(
            nn.Linear(width, arch.head_hidden), nn.ReLU(), nn.Dropout(arch.dropout),
            nn.Linear(arch.head_hidden, n_classes))
        self.concepts: nn.Linear | None = None
        self.concept_names = arch.concepts
        if arch.concepts:
            self.concepts = nn.Linear(width, len(arch.concepts))
            self.register_buffer("concept_map", torch.full((len(arch.concepts), n_classes), 1.0 / n_classes))

    def embed_features(self, feats: torch.Tensor) -> torch.Tensor:
        """Pooled embedding of normalised log-mel ``(batch, n_mels, n_frames)``."""
        h = self.body(feats.unsqueeze(1).contiguous(memory_format=torch.channels_last))  # (batch, chans, rows, frames)
        if self.pooling == "frequency-projection":
            b, c, rows, t = h.shape
            h = torch.relu(self.project(h.reshape(b, c * rows, t)))
        else:
            h = h.mean(dim=2)  # average over frequency
        return torch.cat([h.mean(dim=-1), h.amax(dim=-1)], dim=1)

    def forward_features(self, feats: torch.Tensor) -> torch.Tensor:
        """The classifier head's logits for normalised log-mel ``(batch, n_mels, n_frames)``: what training fits."""
        return self.head(self.dropout(self.embed_features(feats)))

    def concept_probabilities(self, feats: torch.Tensor) -> torch.Tensor:
        """How likely each of the backbone's concepts is, for normalised log-mel ``(batch, n_mels, n_frames)``."""
        return self._concepts_of(self.embed_features(feats))

    def _concepts_of(self, embedding: torch.Tensor) -> torch.Tensor:
        if self.concepts is None:
            raise ParameterError("this network has no concept head; build it with ArchSpec(concepts=...) "
                                 "to use a backbone's concepts")
        return torch.softmax(self.concepts(embedding), dim=-1)

    def folded(self) -> SoundNet:
        """A copy for inference with each batch norm folded into the convolution before it: the same
        function up to rounding (logits within about 1e-5), about 15 % faster on a CPU. The network
        must be in eval mode (in training mode batch norm uses each batch's own statistics)."""
        if self.training:
            raise ParameterError("only a network in eval mode can have its batch norms folded; call .eval() first")
        with torch.no_grad():
            out = copy.deepcopy(self)
            for block in out.body:
                if not isinstance(block, nn.Sequential):
                    continue
                conv, norm = block[0], block[1]
                if not (isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d) and conv.bias is None
                        and norm.running_mean is not None and norm.running_var is not None):
                    continue
                scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
                weight = (conv.weight * scale[:, None, None, None]).contiguous(memory_format=torch.channels_last)
                conv.weight = nn.Parameter(weight, requires_grad=False)
                conv.bias = nn.Parameter(norm.bias - norm.running_mean * scale, requires_grad=False)
                block[1] = nn.Identity()
        return out

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """Class scores whose softmax is the model's probabilities: the head's logits, or with a
        concept head, log of (head probabilities × concept-given class probabilities)."""
        feats = self.frontend(waveform)
        if self.concepts is None:
            return self.forward_features(feats)
        embedding = self.embed_features(feats)
        prior = self._concepts_of(embedding) @ self.concept_map
        return torch.log_softmax(self.head(self.dropout(embedding)), dim=-1) + torch.log(prior + 1e-6)


def build_model(*, n_classes: int, features: FeatureConfig, arch: ArchSpec) -> SoundNet:
    if n_classes < 2:
        raise ParameterError(f"a classifier needs at least 2 classes, got {n_classes}")
    return SoundNet(n_classes=n_classes, features=features, arch=arch)
