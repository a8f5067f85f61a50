"""The concept prior: what the pretrained backbone knows about kinds of sound, shared out over your classes.

earmark's backbone was pretrained to tell 20 kinds of sound apart (the General MIDI instrument
families, drum kits, speech, everyday sounds, ambience; :mod:`earmark.backbone`). Trained on a
frozen backbone, a model keeps that **concept head** and learns, from the training clips, how
each kind of sound shares out over its own classes:

    p(class | concept) = (evidence(concept, class) + α · [class is background]) / (evidence(concept) + α)

where a concept's evidence for a class is the sum, over that class's training clips, of how
likely the concept is in the clip, and α is :data:`PRIOR_SHARE` of the median class's clip
count, at most :data:`PRIOR_CLIPS` clips. A kind of sound that few of your examples show (less
evidence than α) goes to the background class: with bass,
drums and background recordings, speech and street noise are background even though no
background recording held them. At prediction time the model multiplies its trained head's
probabilities by the concepts' (:class:`earmark.model.SoundNet`); on the cross-domain benchmark
that product generalises further than the head alone (README, "How it learns").
"""

from __future__ import annotations

import numpy as np

from .errors import ParameterError

__all__ = ["PRIOR_CLIPS", "PRIOR_SHARE", "prior_weight", "concept_map"]

#: The evidence a concept needs before it leaves the background class: this share of a typical
#: (median) class's training clips, and never more than ``PRIOR_CLIPS`` clips' worth. A fixed
#: count would swamp a dataset of a few clips per class; a share alone would make a big dataset's
#: rare kinds of sound background however clearly a class shows them.
PRIOR_SHARE = 0.05
PRIOR_CLIPS = 5.0


def prior_weight(classes: np.ndarray, n_classes: int) -> float:
    """α for a training set whose clips have these class indices."""
    counts = np.bincount(np.asarray(classes), minlength=n_classes)
    return float(min(PRIOR_CLIPS, PRIOR_SHARE * np.median(counts)))


def concept_map(concept_probs: np.ndarray, classes: np.ndarray, *, n_classes: int, background: int,
                prior_clips: float | None = None) -> np.ndarray:
    """``p(class | concept)`` as a ``(n_concepts, n_classes)`` array whose rows sum to 1.

    ``concept_probs`` is ``(n_clips, n_concepts)``: each training clip's concept probabilities;
    ``classes`` the class index of each clip; ``background`` the background class's index;
    ``prior_clips`` is α (``None``: :func:`prior_weight`).
    """
    concept_probs = np.asarray(concept_probs, dtype=np.float64)
    classes = np.asarray(classes)
    if concept_probs.ndim != 2 or classes.shape != (concept_probs.shape[0],):
        raise ParameterError(f"need one row of concept probabilities per clip, got {concept_probs.shape} "
                             f"for {classes.shape} class indices")
    if classes.size and not (0 <= classes.min() and classes.max() < n_classes):
        raise ParameterError(f"class indices must be in [0, {n_classes}), got {classes.min()}..{classes.max()}")
    if not 0 <= background < n_classes:
        raise ParameterError(f"background must index one of the {n_classes} classes, got {background}")
    if prior_clips is None:
        prior_clips = prior_weight(classes, n_classes)
    if prior_clips <= 0:
        raise ParameterError(f"prior_clips must be positive, got {prior_clips}")
    evidence = np.zeros((concept_probs.shape[1], n_classes))
    np.add.at(evidence.T, classes, concept_probs)
    evidence[:, background] += prior_clips
    return evidence / evidence.sum(axis=1, keepdims=True)
