"""earmark: teach a computer to recognise sounds from your own examples.

The library is the product; the ``earmark`` command is a thin shell over it::

    import earmark
    clf = earmark.train("my_sounds/", settings=earmark.TrainSettings(epochs=20))
    clf.save("sounds.earmark")
    clf = earmark.load("sounds.earmark")
    audio = earmark.load_audio("take.wav", sample_rate=clf.sample_rate)
    clf.predict(audio.samples, sample_rate=audio.sample_rate).label
    print(earmark.evaluate(clf, "test_sounds/").format())
    earmark.export_onnx(clf, "sounds.onnx")  # for deployment: runs with onnxruntime alone
    earmark.export_web(clf, "sounds-page")   # a web page that runs it in the browser
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    AudioDecodeError,
    AudioWarning,
    ConflictError,
    DatasetError,
    DependencyError,
    DeviceError,
    EarmarkError,
    EarmarkWarning,
    InstallError,
    LimitError,
    ModelFileError,
    NotFoundError,
    OutputError,
    ParameterError,
    RangeNotSatisfiableError,
    ZipNameWarning,
)

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and editors
    from .audio import Audio, load_audio, resample
    from .classifier import Classifier, Prediction, load
    from .dataset import Dataset, load_dataset
    from .evaluate import compare, evaluate
    from .export import export_onnx, export_web
    from .intake import add_files
    from .live import file_chunks, microphone_chunks
    from .pictures import confusion_png, history_png, spectrogram_png, timeline_png
    from .project import Project
    from .report import Comparison, EvaluationReport
    from .stream import StreamingClassifier
    from .timeline import Segment, Timeline
    from .train import EpochRecord, StopTraining, TrainingCancelled, train
    from .trainsettings import TrainSettings

# Imported on first use (PEP 562), so that ``import earmark`` -- and the ``earmark`` command's
# ``--help`` and Ctrl-C handling -- do not wait seconds for PyTorch: name -> the module holding it.
_LAZY: dict[str, str] = {
    **dict.fromkeys(["Audio", "load_audio", "resample"], "audio"),
    **dict.fromkeys(["Classifier", "Prediction", "load"], "classifier"),
    **dict.fromkeys(["Dataset", "load_dataset"], "dataset"),
    **dict.fromkeys(["Comparison", "EvaluationReport"], "report"),
    **dict.fromkeys(["compare", "evaluate"], "evaluate"),
    **dict.fromkeys(["export_onnx", "export_web"], "export"),
    "add_files": "intake",
    **dict.fromkeys(["file_chunks", "microphone_chunks"], "live"),
    **dict.fromkeys(["confusion_png", "history_png", "spectrogram_png", "timeline_png"], "pictures"),
    "Project": "project",
    "StreamingClassifier": "stream",
    **dict.fromkeys(["Segment", "Timeline"], "timeline"),
    **dict.fromkeys(["EpochRecord", "StopTraining", "TrainingCancelled", "train"], "train"),
    "TrainSettings": "trainsettings",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'earmark' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next look-up is an ordinary one
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _Package(types.ModuleType):
    """``train`` and ``evaluate`` name a function and the submodule that holds it. Importing the
    submodule sets the package's attribute to the module; the package keeps the function instead."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = [
    "__version__",
    "Audio",
    "AudioDecodeError",
    "AudioWarning",
    "Classifier",
    "Comparison",
    "ConflictError",
    "Dataset",
    "DatasetError",
    "DependencyError",
    "DeviceError",
    "EarmarkError",
    "EarmarkWarning",
    "EpochRecord",
    "EvaluationReport",
    "InstallError",
    "LimitError",
    "ModelFileError",
    "NotFoundError",
    "OutputError",
    "ParameterError",
    "Prediction",
    "Project",
    "RangeNotSatisfiableError",
    "Segment",
    "StopTraining",
    "StreamingClassifier",
    "Timeline",
    "TrainSettings",
    "TrainingCancelled",
    "ZipNameWarning",
    "add_files",
    "compare",
    "confusion_png",
    "evaluate",
    "export_onnx",
    "export_web",
    "file_chunks",
    "history_png",
    "load",
    "load_audio",
    "load_dataset",
    "microphone_chunks",
    "resample",
    "spectrogram_png",
    "timeline_png",
    "train",
]
