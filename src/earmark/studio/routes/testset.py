"""The project's test set: every model scored on it, side by side, with its mistakes to listen to."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from ...classifier import Classifier
from ...dataset import CLIP_S, Dataset, load_dataset
from ...errors import DatasetError, ParameterError, collecting_warnings
from ...evaluate import as_named_now, evaluate
from ...naming import quoted_list
from ...project import Project
from ..deps import ProjectDep, StudioDep
from ..links import sample_base, sample_query, sample_version
from ..schemas import TestEvaluate

router = APIRouter(prefix="/api/projects/{project}/test", tags=["test set"])
#: A clip of a long file, as :attr:`earmark.dataset.Clip.name` writes it: ``FILE@4.00s``.
_AT = re.compile(r"(.+)@([0-9]+(?:\.[0-9]+)?)s")


@router.post("/evaluate")
async def evaluate_on_test_set(project: ProjectDep, studio: StudioDep,
                               body: TestEvaluate | None = None) -> dict[str, Any]:
    """Score the chosen models (none chosen: every model of the project) on the project's test set.

    Each model gets its report, or an ``error`` when it cannot be scored on this set (a class was
    added after it was trained); each misclassified clip comes with where to hear and see it.
    """
    ids = list(dict.fromkeys(body.models if body else [])) or [m.id for m in project.models()]
    if not ids:
        raise ParameterError("there is no model to score yet: train one (2 · Train), or import one (5 · Keep & share)")
    models = {i: await run_in_threadpool(studio.classifier, project.model_path(i)) for i in ids}
    return await run_in_threadpool(_score, project, models)


def _score(project: Project, models: dict[str, Classifier]) -> dict[str, Any]:
    folder = project.check_test_set()  # empty, or a folder in test/ that is no class's: says what to do
    loaded: dict[int, Dataset] = {}  # decoded once per sample rate
    results: list[dict[str, Any]] = []
    for model_id, trained in models.items():
        try:
            clf = as_named_now(trained, project)
        except DatasetError as exc:
            results.append({"model": model_id, "error": f"{model_id} cannot be scored on this test set: {exc}"})
            continue
        if clf.sample_rate not in loaded:
            # Kept silent: a test sample cut short, or whose channels cancel out, was named when it came
            # in (its upload's or its import's warnings); it is scored on what there is, as it was kept.
            with collecting_warnings():
                loaded[clf.sample_rate] = load_dataset(folder, sample_rate=clf.sample_rate)
        dataset = loaded[clf.sample_rate]
        unknown = sorted({c.label for c in dataset.clips} - set(clf.labels))
        if unknown:
            results.append({"model": model_id, "error": (
                f"{model_id} cannot be scored on this test set: it does not know the class"
                f"{'es' if len(unknown) > 1 else ''} {quoted_list(unknown)} (added, or given a name another "
                f"class had, after it was trained); train a new model")})
            continue
        report = evaluate(clf, dataset).to_dict()
        report["misclassified"] = [{**m, **_where(project, str(m["file"]))} for m in report["misclassified"]]
        results.append({"model": model_id, **report})
    first = next(iter(loaded.values()))
    return {"n_clips": len(first.clips), "skipped": [{"path": s.path, "reason": s.reason} for s in first.skipped],
            "models": results}


def _where(project: Project, name: str) -> dict[str, Any]:
    """Where to hear and see a test clip named as a report names it (``bass/take.wav`` or, for a
    clip of a long file, ``bass/take.wav@4.00s``)."""
    cut = _AT.fullmatch(name)
    file, start = (cut.group(1), float(cut.group(2))) if cut else (name, 0.0)
    class_name, _, sample_id = file.partition("/")
    base = sample_base(project, class_name, sample_id)
    query = sample_query(sample_version(project, class_name, sample_id, test=True), test=True)
    part = f"#t={start:.3f},{start + CLIP_S:.3f}" if start > 0 else ""
    picture = f"&start_s={start:.3f}&end_s={start + CLIP_S:.3f}" if start > 0 else ""
    return {"class_name": class_name, "id": sample_id, "start_s": start,
            "audio_url": f"{base}/audio{query}{part}", "spectrogram_url": f"{base}/spectrogram.png{query}{picture}"}
