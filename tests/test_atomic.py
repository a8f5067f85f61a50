"""Tests for earmark.atomic: a write lands whole or not at all, with the permissions a user expects."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from earmark import atomic
from earmark.atomic import atomic_write
from earmark.errors import OutputError, ParameterError


@pytest.fixture
def umask() -> Iterator[None]:
    """Restore the process umask after a test that sets its own."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_writes_the_bytes_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    with atomic_write(target) as fh:
        fh.write(b"new content")
    assert target.read_bytes() == b"new content"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_a_new_file_gets_its_mode_from_the_umask(tmp_path: Path, umask: None, mask: int, expected: int) -> None:
    os.umask(mask)
    target = tmp_path / "out.bin"
    with atomic_write(target) as fh:
        fh.write(b"x")
    assert mode(target) == expected


def test_the_umask_is_read_without_proc_too(
    tmp_path: Path, umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where /proc/self/status is missing (macOS, Windows) the umask is read by setting it back."""
    monkeypatch.setattr(atomic, "_PROC_STATUS", tmp_path / "no-proc")
    os.umask(0o027)
    target = tmp_path / "out.bin"
    with atomic_write(target) as fh:
        fh.write(b"x")
    assert mode(target) == 0o640
    assert os.umask(0o027) == 0o027  # left as it was


def test_replacing_a_file_keeps_its_mode(tmp_path: Path, umask: None) -> None:
    os.umask(0o022)
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    target.chmod(0o604)
    with atomic_write(target) as fh:
        fh.write(b"new")
    assert target.read_bytes() == b"new"
    assert mode(target) == 0o604


def test_an_error_while_writing_leaves_the_previous_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"previous")
    with pytest.raises(RuntimeError, match="stop"), atomic_write(target) as fh:
        fh.write(b"half of the new")
        raise RuntimeError("stop")
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_creates_missing_folders(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.bin"
    with atomic_write(target) as fh:
        fh.write(b"x")
    assert target.read_bytes() == b"x"


@pytest.mark.parametrize("below", ["out.bin", "deeper/out.bin"])
def test_writing_under_a_regular_file_is_refused_naming_it(tmp_path: Path, below: str) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not a folder")
    target = blocker / below
    expected = f"cannot write {target}: {blocker} is a file, not a folder; choose a folder you can write to"
    with pytest.raises(OutputError, match=re.escape(expected)), atomic_write(target) as fh:
        fh.write(b"x")
    assert blocker.read_text() == "not a folder"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_writing_onto_a_folder_is_refused(tmp_path: Path) -> None:
    expected = f"cannot write {tmp_path}: it is a folder; give a file name"
    with pytest.raises(OutputError, match=re.escape(expected)), atomic_write(tmp_path) as fh:
        fh.write(b"x")


def test_a_symbolic_link_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "models" / "real.earmark"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "current.earmark"
    link.symlink_to(real)
    with atomic_write(link) as fh:
        fh.write(b"new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == b"new"
    assert sorted(p.name for p in real.parent.iterdir()) == ["real.earmark"]


def test_a_pipe_is_refused_and_left_a_pipe(tmp_path: Path) -> None:
    # What /dev/null or /dev/stdout would be: replacing it with a regular file breaks the system.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="it is a device, pipe or socket, not a file"), atomic_write(fifo) as fh:
        fh.write(b"x")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]
    link = tmp_path / "link"
    link.symlink_to(fifo)
    with pytest.raises(OutputError, match="it is a device"), atomic_write(link) as fh:
        fh.write(b"x")
    assert link.is_symlink() and stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_name_too_long_or_not_a_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"x{300}\.earmark: File name too long; choose a shorter name"), \
            atomic_write(tmp_path / ("x" * 300 + ".earmark")) as fh:
        fh.write(b"x")
    for bad in (None, b"/tmp/model.earmark"):
        with pytest.raises(ParameterError, match=r"give the path to write as a str or pathlib.Path, got"), \
                atomic_write(bad) as fh:  # type: ignore[arg-type]
            fh.write(b"x")
    assert list(tmp_path.iterdir()) == []


def test_a_write_that_may_not_make_folders_finds_its_folder_gone(tmp_path: Path) -> None:
    """A write into a project being moved away must not make the project's folder again."""
    target = tmp_path / "gone" / "cache" / "x.png"
    with pytest.raises(OutputError, match=r"cannot write .*x\.png") as caught:
        with atomic_write(target, make_folders=False) as fh:
            fh.write(b"x")
    assert isinstance(caught.value.__cause__, FileNotFoundError)
    assert not (tmp_path / "gone").exists()
    target.parent.mkdir(parents=True)
    with atomic_write(target, make_folders=False) as fh:
        fh.write(b"x")
    assert target.read_bytes() == b"x"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full, a device that is always full")
def test_a_full_disk_says_to_free_space_and_leaves_the_old_file(tmp_path: Path) -> None:
    """The kernel's own ENOSPC (writing to /dev/full, as a full disk answers a write) says what to do."""
    target = tmp_path / "model.earmark"
    target.write_bytes(b"old")
    expected = (f"cannot write {target}: No space left on device; free some space on that disk, "
                "or choose another folder")
    with pytest.raises(OutputError, match=f"^{re.escape(expected)}$"), atomic_write(target) as fh:
        fh.write(b"new")
        with open("/dev/full", "wb") as full:  # the write that finds no space
            full.write(b"x")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.earmark"]


def test_a_write_that_fails_otherwise_says_to_choose_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "gone" / "model.earmark"
    with pytest.raises(OutputError, match=r"^cannot write .*model\.earmark: No such file or directory; choose a "
                                          r"folder you can write to$"), atomic_write(target, make_folders=False) as fh:
        fh.write(b"x")


# -- what a write may replace ------------------------------------------------------------------------


def _recording(path: Path) -> Path:
    import soundfile as sf

    t = np.arange(22050) / 22050
    sf.write(path, (0.3 * np.sin(2 * np.pi * 110 * t)).astype("float32"), 22050, format="WAV")
    return path


@pytest.mark.parametrize("kind", ["earmark model", "onnx", "png", "zip"])
def test_a_recording_is_never_replaced_whatever_its_name(tmp_path: Path, kind: str) -> None:
    take = _recording(tmp_path / "model.earmark")  # a recording under a model's name: its bytes decide
    with pytest.raises(OutputError, match=r"cannot write .*model\.earmark: it is an audio file \(WAV\), not an? "
                                          r".*; give another name, or delete that file first"):
        atomic.check_replaceable(take, kind=kind)


@pytest.mark.parametrize(("head", "kind", "refused"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(40), "png", None),                  # a picture drawn again
    (b"\x89PNG\r\n\x1a\n" + bytes(40), "earmark model", "a PNG picture"),
    (b"PK\x03\x04" + bytes(40), "zip", None),
    (b"PK\x03\x04" + bytes(40), "png", "a zip archive"),
    (b"%PDF-1.7\n" + bytes(40), "onnx", "a PDF document"),
    (b"meeting notes, not a picture\n", "png", "a file of another kind"),
    (b"", "earmark model", None),                                     # an empty file holds nothing to lose
])
def test_a_file_is_replaced_only_by_its_own_kind(tmp_path: Path, head: bytes, kind: str, refused: str | None) -> None:
    target = tmp_path / ("out.zip" if kind == "zip" else "out")  # a zip replaces only a file named .zip
    target.write_bytes(head)
    if refused is None:
        atomic.check_replaceable(target, kind=kind)
    else:
        with pytest.raises(OutputError, match=re.escape(f"it is {refused}, not ")):
            atomic.check_replaceable(target, kind=kind)
    assert target.read_bytes() == head


def test_only_a_zip_named_zip_is_replaced_by_a_zip(tmp_path: Path) -> None:
    """A Word or Excel file, a .jar, holds a zip: a project's export must not replace one."""
    old = tmp_path / "old.zip"
    old.write_bytes(b"PK\x03\x04" + bytes(40))
    atomic.check_replaceable(old, kind="zip")
    report = old.rename(tmp_path / "report.docx")
    with pytest.raises(OutputError, match=r"report\.docx: it holds a zip archive but is not named \.zip .*"
                                          r"give a name ending in \.zip"):
        atomic.check_replaceable(report, kind="zip")


def test_a_pipe_is_left_to_the_write_not_opened(tmp_path: Path) -> None:
    """Opening a pipe to read it would wait for a writer for ever; the write refuses it, saying what it is."""
    import threading

    fifo = tmp_path / "s.png"
    os.mkfifo(fifo)
    checking = threading.Thread(target=atomic.check_replaceable, args=(fifo,), kwargs={"kind": "png"}, daemon=True)
    checking.start()
    checking.join(timeout=10)
    assert not checking.is_alive(), "check_replaceable opened the pipe and waits for a writer"
    with pytest.raises(OutputError, match=r"it is a device, pipe or socket"), atomic_write(fifo) as fh:
        fh.write(b"x")


def test_nothing_there_may_be_written_and_an_unknown_kind_is_a_parameter_error(tmp_path: Path) -> None:
    atomic.check_replaceable(tmp_path / "new.earmark", kind="earmark model")
    atomic.check_replaceable(tmp_path, kind="png")  # a folder: check_writable says what is wrong with it
    with pytest.raises(ParameterError, match=r"kind must be one of \['earmark model', 'onnx', 'png', 'zip'\]"):
        atomic.check_replaceable(tmp_path / "x", kind="wav")


def test_the_library_writes_never_replace_a_recording_and_a_model_replaces_a_model(tmp_path: Path) -> None:
    """Classifier.save, export_onnx, the pictures and a project's zip, from Python: the CLI's checks
    are not the only guard."""
    import earmark
    from conftest import untrained_classifier

    clf = untrained_classifier()
    take = _recording(tmp_path / "take.wav")
    kept = take.read_bytes()
    model = clf.save(tmp_path / "m.earmark")
    for write in (lambda: clf.save(take), lambda: earmark.export_onnx(clf, take),
                  lambda: earmark.spectrogram_png(np.zeros(22050, "float32"), sample_rate=22050, path=take),
                  lambda: earmark.Project.create(tmp_path / "p").export_zip(take)):
        with pytest.raises(OutputError, match=r"take\.wav: it is an audio file \(WAV\)"):
            write()
    assert take.read_bytes() == kept
    with pytest.raises(OutputError, match=r"m\.earmark: it is an earmark model, not an ONNX model"):
        earmark.export_onnx(clf, model)
    assert clf.save(model) == model and earmark.load(model).labels == clf.labels  # trained again, saved again
