"""Tests for earmark.decode on files that are not audio at all: a model file, a zip, a picture, given where
a recording goes (``earmark predict model.earmark model.earmark``) are named for what they are, not "damaged"."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from safetensors.numpy import save_file

from conftest import untrained_classifier, write_tone
from earmark.audio import load_audio
from earmark.errors import AudioDecodeError

_MODEL_SAYS = r"is an earmark model, not audio; give a recording here$"


def _model(path: Path) -> None:
    untrained_classifier().save(path)


def _model_cut_short(path: Path) -> None:
    _model(path)
    path.write_bytes(path.read_bytes()[:3000])  # inside its header


def _zip(path: Path) -> None:
    take = write_tone(path.parent / "take-in-zip.wav")
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(take, "takes/take.wav")


def _png(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))


def _weights(path: Path) -> None:
    save_file({"weight": np.zeros(3, np.float32)}, str(path))


def _onnx(path: Path) -> None:
    from earmark.export import export_onnx
    export_onnx(untrained_classifier(), path)


NOT_AUDIO: dict[str, tuple[Callable[[Path], None], str]] = {
    "model.earmark": (_model, _MODEL_SAYS),
    "model-as.wav": (_model, _MODEL_SAYS),
    "cut.earmark": (_model_cut_short, _MODEL_SAYS),
    "set.zip": (_zip, r"is a zip archive, not audio; unpack it and give its folder or a recording from it$"),
    "zip-as.mp3": (_zip, r"is a zip archive, not audio; unpack it"),
    "spectrogram.wav": (_png, r"is a PNG picture, not audio; give a recording here$"),
    "model.onnx": (_onnx, r"is an ONNX model \(a trained model for deployment\), not audio; give a recording here$"),
    "onnx-as.wav": (_onnx, r"is an ONNX model"),
    "weights.safetensors": (_weights,
                            r"is a safetensors file \(a model's weights\), not audio; give a recording here$"),
}


@pytest.mark.parametrize("name", sorted(NOT_AUDIO))
def test_a_file_that_is_not_audio_is_named_for_what_it_is(tmp_path: Path, name: str) -> None:
    make, says = NOT_AUDIO[name]
    path = tmp_path / name
    make(path)
    with pytest.raises(AudioDecodeError, match=f"^{re.escape(str(path))}: {says}") as caught:
        load_audio(path)
    assert "damaged" not in str(caught.value)
    with pytest.raises(AudioDecodeError, match=f"^<bytes>: {says}"):  # by its bytes, whatever its name
        load_audio(path.read_bytes())
    with pytest.raises(AudioDecodeError, match=says):
        load_audio(io.BytesIO(path.read_bytes()))


def test_text_is_still_not_decoded_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "notes.wav").write_text("this is a text file\n")
    with pytest.raises(AudioDecodeError, match=r"could not be decoded as audio .*convert it to WAV"):
        load_audio(tmp_path / "notes.wav")


def test_a_file_whose_name_is_not_audio_and_is_not_audio_is_named_so(tmp_path: Path) -> None:
    """`earmark predict model notes.txt` said "could not be decoded … if it is one already, it is damaged",
    where the studio's upload says "not an audio file (.txt)". A misnamed recording still decodes."""
    notes = tmp_path / "notes.txt"
    notes.write_text("this is a text file\n")
    with pytest.raises(AudioDecodeError, match=rf"^{re.escape(str(notes))}: not an audio file \(\.txt\), and no "
                                               r"decoder could read it as one; give a recording: earmark reads "
                                               r"3gp, aac, .*wav, wave, webm, wma$") as caught:
        load_audio(notes)
    assert "damaged" not in str(caught.value)
    take = tmp_path / "take.TXT"  # a recording with a wrong ending: read as what it holds
    sf.write(take, np.sin(np.arange(8000) / 5).astype(np.float32), 16000, format="WAV")
    assert load_audio(take).duration_s == pytest.approx(0.5)


@pytest.mark.parametrize("name", ["book.m4b", "take 2024.05.01", "tone.m4r"])
def test_a_name_that_may_be_audio_keeps_the_damaged_message(tmp_path: Path, name: str) -> None:
    """An audiobook's ending, or dots in a name without an ending, do not make a file "not an audio file"."""
    path = tmp_path / name
    path.write_bytes(b"\x00\x01" * 500)
    with pytest.raises(AudioDecodeError, match=r"could not be decoded as audio") as caught:
        load_audio(path)
    assert "not an audio file" not in str(caught.value)
