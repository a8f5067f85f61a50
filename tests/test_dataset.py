"""Tests for earmark.dataset: folder-per-class reading, zips, cutting long recordings (the split: test_split.py)."""

from __future__ import annotations

import re
import tempfile
import unicodedata
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import SR, clip, write_tone
from earmark import archive as archive_module
from earmark.dataset import (
    MIN_CLIPS_PER_CLASS,
    Dataset,
    LoadCancelled,
    Skipped,
    audio_files,
    cut_recording,
    files_under,
    is_background_name,
    load_dataset,
)
from earmark.errors import DatasetError, ParameterError
from earmark.project import Project


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


@pytest.mark.parametrize("as_zip", [False, True])
def test_a_read_stops_before_the_next_file_once_should_stop_says_so(
    small_dataset: Path, tmp_path: Path, private_tmp: Path, as_zip: bool
) -> None:
    """The studio's Cancel during a read of 1800 clips took 26 s: nothing stopped the read."""
    source = zip_folder(small_dataset, tmp_path / "sounds.zip") if as_zip else small_dataset
    asked: list[int] = []

    def after_four() -> bool:
        asked.append(len(asked))
        return len(asked) > 4  # four files read, then stop

    with pytest.raises(LoadCancelled):
        load_dataset(source, sample_rate=SR, should_stop=after_four)
    assert len(asked) == 5, "asked before each file, and not once more after it said stop"
    assert list(private_tmp.iterdir()) == [], "a zip's extracted files are removed still"
    asked.clear()

    def never() -> bool:
        asked.append(len(asked))
        return False

    whole = load_dataset(source, sample_rate=SR, should_stop=never)
    assert len(asked) == len(whole.clips) == 36, "never told to stop: every file is read, each asked once"


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
    # the project folder itself reads the same way
    (project.test_dir / "background" / "again.wav").write_bytes(
        (project.samples_dir / "background" / "background0.wav").read_bytes())
    assert load_dataset(project.root, sample_rate=SR).labels == ["background", "bass"]
    assert [c.source for c in load_dataset(project.root, sample_rate=SR, test=True).clips] == ["background/again.wav"]
    (project.test_dir / "background" / "again.wav").unlink()
    with pytest.raises(DatasetError, match="has no test set yet") as refused:
        load_dataset(project.export_zip(tmp_path / "empty.zip"), sample_rate=SR, test=True)
    assert str(tmp_path / "empty.zip") in str(refused.value) and "earmark-zip-" not in str(refused.value)


def test_a_zipped_projects_test_set_is_named_by_the_zip_and_the_folder_in_it(tmp_path: Path) -> None:
    """Not a path on disk through the zip (``…/band.zip/band/test/<class>``): the zip, and its folder."""
    project = Project.create(tmp_path / "band")
    write_tone(project.samples_dir / "background" / "room.wav")
    archive = project.export_zip(tmp_path / "band.zip")
    with pytest.raises(DatasetError) as refused:
        load_dataset(archive, sample_rate=SR, test=True)
    assert str(refused.value) == (
        f"project 'band' ({archive}) has no test set yet: add recordings that training must not see (in the "
        "studio: import the zip, then Samples, switch a class to its Test set, then record, upload, or \"Move to "
        "test set\"; in the zip: its folder band/test/<class>/), or give a folder with one subfolder per class")
    with pytest.raises(DatasetError, match=r"; on disk: .*band[/\\]test[/\\]<class>[/\\]\), or give"):
        load_dataset(project.root, sample_rate=SR, test=True)  # the folder itself: on disk
    write_tone(project.test_dir / "guitar" / "riff.wav")
    with pytest.raises(DatasetError, match=rf"^{re.escape(str(archive))}: its folder band/test holds folders that "
                                           r"match no class of project 'band': 'guitar'; rename each"):
        load_dataset(project.export_zip(archive), sample_rate=SR, test=True)


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
    monkeypatch.setattr(archive_module, limit, value)
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
    """Clips of faint noise, each its own sound (a class of silent clips is refused)."""
    rng = np.random.default_rng(0)
    return Dataset(clips=[replace(clip(lab, f"{lab}/{i}.wav"), samples=rng.uniform(-0.1, 0.1, 100).astype(np.float32))
                          for lab, n in counts.items() for i in range(n)],
                   sample_rate=100, root="sounds")


def test_a_class_folder_named_on_a_mac_is_the_class_its_name_reads_as(tmp_path: Path) -> None:
    """A Mac writes ``café`` decomposed (``cafe`` and an accent): the class is ``café`` as typed
    (composed), the one its zip gives, and one class with a folder of that name written composed."""
    decomposed = unicodedata.normalize("NFD", "café")
    write_tone(tmp_path / "sounds" / decomposed / "a.wav", freq_hz=220)
    write_tone(tmp_path / "sounds" / "café" / "b.wav", freq_hz=330)
    write_tone(tmp_path / "sounds" / "background" / "room.wav", freq_hz=110)
    (tmp_path / "sounds" / unicodedata.normalize("NFD", "Ünused")).mkdir()
    ds = load_dataset(tmp_path / "sounds", sample_rate=SR)
    assert ds.counts() == {"background": 1, "café": 2}
    assert ds.folders == ["background", "café", "Ünused"]
    assert sorted(c.source for c in ds.clips) == ["background/room.wav", f"{decomposed}/a.wav", "café/b.wav"]
    archive = zip_folder(tmp_path / "sounds", tmp_path / "sounds.zip")
    assert load_dataset(archive, sample_rate=SR).counts() == ds.counts()


def test_a_link_to_a_recording_that_is_not_there_is_reported(tmp_path: Path) -> None:
    """A class folder's link to a recording on a disk not connected now: named among the skipped
    files, not left out without a word."""
    write_tone(tmp_path / "sounds" / "bass" / "a.wav")
    gone = tmp_path / "external" / "take.wav"
    (tmp_path / "sounds" / "bass" / "take.wav").symlink_to(gone)
    ds = load_dataset(tmp_path / "sounds", sample_rate=SR)
    assert [c.source for c in ds.clips] == ["bass/a.wav"]
    assert ds.skipped == [Skipped("bass/take.wav", f"a link to {gone}, which is not there (on a disk not connected?)")]


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
