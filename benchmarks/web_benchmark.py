"""What a model costs in a web page (``earmark export --web``) against earmark itself, in one run.

Trains the demo model (the default network), exports it as a web page, opens the page in
Debian's Chromium (Playwright; onnxruntime-web from tests/browser/web-runtime, as the browser
tests serve it: ``make test`` installs it) and times, each against the library on the same audio:

- labelling a 60 s recording at the model's rate: ``classify`` in the page vs ``Classifier.predict``;
- scoring one window, as live listening does four times a second (median of 40): ``scoreWindows``
  in the page vs ``Classifier.score_windows``;
- the download a visitor waits for: the folder's size, and onnxruntime-web's files.

Run: ``.venv/bin/python benchmarks/web_benchmark.py`` (about a minute on 2 cores).
Results: printed, and saved to ``benchmarks/results/web.{json,md}``.
"""

from __future__ import annotations

import functools
import http.server
import json
import platform
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from playwright.sync_api import Route, sync_playwright

import earmark
from earmark.demo import demo_data_dir
from earmark.export import ORT_WEB_FILES, ORT_WEB_URL, export_web
from earmark.train import TrainSettings

HERE = Path(__file__).resolve().parent
RUNTIME = HERE.parent / "tests" / "browser" / "web-runtime" / "node_modules" / "onnxruntime-web" / "dist"
CHROMIUM = "/usr/bin/chromium"
SECONDS = 60
WINDOW_RUNS = 40


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
        pass


def _library(clf: earmark.Classifier, audio: np.ndarray) -> dict[str, float]:
    clf.predict(audio[: clf.window_samples], sample_rate=clf.sample_rate)  # warm-up
    started = time.perf_counter()
    clf.predict(audio, sample_rate=clf.sample_rate)
    clip_s = time.perf_counter() - started
    window = audio[None, : clf.window_samples]
    times = []
    for _ in range(WINDOW_RUNS):
        t0 = time.perf_counter()
        clf.score_windows(window)
        times.append(time.perf_counter() - t0)
    return {"clip_s": clip_s, "window_ms": 1000 * statistics.median(times)}


def _page(folder: Path, audio: np.ndarray) -> dict[str, float]:
    (folder / "audio.f32").write_bytes(audio.astype("<f4").tobytes())  # the benchmark's own file, beside the page
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cdn = ORT_WEB_URL.rsplit("/", 1)[0] + "/"

    def runtime(route: Route) -> None:
        path = RUNTIME / route.request.url[len(cdn):].split("?")[0]
        kind = "application/wasm" if path.suffix == ".wasm" else "text/javascript"
        route.fulfill(path=str(path), headers={"access-control-allow-origin": "*", "content-type": kind})

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
            page = browser.new_page()
            page.route(cdn + "**", runtime)
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
            page.wait_for_selector("body[data-ready=true]")
            result: dict[str, float] = page.evaluate(
                """async (runs) => {
                     const { loadModel } = await import("./earmark.js");
                     const t0 = performance.now();
                     const model = await loadModel("./");
                     const load = performance.now() - t0;
                     const audio = new Float32Array(await (await fetch("audio.f32")).arrayBuffer());
                     const window = audio.slice(0, model.windowSamples);
                     await model.classify(window, model.sampleRate);  // warm-up
                     const t1 = performance.now();
                     await model.classify(audio, model.sampleRate);
                     const clip = performance.now() - t1;
                     const times = [];
                     for (let i = 0; i < runs; i++) {
                       const t = performance.now();
                       await model.scoreWindows(window, 1);
                       times.push(performance.now() - t);
                     }
                     times.sort((a, b) => a - b);
                     return {load_s: load / 1000, clip_s: clip / 1000, window_ms: times[Math.floor(runs / 2)]};
                   }""", WINDOW_RUNS)
            browser.close()
    finally:
        server.shutdown()
    return result


def main() -> int:
    if not (RUNTIME / "ort.wasm.min.mjs").is_file():
        raise SystemExit(f"onnxruntime-web is not installed in {RUNTIME}: run `make test` first "
                         "(or npm ci --prefix tests/browser/web-runtime)")
    with tempfile.TemporaryDirectory() as tmp:
        print("training the demo model (default network)…")
        clf = earmark.train(demo_data_dir() / "train", settings=TrainSettings(seed=0), progress=False)
        folder = export_web(clf, Path(tmp) / "page", name="demo")
        rng = np.random.default_rng(0)
        audio = (0.1 * rng.standard_normal(SECONDS * clf.sample_rate)).astype(np.float32)
        library = _library(clf, audio)
        page = _page(folder, audio)
        folder_bytes = sum(p.stat().st_size for p in folder.iterdir() if p.name != "audio.f32")
    runtime_bytes = sum((RUNTIME / name).stat().st_size for name in ORT_WEB_FILES)
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
        "audio_s": SECONDS, "library": library, "page": page,
        "clip_ratio": page["clip_s"] / library["clip_s"], "window_ratio": page["window_ms"] / library["window_ms"],
        "page_realtime": SECONDS / page["clip_s"], "folder_bytes": folder_bytes, "runtime_bytes": runtime_bytes,
    }
    lines = [
        "# earmark in a web page vs earmark itself",
        "",
        f"{results['when']}, {results['machine']}; the demo model (default network), Chromium, onnxruntime-web "
        "(WebAssembly, one thread) vs the library (PyTorch, CPU).",
        "",
        "| | library | web page | page / library |",
        "|---|---:|---:|---:|",
        f"| label {SECONDS} s of audio | {library['clip_s']:.2f} s | {page['clip_s']:.2f} s "
        f"({results['page_realtime']:.0f}× real time) | {results['clip_ratio']:.1f}× |",
        f"| score one window (median of {WINDOW_RUNS}) | {library['window_ms']:.1f} ms | {page['window_ms']:.1f} ms | "
        f"{results['window_ratio']:.1f}× |",
        f"| load the model | – | {page['load_s']:.2f} s | |",
        "",
        f"Download: the exported folder {folder_bytes / 1024:.0f} KiB, onnxruntime-web's files "
        f"{runtime_bytes / 1024 / 1024:.1f} MiB.",
    ]
    text = "\n".join(lines)
    print(text)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "web.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "web.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
