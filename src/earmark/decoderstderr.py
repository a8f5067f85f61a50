"""The C decoders' stderr: what libmpg123 (libsndfile's MP3 decoder) prints straight to the process's
file descriptor 2 while libsndfile opens or reads a file, kept out of earmark's output.

libsndfile gives its decoders no way to keep quiet, so :func:`decoder_quiet` points fd 2 at a temporary
file while a decode runs and, when the last one running ends, writes out all that was caught but the
decoders' own lines (:data:`_DECODER_NOISE`): anything else written to stderr meanwhile, by any thread,
comes out late but unchanged. :mod:`earmark.decode` and :mod:`earmark.playable` read files under it.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["decoder_quiet"]

#: What libmpg123 (libsndfile's MP3 decoder) prints straight to the process's stderr, which libsndfile
#: does not let it keep quiet: "Warning: Xing stream size off by more than 1%, fuzzy seeking may be even
#: more fuzzy than by design!", "Note: Illegal Audio-MPEG-Header …", "[src/libmpg123/layer3.c:…] error: …".
#: None of it matters here: earmark reads the whole file, and says itself when one is cut short.
_DECODER_NOISE = re.compile(rb"^(?:(?:Warning|Note|Error|Big change)\b.*|\[[^\]]*(?:mpg123|\.c:\d)[^\]]*\].*)$")
_STDERR_LOCK = threading.Lock()
_stderr_held: list[Any] = []  # while any thread decodes: the real stderr (a dup of fd 2), the file fd 2 is now, depth


def _hold_stderr() -> bool:
    """Point fd 2 at a temporary file (the first decode running) or count one more decode; ``False``
    where fd 2 cannot be redirected."""
    with _STDERR_LOCK:
        if not _stderr_held:
            try:
                sys.stderr.flush()
                real, caught = os.dup(2), tempfile.TemporaryFile()
                os.dup2(caught.fileno(), 2)
            except (OSError, ValueError, AttributeError):
                return False
            _stderr_held[:] = [real, caught, 0]
        _stderr_held[2] += 1
        return True


def _release_stderr() -> None:
    """One decode fewer; after the last, fd 2 is the real stderr again, and gets what was caught but
    the decoders' noise."""
    with _STDERR_LOCK:
        _stderr_held[2] -= 1
        if _stderr_held[2]:
            return
        real, caught, _ = _stderr_held
        _stderr_held.clear()
        with contextlib.suppress(OSError, ValueError, AttributeError):
            sys.stderr.flush()
        os.dup2(real, 2)
        os.close(real)
        with caught:
            caught.seek(0)
            kept = [line for line in caught.read().splitlines(keepends=True)
                    if not _DECODER_NOISE.match(line.rstrip(b"\r\n"))]
        if kept:
            os.write(2, b"".join(kept))


@contextlib.contextmanager
def decoder_quiet() -> Iterator[None]:
    """Keep what the C decoders print to stderr (fd 2) out of earmark's output (:data:`_DECODER_NOISE`).
    Anything else written to stderr meanwhile, by any thread, is written out unchanged when the last
    decode running ends (late, not lost). Where fd 2 cannot be redirected, nothing changes."""
    held = _hold_stderr()
    try:
        yield
    finally:
        if held:
            _release_stderr()
