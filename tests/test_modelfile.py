"""Tests for earmark.modelfile: a model file describes itself, refuses damage, and is written atomically."""

from __future__ import annotations

import json
import resource
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from safetensors.numpy import save_file

import earmark
from conftest import LEARNING_SETTINGS
from earmark.classifier import Classifier
from earmark.errors import ModelFileError, OutputError, ParameterError
from earmark.modelfile import FORMAT, FORMAT_VERSION, load_weights, read_manifest

MakeClassifier = Callable[..., Classifier]


def header(path: Path) -> tuple[int, dict[str, object]]:
    """The safetensors header: its length and its JSON (weights' names, shapes, offsets, metadata)."""
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    return n, json.loads(data[8 : 8 + n])


def rewrite(source: Path, target: Path, **meta: str) -> Path:
    """Copy a model file's tensors and metadata to ``target``, changing the given metadata keys."""
    from safetensors import safe_open

    with safe_open(str(source), framework="numpy") as f:
        arrays = {k: f.get_tensor(k) for k in f.keys()}
        metadata = dict(f.metadata())
    metadata.update(meta)
    save_file(arrays, str(target), metadata=metadata)
    return target


@pytest.fixture
def model_path(tmp_path: Path, make_untrained: MakeClassifier) -> Path:
    return make_untrained(seed=1).save(tmp_path / "model.earmark")


@pytest.fixture
def signal(small_testset: Path) -> np.ndarray:
    """Two seconds: a bass note then a drum hit."""
    bass, _ = sf.read(small_testset / "bass" / "bass_000.wav", dtype="float32")
    drums, _ = sf.read(small_testset / "drums" / "drums_000.wav", dtype="float32")
    return np.concatenate([bass, drums])


# -- round trip -----------------------------------------------------------------------------------


def test_a_saved_then_loaded_model_gives_identical_probabilities(
    trained_classifier: Classifier, tmp_path: Path, signal: np.ndarray
) -> None:
    path = trained_classifier.save(tmp_path / "bass-drums.earmark")
    loaded = earmark.load(path)
    before, starts = trained_classifier.window_probabilities(signal, sample_rate=22050)
    after, starts_after = loaded.window_probabilities(signal, sample_rate=22050)
    np.testing.assert_array_equal(after, before)
    np.testing.assert_array_equal(starts_after, starts)
    assert loaded.manifest.to_dict() == trained_classifier.manifest.to_dict()
    assert loaded.labels == ["background", "bass", "drums"]
    assert repr(loaded) == "Classifier(labels=['background', 'bass', 'drums'], sample_rate=22050, window_s=1.0, " \
                           "arch='tiny')"


def test_the_manifest_says_everything_a_loader_needs(trained_classifier: Classifier, tmp_path: Path) -> None:
    path = trained_classifier.save(tmp_path / "m.earmark")
    _, head = header(path)
    meta = head["__metadata__"]
    assert isinstance(meta, dict)
    assert meta["format"] == FORMAT == "earmark-model"
    arch = trained_classifier.manifest.arch  # from scratch: a linear head and no concepts, so format 2
    assert (arch.head_hidden, arch.concepts) == (0, ())
    assert meta["format_version"] == "2" and FORMAT_VERSION == 4
    manifest = json.loads(meta["manifest"])
    assert manifest["earmark_version"] == earmark.__version__
    assert manifest["sample_rate"] == 22050 == manifest["features"]["sample_rate"]
    assert (manifest["window_s"], manifest["hop_s"]) == (1.0, 0.5)
    assert manifest["labels"] == ["background", "bass", "drums"]
    assert manifest["background_label"] == "background"
    assert manifest["architecture"]["name"] == "tiny"
    assert manifest["training"]["arch"] == "tiny" and manifest["training"]["seed"] == LEARNING_SETTINGS.seed
    assert set(manifest["metrics"]) >= {"validation", "history"}
    assert len(manifest["weights_sha256"]) == 64
    tensors = {k: v for k, v in head.items() if k != "__metadata__"}
    assert all(isinstance(v, dict) and set(v) == {"dtype", "shape", "data_offsets"} for v in tensors.values())


def test_read_manifest_does_not_need_the_weights(model_path: Path) -> None:
    n, _ = header(model_path)
    damaged = bytearray(model_path.read_bytes())
    damaged[-1] ^= 0xFF  # the last weight byte
    model_path.write_bytes(bytes(damaged))
    manifest = read_manifest(model_path)
    assert manifest.labels == ["background", "bass", "drums"]
    with pytest.raises(ModelFileError, match=r"weights do not match their checksum"):
        load_weights(model_path, manifest)


# -- damaged, foreign and future files ------------------------------------------------------------

CORRUPT = r"is not an earmark model file or is corrupted \(\w+\); train it again or ask for a fresh copy"
CUT = r"is an earmark model file cut short or damaged; copy it again, or train it again"
EMPTY = r"is empty \(0 bytes\), not an earmark model; give a model file that earmark wrote"


@pytest.mark.parametrize(
    ("damage", "says"),
    [(lambda b: b[: len(b) // 2], CUT), (lambda b: b[:-10], CUT), (lambda b: b[:4], CORRUPT), (lambda b: b"", EMPTY),
     (lambda b: np.random.default_rng(0).bytes(len(b)), CORRUPT), (lambda b: b"\x00" * 8 + b[8:], CORRUPT)],
    ids=["truncated-half", "truncated-end", "truncated-header", "empty", "random-bytes", "zeroed-length"],
)
def test_a_damaged_file_is_refused(model_path: Path, damage: Callable[[bytes], bytes], says: str) -> None:
    """A model whose header is whole but whose weights are cut off is named for what it is (a download or
    copy broken off); one with nothing recognisable left is 'not a model or corrupted'."""
    model_path.write_bytes(damage(model_path.read_bytes()))
    with pytest.raises(ModelFileError, match=says):
        earmark.load(model_path)


@pytest.mark.parametrize("where", [0.0, 0.5, 1.0])
def test_a_flipped_byte_in_the_weights_fails_the_checksum(model_path: Path, where: float) -> None:
    n, _ = header(model_path)
    data = bytearray(model_path.read_bytes())
    start = 8 + n
    data[start + int(where * (len(data) - start - 1))] ^= 0x01
    model_path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"model\.earmark: its weights do not match their checksum, "
                                             r"the file is corrupted"):
        earmark.load(model_path)


def test_a_foreign_safetensors_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.safetensors"
    save_file({"w": np.zeros((2, 2), np.float32)}, str(path), metadata={"format": "pt"})
    with pytest.raises(ModelFileError, match=r"other\.safetensors: is a safetensors file but not an earmark model"):
        earmark.load(path)


def test_a_file_from_a_newer_earmark_says_to_upgrade(model_path: Path, tmp_path: Path) -> None:
    future = rewrite(model_path, tmp_path / "future.earmark", format_version=str(FORMAT_VERSION + 1))
    with pytest.raises(ModelFileError, match=rf"future\.earmark: was made by a newer earmark \(model format "
                                             rf"{FORMAT_VERSION + 1}; .* reads format {FORMAT_VERSION}\); "
                                             r"upgrade earmark with 'pip install -U earmark'"):
        earmark.load(future)


@pytest.mark.parametrize(
    ("meta", "match"),
    [({"format_version": "one"}, r"has an unreadable format version"),
     ({"manifest": "{not json"}, r"its manifest is not valid JSON, the file is corrupted; train the model again"),
     ({"manifest": json.dumps({"labels": ["a", "b"]})}, r"the model manifest is incomplete or invalid"),
     ({"manifest": "[]"}, r"the model manifest is incomplete or invalid")],
)
def test_a_broken_manifest_is_refused(model_path: Path, tmp_path: Path, meta: dict[str, str], match: str) -> None:
    with pytest.raises(ModelFileError, match=match):
        earmark.load(rewrite(model_path, tmp_path / "broken.earmark", **meta))


@pytest.mark.parametrize(
    ("change", "match"),
    [({"labels": ["bass"]}, r"invalid labels \['bass'\]"),
     ({"labels": ["bass", "bass", "drums"]}, r"invalid labels"),
     ({"labels": "abc"}, r"labels must be a list of names, got 'abc'"),  # was read as ['a', 'b', 'c']
     ({"labels": {"a": 1, "b": 2, "c": 3}}, r"labels must be a list of names"),
     ({"labels": ["background", "", "drums"]}, r"labels must be a list of names"),
     ({"labels": ["background", 2, "drums"]}, r"labels must be a list of names"),
     ({"hop_s": 1e-6}, r"or hop \(1e-06 s\)"),
     ({"architecture": {"name": "tiny", "channels": [8, 16, 16, 10**6]}}, r"channels must be 2 to 8 blocks"),
     ({"window_s": 0}, r"an impossible window \(0\.0 s\) or hop"),
     ({"window_s": float("nan")}, r"an impossible window \(nan s\)"),
     ({"window_s": 1e9}, r"an impossible window \(1000000000\.0 s\)"),
     ({"hop_s": 5.0}, r"or hop \(5\.0 s\)"),
     ({"features": {"sample_rate": 22050, "n_mfcc": 13}}, r"unknown feature settings \['n_mfcc'\]"),
     ({"architecture": {"name": "transformer"}}, r"unknown architecture 'transformer'"),
     ({"architecture": {"name": "tiny", "pooling": "attention"}}, r"unknown pooling 'attention'"),
     ({"architecture": {"name": "cnn"}}, r"its weights do not fit its architecture 'cnn'"),
     # wide enough to take gigabytes if built before its weights are compared with it
     ({"architecture": {"name": "tiny", "channels": [8, 16, 1024, 1024], "head_hidden": 4096}},
      r"its weights do not fit its architecture 'tiny'")],
)
def test_a_manifest_that_does_not_fit_is_refused(
    model_path: Path, tmp_path: Path, change: dict[str, object], match: str
) -> None:
    manifest = read_manifest(model_path).to_dict() | change
    with pytest.raises(ModelFileError, match=match):
        earmark.load(rewrite(model_path, tmp_path / "odd.earmark", manifest=json.dumps(manifest)))


def test_a_format_1_file_without_a_pooling_still_loads_and_predicts_the_same(
    tmp_path: Path, make_untrained: MakeClassifier, signal: np.ndarray
) -> None:
    """Model files written before the architecture named its pooling averaged frequency away;
    they load as that network and give exactly the probabilities they gave when saved."""
    old = make_untrained(seed=3, pooling="frequency-mean")
    saved = old.save(tmp_path / "new.earmark")
    manifest = read_manifest(saved).to_dict()
    del manifest["architecture"]["pooling"]
    legacy = rewrite(saved, tmp_path / "format1.earmark", format_version="1", manifest=json.dumps(manifest))

    loaded = earmark.load(legacy)

    assert loaded.manifest.arch.pooling == "frequency-mean"
    np.testing.assert_array_equal(loaded.window_probabilities(signal, sample_rate=22050)[0],
                                  old.window_probabilities(signal, sample_rate=22050)[0])


def test_a_new_model_file_names_its_pooling(model_path: Path) -> None:
    assert read_manifest(model_path).to_dict()["architecture"]["pooling"] == "frequency-projection"


def test_a_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match=r"nothing\.earmark: no such model file; check the path"):
        earmark.load(tmp_path / "nothing.earmark")
    with pytest.raises(ParameterError, match=r"give the model file's path as a str or pathlib.Path, got NoneType"):
        earmark.load(None)  # type: ignore[arg-type]


def test_a_folder_is_not_a_model_file(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match=r": is a folder; give the model file \(e\.g\. model\.earmark\)"):
        earmark.load(tmp_path)


# -- writing --------------------------------------------------------------------------------------


def test_a_failed_save_leaves_the_previous_file_intact(
    model_path: Path, make_untrained: MakeClassifier, signal: np.ndarray
) -> None:
    """The disk "fills up" part-way through the header (a 4 kB file size limit for this process):
    the save fails, and the good model already there is still whole, with no temporary file."""
    good = earmark.load(model_path).window_probabilities(signal, sample_rate=22050)[0]
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        with pytest.raises(OutputError, match=r"cannot write .*model\.earmark: File too large"):
            make_untrained(seed=2).save(model_path)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    np.testing.assert_array_equal(earmark.load(model_path).window_probabilities(signal, sample_rate=22050)[0], good)
    assert [p.name for p in model_path.parent.iterdir()] == ["model.earmark"]


def test_saving_onto_a_folder_is_refused(tmp_path: Path, make_untrained: MakeClassifier) -> None:
    with pytest.raises(OutputError, match=r"is a folder; give a file name"):
        make_untrained().save(tmp_path)


def test_save_creates_missing_folders_and_replaces_an_old_model(
    tmp_path: Path, make_untrained: MakeClassifier, signal: np.ndarray
) -> None:
    path = tmp_path / "models" / "v1" / "m.earmark"
    make_untrained(seed=1).save(path)
    newer = make_untrained(seed=2)
    assert newer.save(path) == path
    np.testing.assert_array_equal(earmark.load(path).window_probabilities(signal, sample_rate=22050)[0],
                                  newer.window_probabilities(signal, sample_rate=22050)[0])


def test_audio_given_as_the_model_is_named_without_the_cli_in_the_message(tmp_path: Path) -> None:
    """The studio's model import shows the message alone: it must not speak of arguments' order; the
    ``earmark`` command words it for the command that ran, from ``cli_case`` (`earmark predict take.wav
    model.earmark`: the model goes first; `earmark info take.wav`: nothing to add)."""
    path = tmp_path / "take.wav"
    sf.write(path, np.zeros(4410, dtype=np.float32), 44100)
    with pytest.raises(ModelFileError) as caught:
        earmark.load(path)
    assert str(caught.value) == f"{path}: is an audio file, not an earmark model; give an earmark model file " \
                                "(.earmark) here"
    assert caught.value.cli_case == "audio-as-model" and caught.value.cli_hint is None
