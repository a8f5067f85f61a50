"""The exported page when its code cannot load: onnxruntime-web unreachable (an offline or firewalled
visitor), its copy beside the page missing, earmark.js missing, or the page opened as a file. Each
once said "Loading the model…" forever, with errors only in the console: the page's module imported
earmark.js statically, and a failed import stops a module before it runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from conftest import untrained_classifier
from earmark.export import ORT_WEB_URL, ORT_WEB_VERSION, onnx_bytes, web_files

from .test_web_export import served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two web exports of a tiny model (the files export_web writes): the runtime from the CDN (the
    default), and from beside the page (``--runtime-url ./ort.wasm.min.mjs``), not copied in."""
    clf = untrained_classifier()
    onnx = onnx_bytes(clf)  # made once: the slow part
    folders = {}
    for name, runtime_url in {"cdn": ORT_WEB_URL, "beside": "./ort.wasm.min.mjs"}.items():
        folders[name] = tmp_path_factory.mktemp(name)
        for file, data in web_files(clf, runtime_url=runtime_url, onnx=onnx).items():
            (folders[name] / file).write_bytes(data)
    return folders


@pytest.fixture
def offline(page: Page, page_errors: list[str]) -> Iterator[Callable[[str], Page]]:
    """Open a page with no internet: any request off 127.0.0.1 (and file://) is refused."""

    def refuse(route: Route) -> None:
        if route.request.url.startswith(("http://127.0.0.1:", "file://")):
            route.continue_()
        else:
            route.abort("internetdisconnected")

    page.route("**/*", refuse)

    def open_(url: str) -> Page:
        page.goto(url)
        expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=10000)
        expect(page.locator("#about")).to_have_text("The model could not be loaded.")
        expect(page.locator("#listen")).to_be_disabled()
        expect(page.locator("#file")).to_be_disabled()
        return page

    yield open_
    assert page_errors == []  # said in the page, not thrown


def test_the_page_says_when_the_runtime_cdn_is_unreachable(exports: dict[str, Path], offline) -> None:
    with served(exports["cdn"]) as url:
        page = offline(url)
        expect(page.locator("#error")).to_have_text(
            f"Could not load onnxruntime-web from {ORT_WEB_URL} (offline, blocked, or the file is missing): "
            "connect to the internet, or copy the runtime next to this page and export with --runtime-url "
            "(see README.md)")


def test_the_page_says_when_its_copy_of_the_runtime_is_missing(exports: dict[str, Path], offline) -> None:
    with served(exports["beside"]) as url:
        page = offline(url)
        expect(page.locator("#error")).to_have_text(
            f"Could not load onnxruntime-web from {url}ort.wasm.min.mjs (the file is missing): copy "
            f"onnxruntime-web {ORT_WEB_VERSION}'s files there (README.md lists them)")


def test_the_page_says_when_earmark_js_is_missing(exports: dict[str, Path], offline, tmp_path: Path) -> None:
    """The runtime is there (a stand-in module beside the page), earmark.js is not."""
    folder = tmp_path / "half"
    folder.mkdir()
    (folder / "index.html").write_bytes((exports["beside"] / "index.html").read_bytes())
    (folder / "ort.wasm.min.mjs").write_text("export const env = {};\n")
    with served(folder) as url:
        page = offline(url)
        expect(page.locator("#error")).to_contain_text(f"Could not load {url}earmark.js (")
        expect(page.locator("#error")).to_contain_text(
            "put the whole exported folder on the web host, earmark.js beside index.html")


def test_the_page_opened_as_a_file_says_to_serve_it(exports: dict[str, Path], offline) -> None:
    page = offline((exports["cdn"] / "index.html").as_uri())
    expect(page.locator("#error")).to_have_text(
        "This page was opened as a file, and a browser does not let such a page load its code or its model: open "
        "it through a web server instead (python3 -m http.server -d FOLDER, then http://localhost:8000/; see "
        "README.md).")
