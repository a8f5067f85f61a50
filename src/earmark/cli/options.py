"""What several ``earmark`` commands share: the options that cut long recordings into clips,
loading a dataset with its skipped files on stderr, the checks on a file a command writes, and
each command's hint for an audio file given as its model."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..atomic import check_replaceable, check_writable
from ..errors import EarmarkError, OutputError

if TYPE_CHECKING:
    from ..dataset import Dataset

__all__ = ["check_output", "clip_options", "load_set", "model_hint"]


F = TypeVar("F", bound=Callable[..., Any])


#: The suffix of each kind of file the commands write: its kind for :func:`earmark.atomic.check_replaceable`,
#: and what it is, for the message.
_SUFFIXES = {".earmark": ("earmark model", "an earmark model"), ".onnx": ("onnx", "an ONNX model"),
             ".png": ("png", "a PNG picture")}


def check_output(out: Path, *inputs: Path, suffix: str, option: str = "--out") -> None:
    """Fail before any work if ``out`` cannot be written, is one of the command's ``inputs`` (a
    swapped argument would replace the model or recording being read), holds something other than
    what is written there (a recording, another kind of model: :func:`earmark.atomic.check_replaceable`),
    or is not named with the ``suffix`` of what is written there (a PNG named s.svg, an ONNX file
    named m.txt)."""
    check_writable(out)
    for source in inputs:
        with contextlib.suppress(OSError):
            if out.exists() and source.exists() and os.path.samefile(out, source):
                raise OutputError(f"cannot write {out}: it is the input {source}, which writing would replace; "
                                  "give the output another name")
    check_replaceable(out, kind=_SUFFIXES[suffix][0])
    if out.suffix.lower() != suffix:
        raise OutputError(f"cannot write {out}: {option} writes {_SUFFIXES[suffix][1]}, so its name must end in "
                          f"{suffix}; give a name such as {out.with_suffix(suffix).name if out.stem else 'x' + suffix}")


def clip_options(command: F) -> F:
    """--clip-s / --clip-hop-s: how recordings longer than 12 s are cut into clips."""
    command = click.option("--clip-hop-s", type=float, default=None,
                           help="Seconds between clip starts when cutting long recordings [= --clip-s].")(command)
    return click.option("--clip-s", type=float, default=None,
                        help="Length of the clips long recordings (> 12 s) are cut into [4.0].")(command)


def load_set(path: Path, *, sample_rate: int, clip_s: float | None, clip_hop_s: float | None,
             test: bool = False) -> Dataset:
    """Load a dataset (``test``: a project's test set), reporting skipped files on stderr as they are found."""
    from ..dataset import load_dataset

    return load_dataset(path, sample_rate=sample_rate, test=test,
                        clip_s=4.0 if clip_s is None else clip_s, clip_hop_s=clip_hop_s,
                        on_skip=lambda s: click.echo(f"skipped {s.path}: {s.reason}", err=True))


@contextlib.contextmanager
def model_hint(hint: str) -> Iterator[None]:
    """An audio file given as the command's model (``earmark predict take.wav model.earmark``) gets
    ``hint``, worded for the command (``the model goes first (e.g. earmark timeline model.earmark
    take.wav)``); commands whose arguments cannot be in the wrong order give none."""
    try:
        yield
    except EarmarkError as exc:
        if exc.cli_case == "audio-as-model" and exc.cli_hint is None:
            exc.cli_hint = hint
        raise
