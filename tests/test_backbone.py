"""The pretrained backbone that ships inside earmark: self-description, choice, loading, checks."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

import earmark.backbone as bb
from earmark.errors import ModelFileError, ParameterError
from earmark.features import FeatureConfig
from earmark.model import ArchSpec, build_model
from earmark.train import HEAD_HIDDEN_FROZEN, LEARNING_RATE, LEARNING_RATE_TUNING_BACKBONE, TrainSettings, train


def test_the_default_backbone_ships_and_describes_itself() -> None:
    info = bb.backbone_info(bb.DEFAULT_BACKBONE)
    assert info.path.is_file() and info.path.stat().st_size < 2 * 1024 * 1024
    assert info.fits(ArchSpec(), FeatureConfig())
    assert "bass" in info.classes and "speech" in info.classes and "drum kit" in info.classes
    assert "MuseScore" in info.trained_on
    d = info.to_dict()
    assert d["arch"]["name"] == "cnn" and d["features"]["n_mels"] == 64 and len(d["weights_sha256"]) == 64


def test_auto_takes_the_default_only_where_it_fits() -> None:
    features = FeatureConfig()
    assert bb.resolve_backbone("auto", arch=ArchSpec(), features=features) == bb.DEFAULT_BACKBONE
    assert bb.resolve_backbone("auto", arch=ArchSpec(name="tiny"), features=features) == "none"
    assert bb.resolve_backbone("auto", arch=ArchSpec(), features=FeatureConfig(n_mels=96)) == "none"
    assert bb.resolve_backbone("none", arch=ArchSpec(), features=features) == "none"


def test_an_explicit_backbone_that_does_not_fit_says_what_to_do() -> None:
    with pytest.raises(ParameterError, match="backbone='none'"):
        bb.resolve_backbone(bb.DEFAULT_BACKBONE, arch=ArchSpec(name="tiny"), features=FeatureConfig())
    with pytest.raises(ParameterError, match="unknown backbone 'nope'.*gm-families-v4"):
        bb.resolve_backbone("nope", arch=ArchSpec(), features=FeatureConfig())


def test_loading_copies_every_weight_but_the_head() -> None:
    torch.manual_seed(0)
    info = bb.backbone_info(bb.DEFAULT_BACKBONE)
    assert info.has_concepts
    for arch in (ArchSpec(), ArchSpec(concepts=info.classes)):
        model = build_model(n_classes=3, features=FeatureConfig(), arch=arch)
        head_before = model.head.weight.detach().clone()
        bb.load_backbone(model, bb.DEFAULT_BACKBONE)
        with safe_open(str(info.path), framework="pt") as f:
            keys = [k for k in f.keys() if arch.concepts or k not in bb.CONCEPT_KEYS]  # noqa: SIM118
            assert sorted(keys) == sorted(k for k in model.state_dict() if not k.startswith(("head.", "concept_map")))
            for key in keys:
                assert torch.equal(model.state_dict()[key], f.get_tensor(key)), key
        assert torch.equal(model.head.weight, head_before)


def test_concepts_that_are_not_the_backbones_are_refused() -> None:
    names = bb.backbone_info(bb.DEFAULT_BACKBONE).classes
    for concepts in (("a", "b"), tuple(reversed(names))):  # another size, or the same size but other names
        model = build_model(n_classes=3, features=FeatureConfig(), arch=ArchSpec(concepts=concepts))
        with pytest.raises(ParameterError, match=r"are not backbone .*; build it with ArchSpec\(concepts="):
            bb.load_backbone(model, bb.DEFAULT_BACKBONE)


def test_settings_keep_what_the_user_asked_and_resolve_it_at_the_start() -> None:
    default = TrainSettings()
    assert (default.backbone, default.learning_rate) == ("auto", None)
    assert default.start() == (bb.DEFAULT_BACKBONE, LEARNING_RATE)
    assert TrainSettings(freeze_backbone=False).start() == (bb.DEFAULT_BACKBONE, LEARNING_RATE_TUNING_BACKBONE)
    assert TrainSettings(backbone="none").start() == ("none", LEARNING_RATE)
    # changing the network later re-decides "auto" instead of keeping a backbone that no longer fits
    assert replace(default, arch="tiny").start() == ("none", LEARNING_RATE)
    assert replace(default, n_mels=96).start() == ("none", LEARNING_RATE)
    assert TrainSettings(learning_rate=0.01).start() == (bb.DEFAULT_BACKBONE, 0.01)
    assert LEARNING_RATE_TUNING_BACKBONE < LEARNING_RATE
    assert default.head_hidden is None
    assert default.resolved() == TrainSettings(backbone=bb.DEFAULT_BACKBONE, learning_rate=LEARNING_RATE,
                                               head_hidden=HEAD_HIDDEN_FROZEN)


@pytest.fixture
def backbone_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private copy of the shipped backbones folder, so a test can damage it."""
    folder = tmp_path / "backbones"
    shutil.copytree(bb.backbone_info(bb.DEFAULT_BACKBONE).path.parent, folder)
    monkeypatch.setattr(bb, "_folder", lambda: folder)
    bb.available_backbones.cache_clear()
    yield folder
    bb.available_backbones.cache_clear()


def test_weights_that_do_not_match_their_digest_are_refused(backbone_folder: Path) -> None:
    path = backbone_folder / f"{bb.DEFAULT_BACKBONE}.safetensors"
    with safe_open(str(path), framework="pt") as f:
        meta, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    key = sorted(tensors)[0]
    tensors[key] = tensors[key] + 1.0
    save_file(tensors, str(path), metadata=meta)
    model = build_model(n_classes=3, features=FeatureConfig(), arch=ArchSpec())
    with pytest.raises(ModelFileError, match="digest; reinstall earmark"):
        bb.load_backbone(model, bb.DEFAULT_BACKBONE)


def test_a_missing_default_backbone_is_an_installation_error(backbone_folder: Path) -> None:
    (backbone_folder / f"{bb.DEFAULT_BACKBONE}.safetensors").unlink()
    with pytest.raises(ModelFileError, match="missing from this installation.*reinstall earmark.*backbone='none'"):
        TrainSettings().start()
    assert TrainSettings(backbone="none").start()[0] == "none"


def test_a_backbone_file_whose_name_and_metadata_disagree_is_refused(backbone_folder: Path) -> None:
    (backbone_folder / f"{bb.DEFAULT_BACKBONE}.safetensors").rename(backbone_folder / "other.safetensors")
    with pytest.raises(ModelFileError, match="says it is 'gm-families-v4'; reinstall earmark"):
        bb.available_backbones()


def test_a_damaged_backbone_file_is_reported(backbone_folder: Path) -> None:
    path = backbone_folder / f"{bb.DEFAULT_BACKBONE}.safetensors"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ModelFileError, match="damaged or not an earmark backbone"):
        bb.available_backbones()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root and setpriv to read the file as another user")
def test_a_backbone_file_another_user_may_not_read_says_so() -> None:
    """A backbone installed 0600 by root: the user is told it is a permission, not that it is missing."""
    with tempfile.TemporaryDirectory() as tmp:  # pytest's own folders are root's alone
        folder = Path(tmp) / "backbones"
        shutil.copytree(bb.backbone_info(bb.DEFAULT_BACKBONE).path.parent, folder)
        (folder / f"{bb.DEFAULT_BACKBONE}.safetensors").chmod(0o600)
        Path(tmp).chmod(0o755)
        folder.chmod(0o755)
        result = _run_as_nobody(folder)
    if "Permission denied" in result.stderr and "ModelFileError" not in result.stdout:
        pytest.skip(f"this checkout is not readable by another user: {result.stderr.strip().splitlines()[-1]}")
    assert re.search(r"^ModelFileError the backbone file .* cannot be read by this user \(permission denied\); "
                     r"make it readable \(chmod a\+r ", result.stdout), (result.stdout, result.stderr)


def _run_as_nobody(folder: Path) -> subprocess.CompletedProcess[str]:
    code = ("import pathlib, earmark.backbone as bb\n"
            f"bb._folder = lambda: pathlib.Path({str(folder)!r})\n"
            "try:\n    bb.available_backbones()\nexcept Exception as exc:\n    print(type(exc).__name__, exc)\n")
    src = str(Path(bb.__file__).parents[1])
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", code],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": src}, cwd="/", timeout=120)


def test_a_backbone_for_another_network_is_refused_by_shape(backbone_folder: Path) -> None:
    tiny = build_model(n_classes=3, features=FeatureConfig(), arch=ArchSpec(name="tiny"))
    tensors = {k: v.contiguous() for k, v in tiny.state_dict().items() if not k.startswith("head.")}
    meta = {"name": "liar", "arch": json.dumps(ArchSpec().to_dict()),
            "features": json.dumps(FeatureConfig().to_dict()), "classes": "[]", "trained_on": "a test",
            "weights_sha256": bb.weights_digest(tensors)}
    save_file(tensors, str(backbone_folder / "liar.safetensors"), metadata=meta)
    model = build_model(n_classes=3, features=FeatureConfig(), arch=ArchSpec())
    with pytest.raises(ParameterError, match="does not fit this network.*backbone='none'"):
        bb.load_backbone(model, "liar")


@pytest.mark.slow
def test_training_records_the_backbone_it_started_from(small_dataset: Path) -> None:
    quick = {"epochs": 1, "steps_per_epoch": 2, "batch_size": 8, "workers": 0}
    clf = train(small_dataset, settings=TrainSettings(**quick), progress=False)
    assert clf.manifest.training["backbone"] == bb.DEFAULT_BACKBONE
    assert clf.manifest.training["learning_rate"] == LEARNING_RATE
    tiny = train(small_dataset, settings=TrainSettings(arch="tiny", **quick), progress=False)
    assert tiny.manifest.training["backbone"] == "none"
    assert tiny.manifest.training["learning_rate"] == LEARNING_RATE
    with pytest.raises(ParameterError, match="backbone='none'"):
        train(small_dataset, settings=TrainSettings(arch="tiny", backbone=bb.DEFAULT_BACKBONE, **quick),
              progress=False)


@pytest.mark.slow
def test_the_backbone_is_where_training_starts(small_dataset: Path) -> None:
    """Two runs that differ only in their start end up with different weights: the backbone is used."""
    quick = {"epochs": 1, "steps_per_epoch": 1, "batch_size": 8, "workers": 0, "learning_rate": 1e-4}
    pretrained = train(small_dataset, settings=TrainSettings(**quick), progress=False)
    scratch = train(small_dataset, settings=TrainSettings(backbone="none", **quick), progress=False)
    with safe_open(str(bb.backbone_info(bb.DEFAULT_BACKBONE).path), framework="pt") as f:
        key = "body.0.0.weight"
        shipped = f.get_tensor(key)
    near = (pretrained.model.state_dict()[key] - shipped).abs().max().item()
    far = (scratch.model.state_dict()[key] - shipped).abs().max().item()
    assert near < 0.05 < far
