"""The model files of a project, in its ``models/`` folder: listed newest first (with the files that
cannot be read, and why), imported, saved, renamed. :class:`~earmark.project.Project` is built on
:class:`ProjectModels`, so these are a project's own methods (``project.models()``); deleting one
(to the project's ``.trash``) is :meth:`Project.delete_model <earmark.project.Project.delete_model>`."""

from __future__ import annotations

import hashlib
import re
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import atomic_write
from .errors import ConflictError, EarmarkError, ModelFileError, NotFoundError
from .modelfile import read_manifest
from .naming import NAMING, clean_name, free_path, is_clean_name, name_key

if TYPE_CHECKING:
    from .classifier import Classifier

__all__ = ["MODEL_SUFFIX", "ModelInfo", "ProjectModels"]

MODEL_SUFFIX = ".earmark"
_STAMPED = re.compile(r"-\d{8}-\d{6}(-\d+)?$")


@dataclass(frozen=True)
class ModelInfo:
    """A model file of a project; ``token`` (from the project, the model and its weights' digest)
    names it on share pages."""

    id: str
    file: str
    labels: list[str]
    created: str
    val_accuracy: float | None
    size_bytes: int
    token: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ProjectModels:
    """A project's model files (its ``models/`` folder): the part of :class:`~earmark.project.Project`
    that keeps them."""

    root: Path
    name: str

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    def models(self) -> list[ModelInfo]:
        """The project's model files, newest first; unreadable files are left out (see :meth:`unreadable_models`)."""
        return self._scan_models()[0]

    def unreadable_models(self) -> list[tuple[str, str]]:
        """``(file name, reason)`` for each file in ``models/`` that is not a model earmark can read
        (damaged, from a newer earmark, not a model at all), so a user can see why it is not listed."""
        return self._scan_models()[1]

    def _scan_models(self) -> tuple[list[ModelInfo], list[tuple[str, str]]]:
        infos, unreadable = [], []
        for path in sorted(self.models_dir.glob(f"*{MODEL_SUFFIX}")):
            try:
                infos.append(self._model_info(path))
            except ModelFileError as exc:
                unreadable.append((path.name, str(exc).removeprefix(f"{path}: ")))
            except OSError as exc:  # a folder named like a model, a file gone meanwhile, no permission
                unreadable.append((path.name, f"cannot be read: {exc.strerror or exc}"))
        return sorted(infos, key=lambda m: m.created, reverse=True), unreadable

    def _model_info(self, path: Path) -> ModelInfo:
        manifest = read_manifest(path)
        accuracy = manifest.metrics.get("validation", {}).get("accuracy")
        # one link per model of this project: the same model in another project (an import, a
        # copy) has a link of its own, and deleting the model here ends this one
        token = hashlib.sha256(f"{self.root.name}/{path.stem}/{manifest.weights_sha256}".encode()).hexdigest()[:16]
        return ModelInfo(id=path.stem, file=path.name, labels=manifest.labels, created=manifest.created,
                         val_accuracy=None if accuracy is None else float(accuracy),
                         size_bytes=path.stat().st_size, token=token)

    def model_path(self, model_id: str) -> Path:
        if not is_clean_name(model_id):
            raise NotFoundError(f"no model {model_id!r} in project {self.name!r}")
        path = self.models_dir / f"{model_id}{MODEL_SUFFIX}"
        if not path.is_file():
            raise NotFoundError(f"no model {model_id!r} in project {self.name!r}; it may have been deleted")
        return path

    def model_info(self, model_id: str) -> ModelInfo:
        return self._model_info(self.model_path(model_id))

    def new_model_path(self, stem: str = "model") -> Path:
        """A free model file name, ``model-YYYYMMDD-HHMMSS[-N].earmark``."""
        return free_path(self.models_dir / f"{clean_name(stem, what='model')}-{time.strftime('%Y%m%d-%H%M%S')}"
                         f"{MODEL_SUFFIX}", any_case=True)

    def import_model(self, source: Path, *, name: str = "imported", stamp: bool = True) -> ModelInfo:
        """Copy a model file into the project after checking it is one (manifest and weights).

        Its id is ``name`` (less ``.earmark``) with a fresh time stamp, or with ``stamp=False``
        the name as it is (``name-2`` … where taken), as ``earmark share`` keeps a file's name.
        """
        from .classifier import Classifier

        Classifier.load(source)  # refuses foreign, corrupted or too-new files with a clear message
        stem = name[: -len(MODEL_SUFFIX)] if name.endswith(MODEL_SUFFIX) else name
        if stamp:
            stem = _STAMPED.sub("", stem) or "model"  # "model-20261125-181500" gets a fresh stamp, not a second one
        usable = bool(stem) and is_clean_name(stem) and len(stem) <= 64
        with NAMING:
            if stamp or not usable:
                target = self.new_model_path(stem if usable else "imported")
            else:
                target = free_path(self.models_dir / f"{stem}{MODEL_SUFFIX}", any_case=True)
            with source.open("rb") as src, atomic_write(target) as out:
                shutil.copyfileobj(src, out)
        return self._model_info(target)

    def same_weights(self, model_id: str) -> list[str]:
        """The other models of this project with exactly ``model_id``'s weights (copies of it)."""
        digest = read_manifest(self.model_path(model_id)).weights_sha256
        twins = []
        for path in sorted(self.models_dir.glob(f"*{MODEL_SUFFIX}")):
            if path.stem == model_id:
                continue
            try:
                if read_manifest(path).weights_sha256 == digest:
                    twins.append(path.stem)
            except (EarmarkError, OSError):  # unreadable files are listed elsewhere
                continue
        return twins

    def save_model(self, clf: Classifier) -> ModelInfo:
        """Write a trained classifier as a new model file of this project."""
        with NAMING:
            path = self.new_model_path()
            clf.save(path)
        return self._model_info(path)

    def rename_model(self, model_id: str, *, to: str) -> ModelInfo:
        """Give a model a name of its own ("library-trained", "my-room"): its file is renamed.
        Its share link changes with it (a link names a project's model by name and weights)."""
        path = self.model_path(model_id)
        cleaned = clean_name(to, what="model")
        if cleaned.lower().endswith(MODEL_SUFFIX):
            cleaned = cleaned[: -len(MODEL_SUFFIX)] or cleaned
        if cleaned == model_id:
            return self._model_info(path)
        with NAMING:
            target = self.models_dir / f"{cleaned}{MODEL_SUFFIX}"
            if target.exists() and not target.samefile(path):
                raise ConflictError(f"this project already has a model called {cleaned!r}; choose another name")
            # 'Library-Trained' beside 'library-trained' is taken too (as for classes): the two
            # would be one file on macOS or Windows, and one name to a person
            twins = [p.stem for p in self.models_dir.glob(f"*{MODEL_SUFFIX}")
                     if name_key(p.stem) == name_key(cleaned) and p.stem != model_id]
            if twins:
                raise ConflictError(f"this project already has a model called {twins[0]!r}; choose another name")
            path.rename(target)
        return self._model_info(target)
