"""Projects: list, create, open, delete, export as a zip, import a zip."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from ..._version import __version__
from ...dataset import BACKGROUND_LABEL, extract_zip, is_background_name
from ...errors import DatasetError, ParameterError
from ...intake import safe_stem
from ...project import PROJECT_FILE, Project, clean_name, free_path
from ..deps import ProjectDep, StudioDep
from ..schemas import ProjectCreate
from ..uploads import read_upload

router = APIRouter(prefix="/api", tags=["projects"])


def project_view(studio: StudioDep, project: Project) -> dict[str, Any]:
    job = studio.jobs.latest(project.root.name)
    return {**project.to_dict(), "training": job.to_dict() if job else None}


@router.get("/status")
def status(studio: StudioDep) -> dict[str, Any]:
    return {"version": __version__, "projects_root": str(studio.root), "current": studio.current()}


@router.get("/projects")
def list_projects(studio: StudioDep) -> dict[str, Any]:
    projects = []
    for pid in studio.project_ids():
        project = studio.project(pid)
        projects.append({"id": pid, "name": project.name, "path": str(project.root),
                         "samples": sum(c.samples for c in project.classes())})
    return {"projects": projects, "current": studio.current()}


@router.post("/projects", status_code=201)
def create_project(body: ProjectCreate, studio: StudioDep) -> dict[str, Any]:
    return project_view(studio, studio.create_project(body.name, demo=body.demo))


@router.get("/projects/{project}")
def get_project(project: ProjectDep, studio: StudioDep) -> dict[str, Any]:
    return project_view(studio, project)


@router.delete("/projects/{project}")
def delete_project(project: ProjectDep, studio: StudioDep) -> dict[str, Any]:
    studio.delete_project(project.root.name)
    return {"deleted": project.root.name}


@router.get("/projects/{project}/export", response_class=FileResponse)
def export_project(project: ProjectDep, background: BackgroundTasks) -> FileResponse:
    folder = Path(tempfile.mkdtemp(prefix="earmark-export-"))
    path = project.export_zip(folder / f"{project.root.name}.zip")
    background.add_task(shutil.rmtree, folder, True)
    return FileResponse(path, media_type="application/zip", filename=path.name)


@router.post("/projects/import", status_code=201)
async def import_project(request: Request, studio: StudioDep) -> dict[str, Any]:
    """A zip from *export*, or any folder-per-class zip, becomes a new project."""
    async with read_upload(request, studio.settings) as upload:
        files = upload.all_files("file")
        if len(files) != 1 or not files[0][0].lower().endswith(".zip"):
            raise ParameterError("send one .zip file (a project exported from earmark, or one folder per class)")
        name, path = files[0]
        with tempfile.TemporaryDirectory(prefix="earmark-import-") as tmp:
            root = await run_in_threadpool(extract_zip, path, Path(tmp))
            project = await run_in_threadpool(_import_folder, studio, root,
                                              upload.fields.get("name") or safe_stem(name))
    return project_view(studio, project)


def _import_folder(studio: StudioDep, root: Path, name: str) -> Project:
    inner = root
    if (root / PROJECT_FILE).exists() or (root / "samples").is_dir():
        classes_root = root / "samples"
    else:
        classes_root = root
    class_dirs = [p for p in classes_root.iterdir() if p.is_dir() and not p.name.startswith(".")] \
        if classes_root.is_dir() else []
    if not class_dirs:
        raise DatasetError("the zip holds no class folders; zip a project exported from earmark, "
                           "or a folder with one subfolder per class")
    project = studio.create_project(name)
    try:
        for folder in class_dirs:
            label = BACKGROUND_LABEL if is_background_name(folder.name) else clean_name(folder.name, what='class')
            target = project.samples_dir / label
            shutil.copytree(folder, target, dirs_exist_ok=True)
        models = inner / "models"
        if models.is_dir():
            for model in sorted(models.glob("*.earmark")):
                shutil.copy2(model, free_path(project.models_dir / model.name))
    except BaseException:
        shutil.rmtree(project.root, ignore_errors=True)
        raise
    return Project.open(project.root)
