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
    level = classifier.sure_level
    assert level is not None, "the demo model holds out enough validation clips to know its sure level"
    for name, samples in clips.items():
        want = classifier.predict(samples, sample_rate=rate)
        assert got[name]["label"] == want.label, name
        for label in classifier.labels:
            assert got[name]["probabilities"][label] == pytest.approx(want.probabilities[label], abs=1e-4), name
        if abs(want.confidence - round(level, 4)) > 2e-4:  # the page's sums differ in the fifth place
            assert got[name]["unsure"] == (want.confidence < level), name
    assert [got[n]["label"] for n in ("bass", "drums", "background")] == ["bass", "drums", "background"]


def test_audio_at_another_rate_is_resampled_as_earmark_does(web_page: Page, classifier) -> None:
    """classify(samples, 44100), the path the microphone takes: resampled with a filter, so a loud 15 kHz
    sizzle (above what the model hears at 22.05 kHz) does not fold down into its band; agrees with
    earmark (soxr) to a point or two."""
    rng = np.random.default_rng(5)
    rate = 44100
    t = np.arange(2 * rate) / rate
    sizzle = 0.3 * np.sin(2 * np.pi * 15000 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    test_dir = demo_data_dir() / "test"
    bass = load_audio(test_dir / "bass" / "bass_001.ogg", sample_rate=rate).samples[: 2 * rate]
    drums = np.resize(load_audio(test_dir / "drums" / "drums_002.ogg", sample_rate=rate).samples, 2 * rate)
    # folded down to 7 kHz, the sizzle turned these drums into background (0.88 drums → 0.20); a
    # sizzle alone is left out: what either resampler's filter leaves of it is near silence, which
    # each window's standardisation lifts back up, differently for each
    clips = {"bass": bass, "drums and sizzle": (drums + sizzle).astype(np.float32),
             "noise": (0.05 * rng.standard_normal(rate)).astype(np.float32)}
    got = web_page.evaluate(
        """async (clips) => {
             const { loadModel } = await import("./earmark.js");
             const model = await loadModel("./");
             const out = {};
             for (const [name, samples] of Object.entries(clips)) {
               out[name] = (await model.classify(Float32Array.from(samples), 44100)).probabilities;
             }
             return out;
           }""", {name: samples.tolist() for name, samples in clips.items()})
    for name, samples in clips.items():
        want = classifier.predict(samples, sample_rate=rate).probabilities
        assert got[name] == pytest.approx(want, abs=0.03), name


def test_the_page_says_what_is_wrong_with_a_clip(web_page: Page) -> None:
    errors = web_page.evaluate(
        """async () => {
             const { loadModel } = await import("./earmark.js");
             const model = await loadModel("./");
             const cases = [[new Float32Array(0), 44100], [new Float32Array(100), 200], [new Float32Array(100), NaN],
                            [Float32Array.of(0, NaN, 0), 22050], [[0.1, 0.2], 22050]];
             const out = [];
             for (const [samples, rate] of cases) {
               try { await model.classify(samples, rate); out.push("no error"); } catch (err) { out.push(err.message); }
             }
             return out;
           }""")
    assert errors == ["the clip holds no audio",
                      "the sample rate must be 1000 to 768000 Hz, got 200; give the rate in hertz (48000, not 48)",
                      "the sample rate must be a whole number of hertz (e.g. 44100), got NaN",
                      "the clip holds NaN or infinite samples; it is not audio a model can hear",
                      "give the clip as a Float32Array of mono samples, got an Array (Float32Array.from(samples) "
                      "makes one)"]


def test_a_long_clip_is_scored_a_few_windows_at_a_time(web_page: Page, classifier) -> None:
    """Scoring every window of an hour in one run needed 635 MB and ran out of memory in
    onnxruntime-web; runs hold at most 256 windows. Ten minutes here (1200 windows), the runs observed."""
    result = web_page.evaluate(
        """async () => {
             const { loadModel } = await import("./earmark.js");
             const model = await loadModel("./");
             const batches = [];
             const run = model.session.run.bind(model.session);
             model.session.run = (feeds) => { batches.push(feeds.waveform.dims[0]); return run(feeds); };
             const samples = new Float32Array(600 * model.sampleRate);
             for (let i = 0; i < samples.length; i++) samples[i] = 0.1 * Math.sin(i * 0.05);
             const r = await model.classify(samples, model.sampleRate);
             return {label: r.label, batches};
           }""")
    windows = 1 + (600 * classifier.sample_rate - classifier.window_samples) // round(classifier.manifest.hop_s
                                                                                      * classifier.sample_rate)
    assert sum(result["batches"]) == windows and max(result["batches"]) == 256, result["batches"]
    assert result["label"] in classifier.labels


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
        expect(page.locator("#name")).to_have_text(demo_model["id"])  # the model's name, not the project's
        page.set_input_files("#file", str(bass))
        expect(page.locator("#file-label")).to_have_attribute("data-label", "bass", timeout=20000)
    assert page_errors == []


def _pink_noise(seconds: float, rate: int, seed: int) -> np.ndarray:
    """Pink noise (power falling 3 dB an octave) at about -35 dBFS RMS: a quiet room."""
    n = int(seconds * rate)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    spectrum[1:] /= np.sqrt(np.arange(1, spectrum.size))
    y = np.fft.irfft(spectrum, n)
    return (0.018 * y / np.sqrt(np.mean(y**2))).astype(np.float32)


def test_live_listening_starts_on_the_sound_heard_not_on_silence(web_page: Page, classifier) -> None:
    """The first results of `listen` come once 0.25 s is heard, on that sound repeated to fill the
    window. The ring buffer once started as silence: room tone was "drums" until a window was heard."""
    noise = _pink_noise(3.0, 44100, seed=1)
    results = web_page.evaluate("""async (samples) => {
      // the microphone: this noise, played by the page's own audio graph (the fake device plays conftest's file)
      const source = new AudioContext({ sampleRate: 44100 });
      const buffer = source.createBuffer(1, samples.length, 44100);
      buffer.getChannelData(0).set(Float32Array.from(samples));
      const player = Object.assign(source.createBufferSource(), { buffer, loop: true });
      const out = source.createMediaStreamDestination();
      player.connect(out);
      player.start();
      navigator.mediaDevices.getUserMedia = async () => out.stream;
      const { loadModel } = await import("./earmark.js");
      const model = await loadModel("./");
      const results = [];
      const stop = await model.listen((r) => results.push(r), { everyS: 0.1 });
      await new Promise((done) => setTimeout(done, 1500));
      stop();
      return results.map((r) => ({ label: r.label, confidence: r.confidence, time_s: r.time_s }));
    }""", noise.tolist())
    # measured with the ring buffer starting as silence: drums 0.996 at 0.12 s
    assert results and [r["label"] for r in results] == ["background"] * len(results), results
    assert 0.25 <= results[0]["time_s"] < 0.35, results[0]
    assert len(results) >= 3, results


def test_before_a_window_is_heard_live_listening_repeats_what_it_heard(web_page: Page) -> None:
    windows = web_page.evaluate("""async () => {
      const { lastWindow } = await import("./earmark.js");
      const ring = new Float32Array(10);
      ring.set([1, 2, 3]);
      const early = Array.from(lastWindow(ring, 3));
      ring.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      ring.set([11, 12], 0);  // 12 samples heard: the ring has wrapped
      return [early, Array.from(lastWindow(ring, 12))];
    }""")
    assert windows == [[3, 1, 2, 3, 1, 2, 3, 1, 2, 3], [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]
