"""Tests for earmark.naming: free names that never overwrite, and are free in any case."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from earmark.errors import ParameterError
from earmark.naming import clean_name, free_path, name_key, new_file, place_file, quoted, undecodable

NFD_CAFE = unicodedata.normalize("NFD", "café")


def test_a_name_taken_in_another_case_or_unicode_form_is_taken(tmp_path: Path) -> None:
    """``Bass.wav`` beside ``bass.wav``, or ``café`` written by a Mac beside ``café``: one file on macOS."""
    (tmp_path / "Bass.wav").write_bytes(b"x")
    (tmp_path / f"{NFD_CAFE}.wav").write_bytes(b"x")
    assert free_path(tmp_path / "bass.wav", any_case=True).name == "bass-2.wav"
    assert free_path(tmp_path / "café.wav", any_case=True).name == "café-2.wav"
    assert free_path(tmp_path / "bass.wav").name == "bass.wav", "without any_case only the exact name counts"
    assert name_key("BASS.wav") == name_key("bass.WAV") and name_key(NFD_CAFE) == name_key("Café")


def test_names_chosen_one_after_another_never_match_ignoring_case(tmp_path: Path) -> None:
    chosen = []
    for name in ["take.wav", "Take.wav", "TAKE.wav", "take.wav", "take-2.wav"]:
        with new_file(tmp_path / name) as target:
            target.write_bytes(b"x")
        chosen.append(target.name)
    assert chosen == ["take.wav", "Take-2.wav", "TAKE-3.wav", "take-4.wav", "take-2-2.wav"]
    assert len({name_key(p.name) for p in tmp_path.iterdir()}) == 5


def test_a_file_written_by_another_program_is_seen(tmp_path: Path) -> None:
    """The listing kept between names is read again when the folder changed behind earmark's back."""
    with new_file(tmp_path / "a.wav") as target:
        target.write_bytes(b"x")
    (tmp_path / "Kick.wav").write_bytes(b"x")  # e.g. copied in by hand
    os.utime(tmp_path, ns=(1, 1))  # a clock tick later, whatever this disk's clock resolution
    assert free_path(tmp_path / "kick.wav", any_case=True).name == "kick-2.wav"
    (tmp_path / "Kick.wav").unlink()  # and a name freed is free again
    os.utime(tmp_path, ns=(2, 2))
    assert free_path(tmp_path / "kick.wav", any_case=True).name == "kick.wav"


def test_a_freed_number_is_used_again(tmp_path: Path) -> None:
    for _ in range(4):
        with new_file(tmp_path / "take.wav") as target:
            target.write_bytes(b"x")
    (tmp_path / "take-3.wav").unlink()
    os.utime(tmp_path, ns=(1, 1))
    assert free_path(tmp_path / "take.wav", any_case=True).name == "take-3.wav"


def test_a_link_to_nothing_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "take.wav").symlink_to(tmp_path / "gone.wav")
    assert free_path(tmp_path / "take.wav").name == "take-2.wav"


@pytest.mark.parametrize("name", ["हिंदी", "தமிழ்", NFD_CAFE, "q\u0303"])
def test_names_in_scripts_with_combining_marks_are_clean(name: str) -> None:
    """Hindi's and Tamil's vowel signs, and accents, are combining marks: part of a letter."""
    assert clean_name(name, what="class") == unicodedata.normalize("NFC", name)


@pytest.mark.parametrize("name", ["\u0301a", "a!b", "a..b"])
def test_unsafe_names_are_still_refused(name: str) -> None:
    with pytest.raises(ParameterError, match="cannot be used; use 1–64 letters"):
        clean_name(name, what="class")


def test_place_file_moves_a_written_file_to_a_free_name_without_overwriting(tmp_path: Path) -> None:
    """A file written under a hidden name beside the folder lands whole under a name free in any case
    (``Bass.wav`` is there: ``bass-2.wav``), and its hidden name is gone."""
    folder = tmp_path / "bass"
    folder.mkdir()
    (folder / "Bass.wav").write_bytes(b"old")
    staged = tmp_path / ".staged-1.tmp"
    staged.write_bytes(b"new")
    placed = place_file(staged, folder / "bass.wav")
    assert placed == folder / "bass-2.wav"
    assert (folder / "Bass.wav").read_bytes() == b"old" and placed.read_bytes() == b"new"
    assert not staged.exists()
    staged.write_bytes(b"newer")  # the listing kept by place_file is current: the next name is the next one
    assert place_file(staged, folder / "BASS.wav").name == "BASS-3.wav"


def test_quoted_shows_a_byte_that_is_not_utf8_as_that_byte() -> None:
    assert quoted(os.fsdecode(b"b\xe4ss\t")) == "'b\\xe4ss\\t'"
    assert not undecodable("bäss") and undecodable(os.fsdecode(b"b\xe4ss"))
