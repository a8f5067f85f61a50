"""What the page says about an upload: the class by the name it shows (not its folder's), and the files
kept though they are cut short (a download or copy broken off), beside the files skipped; and the same
lists for a project imported from a zip."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.browser

SR = 22050


def _mp3(*, keep: float) -> bytes:
    """A 10 s tone as MP3, its bytes cut after ``keep`` of them."""
    buf = io.BytesIO()
    sf.write(buf, (0.3 * np.sin(2 * np.pi * 440 * np.arange(10 * SR) / SR)).astype(np.float32), SR, format="MP3")
    data = buf.getvalue()
    return data[: int(len(data) * keep)]


def test_an_upload_names_its_class_as_shown_and_the_files_cut_short(page: Page, studio, empty_project,
                                                                    page_errors) -> None:
    held: list[Route] = []  # the upload, held until the page has been seen saying where it goes

    def hold(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r".*/classes/background/samples$"), hold)
    studio.open(page, empty_project)
    page.click("[data-testid=class-background]")
    expect(page.locator("#class-title")).to_have_text("Background Noise")
    page.set_input_files("#sample-files", [
        {"name": "cut.mp3", "mimeType": "audio/mpeg", "buffer": _mp3(keep=0.5)},
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not audio"}])
    # while it uploads: the class as the page names it (its folder is "background")
    expect(page.locator("#upload-result")).to_have_text(re.compile(r"Uploading 2 file\(s\) to Background Noise…"))
    for _ in range(200):  # the request reaches Python's handler while Playwright waits
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("[data-testid=added-count]")).to_have_text("Added 1 sample, skipped 1.")
    expect(page.locator("[data-testid=skipped-list]")).to_contain_text("notes.txt: not an audio file (.txt)")
    expect(page.locator("[data-testid=warned-list]")).to_have_text(re.compile(
        r"cut\.mp3 \(kept\): ends after \d\.\d s of the 10\.0 s its header promises; the file may be cut short "
        r"\(a download or copy broken off\), or its header may be wrong: if it should be longer, re-export or "
        r"re-copy it to use all of it"))
    expect(page.locator("[data-testid=sample-card]")).to_have_count(1)
    assert not page_errors


def test_an_upload_of_whole_files_lists_no_warnings(page: Page, studio, empty_project, page_errors: Any) -> None:
    studio.open(page, empty_project)
    page.click("[data-testid=class-background]")
    page.set_input_files("#sample-files", [{"name": "whole.mp3", "mimeType": "audio/mpeg", "buffer": _mp3(keep=1.0)}])
    expect(page.locator("[data-testid=added-count]")).to_have_text("Added 1 sample.")
    expect(page.locator("[data-testid=warned-list]")).to_have_count(0)
    assert not page_errors


def _wav() -> bytes:
    buf = io.BytesIO()
    sf.write(buf, (0.3 * np.sin(2 * np.pi * 110 * np.arange(SR) / SR)).astype(np.float32), SR, format="WAV")
    return buf.getvalue()


def _zip(tmp_path: Path, name: str, files: dict[str, bytes]) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for inner, data in files.items():
            archive.writestr(inner, data)
    return path


def test_an_import_lists_the_files_it_skipped_and_kept_with_warnings(page: Page, studio, empty_project, tmp_path,
                                                                      page_errors) -> None:
    band = _zip(tmp_path, "band.zip", {"bass/low.wav": _wav(), "bass/cut.mp3": _mp3(keep=0.5),
                                       "bass/notes.txt": b"not audio", "drums/hit.wav": _wav()})
    studio.open(page, empty_project)
    page.set_input_files("#import-project-input", str(band))
    report = page.locator("[data-testid=import-result]")
    expect(report.locator("[data-testid=import-count]")).to_have_text(
        "Project “band” imported: 3 samples, skipped 1 file, 1 kept with a warning.")
    expect(report.locator("[data-testid=skipped-list]")).to_contain_text("bass/notes.txt: not an audio file (.txt)")
    expect(report.locator("[data-testid=warned-list]")).to_have_text(re.compile(
        r"^bass/cut\.mp3 \(kept\): ends after \d\.\d s of the 10\.0 s its header promises"))
    expect(report.locator("[data-testid=import-empty]")).to_have_count(0)
    expect(page.locator("#project-select")).to_have_value(re.compile("band"))
    page.click("#import-result-close")
    expect(report).to_be_hidden()
    assert not page_errors


def test_an_import_of_nothing_usable_says_so_and_what_to_do(page: Page, studio, empty_project, tmp_path,
                                                            page_errors) -> None:
    broken = _zip(tmp_path, "broken.zip", {"bass/a.wav": b"RIFF not really", "bass/readme.md": b"# hi"})
    studio.open(page, empty_project)
    page.set_input_files("#import-project-input", str(broken))
    report = page.locator("[data-testid=import-result]")
    expect(report.locator("[data-testid=import-count]")).to_have_text(
        "Project “broken” imported: 0 samples, skipped 2 files.")
    expect(report.locator("[data-testid=import-empty]")).to_contain_text("None of its files could be used")
    expect(report.locator("[data-testid=skipped-list] li")).to_have_count(2)
    page.select_option("#project-select", empty_project)  # another project: the report is about this one no more
    expect(report).to_be_hidden()
    assert not page_errors


def test_an_import_with_nothing_wrong_only_says_so(page: Page, studio, empty_project, tmp_path, page_errors) -> None:
    good = _zip(tmp_path, "good.zip", {"bass/low.wav": _wav(), "drums/hit.wav": _wav()})
    studio.open(page, empty_project)
    page.set_input_files("#import-project-input", str(good))
    expect(page.locator("[data-testid=toast-info]").last).to_contain_text("Project “good” imported: 2 samples.")
    expect(page.locator("[data-testid=import-result]")).to_be_hidden()
    assert not page_errors


def test_an_upload_of_only_system_files_says_what_to_choose(page: Page, studio, empty_project, page_errors) -> None:
    studio.open(page, empty_project)
    page.click("[data-testid=class-background]")
    page.set_input_files("#sample-files", [{"name": ".DS_Store", "mimeType": "application/octet-stream",
                                            "buffer": b"\0\0\0\1Bud1"}])
    expect(page.locator("[data-testid=added-count]")).to_have_text(
        "Added no samples: the upload held only hidden or system files (such as .DS_Store), which are left out. "
        "Choose the audio files, or the folder that holds them.")
    expect(page.locator("[data-testid=skipped-list]")).to_have_count(0)
    assert not page_errors
