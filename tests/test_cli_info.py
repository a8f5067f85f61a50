"""``earmark info``: a model file in a few lines for a person, the whole manifest with ``--json``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from earmark.classifier import Classifier
from earmark.cli import main
from earmark.modelfile import Manifest, read_manifest


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _facts(result: Result) -> dict[str, str]:
    """The summary's lines as ``{what: fact}``."""
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(": " in line for line in lines), lines
    return dict(line.split(": ", 1) for line in lines)


def test_info_says_what_a_trained_model_is(trained_classifier: Classifier, tmp_path: Path) -> None:
    path = trained_classifier.save(tmp_path / "sounds.earmark")
    manifest = trained_classifier.manifest
    facts = _facts(run("info", path))
    assert 8 <= len(facts) <= 20
    assert facts["model"] == "sounds.earmark"
    assert facts["classes"] == "background (the background class), bass, drums"
    assert facts["audio"].startswith("22050 Hz mono, windows of 1 s every 0.5 s")
    assert facts["created"] == manifest.created.replace("T", " ").removesuffix("+00:00") + \
        f" UTC by earmark {manifest.earmark_version}"
    assert facts["network"] == "tiny, trained from scratch"
    assert facts["training"].startswith("4 epochs in ") and "augmentation off" in facts["training"]
    counts = manifest.dataset["counts"]
    assert facts["trained on"].startswith(f"{sum(counts.values())} clips from 'train' "
                                          f"({manifest.dataset['train_clips']} to learn from, "
                                          f"{manifest.dataset['val_clips']} held out for validation)")
    assert facts["clips per class"].startswith(f"background {counts['background']} (")
    validation = manifest.metrics["validation"]
    assert facts["validation accuracy"].startswith(f"{validation['accuracy']:.1%} of {validation['n_clips']} ")
    assert facts["per-class accuracy"] == ", ".join(f"{lab} {validation['per_class'][lab]['recall']:.1%}"
                                                    for lab in manifest.labels)
    assert "None" not in "".join(facts.values())
    level = trained_classifier.sure_level
    assert facts.get("sure level") == (None if level is None else
                                       f"{level:.1%} (how sure it was of 95% of its right validation answers; "
                                       "an answer below it is worth a listen)")


def test_info_says_what_training_warned_of(make_untrained: Callable[..., Classifier], tmp_path: Path) -> None:
    """A class of one recording: training warned, the model file kept the facts, but nothing showed them
    to whoever got the model file."""
    from earmark.modelfile import SPLIT_IN_TIME

    clf = make_untrained()
    clean = run("info", clf.save(tmp_path / "clean.earmark"))
    assert "warning:" not in clean.stdout
    clf.manifest.dataset[SPLIT_IN_TIME] = ["bass"]
    said = run("info", clf.save(tmp_path / "m.earmark"))
    assert said.exit_code == 0, said.output
    assert "warning: Class 'bass' has only one recording: validation used its end, after training on the rest, " \
           "so the validation figure says little about new recordings; add recordings from other takes" in said.stdout


def test_info_names_the_sure_level_when_enough_clips_were_held_out(make_untrained: Callable[..., Classifier],
                                                                   tmp_path: Path) -> None:
    clf = make_untrained()
    clf.manifest.metrics["validation_clips"] = [{"true": "bass", "predicted": "bass", "confidence": c}
                                                for c in (0.5, 0.7, 0.8, 0.85, 0.9, 0.92, 0.95, 0.97, 0.98, 0.99)]
    facts = _facts(run("info", clf.save(tmp_path / "m.earmark")))
    assert facts["sure level"].startswith("59.0% (how sure it was of 95% of its right validation answers")
    clf.manifest.metrics["validation_clips"].pop()  # nine: too few to say
    assert "sure level" not in _facts(run("info", clf.save(tmp_path / "m.earmark")))


def test_info_json_prints_the_whole_manifest(trained_classifier: Classifier, tmp_path: Path) -> None:
    path = trained_classifier.save(tmp_path / "sounds.earmark")
    result = run("info", path, "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads(json.dumps(read_manifest(path).to_dict()))
    assert printed["metrics"]["history"] and printed["dataset"]["counts"]


def test_info_on_a_model_from_an_older_earmark_shows_what_it_has(make_untrained: Callable[..., Classifier],
                                                                tmp_path: Path) -> None:
    """No creation time, version, training settings, data or metrics: those lines are left out."""
    clf = make_untrained(labels=("background", "bass, electric", "new\nline"))
    old = {k: v for k, v in clf.manifest.to_dict().items()
           if k not in ("created", "earmark_version", "training", "metrics", "dataset")}
    path = Classifier(clf.model, Manifest.from_dict(old)).save(tmp_path / "old.earmark")
    facts = _facts(run("info", path))
    assert list(facts) == ["model", "classes", "audio", "network"]
    assert facts["classes"] == r"background (the background class), 'bass, electric', 'new\nline'"
    assert facts["network"] == "tiny"
    assert "None" not in "".join(facts.values()) and "?" not in "".join(facts.values())
