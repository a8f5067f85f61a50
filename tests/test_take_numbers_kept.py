"""A take's clips (``NAME_nohash_N``, as earmark names a long recording's) keep their names when added or
imported: an exported project imported again has the same sample ids, byte for byte, so its models'
validation clips (the studio's confusion cells, whose move and delete act on the id) name the audio they
named before. QA: clips 005 and 007 came in as 000 and 001; a take with a gap came back renumbered,
and a test clip 007 came back as 000, the name of another clip of its class."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import soundfile as sf

from conftest import LEARNING_SETTINGS, MAKERS, SR, make_client
from earmark.importer import fill_from_folder
from earmark.intake import add_files
from earmark.project import Project
from earmark.train import train

#: each class's 12 clips: takes NAME0-NAME2, each numbered with gaps (its clips 1, 4-6 deleted before export)
NUMBERS = (0, 2, 3, 7)


def _md5s(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (by its path there) and the md5 of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _clip(path: Path, label: str, rng: np.random.Generator) -> Path:
    sf.write(path, MAKERS[label](rng), SR, subtype="PCM_16")
    return path


def test_a_takes_clips_keep_their_numbers_and_only_a_taken_name_gets_the_next(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "band")
    project.add_class("bass")
    rng = np.random.default_rng(0)
    up = tmp_path / "up"
    up.mkdir()
    for k in (5, 7):
        _clip(up / f"take9_nohash_{k:03d}.wav", "bass", rng)
    added = add_files(project, "bass", up).added
    assert [(s.id, s.recording) for s in added] == [(f"take9_nohash_00{k}.wav", "take9") for k in (5, 7)]
    assert _md5s(project.class_dir("bass")) == _md5s(up), "byte for byte, under the same names"
    again = _clip(tmp_path / "other.wav", "bass", rng)  # another clip under a name the class has: the take's next
    more = add_files(project, "bass", [("take9_nohash_005.wav", again), ("take9_nohash_003.wav", again)]).added
    assert [s.id for s in more] == ["take9_nohash_008.wav", "take9_nohash_003.wav"]
    long = tmp_path / "take9_nohash_001.wav"  # a long recording is cut, its clips after the take's
    sf.write(long, np.concatenate([MAKERS["bass"](rng) for _ in range(12)]), SR, subtype="PCM_16")
    assert [s.id for s in add_files(project, "bass", [long]).added][:2] == ["take9_nohash_009.wav",
                                                                            "take9_nohash_010.wav"]


def test_an_exported_project_imports_with_the_same_samples_under_the_same_names(tmp_path: Path) -> None:
    """Samples with gaps in their takes' numbers, a test clip numbered past a training clip of its take,
    and a model trained on them: exported, imported (the studio's import, and the library's), every
    sample id holds the same bytes, and the model's validation clips are the files they were."""
    project = Project.create(tmp_path / "projects" / "band")
    rng = np.random.default_rng(1)
    for label in ("bass", "drums"):
        project.add_class(label)
    for label in ("background", "bass", "drums"):
        for i in range(12):
            _clip(project.class_dir(label) / f"{label}{i // 4}_nohash_{NUMBERS[i % 4]:03d}.wav", label, rng)
    _clip(project.class_dir("bass") / "long0_nohash_000.wav", "bass", rng)
    (project.test_dir / "bass").mkdir(parents=True, exist_ok=True)
    _clip(project.test_dir / "bass" / "long0_nohash_007.wav", "bass", rng)
    model = project.save_model(train(project.samples_dir, settings=LEARNING_SETTINGS, progress=False))
    samples, tests = _md5s(project.samples_dir), _md5s(project.test_dir)
    exported = project.export_zip(tmp_path / "band.zip")

    with make_client(tmp_path / "elsewhere") as client:
        imported = client.post("/api/projects/import", files={"file": ("band.zip", exported.read_bytes())})
        assert imported.status_code == 201, imported.text
        assert imported.json()["skipped"] == []
        detail = client.get(f"/api/projects/{imported.json()['id']}/models/{model.id}").json()
        clips = [c for cell in detail["validation"]["cells"].values() for c in cell]
        assert any(c["id"].endswith(("_002.wav", "_003.wav", "_007.wav")) for c in clips), "some come after a gap"
        for clip in clips:
            assert clip["exists"] and not clip["test"], clip
            heard = client.get(clip["audio_url"])
            assert heard.status_code == 200, heard.text
            assert hashlib.md5(heard.content).hexdigest() == samples[f"{clip['class_name']}/{clip['id']}"], clip
        copy = Project.open(Path(imported.json()["path"]))
        assert _md5s(copy.samples_dir) == samples and _md5s(copy.test_dir) == tests

    unpacked = tmp_path / "unpacked"  # the library's import of the unpacked zip
    shutil.unpack_archive(exported, unpacked)
    again = Project.create(tmp_path / "again")
    assert fill_from_folder(again, unpacked).skipped == []
    assert _md5s(again.samples_dir) == samples and _md5s(again.test_dir) == tests
