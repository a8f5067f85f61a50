"""Ctrl-C while a decoder is reading: libsndfile and FFmpeg read a file through callbacks to Python,
where a KeyboardInterrupt is only reported ("Exception ignored from cffi callback") and lost. A
press at 2.0 s into `earmark train` landed there once, and training went on (CI, session 17)."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pytest

import earmark.audio
import earmark.decode
from earmark import Audio, load_audio
from earmark.audio import write_wav
from earmark.interrupts import interrupts_held

DATA = Path(__file__).parent / "data" / "audio"


def _in_soundfiles_callback() -> bool:
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_name != "vio_read":
        frame = frame.f_back  # type: ignore[assignment]
    return frame is not None


class _PressOnRead(io.BytesIO):
    """A file that presses Ctrl-C (SIGINT to this process) the first time a decoder reads it: for
    libsndfile, from soundfile's callback (earmark's own Python reads a WAV's header first); FFmpeg
    reads it first (PyAV's callback is compiled, with no Python frame to look for)."""

    def __init__(self, data: bytes, *, in_soundfile: bool) -> None:
        super().__init__(data)
        self.in_soundfile = in_soundfile
        self.pressed = False

    def _press(self) -> None:
        if not self.pressed and (not self.in_soundfile or _in_soundfiles_callback()):
            self.pressed = True
            os.kill(os.getpid(), signal.SIGINT)  # handled on the next line Python runs: still in the callback

    def read(self, size: int | None = -1, /) -> bytes:
        self._press()
        return super().read(size)

    def readinto(self, buffer: Any, /) -> int:  # soundfile's callback reads this way
        self._press()
        return super().readinto(buffer)


def _pressed_on(monkeypatch: pytest.MonkeyPatch, opening: int) -> None:
    """The ``opening``-th time (from 0) decode opens its file (0: libsndfile's try, 1: FFmpeg's after
    libsndfile refused it), the decoder reads a file that presses Ctrl-C."""
    real = earmark.decode._opener

    def opener(source: object, name: str) -> Callable[[], BinaryIO]:
        opened = real(source, name)  # type: ignore[arg-type]
        count = 0

        def open_again() -> BinaryIO:
            nonlocal count
            count += 1
            with opened() as stream:
                data = stream.read()
            return _PressOnRead(data, in_soundfile=opening == 0) if count - 1 == opening else io.BytesIO(data)
        return open_again

    monkeypatch.setattr(earmark.decode, "_opener", opener)


@pytest.mark.parametrize(("name", "opening"), [("mono_int32.wav", 0), ("stereo.flac", 0), ("mono.m4a", 1)])
def test_a_press_while_a_decoder_reads_is_raised_not_lost(monkeypatch: pytest.MonkeyPatch, name: str,
                                                          opening: int) -> None:
    _pressed_on(monkeypatch, opening)
    with pytest.raises(KeyboardInterrupt):
        load_audio(DATA / name)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_without_a_press_the_same_reads_decode_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = load_audio(DATA / "stereo.flac")
    _pressed_on(monkeypatch, opening=5)  # never reached
    again = load_audio(DATA / "stereo.flac")
    np.testing.assert_array_equal(again.samples, whole.samples)


class _PressOnWrite:
    """The file being written, pressing Ctrl-C the first time soundfile writes to it."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self.pressed = False

    def write(self, data: bytes) -> int:
        if not self.pressed:
            self.pressed = True
            os.kill(os.getpid(), signal.SIGINT)
        return self._fh.write(data)

    def __getattr__(self, name: str) -> object:
        return getattr(self._fh, name)


def test_a_press_while_a_wav_is_written_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """soundfile writes through a callback too: a press lost there cut the file short, and it was kept."""
    real = earmark.audio.atomic_write

    @contextlib.contextmanager
    def pressing(path: Path) -> Iterator[BinaryIO]:
        with real(path) as fh:
            yield _PressOnWrite(fh)  # type: ignore[misc]

    monkeypatch.setattr(earmark.audio, "atomic_write", pressing)
    with pytest.raises(KeyboardInterrupt):
        write_wav(tmp_path / "take.wav", Audio(np.zeros(16000, np.float32), 16000))
    assert list(tmp_path.iterdir()) == []


def test_held_presses_go_to_the_handler_that_was_there_before() -> None:
    seen: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        with interrupts_held() as outer:
            with interrupts_held():
                os.kill(os.getpid(), signal.SIGINT)
                assert seen == []  # held by the inner block
            assert seen == []  # passed to the outer block, which still holds it
            outer.pass_on()
            assert seen == [signal.SIGINT]
        assert seen == [signal.SIGINT]  # once, not again at the end
    finally:
        signal.signal(signal.SIGINT, previous)
