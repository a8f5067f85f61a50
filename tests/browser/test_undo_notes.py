"""A delete's Undo that could not put things back as they were says so in its toast: a class whose name was
taken since comes back under a free name (drums-2), and the toast names that class and gives the server's note."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from earmark.demo import demo_data_dir

pytestmark = pytest.mark.browser


def test_undo_of_a_class_delete_after_its_name_was_taken_says_where_it_came_back(page: Page, studio, empty_project,
                                                                                 page_errors) -> None:
    """QA: drums deleted, bass renamed drums, Undo: the toast said "Restored class “drums”" though drums came
    back as drums-2 (the answer's classes); it names drums-2 and says why."""
    notes = sorted((demo_data_dir() / "train" / "bass").glob("*.ogg"))[:3]
    for name, files in (("bass", notes[:1]), ("drums", notes[1:])):
        studio.add_class(empty_project, name, files)
    page.on("dialog", lambda dialog: dialog.accept())
    studio.open(page, empty_project)
    page.click("[data-testid=class-drums]")
    expect(page.locator("#class-title")).to_have_text("drums")
    page.click("#delete-class-btn")
    expect(page.locator("[data-testid=class-drums]")).to_have_count(0)
    page.click("[data-testid=class-bass]")
    page.click("#rename-class-btn")
    page.fill("#rename-class-name", "drums")
    page.click("#rename-class-save")
    expect(page.locator("#class-title")).to_have_text("drums")

    page.locator("[data-testid=toast-info]", has_text="Deleted class “drums”").locator(
        "[data-testid=toast-action]").click()
    expect(page.locator("[data-testid=toast-info]", has_text="Restored")).to_have_text(re.compile(re.escape(
        "Restored class “drums” and its 2 samples, now in class “drums-2”. Class 'drums' comes back as 'drums-2': "
        "another class is called 'drums' now.")))
    expect(page.locator("#class-title")).to_have_text("drums-2")  # the page shows the class it came back as
    assert [c["name"] for c in studio.project(empty_project)["classes"]] == ["background", "drums", "drums-2"]
    assert len(studio.samples(empty_project, "drums")) == 1 and len(studio.samples(empty_project, "drums-2")) == 2
    expect(page.locator("[data-testid=toast-error]")).to_have_count(0)
    assert not page_errors
