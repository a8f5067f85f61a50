"""Evaluate on a folder chosen in a real browser: a class's takes kept in folders of their own count
as that class (as ``earmark evaluate MODEL TEST_DIR`` reads them), the files that were not scored are
listed with why, and a Mac's ``._`` companions and .DS_Store are left out without a word."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from earmark.demo import demo_data_dir

pytestmark = pytest.mark.browser

#: What a Mac writes beside a file copied to a disk it does not own: an AppleDouble header, no audio.
APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(64)


def _nested_test_set(root: Path) -> Path:
    """The demo's test set, two of its bass files moved to folders of their own, both called riff.ogg;
    with a damaged file, notes, and the clutter a Mac leaves."""
    shutil.copytree(demo_data_dir() / "test", root)
    bass = sorted((root / "bass").iterdir())
    for session, file in zip(("session 1", "session 2"), bass[:2], strict=True):
        (root / "bass" / session).mkdir()
        file.rename(root / "bass" / session / "riff.ogg")
        (root / "bass" / session / "._riff.ogg").write_bytes(APPLE_DOUBLE)
    (root / "bass" / "session 2" / "broken.wav").write_bytes(b"RIFF junk")
    (root / "drums" / "notes.txt").write_text("mic: SM57\n")
    (root / ".DS_Store").write_bytes(APPLE_DOUBLE)
    return root


def _support(page: Page, class_name: str) -> str:
    row = page.locator("#eval-result [data-testid=report] table.per-class-table tbody tr",
                       has=page.locator("td", has_text=class_name)).first
    return row.locator("td").last.inner_text()


def test_a_folder_with_a_class_in_subfolders_is_scored_as_its_classes(page: Page, studio, tmp_path: Path,
                                                                       page_errors) -> None:
    project = studio.create_project("evaluate nested e2e", demo=True)
    model = studio.train(project, epochs=1, seed=0)  # one epoch: the scores do not matter here
    picked = _nested_test_set(tmp_path / "my test set")
    n_bass = len(list((demo_data_dir() / "test" / "bass").iterdir()))

    studio.open(page, project, "evaluate")
    page.select_option("#eval-model", model["id"])
    page.set_input_files("#eval-folder", str(picked))
    report = page.locator("#eval-result [data-testid=report]")
    expect(report.locator("[data-testid=report-accuracy]")).to_contain_text("%", timeout=30000)
    expect(report.locator("table.confusion tbody tr")).to_have_count(3)  # the model's classes, no "session 1"
    assert _support(page, "bass") == str(n_bass), "both riff.ogg counted, as bass"

    skipped = page.locator("#eval-result [data-testid=eval-skipped]")
    expect(skipped).to_contain_text("Skipped 2 files of the test set")
    items = skipped.locator("[data-testid=skipped-list] li")
    expect(items).to_have_count(2)
    expect(items.filter(has_text="bass/session 2/broken.wav")).to_have_count(1)
    expect(items.filter(has_text="drums/notes.txt")).to_contain_text("not an audio file")
    expect(page.locator("#eval-result")).not_to_contain_text("._riff")
    expect(page.locator("#eval-result")).not_to_contain_text("DS_Store")

    # a folder holding one class, its takes in folders: still that class (not "session 1", "session 2")
    only_bass = tmp_path / "only bass"
    shutil.copytree(picked / "bass", only_bass / "bass")
    page.set_input_files("#eval-folder", str(only_bass))
    expect(page.locator("#eval-result [data-testid=eval-skipped]")).to_contain_text("Skipped 1 file ",
                                                                                   timeout=30000)
    assert _support(page, "bass") == str(n_bass)
    assert not page_errors
