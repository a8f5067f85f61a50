"""Export a trained model for deployment: one ONNX file that runs without earmark or PyTorch.

The graph is the whole network, front end included: it takes raw audio and gives probabilities,
so a deployment needs only an ONNX runtime (onnxruntime in Python, C, C++, C#, Java, JavaScript
in a browser or Node, or on a phone). What it needs to know is in the file's metadata, read
with ``onnxruntime.InferenceSession(path).get_modelmeta().custom_metadata_map``:

- input ``waveform``: float32 ``(batch, window_samples)``, mono, in [-1, 1], at ``sample_rate``;
- output ``probabilities``: float32 ``(batch, n_classes)``, in the order of ``labels``;
- metadata ``earmark.labels`` (JSON list), ``earmark.sample_rate``, ``earmark.window_samples``,
  ``earmark.window_s``, ``earmark.hop_s``, ``earmark.background_label``, ``earmark.clip_rule``
  and ``earmark.manifest`` (the model file's whole manifest, JSON).

The graph scores one window. earmark labels a longer clip by scoring its windows (every
``hop_s``, plus one ending with the clip; a clip shorter than a window is zero-padded) and
averaging their probabilities with weights from their loudness (see
:func:`earmark.classifier.window_weights`); docs/deploy.md has that rule as a few lines of numpy,
tested against :meth:`earmark.Classifier.predict`.

:func:`export_web` writes the same graph as a folder for a web page: ``model.onnx``, its
metadata as ``model.json``, ``earmark.js`` (which runs it with onnxruntime-web and labels clips
by the same rule) and ``index.html``, a page to try it with the microphone or a file.

The export uses PyTorch's ONNX exporter (``torch.onnx.export(..., dynamo=True)``, which needs
the ``onnx`` and ``onnxscript`` packages); the file is written atomically.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import logging
import os
import re
import secrets
import shutil
import threading
import warnings
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import atomic_write, cannot_write, check_replaceable, check_writable
from .errors import DependencyError, OutputError, ParameterError
from .naming import safe_stem

if TYPE_CHECKING:
    import torch

    from .classifier import Classifier

__all__ = ["export_onnx", "onnx_bytes", "export_web", "web_files", "web_zip", "CLIP_RULE", "ONNX_OPSET",
           "ONNX_IR_VERSION", "ORT_WEB_VERSION", "ORT_WEB_URL", "ORT_WEB_FILES"]

#: The ONNX operator set the export targets, and the file format version stamped on the file:
#: the oldest that holds opset 18 (ONNX 1.13), so that onnxruntime 1.14 and later load it. The
#: exporter stamps the newest its onnx package writes (10 with onnx 1.23), which onnxruntime
#: before 1.18 refuses.
ONNX_OPSET = 18
ONNX_IR_VERSION = 8

#: torch.export keeps state in globals, and the exporter's quieting is process-wide: one export at a time.
_EXPORTING = threading.Lock()

#: The onnxruntime-web release a web export loads, and from where (its WebAssembly build, from the
#: jsDelivr mirror of npm). The browser tests run the exported page with this release (their
#: package.json pins the same).
ORT_WEB_VERSION = "1.30.0"
ORT_WEB_URL = f"https://cdn.jsdelivr.net/npm/onnxruntime-web@{ORT_WEB_VERSION}/dist/ort.wasm.min.mjs"
#: The files of onnxruntime-web's dist/ folder that page needs, for hosting a copy beside it
#: (``runtime_url="./ort.wasm.min.mjs"``); the Firefox and WebKit tests run it so.
ORT_WEB_FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
#: The files of a web export (:func:`export_web`, :func:`web_files`).
WEB_FILES = ("index.html", "earmark.js", "earmark-capture.js", "model.onnx", "model.json", "README.md")
#: Those shipped in earmark.web; the model's two are made from it.
_WEB_ASSETS = tuple(f for f in WEB_FILES if f not in ("model.onnx", "model.json"))
#: The version of model.json's layout, checked by earmark.js.
WEB_FORMAT_VERSION = 1

#: How earmark turns window probabilities into a clip's, stored in every export's metadata.
CLIP_RULE = (
    "Cut the clip (mono, at sample_rate) into windows of window_samples starting every hop_s seconds "
    "while they fit, plus one window ending with the clip if it runs on past the last; a clip shorter "
    "than a window is one window, zero-padded at the end. Weight each window by its RMS divided by the "
    "loudest window's RMS, clipped to [0.05, 1]; the clip's probabilities are the weighted mean of its "
    "windows' probabilities."
)


def _with_probabilities(network: torch.nn.Module) -> torch.nn.Module:
    """The network with the softmax that turns its scores into the probabilities earmark reports
    (PyTorch is imported here, so that listing what an export writes does not wait for it)."""
    import torch

    class Probabilities(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, waveform: torch.Tensor) -> torch.Tensor:
            return torch.softmax(self.network(waveform), dim=-1)

    return Probabilities()


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """Keep the exporter's chatter (optional torchvision ops it skips, its own deprecations) off stderr."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        logger.setLevel(level)


def _metadata(classifier: Classifier) -> dict[str, str]:
    manifest = classifier.manifest
    return {
        "earmark.labels": json.dumps(classifier.labels, ensure_ascii=False),
        "earmark.sample_rate": str(classifier.sample_rate),
        "earmark.window_samples": str(classifier.window_samples),
        "earmark.window_s": repr(float(manifest.window_s)),
        "earmark.hop_s": repr(float(manifest.hop_s)),
        "earmark.background_label": manifest.background_label or "",
        "earmark.clip_rule": CLIP_RULE,
        "earmark.manifest": json.dumps({**manifest.to_dict(), "dataset": manifest.shareable_dataset()},
                                       ensure_ascii=False),
    }


def _fold_constants(proto: Any) -> Any:
    """Constant folding only (not the optimiser's rewrites, see onnx_bytes), then the nodes left
    unused: without it onnxruntime warns on every load about constants it cannot fold itself."""
    import onnxscript.optimizer
    from onnxscript import ir
    from onnxscript.ir.passes.common import RemoveUnusedNodesPass

    onnxscript.optimizer.fold_constants(proto)
    model = ir.serde.deserialize_model(proto)
    RemoveUnusedNodesPass()(model)
    return ir.serde.serialize_model(model)


def onnx_bytes(classifier: Classifier) -> bytes:
    """The ONNX model of ``classifier`` (see the module's docstring), serialised.

    Raises
    ------
    DependencyError
        If the ``onnx`` or ``onnxscript`` package is missing.
    OutputError
        If the exporter fails on this model (the message names the versions involved).
    """
    try:
        import onnx
        import onnxscript  # the exporter needs it; say so here rather than deep inside torch
    except ImportError as exc:
        raise DependencyError(f"exporting to ONNX needs the {exc.name} package: pip install onnx onnxscript") from exc
    from . import __version__

    window = classifier.window_samples
    # a copy: tracing swaps the parameters for stand-ins, and the model may be serving predictions
    import torch

    module = _with_probabilities(copy.deepcopy(classifier.model)).eval()
    example = torch.zeros(2, window)
    try:
        with _EXPORTING, _quiet_exporter(), torch.inference_mode(False), torch.no_grad():
            program = torch.onnx.export(
                # optimize=False: onnxscript's optimizer (0.7) folds away the "+ 1e-10" before the log of
                # the mel power, so digital silence gave log(0) = -inf and then NaN probabilities
                module, (example,), dynamo=True, opset_version=ONNX_OPSET, verbose=False, optimize=False,
                input_names=["waveform"], output_names=["probabilities"],
                dynamic_shapes=({0: torch.export.Dim("batch")},))
    except Exception as exc:  # the exporter's own errors (torch.export, onnxscript) vary by version
        raise OutputError(
            f"cannot export this model to ONNX: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
            f"(torch {torch.__version__}, onnx {onnx.__version__}, onnxscript {onnxscript.__version__}); "
            "the .earmark file itself is fine, and earmark can still use it; please report this") from exc
    if program is None:  # pragma: no cover - only when given a file name
        raise OutputError("the ONNX exporter gave no model")
    proto = _fold_constants(program.model_proto)
    proto.ir_version = ONNX_IR_VERSION
    proto.producer_name, proto.producer_version = "earmark", __version__
    proto.doc_string = (f"earmark sound classifier: labels {classifier.labels}. Input 'waveform' float32 "
                        f"(batch, {window}) mono at {classifier.sample_rate} Hz in [-1, 1]; output "
                        "'probabilities' float32 (batch, n_classes), one window each. " + CLIP_RULE)
    del proto.metadata_props[:]
    for key, value in _metadata(classifier).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    return bytes(proto.SerializeToString())


def export_onnx(classifier: Classifier | str | os.PathLike[str], path: str | os.PathLike[str]) -> Path:
    """Write ``classifier`` (a :class:`Classifier` or a model file's path) as one ONNX file at
    ``path`` (atomically); returns the path.

    Raises
    ------
    ParameterError
        If ``classifier`` is neither a Classifier nor a path.
    ModelFileError
        If the model file at that path cannot be loaded.
    DependencyError
        If the ``onnx`` or ``onnxscript`` package is missing.
    OutputError
        If ``path`` cannot be written or holds something other than an ONNX model, such as the model
        file itself or a recording (the message says why; checked before the export's seconds of
        work), or the exporter fails on this model.
    """
    from .classifier import as_classifier  # a path is loaded as compare and evaluate load it

    clf = as_classifier(classifier, function="export_onnx")
    check_writable(path)
    check_replaceable(path, kind="onnx")
    data = onnx_bytes(clf)
    with atomic_write(path) as fh:
        fh.write(data)
    return Path(path)


def _web_info(classifier: Classifier, name: str) -> dict[str, Any]:
    """model.json: what earmark.js needs to run the graph and label clips as earmark does."""
    from . import __version__

    manifest = classifier.manifest
    return {
        "format": "earmark-web", "version": WEB_FORMAT_VERSION, "earmark": __version__, "name": name,
        "onnx": "model.onnx", "labels": classifier.labels, "background_label": manifest.background_label,
        "sample_rate": classifier.sample_rate, "window_samples": classifier.window_samples,
        "hop_samples": max(1, int(round(float(manifest.hop_s) * classifier.sample_rate))),
        "clip_rule": CLIP_RULE,
        # how sure the model was of 95 % of its right validation answers: below it, a result is "unsure"
        "sure_level": None if (level := classifier.sure_level) is None else round(level, 4),
    }


def _check_runtime_url(url: str) -> str:
    printable = isinstance(url, str) and all("!" <= c <= "~" and c not in "\"<>\\" for c in url)
    if not (printable and re.match(r"(https?://[^/]|\.{1,2}/|/(?!/))", url)):
        raise ParameterError(
            "the runtime address (where the page finds onnxruntime-web's ort.wasm.min.mjs) must be an http(s) "
            f"URL, or a path on the page's own site starting with ./, ../ or /, in printable ASCII without quotes, "
            f"spaces or angle brackets; got {url!r}")
    return url


def web_files(classifier: Classifier, *, name: str = "", runtime_url: str = ORT_WEB_URL,
              onnx: bytes | None = None) -> dict[str, bytes]:
    """The files of a web export (see :func:`export_web`), by name; ``onnx``: the model's
    :func:`onnx_bytes` when they were made already."""
    runtime_url = _check_runtime_url(runtime_url)
    if not isinstance(name, str):
        raise ParameterError(f"give the model's name as a str, got {type(name).__name__}")
    files = {"model.onnx": onnx_bytes(classifier) if onnx is None else onnx,
             "model.json": json.dumps(_web_info(classifier, name.strip()), ensure_ascii=False, indent=1).encode()}
    assets = resources.files("earmark") / "web"
    for asset in _WEB_ASSETS:
        text = (assets / asset).read_text(encoding="utf-8")
        for key, value in {"RUNTIME_URL": runtime_url, "ORT_WEB_VERSION": ORT_WEB_VERSION,
                           "ORT_WEB_FILES": ", ".join(f"`{f}`" for f in ORT_WEB_FILES)}.items():
            text = text.replace(f"{{{{{key}}}}}", value)
        files[asset] = text.encode()
    return files


def web_zip(classifier: Classifier, *, name: str = "", runtime_url: str = ORT_WEB_URL,
            onnx: bytes | None = None, folder: str = "") -> bytes:
    """A web export (see :func:`web_files`) as the bytes of a zip holding one folder named
    ``folder``, else after ``name`` (or ``sound-model``); give each model its own ``folder`` so
    that two downloads do not unpack into the same place. A name that is a safe file name already
    (as :func:`earmark.naming.safe_stem` makes a download's: ``my band-first-web``) is kept as it
    is, so the zip named so unpacks to a folder of its own name; another has its unsafe runs made ``-``."""
    wanted = folder or name
    if not wanted or safe_stem(f"{wanted}.zip") != wanted:
        wanted = re.sub(r"[^\w.-]+", "-", wanted).strip(".-") or "sound-model"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file, data in web_files(classifier, name=name, runtime_url=runtime_url, onnx=onnx).items():
            archive.writestr(f"{wanted}/{file}", data)
    return buffer.getvalue()


def export_web(classifier: Classifier | str | os.PathLike[str], folder: str | os.PathLike[str], *, name: str = "",
               runtime_url: str = ORT_WEB_URL) -> Path:
    """Write ``classifier`` (a :class:`Classifier` or a model file's path) as a web page that runs it
    in the browser, into the new folder ``folder``.

    The folder holds ``index.html`` (try the model with the microphone or a file), ``earmark.js``
    (load and run it from a page of your own), ``earmark-capture.js``, ``model.onnx``,
    ``model.json`` and a ``README.md``; serve it over http(s). The page loads onnxruntime-web
    from ``runtime_url`` (by default :data:`ORT_WEB_URL`; give ``"./ort.wasm.min.mjs"`` to host a
    copy beside it). ``name`` is the page's title. A new folder appears whole or not at all; an
    existing empty one is filled (and emptied again if that fails).

    Raises
    ------
    OutputError
        If ``folder`` exists and is not empty (nothing in it is touched), is a file, or cannot be
        written; checked before the export's seconds of work.
    ParameterError
        If ``runtime_url`` is not an http(s) URL or a path, or ``classifier`` is neither a
        Classifier nor a path.
    ModelFileError
        If the model file at that path cannot be loaded.
    DependencyError
        If the ``onnx`` or ``onnxscript`` package is missing.
    """
    from .classifier import as_classifier  # a path is loaded as compare and evaluate load it

    clf = as_classifier(classifier, function="export_web")
    target = Path(os.path.abspath(folder))  # "." and "sub/.." name their folder, not a name in it
    _check_runtime_url(runtime_url)

    def refuse_existing() -> None:
        if target.is_dir() and any(target.iterdir()):
            raise OutputError(f"cannot write the web page into {target}: the folder is not empty; "
                              "give a new folder (earmark leaves what is there alone)")

    refuse_existing()
    existing = target.is_dir()
    check_writable(target / "index.html")  # in an existing folder, or where the new one will be
    files = web_files(clf, name=name, runtime_url=runtime_url)
    if existing:  # an empty folder (of the user's: its permissions, a shell in it) is filled, not replaced
        written: list[Path] = []
        try:
            refuse_existing()
            for file, data in files.items():
                path = target / file
                with open(path, "xb") as fh:  # never over a file that appeared meanwhile
                    written.append(path)
                    fh.write(data)
        except OSError as exc:
            for path in written:
                path.unlink(missing_ok=True)
            raise cannot_write(target, exc) from exc
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.parent / f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
        staging.mkdir()  # not mkdtemp: that folder is private, and a web page is for others to read
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}; choose a folder you can write to") from exc
    try:
        for file, data in files.items():
            (staging / file).write_bytes(data)
        os.rename(staging, target)  # a folder with files made meanwhile stops it here (an empty one is replaced)
    except OSError as exc:
        raise cannot_write(target, exc) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
