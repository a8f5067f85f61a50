"""Tests for earmark.live: a file played as if live, and what happens without a microphone.

There is no sound card on test machines, so the microphone tests check the errors: without
sounddevice (or PortAudio) a :class:`DependencyError` that says what to install, and with a
stand-in sounddevice whose device calls fail (as PortAudio's do), a :class:`DeviceError`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from earmark.errors import AudioDecodeError, DependencyError, DeviceError, EarmarkError, ParameterError
from earmark.live import file_chunks, microphone_chunks

SR = 8000


@pytest.fixture
def ramp(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """1.05 s at 8 kHz, every sample distinct (multiples of 2**-14, exact in 16-bit PCM)."""
    y = (np.arange(8400) % 8192 / 16384).astype(np.float32)
    path = tmp_path / "ramp.wav"
    sf.write(path, y, SR, subtype="PCM_16")
    return path, y


def test_file_chunks_have_the_asked_size(ramp: tuple[Path, np.ndarray]) -> None:
    path, y = ramp
    chunks, rate = file_chunks(path, chunk_s=0.25, realtime=False)
    assert rate == SR
    got = list(chunks)
    assert [c.shape for c in got] == [(2000,), (2000,), (2000,), (2000,), (400,)]  # 1.05 s: four and a bit
    assert all(c.dtype == np.float32 for c in got)
    np.testing.assert_array_equal(np.concatenate(got), y)


def test_file_chunks_without_realtime_do_not_wait(ramp: tuple[Path, np.ndarray]) -> None:
    chunks, _ = file_chunks(ramp[0], chunk_s=0.1, realtime=False)
    start = time.perf_counter()
    assert len(list(chunks)) == 11
    assert time.perf_counter() - start < 0.5  # in real time it would take a second


def test_file_chunks_in_realtime_are_paced(ramp: tuple[Path, np.ndarray]) -> None:
    chunks, _ = file_chunks(ramp[0], chunk_s=0.35, realtime=True)
    start = time.perf_counter()
    assert len(list(chunks)) == 3  # the third is due 0.7 s after the first
    assert time.perf_counter() - start >= 0.69


def test_file_chunks_of_a_stereo_file_are_mono(tmp_path: Path) -> None:
    left, right = np.full(800, 0.5, np.float32), np.full(800, -0.25, np.float32)
    sf.write(tmp_path / "stereo.wav", np.stack([left, right], axis=1), SR, subtype="FLOAT")
    chunks, _ = file_chunks(tmp_path / "stereo.wav", chunk_s=0.05, realtime=False)
    got = list(chunks)
    assert all(c.ndim == 1 for c in got)
    np.testing.assert_allclose(np.concatenate(got), 0.125)


def test_file_chunks_name_a_bad_file_before_the_first_chunk(tmp_path: Path) -> None:
    with pytest.raises(AudioDecodeError, match=r"gone\.wav: no such file; check the path"):
        file_chunks(tmp_path / "gone.wav", chunk_s=0.1)


@pytest.mark.parametrize("source", ["file", "microphone"])
def test_a_chunk_length_must_be_positive(source: str, ramp: tuple[Path, np.ndarray]) -> None:
    with pytest.raises(ParameterError, match=r"chunk_s must be a positive number of seconds, got 0"):
        if source == "file":
            file_chunks(ramp[0], chunk_s=0)
        else:
            microphone_chunks(chunk_s=0)


def test_without_sounddevice_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # as if not installed: import raises ImportError
    with pytest.raises(DependencyError, match=r"needs PortAudio: pip install 'earmark\[mic\]' \(and on "
                                              r"Debian/Ubuntu apt install libportaudio2\); or use --input FILE"):
        microphone_chunks(chunk_s=0.1)


class _PortAudioError(Exception):
    """What sounddevice raises when PortAudio fails."""


def _stand_in_sounddevice(*, has_input: bool) -> ModuleType:
    """A sounddevice whose calls fail the way they do on a machine without (a free) microphone."""
    module = ModuleType("sounddevice")

    def query_devices(kind: str) -> dict[str, Any]:
        if not has_input:
            raise _PortAudioError("Error querying device -1")
        return {"name": "busy mic", "default_samplerate": 48000.0}

    def input_stream(**kwargs: Any) -> None:
        raise _PortAudioError("Error opening InputStream: Device unavailable [PaErrorCode -9985]")

    module.query_devices = query_devices  # type: ignore[attr-defined]
    module.InputStream = input_stream  # type: ignore[attr-defined]
    return module


def test_no_input_device_is_a_device_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", _stand_in_sounddevice(has_input=False))
    with pytest.raises(DeviceError, match=r"no microphone found \(Error querying device -1\); plug one in or use "
                                          r"--input FILE") as caught:
        microphone_chunks(chunk_s=0.1)
    assert isinstance(caught.value, EarmarkError)


def test_a_busy_microphone_is_a_device_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", _stand_in_sounddevice(has_input=True))
    with pytest.raises(DeviceError, match=r"cannot open the microphone at 48000 Hz \(Error opening InputStream: "
                                          r"Device unavailable.*\); close other programs using it, or use --input"):
        microphone_chunks(chunk_s=0.1)
