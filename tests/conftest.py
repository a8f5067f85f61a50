"""Shared fixtures: small real audio made on the fly (seeded), never mocks of the core."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import av
import numpy as np
import pytest
import soundfile as sf
import torch
from fastapi.testclient import TestClient

from earmark.classifier import Classifier
from earmark.dataset import Clip
from earmark.features import FeatureConfig
from earmark.model import ArchSpec, build_model
from earmark.modelfile import Manifest
from earmark.studio import StudioSettings, create_app
from earmark.train import TrainSettings, train

SR = 22050


def write_tone(path: Path, *, duration_s: float = 0.5, freq_hz: float = 220.0, sample_rate: int = SR) -> Path:
    """A sine tone written as 16-bit WAV (folders made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(duration_s * sample_rate)) / sample_rate
    sf.write(path, (0.3 * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32), sample_rate, subtype="PCM_16")
    return path


def clip(label: str, source: str, *, start_s: float = 0.0, duration_s: float = 1.0) -> Clip:
    """A silent clip at 100 Hz, for tests of the split that only look at names and times."""
    return Clip(samples=np.zeros(int(duration_s * 100), np.float32), label=label, source=source, start_s=start_s)


def bass_note(rng: np.random.Generator, *, sample_rate: int = SR, duration_s: float = 1.2) -> np.ndarray:
    """A plucked low note: decaying harmonic tone between E1 and G3."""
    f0 = 41.2 * 2 ** (rng.integers(0, 27) / 12)
    t = np.arange(int(duration_s * sample_rate)) / sample_rate
    y = sum(np.sin(2 * np.pi * f0 * k * t) / k**1.3 for k in range(1, 9))
    env = np.exp(-t * rng.uniform(1.5, 4)) * np.minimum(1, t / 0.005)
    return (0.5 * y * env / np.max(np.abs(y * env))).astype(np.float32)


def drum_hit(rng: np.random.Generator, *, sample_rate: int = SR, duration_s: float = 0.8) -> np.ndarray:
    """A hit: a noise burst (snare/hat) or a pitch-dropping thump (kick), fast decay."""
    n = int(duration_s * sample_rate)
    t = np.arange(n) / sample_rate
    if rng.random() < 0.5:
        y = rng.standard_normal(n) * np.exp(-t * rng.uniform(15, 40))
    else:
        f = 50 + 120 * np.exp(-t * 30)
        y = (np.sin(2 * np.pi * np.cumsum(f) / sample_rate) * np.exp(-t * 8)
             + 0.2 * rng.standard_normal(n) * np.exp(-t * 60))
    return (0.6 * y / np.max(np.abs(y))).astype(np.float32)


def room_noise(rng: np.random.Generator, *, sample_rate: int = SR, duration_s: float = 1.5) -> np.ndarray:
    """Quiet brownish noise with a little hum."""
    n = int(duration_s * sample_rate)
    y = np.cumsum(rng.standard_normal(n))
    y -= np.convolve(y, np.ones(200) / 200, mode="same")
    t = np.arange(n) / sample_rate
    y = y / np.std(y) + 0.3 * np.sin(2 * np.pi * 50 * t)
    return (0.02 * y).astype(np.float32)


MAKERS = {"background": room_noise, "bass": bass_note, "drums": drum_hit}


def write_dataset(root: Path, *, per_class: int, seed: int, background_folder: str = "background") -> Path:
    rng = np.random.default_rng(seed)
    for label, make in MAKERS.items():
        folder = root / (background_folder if label == "background" else label)
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            sf.write(folder / f"{label}_{i:03d}.wav", make(rng), SR, subtype="PCM_16")
    return root


@contextlib.contextmanager
def read_only_mount(folder: Path) -> Iterator[Path]:
    """``folder`` mounted read-only on itself while the block runs (Linux, as root: a folder's mode
    refuses nothing to root, a read-only mount does); the test is skipped where that is not permitted."""
    if sys.platform != "linux" or shutil.which("mount") is None:
        pytest.skip("a read-only bind mount: Linux's mount command")
    mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"a read-only bind mount is not permitted here (run as root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-class dataset of generated notes, hits and room tone: 12 clips per class."""
    return write_dataset(tmp_path_factory.mktemp("data") / "train", per_class=12, seed=1)


@pytest.fixture(scope="session")
def small_testset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("data") / "test", per_class=6, seed=2,
                         background_folder="_background_noise_")


# -- models ------------------------------------------------------------------------------------------

LABELS = ["background", "bass", "drums"]

#: Enough steps, without augmentation, for the tiny network to learn the three generated
#: classes (100 % on small_testset for seeds 0-4 when measured), in about two seconds.
#: Window, hop and rate are spelled out because tests of prediction timing rely on them.
LEARNING_SETTINGS = TrainSettings(arch="tiny", epochs=4, steps_per_epoch=15, batch_size=16, augment=False, seed=0,
                                  window_s=1.0, hop_s=0.5, sample_rate=SR)


@pytest.fixture(scope="session", autouse=True)
def _single_torch_thread() -> Iterator[None]:
    """One intra-op thread: tiny tensors gain nothing from more, spinning OpenMP threads on a
    busy shared machine make a training step 10-20x slower, and one thread keeps runs bit-exact."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def untrained_classifier(*, sample_rate: int = SR, seed: int = 0, window_s: float = 1.0, hop_s: float = 0.5,
                         labels: tuple[str, ...] = tuple(LABELS),
                         pooling: str = ArchSpec.pooling) -> Classifier:
    """A tiny classifier with seeded random weights: instant, for plumbing tests (not learning)."""
    torch.manual_seed(seed)
    features = FeatureConfig(sample_rate=sample_rate)
    arch = ArchSpec(name="tiny", pooling=pooling)
    model = build_model(n_classes=len(labels), features=features, arch=arch)
    manifest = Manifest(labels=list(labels), features=features, arch=arch, window_s=window_s, hop_s=hop_s,
                        background_label="background" if "background" in labels else None)
    return Classifier(model, manifest)


@pytest.fixture
def make_untrained() -> Callable[..., Classifier]:
    """The :func:`untrained_classifier` factory (keywords: sample_rate, seed, window_s, hop_s, labels, pooling)."""
    return untrained_classifier


@pytest.fixture(scope="session")
def trained_classifier(small_dataset: Path) -> Classifier:
    """A tiny model that has learnt small_dataset (shared: tests must not change it)."""
    return train(small_dataset, settings=LEARNING_SETTINGS, progress=False)


def wait_for_output(process: subprocess.Popen[bytes], said: list[bytes], marker: bytes, *,
                    timeout_s: float = 120) -> None:
    """Until ``marker`` is among what ``process`` said (``said``: its output, gathered by a thread), failing
    with all of it if the process ends or ``timeout_s`` passes first."""
    deadline = time.monotonic() + timeout_s
    while marker not in b"".join(said):
        assert process.poll() is None and time.monotonic() < deadline, b"".join(said).decode()
        time.sleep(0.01)


def load_pretraining_module(name: str) -> ModuleType:
    """Import ``pretraining/<name>.py`` (a script folder, not a package) under ``name``."""
    return load_script("pretraining", name)


def load_script(folder: str, name: str) -> ModuleType:
    """Import ``<folder>/<name>.py`` of the checkout (a folder of scripts, not a package) under ``name``."""
    path = Path(__file__).resolve().parents[1] / folder / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def check_seeded_normalised_audio(make: Callable[[np.random.Generator, float, int], np.ndarray], seconds: float, *,
                                  sample_rate: int, peak_tolerance: float) -> None:
    """What every pretraining synthesiser promises: ``make(rng, seconds, sample_rate)`` gives float32 audio of that
    length, finite, peak-normalised to 1 (within ``peak_tolerance``), the same for the same seed and not for another."""
    a = make(np.random.default_rng(3), seconds, sample_rate)
    b = make(np.random.default_rng(3), seconds, sample_rate)
    c = make(np.random.default_rng(4), seconds, sample_rate)
    assert a.shape == (int(seconds * sample_rate),) and a.dtype == np.float32
    assert np.isfinite(a).all()
    assert np.abs(a).max() == pytest.approx(1.0, abs=peak_tolerance)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


# -- files in formats only Safari plays, and the studio in-process ------------------------------------------

def alac(path: Path, ints: np.ndarray, *, bits: int, sample_rate: int = SR) -> Path:
    """Apple Lossless in an .m4a, as a Mac's Music app saves it (PyAV's own FFmpeg encodes it): ``ints``
    ``(2, samples)`` of ``bits`` (16 or 24) bits."""
    fmt = "s16p" if bits == 16 else "s32p"  # FFmpeg's encoder keeps 24 of s32p's bits
    with av.open(str(path), "w", format="ipod") as out:
        stream = out.add_stream("alac", rate=sample_rate, layout="stereo")
        stream.codec_context.format = fmt
        data = ints.astype(np.int16) if bits == 16 else ints.astype(np.int32) << 8
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format=fmt, layout="stereo")
        frame.sample_rate = sample_rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return path


def full_scale_noise(dtype: str, *, channels: int = 2, n: int = SR // 4, seed: int = 0) -> np.ndarray:
    """Noise that uses every bit of ``dtype`` (an integer or float type), ``(n, channels)`` as soundfile writes."""
    rng = np.random.default_rng(seed)
    if dtype.startswith("float"):
        return rng.uniform(-1, 1, size=(n, channels)).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=(n, channels), endpoint=True, dtype=dtype)


def _descriptor(tag: int, body: bytes) -> bytes:
    return bytes([tag, len(body)]) + body


def aac_in_caf(path: Path, samples: np.ndarray, *, sample_rate: int = SR) -> Path:
    """Mono AAC in a Core Audio file, as a Mac's ``afconvert -f caff -d aac`` writes it (FFmpeg encodes
    the AAC but writes no such CAF): ``desc``, the ``kuki`` cookie (an MP4 ES descriptor), ``pakt``, ``data``."""
    codec = av.CodecContext.create("aac", "w")
    codec.sample_rate, codec.layout, codec.format = sample_rate, "mono", "fltp"  # type: ignore[attr-defined]
    frame = av.AudioFrame.from_ndarray(samples.astype(np.float32)[np.newaxis], format="fltp", layout="mono")
    frame.sample_rate = sample_rate
    packets = [bytes(p) for p in [*codec.encode(frame), *codec.encode(None)]]  # type: ignore[attr-defined]
    config = _descriptor(0x04, bytes([0x40, 0x15]) + bytes(11) + _descriptor(0x05, bytes(codec.extradata or b"")))
    cookie = bytes(4) + _descriptor(0x03, bytes(3) + config + _descriptor(0x06, b"\x02"))
    sizes = b"".join(_ber(len(p)) for p in packets)
    chunks = [(b"desc", struct.pack(">dIIIIII", sample_rate, int.from_bytes(b"aac ", "big"), 2, 0, 1024, 1, 0)),
              (b"kuki", cookie), (b"pakt", struct.pack(">qqii", len(packets), samples.size, 1024, 0) + sizes),
              (b"data", bytes(4) + b"".join(packets))]
    path.write_bytes(b"caff" + struct.pack(">HH", 1, 0)
                     + b"".join(kind + struct.pack(">q", len(body)) + body for kind, body in chunks))
    return path


def _ber(n: int) -> bytes:
    """``n`` as CAF's packet table writes a size: 7 bits a byte, most significant first."""
    out = [n & 0x7F]
    while n := n >> 7:
        out.append(0x80 | (n & 0x7F))
    return bytes(reversed(out))


def wav_bytes(seconds: float = 1.0, freq: float = 110.0, sample_rate: int = SR) -> bytes:
    """A 16-bit WAV of a sine at ``freq``, in memory (an upload's bytes)."""
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    buf = io.BytesIO()
    sf.write(buf, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), sample_rate, format="WAV",
             subtype="PCM_16")
    return buf.getvalue()


def make_client(root: Path, **settings: object) -> TestClient:
    """The studio over projects in ``root``, in-process."""
    settings.setdefault("allowed_hosts", ["testserver"])
    return TestClient(create_app(StudioSettings(projects_root=root, **settings)))  # type: ignore[arg-type]


def assert_error(response, status: int, kind: str, pattern: str) -> None:  # type: ignore[no-untyped-def]
    """``response`` is the studio's one JSON error shape, of ``status`` and ``kind``, matching ``pattern``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"status", "type", "message"}
    assert body["error"]["status"] == status and body["error"]["type"] == kind
    assert re.search(pattern, body["error"]["message"]), body["error"]["message"]
