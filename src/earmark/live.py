"""Audio sources for live listening: a file played as if live, or the microphone (PortAudio)."""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Iterator

import numpy as np

from .audio import load_audio
from .errors import DependencyError, DeviceError, ParameterError

__all__ = ["file_chunks", "microphone_chunks"]


def _check_chunk_s(chunk_s: float) -> None:
    if not chunk_s > 0:
        raise ParameterError(f"chunk_s must be a positive number of seconds, got {chunk_s!r}")


def file_chunks(path: str | os.PathLike[str], *, chunk_s: float,
                realtime: bool = True) -> tuple[Iterator[np.ndarray], int]:
    """Chunks of ``chunk_s`` seconds from a file at its own rate, paced in real time if asked.

    Returns the chunks (mono float32; the last may be shorter) and the file's sample rate. The
    file is decoded at once, so a bad file raises :class:`~earmark.errors.AudioDecodeError` here.
    """
    _check_chunk_s(chunk_s)
    audio = load_audio(path)
    size = max(1, int(round(chunk_s * audio.sample_rate)))

    def chunks() -> Iterator[np.ndarray]:
        start = time.perf_counter()
        for k, i in enumerate(range(0, audio.samples.shape[0], size)):
            if realtime:
                delay = start + k * chunk_s - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            yield audio.samples[i : i + size]

    return chunks(), audio.sample_rate


def microphone_chunks(*, chunk_s: float, sample_rate: int | None = None) -> tuple[Iterator[np.ndarray], int]:
    """Chunks from the default input device, raw (mono, float32) at the device's own rate
    (or ``sample_rate``), and that rate. Needs the ``mic`` extra (sounddevice + PortAudio).

    Raises
    ------
    DependencyError
        If sounddevice or the PortAudio library is missing; the message says what to install.
    DeviceError
        If there is no input device, or it cannot be opened at the rate asked for.
    """
    _check_chunk_s(chunk_s)
    try:
        import sounddevice as sd
    except (ImportError, OSError) as exc:
        raise DependencyError(
            "live microphone input needs PortAudio: pip install 'earmark[mic]' (and on Debian/Ubuntu "
            "apt install libportaudio2); or use --input FILE"
        ) from exc
    try:
        device = sd.query_devices(kind="input")
    except Exception as exc:  # noqa: BLE001 - PortAudio raises its own error types
        raise DeviceError(f"no microphone found ({exc}); plug one in or use --input FILE") from exc
    rate = int(sample_rate or device["default_samplerate"])
    size = max(1, int(round(chunk_s * rate)))
    q: queue.Queue[np.ndarray] = queue.Queue()

    def callback(indata: np.ndarray, frames: int, t: object, status: object) -> None:
        q.put(indata[:, 0].copy())

    try:
        stream = sd.InputStream(samplerate=rate, channels=1, dtype="float32", blocksize=size, callback=callback)
    except Exception as exc:  # noqa: BLE001 - PortAudio raises its own error types
        raise DeviceError(f"cannot open the microphone at {rate} Hz ({exc}); "
                          "close other programs using it, or use --input FILE") from exc

    def chunks() -> Iterator[np.ndarray]:
        with stream:
            while True:
                yield q.get()

    return chunks(), rate
