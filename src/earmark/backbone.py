"""Pretrained backbones: starting weights that ship inside earmark.

A backbone is the convolutional body and frequency projection of a :class:`~earmark.model.SoundNet`,
pretrained by earmark's developers on a large, varied corpus: the 16 General MIDI instrument
families played as phrases by three different synthesisers, drum kits, speech, everyday
sounds and ambience (``pretraining/README.md`` says exactly what and how), plus its
**concept head**, the classifier of those 20 kinds of sound. Training on a user's few
examples then starts from features that already tell a bass line from a voice and a drum
hit from a door knock, instead of from random weights. By default the body stays frozen and
only a new classifier head learns, and the concept head comes along into the trained model
(:mod:`earmark.concepts`); ``TrainSettings(freeze_backbone=False)`` fine-tunes every weight
instead and leaves the concept head out.

Each backbone is one safetensors file in ``earmark/backbones/`` whose metadata describes
it: the architecture and front end it fits, what it was trained on, and a digest of its
weights. No weights are ever downloaded.

Names: ``"auto"`` (the default) takes :data:`DEFAULT_BACKBONE` when it fits the architecture
and front end being trained, else starts from scratch; ``"none"`` always starts from
scratch; any other name must be a shipped backbone that fits.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import torch
from safetensors import SafetensorError, safe_open

from .errors import ModelFileError, ParameterError
from .features import FeatureConfig
from .model import ArchSpec, SoundNet

__all__ = ["AUTO", "NONE", "DEFAULT_BACKBONE", "BackboneInfo", "available_backbones", "backbone_info",
           "resolve_backbone", "load_backbone", "weights_digest"]

AUTO = "auto"
NONE = "none"
DEFAULT_BACKBONE = "gm-families-v4"
CONCEPT_KEYS = ("concepts.weight", "concepts.bias")


@dataclass(frozen=True)
class BackboneInfo:
    """What a backbone file says about itself."""

    name: str
    path: Path
    arch: ArchSpec
    features: FeatureConfig
    classes: tuple[str, ...]
    trained_on: str
    weights_sha256: str
    has_concepts: bool = False  # whether the file holds the concept head (CONCEPT_KEYS) for ``classes``

    def fits(self, arch: ArchSpec, features: FeatureConfig) -> bool:
        """Whether its weights have the shapes, and its features the meaning, of this network's."""
        return (arch.name, arch.channels, arch.pooling) == (self.arch.name, self.arch.channels,
                                                           self.arch.pooling) and features == self.features

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arch": self.arch.to_dict(), "features": self.features.to_dict(),
                "classes": list(self.classes), "trained_on": self.trained_on,
                "weights_sha256": self.weights_sha256, "has_concepts": self.has_concepts}


def _folder() -> Path:
    return Path(str(resources.files("earmark") / "backbones"))


def _read_info(path: Path) -> BackboneInfo:
    if path.exists() and not os.access(path, os.R_OK):  # safetensors reports a file it may not read as missing
        raise ModelFileError(f"the backbone file {path} cannot be read by this user (permission denied); "
                             f"make it readable (chmod a+r '{path}') or reinstall earmark")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            keys = set(f.keys())
        return BackboneInfo(name=meta["name"], path=path, arch=ArchSpec.from_dict(json.loads(meta["arch"])),
                            features=FeatureConfig.from_dict(json.loads(meta["features"])),
                            classes=tuple(json.loads(meta["classes"])), trained_on=meta["trained_on"],
                            weights_sha256=meta["weights_sha256"], has_concepts=set(CONCEPT_KEYS) <= keys)
    except (OSError, SafetensorError, KeyError, TypeError, ValueError, ParameterError) as exc:
        raise ModelFileError(f"the backbone file {path} is damaged or not an earmark backbone ({exc}); "
                             "reinstall earmark") from exc


@cache
def available_backbones() -> Mapping[str, BackboneInfo]:
    """The backbones shipped with this earmark, by name (each file is named after its backbone)."""
    shipped: dict[str, BackboneInfo] = {}
    for path in sorted(_folder().glob("*.safetensors")):
        info = _read_info(path)
        if info.name != path.stem:
            raise ModelFileError(f"the backbone file {path} says it is {info.name!r}; reinstall earmark")
        shipped[info.name] = info
    return MappingProxyType(shipped)


def backbone_info(name: str) -> BackboneInfo:
    shipped = available_backbones()
    if name not in shipped:
        raise ParameterError(f"unknown backbone {name!r}; choose one of {[AUTO, NONE, *sorted(shipped)]}")
    return shipped[name]


def resolve_backbone(name: str, *, arch: ArchSpec, features: FeatureConfig) -> str:
    """The backbone a training run starts from: a shipped name, or ``"none"``."""
    if name == NONE:
        return NONE
    if name == AUTO:
        default = available_backbones().get(DEFAULT_BACKBONE)
        if default is None:
            raise ModelFileError(f"earmark's pretrained backbone {DEFAULT_BACKBONE!r} is missing from this "
                                 f"installation ({_folder()}); reinstall earmark, or train from scratch "
                                 "(backbone='none'; earmark train --backbone none)")
        return DEFAULT_BACKBONE if default.fits(arch, features) else NONE
    info = backbone_info(name)
    if not info.fits(arch, features):
        raise ParameterError(
            f"backbone {name!r} was pretrained for the {info.arch.name!r} network with "
            f"{info.features.n_mels} mel bands at {info.features.sample_rate} Hz; train that network, "
            f"or start from scratch (backbone='none'; earmark train --backbone none)")
    return name


def weights_digest(tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 over the tensors' names, shapes and bytes, in name order."""
    h = hashlib.sha256()
    for key in sorted(tensors):
        t = tensors[key].detach().contiguous().cpu()
        h.update(f"{key}:{tuple(t.shape)}:{t.dtype}".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def load_backbone(model: SoundNet, name: str) -> None:
    """Copy backbone ``name``'s weights into ``model``: all but the classifier head (and the concept
    head only when ``model`` has one, with the backbone's concepts)."""
    info = backbone_info(name)
    with safe_open(str(info.path), framework="pt") as f:
        tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118 (safe_open is no dict)
    if weights_digest(tensors) != info.weights_sha256:
        raise ModelFileError(f"the backbone file {info.path} does not match its digest; reinstall earmark")
    own = model.state_dict()
    body = {k for k in own if not k.startswith(("head.", "concept"))}
    if model.concepts is not None:
        if not info.has_concepts:
            raise ParameterError(f"backbone {name!r} has no concept head; build the network without concepts")
        if model.concept_names != info.classes:
            raise ParameterError(f"this network's concepts {list(model.concept_names)[:3]}... are not backbone "
                                 f"{name!r}'s; build it with ArchSpec(concepts=backbone_info({name!r}).classes)")
        body |= set(CONCEPT_KEYS)
    else:
        tensors = {k: v for k, v in tensors.items() if k not in CONCEPT_KEYS}
    wrong = sorted(set(tensors) ^ body) + [k for k in set(tensors) & body if own[k].shape != tensors[k].shape]
    if wrong:
        raise ParameterError(f"backbone {name!r} does not fit this network ({wrong[0]!r} differs); train "
                             "from scratch (backbone='none'; earmark train --backbone none), or reinstall earmark")
    model.load_state_dict(tensors, strict=False)
