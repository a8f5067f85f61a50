"""Ctrl-C twice while `earmark train` draws its progress bar: the bar is closed first, so
``interrupted`` is a line of its own and the bar is not drawn again after it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

EARMARK = Path(sys.executable).with_name("earmark")
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "NO_COLOR": "1"}


@pytest.mark.slow
def test_an_aborted_training_closes_its_progress_bar_before_saying_interrupted(small_dataset: Path,
                                                                                tmp_path: Path) -> None:
    out = tmp_path / "aborted.earmark"
    process = subprocess.Popen([str(EARMARK), "train", str(small_dataset), "--out", str(out), "--arch", "tiny",
                                "--epochs", "200", "--steps-per-epoch", "60", "--batch-size", "16"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    err: list[bytes] = []
    assert process.stderr is not None
    reader = threading.Thread(target=lambda: err.extend(iter(lambda: process.stderr.read1(4096), b"")), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while b"epoch=1" not in b"".join(err):  # the bar is drawn, an epoch into training
        assert process.poll() is None and time.monotonic() < deadline, b"".join(err).decode()
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=120) == 130, b"".join(err).decode()
    reader.join(timeout=10)
    stderr = b"".join(err).decode()
    assert stderr.endswith("\ninterrupted\n"), repr(stderr[-300:])  # not "…val_acc=0.33]interrupted", nor a bar after
    bar = stderr[: -len("interrupted\n")].rsplit("\r", 1)[-1]
    assert bar.startswith("training:") and bar.endswith("]\n"), repr(bar)  # the bar's last drawing, closed
    assert not out.exists()
