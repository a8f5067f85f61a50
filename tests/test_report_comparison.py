"""Tests for earmark.report's Comparison text when the two models are one (``earmark compare M M TEST_DIR``)."""

from __future__ import annotations

import numpy as np

from earmark.report import Comparison, EvaluationReport, report_from_probabilities

LABELS = ["background", "bass"]


def _report() -> EvaluationReport:
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    return report_from_probabilities(probs, ["background", "bass", "bass"], ["a.wav", "b.wav", "c.wav"],
                                     labels=LABELS)


def test_one_model_given_twice_is_said_and_scored_once() -> None:
    report = _report()
    text = Comparison(report, report, model_a="m/x.earmark", model_b="m/x.earmark", same_model=True).format()
    said, blank, *rest = text.splitlines()
    assert said == ("m/x.earmark is given twice: there is nothing to compare; give two different models. "
                    "Its scores on this test set, as earmark evaluate prints them:")
    assert blank == "" and "\n".join(rest) == report.format()
    assert "wrong only with" not in text


def test_a_copy_is_said_to_be_the_same_model() -> None:
    report = _report()
    comparison = Comparison(report, report, model_a="a.earmark", model_b="b.earmark", same_model=True)
    assert comparison.format().startswith("a.earmark and b.earmark are the same model (their weights are identical): "
                                          "there is nothing to compare")
    assert comparison.to_dict()["same_model"] is True


def test_two_models_are_still_side_by_side() -> None:
    report = _report()
    comparison = Comparison(report, report, model_a="a.earmark", model_b="b.earmark")
    assert "wrong only with a.earmark: 0   wrong only with b.earmark: 0" in comparison.format().splitlines()
    assert comparison.to_dict()["same_model"] is False


def test_rows_follow_the_test_folders_and_say_which_model_lacks_a_class() -> None:
    """A's ``Bass`` and B's ``bass`` are both the folder ``bass``: one row, by the folder's name. A class no
    folder holds is named with its model, once for a class both know; a folder a model has no class for
    (only reports made by hand can show one) says so instead of a dash."""
    a = report_from_probabilities(np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.6, 0.4, 0.0]]),
                                  ["background", "Bass", "Bass"], ["a.wav", "b.wav", "c.wav"],
                                  labels=["background", "Bass", "keys"])
    a.folders = {"background": "background", "bass": "Bass"}
    b = report_from_probabilities(np.array([[0.9, 0.1, 0.0, 0.0], [0.2, 0.8, 0.0, 0.0], [0.1, 0.9, 0.0, 0.0],
                                            [0.0, 0.0, 0.0, 1.0]]),
                                  ["background", "bass", "bass", "hum"], ["a.wav", "b.wav", "c.wav", "d.wav"],
                                  labels=["background", "bass", "keys", "hum"])
    b.folders = {"background": "background", "bass": "bass", "hum": "hum"}
    comparison = Comparison(a, b, model_a="a.earmark", model_b="b.earmark")
    assert comparison.format().splitlines()[3:8] == [
        "recall background        100.0%        100.0%",  # the longest row name and two spaces: 19 wide
        "recall bass               50.0%        100.0%",
        "recall hum             no class        100.0%",
        "no test clips of the class 'keys', which both models know",
        "",
    ]
    assert comparison.to_dict()["test_classes"] == [
        {"folder": "background", "class_a": "background", "class_b": "background"},
        {"folder": "bass", "class_a": "Bass", "class_b": "bass"},
        {"folder": "hum", "class_a": None, "class_b": "hum"}]
