"""Tests for earmark.dataset: folder-per-class reading, zips, cutting long recordings, splitting."""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from earmark import dataset as dataset_module
from earmark.dataset import (
    MIN_CLIPS_PER_CLASS,
    Clip,
    Dataset,
    Skipped,
    audio_files,
    cut_recording,
    files_under,
    is_background_name,
    load_dataset,
    split_by_source,
)
from earmark.errors import DatasetError, ParameterError
from earmark.evaluate import training_warnings
from earmark.project import Project
from earmark.train import warning_facts

SR = 22050


def write_tone(path: Path, *, duration_s: float = 0.5, freq_hz: float = 220.0, sample_rate: int = SR) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(duration_s * sample_rate)) / sample_rate
    sf.write(path, (0.3 * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32), sample_rate, subtype="PCM_16")
    return path


def clip(label: str, source: str, *, start_s: float = 0.0, duration_s: float = 1.0) -> Clip:
    return Clip(samples=np.zeros(int(duration_s * 100), np.float32), label=label, source=source, start_s=start_s)


def zip_folder(folder: Path, target: Path, *, top: str | None = None) -> Path:
    with zipfile.ZipFile(target, "w") as zf:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                rel = f.relative_to(folder)
                zf.write(f, str(Path(top) / rel) if top else str(rel))
    return target


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point Python's temporary folder at an empty folder of our own, to see what is left there."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


# -- reading folders ------------------------------------------------------------------------------


def test_reads_a_folder_per_class(small_dataset: Path) -> None:
    ds = load_dataset(small_dataset, sample_rate=SR)
    assert ds.sample_rate == SR
    assert ds.labels == ["background", "bass", "drums"]  # background first, the rest sorted
    assert ds.counts() == {"background": 12, "bass": 12, "drums": 12}
    assert ds.seconds() == {"background": 18.0, "bass": 14.4, "drums": 9.6}  # 1.5 s, 1.2 s, 0.8 s each
    assert ds.skipped == []
    first = ds.clips[0]
    assert first.source == "background/background_000.wav"
    assert (first.label, first.start_s, first.name) == ("background", 0.0, first.source)
    assert first.samples.dtype == np.float32 and first.samples.shape == (int(1.5 * SR),)


def test_decodes_at_the_rate_asked_for(small_dataset: Path) -> None:
    ds = load_dataset(small_dataset, sample_rate=16000)
    assert ds.clips[0].samples.shape == (int(1.5 * 16000),)
    assert ds.seconds()["bass"] == 14.4


@pytest.mark.parametrize("name", ["background", "Background Noise", "_background_noise_", "background-noise"])
def test_background_folder_names_mean_the_background_class(tmp_path: Path, name: str) -> None:
    assert is_background_name(name)
    write_tone(tmp_path / name / "room.wav")
    write_tone(tmp_path / "bass" / "note.wav")
    assert load_dataset(tmp_path, sample_rate=SR).labels == ["background", "bass"]


def test_other_names_are_not_background() -> None:
    assert not is_background_name("backgrounds and more")
    assert not is_background_name("noise")


def test_nested_files_belong_to_their_top_class_folder(tmp_path: Path) -> None:
    write_tone(tmp_path / "bass" / "session2" / "deep" / "riff.wav")
    write_tone(tmp_path / "bass" / "note.flac")
    ds = load_dataset(tmp_path, sample_rate=SR)
    assert sorted(c.source for c in ds.clips) == ["bass/note.flac", "bass/session2/deep/riff.wav"]
    assert {c.label for c in ds.clips} == {"bass"}


def test_reports_what_it_skipped_and_why(tmp_path: Path) -> None:
    write_tone(tmp_path / "bass" / "good.wav")
    write_tone(tmp_path / "loose.wav")
    (tmp_path / "bass" / "notes.txt").write_text("tuning: EADG\n")
    (tmp_path / "bass" / "LICENSE").write_text("CC-BY\n")
    (tmp_path / "bass" / "broken.wav").write_bytes(b"RIFF....not really a wave file")
    (tmp_path / "bass" / "empty.mp3").write_bytes(b"")
    seen: list[Skipped] = []
    ds = load_dataset(tmp_path, sample_rate=SR, on_skip=seen.append)
    assert [c.source for c in ds.clips] == ["bass/good.wav"]
    reasons = {s.path: s.reason for s in ds.skipped}
    assert reasons["loose.wav"] == "not inside a class folder"
    assert reasons["bass/notes.txt"] == "not an audio file (.txt)"
    assert reasons["bass/LICENSE"] == "not an audio file (no extension)"
    # the reason follows the path it is listed under, so it does not name the file a second time
    assert reasons["bass/broken.wav"].startswith("could not be decoded as audio")
    assert str(tmp_path) not in reasons["bass/broken.wav"]
    assert reasons["bass/empty.mp3"] == "the file is empty (0 bytes); record or export it again"
    assert seen == ds.skipped


def test_hidden_files_and_system_folders_are_ignored(tmp_path: Path) -> None:
    write_tone(tmp_path / "bass" / "note.wav")
    write_tone(tmp_path / "bass" / ".hidden.wav")
    write_tone(tmp_path / "__MACOSX" / "bass" / "._note.wav")
    write_tone(tmp_path / ".git" / "objects" / "x.wav")
    (tmp_path / "bass" / "Thumbs.db").write_bytes(b"\0" * 16)
    ds = load_dataset(tmp_path, sample_rate=SR)
    assert [c.source for c in ds.clips] == ["bass/note.wav"]
    assert ds.skipped == []


def test_a_class_folder_may_be_a_symlink(tmp_path: Path) -> None:
    """A class folder linked from elsewhere is read like a real one (Python's rglob would not follow it)."""
    write_tone(tmp_path / "elsewhere" / "take1.wav")
    write_tone(tmp_path / "elsewhere" / "deeper" / "take2.wav")
    write_tone(tmp_path / "data" / "drums" / "hit.wav")
    (tmp_path / "data" / "bass").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    ds = load_dataset(tmp_path / "data", sample_rate=SR)
    assert sorted(c.source for c in ds.clips) == ["bass/deeper/take2.wav", "bass/take1.wav", "drums/hit.wav"]


def test_two_classes_may_link_to_one_folder_and_a_link_in_a_hidden_folder_hides_nothing(tmp_path: Path) -> None:
    """A folder is left out only when a path would pass through it twice (a loop), never because
    it was seen elsewhere: here by a second class, or by a link inside an ignored folder."""
    write_tone(tmp_path / "store" / "hit.wav")
    write_tone(tmp_path / "data" / "snare" / "crack.wav")
    (tmp_path / "data" / "drums").symlink_to(tmp_path / "store", target_is_directory=True)
    (tmp_path / "data" / "percussion").symlink_to(tmp_path / "store", target_is_directory=True)
    (tmp_path / "data" / ".Trash").mkdir()
    (tmp_path / "data" / ".Trash" / "old").symlink_to(tmp_path / "data" / "snare", target_is_directory=True)
    ds = load_dataset(tmp_path / "data", sample_rate=SR)
    assert ds.counts() == {"drums": 1, "percussion": 1, "snare": 1}
    assert ds.skipped == []


def test_a_symlink_loop_is_read_once_and_ends(tmp_path: Path) -> None:
    write_tone(tmp_path / "bass" / "a" / "note.wav")
    (tmp_path / "bass" / "a" / "again").symlink_to(tmp_path / "bass", target_is_directory=True)
    assert files_under(tmp_path) == [tmp_path / "bass" / "a" / "note.wav"]


def test_audio_files_lists_audio_under_a_folder_sorted(tmp_path: Path) -> None:
    write_tone(tmp_path / "b.wav")
    write_tone(tmp_path / "a" / "deep" / "Take.WAV")
    write_tone(tmp_path / "a" / "note.flac")
    write_tone(tmp_path / "a" / "._note.flac")  # macOS AppleDouble companion
    write_tone(tmp_path / "a" / ".hidden.wav")
    write_tone(tmp_path / "__MACOSX" / "a" / "note.wav")
    write_tone(tmp_path / ".cache" / "x.wav")
    (tmp_path / "a" / "notes.txt").write_text("not audio")
    (tmp_path / "a" / "folder.wav").mkdir()  # a folder named like audio is not a file
    assert audio_files(tmp_path) == [tmp_path / "a" / "deep" / "Take.WAV", tmp_path / "a" / "note.flac",
                                     tmp_path / "b.wav"]


def test_audio_files_of_a_missing_folder_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"nowhere: no such folder; check the path"):
        audio_files(tmp_path / "nowhere")


def test_a_missing_folder_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"nowhere: no such folder; check the path"):
        load_dataset(tmp_path / "nowhere", sample_rate=SR)


def test_a_plain_file_is_not_a_dataset(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"take\.wav: is not a folder or a \.zip"):
        load_dataset(write_tone(tmp_path / "take.wav"), sample_rate=SR)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"clip_s": 0.0}, r"the clip length must be more than 0 and at most the long-recording length \(12\.0 s\), "
                        r"got 0\.0"),
     ({"clip_s": float("nan")}, r"got nan"),
     ({"clip_s": 5.0, "long_recording_s": 4.0}, r"\(4\.0 s\), got 5\.0"),
     ({"clip_hop_s": -1.0}, r"the hop between clips must be at least 0.01 seconds, got -1\.0"),
     ({"clip_hop_s": float("inf")}, r"the hop between clips .* got inf")],
)
def test_bad_cutting_settings_are_refused(small_dataset: Path, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        load_dataset(small_dataset, sample_rate=SR, **kwargs)


# -- long recordings ------------------------------------------------------------------------------


def test_long_recordings_are_cut_into_clips_that_remember_their_source(tmp_path: Path) -> None:
    write_tone(tmp_path / "bass" / "jam.wav", duration_s=3.6)
    write_tone(tmp_path / "bass" / "note.wav", duration_s=1.5)  # not longer than long_recording_s
    ds = load_dataset(tmp_path, sample_rate=SR, long_recording_s=2.0, clip_s=1.0)
    jam = [c for c in ds.clips if c.source == "bass/jam.wav"]
    # 0-1, 1-2, 2-3 s, and the 0.6 s tail (at least half a clip) as a shorter clip
    assert [c.start_s for c in jam] == [0.0, 1.0, 2.0, 3.0]
    assert [c.samples.shape[0] for c in jam] == [SR, SR, SR, int(3.6 * SR) - 3 * SR]
    assert [c.name for c in jam] == ["bass/jam.wav", "bass/jam.wav@1.00s", "bass/jam.wav@2.00s", "bass/jam.wav@3.00s"]
    assert [c.samples.shape[0] for c in ds.clips if c.source == "bass/note.wav"] == [int(1.5 * SR)]


def test_cut_recording_keeps_a_long_tail_and_drops_a_short_one() -> None:
    y = np.arange(1000, dtype=np.float32)
    pieces = cut_recording(y, sample_rate=100, clip_s=4.0, clip_hop_s=4.0)  # 10 s: 0-4, 4-8, tail 2 s
    assert [(s, p.shape[0]) for s, p in pieces] == [(0.0, 400), (4.0, 400), (8.0, 200)]
    np.testing.assert_array_equal(pieces[1][1], y[400:800])
    pieces = cut_recording(y[:950], sample_rate=100, clip_s=4.0, clip_hop_s=4.0)  # tail 1.5 s < 2 s
    assert [s for s, _ in pieces] == [0.0, 4.0]


def test_cut_recording_with_overlap() -> None:
    pieces = cut_recording(np.zeros(600, np.float32), sample_rate=100, clip_s=2.0, clip_hop_s=1.0)
    assert [s for s, _ in pieces] == [0.0, 1.0, 2.0, 3.0, 4.0]  # 4-6 s ends exactly at the end
    assert {p.shape[0] for _, p in pieces} == {200}


def test_cut_recording_leaves_a_short_recording_whole() -> None:
    y = np.ones(150, np.float32)
    [(start, piece)] = cut_recording(y, sample_rate=100, clip_s=2.0, clip_hop_s=2.0)
    assert start == 0.0 and piece is y


# -- zips -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("top", [None, "my_sounds"])
def test_a_zip_reads_like_its_folder_and_leaves_nothing_behind(
    small_dataset: Path, tmp_path: Path, private_tmp: Path, top: str | None
) -> None:
    archive = zip_folder(small_dataset, tmp_path / "sounds.zip", top=top)
    from_zip = load_dataset(archive, sample_rate=SR)
    from_folder = load_dataset(small_dataset, sample_rate=SR)
    assert from_zip.counts() == from_folder.counts()
    assert [c.source for c in from_zip.clips] == [c.source for c in from_folder.clips]
    np.testing.assert_array_equal(from_zip.clips[5].samples, from_folder.clips[5].samples)
    assert from_zip.root == str(archive)
    assert list(private_tmp.iterdir()) == []


def test_a_zip_of_an_exported_project_reads_its_training_samples(tmp_path: Path) -> None:
    """The studio's export (``band/earmark-project.json``, ``band/samples/<class>/``, ``band/test/<class>/``)
    reads as its project folder trains: its classes, not ``samples`` and ``test``; the test set left out."""
    project = Project.create(tmp_path / "band")
    for k, label in enumerate(("background", "bass")):
        for i in range(3):
            write_tone(project.samples_dir / label / f"{label}{i}.wav", freq_hz=200.0 * (k + 1) + 9 * i)
        write_tone(project.test_dir / label / f"held{label}.wav", freq_hz=150.0 * (k + 1))
    (project.samples_dir / "drums").mkdir()  # a class with no samples yet
    ds = load_dataset(project.export_zip(tmp_path / "band.zip"), sample_rate=SR)
    assert ds.labels == ["background", "bass"] and ds.folders == ["background", "bass", "drums"]
    assert sorted(c.source for c in ds.clips) == sorted(
        f"{label}/{label}{i}.wav" for label in ("background", "bass") for i in range(3))
    assert ds.root == str(tmp_path / "band.zip") and ds.skipped == []
    with pytest.raises(DatasetError, match=r"class 'drums' has no usable audio in .*band\.zip"):
        ds.check_trainable()
    # evaluation reads its test set instead, and only that
    held = load_dataset(tmp_path / "band.zip", sample_rate=SR, test=True)
    assert sorted(c.source for c in held.clips) == ["background/heldbackground.wav", "bass/heldbass.wav"]
    for label in ("background", "bass"):
        (project.test_dir / label / f"held{label}.wav").unlink()
    with pytest.raises(DatasetError, match="has no test set yet"):
        load_dataset(project.export_zip(tmp_path / "empty.zip"), sample_rate=SR, test=True)


def test_a_zip_of_one_folder_and_a_readme_beside_it_is_unwrapped(small_dataset: Path, tmp_path: Path) -> None:
    archive = zip_folder(small_dataset, tmp_path / "sounds.zip", top="my_sounds")
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("README.txt", "recorded in the shed")
    assert load_dataset(archive, sample_rate=SR).counts() == load_dataset(small_dataset, sample_rate=SR).counts()


def test_a_zip_with_loose_audio_beside_its_folder_is_not_unwrapped(small_dataset: Path, tmp_path: Path) -> None:
    """Loose audio at the top means the folders are classes, and the loose file is reported."""
    archive = zip_folder(small_dataset, tmp_path / "sounds.zip", top="my_sounds")
    with zipfile.ZipFile(archive, "a") as zf:
        zf.write(small_dataset / "bass" / "bass_000.wav", "stray.wav")
    ds = load_dataset(archive, sample_rate=SR)
    assert list(ds.counts()) == ["my_sounds"]
    assert [(s.path, s.reason) for s in ds.skipped] == [("stray.wav", "not inside a class folder")]


def test_a_zip_with_a_path_outside_its_folder_is_refused(tmp_path: Path, private_tmp: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("bass/ok.wav", b"x")
        zf.writestr("../../escaped.wav", b"x")
    with pytest.raises(DatasetError, match=r"unsafe member name '\.\./\.\./escaped\.wav'; refusing to extract"):
        load_dataset(archive, sample_rate=SR)
    assert not (tmp_path.parent / "escaped.wav").exists()
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize(
    "name",
    ["..\\..\\escaped.wav", "bass/../../../escaped.wav", "bass\\..\\..\\..\\escaped.wav",
     "C:\\escaped.wav", "c:escaped.wav", "/ABS", "\\ABS"],
)
def test_a_zip_member_named_outside_its_folder_is_refused(tmp_path: Path, private_tmp: Path, name: str) -> None:
    """Backslashes are folder separators to Windows zip tools; drive letters and absolute paths
    (written here as ABS, this test's own folder) are refused like ``..``, and nothing is written."""
    name = name.replace("ABS", str(tmp_path / "escaped.wav").lstrip("/"))
    if name.startswith("\\"):
        name = name.replace("/", "\\")
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("bass/ok.wav", b"x")
        zf.writestr(name, b"x")
    assert zipfile.ZipFile(archive).namelist()[1] == name  # stored as given
    with pytest.raises(DatasetError, match=rf"evil\.zip: unsafe member name {re.escape(repr(name))}; refusing to "
                                           r"extract \(it would land outside the zip's folder\); re-create the zip"):
        load_dataset(archive, sample_rate=SR)
    assert not (tmp_path / "escaped.wav").exists()
    assert not (tmp_path.parent / "escaped.wav").exists()
    assert list(private_tmp.iterdir()) == []


def test_a_zip_made_with_backslashes_reads_like_its_folder(small_dataset: Path, tmp_path: Path) -> None:
    archive = tmp_path / "windows.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(small_dataset.rglob("*.wav")):
            zf.write(f, "my_sounds\\" + str(f.relative_to(small_dataset)).replace("/", "\\"))
    ds = load_dataset(archive, sample_rate=SR)
    assert ds.counts() == load_dataset(small_dataset, sample_rate=SR).counts()
    assert ds.clips[0].source == "background/background_000.wav"


@pytest.mark.parametrize(
    ("limit", "value", "match"),
    [("_MAX_ZIP_FILES", 2, r"sounds\.zip: holds 3 files, more than the limit of 2; split the zip into smaller ones"),
     ("_MAX_ZIP_BYTES", 1000,
      r"sounds\.zip: unpacks to 2\.0 kB, more than the limit of 1000 bytes; split the zip into smaller ones")],
)
def test_a_zip_over_the_limits_says_to_split_it(
    tmp_path: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch, limit: str, value: int, match: str
) -> None:
    archive = tmp_path / "sounds.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bass/a.wav", b"x" * 100)
        zf.writestr("bass/b.wav", b"x" * 100)
        zf.writestr("drums/c.wav", b"x" * 1848)
    monkeypatch.setattr(dataset_module, limit, value)
    with pytest.raises(DatasetError, match=match):
        load_dataset(archive, sample_rate=SR)
    assert list(private_tmp.iterdir()) == []


def test_a_damaged_zip_member_is_an_error_and_leaves_nothing_behind(
    small_dataset: Path, tmp_path: Path, private_tmp: Path
) -> None:
    archive = tmp_path / "sounds.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(small_dataset.rglob("*.wav")):
            zf.write(f, str(f.relative_to(small_dataset)))
        info = zf.getinfo("bass/bass_003.wav")
    data = bytearray(archive.read_bytes())
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[middle : middle + 64] = bytes(64)
    archive.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match=r"sounds\.zip: member 'bass/bass_003\.wav' is damaged \(.+\); "
                                           r"re-create the zip"):
        load_dataset(archive, sample_rate=SR)
    assert list(private_tmp.iterdir()) == []


def test_a_corrupt_zip_is_an_error_saying_to_recreate_it(tmp_path: Path) -> None:
    archive = tmp_path / "broken.zip"
    archive.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(DatasetError, match=r"broken\.zip: not a readable zip file .*; re-create the zip"):
        load_dataset(archive, sample_rate=SR)


# -- trainability ---------------------------------------------------------------------------------


def dataset(counts: dict[str, int]) -> Dataset:
    return Dataset(clips=[clip(lab, f"{lab}/{i}.wav") for lab, n in counts.items() for i in range(n)],
                   sample_rate=100, root="sounds")


def test_class_folders_are_listed_even_without_audio(tmp_path: Path) -> None:
    write_tone(tmp_path / "bass" / "note.wav")
    (tmp_path / "drums").mkdir()
    (tmp_path / "Background Noise").mkdir()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "broken.wav").write_bytes(b"junk")
    ds = load_dataset(tmp_path, sample_rate=SR)
    assert ds.labels == ["bass"]
    assert ds.folders == ["background", "bass", "drums", "keys"]


def test_class_folders_without_usable_audio_are_named() -> None:
    ds = dataset({"background": 5, "bass": 5})
    ds.folders = ["background", "bass", "drums"]
    with pytest.raises(DatasetError, match=r"class 'drums' has no usable audio in sounds: the folder is empty or "
                                           r"none of its files could be read; add at least 5 recordings"):
        ds.check_trainable()
    ds.folders.append("keys")
    with pytest.raises(DatasetError, match=r"classes 'drums', 'keys' have no usable audio"):
        ds.check_trainable()


def test_a_good_dataset_passes_the_check() -> None:
    """The boundary case: exactly the minimum of clips per class is accepted (raises nothing)."""
    good = dataset({"background": MIN_CLIPS_PER_CLASS, "bass": MIN_CLIPS_PER_CLASS})
    assert good.check_trainable() is None
    assert dataset({"bass": 5, "drums": 5}).check_trainable(require_background=False) is None


@pytest.mark.parametrize(
    ("counts", "match"),
    [({}, r"found no classes in sounds; add at least two class folders"),
     ({"bass": 9}, r"found only the class 'bass' in sounds; add at least two class folders"),
     ({"bass": 9, "drums": 9}, r"no background class in sounds \(its classes: bass, drums\): add a folder named "
                               r"'background'"),
     ({"background": 9, "bass": 1}, r"class 'bass' has 1 clip; add at least 5 \(or one longer recording\)"),
     ({"background": 4, "bass": 9}, r"class 'background' has 4 clips; add at least 5")],
)
def test_untrainable_datasets_say_what_to_add(counts: dict[str, int], match: str) -> None:
    assert MIN_CLIPS_PER_CLASS == 5
    with pytest.raises(DatasetError, match=match):
        dataset(counts).check_trainable()


# -- splitting by recording -----------------------------------------------------------------------


def many_sources() -> list[Clip]:
    """Three classes; some recordings cut into several clips (same source, different starts)."""
    clips = []
    for label in ("background", "bass", "drums"):
        for i in range(8):
            clips += [clip(label, f"{label}/{i}.wav", start_s=4.0 * k) for k in range(1 + i % 3)]
    return clips


def test_no_recording_lands_on_both_sides() -> None:
    clips = many_sources()
    train, val = split_by_source(clips, sample_rate=100, val_fraction=0.25, seed=0)
    assert {c.source for c in train}.isdisjoint({c.source for c in val})
    assert sorted(map(id, train + val)) == sorted(map(id, clips))  # every clip exactly once
    for label in ("background", "bass", "drums"):
        n_val = sum(c.label == label for c in val)
        assert 0 < n_val < sum(c.label == label for c in clips)  # each class on both sides


def test_the_same_sound_under_two_classes_is_found(tmp_path: Path) -> None:
    for k, folder in enumerate(("background", "bass", "drums")):
        for i in range(2):
            write_tone(tmp_path / folder / f"{i}.wav", freq_hz=100.0 * (k + 1) + 10 * i)
    sf.write(tmp_path / "drums" / "copy.flac", sf.read(tmp_path / "bass" / "1.wav")[0], SR)  # the same sound
    write_tone(tmp_path / "bass" / "again.wav", freq_hz=200.0)  # a copy of bass/0.wav in its own class: fine
    (tmp_path / "drums" / "linked").symlink_to(tmp_path / "background")  # a class folder linked into another
    ds = load_dataset(tmp_path, sample_rate=SR)
    groups = sorted(sorted(g) for g in ds.same_audio_in_classes())
    assert groups == [["background/0.wav", "drums/linked/0.wav"], ["background/1.wav", "drums/linked/1.wav"],
                      ["bass/1.wav", "drums/copy.flac"]]


def test_class_folders_that_differ_only_in_case_are_two_classes_with_a_warning(tmp_path: Path) -> None:
    """"Bass" beside "bass" is a mistake on a Mac, and chord classes "C" and "c" on Linux: both load,
    and the training report asks which it is."""
    for folder in ("background", "bass", "Bass", "drums"):
        write_tone(tmp_path / folder / "a.wav")
    ds = load_dataset(tmp_path, sample_rate=SR)
    assert ds.labels == ["background", "Bass", "bass", "drums"]
    [warning] = [w for w in training_warnings(warning_facts(ds)) if "case" in w]
    assert warning.startswith("The classes 'Bass' and 'bass' differ only in case: on macOS and Windows")


def test_a_take_with_clips_in_several_classes_stays_on_one_side(tmp_path: Path) -> None:
    """Speech Commands' layout: ``SPEAKER_nohash_N`` in every word's folder is one speaker, and a
    studio take relabelled in part has clips in two classes. Either is one recording: its clips,
    whatever their class, land on one side of the split."""
    for k, label in enumerate(("background", "bass", "drums")):
        for speaker in range(6):
            for n in range(2):
                write_tone(tmp_path / label / f"spk{speaker}_nohash_{n}.wav", freq_hz=110.0 * (k + 1) + speaker)
    write_tone(tmp_path / "bass" / "sub" / "spk0_nohash_0.wav")  # another place: another recording
    clips = load_dataset(tmp_path, sample_rate=SR).clips
    sides_seen = set()
    for seed in range(12):
        train, val = split_by_source(clips, sample_rate=SR, val_fraction=0.3, seed=seed)
        speakers = [{Path(c.source).name for c in side if "/sub/" not in c.source} for side in (train, val)]
        assert speakers[0].isdisjoint(speakers[1]), (seed, speakers)
        assert {c.label for c in train} == {c.label for c in val} == {"background", "bass", "drums"}
        sides_seen.add(frozenset(speakers[1]))
    assert len(sides_seen) > 1, "the seed still chooses which takes are held out"


def test_a_take_no_other_class_shares_splits_as_any_recording_does() -> None:
    """Takes and whole files mixed in a class (the studio's usual case): with no take shared
    between classes, the split is what it was before takes were grouped across classes."""
    def one_class(as_takes: bool) -> list[Clip]:
        clips = []
        for label in ("background", "bass"):
            for i in range(6):
                name = f"{label}/{label}-take{i}" if i % 2 else f"{label}/file{i}.wav"
                file = f"{name}_nohash_000.wav" if as_takes and i % 2 else ""
                clips += [Clip(samples=np.zeros(100, np.float32), label=label, source=name, start_s=k, file=file)
                          for k in range(1 + i % 3)]
        return clips

    for seed in range(25):
        split = [split_by_source(one_class(as_takes), sample_rate=100, val_fraction=0.3, seed=seed)
                 for as_takes in (True, False)]
        assert [[c.name.split("@")[0].replace("_nohash_000.wav", "") for c in side] for side in split[0]] == \
            [[c.source for c in side] for side in split[1]], seed


def test_a_class_whose_takes_other_classes_placed_still_trains_and_validates() -> None:
    """Class b holds two of the eight speakers of class a: whatever a chose for them, b keeps one
    recording on each side (the smallest goes over for b alone when a put both on one side)."""
    def take(label: str, speaker: int, n: int) -> Clip:
        return Clip(samples=np.zeros(100, np.float32), label=label, source=f"{label}/spk{speaker}",
                    file=f"{label}/spk{speaker}_nohash_{n}.wav", start_s=float(n))

    clips = [take("a", s, n) for s in range(8) for n in range(2)] + [take("b", s, 0) for s in (0, 1)]
    clips += [take("c", s, n) for s in range(3) for n in range(3)]
    for seed in range(40):
        train, val = split_by_source(clips, sample_rate=100, val_fraction=0.25, seed=seed)
        assert {c.label for c in train} == {c.label for c in val} == {"a", "b", "c"}, seed
        # c has fewer recordings than a: it chose first, and a follows it for speakers 0-2
        held = {id(c) for c in val}
        sides = {(c.label, c.source.split("/")[1]): id(c) in held for c in train + val}
        assert all(sides[("a", f"spk{s}")] == sides[("c", f"spk{s}")] for s in range(3)), seed


def test_copies_of_one_sound_in_a_class_stay_on_one_side_and_are_warned_about(tmp_path: Path) -> None:
    """A file uploaded to a class twice (``bass1.wav``, ``bass1-2.wav``) or copied in its folder is
    one recording: validation never scores a copy of a training clip, and training warns."""
    for k, label in enumerate(("background", "bass", "drums")):
        for i in range(6):
            write_tone(tmp_path / label / f"{label}{i}.wav", freq_hz=100.0 * (k + 1) + 7 * i)
            write_tone(tmp_path / label / f"{label}{i}-2.wav", freq_hz=100.0 * (k + 1) + 7 * i)  # the same sound
    write_tone(tmp_path / "drums" / "only.wav", freq_hz=990.0)
    ds = load_dataset(tmp_path, sample_rate=SR)
    for seed in range(10):
        train, val = split_by_source(ds.clips, sample_rate=SR, val_fraction=0.2, seed=seed)
        assert sorted(map(id, train + val)) == sorted(map(id, ds.clips))  # every clip exactly once
        learnt = {(c.label, c.fingerprint) for c in train}
        assert val and not [c.name for c in val if (c.label, c.fingerprint) in learnt], seed
        assert {c.label for c in train} == {c.label for c in val} == set(ds.labels), seed
    groups = ds.same_audio_in_one_class()
    assert len(groups) == 18 and ["bass/bass0-2.wav", "bass/bass0.wav"] in groups
    assert ds.same_audio_in_classes() == []
    [warning] = [w for w in training_warnings(warning_facts(ds)) if "one class" in w]
    assert warning.startswith("The same sound twice in one class, 18 times (background/background0-2.wav = "
                              "background/background0.wav; ")
    assert "; …): a file added twice is still one recording" in warning and warning.endswith("delete the copies")


def test_a_class_of_one_sound_copied_is_a_class_of_one_recording(tmp_path: Path) -> None:
    """Two copies of one take are one recording: the class is split in time, and said to be."""
    rng = np.random.default_rng(3)
    for name in ("background/take.wav", "bass/take.wav", "bass/other.wav"):  # noise: no two 4 s clips alike
        (tmp_path / name).parent.mkdir(exist_ok=True)
        sf.write(tmp_path / name, (0.1 * rng.standard_normal(13 * SR)).astype(np.float32), SR, subtype="PCM_16")
    for label in ("background", "bass"):
        (tmp_path / label / "take-2.wav").write_bytes((tmp_path / label / "take.wav").read_bytes())
    ds = load_dataset(tmp_path, sample_rate=SR)
    assert warning_facts(ds)["split_in_time"] == ["background"]
    assert warning_facts(ds)["same_audio_in_one_class"]["count"] == 6  # three clips of each copied take
    train, val = split_by_source(ds.clips, sample_rate=SR, val_fraction=0.25, seed=0)
    background_val = [c for c in val if c.label == "background"]
    assert background_val and all(c.start_s == 8.0 for c in background_val)  # the end of the take, both copies
    assert sorted(c.start_s for c in train if c.label == "background") == [0.0, 0.0, 4.0, 4.0]  # none overlaps it


def noise(seed: int, n: int = 100) -> np.ndarray:
    """A clip's samples that no other seed's are alike (so they have their own fingerprint)."""
    return (0.1 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


def test_a_class_of_one_recording_puts_every_clip_on_exactly_one_side() -> None:
    """A class split in time drops no clip from both sides, whether its one recording is a sound
    copied six times (every copy starts at 0 s), a take cut into six clips, or a take copied twice."""
    copies = [Clip(samples=noise(1), label="clap", source=f"clap/clap{'' if i == 0 else f'-{i}'}.wav")
              for i in range(6)]
    take = [Clip(samples=noise(10 + i), label="bass", source="bass/take.wav", start_s=float(i)) for i in range(6)]
    twice = [Clip(samples=noise(20 + i), label="drums", source=f"drums/{name}", start_s=float(i))
             for name in ("take.wav", "take-2.wav") for i in range(3)]
    for clips in (copies, take, twice):
        for fraction in (0.2, 0.5):
            train, val = split_by_source(clips, sample_rate=100, val_fraction=fraction, seed=0)
            assert sorted(map(id, train + val)) == sorted(map(id, clips)), (clips[0].label, fraction)
            assert not {c.fingerprint for c in train} & {c.fingerprint for c in val}  # no copy on both sides
    assert split_by_source(copies, sample_rate=100, val_fraction=0.2, seed=0) == (copies, [])
    train, val = split_by_source(twice, sample_rate=100, val_fraction=0.3, seed=0)
    assert [c.start_s for c in train] == [0.0, 0.0, 1.0, 1.0] and [c.start_s for c in val] == [2.0, 2.0]


def test_a_class_that_is_one_sound_copied_is_refused_with_what_to_add(tmp_path: Path) -> None:
    """Six copies of ``clap.wav`` reach the clip count, but are one sound: training is refused before
    it starts, saying to add different recordings; five sounds and a copy train (with a warning)."""
    for k, label in enumerate(("background", "bass")):
        for i in range(5):
            write_tone(tmp_path / label / f"{label}{i}.wav", freq_hz=100.0 * (k + 1) + 7 * i)
    for i in range(6):
        write_tone(tmp_path / "clap" / f"clap{'' if i == 0 else f'-{i}'}.wav", freq_hz=880.0)
    with pytest.raises(DatasetError, match=r"^class 'clap' is one sound copied 6 times; add at least 5 different "
                                           r"recordings \(or one longer recording\): copies of a file teach"):
        load_dataset(tmp_path, sample_rate=SR).check_trainable()
    write_tone(tmp_path / "clap" / "clap-1.wav", freq_hz=990.0)
    with pytest.raises(DatasetError, match=r"^class 'clap' has 6 clips but only 2 different sounds \(the rest are "
                                           r"copies of them\); add at least 5 different recordings"):
        load_dataset(tmp_path, sample_rate=SR).check_trainable()
    for i in range(2, 5):
        write_tone(tmp_path / "clap" / f"clap-{i}.wav", freq_hz=900.0 + 10 * i)
    assert load_dataset(tmp_path, sample_rate=SR).check_trainable() is None  # 5 sounds, one of them twice


def test_a_take_joined_by_a_copy_stays_on_one_side_in_every_class() -> None:
    """Class a holds a copy of one sound in takes spk1 and spk2, which classes b and c hold clips of:
    the copy joins the two takes in every class, so each take (and the copy) is on one side everywhere,
    whatever sides b and c would have chosen alone."""
    def take(label: str, speaker: int, seed: int) -> Clip:
        return Clip(samples=noise(seed), label=label, source=f"{label}/spk{speaker}",
                    file=f"{label}/spk{speaker}_nohash_0.wav")

    clips = [take("a", 1, 1), take("a", 2, 1)]  # the same sound in both takes
    clips += [Clip(samples=noise(100 + i), label="a", source=f"a/own{i}.wav") for i in range(8)]
    for label, speaker in (("b", 1), ("c", 2)):
        clips += [take(label, speaker, 10 + speaker)]
        clips += [Clip(samples=noise(200 + 10 * speaker + i), label=label, source=f"{label}/own{i}.wav")
                  for i in range(4)]
    opposite = 0
    for seed in range(30):
        train, val = split_by_source(clips, sample_rate=100, val_fraction=0.3, seed=seed)
        assert sorted(map(id, train + val)) == sorted(map(id, clips))
        held = {id(c) for c in val}
        sides: dict[str, set[bool]] = {"spk1": set(), "spk2": set()}
        for c in clips:
            if c.file:
                sides[c.source.split("/")[1]].add(id(c) in held)
        assert sides["spk1"] == sides["spk2"] and len(sides["spk1"]) == 1, seed
        alone = [[c.label for c in side if c.file] for side in split_by_source(
            [c for c in clips if c.label != "a"], sample_rate=100, val_fraction=0.3, seed=seed)]
        opposite += "b" in alone[0] and "c" in alone[1] or "b" in alone[1] and "c" in alone[0]
    assert opposite  # some seeds: b and c alone put the two takes on opposite sides


def test_a_set_without_copies_in_a_class_splits_as_before_copies_were_joined() -> None:
    """Joining copies of a sound changes nothing where a class has none: distinct sounds split as
    silent clips do (silence has no fingerprint, so nothing can join), also with a sound shared by
    two classes (that is a mislabelling, warned about, not one recording)."""
    rng = np.random.default_rng(0)

    def clips(*, audible: bool) -> list[Clip]:
        out = []
        for label in ("background", "bass", "drums"):
            for i in range(7):
                name = f"{label}/{label}-take{i}" if i % 3 == 0 else f"{label}/file{i}.wav"
                file = f"{name}_nohash_000.wav" if i % 3 == 0 else ""
                for k in range(1 + i % 3):
                    noise = rng.standard_normal(100).astype(np.float32) * 0.1
                    if label == "drums" and i == 1:  # the same sound as bass/file1.wav
                        noise = out[7 + 1].samples
                    out.append(Clip(samples=noise if audible else np.zeros(100, np.float32), label=label,
                                    source=name, start_s=k, file=file))
        return out

    for seed in range(25):
        audible, silent = (split_by_source(clips(audible=a), sample_rate=100, val_fraction=0.3, seed=seed)
                           for a in (True, False))
        assert [[(c.source, c.start_s) for c in side] for side in audible] == \
            [[(c.source, c.start_s) for c in side] for side in silent], seed


def test_the_split_is_seeded() -> None:
    clips = many_sources()

    def names(seed: int) -> list[str]:
        return [c.name for c in split_by_source(clips, sample_rate=100, val_fraction=0.25, seed=seed)[1]]

    assert names(1) == names(1)
    assert any(names(seed) != names(1) for seed in range(2, 6))


def test_the_validation_share_follows_val_fraction() -> None:
    clips = [clip(lab, f"{lab}/{i}.wav") for lab in ("bass", "drums") for i in range(20)]
    _, val = split_by_source(clips, sample_rate=100, val_fraction=0.2, seed=3)
    assert sum(c.label == "bass" for c in val) == 4 and sum(c.label == "drums" for c in val) == 4


def sized_sources(label: str, sizes: list[int]) -> list[Clip]:
    """One recording per size, cut into that many clips."""
    return [clip(label, f"{label}/{i}.wav", start_s=4.0 * k) for i, n in enumerate(sizes) for k in range(n)]


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.3])
def test_the_validation_share_holds_with_recordings_of_unequal_length(fraction: float) -> None:
    clips = sized_sources("bass", [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 9])  # 51 clips
    for seed in range(20):
        _, val = split_by_source(clips, sample_rate=100, val_fraction=fraction, seed=seed)
        assert abs(len(val) / len(clips) - fraction) <= 0.05, (seed, len(val))


def test_a_big_recording_does_not_swamp_validation() -> None:
    clips = sized_sources("bass", [20] + [1] * 10)  # 30 clips: 6 are 20 %
    for seed in range(10):
        train, val = split_by_source(clips, sample_rate=100, val_fraction=0.2, seed=seed)
        assert len(val) == 6
        assert {c.source for c in train} >= {"bass/0.wav"}


def test_when_no_recording_fits_the_share_the_nearest_goes_to_validation() -> None:
    clips = sized_sources("bass", [10, 3, 12])  # 10 % is 2.5 clips; the 3-clip take is nearest
    for seed in range(5):
        _, val = split_by_source(clips, sample_rate=100, val_fraction=0.1, seed=seed)
        assert {c.source for c in val} == {"bass/1.wav"}


@pytest.mark.parametrize("fraction", [0.05, 0.5, 0.95])
def test_every_class_keeps_training_and_validation_data(fraction: float) -> None:
    rng = np.random.default_rng(0)
    for seed in range(30):
        labels = [f"class{i}" for i in range(4)]
        clips = [c for lab in labels
                 for c in sized_sources(lab, list(rng.integers(1, 10, size=rng.integers(2, 7))))]
        train, val = split_by_source(clips, sample_rate=100, val_fraction=fraction, seed=seed)
        assert {c.source for c in train}.isdisjoint({c.source for c in val})
        assert sorted(map(id, train + val)) == sorted(map(id, clips))
        assert {c.label for c in train} == set(labels) == {c.label for c in val}


def test_a_single_recording_is_split_in_time_with_no_overlap() -> None:
    """One long take per class, cut with overlap (clips 4 s every 2 s): validation gets the end,
    and no training clip reaches into it."""
    sr = 100
    take = np.arange(30 * sr, dtype=np.float32)
    clips = [Clip(samples=y, label="bass", source="bass/take.wav", start_s=s)
             for s, y in cut_recording(take, sample_rate=sr, clip_s=4.0, clip_hop_s=2.0)]
    assert len(clips) == 14  # starts 0, 2, ..., 26
    train, val = split_by_source(clips, sample_rate=sr, val_fraction=0.2, seed=0)
    assert [c.start_s for c in val] == [22.0, 24.0, 26.0]  # round(14 * 0.2) = 3, the last ones
    # 20-24 s would overlap validation (from 22 s): training stops with the clip that ends at 22 s
    assert [c.start_s for c in train] == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0]
    val_samples = {int(v) for c in val for v in c.samples}
    assert not val_samples & {int(v) for c in train for v in c.samples}  # not one sample shared


def test_a_class_of_two_clips_from_one_recording_keeps_one_for_training() -> None:
    clips = [clip("bass", "bass/take.wav", start_s=0.0), clip("bass", "bass/take.wav", start_s=1.0)]
    train, val = split_by_source(clips, sample_rate=100, val_fraction=0.8, seed=0)
    assert [c.start_s for c in train] == [0.0] and [c.start_s for c in val] == [1.0]


def test_a_class_of_one_clip_goes_to_training() -> None:
    only = clip("bass", "bass/one.wav")
    assert split_by_source([only], sample_rate=100, val_fraction=0.5, seed=0) == ([only], [])


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_val_fraction_must_be_between_0_and_1(fraction: float) -> None:
    with pytest.raises(ParameterError, match=rf"val_fraction must be between 0 and 1, got {fraction}"):
        split_by_source(many_sources(), sample_rate=100, val_fraction=fraction, seed=0)
