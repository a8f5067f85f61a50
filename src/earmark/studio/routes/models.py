"""Models of a project: details (history, validation, confusion cells), download, ONNX export, import, delete,
classify a file, evaluate on a test set, compare two, and listen live."""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ...errors import DatasetError, ParameterError, collecting_warnings
from ...evaluate import compare, evaluate, training_warnings
from ...export import web_zip
from ...importer import chosen_name, folder_per_class
from ...layout import LayoutError
from ...naming import safe_stem
from ...project import Project, set_folder
from ...report import Comparison, EvaluationReport
from ..deps import ProjectDep, StudioDep
from ..files import StudioFileResponse
from ..inference import live_session, predict_request
from ..links import model_view, sample_base, sample_query, sample_version
from ..modelnames import dataset_now, names_now, validation_now
from ..schemas import ModelRename
from ..uploads import Upload, as_upload, read_upload

router = APIRouter(prefix="/api/projects/{project}", tags=["models"])

#: What a test set uploaded to be scored gives: a report, or a comparison.
_Scored = TypeVar("_Scored", EvaluationReport, Comparison)


def _cells(project: Project, clips: list[dict[str, Any]], *,
           names: dict[str, str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Validation clips per confusion cell ``"TRUE|PREDICTED"``, with where to hear and see them; the
    classes as ``names`` (:func:`~earmark.studio.modelnames.names_now`) shows them, else as trained."""
    names = names or {}
    cells: dict[str, list[dict[str, Any]]] = defaultdict(list)
    versions: dict[tuple[str, str], tuple[str, bool]] = {}
    for clip in clips:
        # where the clip's file is now: its class renamed or the file moved since training, or
        # moved (with its recording) to the test set
        trained_class, _, trained_id = str(clip["file"]).partition("/")
        class_name, sample_id = project.locate_sample(trained_class, trained_id)
        key = (class_name, sample_id)
        if key not in versions:  # several clips may come from one file: look it up once
            version = sample_version(project, class_name, sample_id)
            in_test = version == "gone" and (version := sample_version(project, class_name, sample_id,
                                                                       test=True)) != "gone"
            versions[key] = (version, in_test)
        version, in_test = versions[key]
        base = sample_base(project, class_name, sample_id)
        # a clip cut from a longer file plays (a media fragment) and shows just its part
        part = f"#t={clip['start_s']:.3f},{clip['end_s']:.3f}" if clip["start_s"] > 0 else ""
        picture = f"&start_s={clip['start_s']:.3f}&end_s={clip['end_s']:.3f}" if clip["start_s"] > 0 else ""
        query = sample_query(version, test=in_test)
        cells[f"{names.get(clip['true'], clip['true'])}|{names.get(clip['predicted'], clip['predicted'])}"].append({
            "class_name": class_name, "id": sample_id, "start_s": clip["start_s"], "end_s": clip["end_s"],
            "confidence": clip["confidence"], "exists": version != "gone", "test": in_test,
            "audio_url": f"{base}/audio{query}{part}",
            "spectrogram_url": f"{base}/spectrogram.png{query}{picture}"})
    return dict(cells)


@router.get("/models/{model_id}")
def get_model(model_id: str, project: ProjectDep, studio: StudioDep) -> dict[str, Any]:
    """A model's details, its classes under the names the project gives them now (:mod:`..modelnames`)."""
    manifest = studio.classifier(project.model_path(model_id)).manifest
    names = names_now(project, manifest)
    validation = dict(manifest.metrics.get("validation") or {})
    warnings: list[str] = []
    if validation:
        validation = validation_now(project, validation, names)
        validation["cells"] = _cells(project, list(manifest.metrics.get("validation_clips", [])), names=names)
        warnings = list(validation["warnings"])
    warnings += training_warnings(dataset_now(project, manifest.dataset, names))
    return {**model_view(project, project.model_info(model_id)), "history": manifest.metrics.get("history", []),
            "stopped_at_epoch": manifest.metrics.get("stopped_at_epoch"),  # "Stop and keep": the last epoch run
            "validation": validation or None, "settings": manifest.training,
            "dataset": manifest.shareable_dataset(),  # the training clips' fingerprints stay in the file
            "sample_rate": manifest.sample_rate, "window_s": manifest.window_s,
            "train_seconds": manifest.metrics.get("train_seconds"), "warnings": warnings,
            # the classes shown by another name than the model file's (renamed since it was trained)
            "renamed_classes": {old: new for old, new in names.items() if old != new}}


@router.head("/models/{model_id}/download", include_in_schema=False)
@router.get("/models/{model_id}/download", response_class=StudioFileResponse)
def download_model(model_id: str, project: ProjectDep) -> StudioFileResponse:
    path = project.model_path(model_id)
    return StudioFileResponse(path, media_type="application/octet-stream",
                              filename=f"{_download_stem(project, path.stem)}{path.suffix}")


def _download_stem(project: Project, what: str) -> str:
    """A download's file name before its suffix: the project as it is shown (not its folder, which may be
    ``a-2`` while another project is shown as ``a``), then ``what``, made safe to save under (the
    suffix given to :func:`safe_stem` is one for it to take off, so a dot in a name stays: ``v1.2``)."""
    return safe_stem(f"{project.name}-{what}.download")


def _attachment(data: bytes, name: str, media_type: str) -> Response:
    quoted = quote(name)  # as FileResponse names a download: plain when it can be, else RFC 5987
    disposition = f'attachment; filename="{name}"' if quoted == name else f"attachment; filename*=utf-8''{quoted}"
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})


@router.get("/models/{model_id}/onnx", response_class=Response)
def export_model(model_id: str, project: ProjectDep, studio: StudioDep) -> Response:
    """The model as one ONNX file for deployment (see earmark.export), made on request (a few seconds)."""
    data = studio.onnx(project.model_path(model_id))
    return _attachment(data, f"{_download_stem(project, model_id)}.onnx", "application/octet-stream")


@router.get("/models/{model_id}/web", response_class=Response)
def export_web_page(model_id: str, project: ProjectDep, studio: StudioDep) -> Response:
    """The model as a web page that runs it in the browser (earmark.export.web_zip): a zip of one
    folder, both named after the model (two models of a project unpack side by side)."""
    path = project.model_path(model_id)
    stem = _download_stem(project, f"{model_id}-web")
    # titled with the model's name, as `earmark export` titles it: a visitor sees no project name
    data = web_zip(studio.classifier(path), name=model_id, onnx=studio.onnx(path), folder=stem)
    return _attachment(data, f"{stem}.zip", "application/zip")


@router.post("/models/import", status_code=201)
async def import_model(request: Request, project: ProjectDep, studio: StudioDep) -> dict[str, Any]:
    async with read_upload(request, studio.settings) as upload:
        files = upload.all_files("file")
        if len(files) != 1:
            raise ParameterError("send exactly one model file (.earmark) in the form field 'file'")
        name, path = files[0]
        with as_upload(name, path):
            info = await run_in_threadpool(project.import_model, path, name=Path(name).name)
    # a copy is kept (it gets a share link of its own), but the page says which model it copies
    return {**model_view(project, info), "same_as": project.same_weights(info.id)}


@router.patch("/models/{model_id}")
def rename_model(model_id: str, body: ModelRename, project: ProjectDep) -> dict[str, Any]:
    """Name a model; its id (and file, and share link) change with it."""
    return model_view(project, project.rename_model(model_id, to=body.name))


@router.delete("/models/{model_id}")
def delete_model(model_id: str, project: ProjectDep) -> dict[str, Any]:
    trashed = project.delete_model(model_id)
    return {"deleted": model_id, "undo": trashed.id}


@router.post("/models/{model_id}/predict")
async def predict(model_id: str, request: Request, project: ProjectDep, studio: StudioDep) -> dict[str, Any]:
    clf = await run_in_threadpool(studio.classifier, project.model_path(model_id))
    return await predict_request(request, studio, clf)


async def _score_upload(upload: Upload, studio: StudioDep,
                        score: Callable[[Path], _Scored]) -> tuple[_Scored, list[str]]:
    """``score`` run on the folder-per-class set an upload holds (decoded, and scored, off the event loop),
    and what the user should know of the upload, which was scored all the same (see :func:`_scored_set`)."""
    files = upload.all_files("files") + upload.all_files("file")
    with tempfile.TemporaryDirectory(prefix="earmark-testset-", dir=studio.scratch_dir) as tmp:
        with as_upload("the test set", Path(tmp)):
            return await run_in_threadpool(partial(_scored_set, files, Path(tmp), score,
                                                   max_unpacked_bytes=studio.limits.max_unpacked_bytes))


def _scored_set(files: list[tuple[str, Path]], tmp: Path, score: Callable[[Path], _Scored], *,
                max_unpacked_bytes: int) -> tuple[_Scored, list[str]]:
    """``score`` run on the set ``files`` (``(name, path)``) hold, laid out in ``tmp``, and the warnings
    about the upload its giver should see: a zip's names that may read wrongly (``set.zip: …``). What
    decoding the set's files warned of (a file cut short, channels that cancel out when mixed) is in the
    reports' ``decoding_warnings``, each naming its file as the giver knows it (``bass/take.mp3: …``).
    They were given for this evaluation alone, so they are said here (not on the studio's stderr); a set
    the warned zip names wrongly is refused with the warning added, as its likely cause."""
    with collecting_warnings() as unpacked:
        folder = folder_per_class(files, tmp, max_unpacked_bytes=max_unpacked_bytes)
    if unpacked:  # only a zip warns here, and a zip comes alone: named as uploaded, not as saved
        [(name, path)] = files
        unpacked = [m.replace(str(path), name) for m in unpacked]
    try:
        with collecting_warnings():  # decoding's, issued by evaluate and compare too: in the reports instead
            try:
                scored = score(folder)
            except LayoutError as exc:  # worded for the command: say which folder to choose in the page
                raise exc.reworded(caller="studio", name=chosen_name(files)) from None
    except DatasetError as exc:  # classes the model does not know, say: their names may be the garbled ones
        if not unpacked:
            raise
        raise DatasetError(f"{exc} (warning: {'; '.join(unpacked)})") from exc
    inside = f"{set_folder(folder, test=True)}{os.sep}"  # a file as the report names it: bass/take.mp3
    for report in (scored.a, scored.b) if isinstance(scored, Comparison) else (scored,):
        report.decoding_warnings = [m.replace(inside, "") for m in report.decoding_warnings]
    return scored, unpacked


@router.post("/models/{model_id}/evaluate")
async def evaluate_model(model_id: str, request: Request, project: ProjectDep, studio: StudioDep) -> dict[str, Any]:
    clf = await run_in_threadpool(studio.classifier, project.model_path(model_id))
    async with read_upload(request, studio.settings) as upload:
        report, unpacked = await _score_upload(upload, studio, partial(evaluate, clf))
    scored = report.to_dict()
    return {"model": model_id, **scored, "warnings": unpacked + scored["warnings"]}


@router.post("/compare")
async def compare_models(request: Request, project: ProjectDep, studio: StudioDep) -> dict[str, Any]:
    async with read_upload(request, studio.settings) as upload:
        ids = [upload.fields.get("model_a", ""), upload.fields.get("model_b", "")]
        if not all(ids):
            raise ParameterError("choose two models (form fields 'model_a' and 'model_b')")
        a, b = [await run_in_threadpool(studio.classifier, project.model_path(i)) for i in ids]
        comparison, unpacked = await _score_upload(upload, studio,
                                                   partial(compare, a, b, model_a=ids[0], model_b=ids[1]))
    # each report is of the one set: the zip's warnings go with both, as its files' and its skipped files do
    reports = [{**r, "warnings": unpacked + r["warnings"]} for r in (comparison.a.to_dict(), comparison.b.to_dict())]
    return {"model_a": ids[0], "model_b": ids[1], "a": reports[0], "b": reports[1],
            "wrong_only_with_a": comparison.wrong_only_with_a, "wrong_only_with_b": comparison.wrong_only_with_b,
            "same_model": comparison.same_model}


@router.websocket("/models/{model_id}/live")
async def live(websocket: WebSocket, project: str, model_id: str, studio: StudioDep) -> None:
    await live_session(websocket, lambda: studio.classifier(studio.project(project).model_path(model_id)))
