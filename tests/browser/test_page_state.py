"""The page keeps in step with the studio: sample counts, a run of another project, what cannot be
done yet (hints, no model), model warnings and unknown projects in the address."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, Route, expect

from earmark.demo import demo_data_dir

pytestmark = pytest.mark.browser


def _option(page: Page, project: str):
    return page.locator(f"#project-select option[value='{project}']")


def test_the_project_dropdown_counts_samples_as_they_change(page: Page, studio, empty_project, page_errors) -> None:
    studio.open(page, empty_project)
    expect(_option(page, empty_project)).to_have_text(re.compile(r"· 0 samples$"))
    page.fill("#new-class-name", "drums")
    page.click("#add-class-btn")
    expect(page.locator("#class-title")).to_have_text("drums")

    drums = sorted((demo_data_dir() / "train" / "drums").glob("*.ogg"))[:2]
    page.set_input_files("#sample-files", [str(p) for p in drums])
    expect(page.locator("[data-testid=added-count]")).to_have_text("Added 2 samples.")
    expect(_option(page, empty_project)).to_have_text(re.compile(r"· 2 samples$"))

    card = page.locator("[data-testid=sample-card]").first
    card.locator("select.move-select").select_option("background")
    expect(page.locator("[data-testid=toast-info]").last).to_contain_text("to Background Noise")
    page.locator("[data-testid=sample-card] [data-action=delete]").first.click()
    expect(page.locator("[data-testid=sample-card]")).to_have_count(0)
    expect(_option(page, empty_project)).to_have_text(re.compile(r"· 1 samples$"))
    assert not page_errors


def test_train_waits_while_another_project_trains(page: Page, studio, demo_project, page_errors) -> None:
    busy = studio.create_project("busy band", demo=True)
    job = studio.client.post(f"/api/projects/{busy}/train", json={"epochs": 300}).json()
    try:
        studio.open(page, busy, "train")
        expect(page.locator("#train-status")).to_contain_text(re.compile(r"Preparing the data|Training… epoch [1-9]"))
        page.click("#train-advanced summary")
        page.fill("#train-epochs", "7")

        page.select_option("#project-select", demo_project)
        expect(page.locator("body")).to_have_attribute("data-project", demo_project)
        status = page.locator("#train-status")
        expect(status).to_contain_text(re.compile(
            r"Project “busy band” is training \(epoch \d+/300\) — wait for it or cancel it there"))
        expect(page.locator("#train-btn")).to_be_disabled()
        expect(page.locator("#cancel-train-btn")).to_be_hidden()
        expect(page.locator("#job-mini")).to_contain_text("Training")
        # the advanced settings were the other project's: back to the defaults
        expect(page.locator("#train-epochs")).to_have_value("")
        expect(page.locator("#train-advanced")).not_to_have_attribute("open", "")
    finally:
        studio.client.post(f"/api/jobs/{job['id']}/cancel").raise_for_status()
    expect(page.locator("#train-status")).to_have_text("No training running.", timeout=60000)
    expect(page.locator("#train-btn")).to_be_enabled()
    expect(page.locator("#job-mini")).to_be_hidden()
    assert not page_errors


def test_a_page_opened_on_another_project_knows_a_run_goes_on(page: Page, studio, demo_project,
                                                             page_errors) -> None:
    busy = studio.create_project("busy too", demo=True)
    job = studio.client.post(f"/api/projects/{busy}/train", json={"epochs": 300}).json()
    try:
        studio.open(page, demo_project, "train")  # straight on the other project: only /api/status tells
        expect(page.locator("#train-status")).to_contain_text(re.compile(
            r"Project “busy too” is training \(epoch \d+/300\)"))
        expect(page.locator("#train-btn")).to_be_disabled()
    finally:
        studio.client.post(f"/api/jobs/{job['id']}/cancel").raise_for_status()
    expect(page.locator("#train-btn")).to_be_enabled(timeout=60000)
    assert not page_errors


def test_what_cannot_be_done_yet_says_why(page: Page, studio, empty_project, page_errors) -> None:
    hints = studio.project(empty_project)["hints"]
    assert hints
    (studio.root / empty_project / "models" / "old.earmark").write_bytes(b"not a model")  # e.g. copied in by hand
    studio.open(page, empty_project, "train")
    items = page.locator("[data-testid=train-hints] li")
    expect(items).to_have_count(len(hints))
    expect(items.first).to_have_text(hints[0])
    expect(page.locator("#train-btn")).to_be_disabled()

    page.click("#tab-try")
    expect(page.locator("#live-start-btn")).to_be_disabled()
    expect(page.locator("[data-testid=live-no-model]")).to_have_text("Train or import a model first.")
    unreadable = page.locator("#live-model option[disabled]")
    expect(unreadable).to_have_text("old.earmark: cannot be read")
    expect(unreadable).to_have_attribute("title", re.compile("corrupted"))
    expect(page.locator("#predict-file")).to_be_disabled()
    expect(page.locator("[data-testid=predict-no-model]")).to_be_visible()
    assert not page_errors


def test_a_trainable_project_with_a_model_has_no_such_notes(page: Page, studio, demo_project, demo_model,
                                                            page_errors) -> None:
    studio.open(page, demo_project, "train")
    expect(page.locator("[data-testid=train-hints] li")).to_have_count(0)
    expect(page.locator("#train-btn")).to_be_enabled()
    page.click("#tab-try")
    expect(page.locator("#live-start-btn")).to_be_enabled()
    expect(page.locator("[data-testid=live-no-model]")).to_be_hidden()
    expect(page.locator("#predict-file")).to_be_enabled()
    expect(page.locator("[data-testid=predict-no-model]")).to_be_hidden()
    assert not page_errors


def test_model_warnings_show_under_the_summary(page: Page, studio, demo_project, demo_model, page_errors) -> None:
    warning = "Only 3 validation clips: the accuracy is not a reliable figure; add more recordings"

    def with_warnings(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "warnings": [warning]})

    page.route(re.compile(rf"/models/{re.escape(demo_model['id'])}$"), with_warnings)
    studio.open(page, demo_project, "train")
    page.select_option("#hood-model", demo_model["id"])
    expect(page.locator("#hood-summary")).to_contain_text("validation clips right")
    expect(page.locator("[data-testid=hood-warnings] li")).to_have_text([warning])
    assert not page_errors


def test_the_summary_names_a_class_the_model_mostly_gets_wrong(page: Page, studio, demo_project, demo_model,
                                                                page_errors) -> None:
    """As the Python warning does: a class under half right is named only when the accuracy is 0.1 or more
    above the classes' mean recall (most clips are of classes it knows); a set where every class is as poor
    names none, since the figure itself shows that."""
    injected: dict[str, Any] = {}

    def with_figures(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        validation = body["validation"]
        per_class = {lab: {**r, "recall": injected["recall"](lab), "support": injected["support"](lab)}
                     for lab, r in validation["per_class"].items()}
        route.fulfill(response=response, json={**body, "validation": {**validation, "per_class": per_class,
                                                                      "accuracy": injected["accuracy"]}})

    model_url = re.compile(rf"/models/{re.escape(demo_model['id'])}$")
    page.route(model_url, with_figures)
    # 30 clips of background, all right; drums all wrong: 90 % right, mean recall 67 %
    injected.update(recall=lambda lab: 0.0 if lab == "drums" else 1.0,
                    support=lambda lab: 30 if lab == "background" else 4, accuracy=0.9)
    studio.open(page, demo_project, "train")
    page.select_option("#hood-model", demo_model["id"])
    expect(page.locator("#hood-summary")).to_contain_text("90.0 % of")
    expect(page.locator("#hood-summary")).to_contain_text("validation clips right (but only 0.0 % of drums)")
    # balanced and every class as poor: 40 % right, mean recall 40 %
    injected.update(recall=lambda lab: 0.4, support=lambda lab: 5, accuracy=0.4)
    page.reload()
    page.click("#tab-train")
    page.select_option("#hood-model", demo_model["id"])
    expect(page.locator("#hood-summary")).to_contain_text("40.0 % of")
    expect(page.locator("#hood-summary")).not_to_contain_text("but only")
    page.unroute(model_url)
    page.reload()
    page.click("#tab-train")
    page.select_option("#hood-model", demo_model["id"])
    expect(page.locator("#hood-summary")).to_contain_text("validation clips right")
    expect(page.locator("#hood-summary")).not_to_contain_text("but only")  # the demo model knows every class
    assert not page_errors


def test_a_reload_comes_back_to_the_class_the_user_was_in(page: Page, studio, demo_project, page_errors) -> None:
    studio.open(page, demo_project)
    expect(page.locator("#class-title")).to_have_text("bass")  # the page opens on the first class of one's own
    page.click("[data-testid=class-drums]")
    expect(page.locator("#class-title")).to_have_text("drums")
    page.reload()
    page.wait_for_selector(f"body[data-ready=true][data-project='{demo_project}']")
    expect(page.locator("#class-title")).to_have_text("drums")
    expect(page.locator("[data-testid=class-drums]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-testid=toast-error]")).to_have_count(0)
    # a class the project no longer has (renamed elsewhere, a stale link) opens the default one, and says so
    page.goto(f"{studio.url}/?project={demo_project}&class=gone#samples")
    page.wait_for_selector(f"body[data-ready=true][data-project='{demo_project}']")
    expect(page.locator("#class-title")).to_have_text("bass")
    expect(page.locator("[data-testid=toast-error]")).to_contain_text("no class 'gone'")
    assert not page_errors


def test_a_tab_looked_at_again_shows_what_changed_meanwhile(page: Page, studio, empty_project, page_errors) -> None:
    studio.open(page, empty_project)
    items = page.locator("#class-list .class-item")
    expect(items).to_have_count(1)
    # another tab (here: the API) adds a class while this one is in the background
    studio.client.post(f"/api/projects/{empty_project}/classes", json={"name": "cowbell"}).raise_for_status()
    page.wait_for_timeout(2100)
    expect(items).to_have_count(1)  # nothing is polled while no one looks
    page.evaluate("window.dispatchEvent(new Event('focus'))")  # the user comes back to this window
    expect(items).to_have_count(2)
    expect(items.nth(1)).to_contain_text("cowbell")
    assert not page_errors


#: Every look the page takes at the project (GET /api/projects/NAME), as it starts, with the element that has the
#: focus then: the test's own count, taken where the page asks, not where the answer comes back.
LOG_PROJECT_LOOKS = """(() => {
  const looks = window.projectLooks = [];
  const fetch = window.fetch;
  window.fetch = (resource, init) => {
    const url = new URL(resource instanceof Request ? resource.url : String(resource), location.href);
    if (/^\\/api\\/projects\\/[^/]+$/.test(url.pathname) && (!init || !init.method || init.method === "GET")) {
      looks.push(document.activeElement ? document.activeElement.id : "");
    }
    return fetch(resource, init);
  };
})()"""


def test_a_class_an_upload_is_still_filling_says_so_and_fills_in(page: Page, studio, demo_project,
                                                                   page_errors) -> None:
    """A page reloaded mid-upload: the server goes on adding the files; the page says so on the class,
    and shows the project again every 2 s until the upload is done.

    The page looks again 2 s after the last answer came, so a look is ~2 s plus a fetch apart (more on a
    loaded machine), and one may be on its way at any moment: the test waits for looks, counts them where
    the page starts them, and says what had the focus then."""
    filling = {"on": True}

    def still_uploading(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "uploading": ["bass"] if filling["on"] else []})

    def looks() -> list[str]:
        return page.evaluate("window.projectLooks.slice()")

    def another_look(after: int) -> None:
        page.wait_for_function("n => window.projectLooks.length > n", arg=after, timeout=15_000)

    page.add_init_script(LOG_PROJECT_LOOKS)
    page.route(re.compile(rf"/api/projects/{re.escape(quote(demo_project))}$"), still_uploading)
    studio.open(page, demo_project)
    expect(page.locator("#class-title")).to_have_text("bass")
    expect(page.locator("[data-testid=class-uploading]")).to_be_visible()
    page.click("[data-testid=class-drums]")  # another class is not filling
    expect(page.locator("[data-testid=class-uploading]")).to_be_hidden()
    page.click("[data-testid=class-bass]")
    expect(page.locator("[data-testid=class-uploading]")).to_be_visible()
    another_look(len(looks()))  # the project is shown again while an upload fills a class
    # while the user types (here: a new class's name), the page is left alone, and what they typed stays
    page.fill("#new-class-name", "guit")
    typing = len(looks())
    page.wait_for_timeout(2500)  # more than the 2 s the page waits between looks
    assert "new-class-name" not in looks()[typing:] and page.input_value("#new-class-name") == "guit"
    page.locator("#class-title").click()  # done typing: it catches up
    another_look(typing)
    assert page.input_value("#new-class-name") == "guit"
    filling["on"] = False
    expect(page.locator("[data-testid=class-uploading]")).to_be_hidden(timeout=15_000)
    settled = len(looks())
    page.wait_for_timeout(2500)
    assert len(looks()) == settled, "no more polling once nothing is filling"
    assert not page_errors


def test_an_unknown_project_in_the_address_opens_the_default(page: Page, studio, demo_project, page_errors) -> None:
    page.goto(f"{studio.url}/?project=nope#samples")
    page.wait_for_selector("body[data-ready=true][data-project]")
    toast = page.locator("[data-testid=toast-error]")
    expect(toast).to_contain_text("no project 'nope'")
    toast.locator(".toast-close").click()
    expect(toast).to_have_count(0)
    assert not page_errors


def test_a_deleted_project_leaves_the_page_and_comes_back_with_undo(page: Page, studio, empty_project,
                                                                   page_errors) -> None:
    studio.open(page, empty_project)
    drums = sorted((demo_data_dir() / "train" / "drums").glob("*.ogg"))[:2]
    page.set_input_files("#sample-files", [str(p) for p in drums])
    expect(page.locator("[data-testid=added-count]")).to_have_text("Added 2 samples.")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.click("#delete-project-btn")
    deleted = page.locator("[data-testid=toast-info]", has_text=f"Deleted the project “{empty_project}”")
    expect(deleted).to_be_visible()
    assert re.search(r"with its 2 samples\? It is kept in the \.trash folder", asked[0]), asked
    expect(_option(page, empty_project)).to_have_count(0)
    assert empty_project not in [p["id"] for p in studio.client.get("/api/projects").json()["projects"]]
    assert page.evaluate("document.body.dataset.project") != empty_project

    deleted.locator("[data-testid=toast-action]").click()
    expect(page.locator("[data-testid=toast-info]").last).to_have_text(
        re.compile(f"^Restored the project “{re.escape(empty_project)}”\\."))
    expect(page.locator("#project-select")).to_have_value(empty_project)
    expect(page.locator("[data-testid=sample-card]")).to_have_count(2)
    assert sum(c["samples"] for c in studio.project(empty_project)["classes"]) == 2
    page.reload()  # the Undo was offered once, to the page the delete started
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("[data-testid=toast-info]", has_text="Deleted the project")).to_have_count(0)
    assert not page_errors


def test_a_project_delete_that_is_not_confirmed_deletes_nothing(page: Page, studio, empty_project,
                                                                page_errors) -> None:
    studio.open(page, empty_project)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#delete-project-btn")
    page.wait_for_timeout(300)
    expect(_option(page, empty_project)).to_have_count(1)
    assert studio.project(empty_project)["id"] == empty_project
    assert not page_errors


def test_a_project_is_renamed_from_the_project_bar(page: Page, studio, empty_project, page_errors) -> None:
    studio.open(page, empty_project)
    page.click("#rename-project-btn")
    expect(page.locator("#rename-project-name")).to_have_value(empty_project)
    page.fill("#rename-project-name", "gig at the Crown")
    page.click("#rename-project-save")
    expect(page.locator("[data-testid=toast-info]").last).to_have_text(
        re.compile("^Renamed the project to “gig at the Crown”\\."))
    expect(page.locator("#rename-project-form")).to_be_hidden()
    expect(_option(page, empty_project)).to_have_text(re.compile(r"^gig at the Crown · 0 samples$"))
    expect(page).to_have_title("gig at the Crown · earmark studio")
    assert studio.project(empty_project)["name"] == "gig at the Crown"
    page.click("#rename-project-btn")
    page.fill("#rename-project-name", "a/b")
    page.click("#rename-project-save")
    expect(page.locator("[data-testid=toast-error]")).to_contain_text("cannot be used")
    assert not page_errors
