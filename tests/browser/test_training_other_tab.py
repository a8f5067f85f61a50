"""Two tabs on one project: a training run started in one is shown in the other (progress, Stop, Cancel,
the model it made), and a class renamed in one is shown under its new name in the other once the server
has said the old one is gone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from earmark.dataset import MIN_CLIPS_PER_CLASS
from earmark.demo import demo_data_dir

pytestmark = pytest.mark.browser

EPOCHS = 500  # the most the API allows: stopped after its first epoch, it still runs while the pages look at it


def small_project(studio, name: str) -> str:  # type: ignore[no-untyped-def]
    """A project of the fewest demo clips it trains on (quick to prepare): 5 of bass, 5 of background."""
    project = studio.create_project(name)
    studio.client.post(f"/api/projects/{project}/classes", json={"name": "bass"}).raise_for_status()
    for class_name in ("background", "bass"):
        files = [("files", (p.name, p.read_bytes(), "audio/ogg"))
                 for p in sorted((demo_data_dir() / "train" / class_name).glob("*.ogg"))[:MIN_CLIPS_PER_CLASS]]
        studio.client.post(f"/api/projects/{project}/classes/{class_name}/samples", files=files).raise_for_status()
    return project


def test_a_run_started_in_another_tab_is_followed_and_stopped_here(page: Page, studio, page_errors) -> None:
    """The page had not heard of the run when Train was pressed: the server refuses (409), and the page
    then shows that run as if it had started it, Stop and Cancel included; a page opened during the run
    shows it too. Before, it said "No training running." to the end, and never showed the model."""
    project = small_project(studio, "two tabs train")
    other = page.context.new_page()
    studio.open(page, project, "train")
    studio.open(other, project, "train")
    other.click("#train-advanced summary")
    other.fill("#train-epochs", str(EPOCHS))
    other.fill("#train-batch", "4")  # the smallest: an epoch is 4 steps of 4 clips
    other.click("#train-btn")
    expect(other.locator("#cancel-train-btn")).to_be_visible()

    expect(page.locator("#train-status")).to_have_text("No training running.")  # it has not heard of it yet
    page.click("#train-btn")
    status = re.compile(rf"Preparing the data, then {EPOCHS} epochs…|Training… epoch \d+ of {EPOCHS}")
    expect(page.locator("#train-status")).to_contain_text(status)
    expect(page.locator("[data-testid=toast-info]", has_text="already training")).to_be_visible()
    expect(page.locator("[data-testid=toast-error]")).to_have_count(0)
    expect(page.locator("#stop-train-btn")).to_be_visible()
    expect(page.locator("#cancel-train-btn")).to_be_visible()
    expect(page.locator("#train-btn")).to_be_disabled()

    opened = page.context.new_page()  # a page opened (or reloaded) during the run shows it from the start
    studio.open(opened, project, "train")
    expect(opened.locator("#train-status")).to_contain_text(status)
    expect(opened.locator("#cancel-train-btn")).to_be_visible()
    opened.close()

    # stopped from the page that did not start it: the model learnt so far is kept, and both pages show it
    page.click("#stop-train-btn")
    stopped = re.compile(rf"Stopped after epoch \d+ of {EPOCHS}: \S+ saved")
    for each in (page, other):
        expect(each.locator("#train-status")).to_have_attribute("data-state", "done", timeout=60000)
        expect(each.locator("#train-status")).to_contain_text(stopped)
        expect(each.locator("#stop-train-btn")).to_be_hidden()
    [model] = studio.project(project)["models"]
    expect(page.locator("#hood-model")).to_have_value(model["id"])
    expect(other.locator("#hood-model")).to_have_value(model["id"])
    assert not page_errors


def test_a_class_renamed_in_another_tab_is_shown_renamed_after_the_404(page: Page, studio, bass_notes: list[Path],
                                                                       page_errors) -> None:
    """An upload to a class renamed meanwhile elsewhere gets 404 "no class 'bass'…"; the page then lists
    the classes as they are (it went on listing "bass", and the next try failed the same way)."""
    project = small_project(studio, "two tabs rename")
    studio.open(page, project, "samples")
    page.click("[data-testid=class-bass]")
    # its samples shown before the rename (a list asked for after it would find the class gone, and say so)
    expect(page.locator("[data-testid=sample-card]").first).to_have_attribute("data-sample", re.compile(r"^bass_"))
    expect(page.locator("#sample-grid")).not_to_have_attribute("aria-busy", "true")
    studio.client.patch(f"/api/projects/{project}/classes/bass", json={"name": "synth"}).raise_for_status()

    page.set_input_files("#sample-files", [str(bass_notes[0])])
    expect(page.locator("[data-testid=upload-error]")).to_contain_text("no class 'bass'")
    expect(page.locator("[data-testid=class-synth]")).to_be_visible()
    expect(page.locator("[data-testid=class-bass]")).to_have_count(0)
    expect(page.locator("#class-title")).to_have_text("synth")  # the class it was on, under its new name
    assert not page_errors
