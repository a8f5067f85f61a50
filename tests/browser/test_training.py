"""Training from the page: progress, live curves, cancel, and "under the hood" (confusion matrix cells)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Locator, Page, Route, expect

pytestmark = pytest.mark.browser


def test_train_shows_curves_and_a_clickable_confusion_matrix(page: Page, studio, demo_project, page_errors,
                                                               screenshot) -> None:
    studio.open(page, demo_project, "train")
    page.click("#train-advanced summary")
    page.fill("#train-epochs", "12")  # enough for the screenshots to show a model that has learnt
    page.fill("#train-batch", "32")
    page.click("#train-btn")
    # before the first epoch ends it says what it is doing, not "epoch 0"
    status = re.compile(r"Preparing the data, then 12 epochs…|Training… epoch [1-9]")
    expect(page.locator("#train-status")).to_contain_text(status)
    expect(page.locator("#train-status")).to_have_attribute("data-state", "done", timeout=90000)
    expect(page.locator("#train-status")).to_contain_text("validation accuracy")
    # and, beside it, the figure on recordings it never heard: the demo project's test set
    tests = sum(c["test_samples"] for c in studio.project(demo_project)["classes"])
    expect(page.locator("[data-testid=train-test]")).to_contain_text(
        re.compile(rf"On the project's test set: \d+\.\d % \({tests} clips it never trained on; validation"))
    expect(page.locator("#loss-chart")).to_have_attribute("data-points", "12")
    expect(page.locator("#acc-chart")).to_have_attribute("data-points", "12")
    expect(page.locator("#train-progress")).to_have_attribute("data-state", "done")

    models = studio.project(demo_project)["models"]
    newest = max(models, key=lambda m: m["created"])
    assert newest["labels"] == ["background", "bass", "drums"]
    expect(page.locator("#hood-model")).to_have_value(newest["id"])
    expect(page.locator("#hood-summary")).to_contain_text("validation clips right")
    for label in newest["labels"]:
        expect(page.locator(f"[data-testid=recall-{label}]")).to_contain_text("%")
    table = page.locator("[data-testid=confusion-table]")
    expect(table.locator("button.cell")).to_have_count(9)
    screenshot(page, "training", full_page=True)

    detail = studio.client.get(f"/api/projects/{demo_project}/models/{newest['id']}").json()
    key, refs = max(detail["validation"]["cells"].items(), key=lambda kv: len(kv[1]))
    true_label, predicted = key.split("|")
    cell = page.locator(f"[data-testid=cell-{true_label}-{predicted}]")
    expect(cell).to_have_text(str(len(refs)))
    cell.click()
    clips = page.locator("[data-testid=cell-clip]")
    expect(clips).to_have_count(len(refs))
    expect(page.locator("#cell-clips h3")).to_contain_text("heard as")

    first = clips.first
    expect(first.locator("img.spectro")).to_have_js_property("complete", True)
    assert first.locator("img.spectro").evaluate("img => img.naturalWidth") > 0
    played = first.locator("audio").evaluate(
        "a => a.play().then(() => new Promise(ok => setTimeout(() => ok(a.currentTime), 400)))")
    assert played > 0.05
    first.locator("audio").evaluate("a => a.pause()")
    screenshot(page, "confusion", full_page=True)

    # one click moves the clip out of its class (here: to the class it was taken for), and says so
    target = next(c for c in ("background", "bass", "drums") if c != refs[0]["class_name"])
    first.locator(f"[data-move-to={target}]").click()
    expect(first).to_contain_text(f"moved to {'Background Noise' if target == 'background' else target}")
    assert refs[0]["id"] in [s["id"] for s in studio.samples(demo_project, target)]
    # and the message's Undo moves it back, where it can be moved again
    page.locator("[data-testid=toast-info]", has_text=f"Moved {refs[0]['id']} to").locator(
        "[data-testid=toast-action]").click()
    expect(page.locator("[data-testid=toast-info]", has_text=f"Moved {refs[0]['id']} back.")).to_be_visible()
    expect(first.locator(f"[data-move-to={target}]")).to_be_visible()
    assert refs[0]["id"] in [s["id"] for s in studio.samples(demo_project, refs[0]["class_name"])]
    assert not page_errors


def test_cancel_a_training_run(page: Page, studio, demo_project, page_errors) -> None:
    studio.open(page, demo_project, "train")
    page.click("#train-advanced summary")
    page.fill("#train-epochs", "200")
    page.click("#train-btn")
    expect(page.locator("#cancel-train-btn")).to_be_visible()
    expect(page.locator("#train-btn")).to_be_disabled()
    expect(page.locator("#job-mini")).to_contain_text("Training")
    # the page stays usable while it trains
    page.click("#tab-samples")
    expect(page.locator("[data-testid=sample-card]").first).to_be_visible()
    page.click("#tab-train")
    page.click("#cancel-train-btn")
    expect(page.locator("#train-status")).to_have_attribute("data-state", "cancelled", timeout=60000)
    expect(page.locator("#train-btn")).to_be_enabled()
    expect(page.locator("#cancel-train-btn")).to_be_hidden()
    assert not page_errors


def test_a_page_reloaded_while_training_comes_back_at_once(page: Page, studio, demo_project, page_errors) -> None:
    """The processes that make training examples were forked copies of the studio's server, its open
    connections included. A browser connection the server closed when idle (after 5 s) stayed open
    for the browser while they lived, so a page reloaded mid-run sent its requests on it and stayed
    on "Loading…" until training ended (minutes, for a long run)."""
    studio.open(page, demo_project, "train")
    page.click("#train-advanced summary")
    page.fill("#train-epochs", "200")
    page.click("#train-btn")
    expect(page.locator("#train-status")).to_contain_text(re.compile(r"epoch [1-9]"), timeout=60000)
    page.wait_for_timeout(7000)  # past the time the server keeps an idle connection open (uvicorn's 5 s)
    page.reload()
    expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=10000)
    expect(page.locator("#job-mini")).to_contain_text("Training")
    page.click("#tab-train")
    page.click("#cancel-train-btn")
    expect(page.locator("#train-status")).to_have_attribute("data-state", "cancelled", timeout=60000)
    assert not page_errors


def test_stop_and_keep_saves_the_model_learnt_so_far(page: Page, studio, demo_project, page_errors) -> None:
    before = {m["id"] for m in studio.project(demo_project)["models"]}
    studio.open(page, demo_project, "train")
    page.click("#train-advanced summary")
    page.fill("#train-epochs", "200")
    page.click("#train-btn")
    # a fast machine is past epoch 1 before the page's next poll: any epoch will do
    expect(page.locator("#train-status")).to_contain_text(re.compile(r"Training… epoch \d+ of 200"), timeout=60000)
    page.click("#stop-train-btn")
    expect(page.locator("#train-status")).to_have_attribute("data-state", "done", timeout=60000)
    expect(page.locator("#train-status")).to_contain_text(re.compile(r"Stopped after epoch \d+ of 200: \S+ saved"))
    expect(page.locator("#stop-train-btn")).to_be_hidden()
    [kept] = [m["id"] for m in studio.project(demo_project)["models"] if m["id"] not in before]
    expect(page.locator("#hood-model")).to_have_value(kept)
    stopped = studio.client.get(f"/api/projects/{quote(demo_project)}/models/{kept}").json()["stopped_at_epoch"]
    assert 1 <= stopped < 200
    expect(page.locator("[data-testid=hood-settings]")).to_contain_text(f"Stopped at epoch {stopped} of 200 · batch ")
    expect(page.locator("[data-testid=hood-settings]")).not_to_contain_text("200 epochs")
    studio.client.delete(f"/api/projects/{quote(demo_project)}/models/{kept}").raise_for_status()
    assert not page_errors


def open_cell_clip(page: Page, studio, project: str, model_id: str,  # type: ignore[no-untyped-def]
                   change: Callable[[dict[str, Any]], None]) -> tuple[dict[str, str], Locator]:
    """Open the hood on ``model_id`` with its first cell's first clip changed by ``change`` (in the
    server's answer, as the page receives it); returns that clip's ``key``/``id``/``class_name``
    and its card."""
    given: dict[str, str] = {}

    def changed(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        key, refs = max(body["validation"]["cells"].items(), key=lambda kv: len(kv[1]))
        given.update(key=key, id=refs[0]["id"], class_name=refs[0]["class_name"])
        change(refs[0])
        route.fulfill(response=response, json=body)

    page.route(re.compile(rf"/models/{re.escape(model_id)}$"), changed)
    studio.open(page, project, "train")
    page.select_option("#hood-model", model_id)
    expect(page.locator("#hood-summary")).to_contain_text("validation clips right")
    true_label, predicted = given["key"].split("|")
    page.click(f"[data-testid=cell-{true_label}-{predicted}]")
    return given, page.locator(f"[data-testid=cell-clip][data-sample='{given['id']}']").first


def test_cell_clips_play_their_media_fragment(page: Page, studio, demo_project, demo_model, page_errors) -> None:
    """A cell clip cut from a longer file comes with "#t=START,END" on its audio URL: the page uses the
    URL as given (the player plays just that part) and the card still shows "start–end"."""
    sent: dict[str, str] = {}

    def with_fragment(ref: dict[str, Any]) -> None:
        ref["audio_url"] = sent["url"] = ref["audio_url"].split("#")[0] + "#t=0.2,0.7"
        ref.pop("start_s", None)  # the span then comes from the fragment alone
        ref.pop("end_s", None)

    _, clip = open_cell_clip(page, studio, demo_project, demo_model["id"], with_fragment)
    expect(clip.locator("audio")).to_have_attribute("src", sent["url"])
    expect(clip.locator("[data-testid=clip-span]")).to_have_text(" · 0.2–0.7 s")
    start = clip.locator("audio").evaluate(
        "a => new Promise(ok => { a.onloadedmetadata = () => ok(a.currentTime); a.load(); })")
    assert start == pytest.approx(0.2, abs=0.01)  # Chromium starts at the fragment's start
    assert not page_errors


def test_a_clip_of_a_longer_recording_asks_before_deleting_it(page: Page, studio, demo_project, demo_model,
                                                              page_errors) -> None:
    given, clip = open_cell_clip(page, studio, demo_project, demo_model["id"],
                                 lambda ref: ref.update(start_s=4.0, end_s=8.0))
    button = clip.locator("[data-action=delete]")
    expect(button).to_have_text("Delete recording")
    page.once("dialog", lambda dialog: dialog.dismiss())
    button.click()
    page.wait_for_timeout(300)
    assert given["id"] in [s["id"] for s in studio.samples(demo_project, given["class_name"])], \
        "dismissing the question keeps the recording"
    assert not page_errors


def test_a_clip_gone_since_training_is_shown_without_fetching_it(page: Page, studio, demo_project, demo_model,
                                                                 page_errors) -> None:
    """The server says a clip is gone (moved or deleted since training): the card says so and asks
    the server for nothing (it showed a broken picture and a player that could not play)."""
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    given, clip = open_cell_clip(page, studio, demo_project, demo_model["id"], lambda ref: ref.update(exists=False))
    expect(clip).to_have_class(re.compile(r"\bgone\b"))
    expect(clip).to_contain_text("moved or deleted since training")
    expect(clip.locator("img")).to_have_count(0)
    expect(clip.locator("audio")).to_have_count(0)
    expect(clip.locator("[data-action=delete]")).to_have_count(0)
    page.wait_for_timeout(300)
    mine = f"/samples/{given['class_name']}/{given['id']}/"
    assert not [url for url in asked if mine in url], "the page fetched a clip it was told is gone"
    assert not page_errors


def test_a_clip_moved_to_the_test_set_plays_from_there(page: Page, studio, demo_project, demo_model,
                                                       page_errors) -> None:
    """A validation clip whose recording went to the test set since: the card says so, plays it
    from the test set (the server's addresses, as given) and offers no training-set actions."""
    def in_test_set(ref: dict[str, Any]) -> None:
        ref.update(test=True, audio_url=ref["audio_url"].replace("?v=", "?set=test&v="))

    _, clip = open_cell_clip(page, studio, demo_project, demo_model["id"], in_test_set)
    expect(clip).to_contain_text("in the test set now")
    expect(clip.locator("audio")).to_have_attribute("src", re.compile(r"\?set=test&v="))
    expect(clip.locator("[data-action=delete]")).to_have_count(0)
    expect(clip.locator("[data-move-to]")).to_have_count(0)
    assert not page_errors


def test_a_clip_deleted_from_a_cell_comes_back_with_undo(page: Page, studio, demo_project, demo_model,
                                                         page_errors) -> None:
    given, clip = open_cell_clip(page, studio, demo_project, demo_model["id"], lambda ref: None)
    clip.locator("[data-action=delete]").click()
    expect(clip).to_have_class(re.compile(r"\bgone\b"))
    assert given["id"] not in [s["id"] for s in studio.samples(demo_project, given["class_name"])]
    page.locator("[data-testid=toast-info]", has_text=f"Deleted {given['id']}").locator(
        "[data-testid=toast-action]").click()
    card = page.locator(f"[data-testid=cell-clip][data-sample='{given['id']}']").first
    expect(card.locator("[data-action=delete]")).to_be_visible()  # playable and movable again
    expect(card).not_to_have_class(re.compile(r"\bgone\b"))
    assert given["id"] in [s["id"] for s in studio.samples(demo_project, given["class_name"])]
    assert not page_errors


def test_a_deleted_model_comes_back_with_undo(page: Page, studio, demo_project, demo_model, page_errors) -> None:
    """A copy of the demo model (the others use the original): Delete model, then the toast's Undo."""
    data = studio.client.get(demo_model["download_url"]).content
    copy = studio.client.post(f"/api/projects/{demo_project}/models/import",
                              files={"file": ("keeper.earmark", data)}).json()
    studio.open(page, demo_project, "train")
    page.select_option("#hood-model", copy["id"])
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-model-btn")
    toast = page.locator("[data-testid=toast-info]", has_text=f"Deleted model {copy['id']}")
    expect(toast).to_be_visible()
    expect(page.locator(f"#hood-model option[value='{copy['id']}']")).to_have_count(0)
    assert studio.client.get(f"/api/try/{copy['token']}").status_code == 404
    toast.locator("[data-testid=toast-action]").click()
    expect(page.locator("[data-testid=toast-info]", has_text=f"Restored model {copy['id']}")).to_be_visible()
    expect(page.locator("#hood-model")).to_have_value(copy["id"])  # back, and shown
    expect(page.locator("#keep-model")).to_have_value(copy["id"])
    assert studio.client.get(f"/api/try/{copy['token']}").status_code == 200  # its share link works again
    studio.client.delete(f"/api/projects/{demo_project}/models/{copy['id']}").raise_for_status()
    assert not page_errors


def test_chart_axes_have_round_ticks(page: Page, studio, demo_project, page_errors) -> None:
    """A loss that peaks at 0.89 is drawn on 0 0.2 … 1, not on 0.00 0.49 0.98."""
    studio.open(page, demo_project, "train")
    ticks = page.evaluate("""async () => {
        const { drawChart } = await import('/static/charts.js');
        const draw = (values, options) => {
            const canvas = document.createElement('canvas');
            drawChart(canvas, [{ label: 'train', values, colour: '#000' }], options);
            return canvas.dataset.ticks;
        };
        return [draw([0.89, 0.4]), draw([2.3, 1.2]), draw([0.012, 0.004]),
                draw([0.9, 0.5], { yMax: 1, percent: true })];
    }""")
    assert ticks == ["0 0.2 0.4 0.6 0.8 1", "0 0.5 1 1.5 2 2.5", "0 0.0025 0.005 0.0075 0.01 0.0125",
                     "0% 20% 40% 60% 80% 100%"]
    assert not page_errors
