"""A model's ``created`` is when training began to read its data, not when it had read it: the
studio lets a person rename a class while a model trains, and a rename made while the data loads
is one the model has not seen (``as_named_now`` follows the renames from ``created`` on)."""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import SR
from earmark.dataset import load_dataset
from earmark.modelfile import stamp
from earmark.train import TrainSettings, train

QUICK = TrainSettings(arch="tiny", epochs=1, steps_per_epoch=1, batch_size=8, augment=False, sample_rate=SR)


def slow_to_load(root: Path, *, per_class: int = 600) -> Path:
    """Three classes of ``per_class`` short files each: reading them takes seconds, as a real project's might."""
    rng = np.random.default_rng(0)
    for label in ("background", "bass", "drums"):
        (root / label).mkdir(parents=True)
        for i in range(per_class):
            sf.write(root / label / f"{i}.wav", (0.1 * rng.standard_normal(8000)).astype(np.float32), 16000)
    return root


def _read_s(data: Path) -> float:
    began = time.perf_counter()
    load_dataset(data, sample_rate=SR)
    return time.perf_counter() - began


@pytest.mark.slow
def test_created_is_stamped_before_the_data_is_read(tmp_path: Path) -> None:
    data = slow_to_load(tmp_path / "sounds", per_class=300)
    took = _read_s(data)
    if took < 2:  # a fast machine: as many files as take it about 3 s to read
        data = slow_to_load(tmp_path / "more", per_class=min(6000, math.ceil(300 * 3 / took)))
        took = _read_s(data)
    if took < 2:
        pytest.skip("this machine read 18,000 files in under 2 s: too fast to tell a stamp before from one after")
    before = datetime.fromisoformat(stamp())
    clf = train(data, settings=QUICK, progress=False)
    created = datetime.fromisoformat(clf.manifest.created)
    assert before <= created <= before + timedelta(seconds=1), (before, created)  # not after the reading


def test_a_dataset_loaded_beforehand_stamps_the_model_when_it_was_read(small_dataset: Path) -> None:
    """`earmark.train(load_dataset(...))`: the model's ``created`` is when the dataset was read, not when
    training began (a class renamed in between is one the model has not seen). A dataset made by hand
    has no reading time: training stamps its own start."""
    from dataclasses import replace

    before = datetime.fromisoformat(stamp())
    dataset = load_dataset(small_dataset, sample_rate=SR)
    assert dataset.read_at is not None
    assert before <= datetime.fromisoformat(dataset.read_at) <= before + timedelta(seconds=1)
    time.sleep(1.2)
    clf = train(dataset, settings=QUICK, progress=False)
    assert clf.manifest.created == dataset.read_at
    by_hand = replace(dataset, read_at=None)
    started = datetime.fromisoformat(stamp())
    assert datetime.fromisoformat(train(by_hand, settings=QUICK, progress=False).manifest.created) >= started
