"""Decoding as a user sees it: a stereo file whose channels are one signal and its inverse does not load
as silence, and the C decoders print nothing of their own."""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import SR, alac
from earmark.audio import AudioWarning, collecting_warnings, load_audio, probe

CANCEL = "the channels cancel out when mixed to mono \\(one is the other inverted\\); earmark used the left channel"


def _tone(seconds: float = 1.0, freq_hz: float = 220.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.5 * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def test_inverted_channels_load_as_the_left_channel_with_a_warning(tmp_path: Path) -> None:
    left = _tone()
    path = tmp_path / "inverted.wav"
    sf.write(path, np.stack([left, -left], axis=1), SR, subtype="FLOAT")
    with pytest.warns(AudioWarning, match=f"inverted.wav: {CANCEL}"):
        audio = load_audio(path)
    np.testing.assert_array_equal(audio.samples, left)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = load_audio(path, mono=False)  # not mixed: both channels, as they are
    np.testing.assert_array_equal(kept.samples, np.stack([left, -left]))


def test_inverted_channels_decoded_by_ffmpeg_load_too(tmp_path: Path) -> None:
    left = (_tone() * 20000).astype(np.int16)
    path = alac(tmp_path / "inverted.m4a", np.stack([left, -left]), bits=16)
    with collecting_warnings() as messages:
        audio = load_audio(path)
    assert len(messages) == 1 and messages[0].endswith("earmark used the left channel")
    np.testing.assert_allclose(audio.samples, left / 32768, atol=1e-4)


def test_partly_out_of_phase_or_silent_stereo_is_mixed_as_usual(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    tone = _tone()
    # a tone in opposite phase in the two channels (cancels in the mix), over room sound that does not
    left = tone + 0.1 * rng.standard_normal(tone.size).astype(np.float32)
    right = -tone + 0.1 * rng.standard_normal(tone.size).astype(np.float32)
    path = tmp_path / "wide.wav"
    sf.write(path, np.stack([left, right], axis=1), SR, subtype="FLOAT")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        audio = load_audio(path)
        silent = tmp_path / "silent.wav"
        sf.write(silent, np.zeros((SR, 2), np.float32), SR)
        assert not load_audio(silent).samples.any()
    np.testing.assert_allclose(audio.samples, (left + right) / 2, atol=1e-6)


def test_an_mp3_whose_xing_header_is_off_decodes_without_the_decoders_own_words(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    tone = _tone(seconds=2.0)
    path = tmp_path / "retagged.mp3"
    sf.write(path, np.stack([tone, tone], axis=1), SR)  # LAME writes a Xing header: frames, bytes, TOC
    data = bytearray(path.read_bytes())
    at = data.index(b"Xing") + 12  # after the flags and the frame count: the stream's size in bytes
    data[at : at + 4] = struct.pack(">I", 2 * len(data))  # as a tag editor that grew the file leaves it
    path.write_bytes(data)
    capfd.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert probe(path)[1] == SR
        audio = load_audio(path)
    assert audio.samples.shape[-1] >= tone.size
    assert capfd.readouterr() == ("", "")  # libmpg123 said "Warning: Xing stream size off by more than 1%"
