"""The concept prior: the backbone's kinds of sound, shared out over a model's classes (earmark.concepts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open

import earmark
import earmark.backbone as bb
from conftest import SR, bass_note
from earmark.concepts import PRIOR_CLIPS, concept_map, prior_weight
from earmark.errors import ParameterError
from earmark.features import FeatureConfig
from earmark.model import ArchSpec, build_model
from earmark.modelfile import read_manifest
from earmark.train import TrainSettings, train

QUICK = {"epochs": 1, "steps_per_epoch": 2, "batch_size": 8, "workers": 0}
LONGER = {"epochs": 2, "steps_per_epoch": 10, "batch_size": 8, "workers": 0}  # enough steps for averaging to drift


def test_a_kind_of_sound_no_example_shows_belongs_to_the_background() -> None:
    # clips of class 1 are concept 0, clips of class 2 are concept 1; concept 2 appears nowhere
    probs = np.array([[1.0, 0, 0]] * 10 + [[0, 1.0, 0]] * 10 + [[0.5, 0.5, 0]] * 4)
    classes = np.array([1] * 10 + [2] * 10 + [0] * 4)
    m = concept_map(probs, classes, n_classes=3, background=0, prior_clips=PRIOR_CLIPS)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    assert m[2].tolist() == [1.0, 0.0, 0.0]
    assert m[0].argmax() == 1 and m[1].argmax() == 2
    # the background's own evidence and the prior both count for it
    np.testing.assert_allclose(m[0], np.array([2 + PRIOR_CLIPS, 10, 0]) / (12 + PRIOR_CLIPS))


def test_little_evidence_is_not_enough_to_claim_a_concept() -> None:
    probs = np.array([[1.0, 0.0]] * 2 + [[0.0, 1.0]] * 2)
    m = concept_map(probs, np.array([1, 1, 0, 0]), n_classes=2, background=0, prior_clips=5.0)
    assert m[0].argmax() == 0  # two clips of class 1 are fewer than five clips' worth of prior
    m = concept_map(probs, np.array([1, 1, 0, 0]), n_classes=2, background=0, prior_clips=1.0)
    assert m[0].argmax() == 1


def test_the_prior_scales_with_the_data_up_to_five_clips() -> None:
    assert prior_weight(np.repeat([0, 1, 2], 100), 3) == PRIOR_CLIPS
    assert prior_weight(np.repeat([0, 1, 2], 4), 3) == pytest.approx(0.2)
    # four clips per class: what the bass clips show is theirs, even against background clips that
    # show some of it too (brown noise sounds a little like a bass)
    probs = np.array([[0.2, 0.8]] * 4 + [[0.8, 0.2]] * 4)
    m = concept_map(probs, np.array([0] * 4 + [1] * 4), n_classes=2, background=0)
    assert m[0].argmax() == 1 and m[1].argmax() == 0


def test_concept_map_refuses_mismatched_input() -> None:
    with pytest.raises(ParameterError, match="one row of concept probabilities per clip"):
        concept_map(np.ones((3, 4)), np.array([0, 1]), n_classes=2, background=0)
    with pytest.raises(ParameterError, match="background must index one of the 2 classes, got 2"):
        concept_map(np.ones((2, 4)), np.array([0, 1]), n_classes=2, background=2)
    with pytest.raises(ParameterError, match=r"class indices must be in \[0, 2\), got -1..1"):
        concept_map(np.ones((2, 4)), np.array([-1, 1]), n_classes=2, background=0)
    with pytest.raises(ParameterError, match="prior_clips must be positive, got 0"):
        concept_map(np.ones((2, 4)), np.array([0, 1]), n_classes=2, background=0, prior_clips=0)


def test_the_model_multiplies_its_head_by_the_concepts() -> None:
    torch.manual_seed(0)
    model = build_model(n_classes=3, features=FeatureConfig(), arch=ArchSpec(concepts=("a", "b", "c", "d"))).eval()
    cmap = torch.softmax(torch.randn(4, 3), dim=1)
    model.concept_map.copy_(cmap)
    x = torch.from_numpy(np.stack([bass_note(np.random.default_rng(i), sample_rate=22050, duration_s=1.0)
                                   for i in range(2)]))
    with torch.no_grad():
        fused = torch.softmax(model(x), dim=-1)
        feats = model.frontend(x)
        head = torch.softmax(model.forward_features(feats), dim=-1)
        prior = model.concept_probabilities(feats) @ cmap
    expected = head * (prior + 1e-6)
    torch.testing.assert_close(fused, expected / expected.sum(dim=1, keepdim=True))
    # by hand: a head sure of class 0 and concepts that all belong to class 2 meet in between
    model.head.weight.data.zero_()
    model.head.bias.data.copy_(torch.tensor([2.0, 0.0, 0.0]))
    model.concept_map.copy_(torch.tensor([[0.0, 0.0, 1.0]] * 4))
    with torch.no_grad():
        p = torch.softmax(model(x), dim=-1)[0]
    head_p = np.exp([2.0, 0, 0]) / np.exp([2.0, 0, 0]).sum()
    by_hand = head_p * (np.array([0, 0, 1.0]) + 1e-6)
    np.testing.assert_allclose(p.numpy(), by_hand / by_hand.sum(), rtol=1e-4)
    assert p.argmax() == 2
    plain = build_model(n_classes=3, features=FeatureConfig(), arch=ArchSpec())
    with pytest.raises(ParameterError, match="no concept head"):
        plain.concept_probabilities(feats)


@pytest.mark.slow
def test_training_on_the_frozen_backbone_keeps_its_body_and_concepts(tmp_path: Path, small_dataset: Path) -> None:
    clf = train(small_dataset, settings=TrainSettings(**LONGER), progress=False)
    info = bb.backbone_info(bb.DEFAULT_BACKBONE)
    assert clf.manifest.arch.concepts == info.classes and clf.manifest.training["freeze_backbone"] is True
    state = clf.model.state_dict()
    with safe_open(str(info.path), framework="pt") as f:
        for key in f.keys():  # noqa: SIM118 (safe_open is no dict)
            assert torch.equal(state[key], f.get_tensor(key)), key  # body, batch-norm statistics, concept head
    cmap = state["concept_map"].numpy()
    assert cmap.shape == (len(info.classes), len(clf.labels))
    np.testing.assert_allclose(cmap.sum(axis=1), 1.0, rtol=1e-5)
    # the small dataset has no voices: speech is background; its bass notes claim the bass concept
    background, bass = clf.labels.index("background"), clf.labels.index("bass")
    assert cmap[info.classes.index("speech")].argmax() == background
    assert cmap[info.classes.index("bass")].argmax() == bass
    # the model file keeps all of it
    path = clf.save(tmp_path / "m.earmark")
    assert read_manifest(path).arch.concepts == info.classes
    with safe_open(str(path), framework="pt") as f:
        assert (f.metadata() or {})["format_version"] == "4"  # the default head has a hidden layer
    again = earmark.load(path)
    assert again.manifest.arch.concepts == info.classes
    y = bass_note(np.random.default_rng(7), sample_rate=SR, duration_s=2.0)
    assert again.predict(y, sample_rate=SR).probabilities == pytest.approx(
        clf.predict(y, sample_rate=SR).probabilities, abs=1e-6)


@pytest.mark.slow
def test_fine_tuning_the_backbone_leaves_the_concepts_out(small_dataset: Path) -> None:
    clf = train(small_dataset, settings=TrainSettings(freeze_backbone=False, learning_rate=1e-3, **QUICK),
                progress=False)
    assert clf.manifest.arch.concepts == () and clf.model.concepts is None
    scratch = train(small_dataset, settings=TrainSettings(backbone="none", **QUICK), progress=False)
    assert scratch.manifest.training["freeze_backbone"] is False  # nothing was frozen: the file says so
    with safe_open(str(bb.backbone_info(bb.DEFAULT_BACKBONE).path), framework="pt") as f:
        shipped = f.get_tensor("body.0.0.weight")
    assert not torch.equal(clf.model.state_dict()["body.0.0.weight"], shipped)


@pytest.mark.slow
def test_without_a_background_class_there_is_no_concept_prior(tmp_path: Path, small_dataset: Path) -> None:
    data = tmp_path / "data"
    for name in ("bass", "drums"):
        (data / name).mkdir(parents=True)
        for f in (small_dataset / name).iterdir():
            (data / name / f.name).write_bytes(f.read_bytes())
    clf = train(data, settings=TrainSettings(require_background=False, **QUICK), progress=False)
    assert clf.manifest.arch.concepts == () and clf.manifest.training["backbone"] == bb.DEFAULT_BACKBONE
