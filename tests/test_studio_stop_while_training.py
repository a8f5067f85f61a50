"""``earmark studio`` stopped (SIGTERM, Ctrl+C) while it trains: the run is cancelled and waited for, and the
studio ends as it does idle. It aborted ("terminate called without an active exception", status -6): the
training thread, PyTorch in it, still ran as the interpreter ended, and the temporary folders stayed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="signals from outside: POSIX")


def _started(args: list[str], *, env: dict[str, str]) -> tuple[subprocess.Popen[str], str, list[str]]:
    """``earmark ARGS`` started; its link once it printed it, and the lines it printed up to there."""
    proc = subprocess.Popen([sys.executable, "-m", "earmark.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    assert proc.stdout is not None
    said: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        said.append(line)
        if line.startswith("earmark studio: http://"):
            return proc, line.split()[2], said
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"earmark studio printed no link: {''.join(said)}")


def _call(url: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request, timeout=10))


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_studio_stopped_while_it_trains_cancels_the_run_and_stops_cleanly(tmp_path: Path, stop: int) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    home = tmp_path / "home"
    env = {**os.environ, "EARMARK_HOME": str(home), "TMPDIR": str(temp)}
    proc, link, said = _started(["studio", "--no-browser"], env=env)  # a first start: the demo project
    try:
        job = _call(f"{link}api/projects/demo/train", {"epochs": 200})
        assert job["state"] == "running"
        deadline = time.monotonic() + 60
        while (training := _call(f"{link}api/status")["training"])["epoch"] < 1:  # in the training loop
            assert training["state"] == "running" and time.monotonic() < deadline, training
            time.sleep(0.1)
    finally:
        proc.send_signal(stop)
        out, _ = proc.communicate(timeout=60)
    out = "".join(said) + out
    assert proc.returncode == 0, out
    assert "terminate called" not in out and "Traceback" not in out, out
    assert "stopped: the training run of project 'demo' was cancelled at epoch " in out, out
    assert "no model was kept" in out
    assert list((home / "demo" / "models").iterdir()) == [], "a cancelled run writes no model, not half of one"
    left = sorted(p.name for p in temp.iterdir() if not p.name.startswith("torchinductor"))  # PyTorch's own cache
    assert left == [], "the studio's folder and its training workers' folders are removed, as on a stop when idle"
