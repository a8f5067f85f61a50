"""Trying a model in the page: live preview from the (fake) microphone, and a file with its timeline."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from earmark.audio import load_audio
from earmark.demo import demo_data_dir

pytestmark = pytest.mark.browser


def test_live_preview_hears_bass_and_saves_a_misfire(page: Page, studio, demo_project, demo_model, page_errors,
                                                     screenshot) -> None:
    studio.open(page, demo_project)
    page.click("#set-test")  # the Samples screen left on a test set: a misfire still goes to training
    page.click("#tab-try")
    page.select_option("#live-model", demo_model["id"])
    page.click("#live-start-btn")
    expect(page.locator("#live-status")).to_contain_text("listening at 44100 Hz")
    expect(page.locator("#live-bars .bar-row")).to_have_count(3)
    # the fake microphone plays demo bass notes after 1 s of silence
    expect(page.locator("#live-label")).to_have_attribute("data-label", "bass", timeout=15000)
    expect(page.locator("#live-bars .bar-row.winner")).to_have_attribute("data-label", "bass")
    page.wait_for_timeout(2500)
    rate = float(re.match(r"([\d.]+) updates/s", page.inner_text("#live-rate")).group(1))
    assert rate >= 9.0, f"only {rate} updates a second"
    assert page.locator("#live-spectrogram").evaluate(
        "c => { const d = c.getContext('2d').getImageData(c.width - 4, 0, 2, c.height).data;"
        " let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i]; return s / (d.length / 4); }") > 5
    screenshot(page, "live")

    before = {s["id"] for s in studio.samples(demo_project, "background")}
    page.select_option("#misfire-class", "background")
    page.click("#save-misfire-btn")
    expect(page.locator("#misfire-status")).to_contain_text("Saved 2.0 s into Background Noise")
    added = [s for s in studio.samples(demo_project, "background") if s["id"] not in before]
    assert len(added) == 1 and added[0]["recording"].startswith("live-")
    assert added[0]["duration_s"] == pytest.approx(2.0, abs=0.05)
    studio.client.delete(f"/api/projects/{demo_project}/samples/background/{added[0]['id']}").raise_for_status()

    page.click("#live-stop-btn")
    expect(page.locator("#live-status")).to_have_text("stopped")
    # nothing heard any more: no label, bars, rate or level
    expect(page.locator("#live-label")).to_have_text("–")
    expect(page.locator("#live-label")).not_to_have_attribute("data-label", re.compile(".*"))
    expect(page.locator("#live-bars .bar-row")).to_have_count(0)
    expect(page.locator("#live-rate")).to_have_text("")
    expect(page.locator("#live-meter .meter-db")).to_have_text("– dB")
    # what was heard just before Stop can still be saved (the misfire is often why one stops)
    before = {s["id"] for s in studio.samples(demo_project, "background")}
    expect(page.locator("#save-misfire-btn")).to_be_enabled()
    page.evaluate("document.querySelector('#misfire-status').textContent = ''")  # the first save said the same
    page.click("#save-misfire-btn")
    expect(page.locator("#misfire-status")).to_contain_text(re.compile(r"Saved 2\.0 s into Background Noise"))
    added = [s for s in studio.samples(demo_project, "background") if s["id"] not in before]
    assert len(added) == 1
    studio.client.delete(f"/api/projects/{demo_project}/samples/background/{added[0]['id']}").raise_for_status()
    assert not page_errors


def test_try_a_file_and_play_its_timeline(page: Page, studio, demo_project, demo_model, page_errors,
                                          screenshot) -> None:
    studio.open(page, demo_project, "try")
    page.select_option("#predict-model", demo_model["id"])

    # a short sound (under two windows) gets a label and no timeline
    drum = next(p for p in sorted((demo_data_dir() / "train" / "drums").glob("*.ogg"))
                if load_audio(p).duration_s < 1.9)
    page.set_input_files("#predict-file", str(drum))
    expect(page.locator("[data-testid=predict-label]")).to_have_attribute("data-label", "drums", timeout=15000)
    expect(page.locator("[data-testid=predict-result] .bar-row")).to_have_count(3)
    expect(page.locator("[data-testid=timeline]")).to_have_count(0)

    page.set_input_files("#predict-file", str(demo_data_dir() / "recording.ogg"))
    timeline = page.locator("[data-testid=timeline]")
    expect(timeline).to_be_visible(timeout=30000)
    expect(timeline.locator("canvas[data-drawn=true]")).to_have_count(1, timeout=15000)
    segments = timeline.locator(".segment")
    assert segments.count() >= 3
    labels = {segments.nth(i).get_attribute("data-label") for i in range(segments.count())}
    assert {"bass", "drums"} <= labels

    audio = page.locator("[data-testid=predict-audio]")
    audio.evaluate("a => { a.currentTime = 7; return a.play(); }")
    page.wait_for_timeout(600)
    left = float(page.locator("[data-testid=timeline-cursor]").evaluate("c => parseFloat(c.style.left)"))
    assert 20 < left < 30, left  # about 7.5 s of 30 s
    audio.evaluate("a => a.pause()")
    screenshot(page, "timeline", full_page=True)
    assert not page_errors


def test_a_tried_file_or_the_part_at_the_cursor_goes_into_a_class(page: Page, studio, demo_project, demo_model,
                                                                  page_errors) -> None:
    """What the model got wrong on a file becomes training samples: the part of the timeline under the
    play cursor, cut by the server from the file itself, or the whole file; all one recording."""
    studio.open(page, demo_project, "try")
    page.select_option("#predict-model", demo_model["id"])
    page.set_input_files("#predict-file", str(demo_data_dir() / "recording.ogg"))
    expect(page.locator("[data-testid=timeline]")).to_be_visible(timeout=30000)
    part, whole = page.locator("[data-testid=teach-part]"), page.locator("[data-testid=teach-file]")
    expect(part).to_be_disabled()  # until a class is chosen
    expect(whole).to_be_disabled()
    page.locator("[data-testid=predict-audio]").evaluate(
        "a => new Promise((done) => { a.addEventListener('seeked', done, { once: true }); a.currentTime = 9; })")
    expect(part).to_contain_text(re.compile(r"the part at the cursor \(\w+, [\d.]+–[\d.]+ s\)"))
    start_s, end_s = (float(t) for t in re.search(r"([\d.]+)–([\d.]+) s", part.inner_text()).groups())
    assert start_s <= 9 < end_s

    before = {c: {s["id"] for s in studio.samples(demo_project, c)} for c in ("bass", "drums")}
    page.select_option("[data-testid=teach-class]", "bass")
    part.click()
    status = page.locator("[data-testid=teach-status]")
    expect(status).to_contain_text(f"Added {start_s:.1f}–{end_s:.1f} s of recording.ogg to bass", timeout=30000)
    added = [s for s in studio.samples(demo_project, "bass") if s["id"] not in before["bass"]]
    assert added and sum(s["duration_s"] for s in added) == pytest.approx(end_s - start_s, abs=0.1)
    [recording] = {s["recording"] for s in added}
    assert recording.startswith("recording-")

    page.select_option("[data-testid=teach-class]", "drums")
    whole.click()
    expect(status).to_contain_text("Added all of recording.ogg to drums", timeout=30000)
    cut = [s for s in studio.samples(demo_project, "drums") if s["id"] not in before["drums"]]
    assert len(cut) >= 7 and {s["recording"] for s in cut} == {recording}, "one tried file, one recording"
    # tried again (another model, a reload): the same file is the same recording
    page.set_input_files("#predict-file", str(demo_data_dir() / "recording.ogg"))
    expect(page.locator("[data-testid=teach-status]")).to_have_text("", timeout=30000)
    page.select_option("[data-testid=teach-class]", "bass")
    page.locator("[data-testid=teach-part]").click()
    expect(page.locator("[data-testid=teach-status]")).to_contain_text("to bass", timeout=30000)
    more = [s for s in studio.samples(demo_project, "bass") if s["id"] not in before["bass"] and s not in added]
    assert more and {s["recording"] for s in more} == {recording}
    added += more

    # a short file kept as it came, added twice: the second time says it is a copy (it counts twice)
    drum = sorted((demo_data_dir() / "train" / "drums").glob("*.ogg"))[0]
    page.set_input_files("#predict-file", str(drum))
    expect(page.locator("[data-testid=predict-label]")).to_have_attribute("data-label", re.compile(".+"), timeout=30000)
    page.select_option("[data-testid=teach-class]", "drums")
    page.locator("[data-testid=teach-file]").click()
    expect(page.locator("[data-testid=teach-status]")).to_contain_text(
        re.compile(rf"Added all of {re.escape(drum.name)} to drums \(1 sample\); train again.* "
                   r"Note: is the same file as .*already in class 'drums'"), timeout=30000)  # the demo's own sample
    cut += [s for s in studio.samples(demo_project, "drums") if s["id"] not in before["drums"] and s not in cut]
    for s in added + cut:  # the demo project is shared with the other tests
        studio.client.delete(f"/api/projects/{demo_project}/samples/{s['class_name']}/{s['id']}").raise_for_status()
    assert not page_errors


def test_an_answer_less_sure_than_usual_says_where_to_listen(page: Page, studio, demo_project, demo_model,
                                                             page_errors) -> None:
    """Below the model's sure_level (how sure it was of 95 % of its right validation answers), the
    answer says it is worth a listen and the timeline hatches the segments concerned; a model without
    a level (too few validation clips) marks nothing."""
    segments = [{"start_s": 0.0, "end_s": 10.0, "label": "bass", "confidence": 0.95},
                {"start_s": 10.0, "end_s": 20.0, "label": "drums", "confidence": 0.7},
                {"start_s": 20.0, "end_s": 30.0, "label": "background", "confidence": 0.99}]
    answer = {"label": "bass", "confidence": 0.6, "probabilities": {"background": 0.1, "bass": 0.6, "drums": 0.3},
              "duration_s": 30.0, "sure_level": 0.9,
              "timeline": {"duration_s": 30.0, "labels": ["background", "bass", "drums"], "segments": segments}}
    page.route(re.compile(r"/models/[^/]+/predict$"), lambda route: route.fulfill(json=answer))
    studio.open(page, demo_project, "try")
    page.select_option("#predict-model", demo_model["id"])
    page.set_input_files("#predict-file", str(demo_data_dir() / "recording.ogg"))
    expect(page.locator("[data-testid=predict-unsure]")).to_have_text(
        "less sure than usual (under 90.0 %): worth a listen", timeout=30000)
    unsure = page.locator("[data-testid=timeline] .segment.unsure")
    expect(unsure).to_have_count(1)
    expect(unsure).to_have_attribute("data-label", "drums")
    expect(unsure).to_have_attribute("title", re.compile(r"worth a listen$"))
    assert "gradient" in unsure.evaluate("s => getComputedStyle(s).backgroundImage")  # the hatch shows
    assert page.locator("[data-testid=timeline] .segment").nth(0).evaluate(
        "s => getComputedStyle(s).backgroundImage") == "none"

    answer["sure_level"] = None
    page.set_input_files("#predict-file", str(demo_data_dir() / "recording.ogg"))
    expect(page.locator("[data-testid=timeline] .segment")).to_have_count(3, timeout=30000)
    expect(page.locator("[data-testid=predict-unsure]")).to_have_count(0)
    expect(page.locator("[data-testid=timeline] .segment.unsure")).to_have_count(0)
    assert not page_errors


def test_a_long_recordings_timeline_stays_readable(page: Page, studio, demo_project, demo_model, page_errors,
                                                   tmp_path) -> None:
    """A 20-minute recording: a time axis of at most ten labels that do not overlap (it had 121), how
    much of the time each class holds, and the segments to download as the CLI writes them."""
    duration = 1200.0
    bounds = np.linspace(0, duration, 41)
    segments = [{"start_s": float(a), "end_s": float(b), "label": ("bass", "drums", "background")[i % 3],
                 "confidence": 0.8} for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))]
    answer = {"label": "bass", "confidence": 0.5, "probabilities": {"background": 0.2, "bass": 0.5, "drums": 0.3},
              "duration_s": duration, "timeline": {"duration_s": duration, "labels": ["background", "bass", "drums"],
                                                   "segments": segments}}
    # the server's answer for a 20-minute file, given for a short one: the page draws what it is told
    page.route(re.compile(r"/models/[^/]+/predict$"), lambda route: route.fulfill(json=answer))
    studio.open(page, demo_project, "try")
    page.select_option("#predict-model", demo_model["id"])
    page.set_input_files("#predict-file", str(demo_data_dir() / "recording.ogg"))
    timeline = page.locator("[data-testid=timeline]")
    expect(timeline).to_be_visible(timeout=30000)
    ticks = timeline.locator(".time-axis span")
    assert 4 <= ticks.count() <= 11
    assert ticks.all_inner_texts()[:3] == ["0 s", "2:00", "4:00"]
    boxes = [ticks.nth(i).bounding_box() for i in range(ticks.count())]
    for left, right in zip(boxes, boxes[1:]):
        assert left is not None and right is not None and left["x"] + left["width"] <= right["x"], (left, right)
    axis = timeline.locator(".time-axis").bounding_box()
    last = boxes[-1]
    assert axis is not None and last is not None and last["x"] + last["width"] <= axis["x"] + axis["width"] + 1
    legend = timeline.locator("[data-testid=timeline-legend]")
    expect(legend).to_contain_text("Background Noise · 33 % of the time")
    expect(legend).to_contain_text("bass · 35 % of the time")  # 14 of 40 segments
    with page.expect_download() as download:
        timeline.locator("[data-testid=segments-download]").click()
    assert download.value.suggested_filename == "recording-segments.csv"
    rows = Path(download.value.path()).read_text().splitlines()
    assert rows[0] == "start_s,end_s,label,confidence" and len(rows) == 41
    assert rows[1] == "0.000,30.000,bass,0.8000"

    # zoom in to read it: half the recording, then a quarter, then move on, then all of it again
    expect(timeline.locator("[data-testid=timeline-span]")).to_have_text("whole recording")
    segments = timeline.locator(".segment")
    expect(segments).to_have_count(40)
    timeline.locator("[data-testid=zoom-in]").click()  # around the middle (the player is at 0 s)
    expect(timeline.locator("[data-testid=timeline-span]")).to_have_text("5:00 – 15:00")
    expect(segments).to_have_count(20)
    assert ticks.all_inner_texts()[:2] == ["5:00", "6:00"]
    timeline.focus()
    page.keyboard.press("+")
    expect(timeline.locator("[data-testid=timeline-span]")).to_have_text("7:30 – 12:30")
    expect(segments).to_have_count(10)
    assert ticks.all_inner_texts()[:2] == ["7:30", "8:00"]
    page.keyboard.press("ArrowRight")
    expect(timeline.locator("[data-testid=timeline-span]")).to_have_text("10:00 – 15:00")
    assert ticks.all_inner_texts()[0] == "10:00"
    expect(segments.first).to_have_attribute("title", re.compile(r"^Background Noise · 600\.0–630\.0 s"))
    timeline.locator("[data-testid=zoom-all]").click()
    expect(timeline.locator("[data-testid=timeline-span]")).to_have_text("whole recording")
    expect(segments).to_have_count(40)
    assert not page_errors
