"""Docs that cannot drift: ``docs/cli.md`` is the real ``--help`` of every command, and complete."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import click
import pytest

from conftest import load_script
from earmark.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return load_script("scripts", "gen_cli_docs")


@pytest.fixture(scope="module")
def sections(gen: ModuleType) -> dict[str, str]:
    """``docs/cli.md`` split by command: ``{"": top, "train": ..., ...}``."""
    text = gen.DOCS.read_text(encoding="utf-8")
    parts = re.split(r"^## earmark (\S+)\n", text, flags=re.MULTILINE)
    return {"": parts[0], **dict(zip(parts[1::2], parts[2::2]))}


def test_cli_reference_is_up_to_date(gen: ModuleType) -> None:
    assert gen.DOCS.read_text(encoding="utf-8") == gen.render(), (
        "docs/cli.md differs from the --help output; run: .venv/bin/python scripts/gen_cli_docs.py"
    )


def _visible(group: click.Group) -> dict[str, click.Command]:
    return {name: cmd for name, cmd in group.commands.items() if not cmd.hidden}


def test_every_command_is_documented(sections: dict[str, str]) -> None:
    assert set(sections) - {""} == set(_visible(main))
    for name, cmd in _visible(main).items():
        assert re.search(rf"^  {name}\s", sections[""], re.MULTILINE), f"{name} missing from the command list"
        assert (cmd.help or "").split("\n")[0][:40] in " ".join(sections[name].split())


@pytest.mark.parametrize("name", sorted(_visible(main)))
def test_every_option_and_argument_is_documented(name: str, sections: dict[str, str]) -> None:
    section = sections[name]
    for param in _visible(main)[name].params:
        if isinstance(param, click.Option):
            if param.hidden:
                assert not any(opt in section for opt in param.opts), f"hidden {param.opts} is in the docs"
                continue
            for opt in param.opts:
                assert re.search(rf"(^|[\s,]){re.escape(opt)}\b", section), f"earmark {name}: {opt} undocumented"
            assert param.help and " ".join(param.help.split())[:30] in " ".join(section.split())
        else:
            assert param.human_readable_name in section, f"earmark {name}: {param.human_readable_name} undocumented"


def test_check_mode_reports_drift(gen: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "cli.md"
    stale.write_text(gen.render().replace("--epochs", "--epoch"), encoding="utf-8")
    monkeypatch.setattr(gen, "DOCS", stale)
    assert gen.main(["--check"]) == 1
    assert gen.main([]) == 0
    assert gen.main(["--check"]) == 0


# -- the public API ---------------------------------------------------------------------------------


def test_the_public_api_is_importable_and_documented() -> None:
    import earmark

    assert len(earmark.__all__) == len(set(earmark.__all__))
    for name in earmark.__all__:
        obj = getattr(earmark, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), f"earmark.{name} has no docstring"
    # what the CLI draws and listens with is the library's, for Python users too
    for name in ("spectrogram_png", "timeline_png", "history_png", "confusion_png", "file_chunks",
                 "microphone_chunks", "Comparison", "DeviceError"):
        assert name in earmark.__all__


def test_importing_earmark_loads_no_optional_heavy_parts() -> None:
    """matplotlib (pictures) and sounddevice (microphone) load when used, not on ``import earmark``."""
    code = "import sys, earmark; print(sorted(m for m in ('matplotlib', 'sounddevice') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_studio_api_page_lists_every_route(tmp_path: Path) -> None:
    """docs/studio-api.md names every route of the OpenAPI schema (and no route that is gone)."""
    from earmark.studio import StudioSettings, create_app

    app = create_app(StudioSettings(projects_root=tmp_path))
    schema_paths = set(app.openapi()["paths"])
    from earmark.studio.routes import classes, models, projects, samples, share, training

    ws_paths = {route.path for module in (classes, models, projects, samples, share, training)
                for route in module.router.routes if type(route).__name__ == "APIWebSocketRoute"}
    assert ws_paths, "the live routes are WebSockets"
    doc = (ROOT / "docs" / "studio-api.md").read_text()
    documented = set(re.findall(r"`(?:GET|POST|PATCH|DELETE|WebSocket) (/api/[^` ]+)`", doc))
    assert documented == {p.replace("{class_name}", "{class}").replace("{model_id}", "{model}")
                          .replace("{job_id}", "{job}").replace("{sample_id}", "{id}")
                          for p in schema_paths | ws_paths}
