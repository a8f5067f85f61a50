"""What the exported page's runtime (earmark.js) takes from a caller: the same clips and rates as
earmark in Python (waveform.check_sample_rate, valid_audio), refused with the same messages, and
never a browser's raw TypeError for something given in the wrong form."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

import earmark
from earmark.audio import load_audio
from earmark.demo import demo_data_dir
from earmark.errors import EarmarkError
from earmark.export import export_web
from earmark.waveform import MAX_SAMPLE_RATE, MAX_SAMPLE_VALUE, MIN_SAMPLE_RATE

from .test_web_export import opened, served

pytestmark = pytest.mark.browser

#: Each case: JavaScript for (samples, rate), and what Python's checks say of the same clip.
CLASSIFY = """async (cases) => {
  const { loadModel } = await import("./earmark.js");
  const model = await loadModel("./");
  const out = [];
  for (const source of cases) {
    const [samples, rate] = new Function(`return ${source}`)();
    try { out.push((await model.classify(samples, rate)).label); } catch (err) { out.push(`Error: ${err.message}`); }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def demo_classifier(studio, demo_project, demo_model) -> earmark.Classifier:
    return earmark.load(studio.root / demo_project / "models" / demo_model["file"])


@pytest.fixture(scope="module")
def runtime_site(demo_classifier, tmp_path_factory) -> Iterator[str]:
    classifier = demo_classifier
    with served(export_web(classifier, tmp_path_factory.mktemp("web") / "inputs")) as url:
        yield url


@pytest.fixture
def runtime_page(page: Page, runtime_site: str, page_errors: list[str]) -> Iterator[Page]:
    with opened(page, runtime_site):
        yield page
    assert page_errors == []


def _classify(page: Page, cases: list[str]) -> list[str]:
    return list(page.evaluate(CLASSIFY, cases))


def _python_says(samples: Any, rate: Any) -> str:
    """What earmark in Python says of ``samples`` at ``rate`` (the checks every predict runs)."""
    from earmark.waveform import as_waveform, valid_audio

    try:
        valid_audio(as_waveform(samples), sample_rate=rate)
    except EarmarkError as exc:
        return str(exc)
    return "accepted"


def test_a_rate_given_as_text_is_refused_saying_to_give_a_number(runtime_page: Page) -> None:
    got = _classify(runtime_page, ['[new Float32Array(4410), "44100"]', "[new Float32Array(4410), NaN]",
                                   "[new Float32Array(4410), true]", "[new Float32Array(4410), null]"])
    assert got == ['Error: the sample rate must be a whole number of hertz (e.g. 44100), got the string "44100"',
                   "Error: the sample rate must be a whole number of hertz (e.g. 44100), got NaN",
                   "Error: the sample rate must be a whole number of hertz (e.g. 44100), got true",
                   "Error: the sample rate must be a whole number of hertz (e.g. 44100), got null"]
    assert "must be a whole number of hertz (e.g. 44100), got '44100'" in _python_says([0.0] * 4410, "44100")


def test_the_page_refuses_the_rates_and_values_python_refuses(runtime_page: Page) -> None:
    """Python refuses a rate that is not whole, or out of its range, and samples far past ±1; the page
    refuses the same, with the same words, and takes what Python takes (44100.0, ±MAX_SAMPLE_VALUE)."""
    low, high, peak = MIN_SAMPLE_RATE, MAX_SAMPLE_RATE, MAX_SAMPLE_VALUE
    got = _classify(runtime_page, [
        "[new Float32Array(4410), 22050.5]",
        f"[new Float32Array(4410), {low - 1}]",
        f"[new Float32Array(4410), {high + 1}]",
        "[Float32Array.of(0.1, 50000, -0.2), 22050]",
        "[Float32Array.of(0.1, -50000, -0.2), 22050]",
        f"[Float32Array.from({{length: 4410}}, (_, i) => i === 7 ? {peak} : 0), 22050]",
        f"[new Float32Array(4410), {low}]",
    ])
    assert got[0] == "Error: the sample rate must be a whole number of hertz (e.g. 44100), got 22050.5"
    assert got[1] == (f"Error: the sample rate must be {low} to {high} Hz, got {low - 1}; "
                      "give the rate in hertz (48000, not 48)")
    assert got[2] == (f"Error: the sample rate must be {low} to {high} Hz, got {high + 1}; "
                      "give the rate in hertz (48000, not 48)")
    too_loud = ("Error: the clip's sample values reach 50000, far outside audio's range of ±1 (values up to ±32768 "
                "are 16-bit integers given as floats: divide by 32768)")
    assert got[3] == got[4] == too_loud
    assert not got[5].startswith("Error"), got[5]
    assert not got[6].startswith("Error"), got[6]
    # Python agrees on each: refused with the same meaning, or accepted
    assert "whole number of hertz" in _python_says([0.0] * 4410, 22050.5)
    assert f"must be {low} to {high} Hz, got {low - 1}" in _python_says([0.0] * 4410, low - 1)
    assert f"must be {low} to {high} Hz, got {high + 1}" in _python_says([0.0] * 4410, high + 1)
    assert "sample values reach 5e+04, far outside audio's range of ±1" in _python_says([0.1, 50000.0, -0.2], 22050)
    assert _python_says([0.0] * 7 + [peak] + [0.0] * 4402, 22050) == "accepted"
    assert _python_says([0.0] * 4410, low) == "accepted"


def test_a_clip_at_the_slowest_rate_earmark_takes_is_labelled_as_earmark_labels_it(runtime_page: Page,
                                                                                    demo_classifier) -> None:
    """Browsers decode nothing below 3000 Hz; a 1000 Hz clip (earmark's slowest rate) is still resampled
    with the browser's filter, and scored within a few points of earmark's (soxr)."""
    rate = MIN_SAMPLE_RATE
    bass = load_audio(demo_data_dir() / "test" / "bass" / "bass_001.ogg", sample_rate=rate).samples
    got = runtime_page.evaluate("""async ([samples, rate]) => {
      const { loadModel } = await import("./earmark.js");
      const model = await loadModel("./");
      return (await model.classify(Float32Array.from(samples), rate)).probabilities;
    }""", [bass.tolist(), rate])
    assert got == pytest.approx(demo_classifier.predict(bass, sample_rate=rate).probabilities, abs=0.05)


def test_samples_in_the_wrong_form_are_refused_saying_what_was_given(runtime_page: Page) -> None:
    got = _classify(runtime_page, ["[0.5, 22050]", "[null, 22050]", "[undefined, 22050]", "[[0.1, 0.2], 22050]",
                                   '["bass.wav", 22050]', "[new Float64Array(4), 22050]"])
    how = "give the clip as a Float32Array of mono samples"
    assert got == [f"Error: {how}, got 0.5",
                   f"Error: {how}, got null",
                   f"Error: {how}, got undefined",
                   f"Error: {how}, got an Array (Float32Array.from(samples) makes one)",
                   f'Error: {how}, got the string "bass.wav"; to label a file, use classifyFile(file)',
                   f"Error: {how}, got a Float64Array (Float32Array.from(samples) makes one)"]


def test_classify_file_without_a_file_says_it_needs_one(runtime_page: Page) -> None:
    got = runtime_page.evaluate("""async () => {
      const { loadModel } = await import("./earmark.js");
      const model = await loadModel("./");
      const out = [];
      for (const file of [undefined, "bass.wav", new Float32Array(10)]) {
        try { await model.classifyFile(file); out.push("no error"); } catch (err) { out.push(err.message); }
      }
      return out;
    }""")
    how = "classifyFile needs a File or Blob (e.g. from an <input type=file> or a drop)"
    assert got == [f"{how}, got undefined",
                   f'{how}, got the string "bass.wav"',
                   f"{how}, got a Float32Array; to label samples, use classify(samples, rate)"]
