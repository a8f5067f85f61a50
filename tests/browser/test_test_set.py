"""The project's test set in a real browser: record, upload and move recordings into it, then score
every model on it side by side and hear its mistakes."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from playwright.sync_api import Page, expect

from earmark.demo import demo_data_dir

from .conftest import DEMO_EPOCHS

pytestmark = pytest.mark.browser


def _long_take(path: Path, seconds: float = 14.0, rate: int = 22050) -> Path:
    """A 14 s bass-like line (the server cuts it into four clips of one recording)."""
    t = np.arange(int(seconds * rate)) / rate
    line = 0.3 * np.sin(2 * np.pi * (55 + 10 * np.floor(t * 2)) * t) * (0.6 + 0.4 * np.cos(2 * np.pi * 2 * t) ** 2)
    sf.write(path, line.astype(np.float32), rate, subtype="PCM_16")
    return path


def test_a_test_set_is_filled_and_every_model_scored_on_it(page: Page, studio, tmp_path, page_errors,
                                                            screenshot) -> None:
    project = studio.create_project("test set e2e", demo=True)
    model = studio.train(project, epochs=DEMO_EPOCHS, seed=0)
    copy = studio.client.post(f"/api/projects/{project}/models/import",
                              files={"file": ("copy.earmark", studio.client.get(model["download_url"]).content)})
    assert copy.status_code == 201, copy.text
    test_sets = lambda name: studio.client.get(  # noqa: E731
        f"/api/projects/{project}/classes/{name}/samples?set=test").json()["samples"]

    demo_tests = len(list((demo_data_dir() / "test" / "bass").iterdir()))
    assert len(test_sets("bass")) == demo_tests, "the demo project comes with the demo's test clips"

    studio.open(page, project)
    cards = page.locator("[data-testid=sample-card]")
    # the switch: the grid, the headings and where files go all change with it
    page.fill("#new-class-name", "guitar")
    page.click("#add-class-btn")
    expect(page.locator("#class-title")).to_have_text("guitar")
    page.click("#set-test")
    expect(page.locator("#sample-heading")).to_have_text("Test set")
    expect(page.locator("#set-note")).to_be_visible()
    expect(page.locator("#upload-card h3")).to_contain_text("into the test set")
    expect(page.locator("#sample-grid")).to_contain_text("No test samples yet")
    page.click("[data-testid=class-bass]")  # the switch stays on the test set from class to class
    expect(cards).to_have_count(demo_tests)
    page.click("#set-training")
    trained = len(studio.samples(project, "bass"))
    expect(cards).to_have_count(trained)
    page.click("#set-test")
    expect(cards).to_have_count(demo_tests)

    drum_hit = sorted((demo_data_dir() / "test" / "drums").glob("*"))[0]
    wrong = tmp_path / "mislabelled-drum.ogg"  # a drum hit put in bass's test set: a mistake to hear
    wrong.write_bytes(drum_hit.read_bytes())
    other = _long_take(tmp_path / "other-room.wav", seconds=2.0)
    page.set_input_files("#sample-files", [str(other), str(wrong)])
    expect(page.locator("[data-testid=added-count]")).to_have_text("Added 2 samples.")
    expect(cards).to_have_count(demo_tests + 2)
    expect(cards.locator("[data-action=to-training]")).to_have_count(demo_tests + 2)
    assert {"other-room.wav", wrong.name} <= {s["id"] for s in test_sets("bass")}
    assert "other-room.wav" not in {s["id"] for s in studio.samples(project, "bass")}
    expect(page.locator("[data-testid=count-bass]")).to_contain_text(f"test {demo_tests + 2}")

    # a recording made while the switch says "test set" lands there
    page.click("#mic-btn")
    expect(page.locator("#device-rate")).to_contain_text("capturing at")
    page.wait_for_timeout(1200)  # past the fake microphone's second of silence
    page.fill("#rec-count", "1")
    page.fill("#rec-length", "1")
    page.click("#record-btn")
    expect(page.locator("#rec-status")).to_contain_text("Saved 1 sample(s)", timeout=15000)
    expect(cards).to_have_count(demo_tests + 3)
    assert any(s["recording"].startswith("take-") for s in test_sets("bass"))
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "test-set")

    # back in the training samples, a long take's clips go to the test set together
    page.click("#set-training")
    expect(page.locator("#sample-heading")).to_have_text("Training samples")
    page.set_input_files("#sample-files", [str(_long_take(tmp_path / "jam.wav"))])
    expect(page.locator("[data-testid=added-count]")).to_have_text("Added 4 samples.")
    expect(cards).to_have_count(trained + 4)
    # its last clip holds only the room: relabelled, it is still part of the take
    page.locator("[data-testid=sample-card][data-sample='jam_nohash_003.wav'] .move-select").select_option("background")
    expect(cards).to_have_count(trained + 3)
    page.locator("[data-testid=sample-card][data-sample='jam_nohash_002.wav'] [data-action=to-test]").click()
    expect(page.locator("[data-testid=toast-info] .toast-text").last).to_have_text(
        "Moved 4 clips of jam to the test set of bass and Background Noise.")
    expect(cards).to_have_count(trained)
    assert sum(s["recording"] == "jam" for s in test_sets("bass")) == 3
    assert sum(s["recording"] == "jam" for s in test_sets("background")) == 1

    # every model scored on it, side by side, with the mistakes to hear
    total = sum(c["test_samples"] for c in studio.project(project)["classes"])
    page.click("#tab-evaluate")
    expect(page.locator("[data-testid=testset-summary]")).to_contain_text(
        f"{total} clips: Background Noise 11, bass {demo_tests + 6}, drums 10")
    page.click("#testset-run")
    table = page.locator("[data-testid=side-by-side]")
    expect(table.locator("tbody tr")).to_have_count(2, timeout=30000)
    expect(table.locator("tbody tr").first).to_contain_text(re.compile(r"\d+ %"))
    accuracies = table.locator("[data-testid=side-accuracy]").all_inner_texts()
    assert len(set(accuracies)) == 1, "a model and its copy score the same"
    report = page.locator("details.model-report").first
    report.locator(":scope > summary").click()
    report.locator(".report details > summary").click()  # the list of misclassified clips
    mistake = report.locator(".misclassified li", has_text="mislabelled-drum.ogg")
    expect(mistake).to_contain_text("bass → drums")
    src = mistake.locator("audio").get_attribute("src")
    assert src and "set=test" in src
    heard = studio.client.get(src)
    assert heard.status_code == 200 and heard.content == wrong.read_bytes()
    screenshot(page, "test-set-scores")

    # and a recording goes back to training from the test set
    page.click("#tab-samples")
    page.click("#set-test")
    page.locator("[data-testid=sample-card][data-sample='jam_nohash_000.wav'] [data-action=to-training]").click()
    expect(page.locator("[data-testid=toast-info] .toast-text").last).to_have_text(
        "Moved 4 clips of jam to the training samples of bass and Background Noise.")
    expect(cards).to_have_count(demo_tests + 3)

    # the scores taken before that move say they are out of date, until taken again
    page.click("#tab-evaluate")
    stale = page.locator("[data-testid=testset-stale]")
    expect(stale).to_contain_text("changed since these scores were taken")
    expect(table.locator("tbody tr")).to_have_count(2)  # still there to read, marked
    page.click("#testset-run")
    expect(table.locator("tbody tr")).to_have_count(2, timeout=30000)
    expect(stale).to_have_count(0)
    assert not page_errors
