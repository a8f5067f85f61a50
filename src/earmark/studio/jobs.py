"""Training jobs: one training run at a time, in a background thread, with progress and cancel.

Training reports every epoch through :func:`earmark.train`'s ``progress`` callback; cancelling
ends the run before its next file read, concept-map batch or training step (``should_stop``,
``should_cancel``: within a second) without writing a model file; meanwhile the job says
``"cancelling": true``. A studio that
stops cancels the run going on and waits for its thread (:meth:`JobRunner.close`): PyTorch still
running in a thread as the interpreter ends aborts the process ("terminate called without an
active exception").

A run first reads its project's samples (decodes every file), then trains on what it read. While it
reads, the requests that change which files are there (a class renamed, made or deleted, a sample
deleted or moved, to or from the test set) are refused (:meth:`JobRunner.changing`), and a run
starting waits for such a change going on to end: a run trains on one consistent set of files.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..dataset import Dataset, LoadCancelled, load_dataset
from ..errors import ConflictError, EarmarkError, NotFoundError, collecting_warnings
from ..project import PROJECT_FILE, Project
from ..train import EpochRecord, StopTraining, TrainingCancelled, TrainSettings, train
from .links import model_view

__all__ = ["Job", "JobRunner"]

_log = logging.getLogger("earmark.studio")

#: The refusal of a change to a project's samples while a training run reads them.
READING = "training is reading this project's samples; try again in a few seconds (or cancel the training)"

#: How long a run starting waits for changes to its project's samples going on (a rename, a move) to end.
_CHANGES_WAIT_S = 30.0


@dataclass
class Job:
    """One training run of a project."""

    id: str
    project: str
    epochs: int
    settings: dict[str, Any]
    state: str = "running"  # running | done | failed | cancelled
    history: list[dict[str, float]] = field(default_factory=list)
    error: str | None = None
    model: dict[str, Any] | None = None  # the model it made, as the API shows models (links included)
    cancel_requested: bool = False
    stop_requested: bool = False  # "Stop and keep": end after this epoch, keep the model
    reading: bool = True  # still reading the project's samples (changes to them are refused meanwhile)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "project": self.project, "state": self.state,
                "epoch": len(self.history), "epochs": self.epochs, "history": list(self.history),
                "error": self.error, "model": self.model, "settings": self.settings,
                "stopping": self.stop_requested and self.state == "running", "reading": self.reading,
                "cancelling": self.cancel_requested and self.state == "running"}


class JobRunner:
    """Starts training runs in threads; at most one runs at a time (the machine has few cores)."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._quiet = threading.Condition(self._lock)  # told when a change to a project's samples ends
        self._changing: Counter[str] = Counter()  # project folder → changes to its samples going on
        self._threads: dict[str, threading.Thread] = {}
        self._closed = False
        #: The runs :meth:`close` cancelled (for the server to say so as it stops).
        self.cancelled_at_close: list[Job] = []
        #: Called with a run once it has read its samples, before it says so (tests hold a run there).
        self.on_read: Callable[[Job], None] | None = None
        #: Called with a run before it reads each of its samples' files (tests cancel a run there).
        self.on_file: Callable[[Job], None] | None = None

    def running(self) -> Job | None:
        with self._lock:
            return next((j for j in self._jobs.values() if j.state == "running"), None)

    def latest(self, project: str) -> Job | None:
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.project == project]
        return jobs[-1] if jobs else None

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no training job {job_id!r}; it may belong to a studio that was restarted")
        return job

    @contextmanager
    def changing(self, project_id: str, *, while_training: str | None = None) -> Iterator[None]:
        """Hold while a request changes which files ``project_id``'s samples hold (a class renamed, made or
        deleted, a sample deleted or moved): refused with a :class:`ConflictError` while a run of the
        project reads them (or, with ``while_training``, the message, while one runs at all), and a run
        starting meanwhile waits for the block to end before it reads."""
        with self._lock:
            job = next((j for j in self._jobs.values() if j.project == project_id and j.state == "running"), None)
            if job is not None and while_training is not None:
                raise ConflictError(while_training)
            if job is not None and job.reading:
                raise ConflictError(READING)
            self._changing[project_id] += 1
        try:
            yield
        finally:
            with self._lock:
                self._changing[project_id] -= 1
                if not self._changing[project_id]:
                    del self._changing[project_id]
                    self._quiet.notify_all()

    def start(self, project: Project, settings: TrainSettings) -> Job:
        deleted = NotFoundError(f"project {project.name!r} was deleted meanwhile; reload the page")
        try:  # not parents=True: that would make a deleted project's folder again
            project.samples_dir.mkdir(exist_ok=True)
        except FileNotFoundError:
            raise deleted from None
        project.check_writable(into=project.models_dir)  # now, not when the model is saved after every epoch
        with self._lock:
            # a change to its samples going on (a rename, a move, the project's delete) ends first: quick
            if not self._quiet.wait_for(lambda: not self._changing[project.root.name], timeout=_CHANGES_WAIT_S):
                raise ConflictError(f"project {project.name!r} is being changed; try again in a few seconds")
            if not (project.root / PROJECT_FILE).is_file():
                raise deleted
            if self._closed:
                raise ConflictError("the studio is stopping; start it again to train")
            busy = next((j for j in self._jobs.values() if j.state == "running"), None)
            if busy is not None:
                raise ConflictError(f"a training run is already going on (project {busy.project!r}); "
                                    "wait for it to finish or cancel it")
            job = Job(id=uuid.uuid4().hex[:12], project=project.root.name, epochs=settings.epochs,
                      settings=settings.to_dict())
            self._jobs[job.id] = job
            # not a daemon: the interpreter waits for it rather than end under it (close() cancels it first)
            thread = threading.Thread(target=self._run, args=(job, project, settings), name=f"train-{job.id}")
            self._threads[job.id] = thread
            thread.start()
        return job

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        job.cancel_requested = True
        return job

    def stop(self, job_id: str) -> Job:
        """End a run after the epoch going on now and keep its model (see :class:`~earmark.train.StopTraining`)."""
        job = self.get(job_id)
        job.stop_requested = True
        return job

    def wait(self, job_id: str, timeout_s: float | None = None) -> Job:
        """Block until a job ends (for scripts and tests)."""
        thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout_s)
        return self.get(job_id)

    def close(self) -> list[Job]:
        """Cancel the run going on (it ends before its next training step, writing no model), refuse new
        ones, and wait for every training thread to end; the runs it cancelled."""
        with self._lock:
            self._closed = True
            running = [j for j in self._jobs.values() if j.state == "running" and not j.cancel_requested]
            for job in running:
                job.cancel_requested = True
            threads = list(self._threads.values())
        for thread in threads:
            thread.join()
        self.cancelled_at_close += [j for j in running if j.state == "cancelled"]
        return running

    def _run(self, job: Job, project: Project, settings: TrainSettings) -> None:
        def progress(record: EpochRecord) -> None:
            job.history.append(record.to_dict())
            if job.cancel_requested:
                raise TrainingCancelled
            if job.stop_requested:
                raise StopTraining

        try:
            # Kept silent (not left to the studio's stderr): a sample cut short, or whose channels cancel
            # out, was named when it came in (its upload's or its import's warnings); training uses what there is.
            with collecting_warnings():
                dataset = self._read(job, project, settings)
                clf = train(dataset, settings=settings, progress=progress,
                            should_cancel=lambda: job.cancel_requested)
            if job.cancel_requested:
                raise TrainingCancelled
            if not project.samples_dir.is_dir():
                raise NotFoundError(f"project {project.name!r} was deleted while it trained; the model was not kept")
            job.model = model_view(project, project.save_model(clf))  # with its links, as the API shows models
            job.state = "done"
        except TrainingCancelled:
            job.state = "cancelled"
        except EarmarkError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # a bug: report it in the page rather than lose it in a thread
            _log.exception("training job %s failed", job.id)
            job.error, job.state = f"training failed unexpectedly ({type(exc).__name__}: {exc})", "failed"

    def _read(self, job: Job, project: Project, settings: TrainSettings) -> Dataset:
        """The project's samples, read as the run trains on them; ``job.reading`` ends however this ends."""
        try:
            if job.cancel_requested:
                raise TrainingCancelled
            if not project.samples_dir.is_dir():
                raise NotFoundError(f"project {project.name!r} was deleted before training read it; "
                                    "nothing was trained")
            def should_stop() -> bool:
                if self.on_file is not None:
                    self.on_file(job)
                return job.cancel_requested

            try:
                dataset = load_dataset(project.samples_dir, sample_rate=settings.features().sample_rate,
                                       should_stop=should_stop)
            except LoadCancelled:
                raise TrainingCancelled from None
            if self.on_read is not None:
                self.on_read(job)
            return dataset
        finally:
            with self._lock:
                job.reading = False
