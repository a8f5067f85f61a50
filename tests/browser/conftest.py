"""Real-browser tests of earmark studio: Debian's Chromium driven by Playwright, a WAV file as microphone
(Firefox and WebKit in test_engines.py, over WebDriver, with PulseAudio as their sound card).

The studio runs in-process (uvicorn in a thread on 127.0.0.1); the fake microphone plays a WAV made
from the built-in demo bass notes, after 1 s of silence (the browser starts the file when the page
opens the microphone, and the first moments of a capture are unreliable). See
shared/BROWSER-TESTING.md for what was measured on this machine.
"""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import pytest
import soundfile as sf
import uvicorn
from PIL import Image

from earmark.audio import Audio, load_audio, write_wav
from earmark.demo import demo_data_dir
from earmark.studio import StudioSettings, create_app

CHROMIUM = Path("/usr/bin/chromium")
MIC_RATE = 44100
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
#: Epochs for the shared demo model: enough for it to tell the demo bass from drums and room tone.
DEMO_EPOCHS = 12


@dataclass
class Studio:
    """The running studio: its address, its projects folder and an HTTP client for set-up and checks."""

    url: str
    root: Path
    client: httpx.Client

    def create_project(self, name: str, *, demo: bool = False) -> str:
        response = self.client.post("/api/projects", json={"name": name, "demo": demo})
        response.raise_for_status()
        return str(response.json()["id"])

    def project(self, project: str) -> dict[str, Any]:
        response = self.client.get(f"/api/projects/{project}")
        response.raise_for_status()
        return dict(response.json())

    def add_class(self, project: str, name: str, files: list[Path]) -> None:
        """A class ``name`` in ``project``, holding ``files`` (uploaded through the API)."""
        base = f"/api/projects/{project}/classes"
        self.client.post(base, json={"name": name}).raise_for_status()
        self.client.post(f"{base}/{name}/samples",
                         files=[("files", (p.name, p.read_bytes())) for p in files]).raise_for_status()

    def samples(self, project: str, class_name: str) -> list[dict[str, Any]]:
        response = self.client.get(f"/api/projects/{project}/classes/{class_name}/samples")
        response.raise_for_status()
        return list(response.json()["samples"])

    def audio(self, url: str) -> tuple[np.ndarray, int]:
        response = self.client.get(url)
        response.raise_for_status()
        samples, rate = sf.read(io.BytesIO(response.content), dtype="float32", always_2d=False)
        return samples, rate

    def open(self, page: Any, project: str, tab: str = "samples") -> None:
        """Open the studio on `project` and `tab`, and wait until the page has loaded it."""
        page.goto(f"{self.url}/?project={quote(project)}#{tab}")
        page.wait_for_selector(f"body[data-ready=true][data-project='{project}']")

    def train(self, project: str, **settings: Any) -> dict[str, Any]:
        """Train through the API and wait for the model (for tests that need one, not the training test)."""
        response = self.client.post(f"/api/projects/{project}/train", json=settings)
        response.raise_for_status()
        job = response.json()
        deadline = time.monotonic() + 120
        while job["state"] == "running" and time.monotonic() < deadline:
            time.sleep(0.25)
            job = self.client.get(f"/api/jobs/{job['id']}").json()
        assert job["state"] == "done", job
        return dict(job["model"])


def _listening_socket() -> socket.socket:
    """A socket bound to a free port on loopback, handed to the server as it is: a port number freed and
    bound again later could be taken in between by another process."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    root = tmp_path_factory.mktemp("projects")
    app = create_app(StudioSettings(projects_root=root))
    sock = _listening_socket()
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="studio-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the studio server did not start")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    # a connection each request: one kept open races uvicorn's 5 s idle close (a request sent as the server
    # closes the connection is reset: "Connection reset by peer", CI, session 17)
    with httpx.Client(base_url=url, timeout=60, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        yield Studio(url=url, root=root, client=client)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="session")
def bass_notes() -> list[Path]:
    return sorted((demo_data_dir() / "train" / "bass").glob("*.ogg"))


@pytest.fixture(scope="session")
def mic_wav(tmp_path_factory: pytest.TempPathFactory, bass_notes: list[Path]) -> Path:
    """The fake microphone: 1 s of silence, then demo bass notes (the browser loops it)."""
    notes = [load_audio(p, sample_rate=MIC_RATE).samples for p in bass_notes[:6]]
    samples = np.concatenate([np.zeros(MIC_RATE, dtype=np.float32), *notes]).astype(np.float32)
    path = tmp_path_factory.mktemp("mic") / "bass-mic.wav"
    write_wav(path, Audio(samples, MIC_RATE))
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any], mic_wav: Path) -> dict[str, Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"the browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={mic_wav.resolve()}",
            "--autoplay-policy=no-user-gesture-required",
            "--disable-gpu",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800}, "accept_downloads": True}


@pytest.fixture(scope="session")
def demo_project(studio: Studio) -> str:
    """A project filled with the built-in bass / drums / background set."""
    return studio.create_project("demo e2e", demo=True)


@pytest.fixture(scope="session")
def demo_model(studio: Studio, demo_project: str) -> dict[str, Any]:
    """A model trained (through the API) on the demo project."""
    return studio.train(demo_project, epochs=DEMO_EPOCHS, seed=0)


@pytest.fixture
def empty_project(studio: Studio, request: pytest.FixtureRequest) -> str:
    """A fresh project (just the Background Noise class) named after the test."""
    return studio.create_project(request.node.originalname.replace("_", " ")[:60])


@pytest.fixture
def page_errors(page: Any) -> list[str]:
    """Uncaught errors in the page; tests assert there were none."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/screenshots with EARMARK_SCREENSHOTS=1 (`make screenshots`); else a temporary folder,
    so that a test run does not rewrite files in the checkout."""
    if os.environ.get("EARMARK_SCREENSHOTS") == "1":
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def screenshot(screenshot_dir: Path) -> Callable[..., Path]:
    """save(page, NAME, **kwargs): a screenshot for the docs, as NAME.png in ``screenshot_dir``.

    Passing toasts are cleared first; the picture is reduced to 256 colours, which keeps each
    file well under 250 KB (spectrograms compress badly) without a visible change.
    """

    def save(page: Any, name: str, **kwargs: Any) -> Path:
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        path = screenshot_dir / f"{name}.png"
        page.evaluate("document.querySelectorAll('.toast:not(.toast-error)').forEach(t => t.remove())")
        picture = Image.open(io.BytesIO(page.screenshot(**kwargs))).convert("RGB")
        picture.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
            path, format="PNG", optimize=True)
        return path

    return save
