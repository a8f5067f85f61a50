"""A class renamed in another tab while this one shows it: the page stays on it, under its new name
(it used to jump to the first class), and only renames made since it last looked count."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from earmark.demo import demo_data_dir

pytestmark = pytest.mark.browser


def _look_again(page: Page) -> None:
    """What the page does when its tab is looked at again (at most every 2 s): fetch the project anew."""
    page.wait_for_timeout(2100)
    page.evaluate("window.dispatchEvent(new Event('focus'))")


def _bass_and_drums(studio, project: str) -> str:  # type: ignore[no-untyped-def]
    """Classes "bass" (two demo notes) and "drums" (one) in ``project``; answers its classes' API address."""
    notes = sorted((demo_data_dir() / "train" / "bass").glob("*.ogg"))
    for name, files in (("bass", notes[:2]), ("drums", notes[2:3])):
        studio.add_class(project, name, files)
    return f"/api/projects/{project}/classes"


def test_a_class_renamed_in_another_tab_stays_shown_under_its_new_name(page: Page, studio, empty_project,
                                                                       page_errors) -> None:
    base = _bass_and_drums(studio, empty_project)
    studio.open(page, empty_project)
    page.click("[data-testid=class-drums]")
    expect(page.locator("#class-title")).to_have_text("drums")

    other = page.context.new_page()  # another tab renames the class this one shows
    studio.open(other, empty_project)
    other.click("[data-testid=class-drums]")
    other.click("#rename-class-btn")
    other.fill("#rename-class-name", "percussion")
    other.click("#rename-class-save")
    expect(other.locator("#class-title")).to_have_text("percussion")

    page.bring_to_front()
    _look_again(page)
    expect(page.locator("[data-testid=class-percussion]")).to_be_visible()
    expect(page.locator("#class-title")).to_have_text("percussion")
    expect(page.locator("[data-testid=sample-card]")).to_have_count(1)

    # a rename this page had seen already does not count: "drums" made anew, shown, then deleted in
    # the other tab, is not followed to "percussion" (the page goes to the first class, as for any delete)
    studio.client.post(base, json={"name": "drums"}).raise_for_status()
    _look_again(page)
    page.click("[data-testid=class-drums]")
    expect(page.locator("#class-title")).to_have_text("drums")
    studio.client.delete(f"{base}/drums").raise_for_status()
    _look_again(page)
    expect(page.locator("[data-testid=class-drums]")).to_have_count(0)
    expect(page.locator("#class-title")).to_have_text("bass")
    other.close()
    assert not page_errors


def test_samples_of_a_class_renamed_in_another_tab_are_found_not_an_error(page: Page, studio, empty_project,
                                                                          page_errors) -> None:
    """A fetch of a class's samples that another tab renamed before this page looked again (here: the
    page switches to the test set) found no class and said so in an error; the page now shows the
    class under its new name, and says nothing."""
    base = _bass_and_drums(studio, empty_project)
    studio.open(page, empty_project)
    page.click("[data-testid=class-drums]")
    expect(page.locator("[data-testid=sample-card]")).to_have_count(1)
    studio.client.patch(f"{base}/drums", json={"name": "percussion"}).raise_for_status()
    page.click("#set-test")  # the page still thinks it shows "drums"
    expect(page.locator("#class-title")).to_have_text("percussion")
    expect(page.locator("#set-test")).to_have_attribute("aria-pressed", "true")
    page.click("#set-training")
    expect(page.locator("[data-testid=sample-card]")).to_have_count(1)
    expect(page.locator("[data-testid=toast-error]")).to_have_count(0)
    # deleted in another tab: the page goes to a class there is, without an error
    studio.client.delete(f"{base}/percussion").raise_for_status()
    page.click("#set-test")
    expect(page.locator("#class-title")).to_have_text("bass")
    expect(page.locator("[data-testid=toast-error]")).to_have_count(0)
    assert not page_errors
