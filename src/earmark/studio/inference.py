"""Using a model from the studio: classify an upload, evaluate on an uploaded test set, listen live.

Shared by the project's model routes and the share page, so both behave the same.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..audio import AUDIO_EXTENSIONS, load_audio
from ..classifier import Classifier
from ..dataset import extract_zip
from ..errors import AudioDecodeError, DatasetError, EarmarkError, ParameterError
from ..pictures import timeline_png
from .state import Studio
from .uploads import read_upload

__all__ = ["predict_request", "predict_upload", "test_set_folder", "live_session"]

_MAX_LIVE_MESSAGE = 1 << 20  # bytes of PCM in one message (~6 s at 44.1 kHz)


def predict_upload(studio: Studio, clf: Classifier, name: str, path: Path) -> dict[str, Any]:
    """Label one uploaded file; a recording longer than two windows also gets a timeline and its picture."""
    try:
        audio = load_audio(path, sample_rate=clf.sample_rate)
    except AudioDecodeError as exc:  # name the upload, not the temporary file it was saved to
        raise AudioDecodeError(str(exc).replace(str(path), name)) from exc
    prediction = clf.predict(audio.samples, sample_rate=audio.sample_rate)
    out: dict[str, Any] = {**prediction.to_dict(), "file": name, "duration_s": round(audio.duration_s, 3),
                           "timeline": None, "timeline_url": None}
    suffix = Path(name).suffix.lower()
    audio_name, audio_copy = studio.result_path(suffix if suffix in AUDIO_EXTENSIONS else ".bin")
    shutil.copyfile(path, audio_copy)
    out["audio_url"] = f"/api/results/{audio_name}"
    if audio.duration_s >= 2 * clf.window_s:
        timeline = clf.timeline(audio.samples, sample_rate=audio.sample_rate)
        picture_name, picture = studio.result_path(".png")
        timeline_png(audio.samples, sample_rate=audio.sample_rate, timeline=timeline, path=picture, title=name)
        out["timeline"] = timeline.to_dict()
        out["timeline_url"] = f"/api/results/{picture_name}"
    return out


async def predict_request(request: Request, studio: Studio, clf: Classifier) -> dict[str, Any]:
    """Label the one file a request uploads (form field ``file``), decoding it off the event loop."""
    async with read_upload(request, studio.settings) as upload:
        files = upload.all_files("file") + upload.all_files("files")
        if len(files) != 1:
            raise ParameterError("send exactly one audio file in the form field 'file'")
        return await run_in_threadpool(predict_upload, studio, clf, *files[0])


def test_set_folder(files: list[tuple[str, Path]], target: Path) -> Path:
    """A folder-per-class test set from an upload: one zip, or files named ``class/file`` (any depth)."""
    if len(files) == 1 and files[0][0].lower().endswith(".zip"):
        return extract_zip(files[0][1], target)
    placed = 0
    for n, (name, path) in enumerate(files):
        parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
        if len(parts) < 2 or Path(parts[-1]).suffix.lower() not in AUDIO_EXTENSIONS:
            continue
        label = parts[-2]
        folder = target / label
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / f"{n:05d}-{Path(parts[-1]).name}")
        placed += 1
    if not placed:
        raise DatasetError("the test set needs one folder per class: upload a zip of it, or pick the folder "
                           "(files must arrive as CLASS/FILE)")
    return target


async def live_session(websocket: WebSocket, model: Callable[[], Classifier]) -> None:
    """Classify PCM sent over a WebSocket: a JSON ``{"sample_rate": N}`` first, then float32 frames.

    ``model`` is called after the connection is accepted, so that a missing or broken model
    reaches the page as a JSON error (then close code 1008) rather than a failed handshake.
    """
    await websocket.accept()
    try:
        clf = model()
        first = await websocket.receive_text()
        try:
            rate = int(json.loads(first)["sample_rate"])
        except (ValueError, KeyError, TypeError):
            raise ParameterError('send {"sample_rate": N} as the first message') from None
        if not 8000 <= rate <= 192000:
            raise ParameterError(f"sample_rate must be between 8000 and 192000 Hz, got {rate}")
        stream = clf.stream(sample_rate=rate, hop_s=0.1)
        await websocket.send_json({"ready": True, "labels": clf.labels, "sample_rate": rate})
        while True:
            data = await websocket.receive_bytes()
            if len(data) > _MAX_LIVE_MESSAGE or len(data) % 4:
                raise ParameterError("send little-endian float32 PCM, at most 1 MB per message")
            chunk = np.frombuffer(data, dtype="<f4").astype(np.float32)
            if not np.all(np.isfinite(chunk)):
                continue
            predictions = stream.feed(chunk)
            if predictions:
                await websocket.send_json(predictions[-1].to_dict())
    except WebSocketDisconnect:
        return
    except EarmarkError as exc:
        await websocket.send_json({"error": {"status": exc.http_status, "type": type(exc).__name__,
                                             "message": str(exc)}})
        await websocket.close(code=1008)
