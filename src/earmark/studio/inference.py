"""Using a model from the studio: classify an upload, evaluate on an uploaded test set, listen live.

Shared by the project's model routes and the share page, so both behave the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..audio import check_sample_rate, load_audio, probe
from ..classifier import Classifier
from ..decode import sound_starts_late_s
from ..errors import EarmarkError, LimitError, ParameterError, collecting_warnings
from ..intake import too_long_message
from ..pictures import timeline_png
from ..playable import browsers_play
from ..report import finite
from .guard import error_body
from .routes.samples import IN_USE_S, prune_cache
from .state import Studio
from .uploads import as_upload, read_upload

__all__ = ["predict_request", "predict_upload", "live_session"]

_MAX_LIVE_MESSAGE_S = 2.0  # seconds of PCM in one live message
#: Endings of the formats Chromium, Firefox and Safari all play as they are (but Apple Lossless in an
#: ``.m4a``: :func:`earmark.playable.browsers_play`); a tried file of any other (AIFF, CAF, WMA…) gets a copy.
_BROWSERS_PLAY = frozenset({".wav", ".wave", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".webm", ".m4a", ".mp4",
                            ".aac"})
#: The results' folder (timeline pictures, copies to play) is pruned past this many bytes when a copy is made.
_MAX_COPIES_BYTES = 2 * 1024**3
#: ...and past this many files (as :meth:`Studio.result_path` keeps them).
_MAX_RESULT_FILES = 100


#: What a tried recording over the limit can do instead.
_WHOLE_WITH_TIMELINE = ("label it whole with `earmark timeline MODEL FILE` (on a computer with earmark and the "
                        "model file), which takes a recording of any length")


def predict_upload(studio: Studio, clf: Classifier, name: str, path: Path) -> dict[str, Any]:
    """Label one uploaded file; a recording longer than two windows also gets a timeline and its picture."""
    stated_s, _ = probe(path)
    if stated_s > studio.limits.max_file_s:  # as for samples: the whole file is decoded in memory, here and in the page
        raise LimitError(f"{name} is {too_long_message(stated_s, studio.limits)}, or {_WHOLE_WITH_TIMELINE}")
    with as_upload(name, path), collecting_warnings() as said:  # cut short, channels that cancel: said below
        try:  # stopped at the limit: a file may state no length (a browser's WebM recording) or a wrong one
            audio = load_audio(path, sample_rate=clf.sample_rate, max_duration_s=studio.limits.max_file_s)
        except LimitError:
            raise LimitError(f"{name} is longer than the limit of {studio.limits.max_file_s / 60:.1f} min; "
                             f"cut it into shorter files, or {_WHOLE_WITH_TIMELINE}") from None
    prediction = clf.predict(audio.samples, sample_rate=audio.sample_rate)
    sure = clf.sure_level
    out: dict[str, Any] = {**prediction.to_dict(), "file": name, "duration_s": round(audio.duration_s, 3),
                           "sure_level": None if sure is None else round(sure, 4),
                           "timeline": None, "timeline_url": None, "audio_url": None,
                           "warnings": [m.replace(str(path), name) for m in said]}
    if Path(name).suffix.lower() not in _BROWSERS_PLAY or not browsers_play(path, name=name):
        copy_name, copy = studio.result_path(".flac")
        if _listening_copy(path, target=copy):
            out["audio_url"] = f"/api/results/{copy_name}"
            # the newest copies stay, the results' folder under _MAX_COPIES_BYTES (a 30 min copy is ~150 MB)
            prune_cache(copy.parent, keep=_MAX_RESULT_FILES, max_bytes=_MAX_COPIES_BYTES, in_use_s=IN_USE_S)
    if audio.duration_s >= 2 * clf.window_s:
        timeline = clf.timeline(audio.samples, sample_rate=audio.sample_rate)
        picture_name, picture = studio.result_path(".png")
        timeline_png(audio.samples, sample_rate=audio.sample_rate, timeline=timeline, path=picture, title=name)
        out["timeline"] = timeline.to_dict()
        out["timeline_url"] = f"/api/results/{picture_name}"
    return out


def _listening_copy(path: Path, *, target: Path) -> bool:
    """Write a 16-bit FLAC of the audio file at ``path`` (its rate kept; mono, or stereo from two or more
    channels) to ``target``, for a browser to play and draw a tried file it cannot (AIFF, CAF, Apple
    Lossless, WMA). Decoded and written a frame at a time, so a long recording costs no memory; the
    copy is about half the size of 16-bit PCM and goes with the results (:meth:`Studio.result_path`).
    False when FFmpeg cannot make it (the page then says that the file cannot be played there)."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            rate = int(stream.codec_context.sample_rate)
            channels = 2 if stream.codec_context.channels >= 2 else 1
            resampler = av.AudioResampler(format="s16", layout="stereo" if channels == 2 else "mono", rate=rate)
            with sf.SoundFile(target, "w", samplerate=rate, channels=channels, format="FLAC",
                              subtype="PCM_16") as out:
                # silence where a video's sound starts late, as the timeline has it (earmark.decode)
                out.write(np.zeros((round(sound_starts_late_s(container, stream) * rate), channels), np.int16))
                for frame in container.decode(stream):
                    for packed in resampler.resample(frame):
                        out.write(packed.to_ndarray().reshape(-1, channels))
                for packed in resampler.resample(None):  # what the resampler still holds
                    out.write(packed.to_ndarray().reshape(-1, channels))
    except (OSError, ValueError, RuntimeError, IndexError, av.error.FFmpegError):
        target.unlink(missing_ok=True)
        return False
    return True


async def predict_request(request: Request, studio: Studio, clf: Classifier) -> dict[str, Any]:
    """Label the one file a request uploads (form field ``file``), decoding it off the event loop."""
    async with read_upload(request, studio.settings) as upload:
        files = upload.all_files("file") + upload.all_files("files")
        if len(files) != 1:
            raise ParameterError("send exactly one audio file in the form field 'file'")
        return await run_in_threadpool(predict_upload, studio, clf, *files[0])


async def live_session(websocket: WebSocket, model: Callable[[], Classifier]) -> None:
    """Classify PCM sent over a WebSocket: a JSON ``{"sample_rate": N}`` first, then float32 frames.

    ``model`` is called after the connection is accepted, so that a missing or broken model
    reaches the page as a JSON error (then close code 1008) rather than a failed handshake.
    Scoring runs in the thread pool, so a fast sender cannot stall the rest of the studio.
    """
    await websocket.accept()
    try:
        clf = await run_in_threadpool(model)
        rate = _sample_rate(await websocket.receive())
        stream = clf.stream(sample_rate=rate, hop_s=0.1)
        await websocket.send_json({"ready": True, "labels": clf.labels, "sample_rate": rate})
        most = 4 * int(_MAX_LIVE_MESSAGE_S * rate)
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            if data is None:
                raise ParameterError("after the first message, send binary frames of little-endian float32 PCM")
            if len(data) > most or len(data) % 4:
                raise ParameterError(f"send little-endian float32 PCM, at most {_MAX_LIVE_MESSAGE_S:.0f} s "
                                     f"({most} bytes) per message")
            # NaN or inf from a glitching device is heard as silence by the stream, so time stays in step
            chunk = np.frombuffer(data, dtype="<f4").astype(np.float32)
            for prediction in await run_in_threadpool(stream.feed, chunk):
                await websocket.send_json(finite(prediction.to_dict()))  # NaN is not JSON
    except WebSocketDisconnect:
        return
    except EarmarkError as exc:
        await websocket.send_json(error_body(exc.http_status, type(exc).__name__, str(exc)))
        await websocket.close(code=1008)


def _sample_rate(message: Message) -> int:
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect()
    try:
        stated = json.loads(message.get("text") or "")["sample_rate"]
    except (ValueError, KeyError, TypeError):
        stated = None
    if stated is None:
        raise ParameterError('send {"sample_rate": N} (a JSON text message, N a whole number of hertz) first')
    rate = check_sample_rate(stated)  # a whole number of hertz: not "44100" (a string) nor true, nor 44100.5
    if not 8000 <= rate <= 192000:  # narrower than the library's: what a browser's microphone gives
        raise ParameterError(f"sample_rate must be between 8000 and 192000 Hz, got {rate}")
    return rate
