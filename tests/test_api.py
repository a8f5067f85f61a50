"""The public API: every name in earmark.__all__ is importable and is the object, not a module."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest


def test_every_public_name_resolves_to_an_object_not_a_submodule() -> None:
    # `train` and `evaluate` are also submodule names; the package must export the functions.
    import earmark.evaluate  # noqa: F401 - importing a submodule must not shadow the function
    import earmark.train  # noqa: F401

    for name in earmark.__all__:
        value = getattr(earmark, name)
        assert not isinstance(value, types.ModuleType), f"earmark.{name} is a module"
    assert callable(earmark.train) and callable(earmark.evaluate)
    assert earmark.train.__module__ == "earmark.train"
    assert earmark.evaluate.__module__ == "earmark.evaluate"


def test_import_earmark_is_light_and_every_name_resolves() -> None:
    """``import earmark`` leaves PyTorch for first use (the command's --help and Ctrl-C do not wait
    for it); every public name still resolves, and ``from earmark import X`` works."""
    code = (
        "import sys, types, earmark\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "from earmark import TrainSettings, train\n"
        "assert callable(train) and TrainSettings().epochs > 0\n"
        "import earmark.evaluate\n"
        "missing = [n for n in earmark.__all__ if isinstance(getattr(earmark, n), types.ModuleType)]\n"
        "assert not missing, missing\n"
        "assert set(earmark.__all__) <= set(dir(earmark))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_an_unknown_name_is_an_attribute_error() -> None:
    import earmark

    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        earmark.nonesuch  # noqa: B018
