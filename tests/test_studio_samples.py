"""The studio's sample routes (in-process API; real files): every sample served in a format every browser
plays, from a bounded cache of copies made once; and the Undo of a move, through renames and deletes."""

from __future__ import annotations

import io
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from conftest import aac_in_caf, alac, assert_error, make_client, untrained_classifier, wav_bytes
from earmark.audio import load_audio
from earmark.errors import ParameterError, RangeNotSatisfiableError
from earmark.project import Project
from earmark.studio.routes.samples import IN_USE_S, PLAYABLE_COPIES, CopyLocks, prune_cache

SR = 22050
DATA = Path(__file__).parent / "data" / "audio"
BASE = "/api/projects/band"


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[tuple[TestClient, Project]]:
    project = Project.create(tmp_path / "projects" / "band")
    project.add_class("bass")
    with make_client(tmp_path / "projects") as client:
        yield client, project


def aiff_bytes(ints: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, ints.T.astype(np.int32) << 8, SR, subtype="PCM_24", format="AIFF")
    return buf.getvalue()


def test_an_uploaded_aiff_plays_as_flac(studio: tuple[TestClient, Project]) -> None:
    """QA: an AIFF sample gave MediaError 4 in Chromium. It is stored as FLAC, the same samples."""
    client, project = studio
    ints = np.random.default_rng(1).integers(-(2**23), 2**23, size=(2, SR))
    up = client.post(f"{BASE}/classes/bass/samples", files=[("files", ("Riff 1.aiff", aiff_bytes(ints)))])
    assert up.status_code == 201, up.text
    [sample] = up.json()["added"]
    assert sample["id"] == "Riff 1.flac" and sample["duration_s"] == 1.0
    audio = client.get(sample["audio_url"])
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/flac"
    assert (sf.read(io.BytesIO(audio.content), dtype="int32")[0].T >> 8 == ints).all()


@pytest.mark.parametrize("name", ["old.aiff", "old.m4a"])
def test_an_aiff_or_apple_lossless_sample_from_before_plays_from_a_flac_copy(
        studio: tuple[TestClient, Project], tmp_path: Path, name: str) -> None:
    """A project that already holds AIFF or Apple Lossless samples (saved before, or put in by hand):
    the file stays as it is, and the page gets a FLAC copy, made once per version of the file."""
    client, project = studio
    ints = np.random.default_rng(2).integers(-(2**15), 2**15, size=(2, SR // 2))
    stored = project.class_dir("bass") / name
    if name.endswith(".m4a"):
        alac(stored, ints, bits=16, sample_rate=SR)
    else:
        sf.write(stored, ints.T.astype(np.int16), SR, subtype="PCM_16", format="AIFF")
    original = stored.read_bytes()
    [sample] = client.get(f"{BASE}/classes/bass/samples").json()["samples"]
    first = client.get(sample["audio_url"])
    assert first.status_code == 200 and first.headers["content-type"] == "audio/flac"
    np.testing.assert_array_equal(sf.read(io.BytesIO(first.content), dtype="int16")[0].T, ints)
    [copy] = (project.cache_dir / "playable").iterdir()
    os.utime(copy, ns=(10**18, 10**18))  # as if last played long ago
    made = copy.stat().st_ino
    assert client.get(sample["audio_url"]).content == first.content
    assert copy.stat().st_ino == made and copy.stat().st_mtime_ns > 10**18 + 10**9, "played: marked recently used"
    assert list((project.cache_dir / "playable").iterdir()) == [copy], "made once"
    assert stored.read_bytes() == original, "the sample itself is not touched"
    np.testing.assert_array_equal(load_audio(io.BytesIO(first.content)).samples, load_audio(stored).samples)


def test_a_wav_sample_is_served_as_it_is(studio: tuple[TestClient, Project]) -> None:
    client, project = studio
    [sample] = client.post(f"{BASE}/classes/bass/samples", files=[("files", ("a.wav", wav_bytes()))]).json()["added"]
    audio = client.get(sample["audio_url"])
    assert audio.headers["content-type"] == "audio/wav" and audio.content == wav_bytes()
    assert not (project.cache_dir / "playable").exists()


def test_a_range_the_audio_route_cannot_serve_is_answered_in_json(studio: tuple[TestClient, Project]) -> None:
    """QA: a malformed or unsatisfiable Range got Starlette's plain-text 400 or 416, not the studio's JSON."""
    client, _ = studio
    [sample] = client.post(f"{BASE}/classes/bass/samples", files=[("files", ("a.wav", wav_bytes()))]).json()["added"]
    size = len(wav_bytes())
    for asked in ("bytes=abc", "items=0-9", "bytes=9-5"):
        assert_error(client.get(sample["audio_url"], headers={"Range": asked}), 400, "ParameterError",
                     rf"^the Range header '{asked}' cannot be read \(the file has {size} bytes: 0 to {size - 1}\); "
                     r"send one like 'bytes=0-1023', or send no Range header for the whole file$")
    past = client.get(sample["audio_url"], headers={"Range": f"bytes={size}-"})
    # a type of its own in the error hierarchy (a ParameterError, as the unreadable Range's 400 is), not
    # the HTTPError of a route that is not there
    assert_error(past, 416, "RangeNotSatisfiableError", rf"^the Range header 'bytes={size}-' asks for bytes past the "
                 rf"end \(the file has {size} bytes: 0 to {size - 1}\); ask for a range inside it, or send no Range "
                 r"header for the whole file$")
    assert past.headers["content-range"] == f"bytes */{size}"
    assert client.get(sample["audio_url"], headers={"Range": "bytes=0-9"}).content == wav_bytes()[:10]


def test_a_range_past_the_end_of_a_model_download_is_a_range_not_satisfiable_error(
        studio: tuple[TestClient, Project], tmp_path: Path) -> None:
    client, project = studio
    model = project.import_model(untrained_classifier().save(tmp_path / "m.earmark"), name="m.earmark")
    size = project.model_path(model.id).stat().st_size
    past = client.get(f"{BASE}/models/{model.id}/download", headers={"Range": f"bytes={size + 10}-{size + 20}"})
    assert_error(past, 416, "RangeNotSatisfiableError", rf"asks for bytes past the end \(the file has {size} bytes")
    assert past.headers["content-range"] == f"bytes */{size}"
    assert issubclass(RangeNotSatisfiableError, ParameterError) and RangeNotSatisfiableError.http_status == 416


@pytest.mark.parametrize(("name", "route"), [("a.wav", "audio_url"), ("a.wav", "spectrogram_url"),
                                            ("a.aiff", "audio_url")])  # the last one sent from a FLAC copy
def test_head_and_a_conditional_get_of_a_samples_audio_and_picture(studio: tuple[TestClient, Project],
                                                                    name: str, route: str) -> None:
    """QA: HEAD (curl -I, a browser asking for the headers) got 405; a GET with the ETag it had got the file again.
    A picture or copy kept in .cache keeps its ETag though it is marked used each time it is sent."""
    client, project = studio
    sf.write(project.class_dir("bass") / name, np.zeros(SR, dtype=np.float32), SR, subtype="PCM_16")
    [sample] = client.get(f"{BASE}/classes/bass/samples").json()["samples"]
    full = client.get(sample[route])
    assert full.status_code == 200, full.text
    head = client.head(sample[route])
    assert head.status_code == 200 and head.content == b"", head.text
    assert {k: v for k, v in head.headers.items() if k != "date"} == \
        {k: v for k, v in full.headers.items() if k != "date"}, "the headers a GET sends"
    same = client.get(sample[route], headers={"If-None-Match": full.headers["etag"]})
    assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == full.headers["etag"]
    assert client.get(sample[route], headers={"If-None-Match": f'"other", W/{full.headers["etag"]}'}).status_code == 304
    assert client.head(sample[route], headers={"If-None-Match": full.headers["etag"]}).status_code == 304
    assert client.get(sample[route], headers={"If-None-Match": '"other"'}).content == full.content
    assert client.get(sample[route], headers={"If-Modified-Since": full.headers["last-modified"]}).status_code == 304
    gone = client.head(sample[route].replace(name, "gone.wav"))
    assert gone.status_code == 404 and gone.headers["content-type"] == "application/json"
    for asked in ("bytes=0-9", "bytes=abc", "bytes=99999999-"):  # Range is for GET only: HEAD ignores it
        ranged = client.head(sample[route], headers={"Range": asked})
        assert ranged.status_code == 200 and ranged.headers["content-length"] == full.headers["content-length"], asked


def test_a_replaced_sample_plays_as_it_is_now(studio: tuple[TestClient, Project]) -> None:
    """A sample file replaced in place (same name and size, or an Apple Lossless .m4a by an AAC one) is
    served as it is now, not from the copy, or the answer about the codec, of the file before."""
    client, project = studio
    stored = project.class_dir("bass") / "old.aiff"
    first, second = (np.random.default_rng(seed).integers(-(2**15), 2**15, size=(1, SR // 2)) for seed in (3, 4))
    sf.write(stored, first.T.astype(np.int16), SR, subtype="PCM_16", format="AIFF")
    [sample] = client.get(f"{BASE}/classes/bass/samples").json()["samples"]
    np.testing.assert_array_equal(sf.read(io.BytesIO(client.get(sample["audio_url"]).content), dtype="int16")[0],
                                  first[0])
    before = stored.stat().st_mtime_ns
    sf.write(stored, second.T.astype(np.int16), SR, subtype="PCM_16", format="AIFF")
    os.utime(stored, ns=(before + 10**9, before + 10**9))  # a coarse clock must not hide the change
    np.testing.assert_array_equal(sf.read(io.BytesIO(client.get(sample["audio_url"]).content), dtype="int16")[0],
                                  second[0])
    m4a = project.class_dir("bass") / "memo.m4a"
    alac(m4a, first.repeat(2, axis=0), bits=16)
    url = f"{BASE}/samples/bass/memo.m4a/audio"
    assert client.get(url).headers["content-type"] == "audio/flac"
    m4a.write_bytes((DATA / "mono.m4a").read_bytes())
    again = client.get(url)
    assert again.headers["content-type"] == "audio/mp4" and again.content == m4a.read_bytes()


def test_aac_in_a_caf_plays_as_the_same_aac(studio: tuple[TestClient, Project]) -> None:
    """A voice memo's CAF of AAC: the copy is the same AAC in an .m4a, not a float WAV many times its size."""
    client, project = studio
    stored = aac_in_caf(project.class_dir("bass") / "memo.caf", 0.3 * np.sin(np.arange(SR) / SR * 2 * np.pi * 220))
    [sample] = client.get(f"{BASE}/classes/bass/samples").json()["samples"]
    audio = client.get(sample["audio_url"])
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mp4"
    assert len(audio.content) < 2 * stored.stat().st_size


def test_the_cache_keeps_its_limits_on_files_and_bytes(tmp_path: Path) -> None:
    """The least recently used go first; the newest stays even when it alone is over the bytes."""
    def fill(sizes: list[int]) -> None:
        for n, size in enumerate(sizes):
            (tmp_path / f"{n}.bin").write_bytes(bytes(size))
            os.utime(tmp_path / f"{n}.bin", ns=(10**18 + n * 10**9,) * 2)

    def left() -> list[str]:
        return sorted(p.name for p in tmp_path.iterdir())

    fill([100] * 5)
    prune_cache(tmp_path, keep=3)
    assert left() == ["2.bin", "3.bin", "4.bin"]
    prune_cache(tmp_path, keep=3, max_bytes=250)
    assert left() == ["3.bin", "4.bin"]
    prune_cache(tmp_path, keep=3, max_bytes=200)
    assert left() == ["3.bin", "4.bin"], "at the limit: nothing goes"
    fill([10, 10, 10, 10, 500])
    prune_cache(tmp_path, keep=10, max_bytes=200)
    assert left() == ["4.bin"]


def test_the_cache_never_prunes_a_file_used_in_the_last_minute(tmp_path: Path) -> None:
    """A burst of new copies: one returned to a request a moment ago, and not yet sent (a FileResponse
    opens its file later), stays however far over its limits the folder is; older ones go."""
    now = time.time()
    for n, age_s in enumerate([3 * IN_USE_S, 2 * IN_USE_S, IN_USE_S / 2, IN_USE_S / 4, 1.0]):
        (tmp_path / f"{n}.bin").write_bytes(bytes(100))
        os.utime(tmp_path / f"{n}.bin", (now - age_s, now - age_s))
    prune_cache(tmp_path, keep=1, max_bytes=100, in_use_s=IN_USE_S)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2.bin", "3.bin", "4.bin"]
    old = now - 2 * IN_USE_S
    os.utime(tmp_path / "2.bin", (old, old))  # its minute is up
    prune_cache(tmp_path, keep=1, max_bytes=100, in_use_s=IN_USE_S)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3.bin", "4.bin"]


def test_playable_copies_sent_in_a_burst_all_stay_for_a_minute(studio: tuple[TestClient, Project],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the cache's limit, a copy just returned to one request is not deleted by the next one's
    pruning before it is sent; once its minute is up, it goes."""
    client, project = studio
    monkeypatch.setattr("earmark.studio.routes.samples.PLAYABLE_CACHE_FILES", 1)
    for seed in range(3):
        ints = np.random.default_rng(seed).integers(-(2**15), 2**15, size=(SR // 4,))
        sf.write(project.class_dir("bass") / f"old{seed}.aiff", ints.astype(np.int16), SR, subtype="PCM_16")
    for seed in range(3):
        assert client.get(f"{BASE}/samples/bass/old{seed}.aiff/audio").status_code == 200
    copies = sorted((project.cache_dir / "playable").iterdir())
    assert len(copies) == 3
    for copy in copies:
        os.utime(copy, ns=(10**18, 10**18))  # as if last played long ago
    (project.class_dir("bass") / "old0.aiff").touch()  # a new version: a new copy, and a pruning
    assert client.get(f"{BASE}/samples/bass/old0.aiff/audio").status_code == 200
    assert len(list((project.cache_dir / "playable").iterdir())) == 1


def test_concurrent_first_requests_for_one_old_aiff_make_its_copy_once(studio: tuple[TestClient, Project]) -> None:
    """Four requests at once for a sample that has no playable copy yet: one encodes it, the others wait
    and are sent that copy; a copy of another sample meanwhile is made by a request of its own."""
    client, project = studio
    rng = np.random.default_rng(5)
    for name in ("long.aiff", "other.aiff"):  # long enough that the requests overlap while it is encoded
        sf.write(project.class_dir("bass") / name, rng.integers(-(2**23), 2**23, size=(20 * SR, 2)).astype(np.int32)
                 << 8, SR, subtype="PCM_24", format="AIFF")
    urls = [f"{BASE}/samples/bass/long.aiff/audio"] * 4 + [f"{BASE}/samples/bass/other.aiff/audio"]
    before = PLAYABLE_COPIES.made
    start = threading.Barrier(len(urls))
    answers: list[tuple[str, bytes]] = []

    def fetch(url: str) -> None:
        start.wait()
        response = client.get(url)
        assert response.status_code == 200, response.text
        answers.append((url, response.content))

    threads = [threading.Thread(target=fetch, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert PLAYABLE_COPIES.made - before == 2, "one copy per sample"
    assert len(answers) == 5 and len({content for url, content in answers if "long" in url}) == 1
    assert len(list((project.cache_dir / "playable").iterdir())) == 2 and len(PLAYABLE_COPIES) == 0


def test_copies_of_different_samples_are_not_made_one_after_another() -> None:
    """The lock is per copy: while one copy is made, another is not held up; a second request for the
    same copy waits until the first is done."""
    locks = CopyLocks()
    entered: list[str] = []

    def make(key: str) -> None:
        with locks.making(key):
            entered.append(key)

    with locks.making("a"):
        other = threading.Thread(target=make, args=("b",))
        other.start()
        other.join(timeout=5)
        assert entered == ["b"], "another copy went ahead"
        same = threading.Thread(target=make, args=("a",))
        same.start()
        same.join(timeout=0.3)
        assert same.is_alive() and entered == ["b"], "the same copy waits"
    same.join(timeout=5)
    assert entered == ["b", "a"] and len(locks) == 0


# -- the Undo of a move (?undo=true): it follows renames, and says what to do when a class is gone ----------

def _moved(client: TestClient, project: Project, *, test: bool = False) -> dict[str, object]:
    """a.wav moved from bass to a new class drums (in the test set with ``test``), as the move answered it."""
    project.add_class("drums")
    query = "?set=test" if test else ""
    client.post(f"{BASE}/classes/bass/samples{query}", files=[("files", ("a.wav", wav_bytes()))]).raise_for_status()
    moved = client.post(f"{BASE}/samples/bass/a.wav/move{query}", json={"to": "drums"})
    assert moved.status_code == 200, moved.text
    return dict(moved.json())


def _undo(client: TestClient, moved: dict[str, object], *, to: str = "bass", test: bool = False):  # type: ignore[no-untyped-def]
    """The page's Undo: the sample as the move answered it, back to the class it came from (as then named),
    with the move's ``log_position`` as ``since``."""
    query = f"{'?set=test&' if test else '?'}undo=true&since={moved['log_position']}"
    return client.post(f"{BASE}/samples/{moved['class_name']}/{moved['id']}/move{query}", json={"to": to})


@pytest.mark.parametrize("test", [False, True])
def test_the_undo_of_a_move_follows_both_classes_through_renames(studio: tuple[TestClient, Project],
                                                                 test: bool) -> None:
    """QA: Undo after the class was renamed (in this tab or another) answered "no class 'bass'". It goes
    back to the class as it is called now, through a chain of renames, wherever the sample's class went too."""
    client, project = studio
    moved = _moved(client, project, test=test)
    for old, new in [("bass", "guitar"), ("guitar", "lead guitar"), ("drums", "kit")]:
        assert client.patch(f"{BASE}/classes/{old}", json={"name": new}).status_code == 200
    plain = client.post(f"{BASE}/samples/drums/a.wav/move{'?set=test' if test else ''}", json={"to": "bass"})
    assert_error(plain, 404, "NotFoundError", "no class 'drums'")  # a plain move names classes as they are
    back = _undo(client, moved, test=test)
    assert back.status_code == 200, back.text
    assert (back.json()["class_name"], back.json()["id"], back.json()["test"]) == ("lead guitar", "a.wav", test)
    assert [s.id for s in project.samples("lead guitar", test=test)] == ["a.wav"]
    assert project.samples("kit", test=test) == []


def test_the_undo_of_a_move_follows_only_renames_made_after_the_move(studio: tuple[TestClient, Project]) -> None:
    """Review: drums renamed to perc long ago, then a new drums; a sample moved out of the new drums,
    which is then deleted: the Undo followed the old rename and put the sample in perc. With the move's
    ``log_position`` (the page sends it back as ``since``) only changes made after the move are followed,
    so the Undo says the class was deleted; one renamed after the move is still followed. A drums made anew
    after the delete is another class (as for a delete's Undo): the Undo still says drums waits in the
    trash, and once it is back (as drums-2, the name being taken) the sample goes there."""
    client, project = studio
    project.add_class("drums")
    project.rename_class("drums", to="perc")
    project.add_class("drums")
    client.post(f"{BASE}/classes/drums/samples", files=[("files", ("hit.wav", wav_bytes()))]).raise_for_status()
    moved = client.post(f"{BASE}/samples/drums/hit.wav/move", json={"to": "bass"}).json()
    assert isinstance(moved["log_position"], int)
    gone = client.delete(f"{BASE}/classes/drums").json()["undo"]
    since = f"?undo=true&since={moved['log_position']}"
    back = client.post(f"{BASE}/samples/{moved['class_name']}/{moved['id']}/move{since}", json={"to": "drums"})
    assert_error(back, 409, "ConflictError", r"^cannot move 'hit\.wav' back to class 'drums': that class was deleted")
    assert project.samples("perc") == [] and [s.id for s in project.samples("bass")] == ["hit.wav"]
    project.rename_class("bass", to="low end")  # after the move: followed
    project.add_class("drums")  # made anew: another class, never the one the sample came from
    back = client.post(f"{BASE}/samples/bass/hit.wav/move{since}", json={"to": "drums"})
    assert_error(back, 409, "ConflictError", rf"^cannot move 'hit\.wav' back to class 'drums': that class was deleted "
                 rf"since \(it waits in the project's \.trash/{gone}/drums\)\. 'hit\.wav' stays in class 'low end'")
    assert client.post(f"{BASE}/trash/{gone}/restore").json()["notes"] == [
        "class 'drums' comes back as 'drums-2': another class is called 'drums' now"]
    back = client.post(f"{BASE}/samples/bass/hit.wav/move{since}", json={"to": "drums"})
    assert back.status_code == 200, back.text
    assert back.json()["class_name"] == "drums-2" and [s.id for s in project.samples("drums-2")] == ["hit.wav"]
    assert project.samples("drums") == [] and project.samples("perc") == []


def test_the_undo_of_a_move_goes_to_the_class_it_came_from_not_one_made_under_its_name(
        studio: tuple[TestClient, Project]) -> None:
    """As a delete's Undo: bass renamed to guitar, then a new bass: the sample goes back to its class, guitar now
    (it went into the new bass, a class it was never in)."""
    client, project = studio
    moved = _moved(client, project)
    project.rename_class("bass", to="guitar")
    project.add_class("bass")
    assert _undo(client, moved).json()["class_name"] == "guitar"
    assert [s.id for s in project.samples("guitar")] == ["a.wav"] and project.samples("bass") == []


def test_the_undo_of_a_move_to_a_deleted_class_says_where_it_waits(studio: tuple[TestClient, Project]) -> None:
    """The class it came from was deleted since: the message says so, where the class waits in the trash,
    that the sample stayed, and what to do; once the class is restored, Undo works."""
    client, project = studio
    moved = _moved(client, project)
    undo_id = client.delete(f"{BASE}/classes/bass").json()["undo"]
    assert_error(_undo(client, moved), 409, "ConflictError",
                 rf"^cannot move 'a\.wav' back to class 'bass': that class was deleted since \(it waits in the "
                 rf"project's \.trash/{undo_id}/bass\)\. 'a\.wav' stays in class 'drums': to undo the move, restore "
                 r"it first \(the Undo of its delete, or put that folder back in samples/\), then Undo again; or "
                 r"move 'a\.wav' to another class by hand$")
    assert [s.id for s in project.samples("drums")] == ["a.wav"]
    assert client.post(f"{BASE}/trash/{undo_id}/restore").status_code == 200
    assert _undo(client, moved).json()["class_name"] == "bass"


def test_the_undo_of_a_move_after_a_class_went_outside_the_studio(studio: tuple[TestClient, Project]) -> None:
    """Deleted by hand (not in the trash): the message says the class is not there, and what helps."""
    client, project = studio
    moved = _moved(client, project)
    shutil.rmtree(project.class_dir("bass"))
    assert_error(_undo(client, moved), 409, "ConflictError",
                 r"that class is not in the project now \(deleted or renamed outside the studio since\)\. "
                 r"'a\.wav' stays in class 'drums': to undo the move, add a class 'bass' again first, then Undo again")
    project.add_class("bass")
    assert _undo(client, moved).json()["class_name"] == "bass"


def test_the_undo_of_a_move_out_of_a_deleted_class_says_the_sample_went_with_it(
        studio: tuple[TestClient, Project]) -> None:
    client, project = studio
    moved = _moved(client, project)
    undo_id = client.delete(f"{BASE}/classes/drums").json()["undo"]
    assert_error(_undo(client, moved), 409, "ConflictError",
                 rf"class 'drums', where the move put it, was deleted since \(it waits in the project's "
                 rf"\.trash/{undo_id}/drums\), with 'a\.wav' in it\. To undo the move, restore it first")


def test_the_undo_of_a_move_to_a_class_renamed_then_deleted_names_both(studio: tuple[TestClient, Project]) -> None:
    """bass renamed guitar, then guitar deleted: the message names the trash folder under its last name."""
    client, project = studio
    moved = _moved(client, project)
    project.rename_class("bass", to="guitar")
    project.rename_class("drums", to="kit")
    undo_id = client.delete(f"{BASE}/classes/guitar").json()["undo"]
    assert_error(_undo(client, moved), 409, "ConflictError",
                 rf"^cannot move 'a\.wav' back to class 'bass': that class, later renamed 'guitar', was deleted since "
                 rf"\(it waits in the project's \.trash/{undo_id}/guitar\)\. 'a\.wav' stays in class 'kit': ")
    client.post(f"{BASE}/trash/{undo_id}/restore").raise_for_status()  # guitar is back: now kit goes
    undo_id = client.delete(f"{BASE}/classes/kit").json()["undo"]
    assert_error(_undo(client, moved), 409, "ConflictError",
                 r"class 'drums', later renamed 'kit', where the move put it, was deleted since \(it waits in the "
                 rf"project's \.trash/{undo_id}/kit\), with 'a\.wav' in it\. To undo the move, restore it first")


def test_the_undo_of_a_move_follows_its_class_through_a_swap_of_names(studio: tuple[TestClient, Project]) -> None:
    """As a delete's Undo: a.wav moved from bass to drums, then bass and drums swapped names. The Undo put it into
    the class called bass now (the old drums, where it already was: "not found"); it goes to the class it came
    from, called drums now, out of the class the move put it in, called bass now."""
    client, project = studio
    moved = _moved(client, project)
    for old, new in (("bass", "tmp"), ("drums", "bass"), ("tmp", "drums")):
        client.patch(f"{BASE}/classes/{old}", json={"name": new}).raise_for_status()
    back = _undo(client, moved)
    assert back.status_code == 200, back.text
    assert (back.json()["class_name"], back.json()["id"]) == ("drums", "a.wav")
    assert [s.id for s in project.samples("drums")] == ["a.wav"] and project.samples("bass") == []


def test_the_undo_of_a_move_never_puts_the_sample_into_a_class_made_anew_under_its_name(
        studio: tuple[TestClient, Project]) -> None:
    """bass deleted after the move, a new bass made: the Undo put the sample into the new bass. It says the
    class it came from waits in the trash; once that is restored (as bass-2: the name is taken), Undo goes there."""
    client, project = studio
    moved = _moved(client, project)
    undo_id = client.delete(f"{BASE}/classes/bass").json()["undo"]
    project.add_class("bass")
    assert_error(_undo(client, moved), 409, "ConflictError",
                 rf"^cannot move 'a\.wav' back to class 'bass': that class was deleted since \(it waits in the "
                 rf"project's \.trash/{undo_id}/bass\)")
    assert project.samples("bass") == [] and [s.id for s in project.samples("drums")] == ["a.wav"]
    assert client.post(f"{BASE}/trash/{undo_id}/restore").json()["notes"] == [
        "class 'bass' comes back as 'bass-2': another class is called 'bass' now"]
    back = _undo(client, moved)
    assert back.status_code == 200, back.text
    assert back.json()["class_name"] == "bass-2" and project.samples("bass") == []


def test_the_undo_of_a_move_whose_class_left_the_trash_says_to_move_it_by_hand(
        studio: tuple[TestClient, Project]) -> None:
    client, project = studio
    moved = _moved(client, project)
    undo_id = client.delete(f"{BASE}/classes/bass").json()["undo"]
    shutil.rmtree(project.root / ".trash" / undo_id)  # the trash emptied by hand
    project.add_class("bass")
    assert_error(_undo(client, moved), 409, "ConflictError",
                 r"^cannot move 'a\.wav' back to class 'bass': that class was deleted since, and its folder is no "
                 r"longer in the project's \.trash\. 'a\.wav' stays in class 'drums': move it to another class by "
                 r"hand$")
    assert project.samples("bass") == []
