"""Shared fixtures: small real audio made on the fly (seeded), never mocks of the core."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import soundfile as sf
import torch

from earmark.classifier import Classifier
from earmark.features import FeatureConfig
from earmark.model import ArchSpec, build_model
from earmark.modelfile import Manifest
from earmark.train import TrainSettings, train

SR = 22050


def bass_note(rng: np.random.Generator, *, sample_rate: int = SR, duration_s: float = 1.2) -> np.ndarray:
    """A plucked low note: decaying harmonic tone between E1 and G3."""
    f0 = 41.2 * 2 ** (rng.integers(0, 27) / 12)
    t = np.arange(int(duration_s * sample_rate)) / sample_rate
    y = sum(np.sin(2 * np.pi * f0 * k * t) / k**1.3 for k in range(1, 9))
    env = np.exp(-t * rng.uniform(1.5, 4)) * np.minimum(1, t / 0.005)
    return (0.5 * y * env / np.max(np.abs(y * env))).astype(np.float32)


def drum_hit(rng: np.random.Generator, *, sample_rate: int = SR, duration_s: float = 0.8) -> np.ndarray:
    """A hit: a noise burst (snare/hat) or a pitch-dropping thump (kick), fast decay."""
    n = int(duration_s * sample_rate)
    t = np.arange(n) / sample_rate
    if rng.random() < 0.5:
        y = rng.standard_normal(n) * np.exp(-t * rng.uniform(15, 40))
    else:
        f = 50 + 120 * np.exp(-t * 30)
        y = (np.sin(2 * np.pi * np.cumsum(f) / sample_rate) * np.exp(-t * 8)
             + 0.2 * rng.standard_normal(n) * np.exp(-t * 60))
    return (0.6 * y / np.max(np.abs(y))).astype(np.float32)


def room_noise(rng: np.random.Generator, *, sample_rate: int = SR, duration_s: float = 1.5) -> np.ndarray:
    """Quiet brownish noise with a little hum."""
    n = int(duration_s * sample_rate)
    y = np.cumsum(rng.standard_normal(n))
    y -= np.convolve(y, np.ones(200) / 200, mode="same")
    t = np.arange(n) / sample_rate
    y = y / np.std(y) + 0.3 * np.sin(2 * np.pi * 50 * t)
    return (0.02 * y).astype(np.float32)


MAKERS = {"background": room_noise, "bass": bass_note, "drums": drum_hit}


def write_dataset(root: Path, *, per_class: int, seed: int, background_folder: str = "background") -> Path:
    rng = np.random.default_rng(seed)
    for label, make in MAKERS.items():
        folder = root / (background_folder if label == "background" else label)
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            sf.write(folder / f"{label}_{i:03d}.wav", make(rng), SR, subtype="PCM_16")
    return root


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-class dataset of generated notes, hits and room tone: 12 clips per class."""
    return write_dataset(tmp_path_factory.mktemp("data") / "train", per_class=12, seed=1)


@pytest.fixture(scope="session")
def small_testset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("data") / "test", per_class=6, seed=2,
                         background_folder="_background_noise_")


# -- models ------------------------------------------------------------------------------------------

LABELS = ["background", "bass", "drums"]

#: Enough steps, without augmentation, for the tiny network to learn the three generated
#: classes (100 % on small_testset for seeds 0-4 when measured), in about two seconds.
#: Window, hop and rate are spelled out because tests of prediction timing rely on them.
LEARNING_SETTINGS = TrainSettings(arch="tiny", epochs=4, steps_per_epoch=15, batch_size=16, augment=False, seed=0,
                                  window_s=1.0, hop_s=0.5, sample_rate=SR)


@pytest.fixture(scope="session", autouse=True)
def _single_torch_thread() -> Iterator[None]:
    """One intra-op thread: tiny tensors gain nothing from more, spinning OpenMP threads on a
    busy shared machine make a training step 10-20x slower, and one thread keeps runs bit-exact."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def untrained_classifier(*, sample_rate: int = SR, seed: int = 0, window_s: float = 1.0, hop_s: float = 0.5,
                         labels: tuple[str, ...] = tuple(LABELS),
                         pooling: str = ArchSpec.pooling) -> Classifier:
    """A tiny classifier with seeded random weights: instant, for plumbing tests (not learning)."""
    torch.manual_seed(seed)
    features = FeatureConfig(sample_rate=sample_rate)
    arch = ArchSpec(name="tiny", pooling=pooling)
    model = build_model(n_classes=len(labels), features=features, arch=arch)
    manifest = Manifest(labels=list(labels), features=features, arch=arch, window_s=window_s, hop_s=hop_s,
                        background_label="background" if "background" in labels else None)
    return Classifier(model, manifest)


@pytest.fixture
def make_untrained() -> Callable[..., Classifier]:
    """The :func:`untrained_classifier` factory (keywords: sample_rate, seed, window_s, hop_s, labels, pooling)."""
    return untrained_classifier


@pytest.fixture(scope="session")
def trained_classifier(small_dataset: Path) -> Classifier:
    """A tiny model that has learnt small_dataset (shared: tests must not change it)."""
    return train(small_dataset, settings=LEARNING_SETTINGS, progress=False)


def load_pretraining_module(name: str) -> ModuleType:
    """Import ``pretraining/<name>.py`` (a script folder, not a package) under ``name``."""
    path = Path(__file__).resolve().parents[1] / "pretraining" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def check_seeded_normalised_audio(make: Callable[[np.random.Generator, float, int], np.ndarray], seconds: float, *,
                                  sample_rate: int, peak_tolerance: float) -> None:
    """What every pretraining synthesiser promises: ``make(rng, seconds, sample_rate)`` gives float32 audio of that
    length, finite, peak-normalised to 1 (within ``peak_tolerance``), the same for the same seed and not for another."""
    a = make(np.random.default_rng(3), seconds, sample_rate)
    b = make(np.random.default_rng(3), seconds, sample_rate)
    c = make(np.random.default_rng(4), seconds, sample_rate)
    assert a.shape == (int(seconds * sample_rate),) and a.dtype == np.float32
    assert np.isfinite(a).all()
    assert np.abs(a).max() == pytest.approx(1.0, abs=peak_tolerance)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
