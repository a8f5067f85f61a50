"""Tests for earmark.archive: a zip's names read as its zipper meant them, and no file of it lost
to another of the same name (in any case, or with ``\\`` for ``/``), wherever it is unpacked.
(Unsafe names, limits and damaged zips: test_dataset.py.)"""

from __future__ import annotations

import json
import locale
import struct
import unicodedata
import warnings
import zipfile
import zlib
from pathlib import Path

import pytest

from conftest import SR, wav_bytes
from earmark.archive import extract_zip, zip_members
from earmark.dataset import load_dataset
from earmark.errors import ZipNameWarning
from earmark.naming import name_key
from earmark.projectfile import PROJECT_FILE, zipped_project

NFD_CAFE = unicodedata.normalize("NFD", "café")


def make_zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as zf:
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": what these zips are made of
        for name, data in members:
            zf.writestr(name, data)
    return path


def without_utf8_flag(path: Path) -> Path:
    """Clear the flag that says a member's name is UTF-8, in its local header and in the central
    directory, keeping its bytes: as macOS's and Linux's zippers write names. (zipfile sets the flag
    for every name that is not ASCII, and a ZipInfo's ``flag_bits`` cannot clear it.)"""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        offsets = [info.header_offset for info in zf.infolist()]
    for offset in offsets:
        assert data[offset:offset + 4] == b"PK\x03\x04"
        data[offset + 7] &= ~0x08  # bit 11 of the flags at offset 6
    end = data.rindex(b"PK\x05\x06")
    entry = int.from_bytes(data[end + 16:end + 20], "little")
    for _ in offsets:
        assert data[entry:entry + 4] == b"PK\x01\x02"
        data[entry + 9] &= ~0x08  # the flags at offset 8
        entry += 46 + sum(int.from_bytes(data[entry + k:entry + k + 2], "little") for k in (28, 30, 32))
    path.write_bytes(bytes(data))
    return path


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its path, checked to have no twin a case-insensitive disk would merge."""
    found = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    assert len({name_key(n) for n in found}) == len(found), f"twins: {list(found)}"
    return found


@pytest.mark.parametrize("second", ["bass/a.wav", "bass\\a.wav", "bass/A.wav", f"bass/{NFD_CAFE}.wav"])
def test_a_second_file_of_one_name_is_kept_under_a_free_name(tmp_path: Path, second: str) -> None:
    first = "bass/café.wav" if "caf" in second else "bass/a.wav"
    archive = make_zip(tmp_path / "sounds.zip", [(first, b"first"), (second, b"second"), ("drums/b.wav", b"b")])
    root = extract_zip(archive, tmp_path / "out")
    stem = "café" if "caf" in second else second[5]
    assert files(root) == {first: b"first", f"bass/{stem}-2.wav": b"second", "drums/b.wav": b"b"}


def test_the_same_bytes_twice_under_one_name_are_one_file(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "sounds.zip", [("bass/a.wav", b"same"), ("bass/A.wav", b"same"),
                                                 ("bass/a.wav", b"other")])
    assert files(extract_zip(archive, tmp_path / "out")) == {"bass/a.wav": b"same", "bass/a-2.wav": b"other"}


def test_a_free_name_never_takes_a_later_files_own_name(tmp_path: Path) -> None:
    """``bass/a-2.wav`` keeps its name though ``Bass/a.wav`` came first and needed a free one."""
    archive = make_zip(tmp_path / "sounds.zip", [("bass/a.wav", b"first"), ("Bass/a.wav", b"second"),
                                                 ("bass/a-2.wav", b"third")])
    assert files(extract_zip(archive, tmp_path / "out")) == {"bass/a.wav": b"first", "bass/a-3.wav": b"second",
                                                             "bass/a-2.wav": b"third"}


def test_a_file_named_as_a_folder_beside_it_gets_a_free_name(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "sounds.zip", [("bass", b"a file"), ("Bass/a.wav", b"a")])
    assert files(extract_zip(archive, tmp_path / "out")) == {"Bass/a.wav": b"a", "bass-2": b"a file"}


def test_class_folders_spelt_in_two_cases_are_one_class_with_every_file(tmp_path: Path) -> None:
    """As the zip unpacks on macOS or Windows, where the two are one folder, but no file is lost."""
    members = [(f"{folder}/{name}.wav", wav_bytes(0.5, freq=110 * (k + 1)))
               for k, (folder, name) in enumerate([("Bass", "x"), ("bass", "x"), ("bass", "y"), ("BASS", "z"),
                                                   ("background", "room"), (f"{NFD_CAFE}", "a"), ("café", "b")])]
    archive = make_zip(tmp_path / "sounds.zip", members)
    root = extract_zip(archive, tmp_path / "out")
    assert sorted(files(root)) == ["Bass/x-2.wav", "Bass/x.wav", "Bass/y.wav", "Bass/z.wav", "background/room.wav",
                                   "café/a.wav", "café/b.wav"]
    assert load_dataset(archive, sample_rate=SR).counts() == {"background": 1, "Bass": 4, "café": 2}


def test_a_zip_of_one_folder_spelt_in_two_cases_is_unwrapped(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "sounds.zip", [("My Sounds/bass/a.wav", wav_bytes(0.5)),
                                                 ("my sounds/background/b.wav", wav_bytes(0.5, freq=220))])
    root = extract_zip(archive, tmp_path / "out")
    assert root == tmp_path / "out" / "My Sounds"
    assert load_dataset(archive, sample_rate=SR).counts() == {"background": 1, "bass": 1}


def test_names_written_in_utf8_without_the_flag_read_as_utf8(tmp_path: Path) -> None:
    """macOS's and Linux's zippers often write UTF-8 names (macOS's decomposed) without the flag
    that says so; a name that is not UTF-8 is a DOS zipper's, in cp437 (0x82 is é there)."""
    archive = make_zip(tmp_path / "sounds.zip", [(f"{NFD_CAFE}/Grüße ♪.wav", wav_bytes(0.5)),
                                                 ("background/room.wav", wav_bytes(0.5, freq=220))])
    without_utf8_flag(archive)
    with zipfile.ZipFile(archive) as zf:  # what Python's zipfile makes of it
        assert zf.namelist()[0] == f"{NFD_CAFE}/Grüße ♪.wav".encode().decode("cp437")
    assert files(extract_zip(archive, tmp_path / "out")) == {"background/room.wav": wav_bytes(0.5, freq=220),
                                                             "café/Grüße ♪.wav": wav_bytes(0.5)}
    assert [c.source for c in load_dataset(archive, sample_rate=SR).clips] == \
        ["background/room.wav", "café/Grüße ♪.wav"]

    dos = make_zip(tmp_path / "dos.zip", [("cafX/a.wav", b"a")])
    dos.write_bytes(dos.read_bytes().replace(b"cafX/", b"caf\x82/"))  # in its headers and central directory
    with zipfile.ZipFile(dos) as zf:
        assert [m.name for m in zip_members(zf)] == ["café/a.wav"]


def unicode_path(name: str, *, for_name: bytes) -> bytes:
    """Info-ZIP's Unicode Path extra field: ``name`` in UTF-8, for the member named ``for_name``."""
    utf8 = name.encode()
    return struct.pack("<HHBL", 0x7075, 5 + len(utf8), 1, zlib.crc32(for_name)) + utf8


def test_a_name_in_another_code_page_reads_as_the_utf8_name_kept_beside_it(tmp_path: Path) -> None:
    """A Windows zipper writes ``бас`` in its own code page (cp866), which is not UTF-8 and reads
    as nonsense in cp437; the UTF-8 name it keeps beside it counts, where it was made for that name."""
    archive = tmp_path / "sounds.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for placeholder, real, stale in [("XYZ/a.wav", "бас/a.wav", False), ("XYZ/b.wav", "бас/b.wav", True)]:
            info = zipfile.ZipInfo(placeholder)
            info.extra = unicode_path("stale/b.wav" if stale else real, for_name=b"other" if stale else
                                      real.encode("cp866"))
            zf.writestr(info, b"a")
    archive.write_bytes(archive.read_bytes().replace(b"XYZ/", "бас/".encode("cp866")))
    with zipfile.ZipFile(archive) as zf:  # the stale one's is not taken: its name reads in cp866, as Russian
        assert [m.name for m in zip_members(zf)] == ["бас/a.wav", "бас/b.wav"]


def zip_in_code_page(path: Path, members: list[tuple[str, bytes]], *, code_page: str) -> Path:
    """A zip as Windows' zipper makes it on a computer whose language's DOS code page is ``code_page``:
    names in that code page, without the UTF-8 flag (zipfile writes names that are not ASCII in UTF-8
    and flags them, so each is written as an ASCII stand-in of its length, then its bytes put there)."""
    raws = [name.encode(code_page) for name, _ in members]
    stand_ins = [f"@{k}@".ljust(len(raw), "#").encode() for k, raw in enumerate(raws)]
    make_zip(path, [(stand_in.decode(), data) for stand_in, (_, data) in zip(stand_ins, members, strict=True)])
    data = path.read_bytes()
    for stand_in, raw in zip(stand_ins, raws, strict=True):
        assert data.count(stand_in) == 2  # its local header and its central directory entry
        data = data.replace(stand_in, raw)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("code_page", "names"), [
    ("cp932", ["ベース/低音.wav", "ドラム/キック 01.wav", "背景/雑音.wav"]),
    ("gbk", ["贝斯/a.wav", "鼓/底鼓.wav", "背景/噪音.wav"]),
    ("cp866", ["бас/a.wav", "Барабаны/бочка 1.wav", "фон/шум.wav"]),
])
def test_names_in_a_windows_code_page_read_in_it(tmp_path: Path, code_page: str, names: list[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Japanese, Chinese and Russian Windows write names in their DOS code page, unflagged: each reads
    as its language (every name of the zip together), whatever this computer's language."""
    monkeypatch.setattr(locale, "getlocale", lambda category=None: ("en_US", "UTF-8"))
    archive = zip_in_code_page(tmp_path / "sounds.zip", [(name, wav_bytes(0.5, freq=110 * (k + 1)))
                                                         for k, name in enumerate(names)], code_page=code_page)
    with zipfile.ZipFile(archive) as zf:
        assert zf.namelist() == [name.encode(code_page).decode("cp437") for name in names]  # Python's reading
        with warnings.catch_warnings():
            warnings.simplefilter("error", ZipNameWarning)
            assert [m.name for m in zip_members(zf)] == names
    assert sorted(files(extract_zip(archive, tmp_path / "out"))) == sorted(names)
    assert load_dataset(archive, sample_rate=SR).counts() == {name.split("/")[0]: 1 for name in names}


def test_names_that_read_as_korean_and_as_chinese_warn_unless_this_computer_says(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Korean name (cp949) reads as Chinese hanzi too (gbk: the same bytes): it is kept as
    Python reads it (cp437), with a warning that names the member and says what to do; on a Korean
    computer, whose Windows would write names in cp949, they read as Korean."""
    names = ["베이스/a.wav", "드럼/킥.wav"]
    archive = zip_in_code_page(tmp_path / "sounds.zip", [(name, b"x") for name in names], code_page="cp949")
    monkeypatch.setattr(locale, "getlocale", lambda category=None: ("en_US", "UTF-8"))
    with zipfile.ZipFile(archive) as zf, pytest.warns(ZipNameWarning) as said:
        assert [m.name for m in zip_members(zf)] == [name.encode("cp949").decode("cp437") for name in names]
    message = str(said[0].message)
    assert "베이스/a.wav".encode("cp949").decode("cp437") in message
    assert "Chinese (gbk) or Korean (cp949)" in message and "-mcu=on" in message and "folder" in message

    monkeypatch.setattr(locale, "getlocale", lambda category=None: ("ko_KR", "UTF-8"))
    with zipfile.ZipFile(archive) as zf, warnings.catch_warnings():
        warnings.simplefilter("error", ZipNameWarning)
        assert [m.name for m in zip_members(zf)] == names


def test_a_project_zip_is_read_with_the_names_it_unpacks_to(tmp_path: Path) -> None:
    meta = {"format": "earmark-project", "name": "band"}
    archive = make_zip(tmp_path / "band.zip", [(f"band/{PROJECT_FILE}", json.dumps(meta).encode()),
                                               (f"band/samples/{NFD_CAFE}/a.wav", b"a"),
                                               ("band/samples/café/a.wav", b"b")])
    without_utf8_flag(archive)
    project = zipped_project(archive)
    assert project is not None and project.top == ("band",)
    assert sorted(project.files) == [(PROJECT_FILE,), ("samples", "café", "a-2.wav"), ("samples", "café", "a.wav")]


@pytest.mark.parametrize(("code_page", "names"), [
    ("cp1252", ["bäss/take.wav", "Kläng/a.wav", "background/room.wav"]),  # b"b\xe4ss" reads as b舖s in cp932
    ("cp1252", ["Canção/a.wav", "Tête/b.wav"]),  # Can玢o (gbk), T黎e (cp932)
    ("cp437", ["crème/a.wav"]),  # cr確e (cp932): Windows' own Western zipper
])
def test_latin_names_are_not_read_as_kanji_inside_a_word(tmp_path: Path, code_page: str, names: list[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A Latin-1 (cp1252) or DOS Western zipper's accented letter and the letter after it read as one
    kanji or hanzi set inside a Latin word: the names read as Latin words, without a warning."""
    monkeypatch.setattr(locale, "getlocale", lambda category=None: ("en_US", "UTF-8"))
    archive = zip_in_code_page(tmp_path / "sounds.zip", [(name, wav_bytes(0.5, freq=110 * (k + 1)))
                                                         for k, name in enumerate(names)], code_page=code_page)
    with zipfile.ZipFile(archive) as zf, warnings.catch_warnings():
        warnings.simplefilter("error", ZipNameWarning)
        assert [m.name for m in zip_members(zf)] == names
    assert sorted(files(extract_zip(archive, tmp_path / "out"))) == sorted(names)


def test_a_latin1_name_that_reads_as_japanese_too_is_western_with_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``élan`` from a Latin-1 zipper reads as ``駘an`` in Japanese cp932 as well: a Western computer
    reads it as Western, and says it could be Japanese; a Japanese computer reads it as Japanese."""
    archive = zip_in_code_page(tmp_path / "sounds.zip", [("élan/a.wav", b"x")], code_page="cp1252")
    monkeypatch.setattr(locale, "getlocale", lambda category=None: ("de_DE", "UTF-8"))
    with zipfile.ZipFile(archive) as zf, pytest.warns(ZipNameWarning) as said:
        assert [m.name for m in zip_members(zf)] == ["élan/a.wav"]
    message = str(said[0].message)
    assert "'élan/a.wav', read as Western (cp1252), could be Japanese (cp932: '駘an/a.wav')" in message
    assert "-mcu=on" in message

    monkeypatch.setattr(locale, "getlocale", lambda category=None: ("ja_JP", "UTF-8"))
    with zipfile.ZipFile(archive) as zf, warnings.catch_warnings():
        warnings.simplefilter("error", ZipNameWarning)
        assert [m.name for m in zip_members(zf)] == ["駘an/a.wav"]
