"""`earmark predict` prints each file's line as soon as it is scored, not after the last file."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from conftest import untrained_classifier, wait_for_output, wav_bytes, write_tone

EARMARK = Path(sys.executable).with_name("earmark")


def test_predict_prints_the_first_line_before_the_last_file_is_read(tmp_path: Path) -> None:
    """The last file is a pipe that gets its audio only once the first file's line is out: a predict that
    scored every file before printing would wait on it for ever."""
    model = untrained_classifier().save(tmp_path / "m.earmark")
    first = write_tone(tmp_path / "first.wav", duration_s=1.5)
    last = tmp_path / "last.wav"
    os.mkfifo(last)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NO_COLOR": "1"}
    process = subprocess.Popen([str(EARMARK), "predict", str(model), str(first), str(last)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    said: list[bytes] = []
    out = process.stdout
    assert out is not None
    reader = threading.Thread(target=lambda: said.extend(iter(out.readline, b"")), daemon=True)
    reader.start()
    try:
        wait_for_output(process, said, f"{first}\t".encode(), timeout_s=30)
        assert not any(str(last).encode() in line for line in said)  # not read yet: its line cannot be out
        with open(last, "wb") as pipe:  # what predict reads from the pipe is a whole WAV file
            pipe.write(wav_bytes(seconds=1.0))
        assert process.wait(timeout=60) == 0, b"".join(said).decode()
    finally:
        process.kill()
        process.wait()
    reader.join(timeout=10)
    lines = b"".join(said).decode().splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(first), str(last)], lines  # both labelled, in order
