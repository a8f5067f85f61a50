"""The ``earmark`` command: a thin shell over the library.

Each command parses options, calls the library, and prints. Library errors
(:class:`~earmark.errors.EarmarkError`) become one line on stderr and exit status 1;
usage errors exit with 2. No tracebacks for mistakes a user can make.

The commands live by what they do: :mod:`.teach` (train, evaluate, compare, demo), :mod:`.use`
(predict, timeline, spectrogram, listen, info, export) and :mod:`.web` (studio, share);
:mod:`.runtime` is how the command runs (one-line errors, warnings, JSON, Ctrl-C), and
:mod:`.options` what several commands share.
"""

from __future__ import annotations

import click

from .._version import __version__
from . import teach, use, web
from .runtime import Group

__all__ = ["main"]


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="earmark")
def main() -> None:
    """earmark: teach a computer to recognise sounds from your own examples.

    Datasets are folders with one subfolder per class (or a zip of one); the folder
    'background' (or 'Background Noise', '_background_noise_') is the background-noise class.
    """


# In the order of the workflow, which is the order of docs/cli.md (`earmark --help` sorts them).
for _command in (teach.train, teach.evaluate, teach.compare, use.predict, use.timeline, use.spectrogram,
                 use.listen, use.info, use.export, teach.demo, web.studio, web.share):
    main.add_command(_command)
del _command
