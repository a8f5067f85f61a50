"""Audio given as a pipe, FIFO or device path (``cat take.wav | earmark predict m.earmark /dev/stdin``,
``<(cat take.wav)``, a ``mkfifo``): read once into memory, up to a limit, and decoded; only a regular file
of 0 bytes is "empty"."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import earmark.decode
from conftest import SR, wav_bytes
from earmark.audio import load_audio
from earmark.errors import AudioDecodeError

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/fd").is_dir(),
                                reason="FIFOs and /dev/fd are POSIX")

EARMARK = Path(sys.executable).with_name("earmark")


def _feeding(write: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("name", ["take.wav", "take"])
def test_a_fifo_is_read_once_and_decoded(tmp_path: Path, name: str) -> None:
    data = wav_bytes(1.0)
    fifo = tmp_path / name
    os.mkfifo(fifo)
    writer = _feeding(lambda: fifo.write_bytes(data))
    audio = load_audio(fifo)
    writer.join(timeout=10)
    assert audio.sample_rate == SR
    np.testing.assert_array_equal(audio.samples, load_audio(data).samples)


def test_a_pipe_given_as_dev_fd_is_decoded() -> None:
    """What ``<(cat take.wav)`` gives: /dev/fd/N, the reading end of a pipe."""
    data = wav_bytes(0.5)
    read_end, write_end = os.pipe()
    try:
        writer = _feeding(lambda: (os.write(write_end, data), os.close(write_end)))
        audio = load_audio(f"/dev/fd/{read_end}")
        writer.join(timeout=10)
    finally:
        os.close(read_end)
    assert audio.samples.shape == (SR // 2,)


def test_a_pipe_with_nothing_in_it_is_not_called_an_empty_file() -> None:
    with pytest.raises(AudioDecodeError, match=r"^/dev/null: nothing came through this pipe or device \(0 bytes\)"):
        load_audio("/dev/null")


def test_an_endless_pipe_is_read_only_up_to_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(earmark.decode, "MAX_PIPED_BYTES", 64 * 1024)
    with pytest.raises(AudioDecodeError, match=r"/dev/zero: more than 64 KiB came through this pipe, the most "
                                               r"earmark reads .*save it to a file"):
        load_audio("/dev/zero")


def test_predict_labels_audio_piped_to_dev_stdin(tmp_path: Path, make_untrained: Callable[..., object]) -> None:
    model = make_untrained().save(tmp_path / "m.earmark")  # type: ignore[attr-defined]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NO_COLOR": "1"}
    done = subprocess.run([str(EARMARK), "predict", str(model), "/dev/stdin"], input=wav_bytes(1.0),
                          capture_output=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().startswith("/dev/stdin\t")
