"""earmark: teach a computer to recognise sounds from your own examples.

The library is the product; the ``earmark`` command and the web studio are thin shells over it::

    import earmark
    clf = earmark.train("my_sounds/", settings=earmark.TrainSettings(epochs=20))
    clf.save("sounds.earmark")
    clf = earmark.load("sounds.earmark")
    audio = earmark.load_audio("take.wav", sample_rate=clf.sample_rate)
    clf.predict(audio.samples, sample_rate=audio.sample_rate).label
    print(earmark.evaluate(clf, "test_sounds/").format())
"""

from ._version import __version__
from .audio import Audio, load_audio, resample
from .classifier import Classifier, Prediction, load
from .dataset import Dataset, load_dataset
from .errors import (
    AudioDecodeError,
    DatasetError,
    DependencyError,
    EarmarkError,
    ModelFileError,
    OutputError,
    ParameterError,
)
from .evaluate import EvaluationReport, compare, evaluate
from .stream import StreamingClassifier
from .timeline import Segment, Timeline
from .train import EpochRecord, TrainSettings, train

__all__ = [
    "__version__",
    "Audio",
    "AudioDecodeError",
    "Classifier",
    "Dataset",
    "DatasetError",
    "DependencyError",
    "EarmarkError",
    "EpochRecord",
    "EvaluationReport",
    "ModelFileError",
    "OutputError",
    "ParameterError",
    "Prediction",
    "Segment",
    "StreamingClassifier",
    "Timeline",
    "TrainSettings",
    "compare",
    "evaluate",
    "load",
    "load_audio",
    "load_dataset",
    "resample",
    "train",
]
