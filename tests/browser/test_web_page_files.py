"""The exported web page's file picker (`earmark export MODEL --web FOLDER`): a file that fails, or the
next one being read, does not leave the last file's bars on screen, and the same file can be picked again."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from earmark.demo import demo_data_dir

from .test_web_export import classifier, site, web_page  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_a_file_that_fails_clears_the_last_files_bars(web_page: Page) -> None:  # noqa: F811 - the fixture
    drum = sorted((demo_data_dir() / "train" / "drums").glob("*.ogg"))[0]
    web_page.set_input_files("#file", str(drum))
    expect(web_page.locator("#file-bars meter")).to_have_count(3, timeout=30000)
    expect(web_page.locator("#file-label")).to_have_attribute("data-label", "drums")
    # the input is emptied once read: picking the same file again is a change, and reads it again
    assert web_page.locator("#file").evaluate("f => f.value") == ""

    web_page.set_input_files("#file", files=[{"name": "notes.wav", "mimeType": "audio/wav", "buffer": b"not audio"}])
    expect(web_page.locator("#error")).to_be_visible(timeout=30000)
    expect(web_page.locator("#file-bars meter")).to_have_count(0)
    expect(web_page.locator("#file-label")).to_have_text("")
    expect(web_page.locator("#file-label")).not_to_have_attribute("data-label", "drums")
    assert web_page.locator("#file").evaluate("f => f.value") == ""
