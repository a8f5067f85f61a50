"""Tests for earmark.intake: uploads and recordings landing in a project's class."""

from __future__ import annotations

import unicodedata
import zipfile
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from conftest import alac, full_scale_noise
from earmark.audio import load_audio, probe
from earmark.dataset import load_dataset, take_key
from earmark.errors import DatasetError, LimitError, ParameterError
from earmark.importer import folder_per_class
from earmark.intake import FolderOfClassesError, IntakeLimits, add_files
from earmark.naming import safe_stem
from earmark.project import Project
from earmark.split import split_by_source

SR = 44100
DATA = Path(__file__).parent / "data" / "audio"


def tone(path: Path, seconds: float, freq: float = 110.0, sample_rate: int = SR) -> Path:
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    sf.write(path, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), sample_rate, subtype="PCM_16")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project.create(tmp_path / "band")
    p.add_class("bass")
    return p


def test_a_short_file_is_kept_byte_for_byte(project: Project, tmp_path: Path) -> None:
    src = tone(tmp_path / "up.wav", 1.0)
    result = add_files(project, "bass", [("My Riff!.wav", src)])
    [sample] = result.added
    assert sample.id == "My Riff.wav" and sample.duration_s == 1.0 and sample.sample_rate == SR
    assert (project.class_dir("bass") / sample.id).read_bytes() == src.read_bytes()


@pytest.mark.parametrize("name", ["phone_video.mov", "phone_video.mp4", "mono.3gp"])
def test_a_phone_video_gives_its_sound(project: Project, name: str, tmp_path: Path) -> None:
    """A video filmed with a phone (MP4, QuickTime, 3GP): its sound is kept, as WAV, at its own length."""
    source = DATA / name
    if name == "phone_video.mp4":  # the same file as an Android phone names it
        source = tmp_path / name
        source.write_bytes((DATA / "phone_video.mov").read_bytes())
    result = add_files(project, "bass", [(name, source)])
    [sample] = result.added
    assert sample.id == f"{Path(name).stem}.wav" and sample.duration_s == 0.5 and result.skipped == []
    kept = load_audio(project.class_dir("bass") / sample.id)
    assert kept.sample_rate == probe(source)[1]
    np.testing.assert_allclose(kept.samples, load_audio(source).samples, atol=1 / 32768)  # as 16-bit WAV


def test_a_loud_video_keeps_its_sound_past_full_scale(project: Project, tmp_path: Path) -> None:
    """AAC decodes past full scale on loud material: the kept WAV holds it (float), not clipped at 1."""
    loud = tmp_path / "loud.mov"
    rate = 44100
    t = np.arange(rate) / rate
    square = np.sign(np.sin(2 * np.pi * 220 * t)).astype(np.float32)  # full scale: AAC overshoots its edges
    with av.open(str(loud), "w") as out:  # PyAV's own FFmpeg encodes it
        stream = out.add_stream("aac", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(square[None, :], format="fltp", layout="mono")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    decoded = load_audio(loud).samples
    assert float(np.max(np.abs(decoded))) > 1.05  # the overshoot is there to keep
    [sample] = add_files(project, "bass", [("loud.mov", loud)]).added
    np.testing.assert_array_equal(load_audio(project.class_dir("bass") / sample.id).samples, decoded)


def test_a_long_file_is_cut_into_clips_that_remember_their_recording(project: Project, tmp_path: Path) -> None:
    src = tone(tmp_path / "jam.wav", 20.0)
    result = add_files(project, "bass", [("jam.wav", src)])
    assert [s.id for s in result.added] == [f"jam_nohash_{k:03d}.wav" for k in range(5)]
    assert {s.recording for s in result.added} == {"jam"} and all(s.duration_s == 4.0 for s in result.added)
    again = add_files(project, "bass", [("jam.wav", tone(tmp_path / "jam2.wav", 20.0, freq=97.0))])
    assert again.added[0].id == "jam-2_nohash_000.wav", "a second upload of the same name is a new recording"
    # the dataset reads the clips as one recording each, in order, and the split keeps them together
    dataset = load_dataset(project.samples_dir, sample_rate=22050)
    bass = [c for c in dataset.clips if c.label == "bass"]
    assert {c.source for c in bass} == {"bass/jam", "bass/jam-2"}
    assert sorted(c.start_s for c in bass if c.source == "bass/jam") == [0.0, 4.0, 8.0, 12.0, 16.0]
    train, val = split_by_source(bass, sample_rate=22050, val_fraction=0.4, seed=0)
    assert not {c.source for c in train} & {c.source for c in val}


def test_a_long_upload_gets_a_take_name_no_other_class_uses(project: Project, tmp_path: Path) -> None:
    """"recording.m4a" from a phone, uploaded into every class: each is its own recording (a take's
    clips in several classes are one recording to the split)."""
    project.add_class("drums")
    src = tone(tmp_path / "recording.wav", 20.0)
    first = add_files(project, "background", [("recording.wav", src)]).added
    other = add_files(project, "drums", [("recording.wav", src)]).added
    assert {s.recording for s in first} == {"recording"} and {s.recording for s in other} == {"recording-2"}


def test_clip_s_cuts_a_take_and_recording_groups_short_samples(project: Project, tmp_path: Path) -> None:
    take = tone(tmp_path / "take.wav", 6.0)
    cut = add_files(project, "bass", [("take.wav", take)], clip_s=2.0)
    assert len(cut.added) == 3
    one = tone(tmp_path / "one.wav", 1.0)
    first = add_files(project, "bass", [("rec.wav", one), ("rec.wav", one)], recording="take-20261125-1200")
    later = add_files(project, "bass", [("rec.wav", one)], recording="take-20261125-1200")
    assert [s.id for s in first.added + later.added] == [f"take-20261125-1200_nohash_{k:03d}.wav" for k in range(3)]
    with pytest.raises(ParameterError, match="clip_s must be between"):
        add_files(project, "bass", [("take.wav", take)], clip_s=0.01)


def test_uploads_to_the_test_set_land_there_under_names_training_does_not_use(project: Project,
                                                                              tmp_path: Path) -> None:
    take = tone(tmp_path / "take.wav", 6.0)
    trained = add_files(project, "bass", [("take.wav", take)], clip_s=2.0)
    held = add_files(project, "bass", [("take.wav", take)], clip_s=2.0, test=True)
    assert all(s.test for s in held.added) and not any(s.test for s in trained.added)
    assert [s.id for s in project.samples("bass", test=True)] == [f"take-2_nohash_{k:03d}.wav" for k in range(3)]
    assert [s.id for s in project.samples("bass")] == [f"take_nohash_{k:03d}.wav" for k in range(3)]
    assert project.test_leaks() == [], "another upload of a take is another recording, not one on both sides"
    short = add_files(project, "bass", [("one.wav", tone(tmp_path / "one.wav", 1.0))], test=True)
    assert [(s.id, s.test) for s in short.added] == [("one.wav", True)]
    assert (project.test_dir / "bass" / "one.wav").is_file()


def test_clips_named_as_a_take_stay_one_recording(project: Project, tmp_path: Path) -> None:
    """An exported project's clips, or Speech Commands files, keep their take: else an import would
    split one recording's clips between training and validation."""
    clips = [(f"bass/riff_nohash_{k:03d}.wav", tone(tmp_path / f"c{k}.wav", 1.0)) for k in (0, 1, 5)]
    added = add_files(project, "bass", clips).added
    assert [s.id for s in added] == [f"riff_nohash_{k:03d}.wav" for k in (0, 1, 5)], "each keeps its number"
    assert {s.recording for s in added} == {"riff"}
    more = add_files(project, "bass", [("speaker 1_nohash_0.wav", tone(tmp_path / "s.wav", 1.0))], test=True).added
    assert [(s.id, s.recording) for s in more] == [("speaker 1_nohash_0.wav", "speaker 1")]


def test_bad_files_are_named_and_skipped_while_the_rest_land(project: Project, tmp_path: Path) -> None:
    good = tone(tmp_path / "good.wav", 1.0)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00garbage")
    silent_nan = tmp_path / "nan.wav"
    sf.write(silent_nan, np.full(SR, np.nan, dtype=np.float32), SR, subtype="FLOAT")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    result = add_files(project, "bass", [("good.wav", good), ("broken.wav", broken), ("nan.wav", silent_nan),
                                         ("notes.txt", notes)])
    assert [s.id for s in result.added] == ["good.wav"]
    reasons = dict(result.skipped)
    assert set(reasons) == {"broken.wav", "nan.wav", "notes.txt"}
    assert "could not be decoded" in reasons["broken.wav"] and str(tmp_path) not in reasons["broken.wav"]
    assert "NaN" in reasons["nan.wav"]
    assert "not an audio file (.txt)" in reasons["notes.txt"]


def test_a_folders_hidden_and_system_files_are_left_out(project: Project, tmp_path: Path) -> None:
    """A folder picked on a Mac holds ``.DS_Store``, and on a USB stick ``._take.wav`` beside each
    take: left out, as from a zip, not reported as files that could not be decoded."""
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x00\x05\x16\x07junk")
    result = add_files(project, "bass", [("takes/take.wav", tone(tmp_path / "take.wav", 0.5)),
                                         ("takes/._take.wav", junk), ("takes/.DS_Store", junk),
                                         ("takes/Thumbs.db", junk), ("takes/__MACOSX/a.wav", junk)])
    assert [s.id for s in result.added] == ["take.wav"] and result.skipped == []


def test_zips_are_unpacked_safely(project: Project, tmp_path: Path) -> None:
    a = tone(tmp_path / "a.wav", 1.0)
    z = tmp_path / "set.zip"
    with zipfile.ZipFile(z, "w") as archive:
        archive.write(a, "folder/a.wav")
        archive.write(a, "folder/deeper/b.wav")
        archive.writestr("folder/readme.md", "hi")
        archive.writestr("__MACOSX/._a.wav", "junk")
    result = add_files(project, "bass", [("set.zip", z)])
    assert sorted(s.id for s in result.added) == ["a.wav", "b.wav"]
    assert result.skipped == [("set.zip/readme.md", "not an audio file (.md)")]
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../escape.wav", a.read_bytes())
    result = add_files(project, "bass", [("evil.zip", evil)])
    assert result.added == [] and "unsafe member name" in result.skipped[0][1]
    assert not (project.root.parent / "escape.wav").exists()


def test_limits(project: Project, tmp_path: Path) -> None:
    one = tone(tmp_path / "one.wav", 1.0)
    with pytest.raises(LimitError, match="more than the limit of 2"):
        add_files(project, "bass", [("a.wav", one)] * 3, limits=IntakeLimits(max_files=2))
    long = tone(tmp_path / "long.wav", 5.0)
    result = add_files(project, "bass", [("long.wav", long), ("one.wav", one)], limits=IntakeLimits(max_file_s=3))
    assert [s.id for s in result.added] == ["one.wav"] and "more than the limit" in result.skipped[0][1]


def test_safe_stem() -> None:
    assert safe_stem("../../etc/passwd") == "passwd"
    assert safe_stem("C:\\Users\\me\\take 1.wav") == "take 1"
    assert safe_stem("a_nohash_1.wav") == "a_1"
    assert safe_stem("....wav") == "sample"


def test_a_stem_is_a_name_windows_can_hold() -> None:
    """Windows drops a name's trailing dot or space, and keeps CON, AUX, COM1… for devices: a project
    holding such a name could not be unzipped or copied there whole."""
    assert safe_stem("a" * 79 + " b.wav") == "a" * 79, "cut at 80 characters, no space left at the end"
    assert [safe_stem(n) for n in ["CON.wav", "aux.take.wav", "Com1", "console.wav"]] == [
        "CON_", "aux_.take", "Com1_", "console"]


def test_a_long_name_in_any_script_lands(project: Project, tmp_path: Path) -> None:
    """80 Chinese characters are 240 bytes of a file name's 255, to which a clip's number, a ``-2`` and
    the temporary name of an atomic write add: cut shorter, every file lands."""
    one, jam, name = tone(tmp_path / "one.wav", 0.5), tone(tmp_path / "jam.wav", 20.0), "漢" * 100
    result = add_files(project, "bass", [(f"{name}.wav", one), (f"{name}.wav", one), (f"{name}.wav", jam),
                                         (f"{name}.wav", jam), (f"{name}_nohash_1.wav", one)])
    assert len(result.added) == 2 + 5 + 5 + 1 and result.skipped == []
    assert result.added[0].id == "漢" * 53 + ".wav" and all(len(s.id.encode()) < 200 for s in result.added)


def test_a_folder_of_classes_added_to_one_class_is_refused_before_anything_lands(
        project: Project, tmp_path: Path) -> None:
    """A zip or folder holding ``bass/``, ``drums/``, ``background/`` dropped onto one class would make
    every file that class: refused, saying to import it; nothing is written."""
    project.add_class("drums")
    project.add_class("con")
    notes = {name: tone(tmp_path / f"{k}.wav", 0.5, freq=100.0 + 20 * k) for k, name in enumerate(
        ["bass/b1.wav", "bass/b2.wav", "drums/d1.wav", "background/room.wav"])}
    archive = tmp_path / "sounds.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, path in notes.items():
            zf.write(path, f"sounds/{name}")
    with pytest.raises(FolderOfClassesError, match=(
            r"^sounds\.zip holds a folder per class \(background/, bass/, drums/\): added to class 'con', every "
            r"file would become 'con'\. To add them all to 'con', unzip it and give each subfolder alone, "
            r"add_files\(project, 'con', SUBFOLDER\); to add them to this project, add each class's folder to its "
            r"class, add_files\(project, CLASS, FOLDER\); to make a new project of them, unzip it and import the "
            r"whole set with earmark\.importer\.fill_from_folder\(Project\.create\(NEW_FOLDER\), FOLDER\)$"),
    ) as refused:
        add_files(project, "con", [("sounds.zip", archive)])
    assert (refused.value.zip_name, refused.value.folders) == ("sounds.zip", ["background", "bass", "drums"])
    picked = [(f"dupset/{name}", path) for name, path in notes.items()]  # "Choose a folder": the folder's name first
    with pytest.raises(DatasetError, match=r"^these files are a folder per class \(background/, bass/, drums/\): "
                                           r"added to class 'con', every file would become 'con'\. To add them all "
                                           r"to 'con', give each subfolder alone, add_files\(project, 'con', "
                                           r"SUBFOLDER\); .* new project of them, import the whole set with "
                                           r"earmark\.importer\.fill_from_folder\("):
        add_files(project, "con", picked, test=True)
    dropped = [(name, path) for name, path in notes.items() if not name.startswith("background")]  # two dropped
    with pytest.raises(DatasetError, match=r"\(bass/, drums/\): added to class 'con'"):
        add_files(project, "con", dropped)
    exported = [(f"band/samples/{name}", path) for name, path in notes.items()]  # a project's folder
    with pytest.raises(DatasetError, match=r"a folder per class \(background/, bass/, drums/\)"):
        add_files(project, "con", [*exported, ("band/test/bass/t.wav", notes["bass/b1.wav"])])
    assert project.samples("con") == project.samples("con", test=True) == []
    assert not (project.test_dir / "con").exists()


@pytest.mark.parametrize(("target", "names", "refused"), [
    ("background", ["my_sounds/background/a.wav", "my_sounds/bass/b.wav", "my_sounds/drums/c.wav"],
     r"\(background/, bass/, drums/\): added to class 'background'.*\(make class 'drums' first\)"),
    ("bass", ["my_sounds/bass/a.wav", "my_sounds/drums/b.wav", "my_sounds/guitar/c.wav"],
     r"\(bass/, drums/, guitar/\): added to class 'bass'.*\(make classes 'drums', 'guitar' first\)"),
    ("bass", ["x/kitchen/a.wav", "x/background/b.wav"], r"\(background/, kitchen/\)"),
    ("bass", ["x/speech/a.wav", "x/noise/b.wav"], r"\(noise/, speech/\): added to class 'bass'.*\(make class "
                                                  r"'speech' first\)"),
])
def test_a_new_projects_folder_of_classes_is_refused(tmp_path: Path, target: str, names: list[str],
                                                     refused: str) -> None:
    """A new project has only background (and here bass, noise): a folder of classes dropped onto one of
    them is refused, the message saying which classes to make before uploading each folder onto its own."""
    project = Project.create(tmp_path / "new")
    project.add_class("bass")
    project.add_class("noise")
    a = tone(tmp_path / "a.wav", 0.5)
    with pytest.raises(DatasetError, match=refused):
        add_files(project, target, [(name, a) for name in names])
    assert all(project.samples(c) == [] for c in project.class_names())


def test_a_refused_folder_of_classes_says_how_to_add_it_all_to_the_class(tmp_path: Path) -> None:
    """``recordings/bass/`` beside ``recordings/bass_old/`` dropped onto bass looks like two classes: the
    message also says how to add them all to bass anyway, and doing so works; names are quoted as written."""
    project = Project.create(tmp_path / "new")
    project.add_class("bass")
    project.add_class("d'n'b")
    a, b = tone(tmp_path / "a.wav", 0.5), tone(tmp_path / "b.wav", 0.5, freq=220.0)
    with pytest.raises(DatasetError, match=r"^these files are a folder per class \(bass/, bass_old/\): added to "
                                           r"class 'bass', every file would become 'bass'\. To add them all to "
                                           r"'bass', give each subfolder alone, add_files\(project, 'bass', "
                                           r"SUBFOLDER\); to add them to this project"):
        add_files(project, "bass", [("recordings/bass/a.wav", a), ("recordings/bass_old/b.wav", b)])
    assert len(add_files(project, "bass", [("bass/a.wav", a)]).added) == 1
    assert len(add_files(project, "bass", [("bass_old/b.wav", b)]).added) == 1
    with pytest.raises(DatasetError, match=r"added to class 'd'n'b', every file would become 'd'n'b'\. To add "
                                           r"them all to 'd'n'b', give each subfolder alone, "
                                           r"add_files\(project, \"d'n'b\", SUBFOLDER\); "):
        add_files(project, "d'n'b", [("x/d'n'b/a.wav", a), ("x/chill/b.wav", b)])


def test_a_class_own_folder_holds_its_parts_whatever_their_names(project: Project, tmp_path: Path) -> None:
    """``speech/`` dropped onto speech: its subfolders (speakers, a ``noise/`` of noisy takes) are speech's
    own, even when the project has a class ``noise``; likewise a ``background/`` of places onto background,
    and a zip named for the class."""
    project.add_class("speech")
    project.add_class("noise")
    a, b = tone(tmp_path / "a.wav", 0.5), tone(tmp_path / "b.wav", 0.5, freq=220.0)
    assert len(add_files(project, "speech", [("speech/alice/a.wav", a), ("speech/noise/b.wav", b)]).added) == 2
    assert len(add_files(project, "background", [("Background/kitchen/a.wav", a),
                                                 ("Background/street/b.wav", b)]).added) == 2
    archive = tmp_path / "speech.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(a, "alice/a.wav")
        zf.write(b, "noise/b.wav")
    assert len(add_files(project, "speech", [("speech.zip", archive)]).added) == 2
    with pytest.raises(DatasetError, match=r"^voices\.zip holds a folder per class \(alice/, noise/\)"):
        add_files(project, "speech", [("voices.zip", archive.rename(tmp_path / "voices.zip"))])  # named otherwise


def test_folders_inside_one_class_are_that_class(project: Project, tmp_path: Path) -> None:
    """Takes in subfolders (``take1/``, ``take2/``), a class's own folder beside another, or one folder
    of any name: what a person means as one class is added to it."""
    project.add_class("drums")
    a, b = tone(tmp_path / "a.wav", 0.5), tone(tmp_path / "b.wav", 0.5, freq=220.0)
    takes = add_files(project, "bass", [("bass/take1/a.wav", a), ("bass/take2/b.wav", b)]).added
    assert [s.id for s in takes] == ["a.wav", "b.wav"]
    assert len(add_files(project, "bass", [("riffs/bass/a.wav", a), ("riffs/session2/b.wav", b)]).added) == 2
    assert len(add_files(project, "bass", [("drums/a.wav", a), ("drums/b.wav", b)]).added) == 2  # one folder, chosen
    assert len(add_files(project, "bass", [("x/background/a.wav", a), ("x/background/b.wav", b)]).added) == 2


@pytest.mark.parametrize(("name", "bits", "kept"), [("take.aiff", 16, "PCM_16"), ("Take 2.aif", 24, "PCM_24"),
                                                     ("take.m4a", 16, "PCM_16"), ("take.m4a", 24, "PCM_24")])
def test_aiff_and_apple_lossless_are_kept_as_flac_bit_for_bit(project: Project, tmp_path: Path, name: str,
                                                              bits: int, kept: str) -> None:
    """Chromium and Firefox play neither AIFF nor Apple Lossless: the sample is a FLAC of the same
    depth, channels and rate under the file's own name, holding exactly the samples it did."""
    ints = np.random.default_rng(bits).integers(-(2 ** (bits - 1)), 2 ** (bits - 1), size=(2, SR // 2))
    source = tmp_path / name
    if name.endswith(".m4a"):
        alac(source, ints, bits=bits, sample_rate=SR)
        assert av.open(str(source)).streams.audio[0].codec_context.name == "alac"
    else:
        sf.write(source, ints.T.astype(np.int32) << (32 - bits), SR, subtype=f"PCM_{bits}", format="AIFF")
    [sample] = add_files(project, "bass", [(name, source)]).added
    assert sample.id == f"{Path(name).stem}.flac" and sample.duration_s == 0.5
    stored = project.class_dir("bass") / sample.id
    assert (sf.info(stored).format, sf.info(stored).subtype, sf.info(stored).channels) == ("FLAC", kept, 2)
    np.testing.assert_array_equal(load_audio(stored, mono=False).samples, load_audio(source, mono=False).samples)
    np.testing.assert_array_equal(sf.read(stored, dtype="int32")[0].T >> (32 - bits), ints)


def test_float_aiff_is_kept_as_float_wav_and_other_m4a_as_it_came(project: Project, tmp_path: Path) -> None:
    """An AIFF of float samples (AIFC) has no FLAC: a float WAV keeps it; an AAC .m4a plays everywhere."""
    rng = np.random.default_rng(0)
    floats = (0.3 * rng.standard_normal(SR // 2)).astype(np.float32)
    sf.write(tmp_path / "soft.aifc", floats, SR, subtype="FLOAT", format="AIFF")
    [sample] = add_files(project, "bass", [("soft.aifc", tmp_path / "soft.aifc")]).added
    assert sample.id == "soft.wav" and sf.info(project.class_dir("bass") / "soft.wav").subtype == "FLOAT"
    np.testing.assert_array_equal(load_audio(project.class_dir("bass") / "soft.wav").samples, floats)
    [aac] = add_files(project, "bass", [("phone.m4a", DATA / "mono.m4a")]).added
    assert (project.class_dir("bass") / aac.id).read_bytes() == (DATA / "mono.m4a").read_bytes()


@pytest.mark.parametrize(("subtype", "dtype", "suffix"), [
    ("PCM_S8", "int16", ".flac"), ("PCM_16", "int16", ".flac"), ("PCM_24", "int32", ".flac"),
    ("PCM_32", "int32", ".wav"), ("FLOAT", "float32", ".wav"), ("DOUBLE", "float64", ".aiff")])
def test_an_aiff_of_any_depth_is_kept_bit_for_bit(project: Project, tmp_path: Path, subtype: str, dtype: str,
                                                  suffix: str) -> None:
    """Integers and float32 go to a file every browser plays holding the very same samples (32-bit
    integers as 32-bit WAV: FLAC stops at 24); float64 finer than float32, which no playable format
    holds, is kept as it came (the studio plays a float32 copy of it)."""
    source = tmp_path / "take.aiff"
    sf.write(source, full_scale_noise("int32" if subtype == "PCM_24" else dtype), SR, subtype=subtype, format="AIFF")
    [sample] = add_files(project, "bass", [("take.aiff", source)]).added
    stored = project.class_dir("bass") / sample.id
    assert sample.id == f"take{suffix}" and sf.info(stored).channels == 2
    np.testing.assert_array_equal(sf.read(stored, dtype=dtype)[0], sf.read(source, dtype=dtype)[0])
    if suffix == ".aiff":
        assert stored.read_bytes() == source.read_bytes()


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_no_two_samples_of_a_class_share_a_name_ignoring_case(project: Project, tmp_path: Path) -> None:
    """On macOS and Windows (and in a copy or zip of the project unpacked there) ``Bass.wav`` and
    ``bass.wav`` are one file: names arriving together, or beside samples already there, stay apart."""
    one = tone(tmp_path / "one.wav", 0.5)
    first = add_files(project, "bass", [("Kick.wav", one), ("kick.wav", one), ("Snare.wav", one)]).added
    later = add_files(project, "bass", [("KICK.wav", one), ("snare.WAV", one)]).added
    assert [s.id for s in first + later] == ["Kick.wav", "kick-2.wav", "Snare.wav", "KICK-3.wav", "snare-2.wav"]
    held = add_files(project, "bass", [("t.wav", one), ("T.wav", one)], test=True).added
    assert [s.id for s in held] == ["t.wav", "T-2.wav"]
    names = [p.name.casefold() for p in project.class_dir("bass").iterdir()]
    assert len(names) == len(set(names)) == 5


def test_a_name_from_a_mac_is_the_same_name(project: Project, tmp_path: Path) -> None:
    """macOS writes "café" decomposed (NFD: "cafe" and a combining accent): saved composed (NFC), as
    the same name typed elsewhere, and never beside it (a Mac would hold the two as one file)."""
    one = tone(tmp_path / "one.wav", 0.5)
    (project.class_dir("bass") / f"{_nfd('Noël')}.wav").write_bytes(one.read_bytes())  # a project copied from a Mac
    added = add_files(project, "bass", [(f"{_nfd('café')}.wav", one), ("café.wav", one), ("noël.wav", one)]).added
    assert [s.id for s in added] == ["café.wav", "café-2.wav", "noël-2.wav"]
    assert all(s.id == unicodedata.normalize("NFC", s.id) for s in added)


@pytest.mark.parametrize("name", ["हिंदी", "தமிழ்", "ภาษาไทย", _nfd("résumé")])
def test_a_name_in_any_script_is_kept(project: Project, tmp_path: Path, name: str) -> None:
    """Hindi's and Tamil's vowel signs (and accents a Mac writes apart) are combining marks: kept."""
    [sample] = add_files(project, "bass", [(f"{name}.wav", tone(tmp_path / "one.wav", 0.5))]).added
    assert sample.id == f"{unicodedata.normalize('NFC', name)}.wav"


def test_takes_and_recordings_stay_apart_from_names_in_another_case(project: Project, tmp_path: Path) -> None:
    """A take's clips continue its numbers in any case; a long upload named as another recording in
    another case is a new recording (``Jam-2``), not ``Jam_nohash_000.wav`` beside ``jam_nohash_000.wav``."""
    one = tone(tmp_path / "one.wav", 0.5)
    riffs = add_files(project, "bass", [("riff_nohash_0.wav", one), ("RIFF_nohash_0.wav", one)]).added
    assert [s.id for s in riffs] == ["riff_nohash_0.wav", "RIFF_nohash_001.wav"], "a name taken in any case: the next"
    jam = tone(tmp_path / "jam.wav", 20.0)
    first = add_files(project, "bass", [("jam.wav", jam)]).added
    second = add_files(project, "bass", [("Jam.wav", jam)]).added
    assert {s.recording for s in first} == {"jam"} and {s.recording for s in second} == {"Jam-2"}
    taken = add_files(project, "bass", [("x.wav", tone(tmp_path / "take.wav", 6.0))], clip_s=2.0,
                      recording="JAM").added
    assert [s.id for s in taken] == [f"JAM_nohash_{k:03d}.wav" for k in (5, 6, 7)]


def test_a_folder_from_a_mac_named_as_a_class_is_that_class(project: Project, tmp_path: Path) -> None:
    """A folder of classes is told apart by its folders' names, however macOS wrote them."""
    project.add_class("café")
    project.add_class("drums")
    one = tone(tmp_path / "one.wav", 0.5)
    with pytest.raises(DatasetError, match=r"a folder per class \(café/, take1/\): added to class 'drums'"):
        add_files(project, "drums", [(f"x/{_nfd('café')}/a.wav", one), ("x/take1/b.wav", one)])
    testset = folder_per_class([(f"{_nfd('café')}/a.wav", one), ("drums/b.wav", one)], tmp_path / "set")
    assert sorted(p.name for p in testset.iterdir()) == ["café", "drums"]


def test_plain_paths_are_added_under_their_own_names(project: Project, tmp_path: Path) -> None:
    riff = tone(tmp_path / "riff.wav", 1.0)
    hum = tone(tmp_path / "hum.wav", 1.0, freq=55.0)
    result = add_files(project, "bass", [str(riff), hum])  # a str and a Path
    assert [s.id for s in result.added] == ["riff.wav", "hum.wav"] and not result.skipped
    assert add_files(project, "bass", str(riff)).added[0].id == "riff-2.wav"  # one path, not a list of characters
    assert add_files(project, "bass", [("named.wav", str(hum))]).added[0].id == "named.wav"  # (name, str)


def test_a_folder_path_adds_its_files_as_a_folder_dropped(project: Project, tmp_path: Path) -> None:
    takes = tmp_path / "takes"
    (takes / "deep").mkdir(parents=True)
    tone(takes / "one.wav", 1.0)
    tone(takes / "deep" / "two.wav", 1.0)
    (takes / "notes.txt").write_text("hi")
    result = add_files(project, "bass", [takes])
    assert sorted(s.id for s in result.added) == ["one.wav", "two.wav"]
    assert [name for name, _ in result.skipped] == ["takes/notes.txt"]


@pytest.mark.parametrize("files, bad", [
    (["ok.wav", ("a",)], r"files\[1\] is \('a',\)"),
    ([3], r"files\[0\] is 3"),
    ([b"a.wav"], r"files\[0\] is b'a.wav'"),
    ([("", "a.wav")], r"files\[0\] is \(''"),
    ([("a.wav", 7)], r"files\[0\] is \('a.wav', 7\)"),
    (5, "files must be a list of files, got int 5"),
    ({"a.wav": "a.wav"}, "files must be a list of files, got dict"),
])
def test_files_of_another_shape_are_refused_by_item(project: Project, files: object, bad: str) -> None:
    with pytest.raises(ParameterError, match=bad + r".*a path \(str or pathlib.Path.*\(name, path\) tuple"):
        add_files(project, "bass", files)  # type: ignore[arg-type]
    assert not project.samples("bass")


@pytest.mark.parametrize("members", [[], ["__MACOSX/._a.wav", "takes/.DS_Store"]])
def test_a_zip_with_no_files_to_add_is_named_with_what_to_do(project: Project, tmp_path: Path,
                                                               members: list[str]) -> None:
    empty = tmp_path / "takes.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        for member in members:
            archive.writestr(member, b"x")
    result = add_files(project, "bass", [empty])
    assert not result.added
    assert result.skipped == [("takes.zip", "holds no files to add (hidden and system files, such as .DS_Store and "
                                            "__MACOSX/, are left out); zip the folder of recordings again")]


def test_a_file_the_class_holds_already_is_named_in_the_warnings(project: Project, tmp_path: Path) -> None:
    """A folder of samples dropped twice was kept twice without a word (b0-2.wav beside b0.wav); only
    training said, later, that the sound counts twice. Now each copy is named as it comes in; nothing is
    refused (a user may mean it), and other files, or the same sound in another class, go without a word."""
    takes = tmp_path / "takes"
    takes.mkdir()
    tone(takes / "b0.wav", 1.0)
    tone(takes / "b1.wav", 1.5)
    first = add_files(project, "bass", takes)
    assert first.warnings == []
    again = add_files(project, "bass", [takes, tone(tmp_path / "new.wav", 2.0)])
    assert sorted(s.id for s in again.added) == ["b0-2.wav", "b1-2.wav", "new.wav"]  # added, as before
    assert sorted(again.warnings) == [
        (f"takes/{n}", f"is the same file as {n}, already in class 'bass': added again, it counts twice; "
                       "delete one if that was not meant") for n in ("b0.wav", "b1.wav")]
    test_set = add_files(project, "bass", takes / "b0.wav", test=True)  # the test set is its own folder
    assert test_set.warnings == []
    assert add_files(project, "bass", takes / "b0.wav", test=True).warnings == [
        ("b0.wav", "is the same file as b0.wav, already in the test set of class 'bass': added again, it counts "
                   "twice; delete one if that was not meant")]


# -- a stretch of a file (a segment of a timeline) -------------------------------------------------------


def two_part_take(path: Path, *, channels: int = 1) -> Path:
    """5 s of 110 Hz, then 5 s of 440 Hz: a stretch's pitch says where it was cut from."""
    t = np.arange(5 * SR) / SR
    y = np.concatenate([0.3 * np.sin(2 * np.pi * 110 * t), 0.3 * np.sin(2 * np.pi * 440 * t)]).astype(np.float32)
    sf.write(path, np.stack([y] * channels, axis=1) if channels > 1 else y, SR, subtype="PCM_16")
    return path


def test_an_excerpt_keeps_that_stretch_at_the_files_rate(project: Project, tmp_path: Path) -> None:
    src = two_part_take(tmp_path / "up.flac", channels=2)
    result = add_files(project, "bass", [("riff.flac", src)], excerpt=(4.0, 6.5))
    [sample] = result.added
    assert (sample.id, sample.recording, sample.sample_rate) == ("riff_nohash_000.wav", "riff", SR)
    assert sample.duration_s == pytest.approx(2.5) and result.skipped == [] and result.warnings == []
    kept = load_audio(project.class_dir("bass") / sample.id)  # mixed to mono, as a video's sound is kept
    np.testing.assert_allclose(kept.samples, load_audio(src).samples[4 * SR:int(6.5 * SR)], atol=1 / 32768)


def test_the_stretches_of_one_file_are_one_take_in_every_class(project: Project, tmp_path: Path) -> None:
    """Parts of one recording in two classes: the split keeps them on one side (one take)."""
    project.add_class("drums")
    src = two_part_take(tmp_path / "take.wav")
    low = add_files(project, "bass", [("jam.wav", src)], excerpt=(0.0, 5.0)).added
    high = add_files(project, "drums", [("jam.wav", src)], excerpt=(5.0, 10.0)).added
    again = add_files(project, "bass", [("jam.wav", src)], excerpt=(1.0, 2.0)).added
    assert [s.id for s in low + high + again] == ["jam_nohash_000.wav", "jam_nohash_000.wav", "jam_nohash_001.wav"]
    for k, label in enumerate(["bass", "drums"] * 3):  # other recordings, so that each class has a choice
        add_files(project, label, [(f"other{k}.wav", tone(tmp_path / f"o{k}.wav", 1.0, freq=90.0 + 30 * k))])
    dataset = load_dataset(project.samples_dir, sample_rate=22050)
    jam = [c for c in dataset.clips if Path(c.file or "").name.startswith("jam")]
    assert len(jam) == 3 and {take_key(c) for c in jam} == {"take:jam"}
    for seed in range(5):
        _, val = split_by_source(dataset.clips, sample_rate=22050, val_fraction=0.4, seed=seed)
        held = {id(c) for c in val}
        assert len({id(c) in held for c in jam}) == 1, f"seed {seed}: a part of the take on each side"
    named = add_files(project, "bass", [("jam.wav", src)], excerpt=(2.0, 3.0), recording="try-1").added
    assert [s.id for s in named] == ["try-1_nohash_000.wav"]


def test_a_long_excerpt_is_cut_into_clips_and_one_past_the_end_stops_there(project: Project, tmp_path: Path) -> None:
    src = tone(tmp_path / "long.wav", 30.0)
    cut = add_files(project, "bass", [("long.wav", src)], excerpt=(2.0, 22.0)).added
    assert [s.duration_s for s in cut] == [4.0] * 5 and {s.recording for s in cut} == {"long"}
    [tail] = add_files(project, "bass", [("long.wav", src)], excerpt=(28.5, 40.0)).added
    assert tail.duration_s == pytest.approx(1.5)


def test_an_excerpt_after_a_files_end_is_skipped_saying_why(project: Project, tmp_path: Path) -> None:
    short, long = tone(tmp_path / "a.wav", 2.0), tone(tmp_path / "b.wav", 8.0)
    result = add_files(project, "bass", [("short.wav", short), ("long.wav", long)], excerpt=(3.0, 5.0))
    assert [s.id for s in result.added] == ["long_nohash_000.wav"]
    assert result.skipped == [("short.wav", "is 2.00 s long, so the stretch from 3.00 s holds no sound of it; "
                                            "give a start within the file")]


@pytest.mark.parametrize("excerpt", [(2.0, 1.0), (-1.0, 2.0), (1.0, 1.05), (float("nan"), 2.0), "1-2", (1.0,)])
def test_a_wrong_excerpt_is_a_parameter_error_before_anything_lands(project: Project, tmp_path: Path,
                                                                     excerpt: object) -> None:
    with pytest.raises(ParameterError, match=r"excerpt must"):
        add_files(project, "bass", [("a.wav", tone(tmp_path / "a.wav", 2.0))], excerpt=excerpt)  # type: ignore[arg-type]
    assert project.samples("bass") == []


def test_a_recordings_name_is_a_name_not_a_files(project: Project, tmp_path: Path) -> None:
    """"v1.2 mix" keeps its ".2": two tried files "v1.2 mix" and "v1.3 mix" are two recordings, not "v1"."""
    src = tone(tmp_path / "a.wav", 1.0)
    one = add_files(project, "bass", [("a.wav", src)], recording="v1.2 mix").added
    two = add_files(project, "bass", [("a.wav", src)], recording="v1.3 mix").added
    assert [s.recording for s in one + two] == ["v1.2 mix", "v1.3 mix"]
    unnamed = add_files(project, "bass", [("a.wav", src)], recording=" ._").added
    assert [s.id for s in unnamed] == ["take_nohash_000.wav"]
