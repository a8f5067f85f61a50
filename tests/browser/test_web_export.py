"""The web export (`earmark export MODEL --web FOLDER`) in a real browser: Chromium runs the exported
page as it is, with onnxruntime-web from npm (make test installs it into tests/browser/web-runtime)
served where the page asks for it, the CDN; every other outside request is refused."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page, Route, expect

import earmark
from earmark.audio import Audio, load_audio, write_wav
from earmark.demo import demo_data_dir
from earmark.export import ORT_WEB_URL, export_web

pytestmark = pytest.mark.browser

RUNTIME = Path(__file__).parent / "web-runtime" / "node_modules" / "onnxruntime-web" / "dist"
CDN_FOLDER = ORT_WEB_URL.rsplit("/", 1)[0] + "/"
TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm", ".map": "application/json"}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
        pass


@pytest.fixture(scope="module")
def classifier(studio, demo_project, demo_model) -> earmark.Classifier:
    return earmark.load(studio.root / demo_project / "models" / demo_model["file"])


@contextlib.contextmanager
def served(folder: Path) -> Iterator[str]:
    """``folder`` served over http on 127.0.0.1, as a web host would; yields its address."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@contextlib.contextmanager
def opened(page: Page, site: str) -> Iterator[Page]:
    """The page at ``site``, with onnxruntime-web answered from the local npm copy where the page asks
    the CDN for it; any other request outside ``site`` is refused, and fails the test."""
    if not (RUNTIME / "ort.wasm.min.mjs").is_file():
        pytest.fail(f"onnxruntime-web is not installed in {RUNTIME.parents[2]}: run make test, or "
                    f"npm ci --prefix {RUNTIME.parents[2]}")
    outside: list[str] = []

    def answer(route: Route) -> None:
        url = route.request.url
        path = RUNTIME / url[len(CDN_FOLDER):].split("?")[0]
        if url.startswith(site):
            route.continue_()
        elif url.startswith(CDN_FOLDER) and path.is_file():
            route.fulfill(path=str(path), headers={"access-control-allow-origin": "*",
                                                   "content-type": TYPES.get(path.suffix, "application/octet-stream")})
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", answer)
    page.goto(site)
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=30000)
    yield page
    assert outside == [], f"the page asked for more than its folder and the runtime: {outside}"


@pytest.fixture(scope="module")
def site(classifier, tmp_path_factory) -> Iterator[str]:
    """The exported folder, served over http on 127.0.0.1."""
    with served(export_web(classifier, tmp_path_factory.mktemp("web") / "bass-drums", name="Bass & <drums>")) as url:
        yield url


@pytest.fixture
def web_page(page: Page, site: str, page_errors: list[str]) -> Iterator[Page]:
    with opened(page, site):
        yield page
    assert page_errors == []


def http_get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


def _clip(path: Path, rate: int) -> np.ndarray:
    return load_audio(path, sample_rate=rate).samples


def test_the_page_labels_clips_as_earmark_does(web_page: Page, classifier) -> None:
    expect(web_page.locator("#name")).to_have_text("Bass & <drums>")  # shown as text, not markup
    expect(web_page).to_have_title("Bass & <drums>")
    expect(web_page.locator("#about")).to_contain_text("Background Noise, bass, drums")
    assert web_page.locator("#error").is_hidden()
    test_dir = demo_data_dir() / "test"
    rate = classifier.sample_rate
    clips = {"bass": _clip(test_dir / "bass" / "bass_000.ogg", rate),
             "drums": _clip(test_dir / "drums" / "drums_001.ogg", rate),
             "background": _clip(test_dir / "background" / "background_002.ogg", rate)}
    clips["short"] = clips["drums"][: rate // 3]  # under one window: zero-padded
    # many windows, and a last one that ends with the clip (the length is no whole number of hops)
    clips["long"] = np.concatenate([clips["background"], clips["bass"], clips["drums"][: int(0.7 * rate)]])
    hop = int(round(classifier.manifest.hop_s * rate))
    assert len(clips["long"]) > 2 * classifier.window_samples and (len(clips["long"]) - classifier.window_samples) % hop
    got = web_page.evaluate(
        """async (clips) => {
             const { loadModel } = await import("./earmark.js");
             const model = await loadModel("./");
             const out = {};
             for (const [name, samples] of Object.entries(clips)) {
               out[name] = await model.classify(Float32Array.from(samples), model.sampleRate);
             }
             return out;
           }""", {name: samples.tolist() for name, samples in clips.items()})
    for name, samples in clips.items():
        want = classifier.predict(samples, sample_rate=rate)
        assert got[name]["label"] == want.label, name
        for label in classifier.labels:
            assert got[name]["probabilities"][label] == pytest.approx(want.probabilities[label], abs=1e-4), name
    assert [got[n]["label"] for n in ("bass", "drums", "background")] == ["bass", "drums", "background"]


def test_a_file_chosen_in_the_page_is_resampled_and_labelled(web_page: Page, classifier, tmp_path) -> None:
    """A 44.1 kHz stereo file: the browser decodes and resamples it; same label as earmark's,
    probabilities within a few points (the resamplers differ)."""
    bass = load_audio(demo_data_dir() / "test" / "bass" / "bass_003.ogg", sample_rate=44100).samples
    stereo = np.stack([bass, 0.5 * bass])  # (channels, samples)
    path = tmp_path / "bass take.wav"
    write_wav(path, Audio(stereo.astype(np.float32), 44100))
    want = classifier.predict(load_audio(path, sample_rate=classifier.sample_rate).samples,
                              sample_rate=classifier.sample_rate)
    assert want.label == "bass"
    web_page.set_input_files("#file", str(path))
    expect(web_page.locator("#file-label")).to_have_attribute("data-label", "bass", timeout=20000)
    expect(web_page.locator("#file-label")).to_contain_text("bass · ")
    shown = web_page.eval_on_selector_all("#file-bars meter", "ms => ms.map(m => [m.dataset.label, m.value])")
    assert [label for label, _ in shown] == classifier.labels
    for label, value in shown:
        assert value == pytest.approx(want.probabilities[label], abs=0.05), label

    # not audio: a message in the page, and the page still works
    junk = tmp_path / "notes.wav"
    junk.write_text("these are not sounds")
    web_page.set_input_files("#file", str(junk))
    expect(web_page.locator("#error")).to_contain_text("cannot decode notes.wav as audio")
    expect(web_page.locator("#file-label")).to_have_text("")


def test_the_page_listens_to_the_microphone(web_page: Page) -> None:
    # the fake microphone plays demo bass notes after 1 s of silence (conftest.mic_wav)
    web_page.click("#listen")
    expect(web_page.locator("#listen")).to_have_text("Stop listening")
    expect(web_page.locator("#live-label")).to_have_attribute("data-label", "bass", timeout=20000)
    expect(web_page.locator("#live-bars meter")).to_have_count(3)
    web_page.click("#listen")
    expect(web_page.locator("#listen")).to_have_text("Start listening")
    heard = web_page.locator("#live-label").text_content()
    web_page.wait_for_timeout(1000)
    assert web_page.locator("#live-label").text_content() == heard  # stopped: no more results


def test_the_page_says_when_its_model_is_missing(page: Page, site: str, tmp_path) -> None:
    """Opened from a folder without model.json (a copy that lost its files): a message, not a blank page."""
    folder = tmp_path / "half"
    folder.mkdir()
    for name in ("index.html", "earmark.js"):
        (folder / name).write_bytes(http_get(site + name))
    with served(folder) as url, opened(page, url):
        expect(page.locator("#about")).to_have_text("The model could not be loaded.")
        expect(page.locator("#error")).to_contain_text("model.json: HTTP 404")
        expect(page.locator("#listen")).to_be_disabled()


def test_the_studio_download_is_a_page_that_works(page: Page, studio, demo_project, demo_model, tmp_path,
                                                  page_errors) -> None:
    """The Keep tab's "Download as a web page": the zip, unpacked and put on a web host, runs the model."""
    studio.open(page, demo_project, "keep")
    page.select_option("#keep-model", demo_model["id"])
    with page.expect_download(timeout=60000) as download:
        page.click("#download-web-btn")
    assert download.value.suggested_filename == f"{demo_project}-{demo_model['id']}-web.zip"
    archive = tmp_path / download.value.suggested_filename
    download.value.save_as(archive)
    with zipfile.ZipFile(archive) as z:
        z.extractall(tmp_path / "host")
    (folder,) = (tmp_path / "host").iterdir()
    bass = tmp_path / "bass.ogg"
    bass.write_bytes((demo_data_dir() / "test" / "bass" / "bass_005.ogg").read_bytes())
    with served(folder) as url, opened(page, url):
        expect(page.locator("#name")).to_have_text(studio.project(demo_project)["name"])
        page.set_input_files("#file", str(bass))
        expect(page.locator("#file-label")).to_have_attribute("data-label", "bass", timeout=20000)
    assert page_errors == []
