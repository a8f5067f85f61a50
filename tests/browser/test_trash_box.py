""""Recently deleted": a delete's Undo stays possible after its toast is gone (QA: the toast lasted 12 s and
then nothing on the page could bring the class back), and a delete can be removed for good."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from earmark.demo import demo_data_dir

pytestmark = pytest.mark.browser


def test_recently_deleted_restores_after_the_toast_and_deletes_for_good(page: Page, studio, empty_project,
                                                                       page_errors) -> None:
    notes = sorted((demo_data_dir() / "train" / "bass").glob("*.ogg"))[:3]
    for name, files in (("bass", notes[:1]), ("drums", notes[1:])):
        studio.add_class(empty_project, name, files)
    one = studio.samples(empty_project, "bass")[0]["id"]
    studio.client.delete(f"/api/projects/{empty_project}/samples/bass/{one}").raise_for_status()
    page.on("dialog", lambda dialog: dialog.accept())
    studio.open(page, empty_project)

    page.click("[data-testid=class-drums]")
    page.click("#delete-class-btn")
    expect(page.locator("[data-testid=class-drums]")).to_have_count(0)
    page.locator("[data-testid=toast-info] .toast-close").first.click()  # the toast, and its Undo, gone
    expect(page.locator("[data-testid=toast-action]")).to_have_count(0)

    page.click("#trash-box summary")
    entries = page.locator("[data-testid=trash-entry]")
    expect(entries).to_have_count(2)
    expect(entries.nth(0)).to_contain_text("class “drums” and its 2 samples")  # newest first
    expect(entries.nth(1)).to_contain_text(f"“{one.rsplit('/', 1)[-1]}” of class “bass”")
    expect(page.locator("#trash-count")).to_have_text("(2)")

    entries.nth(0).locator("[data-testid=trash-restore]").click()
    expect(page.locator("[data-testid=toast-info]", has_text="Restored")).to_contain_text(
        "Restored class “drums” and its 2 samples.")
    expect(page.locator("[data-testid=class-drums]")).to_have_count(1)
    expect(entries).to_have_count(1)  # the list follows the project
    assert len(studio.samples(empty_project, "drums")) == 2

    entries.nth(0).locator("[data-testid=trash-remove]").click()  # the confirmation is accepted
    expect(page.locator("[data-testid=toast-info]", has_text="for good")).to_be_visible()
    expect(page.locator("#trash-list")).to_contain_text("Nothing deleted")
    assert studio.client.get(f"/api/projects/{empty_project}/trash").json() == {"deleted": []}
    assert len(studio.samples(empty_project, "bass")) == 0  # the sample is gone for good, not back
    expect(page.locator("[data-testid=toast-error]")).to_have_count(0)
    assert not page_errors
