"""The validation split: **by recording, never by window**.

Whole recordings go to one side, per class. A take (``NAME_nohash_N`` files, see
:mod:`earmark.dataset`) is one recording under every class folder it is in, and copies of one
sound in a class (a file added twice) are one recording too; a class of a single recording is
split in time, with no training clip overlapping validation.
"""

from __future__ import annotations

import random
from collections import defaultdict

from .dataset import Clip, take_key
from .errors import ParameterError

__all__ = ["single_recording_classes", "split_by_source"]


def split_by_source(
    clips: list[Clip], *, sample_rate: int, val_fraction: float, seed: int
) -> tuple[list[Clip], list[Clip]]:
    """Split clips into train and validation **by source recording**, per class.

    Whole recordings go to one side. Per class, shuffled recordings go to validation while
    they fit within ``val_fraction`` of the class's clips; when none fits, the one closest in
    size to that share goes. Every class with two or more recordings keeps at least one for
    training and gives at least one to validation. A class with a single recording is split
    in time instead: its last clips go to validation and no training clip overlaps them.
    The same ``seed`` gives the same split.

    A take's clips (``NAME_nohash_N`` files) under the folders of several classes are one
    recording (part of a take relabelled; one speaker in Speech Commands): the class with the
    fewest recordings chooses its side first, and its clips in the other classes follow. Only
    where that would leave a class with every recording on one side does one of them (the
    smallest) go to the other side for that class alone.

    Copies of one sound in a class (:func:`~earmark.dataset.fingerprint`: a file added twice) are one recording, with
    their takes in every class (:func:`_copy_groups`), and a class of one recording keeps its copies
    together; a set without copies splits as it did before copies were joined.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ParameterError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    rng = random.Random(seed)
    by_label = _recordings(clips)
    # Shuffled in label order, as before takes were shared: a set without shared takes splits as it did.
    order: dict[str, list[str]] = {}
    for label in sorted(by_label):
        order[label] = sorted(by_label[label], key=lambda n: by_label[label][n][0].source)
        if len(order[label]) > 1:
            rng.shuffle(order[label])
    split: dict[str, tuple[list[Clip], list[Clip]]] = {}
    held_out: dict[str, bool] = {}  # a shared recording's side, once a class has chosen it
    for label in sorted(by_label, key=lambda lab: (len(by_label[lab]), lab)):
        sources, names = by_label[label], order[label]
        if len(names) == 1:
            split[label] = _split_in_time(sources[names[0]], sample_rate=sample_rate, val_fraction=val_fraction)
            continue
        chosen = _pick_validation({n: len(sources[n]) for n in names if n not in held_out}, val_fraction=val_fraction,
                                  decided={n: (len(sources[n]), held_out[n]) for n in names if n in held_out})
        sides = {n: held_out.setdefault(n, n in chosen) for n in names}
        if len(set(sides.values())) == 1:  # every recording decided on one side by other classes
            smallest = min(names, key=lambda n: (len(sources[n]), n))
            sides[smallest] = not sides[smallest]
        split[label] = ([c for n in names if not sides[n] for c in sources[n]],
                        [c for n in names if sides[n] for c in sources[n]])
    labels = sorted(split)
    return [c for lab in labels for c in split[lab][0]], [c for lab in labels for c in split[lab][1]]


def single_recording_classes(clips: list[Clip]) -> list[str]:
    """The classes whose clips all come from one recording: :func:`split_by_source` splits them in
    time, so their validation clips are the end of the very recording they trained on."""
    return sorted(label for label, found in _recordings(clips).items() if len(found) == 1)


def _recordings(clips: list[Clip]) -> dict[str, dict[str, list[Clip]]]:
    """Each class's recordings (``name: clips``), as :func:`split_by_source` keeps them together:
    a take's clips (:func:`take_key`), and takes joined by copies of one sound (:func:`_copy_groups`)."""
    by_label: dict[str, dict[str, list[Clip]]] = defaultdict(lambda: defaultdict(list))
    for c in clips:
        by_label[c.label][take_key(c)].append(c)
    group = _copy_groups(by_label)
    if all(group.get(name, name) == name for takes in by_label.values() for name in takes):
        return by_label
    joined: dict[str, dict[str, list[Clip]]] = defaultdict(lambda: defaultdict(list))
    for label, takes in by_label.items():
        for name, found in takes.items():
            joined[label][group.get(name, name)].extend(found)
    return joined


def _copy_groups(by_label: dict[str, dict[str, list[Clip]]]) -> dict[str, str]:
    """The group (``take: name``, the name that sorts first) of every take with copies of a sound
    (:func:`~earmark.dataset.fingerprint`: a file added to a class twice, a duplicate in its folder) in the same class
    as another take. A group is one recording in every class, so a take shared by classes is never
    on two sides, and copies never are either; a sound under two classes joins nothing (a mislabelling)."""
    lead: dict[str, str] = {}

    def leader(name: str) -> str:
        while lead.get(name, name) != name:
            name = lead[name]
        return name

    for takes in by_label.values():
        first_with: dict[str, str] = {}
        for name, found in takes.items():
            for c in found:
                if (fp := c.fingerprint) is not None:
                    a, b = leader(first_with.setdefault(fp, name)), leader(name)
                    lead[max(a, b)] = lead[min(a, b)] = min(a, b)
    return {name: leader(name) for name in lead}


def _pick_validation(sizes: dict[str, int], *, val_fraction: float,
                     decided: dict[str, tuple[int, bool]] | None = None) -> set[str]:
    """Recordings (in ``sizes``' order, already shuffled) to hold out: with those ``decided``
    before (``name: (size, held out)``, takes shared with another class), about ``val_fraction``
    of the class, at least one held out and never all, where the free recordings allow it."""
    decided = decided or {}
    target = val_fraction * (sum(sizes.values()) + sum(size for size, _ in decided.values()))
    taken = sum(size for size, out in decided.values() if out)
    kept = sum(not out for _, out in decided.values())
    chosen: set[str] = set()
    for name, size in sizes.items():
        if not kept and len(chosen) == len(sizes) - 1:
            break
        if taken + size <= target:
            chosen.add(name)
            taken += size
    if sizes and not chosen and not any(out for _, out in decided.values()) and (kept or len(sizes) > 1):
        # every recording is bigger than the share: take the one nearest to it
        chosen.add(min(sizes, key=lambda n: abs(sizes[n] - target)))
    return chosen


def _split_in_time(
    clips: list[Clip], *, sample_rate: int, val_fraction: float
) -> tuple[list[Clip], list[Clip]]:
    """A class of one recording: its last clips to validation, the earlier ones that end before
    them to training. Clips that start together (copies of the recording) are one block, on one side."""
    blocks: dict[float, list[Clip]] = defaultdict(list)
    for c in sorted(clips, key=lambda c: c.start_s):
        blocks[c.start_s].append(c)
    starts = list(blocks)
    # At least one block on each side (when there are two or more).
    n_val = min(max(1, int(round(len(starts) * val_fraction))), len(starts) - 1)
    if n_val < 1:
        return [c for s in starts for c in blocks[s]], []
    boundary = starts[-n_val]
    train = [c for s in starts[:-n_val] for c in blocks[s]
             if c.start_s + c.samples.shape[-1] / sample_rate <= boundary + 1e-6]  # none overlaps validation
    return train, [c for s in starts[-n_val:] for c in blocks[s]]
