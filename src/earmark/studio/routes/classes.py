"""Classes of a project, and adding samples to them (uploads and recordings)."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from ...errors import DatasetError, ParameterError
from ...intake import FolderOfClassesError, add_files
from ...naming import quoted, quoted_list
from ..deps import InTestSet, ProjectDep, StudioDep
from ..links import sample_urls
from ..schemas import ClassCreate, ClassRename
from ..uploads import Upload, read_upload

router = APIRouter(prefix="/api/projects/{project}/classes", tags=["classes"])


@router.post("", status_code=201)
def create_class(body: ClassCreate, project: ProjectDep, studio: StudioDep) -> dict[str, Any]:
    with studio.jobs.changing(project.root.name):  # not while training reads the samples: one more class
        return project.add_class(body.name).to_dict()


@router.patch("/{class_name}")
def rename_class(class_name: str, body: ClassRename, project: ProjectDep, studio: StudioDep) -> dict[str, Any]:
    studio.check_not_filling(project, class_name, then="rename it")
    with studio.jobs.changing(project.root.name):  # not while training reads the samples
        return project.rename_class(class_name, to=body.name).to_dict()


@router.delete("/{class_name}")
def delete_class(class_name: str, project: ProjectDep, studio: StudioDep) -> dict[str, Any]:
    studio.check_not_filling(project, class_name, then="delete it")
    with studio.jobs.changing(project.root.name):  # not while training reads the samples
        trashed = project.delete_class(class_name)
    return {"deleted": class_name, "samples": trashed.samples, "undo": trashed.id}


@router.get("/{class_name}/samples")
def list_samples(class_name: str, project: ProjectDep, test: InTestSet) -> dict[str, Any]:
    return {"samples": [sample_urls(project, s) for s in project.samples(class_name, test=test)]}


@router.post("/{class_name}/samples", status_code=201)
async def add_samples(class_name: str, request: Request, project: ProjectDep, studio: StudioDep,
                      test: InTestSet) -> dict[str, Any]:
    """Upload audio files or zips (form field ``files``); optional ``clip_s`` and ``recording``, and
    ``start_s`` with ``end_s`` to keep only that stretch of each file (a segment of a timeline);
    ``?set=test`` puts them in the class's test set."""
    # 404, or a project that cannot be written (read-only), before reading a big upload
    project.check_writable(into=project.set_dir(class_name, test=test))
    async with read_upload(request, studio.settings) as upload:
        files = upload.all_files("files") + upload.all_files("file")
        if not files:  # a form without them, or an upload cut off: not "added nothing" (only hidden files)
            raise ParameterError(_no_files(upload))
        excerpt = _excerpt(upload)
        with studio.filling(project, class_name):
            try:
                result = await run_in_threadpool(partial(
                    add_files, project, class_name, files,
                    clip_s=upload.number("clip_s"), recording=upload.fields.get("recording") or None,
                    excerpt=excerpt, limits=studio.limits, test=test, tmp_dir=studio.scratch_dir))
            except FolderOfClassesError as exc:
                raise DatasetError(_as_the_page_says(exc)) from exc
    return {"added": [sample_urls(project, s) for s in result.added],
            "skipped": [{"name": n, "reason": r} for n, r in result.skipped],
            "warnings": [{"name": n, "message": m} for n, m in result.warnings]}


def _excerpt(upload: Upload) -> tuple[float, float] | None:
    """The stretch ``start_s`` to ``end_s`` the upload asks to keep of each file, or ``None`` (the whole files)."""
    start_s, end_s = upload.number("start_s"), upload.number("end_s")
    if start_s is None and end_s is None:
        return None
    if start_s is None or end_s is None:
        raise ParameterError("give both form fields start_s and end_s to keep a stretch of the file, "
                             "or neither to keep all of it")
    return start_s, end_s


def _no_files(upload: Upload) -> str:
    """Why an upload that holds no files in ``files`` (or ``file``) is refused, naming what it held instead."""
    held = f" (it holds the field{'s' if len(upload.files) + len(upload.fields) > 1 else ''} " \
        f"{quoted_list([*upload.files, *upload.fields])})" if upload.files or upload.fields else ""
    return (f"the upload holds no files{held}; send the audio files or zips in the form field 'files' "
            "(if it was cut off, upload again)")


def _as_the_page_says(exc: FolderOfClassesError) -> str:
    """The refusal of a folder of classes dropped onto one class, saying what to do in the page (the
    library's message names the Python calls)."""
    target = quoted(exc.class_name)
    each = "unzip it and drop each subfolder onto it" if exc.zip_name else "drop each subfolder onto it"
    new = "open it with “Import zip”" if exc.zip_name else "zip the folder and open it with “Import zip”"
    return (f"{exc.found()}: added to class {target}, every file would become {target}. To add them all to "
            f"{target}, {each}; to add them to this project, upload each class's folder onto its class"
            f"{exc.first()}; to make a new project of them, {new} at the top of the studio")
