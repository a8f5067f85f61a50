"""A deleted project can be restored after its Undo message is gone: the New project form lists the deleted
projects (QA: the toast lasted 12 s, then only the projects folder's .trash by hand brought it back)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_a_deleted_project_is_restored_from_the_new_project_form(page: Page, studio, empty_project,
                                                                 page_errors) -> None:
    keep = studio.create_project("keep me open")
    gone = studio.client.delete(f"/api/projects/{empty_project}").json()["undo"]
    page.on("dialog", lambda dialog: dialog.accept())
    studio.open(page, keep)  # a page opened after the delete: no Undo to click

    page.click("#new-project-btn")
    page.click("#deleted-projects summary")
    entry = page.locator(f"[data-testid=deleted-project][data-id='{gone}']")
    expect(entry).to_contain_text(f"“{empty_project}”")
    entry.locator("[data-testid=project-restore]").click()
    expect(page.locator("[data-testid=toast-info]", has_text="Restored the project")).to_contain_text(empty_project)
    expect(page.locator("body")).to_have_attribute("data-project", empty_project)  # it is open
    expect(page.locator("#new-project-form")).to_be_hidden()
    assert gone not in [e["id"] for e in studio.client.get("/api/trash").json()["deleted"]]

    again = studio.client.delete(f"/api/projects/{keep}").json()["undo"]
    page.click("#new-project-btn")
    page.locator("#deleted-projects summary").click()  # closed, then open again: listed anew
    page.locator("#deleted-projects summary").click()
    entry = page.locator(f"[data-testid=deleted-project][data-id='{again}']")
    entry.locator("[data-testid=project-remove]").click()  # the confirmation is accepted
    expect(page.locator("[data-testid=toast-info]", has_text="for good")).to_be_visible()
    expect(entry).to_have_count(0)
    assert again not in [e["id"] for e in studio.client.get("/api/trash").json()["deleted"]]
    expect(page.locator("[data-testid=toast-error]")).to_have_count(0)
    assert not page_errors
