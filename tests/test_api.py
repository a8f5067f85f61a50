"""The public API: every name in earmark.__all__ is importable and is the object, not a module."""

from __future__ import annotations

import types


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
