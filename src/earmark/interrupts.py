"""Ctrl-C (SIGINT) held back around code a KeyboardInterrupt must not land in, and passed on after.

Python runs a signal handler in the main thread at whatever line it is on. Some lines cannot pass
the KeyboardInterrupt on:

- a Python function a C library calls back (libsndfile reading a file object through soundfile's
  cffi callbacks, FFmpeg through PyAV's): the exception is only reported ("Exception ignored from
  cffi callback"), the read returns nothing, and the press is lost (``earmark train`` went on to
  train) while the decode may end early;
- PyTorch's C++ start-up (pybind11), where the process aborts instead.

:func:`interrupts_held` keeps a press until the block is done (or until the block calls
:meth:`HeldInterrupts.pass_on` at a safe point, as a decoder between blocks does), then hands it to
the handler that was there before: the default one raises KeyboardInterrupt, training's stops after
the epoch. Outside the main thread, which signals never reach, it does nothing.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

__all__ = ["HeldInterrupts", "interrupts_held"]


class HeldInterrupts:
    """The presses held by one :func:`interrupts_held` block."""

    def __init__(self) -> None:
        self._previous: Any = None  # the handler before the block (None: nothing is held)
        self._pressed = threading.Event()

    def _press(self, signum: int, frame: FrameType | None) -> None:
        self._pressed.set()

    def pass_on(self) -> None:
        """A press held so far, handed now to the handler before the block (which may raise
        KeyboardInterrupt); nothing if there was none."""
        if not self._pressed.is_set():
            return
        self._pressed.clear()
        previous = self._previous
        if callable(previous):
            previous(signal.SIGINT, None)
        elif previous == signal.SIG_DFL:  # the process would have ended: the nearest Python can do
            raise KeyboardInterrupt


@contextlib.contextmanager
def interrupts_held() -> Iterator[HeldInterrupts]:
    """Ctrl-C held back until the block is done, then passed on (see the module's docs). Blocks nest:
    an inner one passes a press to the outer one, which passes it on when it ends."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is None:
        yield HeldInterrupts()  # no signals here, or a handler set from C that could not be put back
        return
    held = HeldInterrupts()
    held._previous = signal.signal(signal.SIGINT, held._press)
    try:
        yield held
    finally:
        signal.signal(signal.SIGINT, held._previous)
    held.pass_on()
