"""``scripts/oldest_deps.py``: the pins ``make test-oldest`` installs, read from pyproject.toml's floors."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from conftest import load_script


@pytest.fixture(scope="module")
def oldest() -> ModuleType:
    return load_script("scripts", "oldest_deps")


def test_every_floor_of_the_project_becomes_a_pin(oldest: ModuleType) -> None:
    pins = oldest.oldest_pins()
    assert "numpy==1.24.*" in pins and "uvicorn[standard]==0.29.*" in pins
    assert not any(pin.startswith(("torch", "earmark", "sounddevice", "pytest")) for pin in pins)


def _pyproject(tmp_path: Path, dependencies: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(f'[project]\ndependencies = [{dependencies}]\n[project.optional-dependencies]\nstudio = ["a>=1"]\n')
    return path


def test_a_requirement_without_a_floor_is_refused_by_name(oldest: ModuleType, tmp_path: Path) -> None:
    assert oldest.oldest_pins(_pyproject(tmp_path, '"b >= 2.1", "torch>=2.11"')) == ["b==2.1.*", "a==1.*"]
    with pytest.raises(SystemExit, match=r"'numpy' has no plain floor"):
        oldest.oldest_pins(_pyproject(tmp_path, '"numpy"'))
