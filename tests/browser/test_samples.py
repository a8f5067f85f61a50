"""Getting samples in from the page: recording through the (fake) microphone, uploads, classes."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from playwright.sync_api import Page, Route, expect

from earmark.demo import demo_data_dir

pytestmark = pytest.mark.browser


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def test_the_demo_project_shows_its_classes_and_samples(page: Page, studio, demo_project, page_errors,
                                                        screenshot) -> None:
    studio.open(page, demo_project)
    expect(page.locator("#class-list .class-item")).to_have_count(3)
    expect(page.locator("#class-list .class-item").first).to_contain_text("Background Noise")
    for name in ("background", "bass", "drums"):
        expect(page.locator(f"[data-testid=count-{name}]")).to_contain_text("24 ·")
    expect(page.locator("#class-title")).to_have_text("bass")
    cards = page.locator("[data-testid=sample-card]")
    expect(cards).to_have_count(24)
    expect(cards.first.locator("img.spectro")).to_have_js_property("complete", True)
    expect(cards.first).to_contain_text("from bass_000")
    page.click("[data-testid=class-drums]")
    expect(page.locator("#class-title")).to_have_text("drums")
    expect(cards.first).to_contain_text("drums_000")
    page.wait_for_function("[...document.querySelectorAll('img.spectro')].slice(0, 8).every(i => i.complete)")
    screenshot(page, "project")
    assert not page_errors


def test_record_short_samples_and_a_long_take(page: Page, studio, empty_project, page_errors, screenshot) -> None:
    studio.open(page, empty_project)
    page.fill("#new-class-name", "bass")
    page.click("#add-class-btn")
    expect(page.locator("#class-title")).to_have_text("bass")

    page.click("#mic-btn")
    expect(page.locator("#device-rate")).to_contain_text("capturing at 44100 Hz")
    expect(page.locator("#device-rate")).to_contain_text("device reports")
    page.wait_for_timeout(1200)  # past the WAV's second of silence
    page.fill("#rec-count", "3")
    page.fill("#rec-length", "1")
    page.click("#record-btn")
    # on screen for about a second: checked every frame (expect's retries slow to one a second)
    page.wait_for_function("document.querySelector('#rec-status').textContent"
                           ".includes('Recording sample 2 of 3 into bass…')")
    assert float(page.locator("#level-meter").get_attribute("data-peak")) > 0.01
    screenshot(page, "recording")
    expect(page.locator("#level-meter [data-testid=clip-warning]")).to_be_hidden()  # the WAV peaks near 0.5
    expect(page.locator("#rec-status")).to_contain_text("Saved 3 sample(s) from take-", timeout=15000)
    expect(page.locator("[data-testid=upload-result]")).to_be_empty()  # the Record card says it

    cards = page.locator("[data-testid=sample-card]")
    expect(cards).to_have_count(3)
    expect(cards.first).to_contain_text(re.compile(r"from take-\d{8}-\d{6}"))
    # a long name is cut in the middle: the number that tells the samples apart stays in sight
    expect(cards.first.locator(".sample-name")).to_have_text(re.compile(r"^take-\d+….*_00\d\.wav$"))
    samples = studio.samples(empty_project, "bass")
    assert len(samples) == 3
    assert len({s["recording"] for s in samples}) == 1
    for sample in samples:
        assert sample["duration_s"] == pytest.approx(1.0, abs=0.05)
        audio, rate = studio.audio(sample["audio_url"])
        assert _rms(audio) > 0.01, f"{sample['id']} is silent"
    expect(page.locator("[data-testid=count-bass]")).to_contain_text("3 ·")

    # one long take, cut by the server into 1 s clips
    first_take = {s["recording"] for s in samples}
    page.check("#mode-long")
    page.fill("#rec-clip", "1")
    page.click("#record-btn")
    expect(page.locator("#rec-status")).to_contain_text("Recording into bass…")
    # picking another class mid-take changes nothing: the status keeps saying where the take goes
    page.click("[data-testid=class-background]")
    expect(page.locator("#class-title")).to_contain_text("Background Noise")
    page.wait_for_timeout(2600)
    expect(page.locator("#rec-status")).to_contain_text("Recording into bass…")
    page.click("#stop-btn")
    expect(page.locator("#rec-status")).to_contain_text("Saved", timeout=15000)
    samples = studio.samples(empty_project, "bass")
    long_take = [s for s in samples if s["recording"] not in first_take]
    assert len(long_take) >= 2
    assert len({s["recording"] for s in long_take}) == 1
    page.click("[data-testid=class-bass]")
    expect(cards).to_have_count(len(samples))

    # a frame that reaches full scale lights the clipping warning
    page.evaluate("import('/static/audio.js').then(m => m.mic._frame(new Float32Array([0, 0.995, -0.2])))")
    expect(page.locator("#level-meter [data-testid=clip-warning]")).to_be_visible()
    assert not page_errors


def test_upload_files_folder_and_zip_skips_bad_files(page: Page, studio, empty_project, tmp_path, page_errors,
                                                     screenshot) -> None:
    drums = sorted((demo_data_dir() / "train" / "drums").glob("*.ogg"))
    good = [tmp_path / "hit-a.ogg", tmp_path / "hit-b.ogg"]
    for source, target in zip(drums, good):
        target.write_bytes(source.read_bytes())
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF....WAVEthis is not audio")

    studio.open(page, empty_project)
    page.fill("#new-class-name", "drums")
    page.click("#add-class-btn")
    expect(page.locator("#class-title")).to_have_text("drums")

    page.set_input_files("#sample-files", [str(p) for p in [*good, broken]])
    expect(page.locator("[data-testid=added-count]")).to_have_text("Added 2 samples, skipped 1.")
    expect(page.locator("[data-testid=skipped-list]")).to_contain_text("broken.wav")
    expect(page.locator("[data-testid=sample-card]")).to_have_count(2)

    # dropped files land the same way
    dropped = page.evaluate_handle(
        """async (url) => { const dt = new DataTransfer();
           const bytes = await (await fetch(url)).arrayBuffer();
           dt.items.add(new File([bytes], "dropped.ogg", { type: "audio/ogg" })); return dt; }""",
        studio.samples(empty_project, "drums")[0]["audio_url"])
    page.locator("#sample-drop").dispatch_event("drop", {"dataTransfer": dropped})
    expect(page.locator("[data-testid=added-count]")).to_have_text("Added 1 sample.")
    expect(page.locator("[data-testid=sample-card]")).to_have_count(3)
    first_drop = next(s for s in studio.samples(empty_project, "drums") if s["id"].startswith("dropped"))
    studio.client.delete(f"/api/projects/{empty_project}/samples/drums/{first_drop['id']}").raise_for_status()

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i, source in enumerate(drums[2:5]):
            zf.writestr(f"more/hit-{i}.ogg", source.read_bytes())
        zf.writestr("more/readme-not-audio.ogg", b"nothing to hear")
    page.set_input_files("#sample-files", files=[{"name": "drums.zip", "mimeType": "application/zip",
                                                  "buffer": buf.getvalue()}])
    expect(page.locator("[data-testid=added-count]")).to_have_text("Added 3 samples, skipped 1.")
    expect(page.locator("[data-testid=skipped-list]")).to_contain_text("readme-not-audio.ogg")

    folder = tmp_path / "folder" / "sub"
    folder.mkdir(parents=True)
    for i, source in enumerate(drums[5:7]):
        (folder / f"f-{i}.ogg").write_bytes(source.read_bytes())
    page.set_input_files("#sample-folder", str(tmp_path / "folder"))
    expect(page.locator("[data-testid=added-count]")).to_have_text("Added 2 samples.")
    expect(page.locator("[data-testid=sample-card]")).to_have_count(7)
    expect(page.locator("[data-testid=count-drums]")).to_contain_text("7 ·")
    expect(page.locator("#class-hint")).to_be_hidden()

    # every sample shows its spectrogram and can be played
    first = page.locator("[data-testid=sample-card]").first
    expect(first.locator("img.spectro")).to_have_js_property("complete", True)
    assert first.locator("img.spectro").evaluate("img => img.naturalWidth") > 0
    duration = first.locator("audio").evaluate(
        "a => new Promise(ok => { a.onloadedmetadata = () => ok(a.duration); a.load(); })")
    assert duration > 0.2

    # move one to the background class, delete another
    name = first.get_attribute("data-sample")
    first.locator("select.move-select").select_option("background")
    expect(page.locator("[data-testid=count-background]")).to_contain_text("1 ·")
    assert [s["id"] for s in studio.samples(empty_project, "background")] == [name]
    # a move can be undone from its message, as a delete can
    moved = page.locator("[data-testid=toast-info]", has_text=f"Moved {name} to")
    moved.locator("[data-testid=toast-action]").click()
    expect(page.locator("[data-testid=toast-info]", has_text=f"Moved {name} back.")).to_be_visible()
    expect(page.locator(f"[data-testid=sample-card][data-sample='{name}']")).to_have_count(1)
    assert studio.samples(empty_project, "background") == []
    assert name in [s["id"] for s in studio.samples(empty_project, "drums")]
    page.locator(f"[data-testid=sample-card][data-sample='{name}'] select.move-select").select_option("background")
    expect(page.locator("[data-testid=count-background]")).to_contain_text("1 ·")
    assert [s["id"] for s in studio.samples(empty_project, "background")] == [name]
    page.locator("[data-testid=sample-card] [data-action=delete]").first.click()
    expect(page.locator("[data-testid=sample-card]")).to_have_count(5)
    assert len(studio.samples(empty_project, "drums")) == 5
    screenshot(page, "upload")
    assert not page_errors


def test_classes_add_rename_delete(page: Page, studio, empty_project, page_errors) -> None:
    studio.open(page, empty_project)
    items = page.locator("#class-list .class-item")
    expect(items.first).to_contain_text("Background Noise")
    expect(page.locator("#rename-class-btn")).to_be_hidden()  # the background class cannot be renamed

    page.fill("#new-class-name", "guitar")
    page.click("#add-class-btn")
    expect(items).to_have_count(2)
    expect(page.locator("#class-hint")).to_contain_text("add at least")

    page.click("#rename-class-btn")
    page.fill("#rename-class-name", "lead guitar")
    page.click("#rename-class-save")
    expect(page.locator("#class-title")).to_have_text("lead guitar")
    assert [c["name"] for c in studio.project(empty_project)["classes"]] == ["background", "lead guitar"]

    page.click("#delete-class-btn")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Background Noise")
    assert [c["name"] for c in studio.project(empty_project)["classes"]] == ["background"]
    # the toast says what went and can put it back
    undo = page.locator("[data-testid=toast-info]", has_text="Deleted class “lead guitar”")
    undo.locator("[data-testid=toast-action]").click()
    expect(items).to_have_count(2)
    expect(page.locator("[data-testid=toast-info]").last).to_have_text(re.compile("Restored class “lead guitar”\\."))
    assert [c["name"] for c in studio.project(empty_project)["classes"]] == ["background", "lead guitar"]
    expect(page.locator("#class-title")).to_have_text("lead guitar")  # shown again, as before the delete
    assert not page_errors


def test_deleting_a_class_counts_its_test_clips_in_the_dialog_and_the_toast(page: Page, studio, empty_project,
                                                                            page_errors) -> None:
    bass = sorted((demo_data_dir() / "train" / "bass").glob("*.ogg"))[:3]
    base = f"/api/projects/{empty_project}/classes"
    studio.client.post(base, json={"name": "bass"}).raise_for_status()
    for path, query in [(bass[0], ""), (bass[1], ""), (bass[2], "?set=test")]:
        studio.client.post(f"{base}/bass/samples{query}",
                           files=[("files", (path.name, path.read_bytes()))]).raise_for_status()
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    studio.open(page, empty_project)
    page.click("[data-testid=class-bass]")
    expect(page.locator("#class-title")).to_have_text("bass")
    page.click("#delete-class-btn")
    expect(page.locator("#class-list .class-item")).to_have_count(1)
    assert asked == ["Delete the class “bass” and its 2 samples and 1 test clip? "
                     "They are kept in the project's .trash folder."]
    expect(page.locator("[data-testid=toast-info]", has_text="Deleted class “bass”")).to_contain_text(
        "Deleted class “bass” and its 2 samples and 1 test clip")
    assert not page_errors


def test_a_deleted_sample_comes_back_with_undo(page: Page, studio, empty_project, page_errors) -> None:
    drums = sorted((demo_data_dir() / "train" / "drums").glob("*.ogg"))[:2]
    studio.open(page, empty_project)
    page.set_input_files("#sample-files", [str(p) for p in drums])
    cards = page.locator("[data-testid=sample-card]")
    expect(cards).to_have_count(2)
    gone = cards.first.get_attribute("data-sample")
    cards.first.locator("[data-action=delete]").click()
    expect(cards).to_have_count(1)
    toast = page.locator("[data-testid=toast-info]", has_text=f"Deleted {gone} (kept in the project's .trash folder).")
    toast.locator("[data-testid=toast-action]").click()
    expect(page.locator("[data-testid=toast-info]").last).to_have_text(re.compile(f"Restored {re.escape(gone)}\\."))
    expect(cards).to_have_count(2)
    expect(page.locator(f"[data-testid=sample-card][data-sample='{gone}']")).to_have_count(1)
    assert gone in [s["id"] for s in studio.samples(empty_project, "background")]
    expect(toast).to_have_count(0)  # an Undo runs once: its toast goes
    assert not page_errors


def test_a_failed_call_shows_the_servers_message(page: Page, studio, empty_project, tmp_path, page_errors) -> None:
    not_a_zip = tmp_path / "songs.txt"
    not_a_zip.write_text("not a zip")
    expected = studio.client.post("/api/projects/import", files={"file": ("songs.txt", b"not a zip")})
    assert expected.status_code >= 400
    message = expected.json()["error"]["message"]

    studio.open(page, empty_project)
    page.set_input_files("#import-project-input", str(not_a_zip))
    toast = page.locator("[data-testid=toast-error]")
    expect(toast).to_contain_text(message)
    expect(page.locator("#import-project-btn")).not_to_have_class(re.compile("is-busy"))

    # a class name the server refuses: its words, not a status code
    page.fill("#new-class-name", "../etc")
    page.click("#add-class-btn")
    expect(toast.last).to_contain_text("cannot be used")
    expect(page.locator("#add-class-btn")).to_be_enabled()
    assert not page_errors


#: The samples POST of any class (uploads and recordings).
SAMPLES_POST = re.compile(r"/api/projects/[^/]+/classes/[^/]+/samples$")


def _train_limits(studio) -> dict[str, dict[str, Any]]:
    """The server's own limits on the training settings, from its OpenAPI schema."""
    schemas = studio.client.get("/openapi.json").json()["components"]["schemas"]
    train = next(s for s in schemas.values() if "batch_size" in s.get("properties", {}))
    # an optional setting (null: earmark's default) is anyOf [the number's limits, null]
    return {key: next((a for a in prop.get("anyOf", []) if a.get("type") != "null"), prop)
            for key, prop in train["properties"].items()}


def test_numbers_outside_the_servers_limits_are_refused_before_sending(page: Page, studio, empty_project,
                                                                        demo_project, tmp_path, page_errors) -> None:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    drum = sorted((demo_data_dir() / "train" / "drums").glob("*.ogg"))[0]
    studio.open(page, empty_project)
    page.fill("#new-class-name", "drums")
    page.click("#add-class-btn")
    expect(page.locator("#class-title")).to_have_text("drums")
    sent.clear()

    # the inputs carry the server's limits: clip length 0.25-60 s (intake), training settings (schema)
    for selector in ("#upload-clip", "#rec-clip"):
        expect(page.locator(selector)).to_have_attribute("min", "0.25")
        expect(page.locator(selector)).to_have_attribute("max", "60")
    for selector, key in (("#train-epochs", "epochs"), ("#train-batch", "batch_size"),
                          ("#train-lr", "learning_rate"), ("#train-window", "window_s")):
        limits = _train_limits(studio)[key]
        low = limits.get("minimum", limits.get("exclusiveMinimum"))
        assert float(page.get_attribute(selector, "min")) == low, key
        assert float(page.get_attribute(selector, "max")) == limits["maximum"], key
        assert (page.get_attribute(selector, "data-min-exclusive") is not None) == ("exclusiveMinimum" in limits)

    # a clip length the server refuses: the page says so and uploads nothing
    errors = page.locator("[data-testid=toast-error]")
    page.fill("#upload-clip", "0.2")
    page.set_input_files("#sample-files", str(drum))
    expect(errors.last).to_contain_text("between 0.25 and 60 s (you gave 0.2)")
    expect(page.locator("[data-testid=upload-error]")).to_contain_text("Cut long files into clips of")
    expect(page.locator("#upload-clip")).to_have_attribute("aria-invalid", "true")
    page.wait_for_timeout(300)
    assert sent == [] and studio.samples(empty_project, "drums") == []

    # the long take's clip length is checked before the microphone opens
    page.check("#mode-long")
    page.fill("#rec-clip", "61")
    page.click("#record-btn")
    expect(errors.last).to_contain_text("between 0.25 and 60 s (you gave 61)")
    expect(page.locator("#record-btn")).to_be_enabled()
    expect(page.locator("#device-rate")).to_have_text("microphone off")

    # within the limits the upload goes through
    page.click("#tab-samples")
    page.fill("#upload-clip", "0.5")
    page.set_input_files("#sample-files", str(drum))
    expect(page.locator("[data-testid=added-count]")).to_contain_text("Added")
    expect(page.locator("#upload-clip")).not_to_have_attribute("aria-invalid", "true")
    assert len(studio.samples(empty_project, "drums")) >= 1

    # training settings: every wrong one named, no training started (in a project that could
    # train: this one has too few samples, so its Train button is off)
    studio.open(page, demo_project, "train")
    expect(page.locator("#train-btn")).to_be_enabled()
    sent.clear()
    page.click("#train-advanced summary")
    page.fill("#train-batch", "1")
    page.fill("#train-window", "0.1")
    page.fill("#train-lr", "0")
    page.click("#train-btn")
    expect(errors.last).to_contain_text("“Batch size” must be between 4 and 512 (you gave 1).")
    expect(errors.last).to_contain_text("“Window” must be between 0.25 and 5 s (you gave 0.1).")
    expect(errors.last).to_contain_text("“Learning rate” must be more than 0 and at most 0.5 (you gave 0).")
    expect(page.locator("#train-status")).to_have_text("No training running.")
    page.wait_for_timeout(300)
    assert sent == []
    assert not page_errors


def test_a_failed_recording_upload_keeps_the_take(page: Page, studio, empty_project, tmp_path, page_errors) -> None:
    refused: list[str] = []

    def refuse(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        refused.append(route.request.url)
        error = {"status": 500, "type": "OSError", "message": "the disk is full (a test)"}
        route.fulfill(status=500, content_type="application/json", body=json.dumps({"error": error}))

    studio.open(page, empty_project)
    page.fill("#new-class-name", "bass")
    page.click("#add-class-btn")
    expect(page.locator("#class-title")).to_have_text("bass")
    page.click("#mic-btn")
    expect(page.locator("#device-rate")).to_contain_text("capturing at 44100 Hz")
    page.wait_for_timeout(1200)  # past the WAV's second of silence

    page.route(SAMPLES_POST, refuse)
    page.fill("#rec-count", "2")
    page.fill("#rec-length", "0.5")
    page.click("#record-btn")
    take = page.locator("[data-testid=unsaved-take]")
    expect(take).to_have_count(1, timeout=15000)
    expect(page.locator("[data-testid=toast-error]").last).to_contain_text("the disk is full (a test)")
    expect(take).to_contain_text("the disk is full (a test)")
    expect(page.locator("#rec-status")).to_contain_text("Not saved")
    retry = take.get_by_role("button", name="Retry upload")
    download = take.get_by_role("link", name="Download the take (WAV)")
    expect(retry).to_be_visible()
    expect(download).to_be_visible()
    assert len(refused) == 1 and studio.samples(empty_project, "bass") == []

    # the take can be saved as a file: both samples back to back, at the microphone's rate
    with page.expect_download() as info:
        download.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert re.fullmatch(r"take-\d{8}-\d{6}\.wav", path.name), path.name
    audio, rate = sf.read(path, dtype="float32")
    assert rate == 44100 and len(audio) / rate == pytest.approx(1.0, abs=0.01)
    assert _rms(audio) > 0.01

    # still refused: the take stays; once the server takes it, Retry saves it and the box goes
    retry.click()
    expect(take.locator("[data-testid=unsaved-take-error]")).to_contain_text("the disk is full")
    expect(retry).to_be_enabled()
    assert len(refused) == 2
    page.unroute(SAMPLES_POST, refuse)
    retry.click()
    expect(take).to_have_count(0, timeout=15000)
    expect(page.locator("#unsaved-takes")).to_be_hidden()
    expect(page.locator("#rec-status")).to_contain_text(f"Saved 2 sample(s) from {path.stem}")
    expect(page.locator("[data-testid=sample-card]")).to_have_count(2)
    samples = studio.samples(empty_project, "bass")
    assert len(samples) == 2 and {s["recording"] for s in samples} == {path.stem}
    assert len(refused) == 2
    assert not page_errors


def test_leaving_the_page_mid_take_asks_first(page: Page, studio, empty_project, page_errors) -> None:
    """Reloading or closing the tab while a take is recorded would lose it: the page asks first
    (a beforeunload dialog), and stops asking once the take is saved."""
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    studio.open(page, empty_project)
    page.check("#mode-long")
    page.click("#record-btn")
    expect(page.locator("#rec-status")).to_contain_text("Recording into", timeout=15000)
    page.close(run_before_unload=True)
    for _ in range(100):  # the dialog reaches Python's handler while Playwright waits
        if asked:
            break
        page.wait_for_timeout(50)
    assert asked == ["beforeunload"] and not page.is_closed()
    expect(page.locator("#rec-status")).to_contain_text("Recording into")  # still recording

    page.click("#stop-btn")
    expect(page.locator("#rec-status")).to_contain_text("Saved", timeout=15000)
    with page.expect_event("close"):
        page.close(run_before_unload=True)
    assert asked == ["beforeunload"]
    assert len(studio.samples(empty_project, "background")) >= 1
    assert not page_errors


def test_sample_urls_are_used_as_given(page: Page, studio, demo_project, page_errors) -> None:
    """Whatever query the server puts on a sample's URLs (a "?v=" cache key) stays on them: the page
    never rebuilds a URL. Here one more parameter is added to each, and must reach the page as is."""
    given: dict[str, dict[str, str]] = {}

    def marked(url: str) -> str:
        return f"{url}{'&' if '?' in url else '?'}given=test-1"

    def with_marks(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        for sample in body["samples"]:
            sample["audio_url"] = marked(sample["audio_url"])
            sample["spectrogram_url"] = marked(sample["spectrogram_url"])
            given[sample["id"]] = sample
        route.fulfill(response=response, json=body)

    page.route(re.compile(r"/classes/bass/samples$"), with_marks)
    studio.open(page, demo_project)
    expect(page.locator("#class-title")).to_have_text("bass")
    cards = page.locator("[data-testid=sample-card]")
    expect(cards).to_have_count(24)
    for i in (0, 23):
        sample = given[cards.nth(i).get_attribute("data-sample")]
        expect(cards.nth(i).locator("audio")).to_have_attribute("src", sample["audio_url"])
        expect(cards.nth(i).locator("img.spectro")).to_have_attribute("src", sample["spectrogram_url"])
    first = cards.first.locator("img.spectro")
    expect(first).to_have_js_property("complete", True)
    assert first.evaluate("img => img.naturalWidth") > 0
    duration = cards.first.locator("audio").evaluate(
        "a => new Promise(ok => { a.onloadedmetadata = () => ok(a.duration); a.load(); })")
    assert duration > 0.2
    assert not page_errors


def test_a_browser_that_refuses_a_resampled_microphone_still_records(page: Page, studio, empty_project,
                                                                     page_errors) -> None:
    """Firefox refuses a microphone whose rate differs from the AudioContext's (NotSupportedError);
    the page then opens the context at the device's own rate. Simulated here: the first
    createMediaStreamSource call throws as Firefox does."""
    page.add_init_script("""
        const original = AudioContext.prototype.createMediaStreamSource;
        let refused = 0;
        AudioContext.prototype.createMediaStreamSource = function (stream) {
            if (refused++ === 0) throw new DOMException("different sample-rate", "NotSupportedError");
            window.__earmarkContextOptions = this.sampleRate;
            return original.call(this, stream);
        };
    """)
    studio.open(page, empty_project)
    page.click("#mic-btn")
    expect(page.locator("#device-rate")).to_contain_text("capturing at 44100 Hz")
    assert page.evaluate("window.__earmarkContextOptions") == 44100
    page.wait_for_timeout(1200)
    assert float(page.locator("#level-meter").get_attribute("data-peak")) > 0.01
    assert not page_errors


def test_a_take_started_with_the_microphone_does_not_begin_in_digital_silence(page: Page, studio, empty_project,
                                                                              page_errors) -> None:
    """The fake microphone's WAV opens with 1 s of exact zeros, as a device that has just opened may
    (Firefox through PulseAudio sent 0.6 s): Record pressed at once must not keep them."""
    studio.open(page, empty_project)
    page.fill("#rec-count", "1")
    page.fill("#rec-length", "1")
    page.click("#record-btn")  # opens the microphone and records at once
    expect(page.locator("#rec-status")).to_contain_text("Saved 1 sample(s)", timeout=15000)
    [sample] = studio.samples(empty_project, "background")
    audio, rate = studio.audio(sample["audio_url"])
    assert np.abs(audio[: rate // 10]).max() > 0, "the take begins with the device's opening silence"
    assert sample["duration_s"] == pytest.approx(1.0, abs=0.05)
    assert not page_errors
