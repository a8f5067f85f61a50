"""One error hierarchy for earmark.

Every error a user can cause derives from :class:`EarmarkError`. Messages say what
happened, name the offending value or file, and say what to do about it. The CLI
turns these into a one-line message and a non-zero exit.

Each class also carries ``http_status``, the HTTP status for a JSON API to answer with
(400 bad input, 422 unusable files, 5xx failures on the serving side); earmark studio
answers with it.

Input earmark uses anyway, with something about it a person should know (a file cut short, a zip
whose names may read wrongly), is an :class:`EarmarkWarning`, issued by :func:`warn`: through
:mod:`warnings` (the CLI prints one ``warning:`` line), or, inside :func:`collecting_warnings`, kept
for the caller to report beside the file (the studio's uploads).
"""

from __future__ import annotations

import contextlib
import contextvars
import warnings
from collections.abc import Iterator

__all__ = [
    "EarmarkError",
    "ParameterError",
    "RangeNotSatisfiableError",
    "AudioDecodeError",
    "DatasetError",
    "ModelFileError",
    "OutputError",
    "DependencyError",
    "InstallError",
    "DeviceError",
    "NotFoundError",
    "ConflictError",
    "LimitError",
    "EarmarkWarning",
    "AudioWarning",
    "ZipNameWarning",
    "collecting_warnings",
    "warn",
]


class EarmarkError(Exception):
    """Root of every error earmark raises on purpose. ``cli_hint`` is what to do worded for the
    ``earmark`` command, which adds it to the message (the studio and Python callers get the
    message alone, which says what to do in any setting). Where the hint depends on the command
    that ran, the error names its ``cli_case`` instead, and the command sets ``cli_hint``."""

    #: HTTP status for a JSON API that reports this error.
    http_status: int = 400
    cli_hint: str | None = None
    #: The mistake, for a command to word its own ``cli_hint``: ``"audio-as-model"``, an audio file
    #: given where a model file goes (``earmark predict take.wav model.earmark``).
    cli_case: str | None = None

    def __init__(self, *args: object, cli_hint: str | None = None, cli_case: str | None = None) -> None:
        super().__init__(*args)
        if cli_hint is not None:
            self.cli_hint = cli_hint
        if cli_case is not None:
            self.cli_case = cli_case


class ParameterError(EarmarkError, ValueError):
    """A setting or argument has a value earmark cannot use."""


class RangeNotSatisfiableError(ParameterError):
    """A request for part of a file (an HTTP ``Range``) asks for bytes past its end; ``size`` is
    the file's length in bytes (the studio answers 416 with ``Content-Range: bytes */SIZE``)."""

    http_status = 416

    def __init__(self, *args: object, size: int, cli_hint: str | None = None) -> None:
        super().__init__(*args, cli_hint=cli_hint)
        self.size = size


class AudioDecodeError(EarmarkError):
    """A file could not be read as audio (missing, empty, corrupt, too short, NaN/inf)."""

    http_status = 422


class DatasetError(EarmarkError):
    """A dataset (folder per class, or zip) cannot be trained or evaluated on."""

    http_status = 422


class ModelFileError(EarmarkError):
    """A model file is missing, corrupt, foreign or from a newer earmark."""

    http_status = 422


class OutputError(EarmarkError):
    """An output (model file, picture, report) cannot be written."""

    http_status = 500


class DependencyError(EarmarkError):
    """An optional dependency needed for this feature is not installed."""

    http_status = 501


class InstallError(EarmarkError):
    """earmark's own files (the studio's pages) are missing from its install: reinstall earmark."""

    http_status = 500


class DeviceError(EarmarkError):
    """An audio device (the microphone) is missing, busy, or refuses the settings asked for."""

    http_status = 503


class NotFoundError(EarmarkError):
    """A project, class, sample, model or job that was asked for does not exist."""

    http_status = 404


class ConflictError(EarmarkError):
    """The request clashes with what is there (a name already taken, a training already running)."""

    http_status = 409


class LimitError(EarmarkError):
    """An upload is over a limit (size, number of files, duration)."""

    http_status = 413


class EarmarkWarning(UserWarning):
    """Root of the warnings earmark issues (see :func:`warn`)."""


class AudioWarning(EarmarkWarning):
    """Audio that loads, with something about it a person should know (a file that may be cut
    short). Issued through :mod:`warnings`; the CLI prints it as one ``warning:`` line."""


class ZipNameWarning(EarmarkWarning):
    """A zip's names are in a code page earmark cannot tell, so its class and file names may read
    wrongly."""


#: Where :func:`warn`'s messages go while :func:`collecting_warnings` runs in this thread or task;
#: ``None``: to :func:`warnings.warn`, as usual.
_COLLECTOR: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("earmark_warnings", default=None)


@contextlib.contextmanager
def collecting_warnings() -> Iterator[list[str]]:
    """Collect the messages of the :class:`EarmarkWarning` warnings issued in this block, in this thread (or
    asyncio task) only, instead of issuing them through :mod:`warnings`. Unlike
    :func:`warnings.catch_warnings`, it changes nothing for other threads, so uploads decoded side by
    side each get their own.

    >>> with collecting_warnings() as messages:
    ...     audio = load_audio("take.ogg")   # doctest: +SKIP
    """
    messages: list[str] = []
    token = _COLLECTOR.set(messages)
    try:
        yield messages
    finally:
        _COLLECTOR.reset(token)


def warn(message: str, category: type[EarmarkWarning], *, stacklevel: int = 2) -> None:
    """Issue ``message`` as a ``category`` warning, or keep it for :func:`collecting_warnings`."""
    collector = _COLLECTOR.get()
    if collector is None:
        warnings.warn(message, category, stacklevel=stacklevel + 1)
    else:
        collector.append(message)
