"""The studio from the keyboard (QA: the focus fell to <body> after almost every action, Escape closed nothing,
and an Undo toast went while its Undo had the focus), and its words for a refused microphone and a restore."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from earmark.demo import demo_data_dir

pytestmark = pytest.mark.browser


@pytest.fixture
def bass_project(studio, empty_project) -> str:
    """The test's project with a class bass of 3 demo notes."""
    notes = sorted((demo_data_dir() / "train" / "bass").glob("*.ogg"))[:3]
    base = f"/api/projects/{empty_project}/classes"
    studio.client.post(base, json={"name": "bass"}).raise_for_status()
    files = [("files", (p.name, p.read_bytes())) for p in notes]
    studio.client.post(f"{base}/bass/samples", files=files).raise_for_status()
    return empty_project


def focused(page: Page) -> str:
    """What has the focus: its id, aria-label or tag; "BODY" when it is lost."""
    return str(page.evaluate("(e => e.id || e.getAttribute('aria-label') || e.tagName)(document.activeElement)"))


def test_delete_from_the_keyboard_moves_the_focus_on_and_its_undo_stays_while_focused(page: Page, studio, bass_project,
                                                                                    page_errors) -> None:
    studio.open(page, bass_project)
    page.locator("[data-testid=class-bass]").focus()
    page.keyboard.press("Enter")  # choosing a class keeps the focus on it (the list is drawn anew)
    expect(page.locator("[data-testid=sample-card]")).to_have_count(3)
    assert page.evaluate("document.activeElement.dataset.class") == "bass"
    # the page's own ui.js module (the same URL): its Undo toasts last 1 s here
    page.evaluate("async () => { (await import('/static/ui.js')).TOAST_MS.undo = 1000; }")
    ids = page.locator("[data-testid=sample-card]").evaluate_all("cards => cards.map(c => c.dataset.sample)")
    page.get_by_label(f"Delete {ids[0]}").focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=sample-card]")).to_have_count(2)
    expect(page.get_by_label(f"Move {ids[1]} to the test set")).to_be_focused()  # the next card's first button
    page.wait_for_timeout(200)  # and after the grid is drawn again (the project's reload), still there
    assert focused(page) == f"Move {ids[1]} to the test set"
    undo = page.locator("[data-testid=toast-action]")
    undo.focus()  # as Tab reaches it
    page.wait_for_timeout(2500)  # over twice its (shortened) life: it stays while it has the focus
    expect(undo).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=sample-card]")).to_have_count(3)
    assert focused(page) == f"Move {ids[1]} to the test set"  # back where it came from
    assert not page_errors


def test_escape_closes_the_forms_and_the_focus_returns_to_their_button(page: Page, studio, bass_project,
                                                                       page_errors) -> None:
    studio.open(page, bass_project)
    page.click("[data-testid=class-bass]")
    page.locator("#rename-class-btn").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#rename-class-form")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#rename-class-form")).to_be_hidden()
    assert focused(page) == "rename-class-btn"
    page.locator("#rename-class-btn").press("Enter")
    page.locator("#rename-class-name").fill("bass2")
    page.keyboard.press("Enter")  # saved: the focus is back on Rename too
    expect(page.locator("#class-title")).to_have_text("bass2")
    assert focused(page) == "rename-class-btn"
    page.locator("#new-project-btn").press("Enter")
    expect(page.locator("#new-project-name")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#new-project-form")).to_be_hidden()
    assert focused(page) == "new-project-btn"
    assert not page_errors


def test_words_for_a_refused_microphone_and_a_restored_sample(page: Page, studio, empty_project) -> None:
    studio.open(page, empty_project)
    words = page.evaluate("""async () => {
      const { micRefusal } = await import('/static/audio.js');
      const { restoredMessage } = await import('/static/ui.js');
      const err = (name, message) => Object.assign(new Error(message), { name });
      return {
        missing: micRefusal(err('NotFoundError', 'Requested device not found')),
        denied: micRefusal(err('NotAllowedError', 'Permission denied')),
        busy: micRefusal(err('NotReadableError', 'Could not start audio source')),
        other: micRefusal(err('TypeError', 'something odd')),
        restored: restoredMessage('“bass_015.ogg” of class “bass”', { classes: ['bass'], notes: [] }),
      };
    }""")
    assert "no microphone was found" in words["missing"] and "Allow" not in words["missing"]
    assert "Allow microphone access" in words["denied"]
    assert "in use by another program" in words["busy"]
    assert words["other"] == "cannot open the microphone: something odd."
    assert words["restored"] == "Restored “bass_015.ogg” of class “bass”."
    drop = page.locator("#sample-drop")
    assert drop.get_attribute("role") == "button" and "Enter" in (drop.get_attribute("aria-label") or "")
    assert page.get_attribute("#predict-result", "aria-live") == "polite"
