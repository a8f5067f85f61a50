"""Training runs: start one for a project, follow it, cancel it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ...errors import EarmarkError, NotFoundError
from ...project import PROJECT_FILE
from ...trainsettings import TrainSettings
from ..deps import ProjectDep, StudioDep
from ..schemas import TrainRequest

router = APIRouter(prefix="/api", tags=["training"])


@router.post("/projects/{project}/train", status_code=202)
def start_training(project: ProjectDep, studio: StudioDep, body: TrainRequest | None = None) -> dict[str, Any]:
    try:
        project.check_trainable()
    except EarmarkError:  # its folders gone as they were looked at: say why
        if not (project.root / PROJECT_FILE).is_file():
            raise NotFoundError(f"project {project.name!r} was deleted meanwhile; reload the page") from None
        raise
    body = body or TrainRequest()
    settings = TrainSettings(**body.model_dump(), threads=studio.settings.train_threads,
                             workers=studio.settings.train_workers)
    return studio.jobs.start(project, settings).to_dict()


@router.get("/jobs/{job_id}")
def get_job(job_id: str, studio: StudioDep) -> dict[str, Any]:
    return studio.jobs.get(job_id).to_dict()


@router.post("/jobs/{job_id}/stop")
def stop_job(job_id: str, studio: StudioDep) -> dict[str, Any]:
    """End the run after the epoch going on now and keep the model it has learnt so far."""
    return studio.jobs.stop(job_id).to_dict()


@router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: str, studio: StudioDep) -> dict[str, Any]:
    return studio.jobs.cancel(job_id).to_dict()
