"""Training warnings reach every place a person reads them: ``earmark train``'s lines and its
``--json``, the model file (which keeps the facts), and so the studio's report of a saved model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf
from click.testing import CliRunner
from safetensors import safe_open
from safetensors.numpy import save_file

from conftest import SR, write_dataset, write_tone
from earmark.classifier import load
from earmark.cli import main
from earmark.evaluate import training_warnings
from earmark.modelfile import SILENT_CLIPS, read_manifest

SILENT_BASS = ("2 of the 7 clips of class 'bass' are silent (bass/s0.wav, bass/s1.wav): they teach the model that "
               "silence is 'bass'; delete them, or record them again with the microphone on")


def with_silent_bass(root: Path) -> Path:
    """A dataset whose class 'bass' holds five notes and two files of digital silence."""
    write_dataset(root, per_class=6, seed=0)
    for f in (root / "bass").iterdir():
        f.unlink()
    for i in range(2):
        sf.write(root / "bass" / f"s{i}.wav", np.zeros(SR, np.float32), SR, subtype="PCM_16")
    for i in range(5):
        write_tone(root / "bass" / f"note{i}.wav", freq_hz=55.0 * (i + 1))
    return root


def train_json(data: Path, out: Path) -> dict[str, object]:
    result = CliRunner().invoke(main, ["train", str(data), "--out", str(out), "--arch", "tiny", "--epochs", "1",
                                       "--steps-per-epoch", "1", "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_silent_clips_are_in_train_json_and_the_saved_models_report(tmp_path: Path) -> None:
    out = tmp_path / "m.earmark"
    printed = train_json(with_silent_bass(tmp_path / "sounds"), out)
    assert SILENT_BASS in printed["warnings"]  # type: ignore[operator]
    manifest = read_manifest(out)  # the file keeps the facts; the words are made when it is shown
    assert manifest.dataset[SILENT_CLIPS] == {"bass": {"count": 2, "clips": 7, "files": ["bass/s0.wav", "bass/s1.wav"],
                                                      "file_count": 2}}
    assert SILENT_BASS in training_warnings(load(out).manifest.dataset)


def test_a_model_file_from_before_silent_clips_were_kept_loads_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "m.earmark"
    train_json(with_silent_bass(tmp_path / "sounds"), out)
    with safe_open(str(out), framework="numpy") as f:
        arrays = {k: f.get_tensor(k) for k in f.keys()}
        metadata = dict(f.metadata())
    manifest = json.loads(metadata["manifest"])
    del manifest["dataset"][SILENT_CLIPS]
    old = tmp_path / "old.earmark"
    save_file(arrays, str(old), metadata={**metadata, "manifest": json.dumps(manifest)})
    clf = load(old)
    assert SILENT_CLIPS not in clf.manifest.dataset
    said = training_warnings(clf.manifest.dataset)
    assert not any("silent" in w for w in said)
    assert clf.validation_report is not None and clf.validation_report.format()
