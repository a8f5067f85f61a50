"""What a user without a mouse, on a phone, or mindful of the microphone light gets from the studio."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from earmark.audio import Audio, write_wav

pytestmark = pytest.mark.browser

#: Keeps every microphone stream the page opens, so a test can see whether its tracks were stopped.
TRACK_STREAMS = """
(() => {
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  window.__micStreams = [];
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await original(constraints);
    window.__micStreams.push(stream);
    return stream;
  };
})();
"""
LIVE_TRACKS = "window.__micStreams.flatMap(s => s.getTracks()).filter(t => t.readyState === 'live').length"


def tone_wav(path: Path) -> Path:
    t = np.arange(22050) / 22050
    write_wav(path, Audio((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 22050))
    return path


def test_file_pickers_and_drop_zones_answer_the_keyboard(page: Page, studio, empty_project, tmp_path,
                                                         page_errors) -> None:
    # Playwright turns on catching file pickers when the first listener is added, asynchronously:
    # add one before the page opens, or a picker opened soon after may slip past uncaught
    page.on("filechooser", lambda _chooser: None)
    studio.open(page, empty_project)
    wav = tone_wav(tmp_path / "tone.wav")
    # Tab reaches "Choose files" (a <label> for a hidden input was skipped), and Enter opens the picker
    page.focus("#sample-drop")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Choose files"
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(wav))
    expect(page.locator("[data-testid=sample-card]")).to_have_count(1)
    # Enter or Space on the focused drop zone opens the same picker
    for key in ("Enter", " "):
        page.focus("#sample-drop")
        with page.expect_file_chooser() as chooser:
            page.keyboard.press(key)
        assert chooser.value.is_multiple()
        chooser.value.set_files([])  # closes it: a browser opens one picker at a time
    for opener in page.locator("[data-opens]").all():
        assert opener.evaluate("b => b.tagName") == "BUTTON", opener.get_attribute("data-opens")
    assert not page_errors


def test_sample_pictures_are_shown_whole(page: Page, studio, demo_project, page_errors) -> None:
    # object-fit: cover scaled each picture to the card's width and cut off its top and bottom rows,
    # the lowest notes among them (a 1 s picture lost two thirds of its rows, a 3 s one an eighth)
    studio.open(page, demo_project)
    picture = page.locator("[data-testid=sample-card] img.spectro").first
    expect(picture).to_have_js_property("complete", True)
    expect(picture).to_have_css("object-fit", "fill")
    box = picture.bounding_box()
    assert box is not None and box["height"] >= 64 and box["width"] >= 64, box  # every row has its pixel
    assert not page_errors


def test_the_page_fits_a_phone(page: Page, studio, demo_project, page_errors) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{studio.url}/?project=nope#samples")  # an unknown project: an error toast
    page.wait_for_selector("body[data-ready=true][data-project]")
    toast = page.locator("[data-testid=toast-error]")
    expect(toast).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px screen"
    box = toast.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    for tab in ("train", "try", "evaluate", "keep"):
        page.click(f"#tab-{tab}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the {tab} tab is {width} px wide on a 390 px screen"
    assert not page_errors


def test_the_microphone_closes_when_nothing_listens(page: Page, studio, demo_project, demo_model,
                                                    page_errors) -> None:
    page.add_init_script(TRACK_STREAMS)
    studio.open(page, demo_project, "try")
    page.select_option("#live-model", demo_model["id"])
    page.click("#live-start-btn")
    expect(page.locator("#live-status")).to_contain_text("listening at")
    assert page.evaluate(LIVE_TRACKS) == 1
    page.click("#live-stop-btn")
    expect(page.locator("#live-status")).to_have_text("stopped")
    page.wait_for_function(f"{LIVE_TRACKS} === 0")  # the browser's microphone light goes out

    # leaving the Try tab stops listening too
    page.click("#live-start-btn")
    expect(page.locator("#live-status")).to_contain_text("listening at")
    page.click("#tab-samples")
    page.wait_for_function(f"{LIVE_TRACKS} === 0")
    page.click("#tab-try")
    expect(page.locator("#live-status")).to_have_text("stopped: you left the Try tab")

    # the Samples tab's own button holds it open until turned off, and says which it will do
    page.click("#tab-samples")
    expect(page.locator("#mic-btn")).to_have_text("Turn mic on")
    page.click("#mic-btn")
    expect(page.locator("#mic-btn")).to_have_text("Turn mic off")
    page.wait_for_function(f"{LIVE_TRACKS} === 1")
    page.click("#mic-btn")
    expect(page.locator("#mic-btn")).to_have_text("Turn mic on")
    page.wait_for_function(f"{LIVE_TRACKS} === 0")
    assert not page_errors


def test_a_recording_lets_go_of_the_microphone(page: Page, studio, empty_project, page_errors) -> None:
    page.add_init_script(TRACK_STREAMS)
    studio.open(page, empty_project)
    page.fill("#rec-count", "1")
    page.fill("#rec-length", "0.5")
    page.click("#record-btn")
    expect(page.locator("[data-testid=sample-card]")).to_have_count(1, timeout=15000)
    page.wait_for_function(f"{LIVE_TRACKS} === 0")
    expect(page.locator("#mic-btn")).to_have_text("Turn mic on")
    assert not page_errors


def test_a_reload_comes_back_to_the_project_picked(page: Page, studio, demo_project, empty_project,
                                                   page_errors) -> None:
    studio.open(page, demo_project)
    page.select_option("#project-select", empty_project)
    page.wait_for_selector(f"body[data-project='{empty_project}']")
    assert re.search(r"[?&]project=", page.url)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("body")).to_have_attribute("data-project", empty_project)
    assert not page_errors


def test_small_things_a_user_meets(page: Page, studio, demo_project, demo_model, tmp_path, page_errors) -> None:
    studio.open(page, demo_project)
    # names are cut where the server would refuse them; recording progress is announced as progress
    expect(page.locator("#new-class-name")).to_have_attribute("maxlength", "64")
    expect(page.locator("#new-project-name")).to_have_attribute("maxlength", "64")
    expect(page.locator("#rec-progress-bar")).to_have_attribute("role", "progressbar")
    # comparing a model with itself says so instead of evaluating it twice
    page.click("#tab-evaluate")
    page.select_option("#eval-model", demo_model["id"])
    page.check("#eval-compare")
    page.select_option("#eval-model-b", demo_model["id"])
    page.set_input_files("#eval-zip", str(tone_wav(tmp_path / "tone.wav")))
    expect(page.locator("[data-testid=toast-error]")).to_contain_text("pick two different models to compare")
    assert not page_errors
