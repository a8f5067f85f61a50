"""Silent recordings (a muted microphone, an unplugged cable) and class folder names a class cannot have.

A class that is nothing but silence would teach the model that silence is that class: it is refused,
naming its files. A background of digital silence, or a few silent clips among real ones, is said.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from conftest import SR, untrained_classifier, write_dataset, write_tone
from earmark.cli import main
from earmark.dataset import Dataset, load_dataset
from earmark.errors import DatasetError
from earmark.evaluate import evaluate, training_warnings
from earmark.train import TrainSettings, train, warning_facts

QUICK = TrainSettings(arch="tiny", epochs=1, steps_per_epoch=1, batch_size=8, augment=False, sample_rate=SR)


def write_silence(path: Path, *, duration_s: float = 1.0, hiss_dbfs: float | None = None) -> Path:
    """Digital silence as 16-bit WAV, or the faint hiss of a muted input at ``hiss_dbfs`` (peak)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    y = np.zeros(int(duration_s * SR), np.float32)
    if hiss_dbfs is not None:
        noise = np.random.default_rng(0).uniform(-1, 1, y.size)
        y = (noise / np.max(np.abs(noise)) * 10 ** (hiss_dbfs / 20)).astype(np.float32)
    sf.write(path, y, SR, subtype="PCM_16")
    return path


def silence_said(ds: Dataset) -> list[str]:
    """The training warnings about silent clips, as the CLI and the studio show them."""
    return [w for w in training_warnings(warning_facts(ds)) if "silen" in w]


def with_silent_bass(root: Path, *, silent: int, real: int = 0) -> Path:
    write_dataset(root, per_class=6, seed=0)
    for f in (root / "bass").iterdir():
        f.unlink()
    for i in range(silent):
        write_silence(root / "bass" / f"s{i}.wav")
    for i in range(real):
        write_tone(root / "bass" / f"note{i}.wav", freq_hz=55.0 * (i + 1))
    return root


def test_a_class_of_silent_files_is_refused_naming_them(tmp_path: Path) -> None:
    """A muted mic or an unplugged cable: six silent files are not six sounds of 'bass'."""
    ds = load_dataset(with_silent_bass(tmp_path / "sounds", silent=6), sample_rate=SR)
    with pytest.raises(DatasetError, match=r"^class 'bass' holds no sound in .*sounds: all 6 of its files are silent "
                                           r"\(bass/s0\.wav, bass/s1\.wav, bass/s2\.wav and 3 more\); check that the "
                                           r"microphone was on and connected and its recording level up"):
        ds.check_trainable()
    with pytest.raises(DatasetError, match=r"class 'bass' holds no sound"):
        train(ds, settings=QUICK, progress=False)


def test_a_class_of_a_muted_inputs_hiss_is_refused_too(tmp_path: Path) -> None:
    """Not only digital zeros: the faint hiss of a muted input (-70 dBFS) holds no sound either."""
    root = with_silent_bass(tmp_path / "sounds", silent=0)
    for i in range(5):
        write_silence(root / "bass" / f"muted{i}.wav", hiss_dbfs=-70)
    with pytest.raises(DatasetError, match=r"class 'bass' holds no sound"):
        load_dataset(root, sample_rate=SR).check_trainable()


def test_one_long_silent_recording_is_named_once(tmp_path: Path) -> None:
    root = with_silent_bass(tmp_path / "sounds", silent=0)
    write_silence(root / "bass" / "take.wav", duration_s=30)  # cut into 7 clips
    with pytest.raises(DatasetError, match=r"class 'bass' holds no sound in .*: its file is silent \(bass/take\.wav\)"):
        load_dataset(root, sample_rate=SR).check_trainable()


def test_some_silent_clips_among_real_ones_are_said_not_refused(tmp_path: Path) -> None:
    ds = load_dataset(with_silent_bass(tmp_path / "sounds", silent=2, real=5), sample_rate=SR)
    assert ds.check_trainable() is None
    said = ["2 of the 7 clips of class 'bass' are silent (bass/s0.wav, bass/s1.wav): they teach the model that "
            "silence is 'bass'; delete them, or record them again with the microphone on"]
    assert silence_said(ds) == said
    clf = train(ds, settings=QUICK, progress=False)  # the model file keeps the facts, for the studio's report
    assert [w for w in training_warnings(clf.manifest.dataset) if "silen" in w] == said


def test_a_background_of_digital_silence_is_said(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "sounds", per_class=6, seed=0)
    for f in (root / "background").iterdir():
        f.unlink()
    for i in range(5):
        write_silence(root / "background" / f"room{i}.wav")
    ds = load_dataset(root, sample_rate=SR)
    assert ds.check_trainable() is None  # said, not refused: it may be what the user means
    [said] = silence_said(ds)
    assert said.startswith("The background class is digital silence (all 5 of its clips: background/room0.wav, "
                           "background/room1.wav, background/room2.wav and 2 more): a real room is never silent")
    clf = train(ds, settings=QUICK, progress=False)
    assert said in training_warnings(clf.manifest.dataset)


def test_a_dataset_with_sound_everywhere_says_nothing(tmp_path: Path) -> None:
    ds = load_dataset(write_dataset(tmp_path / "sounds", per_class=6, seed=0), sample_rate=SR)
    assert ds.silent_clips() == {}
    assert silence_said(ds) == []


def test_earmark_train_refuses_a_silent_class_and_warns_of_silent_clips(tmp_path: Path) -> None:
    def run(data: Path) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["train", str(data), "--out", str(tmp_path / f"{data.name}.earmark"),
                                           "--arch", "tiny", "--epochs", "1", "--steps-per-epoch", "1"])
        return result.exit_code, result.stderr

    code, err = run(with_silent_bass(tmp_path / "muted", silent=6))
    assert code == 1
    assert re.fullmatch(r"Error: class 'bass' holds no sound in .*muted: all 6 of its files are silent .*\n", err), err
    code, err = run(with_silent_bass(tmp_path / "some", silent=2, real=5))
    assert code == 0, err
    assert "warning: 2 of the 7 clips of class 'bass' are silent (bass/s0.wav, bass/s1.wav)" in err, err
    assert err.count("are silent") == 1, err  # once, before training: not again from the training itself


# -- class folder names -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "shown"), [("dr\tums", r"'dr\\tums'.*\('\\t'\)"),
                                              ("dr\nums", r"'dr\\nums'.*\('\\n'\)"),
                                              ("dr\u2028ums", r"'dr\\u2028ums'.*\('\\u2028'\)")])
def test_a_class_folder_named_with_a_control_character_is_refused(tmp_path: Path, name: str, shown: str) -> None:
    """A tab or a line break in a class name breaks every tab-separated or line-by-line output."""
    root = write_dataset(tmp_path / "sounds", per_class=5, seed=0)
    write_tone(root / name / "a.wav")
    with pytest.raises(DatasetError, match=rf"^the class folder {shown};.*: rename the folder$"):
        load_dataset(root, sample_rate=SR)


def test_a_zipped_class_folder_named_with_a_tab_is_refused_naming_the_zip(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "sounds", per_class=5, seed=0)
    archive = tmp_path / "band.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(root.rglob("*.wav")):
            zf.write(f, f.relative_to(root).as_posix())
        zf.writestr("dr\tums/a.wav", (root / "bass" / "bass_000.wav").read_bytes())
    with pytest.raises(DatasetError, match=r"^the class folder 'dr\\tums' in .*band\.zip has a control character"):
        load_dataset(archive, sample_rate=SR)


# -- labels compared composed -------------------------------------------------------------------


def test_a_model_trained_on_decomposed_labels_scores_a_composed_test_set(tmp_path: Path) -> None:
    """A model from before class names were read composed knows ``Bässe é`` decomposed (a Mac's
    folder name); a test folder of that name, read composed, is that class, not an unknown one."""
    decomposed = unicodedata.normalize("NFD", "Bässe é")
    clf = untrained_classifier(labels=("background", decomposed))
    for i in range(2):
        write_tone(tmp_path / "test" / "Bässe é" / f"{i}.wav", freq_hz=110 * (i + 1))
        write_tone(tmp_path / "test" / "background" / f"{i}.wav", freq_hz=50)
    report = evaluate(clf, tmp_path / "test")
    assert report.n_clips == 4
    assert report.labels == clf.labels
