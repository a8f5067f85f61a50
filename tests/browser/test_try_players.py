"""Trying a file that Chromium does not play (AIFF, as Logic and GarageBand bounce; WMA): the page plays
and draws the server's copy, on the studio's Try tab and on the share page; when even that fails, a
note under the player says that it cannot be played and why."""

from __future__ import annotations

import re
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
from playwright.sync_api import Page, expect

from earmark.audio import load_audio
from earmark.demo import demo_data_dir

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def recording_aiff(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo recording (bass and drums, ~30 s) as a 16-bit stereo AIFF."""
    audio = load_audio(demo_data_dir() / "recording.ogg", sample_rate=44100)
    path = tmp_path_factory.mktemp("aiff") / "bounce.aiff"
    sf.write(path, np.stack([audio.samples, audio.samples], axis=1), 44100, subtype="PCM_16", format="AIFF")
    return path


@pytest.fixture(scope="module")
def short_wma(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1.5 s of a 110 Hz tone as WMA (shorter than two windows: a label and a player, no timeline)."""
    path = tmp_path_factory.mktemp("wma") / "tone.wma"
    rate = 44100
    t = np.arange(int(1.5 * rate)) / rate
    tone = (0.3 * np.sin(2 * np.pi * 110 * t)).astype(np.float32)
    with av.open(str(path), "w", format="asf") as out:
        stream = out.add_stream("wmav2", rate=rate, layout="mono")
        stream.bit_rate = 64000  # wmav2 opens only with one
        frame = av.AudioFrame.from_ndarray(tone[np.newaxis, :], format="fltp", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _plays(page: Page) -> None:
    """The result's player loads its source, plays, and shows no note."""
    audio = page.locator("[data-testid=predict-audio]")
    page.wait_for_function("() => { const a = document.querySelector('[data-testid=predict-audio]');"
                           " return a && (a.readyState >= 1 || a.error); }", timeout=15000)
    assert audio.evaluate("a => a.error && a.error.code") is None
    assert audio.evaluate("a => a.readyState") >= 1
    audio.evaluate("a => a.play()")
    page.wait_for_function("() => document.querySelector('[data-testid=predict-audio]').currentTime > 0.2",
                           timeout=10000)
    audio.evaluate("a => a.pause()")
    expect(page.locator("[data-testid=predict-audio-note]")).to_be_hidden()


def test_an_aiff_plays_and_draws_in_the_try_tab(page: Page, studio, demo_project, demo_model, page_errors,
                                                recording_aiff) -> None:
    studio.open(page, demo_project, "try")
    page.select_option("#predict-model", demo_model["id"])
    page.set_input_files("#predict-file", str(recording_aiff))
    timeline = page.locator("[data-testid=timeline]")
    expect(timeline).to_be_visible(timeout=30000)
    expect(timeline.locator("canvas[data-drawn=true]")).to_have_count(1, timeout=15000)  # drawn from the copy
    expect(page.locator(".no-picture")).to_have_count(0)
    _plays(page)
    duration = page.locator("[data-testid=predict-audio]").evaluate("a => a.duration")
    assert duration == pytest.approx(load_audio(recording_aiff).duration_s, abs=0.1)
    assert not page_errors


def test_a_wma_plays_on_the_share_page(page: Page, studio, demo_model, page_errors, short_wma) -> None:
    page.goto(f"{studio.url}/try/{demo_model['token']}")
    page.wait_for_selector("body[data-ready=true]")
    page.set_input_files("#try-file", str(short_wma))
    expect(page.locator("[data-testid=predict-label]")).to_be_visible(timeout=30000)
    expect(page.locator("[data-testid=timeline]")).to_have_count(0)
    _plays(page)
    assert not page_errors


def test_a_file_that_cannot_be_played_says_so(page: Page, studio, demo_model, page_errors, short_wma) -> None:
    """No copy (the server made none, or it is gone): the note says the file cannot be played here, and why."""
    token = demo_model["token"]
    answer = {"label": "bass", "confidence": 0.9, "probabilities": {"background": 0.05, "bass": 0.9, "drums": 0.05},
              "file": short_wma.name, "duration_s": 1.5, "timeline": None, "timeline_url": None, "audio_url": None}
    # the server's answer without a copy
    page.route(re.compile(rf"/api/try/{token}/predict$"), lambda route: route.fulfill(json=answer))
    page.goto(f"{studio.url}/try/{token}")
    page.wait_for_selector("body[data-ready=true]")
    page.set_input_files("#try-file", str(short_wma))
    note = page.locator("[data-testid=predict-audio-note]")
    expect(note).to_be_visible(timeout=30000)
    expect(note).to_have_text(re.compile(r"^This browser cannot play tone\.wma \(it does not play WMA files\), "
                                         r"and the server made no copy that it can\. .*convert the file to WAV"))
    page.unroute(re.compile(rf"/api/try/{token}/predict$"))
    page.route(re.compile(r"/api/results/.*\.flac$"), lambda route: route.fulfill(status=404, body=""))
    page.set_input_files("#try-file", str(short_wma))
    expect(note).to_contain_text("the copy made to play it here did not load", timeout=30000)
    assert not page_errors


def test_what_decoding_noted_is_listed_under_the_label(page: Page, studio, demo_model, page_errors,
                                                       tmp_path: Path) -> None:
    """A stereo take whose channels cancel when mixed (one wired the other way round): the label comes
    from its left channel, and the page says so, naming the file as it was given (not a temp path)."""
    rate = 44100
    t = np.arange(int(1.5 * rate)) / rate
    left = (0.3 * np.sin(2 * np.pi * 110 * t)).astype(np.float32)
    take = tmp_path / "wired backwards.wav"
    sf.write(take, np.stack([left, -left], axis=1), rate, subtype="PCM_16")
    page.goto(f"{studio.url}/try/{demo_model['token']}")
    page.wait_for_selector("body[data-ready=true]")
    page.set_input_files("#try-file", str(take))
    expect(page.locator("[data-testid=predict-label]")).to_be_visible(timeout=30000)
    expect(page.locator("[data-testid=predict-warnings] li")).to_have_text(
        ["wired backwards.wav: the channels cancel out when mixed to mono (one is the other inverted); "
         "earmark used the left channel"])
    right = tmp_path / "wired right.wav"
    sf.write(right, np.stack([left, left], axis=1), rate, subtype="PCM_16")
    page.set_input_files("#try-file", str(right))
    expect(page.locator(".predict-file")).to_have_text("wired right.wav", timeout=30000)
    expect(page.locator("[data-testid=predict-label]")).to_be_visible()
    expect(page.locator("[data-testid=predict-warnings]")).to_have_count(0)
    assert not page_errors
