"""Tests for earmark.intake with uploads whose name says another format than their bytes are (a WAV sent as
``x.mp3``): each is kept under the suffix of what it is, as it came, and the result says so."""

from __future__ import annotations

import zipfile
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from earmark.intake import add_files
from earmark.project import Project

DATA = Path(__file__).parent / "data" / "audio"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project.create(tmp_path / "band")
    p.add_class("bass")
    return p


@pytest.mark.parametrize(("name", "source", "kept", "kind"), [
    ("x.mp3", "mono_int16_8k.wav", "x.wav", "WAV"),
    ("x.wav", "stereo.flac", "x.flac", "FLAC"),
    ("x.wav", "stereo.mp3", "x.mp3", "MP3"),
    ("x.aac", "mono.m4a", "x.m4a", "M4A"),  # an M4A named as raw AAC
    ("x.mp3", "mono.webm", "x.webm", "WebM"),
])
def test_an_upload_named_for_another_format_is_kept_as_what_it_is(project: Project, name: str, source: str,
                                                                    kept: str, kind: str) -> None:
    result = add_files(project, "bass", [(name, DATA / source)])
    [sample] = result.added
    assert sample.id == kept and result.skipped == []
    assert (project.class_dir("bass") / kept).read_bytes() == (DATA / source).read_bytes()  # as it came
    assert result.warnings == [(name, f"holds {kind} audio, though named {Path(name).suffix}; saved as {kept}")]


def test_a_name_taken_is_said_as_the_file_was_saved(project: Project) -> None:
    add_files(project, "bass", [("x.wav", DATA / "mono_int16_8k.wav")])
    result = add_files(project, "bass", [("x.mp3", DATA / "mono_int16_8k.wav")])
    assert [s.id for s in result.added] == ["x-2.wav"]
    assert result.warnings == [("x.mp3", "is the same file as x.wav, already in class 'bass': added again, it counts "
                                         "twice; delete one if that was not meant"),
                               ("x.mp3", "holds WAV audio, though named .mp3; saved as x-2.wav")]


def test_an_aiff_named_wav_is_made_playable_as_an_aiff_is(project: Project) -> None:
    result = add_files(project, "bass", [("x.wav", DATA / "mono.aiff")])
    [sample] = result.added
    assert sample.id == "x.flac"  # browsers other than Safari do not play AIFF: kept as FLAC, bit for bit
    assert result.warnings == [("x.wav", "holds AIFF audio, though named .wav; converted without loss to FLAC, "
                                         "which every browser plays, and saved as x.flac")]
    assert sf.info(project.class_dir("bass") / "x.flac").format == "FLAC"


@pytest.mark.parametrize(("name", "source"), [("x.ogg", "mono.opus"), ("x.opus", "mono.ogg"),
                                              ("x.WAV", "mono_int16_8k.wav"), ("x.mp4", "mono.m4a"),
                                              ("x.mka", "mono.webm")])
def test_a_name_of_the_same_family_is_kept_without_a_word(project: Project, name: str, source: str) -> None:
    result = add_files(project, "bass", [(name, DATA / source)])
    assert result.warnings == []
    assert [Path(s.id).suffix for s in result.added] == [Path(name).suffix.lower()]


def test_an_m4a_named_mp4_is_kept_as_it_came_not_taken_for_a_video(project: Project) -> None:
    result = add_files(project, "bass", [("x.mp4", DATA / "mono.m4a")])
    assert [s.id for s in result.added] == ["x.mp4"] and result.warnings == []
    assert (project.class_dir("bass") / "x.mp4").read_bytes() == (DATA / "mono.m4a").read_bytes()


@pytest.mark.parametrize(("name", "kept", "warning"), [
    ("x.wav", "x.wav", "is a QuickTime video, though named .wav; its sound was saved as x.wav"),
    # .m4a names the MPEG-4 family, as .mov does: the video was kept whole, picture and all, without a word
    ("y.m4a", "y.wav", "is a QuickTime video, though named .m4a; its sound was saved as y.wav"),
    ("z.mp4", "z.wav", None),  # named as a video: its sound kept, as of any video
])
def test_of_a_video_under_any_name_only_its_sound_is_kept(project: Project, name: str, kept: str,
                                                          warning: str | None) -> None:
    result = add_files(project, "bass", [(name, DATA / "phone_video.mov")])
    assert [s.id for s in result.added] == [kept] and result.skipped == []
    assert sf.info(project.class_dir("bass") / kept).format == "WAV"
    assert result.warnings == ([] if warning is None else [(name, warning)])


@pytest.mark.parametrize("name", ["takes.wav", "takes"])
def test_a_zip_named_as_audio_is_unpacked_as_a_zip_is(project: Project, tmp_path: Path, name: str) -> None:
    """A zip sent as take.wav (or with no ending) was skipped as 'could not be decoded as audio'."""
    archive = tmp_path / "upload"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(DATA / "mono_int16_8k.wav", "takes/one.wav")
        zf.write(DATA / "stereo.flac", "takes/two.flac")
    result = add_files(project, "bass", [(name, archive)])
    assert sorted(s.id for s in result.added) == ["one.wav", "two.flac"] and result.skipped == []
    ending = ".wav" if name.endswith(".wav") else "with no ending"
    assert result.warnings == [(name, f"is a zip archive, though named {ending}; unpacked, and its recordings "
                                      "added as a zip's are")]


def _mpeg4(path: Path, *, picture: bool) -> Path:
    """Half a second of a 220 Hz tone as AAC in a plain MPEG-4 (brand ``isom``, as Android writes), with a
    16×16 black picture beside it or not."""
    with av.open(str(path), "w", format="mp4") as out:
        sound = out.add_stream("aac", rate=22050)
        sound.layout = "mono"
        if picture:
            video = out.add_stream("mpeg4", rate=10)
            video.width = video.height = 16
            video.pix_fmt = "yuv420p"
            for i in range(5):
                frame = av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
                frame.pts = i
                out.mux(video.encode(frame))
            out.mux(video.encode())
        t = np.arange(11025) / 22050
        chunk = av.AudioFrame.from_ndarray((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)[None],
                                           format="fltp", layout="mono")
        chunk.sample_rate = 22050
        out.mux(sound.encode(chunk))
        out.mux(sound.encode())
    return path


def test_a_plain_mpeg4_is_a_video_only_with_a_picture(project: Project, tmp_path: Path) -> None:
    heard = _mpeg4(tmp_path / "recorder", picture=False)  # an Android recorder's take.m4a: audio only
    result = add_files(project, "bass", [("take.m4a", heard)])
    assert [s.id for s in result.added] == ["take.m4a"] and result.warnings == []
    assert (project.class_dir("bass") / "take.m4a").read_bytes() == heard.read_bytes()  # as it came
    filmed = _mpeg4(tmp_path / "camera", picture=True)
    result = add_files(project, "bass", [("film.m4a", filmed)])
    assert [s.id for s in result.added] == ["film.wav"]
    assert result.warnings == [("film.m4a", "is an MPEG-4 video, though named .m4a; its sound was saved as film.wav")]
