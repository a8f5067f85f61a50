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

from ._version import __version__
from .audio import Audio, load_audio, resample
from .classifier import Classifier, Prediction, load
from .dataset import Dataset, load_dataset
from .errors import (
    AudioDecodeError,
    AudioWarning,
    ConflictError,
    DatasetError,
    DependencyError,
    DeviceError,
    EarmarkError,
    LimitError,
    ModelFileError,
    NotFoundError,
    OutputError,
    ParameterError,
)
from .evaluate import Comparison, EvaluationReport, compare, evaluate
from .export import export_onnx, export_web
from .intake import add_files
from .live import file_chunks, microphone_chunks
from .pictures import confusion_png, history_png, spectrogram_png, timeline_png
from .project import Project
from .stream import StreamingClassifier
from .timeline import Segment, Timeline
from .train import EpochRecord, StopTraining, TrainSettings, train

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
    "EpochRecord",
    "EvaluationReport",
    "LimitError",
    "ModelFileError",
    "NotFoundError",
    "OutputError",
    "ParameterError",
    "Prediction",
    "Project",
    "Segment",
    "StopTraining",
    "StreamingClassifier",
    "Timeline",
    "TrainSettings",
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
