"""A training run reads its project's samples first, then trains on what it read. While it reads, the
changes that would take files from under it (a class renamed, made or deleted, a sample deleted or moved,
to or from the test set) are refused with a 409; once it has read them they are allowed again. A class
renamed 0.3 s into a run made it fail with "class 'perc' has no usable audio" for a class of 39 good
samples, and a class deleted at 0.15 s gave a model trained on 25 of its 39 clips, without a word.

The runs are held right after their read (``JobRunner.on_read``), so nothing here races a real read."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import assert_error, make_client, write_dataset
from earmark.errors import DatasetError, NotFoundError
from earmark.project import Project
from earmark.studio.jobs import Job
from earmark.train import TrainSettings

READING = r"^training is reading this project's samples; try again in a few seconds \(or cancel the training\)$"
PER_CLASS = 6
QUICK = {"epochs": 1, "batch_size": 16}


@pytest.fixture
def band(tmp_path: Path) -> Iterator[TestClient]:
    """The studio over a project 'band' of 6 clips in each of background, bass and drums, and one bass
    clip in its test set."""
    project = Project.create(tmp_path / "band")
    write_dataset(project.samples_dir, per_class=PER_CLASS, seed=5)
    write_dataset(tmp_path / "extra", per_class=1, seed=6)
    (project.test_dir / "bass").mkdir(parents=True)
    (tmp_path / "extra" / "bass" / "bass_000.wav").rename(project.test_dir / "bass" / "test_take.wav")
    with make_client(tmp_path) as c:
        yield c


@contextmanager
def held_after_reading(c: TestClient, *, then: object = None) -> Iterator[threading.Event]:
    """Runs started in the block stop once they have read their samples (still "reading") until the
    block ends; the event is set when one got there. ``then``: an exception the run raises there."""
    read, release = threading.Event(), threading.Event()

    def hold(job: Job) -> None:
        read.set()
        assert release.wait(120), "the test never let the run go on"
        if isinstance(then, Exception):
            raise then

    jobs = c.app.state.studio.jobs  # type: ignore[attr-defined]
    jobs.on_read = hold
    try:
        yield read
    finally:
        release.set()
        jobs.on_read = None


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.wav"))


def _reached(c: TestClient, read: threading.Event, job: dict[str, object]) -> None:
    """Until the run ``job`` is held after its read (failing if it ends first, never held)."""
    deadline = time.monotonic() + 120
    while not read.wait(0.05):
        now = c.get(f"/api/jobs/{job['id']}").json()
        assert now["state"] == "running" and time.monotonic() < deadline, f"the run was never held: {now}"


def _wait(c: TestClient, job_id: str) -> Job:
    return c.app.state.studio.jobs.wait(job_id, timeout_s=120)  # type: ignore[attr-defined, no-any-return]


def test_changes_to_the_samples_are_refused_while_a_run_reads_them(band: TestClient, tmp_path: Path) -> None:
    c, p = band, "/api/projects/band"
    before = _files(tmp_path / "band")
    with held_after_reading(c) as read:
        job = c.post(f"{p}/train", json=QUICK).json()
        _reached(c, read, job)
        assert c.get(f"/api/jobs/{job['id']}").json()["reading"] is True
        for refused in (c.patch(f"{p}/classes/drums", json={"name": "perc"}),
                        c.delete(f"{p}/classes/bass"),
                        c.post(f"{p}/classes", json={"name": "snare"}),
                        c.delete(f"{p}/samples/bass/bass_001.wav"),
                        c.post(f"{p}/samples/bass/bass_001.wav/move", json={"to": "drums"}),
                        c.post(f"{p}/samples/bass/bass_002.wav/to-test"),
                        c.post(f"{p}/samples/bass/test_take.wav/to-training")):
            assert_error(refused, 409, "ConflictError", READING)
        assert _files(tmp_path / "band") == before, "nothing was changed"
        assert [x["name"] for x in c.get(p).json()["classes"]] == ["background", "bass", "drums"]
    finished = _wait(c, job["id"])
    assert finished.state == "done", finished.error
    assert finished.model is not None and finished.model["labels"] == ["background", "bass", "drums"]
    detail = c.get(f"{p}/models/{finished.model['id']}").json()
    assert detail["dataset"]["train_clips"] + detail["dataset"]["val_clips"] == 3 * PER_CLASS
    assert detail["dataset"]["skipped"] == []
    # once the run has read its samples the changes are allowed again
    assert c.get(f"/api/jobs/{job['id']}").json()["reading"] is False
    assert c.patch(f"{p}/classes/drums", json={"name": "perc"}).status_code == 200
    assert c.post(f"{p}/samples/bass/bass_002.wav/to-test").status_code == 200


def test_a_change_is_allowed_while_the_run_trains_on_what_it_read(band: TestClient) -> None:
    c, p = band, "/api/projects/band"
    job = c.post(f"{p}/train", json={"epochs": 200, "batch_size": 16}).json()
    try:
        deadline = time.monotonic() + 120
        while (now := c.get(f"/api/jobs/{job['id']}").json())["reading"]:
            assert now["state"] == "running" and time.monotonic() < deadline, now
            time.sleep(0.05)
        assert now["state"] == "running", now
        assert c.patch(f"{p}/classes/drums", json={"name": "perc"}).status_code == 200
        assert c.delete(f"{p}/samples/bass/bass_001.wav").status_code == 200
    finally:
        c.post(f"/api/jobs/{job['id']}/cancel")
    assert _wait(c, job["id"]).state == "cancelled"


@pytest.mark.parametrize("ending", ["cancelled", "failed"])
def test_a_run_that_ends_while_it_reads_lets_changes_in_again(band: TestClient, ending: str) -> None:
    """A run cancelled while it reads, or whose read fails, is no longer reading: nothing stays refused."""
    c, p = band, "/api/projects/band"
    fails = DatasetError("class 'bass' could not be read") if ending == "failed" else None
    with held_after_reading(c, then=fails) as read:
        job = c.post(f"{p}/train", json=QUICK).json()
        _reached(c, read, job)
        assert_error(c.delete(f"{p}/classes/bass"), 409, "ConflictError", READING)
        if ending == "cancelled":
            c.post(f"/api/jobs/{job['id']}/cancel")
    finished = _wait(c, job["id"])
    assert finished.state == ending and not finished.reading
    assert finished.error == (None if fails is None else str(fails))
    assert c.delete(f"{p}/classes/bass").status_code == 200


def test_a_run_starting_as_its_project_is_deleted_says_so_and_makes_no_folder(band: TestClient,
                                                                             tmp_path: Path) -> None:
    """A run started just as its project went said '/…/samples/drums: no such folder; check the path'; its
    start made the deleted project's folder again (samples/ in it)."""
    studio = band.app.state.studio  # type: ignore[attr-defined]
    project = studio.project("band")  # opened by the start's request, before the delete
    studio.delete_project("band")
    with pytest.raises(NotFoundError, match=r"^project 'band' was deleted meanwhile; reload the page$"):
        studio.jobs.start(project, TrainSettings(epochs=1))
    assert not (tmp_path / "band").exists()


def test_a_run_starting_during_its_projects_delete_waits_for_it_then_says_it_was_deleted(
        band: TestClient, tmp_path: Path) -> None:
    studio = band.app.state.studio  # type: ignore[attr-defined]
    project = studio.project("band")
    outcome: list[BaseException | Job] = []

    def start() -> None:
        try:
            outcome.append(studio.jobs.start(project, TrainSettings(epochs=1)))
        except BaseException as exc:  # noqa: BLE001 (told to the test thread)
            outcome.append(exc)

    starting = threading.Thread(target=start)
    with studio.jobs.changing("band"):  # a change of the project going on (here: its delete)
        starting.start()
        starting.join(0.5)
        assert starting.is_alive() and not outcome, "the run waits for the change to end"
        studio.delete_project("band")
    starting.join(60)
    [said] = outcome
    assert isinstance(said, NotFoundError) and str(said) == "project 'band' was deleted meanwhile; reload the page"
    assert not (tmp_path / "band").exists()


def test_a_project_is_not_deleted_while_a_run_of_it_reads(band: TestClient) -> None:
    c = band
    with held_after_reading(c) as read:
        job = c.post("/api/projects/band/train", json=QUICK).json()
        _reached(c, read, job)
        assert_error(c.delete("/api/projects/band"), 409, "ConflictError",
                     r"^project 'band' is training; cancel the training first, then delete it$")
        c.post(f"/api/jobs/{job['id']}/cancel")
    assert _wait(c, job["id"]).state == "cancelled"
    assert c.delete("/api/projects/band").status_code == 200


def test_an_undo_is_refused_while_a_run_reads_the_samples(band: TestClient) -> None:
    """An Undo brings files back (a whole class, perhaps): not while a run reads the samples."""
    c, p = band, "/api/projects/band"
    gone = c.delete(f"{p}/samples/bass/test_take.wav?set=test").json()["undo"]
    with held_after_reading(c) as read:
        job = c.post(f"{p}/train", json=QUICK).json()
        _reached(c, read, job)
        assert_error(c.post(f"{p}/trash/{gone}/restore"), 409, "ConflictError", READING)
    assert _wait(c, job["id"]).state == "done"
    assert c.post(f"{p}/trash/{gone}/restore").status_code == 200
