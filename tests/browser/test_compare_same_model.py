"""Comparing a model with its copy in a real browser: the Evaluate tab says they are one model and
shows one report, not two equal columns and empty "wrong only with" lists."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from earmark.demo import demo_data_dir

pytestmark = pytest.mark.browser


def test_comparing_a_model_with_its_copy_says_they_are_one_model(page: Page, studio, page_errors) -> None:
    project = studio.create_project("same model e2e", demo=True)
    model = studio.train(project, epochs=1, seed=0)  # one epoch: the scores do not matter here
    # what a user does: download the model and import the file again (a second entry, the same model)
    data = studio.client.get(model["download_url"]).content
    imported = studio.client.post(f"/api/projects/{project}/models/import",
                                  files={"file": ("copy.earmark", data)})
    assert imported.status_code == 201, imported.text
    copy = imported.json()["id"]
    assert copy != model["id"]

    studio.open(page, project, "evaluate")
    page.select_option("#eval-model", model["id"])
    page.check("#eval-compare")
    page.select_option("#eval-model-b", copy)
    page.set_input_files("#eval-folder", str(demo_data_dir() / "test"))

    note = page.locator("[data-testid=compare-same-note]")
    expect(note).to_contain_text("A and B are one model (the same weights and settings): scored once",
                                 timeout=30000)
    expect(note).to_contain_text(model["id"])
    expect(note).to_contain_text(copy)
    result = page.locator("#eval-result")
    expect(result.locator("[data-testid=report]")).to_have_count(1)
    expect(result.locator("[data-testid=report] [data-testid=report-accuracy]")).to_contain_text("%")
    expect(result.locator("[data-testid=compare]")).to_have_count(0)
    expect(result).not_to_contain_text("Wrong only with")
    assert not page_errors
