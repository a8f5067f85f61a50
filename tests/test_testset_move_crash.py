"""A move between the training samples and the test set is all or nothing, even when the process
moving it is killed outright (kill -9) part way: the next open of the project finishes it, so no
take has clips on both sides and no file is lost. The moves run for real in another process,
which is really killed."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import wave
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from earmark.errors import ConflictError
from earmark.project import Project

SR = 8000
#: Kills the process moving the take (kill -9) just before the (N+1)th of its clips is renamed.
KILLED_AT = textwrap.dedent("""
    import os, pathlib, signal, sys
    from earmark.project import Project
    root, class_name, sample_id, direction, stop_after = sys.argv[1:6]
    rename, done = pathlib.Path.rename, [0]
    def rename_then_die(self, target):
        if self.suffix == ".wav":
            if done[0] == int(stop_after):
                os.kill(os.getpid(), signal.SIGKILL)
            done[0] += 1
        return rename(self, target)
    pathlib.Path.rename = rename_then_die
    project = Project.open(root)
    (project.move_to_test if direction == "test" else project.move_to_training)(class_name, sample_id)
""")

#: Holds the move of a take just before the (N+1)th of its clips is renamed, until a line comes on stdin.
PAUSED_AT = textwrap.dedent("""
    import pathlib, sys
    from earmark.project import Project
    root, class_name, sample_id, stop_after = sys.argv[1:5]
    rename, done = pathlib.Path.rename, [0]
    def rename_after_a_while(self, target):
        if self.suffix == ".wav":
            if done[0] == int(stop_after):
                print("paused", flush=True)
                sys.stdin.readline()
            done[0] += 1
        return rename(self, target)
    pathlib.Path.rename = rename_after_a_while
    Project.open(root).move_to_test(class_name, sample_id)
""")


def write_take(folder: Path, name: str, n_clips: int, *, first_hz: float = 100.0) -> None:
    """``n_clips`` short clips of one take, ``NAME_nohash_NNN.wav``, each a tone of its own (so each
    has its own md5)."""
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(SR // 20) / SR
    for i in range(n_clips):
        with wave.open(str(folder / f"{name}_nohash_{i:03d}.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SR)
            out.writeframes((9000 * np.sin(2 * np.pi * (first_hz + 7 * i) * t)).astype("<i2").tobytes())


def clips(project: Project) -> dict[str, Counter[str]]:
    """Every clip's md5, counted, on each side: ``{"samples": ..., "test": ...}``."""
    return {side: Counter(hashlib.md5(p.read_bytes()).hexdigest() for p in (project.root / side).rglob("*.wav"))
            for side in ("samples", "test")}


@pytest.fixture
def band(tmp_path: Path) -> Project:
    """A project with a 151-clip take in bass (3 of its clips in drums too) and another take beside it."""
    project = Project.create(tmp_path / "band")
    project.add_class("bass")
    project.add_class("drums")
    write_take(project.samples_dir / "bass", "jam", 148)
    write_take(project.samples_dir / "drums", "jam", 3, first_hz=2000.0)  # ...its first clips are named as bass's
    (project.samples_dir / "drums" / "jam_nohash_000.wav").rename(project.samples_dir / "drums" / "jam_nohash_148.wav")
    write_take(project.samples_dir / "bass", "other", 5, first_hz=3000.0)
    return project


def killed_moving(project: Project, class_name: str, sample_id: str, *, to: str, stop_after: int) -> None:
    done = subprocess.run([sys.executable, "-c", KILLED_AT, str(project.root), class_name, sample_id, to,
                           str(stop_after)], capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()


@pytest.mark.parametrize("stop_after", [0, 42, 150])
def test_a_move_to_the_test_set_killed_part_way_is_finished_when_the_project_opens(
        band: Project, stop_after: int) -> None:
    before = clips(band)
    killed_moving(band, "bass", "jam_nohash_007.wav", to="test", stop_after=stop_after)
    in_test = len(list(band.test_dir.rglob("jam_*.wav")))
    assert in_test == stop_after, "killed where it was meant to be, the take split as QA saw it"

    project = Project.open(band.root)
    assert project.test_leaks() == []
    assert [s.id for s in project.samples("bass")] == [f"other_nohash_{i:03d}.wav" for i in range(5)]
    assert (len(project.samples("bass", test=True)), len(project.samples("drums", test=True))) == (148, 3)
    assert project.samples("drums") == []
    after = clips(project)
    assert after["samples"] + after["test"] == before["samples"], "every clip is there, unchanged, none twice"
    assert sum(after["test"].values()) == 151
    [note] = project.move_notes()
    assert "'jam'" in note and f"after {stop_after} of its 151 files" in note and "test set" in note
    assert not (project.root / ".earmark-move.json").exists()
    # the project moves on as usual: the take goes back whole, and the note is past
    assert len(project.move_to_training("bass", "jam_nohash_007.wav")) == 151
    assert project.move_notes() == [] and clips(project)["samples"] == before["samples"]


def test_a_move_back_to_training_killed_part_way_is_finished_too(band: Project) -> None:
    assert len(band.move_to_test("bass", "jam_nohash_000.wav")) == 151
    before = clips(band)
    killed_moving(band, "drums", "jam_nohash_148.wav", to="training", stop_after=42)
    project = Project.open(band.root)
    assert project.test_leaks() == [] and list(project.test_dir.rglob("*.wav")) == []
    assert clips(project)["samples"] == before["samples"] + before["test"]
    assert "training samples" in project.move_notes()[0]


def test_a_large_take_killed_from_outside_while_it_moves_ends_on_one_side(tmp_path: Path) -> None:
    """kill -9 from outside, as QA did, at whatever point the move has reached (no hook in the mover)."""
    for attempt, n_clips in enumerate((3000, 6000, 12000)):
        project = Project.create(tmp_path / f"band{attempt}")
        project.add_class("bass")
        write_take(project.samples_dir / "bass", "jam", n_clips)
        before = clips(project)
        code = f"from earmark.project import Project; Project.open({str(project.root)!r}).move_to_test('bass', " \
               "'jam_nohash_000.wav')"
        mover = subprocess.Popen([sys.executable, "-c", code])
        test_folder, split = project.test_dir / "bass", False
        while mover.poll() is None:
            try:
                split = any(os.scandir(test_folder))
            except FileNotFoundError:
                continue
            if split:
                mover.send_signal(signal.SIGKILL)
                break
            time.sleep(0.0005)
        mover.wait(timeout=60)
        left = len(list((project.samples_dir / "bass").glob("*.wav")))
        if mover.returncode == -signal.SIGKILL and 0 < left < n_clips:
            break  # cut short with clips on both sides
    else:
        pytest.fail("the move always ended before it could be killed part way; make the take larger")
    reopened = Project.open(project.root)
    assert reopened.test_leaks() == [] and list(reopened.samples_dir.rglob("*.wav")) == []
    after = clips(reopened)
    assert after["test"] == before["samples"] and sum(after["samples"].values()) == 0


def test_a_move_cut_short_is_finished_when_the_project_is_opened_to_train(tmp_path: Path) -> None:
    """`earmark train PROJECT` reads samples/ without listing the test set: opening the project finishes
    the move first, so it never trains on part of a take whose other part is in the test set."""
    from earmark.dataset import load_dataset

    project = Project.create(tmp_path / "band")
    project.add_class("bass")
    write_take(project.samples_dir / "bass", "jam", 20)
    killed_moving(project, "bass", "jam_nohash_010.wav", to="test", stop_after=7)
    assert len(list(project.samples_dir.rglob("jam_*.wav"))) == 13, "split on disk"
    opened = Project.open(project.root)
    assert not list(opened.samples_dir.rglob("jam_*.wav")), "the whole take is in the test set"
    assert not [c for c in load_dataset(opened.samples_dir, sample_rate=SR).clips if "jam" in c.source]


def rewrite_journal(project: Project, **fields: object) -> None:
    """The project's move journal with ``fields`` changed, written in place (the same file: a lock on it stays)."""
    journal = project.root / ".earmark-move.json"
    record = json.loads(journal.read_bytes())
    with journal.open("r+b") as fh:
        fh.write(json.dumps({**record, **fields}).encode())
        fh.truncate()


def test_a_slow_move_is_left_to_its_process_however_long_it_takes(band: Project) -> None:
    """A move whose process still runs is not finished under it when the project is opened elsewhere, even
    600 s on (when a process id was once taken to have been given to another process): it holds its journal."""
    mover = subprocess.Popen([sys.executable, "-c", PAUSED_AT, str(band.root), "bass", "jam_nohash_007.wav", "42"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert mover.stdout is not None and mover.stdout.readline() == "paused\n"
        rewrite_journal(band, started=time.time() - 700)  # as a journal of the old kind said 700 s on
        project = Project.open(band.root)
        assert len(list(project.test_dir.rglob("*.wav"))) == 42, "left to the process moving it"
        assert (project.root / ".earmark-move.json").is_file() and project.move_notes() == []
        with pytest.raises(ConflictError, match="in another program; try again when it is done"):
            project.move_to_test("bass", "other_nohash_000.wav")
        mover.communicate("go on\n", timeout=60)
    finally:
        if mover.poll() is None:
            mover.kill()
            mover.wait()
    assert mover.returncode == 0
    project = Project.open(band.root)
    assert (len(project.samples("bass", test=True)), len(project.samples("drums", test=True))) == (148, 3)
    assert project.test_leaks() == [] and project.move_notes() == []
    assert not (project.root / ".earmark-move.json").exists()


def test_a_move_cut_short_is_finished_though_its_process_id_is_in_use_again(band: Project) -> None:
    """The system gives a killed mover's process id to another process: its journal is a crash's all the same."""
    killed_moving(band, "bass", "jam_nohash_007.wav", to="test", stop_after=42)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        rewrite_journal(band, pid=other.pid, started=time.time())  # as a journal of the old kind said
        project = Project.open(band.root)
        assert project.test_leaks() == [] and len(project.samples("bass", test=True)) == 148
        assert "after 42 of its 151 files" in project.move_notes()[0]
    finally:
        other.kill()
        other.wait()
