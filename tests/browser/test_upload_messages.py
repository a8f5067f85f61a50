"""What the page says about an upload: the class by the name it shows (not its folder's), and the files
kept though they are cut short (a download or copy broken off), beside the files skipped."""

from __future__ import annotations

import io
import re
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
    page.wait_for_timeout(50)
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("[data-testid=added-count]")).to_have_text("Added 1 sample, skipped 1.")
    expect(page.locator("[data-testid=skipped-list]")).to_contain_text("notes.txt: not an audio file (.txt)")
    expect(page.locator("[data-testid=warned-list]")).to_have_text(re.compile(
        r"cut\.mp3 \(kept\): ends after \d\.\d s of the 10\.0 s its header promises; the file may be cut short "
        r"\(a download or copy broken off\): re-export or re-copy it to use all of it"))
    expect(page.locator("[data-testid=sample-card]")).to_have_count(1)
    assert not page_errors


def test_an_upload_of_whole_files_lists_no_warnings(page: Page, studio, empty_project, page_errors: Any) -> None:
    studio.open(page, empty_project)
    page.click("[data-testid=class-background]")
    page.set_input_files("#sample-files", [{"name": "whole.mp3", "mimeType": "audio/mpeg", "buffer": _mp3(keep=1.0)}])
    expect(page.locator("[data-testid=added-count]")).to_have_text("Added 1 sample.")
    expect(page.locator("[data-testid=warned-list]")).to_have_count(0)
    assert not page_errors
