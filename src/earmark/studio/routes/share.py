"""The share page of one model (``/try/<token>``): try it with a microphone or a file, nothing else.

These routes show the model's labels and answer predictions; they never list or change the
project the model belongs to.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, WebSocket
from starlette.concurrency import run_in_threadpool

from ...classifier import Classifier
from ..deps import StudioDep
from ..files import StudioFileResponse
from ..inference import live_session, predict_request

router = APIRouter(tags=["share"])


@router.get("/api/try/{token}")
def shared_model(token: str, studio: StudioDep) -> dict[str, Any]:
    project, model_id = studio.shared_model(token)
    manifest = studio.classifier(project.model_path(model_id)).manifest
    return {"token": token, "name": model_id, "labels": manifest.labels, "sample_rate": manifest.sample_rate,
            "window_s": manifest.window_s, "created": manifest.created,
            "val_accuracy": (manifest.metrics.get("validation") or {}).get("accuracy")}


@router.post("/api/try/{token}/predict")
async def shared_predict(token: str, request: Request, studio: StudioDep) -> dict[str, Any]:
    project, model_id = await run_in_threadpool(studio.shared_model, token)
    clf = await run_in_threadpool(studio.classifier, project.model_path(model_id))
    return await predict_request(request, studio, clf)


@router.websocket("/api/try/{token}/live")
async def shared_live(websocket: WebSocket, token: str, studio: StudioDep) -> None:
    def model() -> Classifier:
        project, model_id = studio.shared_model(token)
        return studio.classifier(project.model_path(model_id))

    await live_session(websocket, model)


@router.head("/api/results/{name}", include_in_schema=False)
@router.get("/api/results/{name}", response_class=StudioFileResponse)
def result_file(name: str, studio: StudioDep) -> StudioFileResponse:
    """A timeline picture made by a predict call (the newest 100 are kept while the studio runs)."""
    return StudioFileResponse(studio.result_file(name))
