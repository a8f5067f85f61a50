"""Studio settings: one model, built once by the CLI or a test and handed to :func:`create_app`."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from ..trainsettings import MAX_WORKERS

__all__ = ["StudioSettings"]


class StudioSettings(BaseModel):
    """Where projects live and how much one request may upload."""

    #: The folder that holds the projects (one subfolder each).
    projects_root: Path
    #: The project the page opens first (a folder name under ``projects_root``); ``None``: the newest.
    project: str | None = None
    #: One upload request may carry at most this many bytes.
    max_upload_mb: float = Field(default=1024.0, gt=0)
    #: ... and at most this many files (a zip counts its members).
    max_upload_files: int = Field(default=2000, gt=0)
    #: A single uploaded recording may be at most this long.
    max_file_minutes: float = Field(default=30.0, gt=0)
    #: Host names (no ports) the studio answers to; others are refused (DNS rebinding). ``["*"]``: any.
    allowed_hosts: list[str] = Field(default_factory=lambda: ["127.0.0.1", "localhost", "::1"])
    #: Torch threads a training run may use (the server keeps working beside it).
    train_threads: int = Field(default=1, ge=1)
    #: Processes that make a training run's examples; ``None``: as the library picks
    #: (``TrainSettings.example_workers``, two on a 2-core machine). While a run trains with two, the
    #: API answers in tens of milliseconds (``benchmarks/studio_benchmark.py``); one worker leaves the
    #: server more room at the cost of slower training.
    train_workers: int | None = Field(default=None, ge=0, le=MAX_WORKERS)
