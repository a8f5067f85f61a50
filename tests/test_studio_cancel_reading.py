"""Cancel takes effect while a training run reads its project's samples: the run stops before its next
file, ends "cancelled" and writes no model; meanwhile its job says ``"cancelling": true``. On a project of
1800 clips, Cancel sent 2 s into a run left it "running" for 26 s (the read went on to the end) and the
page said "Preparing the data…" all along; sent as the read ended, 13 s (the backbone's concept map was
learnt whole first).

The run is held before one of its files (``JobRunner.on_file``), so nothing here races a real read."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import make_client, write_dataset
from earmark.backbone import NONE
from earmark.project import Project
from earmark.studio.jobs import Job
from earmark.train import TrainingCancelled, TrainSettings, train

PER_CLASS = 6
HELD_AT = 3  # the run is held before its third file


@pytest.fixture
def band(tmp_path: Path) -> Iterator[TestClient]:
    """The studio over a project 'band' of 6 clips in each of background, bass and drums."""
    write_dataset(Project.create(tmp_path / "band").samples_dir, per_class=PER_CLASS, seed=5)
    with make_client(tmp_path) as c:
        yield c


def test_a_cancel_while_a_run_reads_ends_it_before_its_next_file(band: TestClient, tmp_path: Path) -> None:
    c = band
    jobs = c.app.state.studio.jobs  # type: ignore[attr-defined]
    asked: list[str] = []
    held, release = threading.Event(), threading.Event()

    def hold(job: Job) -> None:
        asked.append(job.id)
        if len(asked) == HELD_AT:
            held.set()
            assert release.wait(120), "the test never let the run go on"

    jobs.on_file = hold
    try:
        job = c.post("/api/projects/band/train", json={"epochs": 1, "batch_size": 16}).json()
        assert held.wait(120), f"the run never reached its third file: {jobs.get(job['id'])}"
        now = c.get(f"/api/jobs/{job['id']}").json()
        assert (now["state"], now["reading"], now["cancelling"]) == ("running", True, False)
        cancelling = c.post(f"/api/jobs/{job['id']}/cancel").json()
        assert (cancelling["state"], cancelling["cancelling"]) == ("running", True), "the page can say Cancelling…"
        assert c.get(f"/api/jobs/{job['id']}").json()["cancelling"] is True
    finally:
        release.set()
    try:  # still counting the files it reads, until it ends
        finished = jobs.wait(job["id"], timeout_s=120)
    finally:
        jobs.on_file = None
    assert (finished.state, finished.error, finished.model, finished.reading) == ("cancelled", None, None, False)
    assert len(asked) == HELD_AT, f"files read after the cancel: {len(asked) - HELD_AT} of {3 * PER_CLASS - HELD_AT}"
    assert finished.history == [], "it never trained"
    after = c.get(f"/api/jobs/{job['id']}").json()
    assert (after["state"], after["cancelling"]) == ("cancelled", False)
    assert not any((tmp_path / "band" / "models").glob("*")), "no model was written"


def test_a_cancel_is_heard_while_the_backbones_concept_map_is_learnt(small_dataset: Path) -> None:
    """Training with a backbone that has concepts asks ``should_cancel`` before each batch of the concept
    map too, not only before each of its training steps."""
    asked: list[str] = []
    settings = TrainSettings(epochs=1, steps_per_epoch=2, batch_size=8)
    assert settings.start()[0] != NONE, "the default backbone learns a concept map"

    def ask(answer: bool) -> Callable[[], bool]:
        def should_cancel() -> bool:
            asked.append("asked")
            return answer
        return should_cancel

    train(small_dataset, settings=settings, progress=False, should_cancel=ask(False))
    assert len(asked) > 2, "asked only before the 2 training steps"
    asked.clear()
    with pytest.raises(TrainingCancelled):
        train(small_dataset, settings=settings, progress=lambda record: asked.append("an epoch"),
              should_cancel=ask(True))
    assert asked == ["asked"], "ended at the first ask, before any epoch"
