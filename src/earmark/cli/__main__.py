"""``python -m earmark.cli``: the ``earmark`` command."""

from . import main

main()
