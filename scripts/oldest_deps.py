"""Print pip pins for the oldest release line that pyproject.toml says earmark works with.

``make test-oldest`` installs earmark with these pins in ``.venv-oldest`` and runs the tests without a
browser there, so the floors in ``pyproject.toml`` (``numpy>=1.24`` …) are versions that were run,
not guesses. Each ``name>=X`` of the dependencies and of the ``studio`` extra becomes
``name==X.*`` (the newest patch release of that line). torch is left out: ``make`` installs the one CPU
build this machine has on disk (``torch==2.13.0``), and an older CPU build needs PyTorch's own index. The
``mic`` extra (sounddevice) is left out as in ``make test``: its tests use a stand-in.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
EXTRAS = ("studio",)
FLOOR = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)(?P<extras>\[[^\]]*\])?>=(?P<version>[0-9][0-9.]*)$")
SKIP = {"torch"}


def oldest_pins(pyproject: Path = PYPROJECT) -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in EXTRAS:
        requirements += project["optional-dependencies"][extra]
    pins = []
    for requirement in requirements:
        if requirement.startswith("earmark["):
            continue
        match = FLOOR.match(requirement.replace(" ", ""))
        if match is None:
            raise SystemExit(f"{pyproject}: {requirement!r} has no plain floor (name>=X.Y); give it one")
        if match["name"].lower() not in SKIP:
            pins.append(f"{match['name']}{match['extras'] or ''}=={match['version']}.*")
    return pins


if __name__ == "__main__":
    sys.stdout.write(" ".join(oldest_pins()) + "\n")
