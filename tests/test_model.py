"""Tests for earmark.model: the networks build for any sensible front end and pool as named."""

from __future__ import annotations

import pytest
import torch

from earmark.errors import ParameterError
from earmark.features import FeatureConfig
from earmark.model import POOLINGS, ArchSpec, build_model


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("n_mels", [8, 40, 64, 96])
def test_every_pooling_gives_one_logit_per_class_for_any_mel_count(pooling: str, n_mels: int) -> None:
    model = build_model(n_classes=3, features=FeatureConfig(sample_rate=16000, n_mels=n_mels),
                        arch=ArchSpec(name="tiny", pooling=pooling)).eval()
    with torch.no_grad():
        logits = model(torch.randn(2, 16000))
    assert logits.shape == (2, 3)
    assert torch.isfinite(logits).all()


def test_frequency_projection_tells_where_a_pattern_sits_in_frequency() -> None:
    """The same spectro-temporal pattern low or high in the spectrum: averaging frequency away
    nearly erases the difference, the projection keeps it (what it is there for)."""
    torch.manual_seed(0)
    feats = torch.zeros(2, 64, 43)
    feats[0, 4:12, 10:30] = 3.0   # a low band
    feats[1, 44:52, 10:30] = 3.0  # the same band, high
    gaps = {}
    for pooling in POOLINGS:
        torch.manual_seed(0)
        model = build_model(n_classes=3, features=FeatureConfig(sample_rate=22050),
                            arch=ArchSpec(name="cnn", pooling=pooling)).eval()
        with torch.no_grad():
            e = model.embed_features(feats)
        gaps[pooling] = float((e[0] - e[1]).norm() / (e.norm(dim=1).mean() + 1e-9))
    assert gaps["frequency-projection"] > 2 * gaps["frequency-mean"]


def test_an_unknown_pooling_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"unknown pooling 'attention'; choose one of"):
        ArchSpec(pooling="attention")


def test_a_network_deeper_than_the_mel_bands_allow_says_how_many_it_needs() -> None:
    arch = ArchSpec(name="tiny", channels=(4, 4, 4, 4, 4, 4))  # five halvings of frequency
    with pytest.raises(ParameterError, match=r"8 mel bands are too few for this network; use at least 32"):
        build_model(n_classes=2, features=FeatureConfig(sample_rate=16000, n_mels=8), arch=arch)


def test_a_hidden_head_layer_is_built_as_asked_and_older_specs_mean_a_linear_head() -> None:
    model = build_model(n_classes=4, features=FeatureConfig(), arch=ArchSpec(head_hidden=32)).eval()
    assert [type(m).__name__ for m in model.head.children()] == ["Linear", "ReLU", "Dropout", "Linear"]
    with torch.no_grad():
        assert model(torch.randn(2, 22050)).shape == (2, 4)
    assert ArchSpec.from_dict(ArchSpec(head_hidden=32).to_dict()).head_hidden == 32
    legacy = ArchSpec().to_dict()
    del legacy["head_hidden"]  # what a model file written before the setting holds
    assert ArchSpec.from_dict(legacy).head_hidden == 0
    assert isinstance(build_model(n_classes=2, features=FeatureConfig(), arch=ArchSpec.from_dict(legacy)).head,
                      torch.nn.Linear)


@pytest.mark.parametrize("hidden", [-1, 5000])
def test_a_head_width_out_of_range_is_refused(hidden: int) -> None:
    with pytest.raises(ParameterError, match=r"head_hidden must be 0 \(a linear head\) to 4096"):
        ArchSpec(head_hidden=hidden)


@pytest.mark.parametrize("arch", ["tiny", "cnn"])
def test_folding_the_batch_norms_keeps_the_function(arch: str) -> None:
    """Batch norms with learnt statistics folded into the convolutions before them: the same logits
    (to rounding), the original network untouched, and no folding of a network still training."""
    torch.manual_seed(0)
    model = build_model(n_classes=3, features=FeatureConfig(sample_rate=16000),
                        arch=ArchSpec(name=arch, concepts=("a", "b"), head_hidden=8))
    model.train()
    with torch.no_grad():
        for _ in range(3):  # running statistics away from their initial 0 and 1
            model(torch.randn(16, 16000) * 3)
        for norm in (m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)):
            norm.weight.uniform_(0.5, 2.0)
            norm.bias.uniform_(-1.0, 1.0)
    with pytest.raises(ParameterError, match="eval mode"):
        model.folded()
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    folded = model.folded()
    x = torch.randn(8, 16000)
    with torch.no_grad():
        torch.testing.assert_close(folded(x), model(x), atol=1e-4, rtol=1e-4)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
