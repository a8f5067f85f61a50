"""The studio's live listening starts as the library's stream does (earmark.stream): its first
answer comes at 0.3 s, and plain room tone is background from that first answer on (a window
padded with digital silence once made it "drums" or "bass" for the first half second)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from conftest import SR, make_client, room_noise
from earmark.classifier import Classifier
from earmark.project import Project


def test_studio_live_listening_hears_room_tone_as_background_from_the_start(
        tmp_path: Path, trained_classifier: Classifier) -> None:
    project = Project.create(tmp_path / "band")
    model_id = project.save_model(trained_classifier).id
    audio = room_noise(np.random.default_rng(0), duration_s=1.5) * np.float32(0.1)
    with make_client(tmp_path) as c, c.websocket_connect(f"/api/projects/band/models/{model_id}/live") as ws:
        ws.send_text(json.dumps({"sample_rate": SR}))
        assert ws.receive_json()["ready"] is True
        for i in range(0, audio.size, 1024):  # an audio callback's chunks
            ws.send_bytes(audio[i : i + 1024].astype("<f4").tobytes())
        ws.send_text("that is all")  # not a frame: the error that answers it marks the end of the replies
        replies = []
        while "error" not in (reply := ws.receive_json()):
            replies.append(reply)
    assert [r["label"] for r in replies] == ["background"] * len(replies), replies[:4]
    assert [r["time_s"] for r in replies] == [k / 10 for k in range(3, 16)]
