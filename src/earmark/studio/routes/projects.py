"""Projects: list, create, open, delete, export as a zip, import a zip."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from ..._version import __version__
from ...dataset import extract_zip
from ...errors import ParameterError, collecting_warnings
from ...importer import import_project as build_imported
from ...importer import stored_name
from ...intake import IntakeResult
from ...naming import clean_name, is_clean_name, safe_stem
from ...project import Project
from ...projectfile import class_log
from ...trash import deleted, remove_for_good
from ..deps import ProjectDep, StudioDep
from ..links import model_view, sample_urls
from ..schemas import ProjectCreate, ProjectRename, TrashIds
from ..uploads import as_upload, read_upload

router = APIRouter(prefix="/api", tags=["projects"])

#: How many of a project's latest class renames its view carries (a page follows the class it shows
#: through the ones it had not seen: a rename in another tab between two looks).
RECENT_RENAMES = 20


def project_view(studio: StudioDep, project: Project) -> dict[str, Any]:
    job = studio.jobs.latest(project.root.name)
    return {**project.to_dict(), "models": [model_view(project, m) for m in project.models()],
            "unreadable_models": [{"file": name, "reason": reason} for name, reason in project.unreadable_models()],
            "training": job.to_dict() if job else None,
            "uploading": studio.filling_classes(project),  # classes an upload is still adding files to
            "recent_renames": recent_renames(project),
            "notes": project.move_notes()}  # what finishing a move cut short by a crash did


def recent_renames(project: Project) -> list[dict[str, str]]:
    """The project's last :data:`RECENT_RENAMES` class renames, oldest first, as the project file logs
    them (``{"from", "to", "at"}``); none for a project whose file keeps no log."""
    renames = [change.to_dict() for change in class_log(project.file.read()) or [] if change.kind == "renamed"]
    return renames[-RECENT_RENAMES:]


@router.get("/status")
def status(studio: StudioDep) -> dict[str, Any]:
    running = studio.jobs.running()
    return {"version": __version__, "projects_root": str(studio.root), "current": studio.current(),
            "training": running.to_dict() if running else None}


@router.head("/status", include_in_schema=False)  # what health checks and uptime monitors send
def status_head(studio: StudioDep) -> dict[str, Any]:
    return status(studio)


@router.get("/projects")
def list_projects(studio: StudioDep) -> dict[str, Any]:
    good, broken = studio.projects()
    projects = [{"id": p.root.name, "name": p.name, "path": str(p.root), "samples": sum(c.samples for c in p.classes())}
                for p in good]
    return {"projects": projects, "current": studio.current(),
            "broken": [{"id": pid, "reason": reason} for pid, reason in broken]}


@router.post("/projects", status_code=201)
def create_project(body: ProjectCreate, studio: StudioDep) -> dict[str, Any]:
    return project_view(studio, studio.create_project(body.name, demo=body.demo))


@router.get("/projects/{project}")
def get_project(project: ProjectDep, studio: StudioDep) -> dict[str, Any]:
    return project_view(studio, project)


@router.patch("/projects/{project}")
def rename_project(body: ProjectRename, project: ProjectDep, studio: StudioDep) -> dict[str, Any]:
    """Show the project under another name; its id (its folder, in every link) stays."""
    return project_view(studio, studio.rename_project(project.root.name, body.name))


@router.delete("/projects/{project}")
def delete_project(project: ProjectDep, studio: StudioDep) -> dict[str, Any]:
    """Move the project to the projects folder's ``.trash``; ``undo`` is the id that puts it back."""
    return {"deleted": project.root.name, "undo": studio.delete_project(project.root.name)}


@router.get("/trash")
def list_deleted_projects(studio: StudioDep) -> dict[str, Any]:
    """The projects deleted into the projects folder's ``.trash`` and still there, newest first: each ``id`` is
    the ``undo`` id its delete answered (the restore below takes it, at any time)."""
    return {"deleted": studio.deleted_projects()}


@router.post("/trash/empty")
def empty_projects_trash(body: TrashIds, studio: StudioDep) -> dict[str, Any]:
    """Remove the deleted projects ``ids`` for good (as the project trash's ``empty``)."""
    return {"removed": studio.remove_deleted_projects(body.ids)}


@router.post("/trash/{trash_id}/restore")
def restore_project(trash_id: str, studio: StudioDep) -> dict[str, Any]:
    """Undo a project's delete: it comes back under its own name (``name-2`` if that was taken since)."""
    return project_view(studio, studio.restore_project(trash_id))


@router.post("/projects/{project}/trash/{trash_id}/restore")
def restore(trash_id: str, project: ProjectDep, studio: StudioDep) -> dict[str, Any]:
    """Undo a delete: the ``undo`` id a delete answered with puts its samples (or class, or model) back.
    ``classes``: the classes they came back to, as named now; ``notes``: what did not go back as it was, in
    words (a class back under a free name, ``drums-2``, because its name was taken since; a class's delete
    undone too), for the page to show."""
    with studio.jobs.changing(project.root.name):  # not while training reads the samples: a class may come back
        restored = project.restore(trash_id)
    samples = [sample_urls(project, s) for s in restored.samples]  # where they are now: a class renamed meanwhile
    return {"restored": samples, "classes": sorted({s["class_name"] for s in samples}), "models": restored.models,
            "notes": restored.notes}


@router.get("/projects/{project}/trash")
def list_deleted(project: ProjectDep) -> dict[str, Any]:
    """What the project's deletes put in its ``.trash`` and are still there, newest first: each ``id`` is the
    ``undo`` id its delete answered (the restore above takes it, at any time)."""
    return {"deleted": [entry.to_dict() for entry in deleted(project)]}


@router.post("/projects/{project}/trash/empty")
def empty_trash(body: TrashIds, project: ProjectDep) -> dict[str, Any]:
    """Remove the deletes ``ids`` from the project's ``.trash`` for good (those restored or removed meanwhile
    are left out of ``removed``; 404 when none of them is there)."""
    return {"removed": remove_for_good(project, body.ids)}


@router.get("/projects/{project}/export", response_class=FileResponse)
def export_project(project: ProjectDep, studio: StudioDep, background: BackgroundTasks) -> FileResponse:
    folder = Path(tempfile.mkdtemp(prefix="earmark-export-", dir=studio.scratch_dir))
    # named as the project is shown (its folder may be a-2 while another is shown as a), made file-safe
    path = project.export_zip(folder / f"{safe_stem(f'{project.name}.zip')}.zip")
    background.add_task(shutil.rmtree, folder, True)
    return FileResponse(path, media_type="application/zip", filename=path.name)


@router.post("/projects/import", status_code=201)
async def import_project(request: Request, studio: StudioDep) -> dict[str, Any]:
    """A zip from *export*, or any folder-per-class zip, becomes a new project (files checked like uploads),
    named as the ``name`` field says, else as the exported project was, else after the zip file."""
    async with read_upload(request, studio.settings) as upload:
        files = upload.all_files("file")
        if len(files) != 1 or not files[0][0].lower().endswith(".zip"):
            raise ParameterError("send one .zip file (a project exported from earmark, or one folder per class)")
        name, path = files[0]
        with tempfile.TemporaryDirectory(prefix="earmark-import-", dir=studio.scratch_dir) as tmp, \
                as_upload(name, path):
            root, said = await run_in_threadpool(_unpack, path, Path(tmp), max_bytes=studio.limits.max_unpacked_bytes)
            project, result = await run_in_threadpool(_import, studio, root, upload.fields.get("name"), zip_name=name)
            result.warnings[:0] = [(name, m.replace(str(path), name).removeprefix(f"{name}: ")) for m in said]
    return {**project_view(studio, project), "skipped": [{"name": n, "reason": r} for n, r in result.skipped],
            "warnings": [{"name": n, "message": m} for n, m in result.warnings]}


def _unpack(path: Path, target: Path, *, max_bytes: int) -> tuple[Path, list[str]]:
    """The zip at ``path`` unpacked into ``target``, and what it warned (names that may read wrongly)."""
    with collecting_warnings() as said:
        return extract_zip(path, target, max_bytes=max_bytes), said


def _name_of_zip(filename: str) -> str:
    """A project name for a zip imported without one: its file name, made a name a project may have
    (``(1) take.zip``, ``v1..v2.zip`` and an 80-character name would otherwise be refused, though the user
    chose no name); ``imported`` if nothing of it is left."""
    stem = re.sub(r"\.{2,}", ".", safe_stem(filename))
    stem = re.sub(r"^(?:\([^)]*\)|\W)+", "", stem)[:64].rstrip(" .")  # "(1) take" → "take"
    return stem if stem and is_clean_name(stem) else "imported"


def _import(studio: StudioDep, root: Path, name: str | None, *, zip_name: str) -> tuple[Project, IntakeResult]:
    """A new project filled from the unpacked ``root``, named ``name``, else as the exported project it
    holds was (``my band``), else after the zip (``zip_name``); ``name-2``… where the name is taken."""
    name = name or stored_name(root) or _name_of_zip(zip_name)
    # built in a hidden folder and moved into place whole: a studio killed mid-import leaves no half project
    return build_imported(root, studio.root, name=clean_name(name, what="project"), place=studio.place_project,
                          limits=studio.limits, tmp_dir=studio.scratch_dir)
