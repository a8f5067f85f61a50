"""The Rename class form and the page's reloads of the project (an upload still filling a class, a change
in another tab, the tab looked at again): a reload that still shows the class leaves the form open, with
what was typed in it and the cursor in it (it closed, and the typing was lost); another class, or the
class renamed elsewhere, closes it."""

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
    """Classes "bass" (one demo note) and "drums" (one) in ``project``; answers its classes' API address."""
    base = f"/api/projects/{project}/classes"
    notes = sorted((demo_data_dir() / "train" / "bass").glob("*.ogg"))
    for name, note in (("bass", notes[0]), ("drums", notes[1])):
        studio.client.post(base, json={"name": name}).raise_for_status()
        files = [("files", (note.name, note.read_bytes()))]
        studio.client.post(f"{base}/{name}/samples", files=files).raise_for_status()
    return base


def test_a_reload_keeps_the_rename_form_and_what_is_typed(page: Page, studio, empty_project, page_errors) -> None:
    base = _bass_and_drums(studio, empty_project)
    studio.open(page, empty_project)
    page.click("[data-testid=class-drums]")
    page.click("#rename-class-btn")
    page.keyboard.type("perc")  # over the selected old name
    expect(page.locator("#rename-class-name")).to_have_value("perc")

    # meanwhile a sample lands in the class (as an upload filling it), and the page shows the project anew
    note = sorted((demo_data_dir() / "train" / "bass").glob("*.ogg"))[2]
    studio.client.post(f"{base}/drums/samples", files=[("files", (note.name, note.read_bytes()))]).raise_for_status()
    _look_again(page)
    expect(page.locator("[data-testid=count-drums]")).to_contain_text("2 ·")  # the redraw happened
    expect(page.locator("[data-testid=sample-card]")).to_have_count(2)

    expect(page.locator("#rename-class-form")).to_be_visible()
    expect(page.locator("#rename-class-name")).to_have_value("perc")
    expect(page.locator("#rename-class-name")).to_be_focused()
    page.keyboard.type("ussion")  # where the cursor was
    page.keyboard.press("Enter")
    expect(page.locator("#class-title")).to_have_text("percussion")
    expect(page.locator("#rename-class-form")).to_be_hidden()
    names = [c["name"] for c in studio.project(empty_project)["classes"]]
    assert "percussion" in names and "drums" not in names, names
    assert not page_errors


def test_another_class_or_a_rename_elsewhere_closes_the_form(page: Page, studio, empty_project,
                                                            page_errors) -> None:
    base = _bass_and_drums(studio, empty_project)
    studio.open(page, empty_project)
    page.click("[data-testid=class-drums]")
    page.click("#rename-class-btn")
    page.keyboard.type("perc")
    page.click("[data-testid=class-bass]")  # the user goes to another class
    expect(page.locator("#class-title")).to_have_text("bass")
    expect(page.locator("#rename-class-form")).to_be_hidden()

    page.click("#rename-class-btn")
    expect(page.locator("#rename-class-name")).to_have_value("bass")  # opened anew, for this class
    page.keyboard.type("low")
    studio.client.patch(f"{base}/bass", json={"name": "bass guitar"}).raise_for_status()  # another tab renames it
    _look_again(page)
    expect(page.locator("#class-title")).to_have_text("bass guitar")
    expect(page.locator("#rename-class-form")).to_be_hidden()  # "low" was meant for "bass": not kept for another name
    assert not page_errors
