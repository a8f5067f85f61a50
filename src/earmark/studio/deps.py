"""Route dependencies in one place, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from ..project import Project
from .state import Studio

__all__ = ["ProjectDep", "StudioDep"]


def get_studio(conn: HTTPConnection) -> Studio:
    studio: Studio = conn.app.state.studio
    return studio


StudioDep = Annotated[Studio, Depends(get_studio)]


def get_project(project: str, studio: StudioDep) -> Project:
    return studio.project(project)


ProjectDep = Annotated[Project, Depends(get_project)]
