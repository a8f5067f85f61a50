"""Request bodies, by role. Responses are the library objects' ``to_dict()``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..trainsettings import TrainSettings

__all__ = ["ClassCreate", "ClassRename", "ProjectCreate", "SampleMove", "SampleSet", "TestEvaluate", "TrainRequest",
           "TrashIds"]

_DEFAULTS = TrainSettings()


class _Body(BaseModel):
    """A request body: an unknown field is an error (a typo such as ``nam`` or ``epoch`` would
    otherwise be dropped, silently, and the request done without it)."""

    model_config = ConfigDict(extra="forbid")


class ProjectCreate(_Body):
    name: str = Field(min_length=1, max_length=64, examples=["my band"])
    #: Fill the project with the built-in bass / drums / background demo set.
    demo: bool = False


class ProjectRename(_Body):
    name: str = Field(min_length=1, max_length=64, examples=["my band, live"])


class ClassCreate(_Body):
    name: str = Field(min_length=1, max_length=64, examples=["bass"])


class ClassRename(_Body):
    name: str = Field(min_length=1, max_length=64)


class TrashIds(_Body):
    #: The deletes to remove for good, by the ids the trash listing gave (only those: never one made since).
    ids: list[str] = Field(min_length=1, max_length=10_000)


class ModelRename(_Body):
    name: str = Field(min_length=1, max_length=64, examples=["library-trained"])


class SampleMove(_Body):
    to: str = Field(min_length=1, max_length=64, description="the class to move the sample to")


#: Which set of a class a sample is in: its training samples or the project's test set.
SampleSet = Literal["training", "test"]


class TestEvaluate(_Body):
    models: list[str] = Field(default_factory=list, max_length=50,
                              description="the models to score on the project's test set; none: every model")


class TrainRequest(_Body):
    """Training settings; anything left out takes earmark's default. An unknown field is an
    error (a typo such as ``epoch`` would otherwise train with the default, silently)."""

    epochs: int = Field(default=_DEFAULTS.epochs, ge=1, le=500)
    batch_size: int = Field(default=_DEFAULTS.batch_size, ge=4, le=512)
    learning_rate: float | None = Field(default=None, gt=0, le=0.5,
                                        description="peak learning rate; left out: earmark's default, 0.003")
    window_s: float = Field(default=_DEFAULTS.window_s, ge=0.25, le=5.0)
    augment: bool = _DEFAULTS.augment
    seed: int = Field(default=_DEFAULTS.seed, ge=0)
