"""The server stops while a page is open: the share page's visitor is told that the computer sharing the
model stopped serving it (they never ran a studio), the studio's user to start `earmark studio` again;
no bare close code. A second server over the shared projects folder is started and stopped here."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import uvicorn
from playwright.sync_api import Page, expect

from earmark.demo import demo_data_dir
from earmark.studio import StudioSettings, create_app

from .conftest import Studio, _listening_socket

pytestmark = pytest.mark.browser


@pytest.fixture
def stoppable(studio: Studio) -> Iterator[tuple[str, Callable[[], None]]]:
    """(url, stop): a second studio over the same projects, and a call that shuts it down."""
    app = create_app(StudioSettings(projects_root=studio.root))
    sock = _listening_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the second studio did not start"
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()

    yield f"http://127.0.0.1:{sock.getsockname()[1]}", stop
    if thread.is_alive():
        stop()


def test_the_share_page_says_its_owner_stopped_sharing(page: Page, demo_model, stoppable, page_errors) -> None:
    url, stop = stoppable
    page.goto(f"{url}/try/{demo_model['token']}")
    page.wait_for_selector("body[data-ready=true]")
    page.click("#try-live-start")
    expect(page.locator("#try-live-status")).to_contain_text("listening", timeout=15000)
    stop()
    status = page.locator("#try-live-status")
    expect(status).to_contain_text("the computer sharing this model: it stopped serving it", timeout=15000)
    expect(status).to_contain_text("ask its owner to start it again (earmark share, or earmark studio)")
    expect(page.locator("[data-testid=toast-error]").first).to_contain_text("Listening stopped: lost the connection")

    page.set_input_files("#try-file", str(demo_data_dir() / "recording.ogg"))
    expect(page.locator("#try-result .error-text")).to_have_text(
        "cannot reach the computer sharing this model: it stopped serving it (or the network dropped); ask its "
        "owner to start it again (earmark share, or earmark studio), then reload this page", timeout=15000)
    assert not page_errors


def test_the_studio_says_to_start_it_again(page: Page, demo_project, demo_model, stoppable, page_errors) -> None:
    url, stop = stoppable
    page.goto(f"{url}/?project={demo_project}#try")
    page.wait_for_selector(f"body[data-ready=true][data-project='{demo_project}']")
    page.select_option("#live-model", demo_model["id"])
    page.click("#live-start-btn")
    expect(page.locator("#live-status")).to_contain_text("listening", timeout=15000)
    stop()
    expect(page.locator("#live-status")).to_contain_text(
        'the studio: it stopped (or the network dropped); start "earmark studio" again', timeout=15000)
    page.select_option("#predict-model", demo_model["id"])
    page.set_input_files("#predict-file", str(demo_data_dir() / "recording.ogg"))
    expect(page.locator("#predict-result .error-text")).to_have_text(
        'cannot reach the studio: it stopped (or the network dropped); start "earmark studio" again, then reload '
        "this page", timeout=15000)
    assert not page_errors


def test_a_live_error_from_the_server_is_told_once_in_its_words(page: Page, studio, demo_model, page_errors) -> None:
    """The server's error, then close code 1008: one message, the server's, not also a close code."""

    def refuse(ws) -> None:  # as live_session answers a model gone meanwhile
        ws.on_message(lambda _message: (ws.send('{"error": {"type": "NotFoundError", "message": "no shared model '
                                                'with that link; ask its owner for a fresh link"}}'),
                                        ws.close(code=1008)))

    page.route_web_socket(re.compile(r"/api/try/[^/]+/live$"), refuse)
    page.goto(f"{studio.url}/try/{demo_model['token']}")
    page.wait_for_selector("body[data-ready=true]")
    page.click("#try-live-start")
    expect(page.locator("#try-live-status")).to_have_text(
        "stopped: no shared model with that link; ask its owner for a fresh link", timeout=15000)
    toasts = page.locator("[data-testid=toast-error]")
    expect(toasts).to_have_count(1)
    expect(toasts).to_contain_text("Listening stopped: no shared model with that link")
    assert not page_errors
