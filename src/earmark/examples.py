"""Training examples: the augmented windows one training batch is made of, and the worker
processes that make them while the model trains.

Each example is made fresh: a class is drawn uniformly (so class imbalance does not bias the
model), then a window is cut from one of its clips or composed as a phrase from several
(:func:`earmark.augment.compose_phrase`), coloured by the instrument chain (pitch, drive,
reverb), and mixed with noise (the background class's own clips or synthetic room tone) at a
random SNR. In the feature domain a random EQ curve and SpecAugment masks follow
(:func:`feature_augment`). Batch ``i`` of a run draws from its own generator, seeded with
``(seed, 1, i)``, so any number of workers gives the same run.
"""

from __future__ import annotations

import functools
import multiprocessing
import multiprocessing.context
import multiprocessing.process
import multiprocessing.util
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType

import numpy as np
import torch

from .ambience import synthetic_ambience
from .augment import MixNoise, Shorten, compose_phrase, crop_or_loop, default_chain, onset_index
from .dataset import BACKGROUND_LABEL, Clip
from .errors import EarmarkWarning, warn
from .features import LogMel

__all__ = ["ExampleMaker", "Pools", "batches", "feature_augment", "sounding_starts"]


@dataclass
class Pools:
    """Training clips per class (model-rate arrays)."""

    by_class: list[list[np.ndarray]]
    background: list[np.ndarray]          # the background class's entry of by_class (or empty)
    trimmed: list[list[np.ndarray]]       # by_class, cut to their onsets
    starts: list[list[np.ndarray]]        # window starts that hold sound

    @classmethod
    def from_clips(cls, clips: list[Clip], labels: list[str], *, sample_rate: int, window: int) -> Pools:
        by_class = [[c.samples for c in clips if c.label == lab] for lab in labels]
        trimmed = [[y[onset_index(y, sample_rate=sample_rate):] for y in ys] for ys in by_class]
        starts = [[sounding_starts(y, window=window, sample_rate=sample_rate) for y in ys] for ys in by_class]
        background = by_class[labels.index(BACKGROUND_LABEL)] if BACKGROUND_LABEL in labels else []
        return cls(by_class=by_class, background=background, trimmed=trimmed, starts=starts)


def sounding_starts(y: np.ndarray, *, window: int, sample_rate: int) -> np.ndarray:
    """Window start positions (50 ms grid) whose window holds at least a quarter of the energy
    of the clip's loudest window, so that a crop of a one-shot never lands in its silent tail."""
    if y.shape[0] <= window:
        return np.zeros(1, dtype=np.int64)
    step = max(1, sample_rate // 20)
    energy = np.concatenate([[0.0], np.cumsum(y.astype(np.float64) ** 2)])
    starts = np.arange(0, y.shape[0] - window + 1, step)
    in_window = energy[starts + window] - energy[starts]
    return starts[in_window >= 0.25 * in_window.max()]


class ExampleMaker:
    """Makes augmented training windows, class-balanced.

    Batch ``i`` draws from its own generator, seeded with ``(seed, 1, i)``: any number of
    worker processes can make batches side by side, and a seed still gives one exact run.
    """

    def __init__(self, pools: Pools, *, labels: list[str], window: int, sample_rate: int,
                 augment: bool, seed: int) -> None:
        self.pools, self.labels, self.window = pools, labels, window
        self.sample_rate, self.augment, self.seed = sample_rate, augment, seed
        self.chain = default_chain()
        self.noise = MixNoise(p=0.9, min_snr_db=0.0, max_snr_db=35.0, p_synthetic=0.5)
        self.shorten = Shorten(p=0.5)

    def _crop_sound(self, k: int, rng: np.random.Generator) -> np.ndarray:
        """A window of one of class ``k``'s clips, placed where it sounds (not in a silent tail)."""
        i = int(rng.integers(len(self.pools.by_class[k])))
        y, starts = self.pools.by_class[k][i], self.pools.starts[k][i]
        n = self.window
        if y.shape[0] <= n:
            out = np.zeros(n, np.float32)
            offset = int(rng.integers(0, n - y.shape[0] + 1)) if self.augment else 0
            out[offset : offset + y.shape[0]] = y
            return out
        start = int(starts[rng.integers(len(starts))]) if self.augment else int(starts[0])
        return y[start : start + n]

    def make(self, k: int, rng: np.random.Generator) -> np.ndarray:
        """One augmented window of class ``k``."""
        sr, n = self.sample_rate, self.window
        sounds = self.pools.by_class[k]
        is_background = self.labels[k] == BACKGROUND_LABEL
        if not self.augment:
            return self._crop_sound(k, rng)
        if is_background:
            if rng.random() < 0.04:  # digital silence (a muted input, a pause) is "nothing" too
                return np.zeros(n, np.float32)
            if rng.random() < 0.5:
                y = synthetic_ambience(n, sample_rate=sr, rng=rng) * 0.1
            else:
                y = crop_or_loop(sounds[int(rng.integers(len(sounds)))], n, rng=rng)
            y = self.noise.mix(y, self.pools.background, sample_rate=sr, rng=rng)
        else:
            if rng.random() < 0.5:
                y = compose_phrase(self.pools.trimmed[k], n, sample_rate=sr, rng=rng)
            else:
                y = self.shorten(self._crop_sound(k, rng), sample_rate=sr, rng=rng)
            y = self.chain(y, sample_rate=sr, rng=rng)[:n]
            if y.shape[0] < n:
                y = np.pad(y, (0, n - y.shape[0]))
            y = self.noise.mix(y, self.pools.background, sample_rate=sr, rng=rng)
        y = y * np.float32(10 ** (rng.uniform(-30, 0) / 20) / (np.abs(y).max() + 1e-9))
        return y.astype(np.float32)

    def batch(self, index: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Batch number ``index`` of the run: ``size`` windows and their class numbers."""
        rng = np.random.default_rng([self.seed, 1, index])
        ks = rng.integers(0, len(self.labels), size=size)
        x = np.stack([self.make(int(k), rng) for k in ks])
        return torch.from_numpy(x), torch.from_numpy(ks.astype(np.int64))


def feature_augment(feats: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Random EQ (tilt, bumps, low-pass) on raw log-mel, then SpecAugment masks after normalising."""
    b, n_mels, n_frames = feats.shape
    pos = torch.linspace(0, 1, n_mels)[None, :]
    tilt = torch.from_numpy(rng.uniform(-2.5, 2.5, size=(b, 1)).astype(np.float32)) * (pos - 0.5)
    centre = torch.from_numpy(rng.uniform(0, 1, size=(b, 1)).astype(np.float32))
    bump = torch.from_numpy(rng.uniform(-2.0, 2.0, size=(b, 1)).astype(np.float32))
    curve = tilt + bump * torch.exp(-0.5 * ((pos - centre) / 0.08) ** 2)
    cutoff = torch.from_numpy(rng.uniform(0.5, 1.5, size=(b, 1)).astype(np.float32))
    curve = curve - 12.0 * torch.clamp(pos - cutoff, min=0) / 0.1  # ~ steep low-pass when cutoff < 1
    # An equaliser shapes sound, not the floor under it: cells at the window's floor (all of
    # them in digital silence) stay there, so silence stays flat as it is at inference.
    at_floor = feats <= feats.amin(dim=(-2, -1), keepdim=True) + 1e-4
    x = LogMel.normalise_window(torch.where(at_floor, feats, feats + curve[:, :, None]))
    bins = torch.arange(n_mels)[None, :, None]
    frames = torch.arange(n_frames)[None, None, :]
    keep = torch.ones(b, n_mels, n_frames, dtype=torch.bool)
    for _ in range(2):
        f0, f = (torch.from_numpy(rng.integers(0, n_mels, size=(b, 1, 1))),
                 torch.from_numpy(rng.integers(0, n_mels // 8 + 1, size=(b, 1, 1))))
        t0, t = (torch.from_numpy(rng.integers(0, n_frames, size=(b, 1, 1))),
                 torch.from_numpy(rng.integers(0, n_frames // 8 + 1, size=(b, 1, 1))))
        keep &= ~((bins >= f0) & (bins < f0 + f)) & ~((frames >= t0) & (frames < t0 + t))
    return x * keep


class _BatchStream(torch.utils.data.IterableDataset[tuple[torch.Tensor, torch.Tensor]]):
    def __init__(self, maker: ExampleMaker, *, batch_size: int, count: int) -> None:
        self.maker, self.batch_size, self.count = maker, batch_size, count

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        worker = torch.utils.data.get_worker_info()
        first, every = (0, 1) if worker is None else (worker.id, worker.num_workers)
        for index in range(first, self.count, every):
            yield self.maker.batch(index, self.batch_size)


#: How long the training process waits for the workers' next batch (one takes well under a second)
#: before it makes the rest itself.
WORKER_PATIENCE_S = 120.0


def batches(maker: ExampleMaker, *, batch_size: int, count: int, workers: int,
            patience_s: float = WORKER_PATIENCE_S) -> Iterable[tuple[torch.Tensor, torch.Tensor]]:
    """``count`` training batches, made by ``workers`` processes while the main process trains on
    the previous ones, or in this process (``workers=0``). Worker ``w`` of ``W`` makes batches
    ``w, w + W, …``; the loader hands them over in turn, so the order is batch 0, 1, 2, … and,
    each batch having its own seeded generator, the run is the same for any number of workers.

    A batch a worker made but could not hand over (its error, such as shared memory full, goes to
    stderr) was waited for for ever. After ``patience_s`` seconds without the next batch, the
    workers are shut down and this process makes that batch and the rest, with an
    :class:`~earmark.errors.EarmarkWarning` saying so: slower, and the same run."""
    stream = _BatchStream(maker, batch_size=batch_size, count=count)
    if workers == 0 or not _socket_folder_within_reach():
        return stream
    # A generator of its own: the loader draws its workers' base seed from it, not from torch's
    # global one, which dropout in the training process uses (else workers=0 and workers=1 differ).
    # Batches queued ahead: four in all with one or two workers, one per worker beyond four (each is
    # 64 windows of 1 s, ~5.6 MB of shared memory; a container's /dev/shm may hold only 64 MB).
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=workers,
                                         prefetch_factor=max(1, 4 // workers),
                                         worker_init_fn=functools.partial(_in_worker, trainer=os.getpid()),
                                         multiprocessing_context=_worker_start(),
                                         generator=torch.Generator().manual_seed(0), timeout=patience_s)
    return _without_stalling(loader, maker, batch_size=batch_size, count=count, patience_s=patience_s)


def _worker_start() -> multiprocessing.context.BaseContext | None:
    """How the workers are started: as the platform does (fork on Linux) when training runs on the
    process's main thread; from a fork server when it runs on another thread (spawned where there is
    none: Windows).

    A program that trains on a thread of its own is usually a host with other work going on: the
    studio's web server, a GUI. A forked worker is a copy of that whole process, its open sockets
    included, and holds them while it lives. When the studio closed an idle browser connection
    during training, the workers still held it, so the browser never saw it closed and queued the
    reloaded page's requests on it until training ended (up to minutes). Forking a process that runs
    other threads is unsafe besides (CPython deprecates it from 3.12; 3.14 starts from a fork server
    by default). A fork server is a fresh interpreter that has imported this module, so its workers
    start quickly and hold nothing of the host; it starts once per process (about 2 s), and each
    run sends the workers its training clips."""
    if threading.current_thread() is threading.main_thread():
        return None
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None  # Windows: workers are spawned fresh anyway
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _without_stalling(loader: torch.utils.data.DataLoader[tuple[torch.Tensor, torch.Tensor]], maker: ExampleMaker, *,
                      batch_size: int, count: int, patience_s: float) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The loader's batches; from the first one it does not hand over in ``patience_s``, this process's."""
    handed = iter(loader)
    stalled_at = count
    for index in range(count):
        try:
            batch = next(handed)
        except RuntimeError as exc:
            if "timed out" not in str(exc):  # the loader's words for a wait that ran out; any other is a fault
                raise
            stalled_at = index
            break
        yield batch
    # out of the except block: its traceback held the loader's iterator, and with it the workers
    del handed  # its workers are shut down (and their shared memory freed)
    if stalled_at < count:
        warn(f"the processes that make training examples handed over no batch in {patience_s:g} s (any error "
             "of theirs is above); this process makes the rest of them: the run is the same, and slower",
             EarmarkWarning)
    for rest in range(stalled_at, count):
        yield maker.batch(rest, batch_size)


def _in_worker(worker: int, *, trainer: int) -> None:
    """What a worker does first: leave Ctrl-C to the trainer, and end when the trainer is gone."""
    _leave_interrupts_to_the_trainer(worker)
    _end_with_the_trainer(trainer)


#: How often a worker checks that the process it makes examples for is still there, in seconds.
TRAINER_CHECK_S = 1.0


def _end_with_the_trainer(trainer: int) -> None:
    """In the worker: exit once the process ``trainer`` (its pid) is gone, even killed outright.

    PyTorch's workers watch their parent, which for a forked worker is the trainer. A worker started
    from a fork server is the fork server's child, and each holds the fork server's lifeline (a pipe
    it ends on when no process holds it): with the trainer killed (``kill -9``, a crash), the workers
    and the fork server kept each other alive for ever, 770 MB of orphans a studio restart did not
    remove. A daemon thread checks every :data:`TRAINER_CHECK_S` s; the fork server then ends with them."""

    def watch() -> None:
        while True:
            time.sleep(TRAINER_CHECK_S)
            try:
                os.kill(trainer, 0)
            except (ProcessLookupError, PermissionError):  # gone (or its pid is another user's process now)
                os._exit(0)

    threading.Thread(target=watch, name="earmark-trainer-watch", daemon=True).start()


def _leave_interrupts_to_the_trainer(_worker: int) -> None:
    """In the worker: ignore Ctrl-C, which a terminal sends to the whole process group. The
    process that trains decides (``earmark train`` finishes the epoch and keeps the model; a
    second Ctrl-C, or any other program's KeyboardInterrupt, shuts the worker down as usual).

    A batch reaches the trainer as file descriptors that a thread of the worker hands over
    (:mod:`multiprocessing.resource_sharer`); when the trainer is aborted in the middle of taking
    one, that thread's connection is reset and it printed a traceback under ``interrupted``. A
    connection the trainer dropped is no error of the worker's: it is not shown."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    shown = sys.excepthook

    def hide_dropped_connections(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if not issubclass(kind, (ConnectionError, EOFError)):
            shown(kind, value, tb)

    sys.excepthook = hide_dropped_connections


#: The longest path a Unix socket may have, its closing NUL included: 108 bytes on Linux, 104 on
#: macOS and the BSDs.
_SOCKET_PATH_MAX = 108 if sys.platform.startswith("linux") else 104
#: What multiprocessing adds to its temporary folder's path for a socket: "/listener-" and 8 characters.
_SOCKET_NAME = len("/listener-") + 8
#: What it adds to the temporary directory for that folder: "/pymp-" and 8 characters.
_FOLDER_NAME = len("/pymp-") + 8


def _socket_folder_within_reach() -> bool:
    """Whether the workers can hand batches over; makes multiprocessing's temporary folder a short one
    in the system's /tmp when its usual place is too deep for a socket.

    A worker hands each batch over as file descriptors, through a Unix socket it makes in
    multiprocessing's temporary folder (``$TMPDIR/pymp-…``). A socket path longer than the system
    allows cannot be made: the worker's ``AF_UNIX path too long`` went to stderr and training waited
    for ever for its batch (a long TMPDIR: a cluster job's, a test run's). Python 3.14 falls back to
    /tmp then (CPython issue 132124); so does this, for the Pythons before it. False (the examples
    are then made in this process) only when /tmp is not there to use either."""
    config = multiprocessing.process.current_process()._config  # type: ignore[attr-defined]  # get_temp_dir()'s
    folder = config.get("tempdir")
    deepest = (len(folder) if folder else len(tempfile.gettempdir()) + _FOLDER_NAME) + _SOCKET_NAME
    if deepest < _SOCKET_PATH_MAX:
        return True
    if not os.access("/tmp", os.W_OK | os.X_OK):
        return False
    short = tempfile.mkdtemp(prefix="pymp-", dir="/tmp")
    # removed as multiprocessing removes its own: last, at exit, by this process (not by the workers)
    multiprocessing.util.Finalize(None, shutil.rmtree, args=(short,), kwargs={"ignore_errors": True},
                                  exitpriority=-100)
    config["tempdir"] = short
    return True

