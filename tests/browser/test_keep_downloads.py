"""The Keep tab's ONNX and web-page downloads, which the server makes when asked (seconds the first time):
the link spins at once and until the file comes, the file keeps the server's name, and a failure is told."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("button", "ending", "suffix"), [("#download-onnx-btn", "onnx", ".onnx"),
                                                         ("#download-web-btn", "web", "-web.zip")])
def test_a_download_made_on_request_shows_it_is_coming(page: Page, studio, demo_project, demo_model, page_errors,
                                                       button: str, ending: str, suffix: str) -> None:
    held: list[Route] = []
    page.route(re.compile(rf"/models/[^/]+/{ending}$"), lambda route: held.append(route))  # answered below
    studio.open(page, demo_project, "keep")
    page.select_option("#keep-model", demo_model["id"])
    link = page.locator(button)
    expect(link).not_to_have_attribute("aria-busy", "true")
    link.click()
    expect(link).to_have_attribute("aria-busy", "true")  # while the server makes it
    expect(link).to_have_class(re.compile(r"\bis-busy\b"))
    for _ in range(200):  # the request reaches Python's handler while Playwright waits
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    link.click()  # a second click meanwhile asks for nothing more
    page.wait_for_timeout(300)
    assert len(held) == 1
    with page.expect_download(timeout=60000) as info:
        held[0].continue_()
    assert info.value.suggested_filename == f"{demo_project}-{demo_model['id']}{suffix}"  # the server's name
    assert info.value.path().stat().st_size > 1000
    expect(link).not_to_have_attribute("aria-busy", "true")
    assert not page_errors


def test_a_download_that_fails_says_why(page: Page, studio, demo_project, demo_model, page_errors) -> None:
    error: dict[str, Any] = {"error": {"type": "ModelFileError",
                                       "message": "the model file is damaged; train it again"}}
    page.route(re.compile(r"/models/[^/]+/onnx$"), lambda route: route.fulfill(status=422, json=error))
    studio.open(page, demo_project, "keep")
    page.select_option("#keep-model", demo_model["id"])
    page.click("#download-onnx-btn")
    expect(page.locator("[data-testid=toast-error]")).to_contain_text("the model file is damaged; train it again")
    expect(page.locator("#download-onnx-btn")).not_to_have_attribute("aria-busy", "true")
    assert not page_errors
