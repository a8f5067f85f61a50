"""Keeping and sharing: download a model and import it again, the share page, evaluate and compare."""

from __future__ import annotations

import json
import re
import threading
import time
from urllib.parse import quote

import onnxruntime as ort
import pytest
import uvicorn
from playwright.sync_api import Page, Route, expect

from earmark.demo import demo_data_dir
from earmark.studio import StudioSettings, create_app

from .conftest import DEMO_EPOCHS

pytestmark = pytest.mark.browser


def test_download_a_model_and_import_it_again(page: Page, studio, demo_project, demo_model, tmp_path,
                                              page_errors) -> None:
    studio.open(page, demo_project, "keep")
    page.select_option("#keep-model", demo_model["id"])
    expect(page.locator("#keep-info")).to_contain_text("Background Noise, bass, drums")
    with page.expect_download() as info:
        page.click("#download-model-btn")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.suffix == ".earmark"
    assert path.stat().st_size == demo_model["size_bytes"]

    # the same model for deployment: an ONNX file that onnxruntime runs without earmark
    with page.expect_download(timeout=60000) as info:
        page.click("#download-onnx-btn")
    onnx_path = tmp_path / info.value.suggested_filename
    info.value.save_as(onnx_path)
    assert onnx_path.name == f"{demo_project}-{demo_model['id']}.onnx"  # as the .earmark download is named
    session = ort.InferenceSession(str(onnx_path))
    assert json.loads(session.get_modelmeta().custom_metadata_map["earmark.labels"]) == demo_model["labels"]

    before = {m["id"] for m in studio.project(demo_project)["models"]}
    page.set_input_files("#import-model-input", str(path))
    expect(page.locator("[data-testid=toast-info]").last).to_contain_text("imported")
    expect(page.locator("[data-testid=toast-info]").last).to_contain_text("the same model as ")
    expect(page.locator("[data-testid=toast-info]").last).to_contain_text(demo_model["id"])
    after = {m["id"] for m in studio.project(demo_project)["models"]}
    (imported,) = after - before
    expect(page.locator("#keep-model")).to_have_value(imported)
    expect(page.locator("#hood-model")).to_have_value(imported)
    assert page.locator("#keep-model option").count() == len(after)
    studio.client.delete(f"/api/projects/{demo_project}/models/{imported}").raise_for_status()
    assert not page_errors


def test_the_share_page_classifies_a_file_and_the_microphone(page: Page, studio, demo_project, demo_model,
                                                             page_errors, screenshot) -> None:
    studio.open(page, demo_project, "keep")
    page.select_option("#keep-model", demo_model["id"])
    share_url = page.input_value("#share-url")
    assert share_url.startswith(f"{studio.url}/try/")
    expect(page.locator("#open-share-btn")).to_have_attribute("href", share_url)

    page.goto(share_url)
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#try-name")).to_have_text(demo_model["id"])
    expect(page.locator("#try-labels li")).to_have_count(3)
    body = page.inner_text("body")
    assert demo_project not in body and "samples" not in body.lower()  # no project data

    drum = sorted((demo_data_dir() / "train" / "drums").glob("*.ogg"))[0]
    token = share_url.rsplit("/", 1)[1]
    answer = studio.client.post(f"/api/try/{token}/predict", files={"file": (drum.name, drum.read_bytes())}).json()
    page.set_input_files("#try-file", str(drum))
    label = page.locator("[data-testid=predict-label]")
    expect(label).to_have_attribute("data-label", answer["label"], timeout=15000)
    expect(page.locator("[data-testid=try-result] .bar-row.winner")).to_have_attribute("data-label", answer["label"])
    expect(page.locator("[data-testid=teach]")).to_have_count(0)  # a visitor adds nothing to the project

    page.click("#try-live-start")
    expect(page.locator("#try-live-status")).to_contain_text("listening")
    page.wait_for_timeout(2500)  # past the fake microphone's second of silence
    expect(page.locator("#try-live-label")).to_have_attribute("data-label", "bass", timeout=15000)
    screenshot(page, "share", full_page=True)
    page.click("#try-live-stop")
    assert not page_errors


def test_a_broken_share_link_says_so(page: Page, studio, page_errors) -> None:
    page.goto(f"{studio.url}/try/not-a-real-token")
    expect(page.locator("#try-name")).to_have_text("This share link does not work")
    expect(page.locator("[data-testid=toast-error]")).to_contain_text("no shared model")
    # only the message: no microphone or file panel to try with
    expect(page.locator("[data-testid=try-mic-card]")).to_be_hidden()
    expect(page.locator("[data-testid=try-file-card]")).to_be_hidden()
    expect(page.locator("[data-testid=try-labels]")).to_be_hidden()
    assert not page_errors


def test_evaluate_a_test_folder_and_compare_two_models(page: Page, studio, demo_project, demo_model,
                                                       page_errors, screenshot) -> None:
    models = studio.project(demo_project)["models"]
    other = next((m["id"] for m in models if m["id"] != demo_model["id"]), None)
    if other is None:  # a copy of the model would be scored once (test_compare_same_model): train another
        other = studio.train(demo_project, epochs=DEMO_EPOCHS, seed=1)["id"]
    studio.open(page, demo_project, "evaluate")
    page.select_option("#eval-model", demo_model["id"])
    page.set_input_files("#eval-folder", str(demo_data_dir() / "test"))
    report = page.locator("[data-testid=report]")
    expect(report).to_have_count(1, timeout=30000)
    expect(report.locator("[data-testid=report-accuracy]")).to_contain_text("%")
    expect(report.locator("table.confusion tbody tr")).to_have_count(3)

    page.check("#eval-compare")
    page.select_option("#eval-model-b", other)
    page.set_input_files("#eval-folder", str(demo_data_dir() / "test"))
    expect(page.locator("[data-testid=compare] [data-testid=report]")).to_have_count(2, timeout=30000)
    expect(page.locator("[data-testid=compare]")).to_contain_text(f"B · {other}")
    screenshot(page, "evaluate", full_page=True)
    if other not in {m["id"] for m in models}:
        studio.client.delete(f"/api/projects/{quote(demo_project)}/models/{other}").raise_for_status()
    assert not page_errors


def test_evaluating_on_training_audio_says_so(page: Page, studio, demo_project, demo_model, page_errors) -> None:
    """The demo's own training folder as a "test set": the report says the model was trained on those clips."""
    studio.open(page, demo_project, "evaluate")
    page.select_option("#eval-model", demo_model["id"])
    expect(page.locator("#eval-compare")).not_to_be_checked()
    page.set_input_files("#eval-folder", str(demo_data_dir() / "train"))
    warnings = page.locator("[data-testid=report] [data-testid=report-warnings] li")
    expect(warnings.first).to_contain_text("test clips are audio the model was trained on", timeout=30000)
    expect(warnings.first).to_contain_text("take them out of the test set")
    # a test set of other recordings: no such warning
    page.set_input_files("#eval-folder", str(demo_data_dir() / "test"))
    expect(page.locator("[data-testid=report-accuracy]")).to_contain_text("%", timeout=30000)
    expect(page.locator("[data-testid=report] [data-testid=report-warnings]")).not_to_contain_text("trained on")
    assert not page_errors


def test_create_export_import_and_switch_projects(page: Page, studio, demo_project, tmp_path, page_errors) -> None:
    studio.open(page, demo_project)
    page.click("#new-project-btn")
    page.fill("#new-project-name", "fresh band")
    page.click("#create-project-btn")
    expect(page.locator("body")).to_have_attribute("data-project", "fresh band")
    expect(page.locator("#class-list .class-item")).to_have_count(1)

    page.select_option("#project-select", demo_project)
    expect(page.locator("body")).to_have_attribute("data-project", demo_project)
    expect(page.locator("#class-list .class-item")).to_have_count(3)
    with page.expect_download() as info:
        page.click("#export-project-btn")
    exported = tmp_path / info.value.suggested_filename
    info.value.save_as(exported)
    assert exported.suffix == ".zip"

    page.set_input_files("#import-project-input", str(exported))
    expect(page.locator("[data-testid=toast-info]").last).to_contain_text("imported")
    imported = page.locator("body").get_attribute("data-project")
    assert imported not in (demo_project, "fresh band")
    expect(page.locator("#project-select")).to_have_value(imported)
    counts = {c["name"]: c["samples"] for c in studio.project(imported)["classes"]}
    assert counts == {c["name"]: c["samples"] for c in studio.project(demo_project)["classes"]}
    expect(page.locator("[data-testid=count-bass]")).to_contain_text(f"{counts['bass']} ·")
    assert not page_errors


def test_the_share_panel_uses_the_servers_links(page: Page, studio, demo_project, demo_model, page_errors) -> None:
    """share_url and download_url of the project's model list are used as given; built only when missing."""
    mode = {"links": "marked"}

    def links(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        for model in body["models"]:
            if mode["links"] == "marked":
                model["share_url"] = f"/try/{model['token']}?from=server"
                model["download_url"] = f"{model.get('download_url') or '/x'}?from=server"
            else:
                model.pop("share_url", None)
                model.pop("download_url", None)
        route.fulfill(response=response, json=body)

    page.route(re.compile(rf"/api/projects/{re.escape(quote(demo_project))}$"), links)
    studio.open(page, demo_project, "keep")
    page.select_option("#keep-model", demo_model["id"])
    token = demo_model["token"]
    expect(page.locator("#share-url")).to_have_value(f"{studio.url}/try/{token}?from=server")
    expect(page.locator("#open-share-btn")).to_have_attribute("href", f"{studio.url}/try/{token}?from=server")
    expect(page.locator("#download-model-btn")).to_have_attribute("href", re.compile(r"\?from=server$"))
    note = page.locator("[data-testid=share-note]")
    expect(note).to_be_visible()
    expect(note).to_contain_text("This link works on this computer.")
    expect(note.locator("code")).to_have_text("earmark share MODEL_FILE --host 0.0.0.0")
    expect(note).to_contain_text("(it serves only the try page, not your project)")

    mode["links"] = "missing"  # an older server: the page builds both links itself
    page.reload()  # (going to the same URL with its #keep would not load the page again)
    page.wait_for_selector(f"body[data-ready=true][data-project='{demo_project}']")
    page.select_option("#keep-model", demo_model["id"])
    expect(page.locator("#share-url")).to_have_value(f"{studio.url}/try/{token}")
    model = quote(demo_model["id"])
    expect(page.locator("#download-model-btn")).to_have_attribute(
        "href", f"/api/projects/{quote(demo_project)}/models/{model}/download")
    with page.expect_download() as info:
        page.click("#download-model-btn")
    assert info.value.suggested_filename.endswith(".earmark")
    assert not page_errors


def test_name_a_model_and_see_how_it_was_trained(page: Page, studio, demo_project, demo_model, page_errors) -> None:
    data = studio.client.get(f"/api/projects/{quote(demo_project)}/models/{demo_model['id']}/download").content
    copy = studio.client.post(f"/api/projects/{quote(demo_project)}/models/import",
                              files={"file": ("copy.earmark", data)}).json()
    studio.open(page, demo_project, "keep")
    page.select_option("#keep-model", copy["id"])
    expect(page.locator("#model-name")).to_have_value(copy["id"])
    page.fill("#model-name", "library trained")
    page.click("#rename-model-btn")
    expect(page.locator("[data-testid=toast-info]").last).to_contain_text("is now called library trained")
    expect(page.locator("#keep-model")).to_have_value("library trained")
    expect(page.locator("[data-testid=keep-info]")).to_contain_text("library trained.earmark")
    assert "library trained" in [m["id"] for m in studio.project(demo_project)["models"]]
    # the hood says what the model was trained with (its file records it)
    page.click("#tab-train")
    expect(page.locator("#hood-model")).to_have_value("library trained")
    details = studio.client.get(f"/api/projects/{quote(demo_project)}/models/{demo_model['id']}").json()
    epochs = details["settings"]["epochs"]
    expect(page.locator("[data-testid=hood-settings]")).to_contain_text(f"Trained with {epochs} epochs · batch ")
    expect(page.locator("[data-testid=hood-settings]")).to_contain_text("seed 0")
    studio.client.delete(f"/api/projects/{quote(demo_project)}/models/library%20trained").raise_for_status()
    assert not page_errors


def test_the_share_page_on_another_device_says_why_there_is_no_microphone(browser_type, studio, demo_project,
                                                                          demo_model) -> None:
    """A phone on the network opens http://HOST:PORT/try/…: not https, not this computer, so the browser
    gives the page no microphone. The page says so up front and a file still works. (A second
    Chromium, which resolves phone-test.example to this machine: a real insecure context.)"""
    settings = StudioSettings(projects_root=studio.root, allowed_hosts=["phone-test.example"])
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the second server did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    browser = browser_type.launch(executable_path="/usr/bin/chromium", headless=True,
                                  args=["--host-resolver-rules=MAP phone-test.example 127.0.0.1", "--disable-gpu"])
    try:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"http://phone-test.example:{port}{demo_model['share_url']}")
        page.wait_for_selector("body[data-ready=true]")
        assert page.evaluate("window.isSecureContext") is False
        expect(page.locator("#try-live-status")).to_contain_text(
            "No microphone here: browsers give the microphone only to https pages and pages on this computer")
        expect(page.locator("#try-live-status")).to_contain_text(f"this page is at http://phone-test.example:{port}")
        expect(page.locator("#try-live-start")).to_be_disabled()
        drum = sorted((demo_data_dir() / "train" / "drums").glob("*.ogg"))[0]
        page.set_input_files("#try-file", str(drum))
        expect(page.locator("[data-testid=predict-label]")).to_have_attribute("data-label", "drums", timeout=15000)
        assert errors == []
    finally:
        browser.close()
        server.should_exit = True
        thread.join(timeout=10)
