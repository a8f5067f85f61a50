"""``compare`` scores each model on the test set as ``evaluate`` scores it alone: a test folder is matched to
each model's own classes (``bass/`` may be one model's ``Bass`` and the other's ``bass``), with the same refusals,
and the text table lines the models up by the test set's folders."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import LEARNING_SETTINGS, SR, room_noise
from earmark.classifier import Classifier
from earmark.errors import DatasetError
from earmark.evaluate import compare, evaluate
from earmark.train import train


def _rumble(rng: np.random.Generator) -> np.ndarray:
    """Room noise low-passed and made loud: a class of its own beside the quiet room tone."""
    y = np.convolve(room_noise(rng), np.ones(40) / 40, mode="same")
    return (0.4 * y / np.max(np.abs(y))).astype(np.float32)


@pytest.fixture(scope="module")
def m2(small_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    """A model of background, ``Bass`` and drums (its bass folder named with a capital)."""
    data = shutil.copytree(small_dataset, tmp_path_factory.mktemp("m2") / "train")
    (data / "bass").rename(data / "Bass")
    return train(data, settings=LEARNING_SETTINGS, progress=False)


@pytest.fixture(scope="module")
def cs(small_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    """A model of background, bass and drums, plus a class ``Bass`` of low rumble: two classes that differ in case."""
    data = shutil.copytree(small_dataset, tmp_path_factory.mktemp("cs") / "train")
    (data / "Bass").mkdir()
    rng = np.random.default_rng(5)
    for i in range(12):
        sf.write(data / "Bass" / f"rumble_{i:03d}.wav", _rumble(rng), SR, subtype="PCM_16")
    return train(data, settings=LEARNING_SETTINGS, progress=False)


def test_each_model_is_scored_as_evaluate_scores_it(m2: Classifier, cs: Classifier, small_testset: Path) -> None:
    """The test folder ``bass/`` is m2's ``Bass`` but cs's ``bass``: compare, either way round, gives each model
    the figures evaluate gives it (cs's bass clips were scored as its rumble class ``Bass``, right answers wrong)."""
    assert cs.labels == ["background", "Bass", "bass", "drums"] and m2.labels == ["background", "Bass", "drums"]
    alone_m2, alone_cs = evaluate(m2, small_testset), evaluate(cs, small_testset)
    assert alone_cs.per_class["bass"]["support"] == 6 and alone_m2.per_class["Bass"]["support"] == 6
    for first, second, expected in ((m2, cs, (alone_m2, alone_cs)), (cs, m2, (alone_cs, alone_m2))):
        both = compare(first, second, small_testset)
        assert (both.a.to_dict(), both.b.to_dict()) == (expected[0].to_dict(), expected[1].to_dict())
        assert (both.a.accuracy, both.b.accuracy) == (expected[0].accuracy, expected[1].accuracy)


def test_a_folder_that_matches_two_of_a_models_classes_is_refused_by_compare_too(
    m2: Classifier, cs: Classifier, small_testset: Path, tmp_path: Path
) -> None:
    """``BASS/`` is m2's ``Bass``, but could be cs's ``Bass`` or ``bass``: evaluate refuses it, and so does compare."""
    folder = shutil.copytree(small_testset, tmp_path / "test")
    (folder / "bass").rename(folder / "BASS")
    assert evaluate(m2, folder).per_class["Bass"]["support"] == 6
    with pytest.raises(DatasetError, match=r"^the test set's folder 'BASS' matches the model's classes 'Bass' and "
                                           r"'bass', which differ only in case"):
        evaluate(cs, folder)
    with pytest.raises(DatasetError, match=r"^the test set's folder 'BASS' matches cs\.earmark's classes 'Bass' and "
                                           r"'bass', which differ only in case; rename it"):
        compare(m2, cs, folder, model_a="m2.earmark", model_b="cs.earmark")


def test_a_class_the_second_model_lacks_is_named_as_its_folder(
    m2: Classifier, make_untrained: Callable[..., Classifier], small_testset: Path
) -> None:
    """Not m2's name for the folder (``Bass``): the folder's own, ``bass``."""
    u = make_untrained(labels=("background", "drums"))
    with pytest.raises(DatasetError, match=r"^the test set has classes u\.earmark does not know: 'bass'; it knows "
                                           r"'background', 'drums'\."):
        compare(m2, u, small_testset, model_b="u.earmark")


def test_the_table_lines_the_models_up_by_the_test_folders(
    m2: Classifier, cs: Classifier, trained_classifier: Classifier, small_testset: Path
) -> None:
    """m2's ``Bass`` and big's ``bass`` are one row, ``recall bass``, each with its own recall (big's was shown
    as – under m2's name); a class the test set holds no clips of is named with its model."""
    both = compare(m2, trained_classifier, small_testset, model_a="m2.earmark", model_b="big.earmark")
    m2_bass, big_bass = both.a.per_class["Bass"]["recall"], both.b.per_class["bass"]["recall"]
    assert big_bass == evaluate(trained_classifier, small_testset).per_class["bass"]["recall"] == 1.0
    assert isinstance(m2_bass, float)
    rows = [line.split() for line in both.format().splitlines() if line.startswith("recall ")]
    assert rows == [["recall", "background", f"{both.a.per_class['background']['recall']:.1%}",
                     f"{both.b.per_class['background']['recall']:.1%}"],
                    ["recall", "bass", f"{m2_bass:.1%}", f"{big_bass:.1%}"],
                    ["recall", "drums", f"{both.a.per_class['drums']['recall']:.1%}",
                     f"{both.b.per_class['drums']['recall']:.1%}"]]
    assert both.to_dict()["test_classes"] == [
        {"folder": "background", "class_a": "background", "class_b": "background"},
        {"folder": "bass", "class_a": "Bass", "class_b": "bass"},
        {"folder": "drums", "class_a": "drums", "class_b": "drums"}]
    text = compare(m2, cs, small_testset, model_a="m2.earmark", model_b="cs.earmark").format()
    assert "no test clips of cs.earmark's class 'Bass'" in text.splitlines() and "–" not in text
