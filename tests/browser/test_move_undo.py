"""Moves after classes changed: a move's Undo (its toast, in Samples and under the hood) after the class it
came from was renamed or deleted, in this tab or another, follows the rename or says what happened and what
to do; a confusion cell's clips follow a rename; a failed move leaves its card as it was."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from earmark.demo import demo_data_dir

pytestmark = pytest.mark.browser


def _fill(studio: Any, project: str, counts: dict[str, int]) -> None:
    """Classes of ``project`` with that many demo notes each (bass notes, whatever the class is called)."""
    notes = sorted((demo_data_dir() / "train" / "bass").glob("*.ogg"))
    base = f"/api/projects/{project}/classes"
    used = 0
    for name, n in counts.items():
        studio.client.post(base, json={"name": name}).raise_for_status()
        files = [("files", (p.name, p.read_bytes())) for p in notes[used:used + n]]
        used += n
        if files:
            studio.client.post(f"{base}/{name}/samples", files=files).raise_for_status()


def _undo_of(page: Page, text: str) -> Any:
    return page.locator("[data-testid=toast-info]", has_text=text).locator("[data-testid=toast-action]")


def test_undo_of_a_move_follows_a_rename_in_this_tab_and_in_another(page: Page, studio, empty_project,
                                                                    page_errors) -> None:
    _fill(studio, empty_project, {"bass": 2, "drums": 0})
    studio.open(page, empty_project)
    page.click("[data-testid=class-bass]")
    cards = page.locator("[data-testid=sample-card]")
    expect(cards).to_have_count(2)
    first, second = (cards.nth(n).get_attribute("data-sample") for n in range(2))

    # renamed in this tab: bass -> lead bass, then the move's Undo
    cards.first.locator("select.move-select").select_option("drums")
    expect(cards).to_have_count(1)
    page.click("#rename-class-btn")
    page.fill("#rename-class-name", "lead bass")
    page.click("#rename-class-save")
    expect(page.locator("#class-title")).to_have_text("lead bass")
    _undo_of(page, f"Moved {first} to drums.").click()
    expect(page.locator("[data-testid=toast-info]", has_text=f"Moved {first} back")).to_have_text(
        re.compile(re.escape(f"Moved {first} back to lead bass (its class “bass” was renamed meanwhile).")))
    expect(cards).to_have_count(2)
    assert sorted(s["id"] for s in studio.samples(empty_project, "lead bass")) == sorted([first, second])
    assert studio.samples(empty_project, "drums") == []

    # renamed in another tab (here: through the API) while this one still calls it lead bass
    moved = cards.first.get_attribute("data-sample")
    cards.first.locator("select.move-select").select_option("drums")
    expect(cards).to_have_count(1)
    expect(page.locator("[data-testid='count-lead bass']")).to_contain_text("1 ·")  # the page has shown the move
    expect(page.locator("#sample-grid")).not_to_have_attribute("aria-busy", "true")
    studio.client.patch(f"/api/projects/{empty_project}/classes/lead bass", json={"name": "low end"}).raise_for_status()
    _undo_of(page, f"Moved {moved} to drums.").click()
    expect(page.locator("[data-testid=toast-info]", has_text=f"Moved {moved} back to low end")).to_have_text(
        re.compile(re.escape(f"Moved {moved} back to low end (its class “lead bass” was renamed meanwhile).")))
    assert sorted(s["id"] for s in studio.samples(empty_project, "low end")) == sorted([first, second])
    expect(page.locator("#class-title")).to_have_text("low end")  # the page shows the class as it is now
    expect(cards).to_have_count(2)
    expect(page.locator("[data-testid=toast-error]")).to_have_count(0)
    assert not page_errors


def test_undo_of_a_move_to_a_deleted_class_says_what_to_do(page: Page, studio, empty_project, page_errors) -> None:
    """The class the sample came from was deleted: the Undo says so and what to do, not "no class"; the
    sample stays; once the class is back (its own delete's Undo), the move's Undo works."""
    _fill(studio, empty_project, {"bass": 2, "drums": 0})
    page.on("dialog", lambda dialog: dialog.accept())
    studio.open(page, empty_project)
    page.click("[data-testid=class-bass]")
    cards = page.locator("[data-testid=sample-card]")
    expect(cards).to_have_count(2)
    name = cards.first.get_attribute("data-sample")
    cards.first.locator("select.move-select").select_option("drums")
    expect(cards).to_have_count(1)
    page.click("#delete-class-btn")
    expect(page.locator("[data-testid=class-bass]")).to_have_count(0)

    undo_move = _undo_of(page, f"Moved {name} to drums.")
    undo_move.click()
    error = page.locator("[data-testid=toast-error]")
    expect(error).to_have_text(re.compile(
        rf"cannot move '{re.escape(name)}' back to class 'bass': that class was deleted since \(it waits in the "
        rf"project's \.trash/[0-9-]+/bass\)\. '{re.escape(name)}' stays in class 'drums': to undo the move, "
        r"restore it first \(the Undo of its delete"))
    assert [s["id"] for s in studio.samples(empty_project, "drums")] == [name]
    expect(undo_move).to_be_enabled()  # it did not happen: it may be tried again

    _undo_of(page, "Deleted class “bass”").click()
    expect(page.locator("[data-testid=class-bass]")).to_have_count(1)
    undo_move.click()
    expect(page.locator("[data-testid=toast-info]", has_text=f"Moved {name} back.")).to_be_visible()
    assert name in [s["id"] for s in studio.samples(empty_project, "bass")]
    assert studio.samples(empty_project, "drums") == []
    assert not page_errors


def _open_biggest_cell(page: Page, studio: Any, name: str, *, min_clips: int = 1) -> tuple[str, list[dict[str, Any]]]:
    """A demo project ``name`` with a model trained for one epoch, open under the hood on the biggest cell of a
    class that can be renamed (not the background) with ``min_clips`` clips or more: the project and the
    cell's clips, as the model's record lists them."""
    project = studio.create_project(name, demo=True)
    model = studio.train(project, epochs=1, seed=0)
    cells = studio.client.get(f"/api/projects/{project}/models/{model['id']}").json()["validation"]["cells"]
    key, refs = max(((k, v) for k, v in cells.items() if len(v) >= min_clips and not k.startswith("background|")),
                    key=lambda kv: len(kv[1]))
    studio.open(page, project, "train")
    page.locator(f"[data-testid=cell-{key.replace('|', '-')}]").click()
    return project, refs


def test_undo_of_a_move_under_the_hood_follows_a_rename_and_names_a_delete(page: Page, studio, page_errors) -> None:
    """The confusion matrix's clips: moved to another class, their class renamed (another tab), Undo puts
    them back in it as it is called now; their class deleted, Undo says so and what to do."""
    project, refs = _open_biggest_cell(page, studio, "hood undo", min_clips=2)
    home = refs[0]["class_name"]
    target = next(c for c in ("background", "bass", "drums") if c != home)
    clips = page.locator("[data-testid=cell-clip]")
    expect(clips).to_have_count(len(refs))

    first, second = clips.nth(0), clips.nth(1)
    for card in (first, second):
        card.locator(f"[data-move-to={target}]").click()
        expect(card).to_contain_text("moved to")
    page.wait_for_load_state("networkidle")  # the page has shown the moves (a rename in between is another test)
    studio.client.patch(f"/api/projects/{project}/classes/{home}", json={"name": f"{home} 2"}).raise_for_status()
    _undo_of(page, f"Moved {refs[0]['id']} to").click()
    expect(page.locator("[data-testid=toast-info]", has_text=f"Moved {refs[0]['id']} back")).to_have_text(
        re.compile(re.escape(f"Moved {refs[0]['id']} back to {home} 2 (its class “{home}” was renamed meanwhile).")))
    # the page saw the rename: the open cell is shown again, the clip in its class as named now, movable again
    expect(first).to_contain_text(f"in {home} 2")
    expect(first.locator(f"[data-move-to={target}]")).to_be_visible()
    assert refs[0]["id"] in [s["id"] for s in studio.samples(project, f"{home} 2")]

    studio.client.delete(f"/api/projects/{project}/classes/{home} 2").raise_for_status()
    _undo_of(page, f"Moved {refs[1]['id']} to").click()
    expect(page.locator("[data-testid=toast-error]")).to_contain_text(
        f"cannot move '{refs[1]['id']}' back to class '{home}': that class, later renamed '{home} 2', was deleted "
        f"since (it waits in the project's .trash/")
    assert refs[1]["id"] in [s["id"] for s in studio.samples(project, target)]
    assert not page_errors


def test_undo_under_the_hood_after_the_cell_was_shown_again_shows_where_the_clip_is(page: Page, studio,
                                                                                 page_errors) -> None:
    """The page saw a rename made in another tab (the cell is drawn again from the model's record, the moved
    clip in the class it was moved to) before the move's Undo: the Undo used to change a card no longer on
    the page, and the cell still showed the clip where it was moved. (Under load, a reload in flight made
    this happen in test_undo_of_a_move_under_the_hood_follows_a_rename_and_names_a_delete.)"""
    project, refs = _open_biggest_cell(page, studio, "hood redrawn")
    home = refs[0]["class_name"]
    target = next(c for c in ("background", "bass", "drums") if c != home)
    card = page.locator("[data-testid=cell-clip]").nth(0)
    card.locator(f"[data-move-to={target}]").click()
    expect(card).to_contain_text("moved to")
    page.wait_for_load_state("networkidle")
    studio.client.patch(f"/api/projects/{project}/classes/{home}", json={"name": f"{home} 2"}).raise_for_status()
    page.wait_for_timeout(2100)  # the tab looked at again (at most every 2 s) fetches the project anew
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    moved = page.locator(f"[data-testid=cell-clip][data-sample='{refs[0]['id']}']")
    shown = next(c.get("display_name") or c["name"] for c in studio.project(project)["classes"] if c["name"] == target)
    expect(moved).to_contain_text(f"in {shown}")  # drawn again: the clip where it was moved
    _undo_of(page, f"Moved {refs[0]['id']} to").click()
    expect(page.locator("[data-testid=toast-info]", has_text=f"Moved {refs[0]['id']} back")).to_be_visible()
    expect(moved).to_contain_text(f"in {home} 2")
    expect(moved.locator(f"[data-move-to={target}]")).to_be_visible()
    assert not page_errors


def test_clips_under_the_hood_follow_a_class_renamed_in_the_samples_screen(page: Page, studio, page_errors) -> None:
    """QA: after a rename in Samples, a confusion cell's clips still named the old class, and moving one
    answered "no class". The open cell is shown again with the classes as they are now, and moves work."""
    project, refs = _open_biggest_cell(page, studio, "hood rename")
    home = refs[0]["class_name"]
    target = next(c for c in ("bass", "drums") if c != home)
    clips = page.locator("[data-testid=cell-clip]")
    expect(clips.first).to_contain_text(f"in {home}")

    page.click("#tab-samples")
    page.click(f"[data-testid=class-{home}]")
    page.click("#rename-class-btn")
    page.fill("#rename-class-name", f"{home} 2")
    page.click("#rename-class-save")
    expect(page.locator("#class-title")).to_have_text(f"{home} 2")
    page.click("#tab-train")
    expect(page.locator("#cell-clips")).to_be_visible()  # the cell stays open
    expect(clips).to_have_count(len(refs))
    expect(clips.first).to_contain_text(f"in {home} 2")
    clips.first.locator(f"[data-move-to={target}]").click()
    expect(clips.first).to_contain_text(f"moved to {target}")
    assert refs[0]["id"] in [s["id"] for s in studio.samples(project, target)]
    expect(page.locator("[data-testid=toast-error]")).to_have_count(0)
    assert not page_errors


def test_a_failed_move_leaves_the_card_saying_move_to(page: Page, studio, empty_project, page_errors) -> None:
    """A move the server refuses (its class deleted in another tab): the error says why, and the card's
    select says "Move to…" again, not the class the sample is not in."""
    _fill(studio, empty_project, {"bass": 1, "drums": 0})
    studio.open(page, empty_project)
    page.click("[data-testid=class-bass]")
    select = page.locator("[data-testid=sample-card] select.move-select")
    studio.client.delete(f"/api/projects/{empty_project}/classes/drums").raise_for_status()
    select.select_option("drums")
    expect(page.locator("[data-testid=toast-error]")).to_contain_text("no class 'drums'")
    expect(select).to_be_enabled()
    expect(select).to_have_value("")
    assert len(studio.samples(empty_project, "bass")) == 1
    assert not page_errors
