"""What the web studio costs on top of the library, measured in one run (ratios, not absolute times).

Builds the studio app in-process (the same factory `earmark studio` serves) on a fresh demo
project and measures, each against the library doing the same work directly:

- training the demo project through the API (background job, polled like the page does)
  vs ``earmark.train`` on the same folder with the same settings;
- how fast the API answers while training runs (the page must stay responsive);
- live preview: a WebSocket round trip per prediction vs ``StreamingClassifier.feed``;
- classifying an uploaded 30 s recording (with its timeline picture) vs ``Classifier.timeline``.

Run: ``.venv/bin/python benchmarks/studio_benchmark.py`` (about a minute on 2 cores).
Results: printed, and saved to ``benchmarks/results/studio.{json,md}``.
"""

from __future__ import annotations

import json
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

import earmark
from earmark.demo import demo_data_dir
from earmark.studio import StudioSettings, create_app
from earmark.train import TrainSettings

HERE = Path(__file__).resolve().parent
RATE = 44100
CHUNK = 2205  # 50 ms, as the page sends


def _train_via_api(client: TestClient) -> tuple[float, str, list[float]]:
    started = time.perf_counter()
    job = client.post("/api/projects/demo/train", json={"seed": 0}).json()
    polls = []
    while job["state"] == "running":
        t0 = time.perf_counter()
        job = client.get(f"/api/jobs/{job['id']}").json()
        client.get("/api/projects/demo")
        polls.append(time.perf_counter() - t0)
        time.sleep(0.5)
    assert job["state"] == "done", job
    return time.perf_counter() - started, job["model"]["id"], polls


def _live_round_trips(client: TestClient, model_id: str, audio: np.ndarray) -> list[float]:
    times = []
    with client.websocket_connect(f"/api/projects/demo/models/{model_id}/live") as ws:
        ws.send_text(json.dumps({"sample_rate": RATE}))
        ws.receive_json()
        for n, start in enumerate(range(0, len(audio) - CHUNK, CHUNK)):
            t0 = time.perf_counter()
            ws.send_bytes(audio[start:start + CHUNK].astype("<f4").tobytes())
            if n % 2 == 1 and start > RATE:  # a prediction every 0.1 s once the window is full
                ws.receive_json()
                times.append(time.perf_counter() - t0)
    return times


def _direct_feed(clf: earmark.Classifier, audio: np.ndarray) -> list[float]:
    stream = clf.stream(sample_rate=RATE, hop_s=0.1)
    times = []
    for start in range(0, len(audio) - CHUNK, CHUNK):
        t0 = time.perf_counter()
        out = stream.feed(audio[start:start + CHUNK])
        if start > RATE and out:  # a chunk that completed a hop: the cost of one prediction
            times.append(time.perf_counter() - t0)
    return times


def measure() -> dict[str, Any]:
    recording = demo_data_dir() / "recording.ogg"
    audio = earmark.load_audio(recording, sample_rate=RATE).samples
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with TestClient(create_app(StudioSettings(projects_root=root, allowed_hosts=["testserver"]))) as client:
            client.post("/api/projects", json={"name": "demo", "demo": True}).raise_for_status()
            api_train_s, model_id, polls = _train_via_api(client)
            started = time.perf_counter()
            same = StudioSettings(projects_root=root)  # the library trains as the studio does
            clf = earmark.train(root / "demo" / "samples", progress=False, settings=TrainSettings(
                seed=0, threads=same.train_threads, workers=same.train_workers))
            lib_train_s = time.perf_counter() - started
            live = _live_round_trips(client, model_id, audio[: 10 * RATE])
            direct = _direct_feed(clf, audio[: 10 * RATE])
            t0 = time.perf_counter()
            answer = client.post(f"/api/projects/demo/models/{model_id}/predict",
                                 files={"file": (recording.name, recording.read_bytes())}).json()
            api_predict_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            clf.timeline(earmark.load_audio(recording, sample_rate=clf.sample_rate).samples,
                         sample_rate=clf.sample_rate)
            lib_timeline_s = time.perf_counter() - t0
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.machine(),
        "train_api_s": round(api_train_s, 2), "train_library_s": round(lib_train_s, 2),
        "train_ratio": round(api_train_s / lib_train_s, 2),
        "poll_ms_median": round(1000 * float(np.median(polls)), 2), "poll_ms_max": round(1000 * max(polls), 2),
        "live_ms_median": round(1000 * float(np.median(live)), 3),
        "live_ms_p95": round(1000 * float(np.percentile(live, 95)), 3),
        "direct_ms_median": round(1000 * float(np.median(direct)), 3),
        "live_ratio": round(float(np.median(live) / np.median(direct)), 2),
        "predict_api_s": round(api_predict_s, 2), "timeline_library_s": round(lib_timeline_s, 2),
        "predict_ratio": round(api_predict_s / lib_timeline_s, 2),
        "timeline_segments": len(answer["timeline"]["segments"]),
    }


def main() -> None:
    r = measure()
    lines = [
        "# earmark studio benchmark", "",
        f"{r['when']} · {r['machine']} · one run; ratios compare the studio with the library in the same run", "",
        "| what | through the studio | the library directly | ratio |", "|---|---|---|---|",
        f"| train the demo project (24 epochs, the studio's threads and workers) | {r['train_api_s']} s "
        f"| {r['train_library_s']} s | {r['train_ratio']}× |",
        f"| live prediction (per 0.1 s hop) | {r['live_ms_median']} ms median, {r['live_ms_p95']} ms p95 (WebSocket "
        f"round trip) | {r['direct_ms_median']} ms (`StreamingClassifier.feed`) | {r['live_ratio']}× |",
        f"| label a 30 s recording with its timeline | {r['predict_api_s']} s (upload, decode, picture) "
        f"| {r['timeline_library_s']} s (`Classifier.timeline`) | {r['predict_ratio']}× |",
        "", f"While training, the job and project answers took {r['poll_ms_median']} ms (median), "
        f"{r['poll_ms_max']} ms at most: the page stays responsive.", "",
    ]
    text = "\n".join(lines)
    print(text)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "studio.json").write_text(json.dumps(r, indent=2) + "\n")
    (out / "studio.md").write_text(text)
    print(f"wrote {out / 'studio.json'} and studio.md")


if __name__ == "__main__":
    main()
