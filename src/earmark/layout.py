"""What a folder of classes should look like, and the message when it does not: which folder names
mean the background-noise class (and what class a folder holds), which mean room noise under
another name, and the refusal of a set whose top-level folders hold class folders rather than a
class's audio (a test set put inside the training data, a folder of ``train/`` and ``test/``),
each naming the folder to give or to rename: to ``earmark train`` and ``earmark evaluate``, or, in
the studio, the folder to choose as the test set.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .errors import DatasetError

__all__ = ["BACKGROUND_LABEL", "Caller", "LayoutError", "Nesting", "check_background", "check_layout",
           "is_background_name", "label_of"]

#: The canonical label of the background-noise class, whatever its folder is called.
BACKGROUND_LABEL = "background"
_BACKGROUND_NAMES = {"background", "background noise", "background_noise", "_background_noise_",
                     "background-noise", "backgroundnoise"}
#: Class names (:func:`_squash`-ed) that mean room noise, not a sound: a set without a background
#: class that has one is told to rename it.
_NOISE_NAMES = {"noise", "noises", "room noise", "room", "room tone", "roomtone", "silence", "quiet", "ambience",
                "ambient", "ambient noise", "ambiance", "bg", "bg noise", "nothing", "no sound", "empty"}
#: Folder names (:func:`_squash`-ed) of the parts a set is split into; a test set, its own folder per class.
_TRAIN_NAMES = {"train", "training", "train set", "trainset", "training set", "training data"}
_TEST_NAMES = {"test", "tests", "testing", "test set", "testset", "eval", "evaluation", "holdout", "held out"}
_SPLIT_NAMES = _TRAIN_NAMES | _TEST_NAMES | {"val", "valid", "validation", "dev"}


def is_background_name(name: str) -> bool:
    """True for folder names that mean the background-noise class."""
    return name.strip().lower() in _BACKGROUND_NAMES


def _squash(name: str) -> str:
    """A folder name as the name lists above hold it: lower case, ``_`` and ``-`` as spaces."""
    return " ".join(name.replace("_", " ").replace("-", " ").lower().split())


def label_of(folder: str) -> str:
    """The class a class folder called ``folder`` holds: :data:`BACKGROUND_LABEL` for a background
    folder, else its name, composed (NFC), as :func:`earmark.naming.clean_name` writes a class name:
    a folder named on a Mac (decomposed, ``cafe`` and an accent) is the class its name reads as,
    the same one as its zip and as a folder of that name beside it."""
    return BACKGROUND_LABEL if is_background_name(folder) else unicodedata.normalize("NFC", folder)


def check_background(labels: Iterable[str], *, where: str = "") -> None:
    """Raise :class:`DatasetError` when ``labels`` (a set's classes, in order) have no background
    class, asking to rename a folder of room noise (``noise``, ``silence``, ``ambience``) when
    there is one, else to add a ``background`` folder. ``where`` ends the first clause (`` in ROOT``)."""
    labels = list(labels)
    if BACKGROUND_LABEL in labels:
        return
    noise = [label for label in labels if _squash(label) in _NOISE_NAMES]
    todo = (f"if {noise[0]!r} holds recordings of the room with none of your sounds playing, rename its "
            "folder to 'background' (earmark's name for that class)" if noise else "add a folder named "
            "'background' holding recordings of the room with none of your sounds playing")
    raise DatasetError(f"no background class{where} (its classes: {', '.join(labels)}): {todo}")


#: Who a refusal of :func:`check_layout` is worded for: the ``earmark`` command (and Python), or the
#: studio's page, where a test set is chosen to be scored.
Caller = Literal["cli", "studio"]


class LayoutError(DatasetError):
    """:func:`check_layout`'s refusal: a set whose top-level folders hold class folders. Its message is
    worded for its caller; :meth:`reworded` words it for another (the studio, which sees the refusal
    only through :func:`earmark.evaluate.evaluate`)."""

    def __init__(self, message: str, *, nesting: Nesting) -> None:
        super().__init__(message)
        self.nesting = nesting

    def reworded(self, *, caller: Caller, name: str | None = None) -> DatasetError:
        """The same refusal worded for ``caller``, naming the set ``name`` (``the folder you chose
        (demo/)``; default: its path, as the command names it), as the :class:`DatasetError` a
        caller reports (the studio answers with its class's name)."""
        return DatasetError(_refusal(self.nesting, caller=caller, name=name))


@dataclass(frozen=True)
class Nesting:
    """What :func:`check_layout` found: the top-level folders holding class folders (each: those
    folders), how many top-level folders there are, and the set as given (``zipped``: a zip, whose
    folders are named as inside it)."""

    nested: dict[str, list[str]]
    n_tops: int
    root: Path
    zipped: bool


def check_layout(folder: Path, files: list[tuple[Path, str]], *, root: Path, caller: Caller = "cli",
                 name: str | None = None) -> None:
    """Refuse a set whose top-level folders hold class folders, not a class's audio: a test set
    put inside the training data (``wt/test/bass``), or a folder of ``train/`` and ``test/``. A
    class's own subfolders (``bass/session 2/``) are its recordings, as ever.

    ``files`` are the ``(audio_path, label)`` pairs found under ``folder``; ``root`` is what the
    user gave (``folder`` itself, or the zip it was unpacked from). The :class:`LayoutError` says
    what to do as ``caller`` words it: the command names ``root`` (``data/``, ``data.zip``) and what
    to give to ``earmark train`` and ``earmark evaluate``; the studio names the set ``name`` (the
    folder or zip chosen) and which folder to choose as the test set."""
    inner: dict[str, set[str]] = defaultdict(set)  # each top-level folder: its subfolders holding audio
    for path, _ in files:
        top, *below = path.relative_to(folder).parts
        inner[top].update(below[:1] if len(below) > 1 else [])
    tops = {label_of(top).casefold() for top in inner}
    nested = {top: sorted(subs, key=str.casefold) for top, subs in sorted(inner.items())
              if (len(subs) > 1 and (any(is_background_name(s) for s in subs) or _squash(top) in _SPLIT_NAMES
                                     or len(_siblings(subs, top, tops)) > 1))
              # a test/ folder of one class's folder is a test set too (test/bass beside bass/)
              or (_squash(top) in _SPLIT_NAMES and (any(is_background_name(s) for s in subs)
                                                    or _siblings(subs, top, tops)))}
    if not nested or len(inner) == 1:  # one folder of classes: check_trainable says there is one class
        return
    nesting = Nesting(nested, n_tops=len(inner), root=root, zipped=folder != root)
    raise LayoutError(_refusal(nesting, caller=caller, name=name), nesting=nesting)


def _siblings(subs: set[str], top: str, tops: set[str]) -> set[str]:
    """Which of ``top``'s subfolders ``subs`` are named as another top-level folder (a class) is."""
    return {label_of(s).casefold() for s in subs} - {label_of(top).casefold()} & tops


def _refusal(nesting: Nesting, *, caller: Caller, name: str | None) -> str:
    """:func:`check_layout`'s message, worded for ``caller``."""
    nested, root, zipped = nesting.nested, nesting.root, nesting.zipped
    shown = name or (str(root) if zipped else f"{root}/")  # a folder with its slash, a zip as it is named
    if len(nested) == nesting.n_tops:  # every folder is a set of its own: say which is which
        names = [f"{top}/" for top in sorted(nested, key=lambda t: (_squash(t) not in _TRAIN_NAMES,
                                                                     _squash(t) in _TEST_NAMES, t))]
        held = f"{', '.join(names[:-1])} and {names[-1]}, each with class folders"
        tests = [t for t in nested if _squash(t) in _TEST_NAMES]
        if caller == "studio":
            which = f"its {tests[0]}/ folder" if len(tests) == 1 else "one of them"
            return f"{shown} holds {held}: choose {which} (or a zip of it) as the test set"
        return f"{shown} holds {held}: {_give_train(nested, tests, root=root, zipped=zipped)}"
    top, subs = next(iter(nested.items()))
    if caller == "studio":
        where = f"{top}/ in {shown}"
        tail = (f"a test set holds one folder per class: choose {top}/ on its own (or a zip of it) as the test set"
                if _squash(top) in _TEST_NAMES else
                f"move {top}/ out of it, or its folders' files into the class folders they belong to, and choose "
                "it again")
    else:
        where = f"{top}/ in {root}" if zipped else f"{root}/{top}/"
        tail = _cli_tail(top, root=root, zipped=zipped)
    return f"{where} holds class folders ({', '.join(subs)}), not audio of a class {label_of(top)!r}: {tail}"


def _place(name: str, *, root: Path, zipped: bool) -> str:
    """A folder of the set, as the command is to be given it."""
    return f"{name}/ on its own (a zip of it)" if zipped else f"{root}/{name}"


def _give_train(nested: dict[str, list[str]], tests: list[str], *, root: Path, zipped: bool) -> str:
    """What the command is to be given of a folder of sets: which to train on, which to evaluate with."""
    trains = [t for t in nested if _squash(t) in _TRAIN_NAMES] or [t for t in nested if _squash(t) not in _SPLIT_NAMES]
    give = f"give {_place(trains[0], root=root, zipped=zipped)} to train" if len(trains) == 1 else \
        "give one of them to train"
    if not tests:
        return give
    return f"{give} (and {tests[0] + '/' if zipped else _place(tests[0], root=root, zipped=zipped)} to " \
           "`earmark evaluate`)"


def _cli_tail(top: str, *, root: Path, zipped: bool) -> str:
    """What the command is to do with a folder of classes inside a set: move it out, or evaluate with it."""
    if _squash(top) not in _TEST_NAMES:
        return f"move {top}/ out of {root}, or its folders' files into the class folders they belong to"
    if zipped:
        return f"a test set goes beside the training data, not in it (take {top}/ out of {root}, and " \
               "evaluate with `earmark evaluate MODEL` on it)"
    return f"a test set goes beside the training data, not in it (give {root}/ without {top}/, and " \
           f"evaluate with `earmark evaluate MODEL {_place(top, root=root, zipped=zipped)}`)"
