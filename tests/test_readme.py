"""The README's Python example runs as written (paths swapped for generated audio)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earmark import Project

README = Path(__file__).resolve().parents[1] / "README.md"


def python_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert blocks, "README.md has no python example"
    return blocks[0]


def test_the_readme_python_example_runs(tmp_path: Path, small_dataset: Path, small_testset: Path,
                                        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # whatever else the example writes lands here, never in the checkout
    take, sr = sf.read(small_testset / "bass" / "bass_000.wav", dtype="float32")
    sf.write(tmp_path / "take1.flac", take, sr)
    sf.write(tmp_path / "rehearsal.flac", np.resize(take, 80 * sr), sr)  # long enough for the excerpt it cuts
    code = (python_example()
            .replace('"my_sounds/"', repr(str(small_dataset)))
            .replace('"test_sounds/"', repr(str(small_testset)))
            .replace('"take1.flac"', repr(str(tmp_path / "take1.flac")))
            .replace('"sounds.earmark"', repr(str(tmp_path / "sounds.earmark")))
            .replace('"sounds.onnx"', repr(str(tmp_path / "sounds.onnx")))
            .replace('"sounds-page"', repr(str(tmp_path / "sounds-page")))
            .replace('"gig-bass.wav"', repr(str(tmp_path / "take1.flac")))
            .replace('"rehearsal.flac"', repr(str(tmp_path / "rehearsal.flac")))
            .replace("earmark.train(band.root)", "earmark.train(band.root, settings={'epochs': 2})")
            .replace("epochs=24", "epochs=2"))  # the same calls, fewer passes: seconds, not a minute
    shutil.copytree(small_dataset, tmp_path / "takes")  # takes/background/, takes/bass/, takes/drums/
    rng = np.random.default_rng(0)
    chunks = [rng.standard_normal(4800).astype(np.float32) * 0.1 for _ in range(15)]  # 1.5 s at 48 kHz
    exec(compile(code, "README.md", "exec"), {"chunks_from_your_audio_callback": chunks})
    out = capsys.readouterr().out
    assert (tmp_path / "sounds.earmark").is_file()
    band = Project.open(tmp_path / "my-band")
    assert [c.name for c in band.classes()] == ["background", "bass", "drums"] and len(band.models()) == 1
    assert [p.name for p in (tmp_path / "my-band" / "test" / "bass").iterdir()] == ["take1.flac"]
    excerpt = [s for s in band.samples("bass") if s.recording == "rehearsal"]  # 13.5 s: cut into 4 s clips
    assert [s.duration_s for s in excerpt] == [4.0, 4.0, 4.0]
    assert (tmp_path / "sounds.onnx").is_file()
    assert (tmp_path / "sounds-page" / "index.html").is_file()
    assert "accuracy" in out and "start_s,end_s,label,confidence" in out
    assert len(re.findall(r"^\d+\.\ds (background|bass|drums) ", out, flags=re.MULTILINE)) >= 5
