"""Route dependencies in one place, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from starlette.requests import HTTPConnection

from ..project import Project
from .schemas import SampleSet
from .state import Studio

__all__ = ["InTestSet", "ProjectDep", "StudioDep"]


def get_studio(conn: HTTPConnection) -> Studio:
    studio: Studio = conn.app.state.studio
    return studio


StudioDep = Annotated[Studio, Depends(get_studio)]


def get_project(project: str, studio: StudioDep) -> Project:
    return studio.project(project)


ProjectDep = Annotated[Project, Depends(get_project)]


def in_test_set(sample_set: Annotated[SampleSet, Query(alias="set")] = "training") -> bool:
    """``?set=test``: the request is about a class's test set, not its training samples (the default)."""
    return sample_set == "test"


InTestSet = Annotated[bool, Depends(in_test_set)]
