"""What decoding warned of reaches a Python caller in the results: a prediction's ``warnings`` (each file
its own), an evaluation report's ``decoding_warnings``, first in its ``warnings()``; and it is still issued
through :mod:`warnings`, once."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import SR, untrained_classifier, write_tone
from earmark.errors import EarmarkWarning
from earmark.evaluate import compare, evaluate

CANCEL = r"the channels cancel out when mixed to mono \(one is the other inverted\); earmark used the left channel"


def write_cancelling(path: Path, *, duration_s: float = 1.5) -> Path:
    """A stereo tone whose right channel is the left inverted: silence when mixed to mono."""
    path.parent.mkdir(parents=True, exist_ok=True)
    x = (0.3 * np.sin(2 * np.pi * 220 * np.arange(int(duration_s * SR)) / SR)).astype(np.float32)
    sf.write(path, np.stack([x, -x], axis=1), SR, subtype="PCM_16")
    return path


def cancels(path: Path) -> str:
    return rf"{re.escape(str(path))}: {CANCEL}"


def issued(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, EarmarkWarning)]


def test_predict_file_names_what_decoding_warned_of(tmp_path: Path) -> None:
    stereo = write_cancelling(tmp_path / "stereo.wav")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prediction = untrained_classifier().predict_file(stereo)
    [said] = prediction.warnings
    assert re.fullmatch(cancels(stereo), said)
    assert prediction.to_dict()["warnings"] == [said]
    assert issued(caught) == [said]  # still issued, once


def test_predict_file_of_a_clean_file_has_no_warnings(tmp_path: Path) -> None:
    prediction = untrained_classifier().predict_file(write_tone(tmp_path / "mono.wav", duration_s=1.5))
    assert prediction.warnings == [] and "warnings" not in prediction.to_dict()


def test_predict_files_gives_each_file_its_own_warnings(tmp_path: Path) -> None:
    stereo = write_cancelling(tmp_path / "takes" / "a_stereo.wav")  # decoded first: its warning is not the next's
    mono = write_tone(tmp_path / "takes" / "b_mono.wav", duration_s=1.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        predictions, failed = untrained_classifier().predict_files(tmp_path / "takes")
    assert failed == []
    warned = {p.source: p.warnings for p in predictions}
    assert list(warned) == [str(stereo), str(mono)]
    [said] = warned[str(stereo)]
    assert re.fullmatch(cancels(stereo), said)
    assert warned[str(mono)] == []
    assert issued(caught) == [said]


def cancelling_test_set(tmp_path: Path) -> tuple[Path, Path]:
    """A test set (a tone per class) whose bass folder also holds a stereo file whose channels cancel."""
    root = tmp_path / "test"
    for label in ("background", "bass", "drums"):
        write_tone(root / label / f"{label}.wav", duration_s=1.5)
    return root, write_cancelling(root / "bass" / "stereo.wav")


def test_evaluate_reports_the_test_files_decoding_warnings_first(tmp_path: Path) -> None:
    root, stereo = cancelling_test_set(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = evaluate(untrained_classifier(), root)
    [said] = report.decoding_warnings
    assert re.fullmatch(cancels(stereo), said)
    assert report.warnings()[0] == said and report.to_dict()["warnings"][0] == said
    assert any(w.startswith("Only 4 clips were scored") for w in report.warnings()[1:])  # the report's own follow
    assert issued(caught) == [said]


def test_compare_at_two_rates_reports_and_issues_each_warning_once(tmp_path: Path) -> None:
    root, stereo = cancelling_test_set(tmp_path)
    a, b = untrained_classifier(), untrained_classifier(seed=1, sample_rate=16000)  # the set is decoded twice
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        comparison = compare(a, b, root)
    for report in (comparison.a, comparison.b):
        [said] = report.decoding_warnings
        assert re.fullmatch(cancels(stereo), said) and report.warnings()[0] == said
    assert issued(caught) == comparison.a.decoding_warnings


def test_evaluate_of_a_clean_set_has_no_decoding_warnings(tmp_path: Path) -> None:
    root = tmp_path / "test"
    for label in ("background", "bass", "drums"):
        write_tone(root / label / f"{label}.wav", duration_s=1.5)
    report = evaluate(untrained_classifier(), root)
    assert report.decoding_warnings == []
    assert not any(str(root) in w for w in report.warnings())


@pytest.mark.parametrize("given", ["samples", "stream"])
def test_a_prediction_of_samples_has_no_warnings_key(given: str) -> None:
    """Audio given as samples was not decoded by earmark: nothing to warn of."""
    clf = untrained_classifier()
    y = (0.3 * np.sin(2 * np.pi * 220 * np.arange(SR) / SR)).astype(np.float32)
    if given == "samples":
        prediction = clf.predict(y, sample_rate=SR)
    else:
        stream = clf.stream(sample_rate=SR)
        prediction = [*stream.feed(y), *stream.finish()][0]
    assert prediction.warnings == [] and "warnings" not in prediction.to_dict()


def test_a_file_given_twice_warns_once_and_each_prediction_names_it_once(tmp_path: Path) -> None:
    stereo = write_cancelling(tmp_path / "stereo.wav")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        predictions, _ = untrained_classifier().predict_files([stereo, stereo])
    assert [len(p.warnings) for p in predictions] == [1, 1]
    assert issued(caught) == predictions[0].warnings
