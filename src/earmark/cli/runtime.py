"""How the ``earmark`` command runs: the command group that turns library errors into one line,
the ``warning:`` lines, JSON output, and Ctrl-C while training."""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import signal
import sys
import threading
import warnings
from typing import Any

import click

from ..errors import EarmarkError, EarmarkWarning, collecting_warnings
from ..interrupts import interrupts_held

__all__ = ["EngineCommand", "FirstInterruptStops", "Group", "KeptWarnings", "emit_json", "interrupts_held",
           "show_warning"]


def show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: Any = None, line: str | None = None) -> None:
    """Warnings earmark issues (:class:`~earmark.errors.EarmarkWarning`: a file cut short, a zip's names
    that may read wrongly) as one ``warning:`` line, like training's; any other warning as Python shows it."""
    if issubclass(category, EarmarkWarning):
        _warning_line(message)
    else:
        _python_show_warning(message, category, filename, lineno, file, line)


def _warning_line(message: Warning | str) -> None:
    click.echo(f"warning: {' '.join(str(message).split())}", err=True)


class KeptWarnings:
    """The :class:`~earmark.errors.EarmarkWarning` messages issued while it is open (a recording cut short, its
    channels cancelling out), kept for a command's ``--json`` (:func:`~earmark.errors.collecting_warnings`:
    this thread only) and still shown on stderr as ``warning:`` lines on leaving, each once."""

    def __init__(self) -> None:
        self._collecting = collecting_warnings()
        self._issued: list[str] = []
        self.messages: list[str] = []  # in the order issued, each once

    def __enter__(self) -> KeptWarnings:
        self._issued = self._collecting.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._collecting.__exit__(*exc)
        self.messages = list(dict.fromkeys(self._issued))
        for message in self.messages:
            _warning_line(message)


_python_show_warning = warnings.showwarning


class Group(click.Group):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """As the ``earmark`` program (tests call :meth:`main`): once a Ctrl-C has stopped training, a
        second one, at any moment until the process is gone, ends it with ``interrupted`` and status 130
        (see :class:`_PressesAtExit`)."""
        _AT_EXIT.release()  # an earlier call in this process (a test, a notebook) held Ctrl-C: give it back
        atexit.unregister(_AT_EXIT.leave)
        atexit.register(_AT_EXIT.leave)  # registered before PyTorch's and multiprocessing's: run after them
        status: Any = 0
        try:
            return self.main(*args, **kwargs)
        except SystemExit as exc:
            status = exc.code
            raise
        except KeyboardInterrupt:  # a press in click's own code, after the command returned
            click.echo("interrupted", err=True)
            status = 130
            raise SystemExit(130) from None
        except BaseException:  # an error earmark did not expect: Python shows it, and the status is 1
            status = 1
            raise
        finally:
            _AT_EXIT.hold(status=status)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", EarmarkWarning)  # every file cut short is named, not only the first
                warnings.showwarning = show_warning
                return super().invoke(ctx)
        except EarmarkError as exc:
            message = " ".join(f"{exc}; {exc.cli_hint}".split() if exc.cli_hint else str(exc).split())  # one line
            click.secho(f"Error: {message}", fg="red", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:  # the reader went away (`earmark listen … | head`): stop quietly
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)


class EngineCommand(click.Command):
    """A command that runs on PyTorch (every command that reads audio or a model does): it imports it
    first, and ``engine_modules`` (the heavy ones the command goes on to use: ``("earmark.train",)``),
    with Ctrl-C held until they are in (:func:`interrupts_held`); a press meanwhile then prints
    ``interrupted``. A press in the middle of an import could be lost instead: raised inside the import
    system's clean-up it is only reported ("Exception ignored in ... _get_module_lock"), and
    ``earmark train`` went on to train. ``--help`` never gets here, so it stays quick."""

    def __init__(self, *args: Any, engine_modules: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.engine_modules = engine_modules

    def invoke(self, ctx: click.Context) -> Any:
        with interrupts_held():
            import torch  # noqa: F401

            for module in self.engine_modules:
                importlib.import_module(module)
        return super().invoke(ctx)


def emit_json(obj: Any) -> None:
    from ..report import finite

    text = json.dumps(finite(obj), indent=2, ensure_ascii=False, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a file name with bytes that are not UTF-8: escape it, so the output stays JSON
        text = json.dumps(finite(obj), indent=2, ensure_ascii=True, allow_nan=False)
    click.echo(text)


class FirstInterruptStops:
    """While training: a first Ctrl-C (SIGINT) asks to stop after this epoch and keep the model;
    a second one aborts: KeyboardInterrupt, and nothing is written. The handler before it comes
    back afterwards.

    Presses are counted from a wakeup pipe, which gets one byte per signal: Python runs a handler
    once for two signals that arrive while the main thread is inside one long call (a torch
    operation), and a KeyboardInterrupt raised where Python only reports it (a ``__del__``, such
    as a data loader's shutting down its workers) is lost. So the count is also checked on the
    way out, and a second press aborts even then. A press is counted once however it arrives:
    CPython writes the byte after it asks for the handler, so when the signal lands in another
    thread the handler can run before its byte is in the pipe. The presses are therefore the
    larger of the handler's runs and the bytes read, not their sum."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._previous: Any = None
        self._previous_fd = -1
        self._previous_hook = sys.unraisablehook
        self._pipe: tuple[int, int] | None = None
        self._handled = 0  # runs of the handler
        self._written = 0  # SIGINT bytes read from the pipe
        self.presses = 0

    def _count(self) -> int:
        """Ctrl-C presses written to the pipe since the last count (their bytes: signal numbers)."""
        if self._pipe is None:
            return 0
        seen = b""
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while chunk := os.read(self._pipe[0], 512):
                seen += chunk
        return seen.count(bytes([signal.SIGINT]))

    def _handle(self, signum: int, frame: Any) -> None:
        self._handled += 1
        self._written += self._count()  # this call's byte may not be written yet: max, not sum
        self.presses = max(self._handled, self._written)
        if self.presses >= 2:
            raise KeyboardInterrupt
        self._event.set()
        click.echo("\nCtrl-C: stopping after this epoch and keeping the model (Ctrl-C again to abort)", err=True)

    def __enter__(self) -> threading.Event:
        if threading.current_thread() is threading.main_thread():  # signals reach only the main thread
            self._pipe = os.pipe()
            for fd in self._pipe:
                os.set_blocking(fd, False)
            self._previous_fd = signal.set_wakeup_fd(self._pipe[1], warn_on_full_buffer=False)
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._previous_hook = sys.unraisablehook
            sys.unraisablehook = self._unraisable
        return self._event

    def _unraisable(self, info: Any) -> None:
        """A second press that lands in a ``__del__`` is counted, not shown as a traceback."""
        if not isinstance(info.exc_value, KeyboardInterrupt):
            self._previous_hook(info)

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if self._pipe is None:
            return
        self._written += self._count()  # presses whose handler has not run yet, or whose byte came after it
        self.presses = max(self._handled, self._written)  # a lost interrupt's handler has run: it is in _handled
        signal.signal(signal.SIGINT, self._previous)
        signal.set_wakeup_fd(self._previous_fd)
        sys.unraisablehook = self._previous_hook
        for fd in self._pipe:
            os.close(fd)
        self._pipe = None
        if self.presses:
            _AT_EXIT.armed = True
        if self.presses >= 2 and exc_type is None:
            raise KeyboardInterrupt


class _PressesAtExit:
    """A second Ctrl-C after a first one stopped training, arriving while the process ends. Python's
    own handler would raise KeyboardInterrupt in an exit function (a traceback under the report), and
    once Python has begun to tear itself down (a second or so with PyTorch loaded) it puts back the
    system's default action, which kills the process (status -2, no ``interrupted``). So, once armed
    by :class:`FirstInterruptStops`: from the end of the command on, a press is only counted (in a
    wakeup pipe); after every other exit function, Ctrl-C is ignored, a press counted meanwhile is
    reported as ``interrupted`` (status 130), and the process ends there, without the teardown."""

    def __init__(self) -> None:
        self.armed = False
        self._status = 0
        self._pipe: tuple[int, int] | None = None
        self._previous: Any = signal.default_int_handler
        self._previous_fd = -1

    def hold(self, *, status: Any) -> None:
        """The command is done (``status``: its exit status): count presses from now on, raise none."""
        if not self.armed or threading.current_thread() is not threading.main_thread():
            return
        self._status = status if isinstance(status, int) else 0 if status is None else 1
        self._pipe = os.pipe()
        for fd in self._pipe:
            os.set_blocking(fd, False)
        self._previous_fd = signal.set_wakeup_fd(self._pipe[1], warn_on_full_buffer=False)
        self._previous = signal.signal(signal.SIGINT, lambda signum, frame: None)

    def release(self) -> None:
        """Undo :meth:`hold` (the process goes on: another command is called in it), and disarm."""
        self.armed = False
        if self._pipe is None:
            return
        signal.signal(signal.SIGINT, self._previous)
        signal.set_wakeup_fd(self._previous_fd)
        for fd in self._pipe:
            os.close(fd)
        self._pipe = None

    def leave(self) -> None:
        """The last exit function: end the process with the command's status, or 130 after a press."""
        if self._pipe is None:
            return
        sys.unraisablehook = lambda info: None  # 'Signal 2 ignored due to race condition': it is counted below
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        seen = b""
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while chunk := os.read(self._pipe[0], 512):
                seen += chunk
        status = self._status
        if bytes([signal.SIGINT]) in seen and status != 130:
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write("interrupted\n")
            status = 130
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(status)


_AT_EXIT = _PressesAtExit()
