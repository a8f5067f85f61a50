"""Tests for earmark.examples: the augmented training windows and the batches they make."""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import SR
from earmark.dataset import Dataset, load_dataset
from earmark.errors import EarmarkWarning
from earmark.examples import ExampleMaker, Pools, batches, feature_augment, sounding_starts
from earmark.features import FeatureConfig, LogMel


@pytest.fixture(scope="module")
def small(small_dataset: Path) -> Dataset:
    return load_dataset(small_dataset, sample_rate=SR)


def maker_for(ds: Dataset, *, augment: bool = True, seed: int = 0) -> ExampleMaker:
    pools = Pools.from_clips(ds.clips, ds.labels, sample_rate=SR, window=SR)
    return ExampleMaker(pools, labels=ds.labels, window=SR, sample_rate=SR, augment=augment, seed=seed)


def test_a_window_is_never_placed_in_a_one_shots_silent_tail() -> None:
    y = np.zeros(4 * SR, np.float32)
    y[SR // 2 : SR] = 0.5  # half a second of sound, then three seconds of nothing
    starts = sounding_starts(y, window=SR, sample_rate=SR)
    assert len(starts) and starts.max() <= SR  # each window from there still holds the sound
    assert all(np.abs(y[s : s + SR]).sum() > 0 for s in starts)
    assert sounding_starts(y[: SR // 2], window=SR, sample_rate=SR).tolist() == [0], "shorter than a window"


def test_a_batch_is_the_same_whenever_it_is_made(small: Dataset) -> None:
    """Batch i has its own generator: made again, or by another maker with the seed, it is the
    same; another index or seed is another batch."""
    a, b = maker_for(small), maker_for(small)
    x1, k1 = a.batch(3, 8)
    x2, k2 = b.batch(3, 8)
    assert x1.shape == (8, SR) and x1.dtype == torch.float32 and k1.dtype == torch.int64
    assert torch.equal(x1, x2) and torch.equal(k1, k2)
    assert not torch.equal(x1, a.batch(4, 8)[0]) and not torch.equal(x1, maker_for(small, seed=1).batch(3, 8)[0])


def test_classes_are_drawn_uniformly_whatever_their_sizes(small: Dataset) -> None:
    uneven = Dataset(clips=[c for c in small.clips if c.label != "bass" or c.source.endswith(("0.wav", "1.wav"))],
                     sample_rate=small.sample_rate, root=small.root, folders=small.folders)
    counts = np.bincount(torch.cat([maker_for(uneven).batch(i, 64)[1] for i in range(8)]).numpy(),
                         minlength=len(uneven.labels))
    assert counts.min() > 0.25 * 512, counts  # a third each, give or take


def test_batches_come_in_order_from_any_number_of_workers(small: Dataset) -> None:
    maker = maker_for(small)
    alone = [x for x, _ in batches(maker, batch_size=4, count=5, workers=0)]
    assert len(alone) == 5 and all(torch.equal(x, maker.batch(i, 4)[0]) for i, x in enumerate(alone))
    two = [x for x, _ in batches(maker, batch_size=4, count=5, workers=2)]
    assert all(torch.equal(x, y) for x, y in zip(alone, two, strict=True))


def test_workers_of_a_run_on_another_thread_hold_none_of_the_hosts_connections(small: Dataset) -> None:
    """The studio trains on a thread of its web server. Forked workers were copies of the server, its
    sockets included: a connection the server closed stayed open for the browser until training
    ended, and a reloaded page waited on it. Off the main thread the workers start from a fork
    server: a connection the host closes is closed; the batches are the same."""
    maker = maker_for(small)
    host, browser = socket.socketpair()
    seen: dict[str, object] = {}

    def run() -> None:
        handed = iter(batches(maker, batch_size=4, count=4, workers=1))
        first = next(handed)  # the worker is running, and stays until the last batch
        host.close()
        browser.settimeout(20)
        try:
            seen["closed"] = browser.recv(1) == b""
        except TimeoutError:
            seen["closed"] = False  # a worker holds the host's end open
        seen["batches"] = [first[0], *(x for x, _ in handed)]

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(180)
    browser.close()
    assert seen["closed"] is True
    alone = [x for x, _ in batches(maker, batch_size=4, count=4, workers=0)]
    assert all(torch.equal(x, y) for x, y in zip(alone, seen["batches"], strict=True))  # type: ignore[call-overload]


def test_without_augmentation_a_window_is_a_clip_as_it_is(small: Dataset) -> None:
    maker = maker_for(small, augment=False)
    x, ks = maker.batch(0, 6)
    for window, k in zip(x.numpy(), ks.tolist()):  # the first sounding window of one of the class's clips
        clips = zip(maker.pools.by_class[k], maker.pools.starts[k])
        assert any(np.array_equal(window, np.pad(y[s[0] : s[0] + SR], (0, max(0, SR - len(y))))) for y, s in clips)


def test_training_shows_the_background_class_digital_silence(small: Dataset) -> None:
    """A muted input is "nothing": about 4 % of background examples are digital silence, no other
    class's example is ever silent, and the equaliser leaves silence flat, as it is at inference.
    (Tested where it is made: whether a tiny 6-epoch model then calls silence background by a
    clear margin depends on its seed.)"""
    ds = small
    maker = maker_for(ds)
    rng = np.random.default_rng(0)
    bg = ds.labels.index("background")
    silent = [not maker.make(bg, rng).any() for _ in range(1000)]
    assert 20 <= sum(silent) <= 60, sum(silent)
    for k in set(range(len(ds.labels))) - {bg}:
        assert all(maker.make(k, rng).any() for _ in range(300))
    feats = LogMel(FeatureConfig(sample_rate=SR))(torch.zeros(4, SR))
    augmented = feature_augment(feats, np.random.default_rng(1))
    assert torch.equal(augmented, torch.zeros_like(augmented))


def test_a_worker_shows_no_traceback_for_a_connection_the_aborted_trainer_dropped(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Aborting `earmark train` (Ctrl-C twice) in the middle of taking a batch reset the connection of
    the worker's file-descriptor sharing thread, and its traceback followed "interrupted" (seen once
    in six aborts on a loaded machine). That thread reports through sys.excepthook, as here."""
    import signal
    import sys

    from earmark.examples import _leave_interrupts_to_the_trainer

    hook, handler = sys.excepthook, signal.getsignal(signal.SIGINT)
    try:
        _leave_interrupts_to_the_trainer(0)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        for dropped in (ConnectionResetError(104, "Connection reset by peer"), EOFError(), BrokenPipeError()):
            sys.excepthook(type(dropped), dropped, None)
        assert capsys.readouterr().err == ""
        sys.excepthook(ValueError, ValueError("a real fault"), None)
        assert "ValueError: a real fault" in capsys.readouterr().err
    finally:
        sys.excepthook = hook
        signal.signal(signal.SIGINT, handler)


_WORKERS_IN_A_DEEP_TMPDIR = """
import multiprocessing.process, sys
from earmark.dataset import load_dataset
from earmark.examples import ExampleMaker, Pools, batches
sr = int(sys.argv[2])
ds = load_dataset(sys.argv[1], sample_rate=sr)
pools = Pools.from_clips(ds.clips, ds.labels, sample_rate=sr, window=sr)
maker = ExampleMaker(pools, labels=ds.labels, window=sr, sample_rate=sr, augment=True, seed=0)
got = [x for x, _ in batches(maker, batch_size=4, count=3, workers=1)]
print(len(got), multiprocessing.process.current_process()._config["tempdir"])
"""


@pytest.mark.skipif(sys.platform == "win32", reason="Unix sockets hand the batches over")
def test_workers_hand_batches_over_from_a_temporary_directory_too_deep_for_a_socket(
        small_dataset: Path, tmp_path: Path) -> None:
    """With TMPDIR 80 characters deep (a pytest-xdist run's, a cluster job's), the worker could not make
    the Unix socket it hands a batch over with ("AF_UNIX path too long" on its stderr) and training
    waited for ever for the first batch; the studio could not even be stopped."""
    deep = tmp_path / ("d" * max(1, 80 - len(str(tmp_path)) - 1))
    deep.mkdir()
    env = {**os.environ, "TMPDIR": str(deep)}
    done = subprocess.run([sys.executable, "-c", _WORKERS_IN_A_DEEP_TMPDIR, str(small_dataset), str(SR)], env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "AF_UNIX" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    count, folder = done.stdout.split()
    assert count == "3"
    assert len(folder) + len("/listener-12345678") < 104, "a folder short enough for a socket"
    assert not Path(folder).exists(), "removed at exit, as multiprocessing removes its own"
    assert list(deep.iterdir()) == [], "nothing was left in the deep folder either"


class _StallingInWorkers(ExampleMaker):
    """Batch 1 never comes from a worker process (as when it could not hand it over); made here, it does."""

    def batch(self, index: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        if index == 1 and torch.utils.data.get_worker_info() is not None:
            time.sleep(3600)
        return super().batch(index, size)


def test_a_batch_the_workers_never_hand_over_is_made_here_and_the_run_goes_on(small: Dataset) -> None:
    """A worker's batch lost on its way (shared memory full: the error went to the worker's stderr) was
    waited for for ever; training hung, and the studio could not be stopped."""
    pools = Pools.from_clips(small.clips, small.labels, sample_rate=SR, window=SR)
    maker = _StallingInWorkers(pools, labels=small.labels, window=SR, sample_rate=SR, augment=True, seed=0)
    started, children = time.monotonic(), len(multiprocessing.active_children())
    made = iter(batches(maker, batch_size=4, count=4, workers=1, patience_s=2))
    got = [next(made)[0]]  # batch 0, from the worker
    with pytest.warns(EarmarkWarning, match=r"handed over no batch in 2 s .* this process makes the rest of them"):
        got.append(next(made)[0])
    assert len(multiprocessing.active_children()) == children, "the stalled worker is shut down, not left running"
    got += [x for x, _ in made]
    assert time.monotonic() - started < 60
    assert len(got) == 4 and all(torch.equal(x, maker.batch(i, 4)[0]) for i, x in enumerate(got)), "the same run"


_KILLED_TRAINER = """
import multiprocessing, multiprocessing.forkserver, sys, threading, time
from earmark.dataset import load_dataset
from earmark.examples import ExampleMaker, Pools, batches

ds = load_dataset(sys.argv[1], sample_rate=int(sys.argv[2]))
pools = Pools.from_clips(ds.clips, ds.labels, sample_rate=ds.sample_rate, window=ds.sample_rate)
maker = ExampleMaker(pools, labels=ds.labels, window=ds.sample_rate, sample_rate=ds.sample_rate, augment=True, seed=0)

def run():
    handed = iter(batches(maker, batch_size=4, count=1000, workers=2))
    next(handed)
    pids = [p.pid for p in multiprocessing.active_children()] + [multiprocessing.forkserver._forkserver._forkserver_pid]
    print(*pids, flush=True)
    time.sleep(3600)

if __name__ == "__main__":
    threading.Thread(target=run, daemon=True).start()  # off the main thread: workers from a fork server
    time.sleep(3600)
"""


def _running(pid: int) -> bool:
    """Whether process ``pid`` is there and not a zombie (an orphan's end, where nothing reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to see which processes are left")
def test_workers_and_their_fork_server_end_when_the_trainer_is_killed(small_dataset: Path, tmp_path: Path) -> None:
    """kill -9 of a studio while it trained left its workers and their fork server running for ever
    (each worker holds the fork server's lifeline; the fork server is the parent they watch)."""
    script = tmp_path / "trainer.py"
    script.write_text(_KILLED_TRAINER)
    trainer = subprocess.Popen([sys.executable, str(script), str(small_dataset), str(SR)], stdout=subprocess.PIPE,
                               text=True)
    try:
        assert trainer.stdout is not None
        pids = [int(p) for p in trainer.stdout.readline().split()]
        assert len(pids) == 3 and all(_running(p) for p in pids), pids  # two workers and their fork server
    finally:
        trainer.kill()
        trainer.wait()
    deadline = time.monotonic() + 15
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in pids if _running(p)], "left running after the trainer was killed"
