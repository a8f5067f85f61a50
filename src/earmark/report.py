"""What an evaluation reports: scores, per-class figures, confusion, mistakes and the warnings
they call for, as a dict for JSON and as plain text for terminals (:class:`EvaluationReport`),
and two models' reports side by side (:class:`Comparison`); a model file's manifest in a few
lines for a person (:func:`model_summary`).

:func:`earmark.evaluate.evaluate` makes a report from a test set; training makes one from its
validation clips (:func:`report_from_probabilities`).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .dataset import Skipped
from .errors import ParameterError
from .naming import quoted, quoted_list

if TYPE_CHECKING:
    from .modelfile import Manifest

__all__ = ["Comparison", "EvaluationReport", "finite", "model_summary", "report_from_probabilities"]


def finite(obj: Any) -> Any:
    """``obj`` with NaN and infinities as ``None``: a score that does not exist (no clips of a
    class) is ``null`` in JSON, which has no spelling for NaN."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj


@dataclass
class EvaluationReport:
    """Scores of one model on one labelled set. ``confusion[i][j]``: true ``labels[i]`` predicted ``labels[j]``."""

    labels: list[str]
    accuracy: float
    macro_f1: float
    #: precision, recall, f1 (``None`` where a figure means nothing) and support of each class
    per_class: dict[str, dict[str, float | None]]
    confusion: list[list[int]]
    misclassified: list[dict[str, Any]]
    n_clips: int
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    #: The scored clips that are audio the model was trained on (see :func:`earmark.dataset.fingerprint`);
    #: ``None`` when that is not known (a model file from before earmark kept its training clips' fingerprints).
    seen_in_training: list[str] | None = None
    #: Scored clips cut from a recording whose other clips are training samples (known for a
    #: project's test set, or its export zip, see :meth:`earmark.project.Project.test_leaks`): one
    #: take on both sides.
    split_recordings: list[str] = field(default_factory=list)
    #: What decoding the test files warned of (a file cut short, channels that cancel out when mixed to
    #: mono), each message once and naming its file: the first of :meth:`warnings`. Filled by
    #: :func:`earmark.evaluate.evaluate` and :func:`~earmark.evaluate.compare` when they read the set
    #: themselves (a folder, zip or project); empty for a loaded :class:`~earmark.dataset.Dataset`,
    #: whose decoding they did not see, and in a report read back by :meth:`from_dict`.
    decoding_warnings: list[str] = field(default_factory=list)
    #: The test set's class folders, each with the model's class its clips were scored as (a folder
    #: ``Bass/`` is the model's ``bass``, see :func:`earmark.evaluate.evaluate`): how :class:`Comparison`
    #: lines up two models' classes. Filled by :func:`~earmark.evaluate.evaluate` and
    #: :func:`~earmark.evaluate.compare`; empty in a report made otherwise (e.g. read back by
    #: :meth:`from_dict`), where each class with clips is taken to be its own folder.
    folders: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "n_clips": self.n_clips,
            "labels": self.labels,
            "per_class": self.per_class,
            "confusion": {"labels": self.labels, "matrix": self.confusion},
            "misclassified": self.misclassified,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "seen_in_training": self.seen_in_training,
            "split_recordings": self.split_recordings,
            "warnings": self.warnings(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvaluationReport:
        """The report :meth:`to_dict` wrote (scores rounded as there; ``null`` scores read as NaN). Its
        ``warnings`` are not read: :meth:`warnings` works them out again, without :attr:`decoding_warnings`.

        Raises
        ------
        ParameterError
            If a field is missing; the message names it.
        """
        missing = sorted({"accuracy", "macro_f1", "n_clips", "labels", "per_class", "confusion",
                          "misclassified"} - set(data))
        if missing:
            raise ParameterError(f"not an evaluation report: it lacks {missing}; "
                                 "give a dict written by EvaluationReport.to_dict")

        def score(value: float | None) -> float:
            return float("nan") if value is None else float(value)

        return cls(labels=list(data["labels"]), accuracy=score(data["accuracy"]), macro_f1=score(data["macro_f1"]),
                   per_class={k: dict(v) for k, v in data["per_class"].items()},
                   confusion=[list(row) for row in data["confusion"]["matrix"]],
                   misclassified=[dict(m) for m in data["misclassified"]], n_clips=int(data["n_clips"]),
                   skipped=[Skipped(path=s["path"], reason=s["reason"]) for s in data.get("skipped", [])],
                   seen_in_training=None if data.get("seen_in_training") is None
                   else [str(n) for n in data["seen_in_training"]],
                   split_recordings=[str(n) for n in data.get("split_recordings", [])])

    def training_audio_warning(self) -> str | None:
        """The warning about test clips the model was trained on (``seen_in_training``), or ``None``."""
        if not self.seen_in_training:
            return None
        n, shown = len(self.seen_in_training), ", ".join(self.seen_in_training[:3])
        verb = "is" if n == 1 else "are"
        return (f"{n} of the {self.n_clips} test clips {verb} audio the model was trained on "
                f"({shown}{', …' if n > 3 else ''}): a model knows its training clips, so the scores "
                "overstate how it does on new recordings; take them out of the test set")

    def warnings(self) -> list[str]:
        """What decoding the test files warned of (:attr:`decoding_warnings`), then what makes these
        scores weak evidence, in words a person can act on (empty: none)."""
        out = [*self.decoding_warnings, *([seen] if (seen := self.training_audio_warning()) else [])]
        if self.split_recordings:
            n, shown = len(self.split_recordings), ", ".join(self.split_recordings[:3])
            out.append(f"{n} test clip{'s' if n != 1 else ''} ({shown}{', …' if n > 3 else ''}) "
                       f"{'come' if n != 1 else 'comes'} from recordings whose other clips are training samples: "
                       "one take on both sides makes the score look better than it is; move each whole "
                       "recording to one side")
        if self.n_clips < 10:
            out.append(f"Only {self.n_clips} clips were scored: the accuracy is not a reliable figure; "
                       "add more recordings (from different takes) to every class")
        chance = 1.0 / max(1, len(self.labels))
        if self.n_clips and self.accuracy < chance + 0.15:
            out.append(f"The model is barely better than guessing ({self.accuracy:.0%}, guessing gives {chance:.0%}); "
                       "add more and more varied recordings, or train longer")
        if uneven := self._uneven_warning():
            out.append(uneven)
        for lab in self.labels:
            support = int(self.per_class[lab]["support"] or 0)
            if 0 < support < 3:
                out.append(f"Class {lab!r} has only {support} clip{'s' if support != 1 else ''} to be scored on; "
                           "its accuracy says little")
        return out

    def _uneven_warning(self) -> str | None:
        """A warning when the overall accuracy hides a class the model mostly gets wrong: most
        scored clips are of the classes it knows (e.g. 30 of 37 are background), so the figure is
        high while another class's recall is under half."""
        support = {lab: int(self.per_class[lab]["support"] or 0) for lab in self.labels}
        recall = {lab: r for lab in self.labels
                  if support[lab] and (r := self.per_class[lab].get("recall")) is not None}
        weak = [lab for lab, r in recall.items() if r < 0.5]
        if not weak or len(recall) < 2 or self.accuracy - float(np.mean(list(recall.values()))) < 0.1:
            return None
        most = max(recall, key=lambda lab: support[lab])
        return (f"{self.accuracy:.0%} of the clips are right, but not in every class: "
                + ", ".join(f"{quoted(lab)} {recall[lab]:.0%}" for lab in weak)
                + f". {support[most]} of the {self.n_clips} clips are {quoted(most)}, so the overall figure mostly "
                "shows how the model does on that class; judge it by each class's accuracy, and add recordings "
                "(from other takes) to the classes it gets wrong")

    def format(self, *, max_mistakes: int = 20) -> str:
        """A plain-text report for terminals."""
        width = max(8, *(_width(lab) for lab in self.labels))
        lines = [f"accuracy {self.accuracy:.1%}   macro-F1 {self.macro_f1:.3f}   ({self.n_clips} clips)", "",
                 f"{'class':<{width}}  precision  recall     f1  clips"]
        for lab in self.labels:
            pc = self.per_class[lab]
            lines.append(f"{_left(lab, width)}  {_shown(pc.get('precision'), 9, '.1%')}  "
                         f"{_shown(pc.get('recall'), 6, '.1%')}  {_shown(pc.get('f1'), 5, '.3f')}  "
                         f"{int(pc['support'] or 0):>5}")
        lines += ["", *_confusion_table(self.labels, self.confusion)]
        if self.misclassified:
            lines += ["", f"misclassified ({len(self.misclassified)}):"]
            for m in self.misclassified[:max_mistakes]:
                lines.append(f"  {m['file']}: {m['true']} → {m['predicted']} ({m['confidence']:.0%})")
            if len(self.misclassified) > max_mistakes:
                lines.append(f"  … and {len(self.misclassified) - max_mistakes} more (use --json for all)")
        for s in self.skipped:
            lines.append(f"skipped {s.path}: {s.reason}")
        lines += [f"warning: {w}" for w in self.warnings()]
        return "\n".join(lines)


TABLE_WIDTH = 100
"""Characters a confusion table may take before its columns are numbered instead of named."""


def _confusion_table(labels: list[str], confusion: list[list[int]]) -> list[str]:
    """The confusion matrix as text, a column as wide as its class's name (or its largest count);
    where the names make it wider than :data:`TABLE_WIDTH`, columns are numbered as the rows."""
    counts = [[str(v) for v in row] for row in confusion]
    numbered = _width("  ".join(labels)) + max((_width(lab) for lab in labels), default=0) + 2 > TABLE_WIDTH
    heads = [str(i) for i in range(1, len(labels) + 1)] if numbered else labels
    rows = [f"{i} {lab}" for i, lab in zip(heads, labels)] if numbered else labels
    first = max([8, *(_width(r) for r in rows)])
    cols = [max(_width(head), *(len(row[j]) for row in counts)) for j, head in enumerate(heads)]
    title = "confusion (rows = true, columns = predicted" + (", numbered as the rows)" if numbered else ")")
    lines = [title, " " * (first + 2) + "  ".join(_right(h, c) for h, c in zip(heads, cols))]
    for name, row in zip(rows, counts):
        lines.append(_left(name, first) + "  " + "  ".join(_right(v, c) for v, c in zip(row, cols)))
    return lines


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: none for a combining accent (a name in NFD), two for a
    wide (East Asian) character."""
    return sum(0 if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf")
               else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _left(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _right(text: str, width: int) -> str:
    return " " * max(0, width - _width(text)) + text


def _shown(x: float | None, width: int, spec: str) -> str:
    """A score for a text table, or – where it means nothing (``None``)."""
    return f"{'–':>{width}}" if x is None else f"{x:>{width}{spec}}"


def _rounded(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4)


def report_from_probabilities(probs: np.ndarray, true_labels: list[str], names: list[str], *,
                              labels: list[str]) -> EvaluationReport:
    """Build a report from clip probabilities ``(n_clips, n_classes)`` in ``labels`` order."""
    k = len(labels)
    y = np.array([labels.index(t) for t in true_labels], dtype=int)
    pred = probs.argmax(axis=1) if len(probs) else np.zeros(0, int)
    confusion = np.zeros((k, k), dtype=int)
    np.add.at(confusion, (y, pred), 1)
    per_class: dict[str, dict[str, float | None]] = {}
    f1s = []
    for i, lab in enumerate(labels):
        tp = confusion[i, i]
        called, support = int(confusion[:, i].sum()), int(confusion[i, :].sum())
        # None where a figure means nothing: precision when nothing was called this class, recall
        # and F1 when the set holds no clip of it (a 0 there would read as a failure that did not happen)
        precision = tp / called if called else None
        recall = tp / support if support else None
        f1 = None
        if recall is not None:
            p = precision or 0.0
            f1 = 2 * p * recall / (p + recall) if p + recall else 0.0
            f1s.append(f1)
        per_class[lab] = {"precision": _rounded(precision), "recall": _rounded(recall), "f1": _rounded(f1),
                          "support": support}
    mistakes = [{"file": names[j], "true": true_labels[j], "predicted": labels[int(pred[j])],
                 "confidence": round(float(probs[j, pred[j]]), 4)}
                for j in np.flatnonzero(pred != y)]
    return EvaluationReport(labels=labels, accuracy=float(np.mean(pred == y)) if len(y) else float("nan"),
                            macro_f1=float(np.mean(f1s)) if f1s else float("nan"), per_class=per_class,
                            confusion=confusion.tolist(), misclassified=mistakes, n_clips=int(len(y)))


@dataclass
class Comparison:
    """Two models' reports on the same test set, and the clips only one of them gets wrong.

    ``model_a`` and ``model_b`` name the models (e.g. their paths) in :meth:`to_dict`;
    :meth:`format` shortens them to file names when those differ. ``same_model``: the two are one
    model (one file given twice, or a copy: the same weights), which :meth:`format` says instead of
    showing two equal columns.
    """

    a: EvaluationReport
    b: EvaluationReport
    model_a: str = "A"
    model_b: str = "B"
    same_model: bool = False

    @property
    def wrong_only_with_a(self) -> list[str]:
        """Clips model A gets wrong and model B right, sorted."""
        return sorted({m["file"] for m in self.a.misclassified} - {m["file"] for m in self.b.misclassified})

    @property
    def wrong_only_with_b(self) -> list[str]:
        """Clips model B gets wrong and model A right, sorted."""
        return sorted({m["file"] for m in self.b.misclassified} - {m["file"] for m in self.a.misclassified})

    def to_dict(self) -> dict[str, Any]:
        return {"models": [{"model": self.model_a, **self.a.to_dict()}, {"model": self.model_b, **self.b.to_dict()}],
                "wrong_only_with_a": self.wrong_only_with_a, "wrong_only_with_b": self.wrong_only_with_b,
                "same_model": self.same_model, "test_classes": self.test_classes()}

    def test_classes(self) -> list[dict[str, str | None]]:
        """The test set's class folders, each with the class of model A and of model B its clips were
        scored as (``class_a``, ``class_b``; ``None`` where a model has none, which only reports made
        otherwise than by :func:`~earmark.evaluate.compare` can show): a folder ``bass/`` may be A's ``Bass``
        and B's ``bass``. In A's order of classes."""
        return [{"folder": folder, "class_a": a, "class_b": b} for folder, a, b in self._rows()]

    def _rows(self) -> list[tuple[str, str | None, str | None]]:
        """:meth:`test_classes` as ``(folder, class_a, class_b)``."""
        folders_a, folders_b = _folders(self.a), _folders(self.b)
        order = {lab: i for i, lab in enumerate(self.a.labels)}
        names = sorted(folders_a, key=lambda f: order.get(folders_a[f], len(order)))
        names += sorted(f for f in folders_b if f not in folders_a)
        return [(f, folders_a.get(f), folders_b.get(f)) for f in names]

    def _unscored_lines(self, rows: list[tuple[str, str | None, str | None]], name_a: str, name_b: str) -> list[str]:
        """For :meth:`format`: the classes of the models that the test set holds no clips of (no recall
        to show), once for those both models know, then each model's own."""
        rest_a = [lab for lab in self.a.labels if lab not in {a for _, a, _ in rows}]
        rest_b = [lab for lab in self.b.labels if lab not in {b for _, _, b in rows}]
        both = [lab for lab in rest_a if lab in rest_b]
        lines = [f"no test clips of the {_classes(both)}, which both models know"] if both else []
        for name, rest in ((name_a, rest_a), (name_b, rest_b)):
            if own := [lab for lab in rest if lab not in both]:
                lines.append(f"no test clips of {name}'s {_classes(own)}")
        return lines

    def format(self, *, max_mistakes: int = 10) -> str:
        """A side-by-side table (accuracy, macro-F1, recall per class) and the clips only one gets wrong;
        for one model given twice (``same_model``), that said, and its report once."""
        if self.same_model:
            said = (f"{self.model_a} is given twice" if self.model_a == self.model_b else
                    f"{self.model_a} and {self.model_b} are the same model (their weights are identical)")
            return (f"{said}: there is nothing to compare; give two different models. "
                    f"Its scores on this test set, as earmark evaluate prints them:\n\n{self.a.format()}")
        name_a, name_b = Path(self.model_a).name, Path(self.model_b).name
        if name_a == name_b:  # same file name in two folders: only the whole names tell them apart
            name_a, name_b = self.model_a, self.model_b
        rows = self._rows()
        w = max(12, len(name_a), len(name_b))
        first = max([16, *(_width(folder) + 9 for folder, _, _ in rows)])  # "recall " + folder + 2 spaces
        lines = [f"{'':<{first}}{name_a:>{w}}  {name_b:>{w}}",
                 f"{'accuracy':<{first}}{self.a.accuracy:>{w}.1%}  {self.b.accuracy:>{w}.1%}",
                 f"{'macro-F1':<{first}}{self.a.macro_f1:>{w}.3f}  {self.b.macro_f1:>{w}.3f}"]

        def recall(report: EvaluationReport, label: str | None) -> str:
            if label is None:
                return f"{'no class':>{w}}"  # the model has no class for this folder
            return _shown(report.per_class.get(label, {}).get("recall"), w, ".1%")

        for folder, class_a, class_b in rows:
            lines.append(f"{_left('recall ' + folder, first)}{recall(self.a, class_a)}  {recall(self.b, class_b)}")
        lines += self._unscored_lines(rows, name_a, name_b)
        only_a, only_b = self.wrong_only_with_a, self.wrong_only_with_b
        lines += ["", f"wrong only with {name_a}: {len(only_a)}   wrong only with {name_b}: {len(only_b)}"]
        for name, files in ((name_a, only_a), (name_b, only_b)):
            lines += [f"  {name} misses {f}" for f in files[:max_mistakes]]
            if len(files) > max_mistakes:
                lines.append(f"  … and {len(files) - max_mistakes} more that {name} misses (use --json for all)")
        # a comparison is only as fair as its test set: what weakens both reports once, the rest by model
        shared = [w for w in self.a.warnings() if w in self.b.warnings()]
        lines += [f"warning: {w}" for w in shared]
        for name, report in ((name_a, self.a), (name_b, self.b)):
            lines += [f"warning ({name}): {w}" for w in report.warnings() if w not in shared]
        return "\n".join(lines)


def _folders(report: EvaluationReport) -> dict[str, str]:
    """The test set's class folders with ``report``'s class for each (its ``folders``; for a report
    that does not know them, each class with clips as its own folder)."""
    return report.folders or {lab: lab for lab in report.labels if int(report.per_class[lab]["support"] or 0)}


def _classes(labels: list[str]) -> str:
    """``class 'drums'`` or ``classes 'drums', 'keys'``, as a line of :meth:`Comparison.format` names them."""
    return f"class{'es' if len(labels) > 1 else ''} {quoted_list(labels)}"


#: :func:`sure_level` is the confidence this share of a model's right validation answers reached.
SURE_SHARE = 0.95
#: The fewest right validation answers :func:`sure_level` is worked out from.
MIN_SURE_CLIPS = 10


def sure_level(validation_clips: Any) -> float | None:
    """How sure a model was of :data:`SURE_SHARE` of its right answers on its validation clips (a
    manifest's ``metrics["validation_clips"]``: each with ``true``, ``predicted`` and ``confidence``),
    or ``None`` with fewer than :data:`MIN_SURE_CLIPS` of them: :attr:`earmark.Classifier.sure_level`."""
    clips = validation_clips if isinstance(validation_clips, list) else []
    right = [float(c["confidence"]) for c in clips
             if isinstance(c, dict) and c.get("true") == c.get("predicted") and "confidence" in c]
    if len(right) < MIN_SURE_CLIPS:
        return None
    return float(np.quantile(right, 1 - SURE_SHARE))


def model_summary(manifest: Manifest, *, name: str | None = None) -> str:
    """What a model file says about itself, for a person: one fact per line (``earmark info``).

    Its classes, audio settings, when and by which earmark it was made, its network and training,
    the clips it learnt from and its validation scores; ``name`` (e.g. the file's name) first when
    given. A line is left out where the manifest does not hold its facts (a model from an older
    earmark, or one that was not trained by :func:`earmark.train`).
    """
    lines = [f"model: {name}"] if name else []
    lines.append("classes: " + ", ".join(_label(lab) + (" (the background class)" if lab == manifest.background_label
                                                        else "") for lab in manifest.labels))
    lines.append(f"audio: {manifest.sample_rate} Hz mono, windows of {manifest.window_s:g} s every "
                 f"{manifest.hop_s:g} s (a clip's label: its windows' loudness-weighted mean)")
    made = [_when(manifest.created)] if manifest.created else []
    if manifest.earmark_version not in ("", "?"):
        made.append(f"by earmark {manifest.earmark_version}")
    if made:
        lines.append("created: " + " ".join(made))
    lines += _training_lines(manifest)
    lines += _data_lines(manifest.dataset, manifest.labels)
    lines += _score_lines(manifest.metrics.get("validation"), manifest.labels)
    if (level := sure_level(manifest.metrics.get("validation_clips"))) is not None:
        lines.append(f"sure level: {level:.1%} (how sure it was of 95% of its right validation answers; "
                     "an answer below it is worth a listen)")
    return "\n".join(lines)


def _label(label: str) -> str:
    """A class as a list shows it: as it is, or quoted where a comma or unprintable character would confuse."""
    return label if label.isprintable() and "," not in label else quoted(label)


def _when(created: str) -> str:
    """An ISO time stamp as a person reads it: ``2025-03-01 14:02:07 UTC``."""
    return created.replace("T", " ", 1).removesuffix("+00:00") + (" UTC" if created.endswith("+00:00") else "")


def _training_lines(manifest: Manifest) -> list[str]:
    """The network (and the backbone it started from) and the main training settings."""
    training, metrics = manifest.training, manifest.metrics
    backbone, network = training.get("backbone"), manifest.arch.name
    if backbone == "none":
        network += ", trained from scratch"
    elif isinstance(backbone, str):
        network += f", on the pretrained backbone {backbone} " + (
            "(frozen: only the head was trained)" if training.get("freeze_backbone") else "(fine-tuned)")
    if manifest.arch.head_hidden:
        network += f", head of {manifest.arch.head_hidden} hidden units"
    lines = [f"network: {network}"]
    if manifest.arch.concepts:
        lines.append(f"concepts: the {len(manifest.arch.concepts)} kinds of sound the backbone knows weigh in on "
                     "each label")
    settings = []
    epochs, stopped = training.get("epochs"), metrics.get("stopped_at_epoch")
    if stopped is not None:
        settings.append(f"stopped after epoch {stopped}" + (f" of {epochs}" if epochs is not None else ""))
    elif epochs is not None:
        settings.append(f"{epochs} epoch{'s' if epochs != 1 else ''}")
    if settings and isinstance(seconds := metrics.get("train_seconds"), (int, float)):
        settings[-1] += f" in {seconds:.0f} s"
    if isinstance(augment := training.get("augment"), bool):
        settings.append(f"augmentation {'on' if augment else 'off'}")
    settings += [f"{what} {training[key]:g}" for key, what in (("batch_size", "batch size"),
                 ("learning_rate", "learning rate"), ("seed", "seed")) if isinstance(training.get(key), (int, float))]
    return lines + ([f"training: {', '.join(settings)}"] if settings else [])


def _data_lines(dataset: dict[str, Any], labels: list[str]) -> list[str]:
    """How many clips (and seconds) of each class training had, and how they were split."""
    counts, seconds = dataset.get("counts"), dataset.get("seconds") or {}
    if not isinstance(counts, dict) or not counts:
        return []
    total = sum(int(n) for n in counts.values())
    split = (f" ({dataset['train_clips']} to learn from, {dataset['val_clips']} held out for validation)"
             if "train_clips" in dataset and "val_clips" in dataset else "")
    root = f" from {quoted(dataset['root'])}" if dataset.get("root") else ""
    per_class = ", ".join(f"{_label(lab)} {counts[lab]}" + (f" ({seconds[lab]:g} s)" if lab in seconds else "")
                          for lab in labels if lab in counts)
    return [f"trained on: {total} clips{root}{split}", f"clips per class: {per_class}"]


def _score_lines(validation: Any, labels: list[str]) -> list[str]:
    """The validation accuracy, overall and by class, as percentages."""
    if not isinstance(validation, dict) or validation.get("accuracy") is None:
        return []
    n = validation.get("n_clips")
    lines = [f"validation accuracy: {validation['accuracy']:.1%}" + (f" of {n} held-out clips" if n else "")
             + (f" (macro-F1 {f1:.3f})" if isinstance(f1 := validation.get("macro_f1"), (int, float)) else "")]
    per_class = validation.get("per_class") or {}
    shown = [f"{_label(lab)} " + ("– (no clips held out)" if per_class[lab].get("recall") is None
                                  else f"{per_class[lab]['recall']:.1%}") for lab in labels if lab in per_class]
    if shown:
        lines.append(f"per-class accuracy: {', '.join(shown)}")
    return lines
