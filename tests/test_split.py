"""Tests for earmark.split: validation by recording, never by window (takes, copies, one-recording classes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import SR, clip, write_tone
from earmark.dataset import Clip, cut_recording, load_dataset
from earmark.errors import DatasetError, ParameterError
from earmark.evaluate import training_warnings
from earmark.split import split_by_source
from earmark.train import warning_facts


def many_sources() -> list[Clip]:
    """Three classes; some recordings cut into several clips (same source, different starts)."""
    clips = []
    for label in ("background", "bass", "drums"):
        for i in range(8):
            clips += [clip(label, f"{label}/{i}.wav", start_s=4.0 * k) for k in range(1 + i % 3)]
    return clips


def test_no_recording_lands_on_both_sides() -> None:
    clips = many_sources()
    train, val = split_by_source(clips, sample_rate=100, val_fraction=0.25, seed=0)
    assert {c.source for c in train}.isdisjoint({c.source for c in val})
    assert sorted(map(id, train + val)) == sorted(map(id, clips))  # every clip exactly once
    for label in ("background", "bass", "drums"):
        n_val = sum(c.label == label for c in val)
        assert 0 < n_val < sum(c.label == label for c in clips)  # each class on both sides


def test_the_same_sound_under_two_classes_is_found(tmp_path: Path) -> None:
    for k, folder in enumerate(("background", "bass", "drums")):
        for i in range(2):
            write_tone(tmp_path / folder / f"{i}.wav", freq_hz=100.0 * (k + 1) + 10 * i)
    sf.write(tmp_path / "drums" / "copy.flac", sf.read(tmp_path / "bass" / "1.wav")[0], SR)  # the same sound
    write_tone(tmp_path / "bass" / "again.wav", freq_hz=200.0)  # a copy of bass/0.wav in its own class: fine
    (tmp_path / "drums" / "linked").symlink_to(tmp_path / "background")  # a class folder linked into another
    ds = load_dataset(tmp_path, sample_rate=SR)
    groups = sorted(sorted(g) for g in ds.same_audio_in_classes())
    assert groups == [["background/0.wav", "drums/linked/0.wav"], ["background/1.wav", "drums/linked/1.wav"],
                      ["bass/1.wav", "drums/copy.flac"]]


def test_class_folders_that_differ_only_in_case_are_two_classes_with_a_warning(tmp_path: Path) -> None:
    """"Bass" beside "bass" is a mistake on a Mac, and chord classes "C" and "c" on Linux: both load,
    and the training report asks which it is."""
    for folder in ("background", "bass", "Bass", "drums"):
        write_tone(tmp_path / folder / "a.wav")
    ds = load_dataset(tmp_path, sample_rate=SR)
    assert ds.labels == ["background", "Bass", "bass", "drums"]
    [warning] = [w for w in training_warnings(warning_facts(ds)) if "case" in w]
    assert warning.startswith("The classes 'Bass' and 'bass' differ only in case: on macOS and Windows")


def test_a_take_with_clips_in_several_classes_stays_on_one_side(tmp_path: Path) -> None:
    """Speech Commands' layout: ``SPEAKER_nohash_N`` in every word's folder is one speaker, and a
    studio take relabelled in part has clips in two classes. Either is one recording: its clips,
    whatever their class, land on one side of the split."""
    for k, label in enumerate(("background", "bass", "drums")):
        for speaker in range(6):
            for n in range(2):
                write_tone(tmp_path / label / f"spk{speaker}_nohash_{n}.wav", freq_hz=110.0 * (k + 1) + speaker)
    write_tone(tmp_path / "bass" / "sub" / "spk0_nohash_0.wav")  # another place: another recording
    clips = load_dataset(tmp_path, sample_rate=SR).clips
    sides_seen = set()
    for seed in range(12):
        train, val = split_by_source(clips, sample_rate=SR, val_fraction=0.3, seed=seed)
        speakers = [{Path(c.source).name for c in side if "/sub/" not in c.source} for side in (train, val)]
        assert speakers[0].isdisjoint(speakers[1]), (seed, speakers)
        assert {c.label for c in train} == {c.label for c in val} == {"background", "bass", "drums"}
        sides_seen.add(frozenset(speakers[1]))
    assert len(sides_seen) > 1, "the seed still chooses which takes are held out"


def test_a_take_no_other_class_shares_splits_as_any_recording_does() -> None:
    """Takes and whole files mixed in a class (the studio's usual case): with no take shared
    between classes, the split is what it was before takes were grouped across classes."""
    def one_class(as_takes: bool) -> list[Clip]:
        clips = []
        for label in ("background", "bass"):
            for i in range(6):
                name = f"{label}/{label}-take{i}" if i % 2 else f"{label}/file{i}.wav"
                file = f"{name}_nohash_000.wav" if as_takes and i % 2 else ""
                clips += [Clip(samples=np.zeros(100, np.float32), label=label, source=name, start_s=k, file=file)
                          for k in range(1 + i % 3)]
        return clips

    for seed in range(25):
        split = [split_by_source(one_class(as_takes), sample_rate=100, val_fraction=0.3, seed=seed)
                 for as_takes in (True, False)]
        assert [[c.name.split("@")[0].replace("_nohash_000.wav", "") for c in side] for side in split[0]] == \
            [[c.source for c in side] for side in split[1]], seed


def test_a_class_whose_takes_other_classes_placed_still_trains_and_validates() -> None:
    """Class b holds two of the eight speakers of class a: whatever a chose for them, b keeps one
    recording on each side (the smallest goes over for b alone when a put both on one side)."""
    def take(label: str, speaker: int, n: int) -> Clip:
        return Clip(samples=np.zeros(100, np.float32), label=label, source=f"{label}/spk{speaker}",
                    file=f"{label}/spk{speaker}_nohash_{n}.wav", start_s=float(n))

    clips = [take("a", s, n) for s in range(8) for n in range(2)] + [take("b", s, 0) for s in (0, 1)]
    clips += [take("c", s, n) for s in range(3) for n in range(3)]
    for seed in range(40):
        train, val = split_by_source(clips, sample_rate=100, val_fraction=0.25, seed=seed)
        assert {c.label for c in train} == {c.label for c in val} == {"a", "b", "c"}, seed
        # c has fewer recordings than a: it chose first, and a follows it for speakers 0-2
        held = {id(c) for c in val}
        sides = {(c.label, c.source.split("/")[1]): id(c) in held for c in train + val}
        assert all(sides[("a", f"spk{s}")] == sides[("c", f"spk{s}")] for s in range(3)), seed


def test_copies_of_one_sound_in_a_class_stay_on_one_side_and_are_warned_about(tmp_path: Path) -> None:
    """A file uploaded to a class twice (``bass1.wav``, ``bass1-2.wav``) or copied in its folder is
    one recording: validation never scores a copy of a training clip, and training warns."""
    for k, label in enumerate(("background", "bass", "drums")):
        for i in range(6):
            write_tone(tmp_path / label / f"{label}{i}.wav", freq_hz=100.0 * (k + 1) + 7 * i)
            write_tone(tmp_path / label / f"{label}{i}-2.wav", freq_hz=100.0 * (k + 1) + 7 * i)  # the same sound
    write_tone(tmp_path / "drums" / "only.wav", freq_hz=990.0)
    ds = load_dataset(tmp_path, sample_rate=SR)
    for seed in range(10):
        train, val = split_by_source(ds.clips, sample_rate=SR, val_fraction=0.2, seed=seed)
        assert sorted(map(id, train + val)) == sorted(map(id, ds.clips))  # every clip exactly once
        learnt = {(c.label, c.fingerprint) for c in train}
        assert val and not [c.name for c in val if (c.label, c.fingerprint) in learnt], seed
        assert {c.label for c in train} == {c.label for c in val} == set(ds.labels), seed
    groups = ds.same_audio_in_one_class()
    assert len(groups) == 18 and ["bass/bass0-2.wav", "bass/bass0.wav"] in groups
    assert ds.same_audio_in_classes() == []
    [warning] = [w for w in training_warnings(warning_facts(ds)) if "one class" in w]
    assert warning.startswith("The same sound twice in one class, 18 times (background/background0-2.wav = "
                              "background/background0.wav; ")
    assert "; …): a file added twice is still one recording" in warning and warning.endswith("delete the copies")


def test_a_class_of_one_sound_copied_is_a_class_of_one_recording(tmp_path: Path) -> None:
    """Two copies of one take are one recording: the class is split in time, and said to be."""
    rng = np.random.default_rng(3)
    for name in ("background/take.wav", "bass/take.wav", "bass/other.wav"):  # noise: no two 4 s clips alike
        (tmp_path / name).parent.mkdir(exist_ok=True)
        sf.write(tmp_path / name, (0.1 * rng.standard_normal(13 * SR)).astype(np.float32), SR, subtype="PCM_16")
    for label in ("background", "bass"):
        (tmp_path / label / "take-2.wav").write_bytes((tmp_path / label / "take.wav").read_bytes())
    ds = load_dataset(tmp_path, sample_rate=SR)
    assert warning_facts(ds)["split_in_time"] == ["background"]
    assert warning_facts(ds)["same_audio_in_one_class"]["count"] == 6  # three clips of each copied take
    train, val = split_by_source(ds.clips, sample_rate=SR, val_fraction=0.25, seed=0)
    background_val = [c for c in val if c.label == "background"]
    assert background_val and all(c.start_s == 8.0 for c in background_val)  # the end of the take, both copies
    assert sorted(c.start_s for c in train if c.label == "background") == [0.0, 0.0, 4.0, 4.0]  # none overlaps it


def noise(seed: int, n: int = 100) -> np.ndarray:
    """A clip's samples that no other seed's are alike (so they have their own fingerprint)."""
    return (0.1 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


def test_a_class_of_one_recording_puts_every_clip_on_exactly_one_side() -> None:
    """A class split in time drops no clip from both sides, whether its one recording is a sound
    copied six times (every copy starts at 0 s), a take cut into six clips, or a take copied twice."""
    copies = [Clip(samples=noise(1), label="clap", source=f"clap/clap{'' if i == 0 else f'-{i}'}.wav")
              for i in range(6)]
    take = [Clip(samples=noise(10 + i), label="bass", source="bass/take.wav", start_s=float(i)) for i in range(6)]
    twice = [Clip(samples=noise(20 + i), label="drums", source=f"drums/{name}", start_s=float(i))
             for name in ("take.wav", "take-2.wav") for i in range(3)]
    for clips in (copies, take, twice):
        for fraction in (0.2, 0.5):
            train, val = split_by_source(clips, sample_rate=100, val_fraction=fraction, seed=0)
            assert sorted(map(id, train + val)) == sorted(map(id, clips)), (clips[0].label, fraction)
            assert not {c.fingerprint for c in train} & {c.fingerprint for c in val}  # no copy on both sides
    assert split_by_source(copies, sample_rate=100, val_fraction=0.2, seed=0) == (copies, [])
    train, val = split_by_source(twice, sample_rate=100, val_fraction=0.3, seed=0)
    assert [c.start_s for c in train] == [0.0, 0.0, 1.0, 1.0] and [c.start_s for c in val] == [2.0, 2.0]


def test_a_class_that_is_one_sound_copied_is_refused_with_what_to_add(tmp_path: Path) -> None:
    """Six copies of ``clap.wav`` reach the clip count, but are one sound: training is refused before
    it starts, saying to add different recordings; five sounds and a copy train (with a warning)."""
    for k, label in enumerate(("background", "bass")):
        for i in range(5):
            write_tone(tmp_path / label / f"{label}{i}.wav", freq_hz=100.0 * (k + 1) + 7 * i)
    for i in range(6):
        write_tone(tmp_path / "clap" / f"clap{'' if i == 0 else f'-{i}'}.wav", freq_hz=880.0)
    with pytest.raises(DatasetError, match=r"^class 'clap' is one sound copied 6 times; add at least 5 different "
                                           r"recordings \(or one longer recording\): copies of a file teach"):
        load_dataset(tmp_path, sample_rate=SR).check_trainable()
    write_tone(tmp_path / "clap" / "clap-1.wav", freq_hz=990.0)
    with pytest.raises(DatasetError, match=r"^class 'clap' has 6 clips but only 2 different sounds \(the rest are "
                                           r"copies of them\); add at least 5 different recordings"):
        load_dataset(tmp_path, sample_rate=SR).check_trainable()
    for i in range(2, 5):
        write_tone(tmp_path / "clap" / f"clap-{i}.wav", freq_hz=900.0 + 10 * i)
    assert load_dataset(tmp_path, sample_rate=SR).check_trainable() is None  # 5 sounds, one of them twice


def test_a_class_of_one_long_recording_of_a_repeating_sound_is_not_copies(tmp_path: Path) -> None:
    """A metronome recorded for 40 s is cut into 4 s clips that are all alike: they are moments of one
    recording, not copies of a file, and the class trains; six copies of one short file are still refused."""
    t = np.arange(SR) / SR
    beat = 0.5 * np.sin(2 * np.pi * 1500 * t) * np.exp(-t * 40)  # a tick a second
    rng = np.random.default_rng(5)
    for label, audio in (("metronome", np.tile(beat, 40)), ("background", 0.05 * rng.standard_normal(40 * SR))):
        (tmp_path / label).mkdir()
        sf.write(tmp_path / label / f"{label}.wav", audio.astype(np.float32), SR, subtype="PCM_16")
    ds = load_dataset(tmp_path, sample_rate=SR)
    ticks = [c for c in ds.clips if c.label == "metronome"]
    assert len(ticks) >= 5 and len({c.fingerprint for c in ticks}) == 1  # every clip the same sound
    assert ds.check_trainable() is None
    (tmp_path / "metronome" / "metronome-2.wav").write_bytes((tmp_path / "metronome" / "metronome.wav").read_bytes())
    assert load_dataset(tmp_path, sample_rate=SR).check_trainable() is None  # a copy of it adds nothing, takes nothing
    for i in range(6):
        write_tone(tmp_path / "clap" / f"clap{'' if i == 0 else f'-{i}'}.wav", freq_hz=880.0)
    with pytest.raises(DatasetError, match=r"^class 'clap' is one sound copied 6 times; add at least 5 different"):
        load_dataset(tmp_path, sample_rate=SR).check_trainable()


def test_a_take_joined_by_a_copy_stays_on_one_side_in_every_class() -> None:
    """Class a holds a copy of one sound in takes spk1 and spk2, which classes b and c hold clips of:
    the copy joins the two takes in every class, so each take (and the copy) is on one side everywhere,
    whatever sides b and c would have chosen alone."""
    def take(label: str, speaker: int, seed: int) -> Clip:
        return Clip(samples=noise(seed), label=label, source=f"{label}/spk{speaker}",
                    file=f"{label}/spk{speaker}_nohash_0.wav")

    clips = [take("a", 1, 1), take("a", 2, 1)]  # the same sound in both takes
    clips += [Clip(samples=noise(100 + i), label="a", source=f"a/own{i}.wav") for i in range(8)]
    for label, speaker in (("b", 1), ("c", 2)):
        clips += [take(label, speaker, 10 + speaker)]
        clips += [Clip(samples=noise(200 + 10 * speaker + i), label=label, source=f"{label}/own{i}.wav")
                  for i in range(4)]
    opposite = 0
    for seed in range(30):
        train, val = split_by_source(clips, sample_rate=100, val_fraction=0.3, seed=seed)
        assert sorted(map(id, train + val)) == sorted(map(id, clips))
        held = {id(c) for c in val}
        sides: dict[str, set[bool]] = {"spk1": set(), "spk2": set()}
        for c in clips:
            if c.file:
                sides[c.source.split("/")[1]].add(id(c) in held)
        assert sides["spk1"] == sides["spk2"] and len(sides["spk1"]) == 1, seed
        alone = [[c.label for c in side if c.file] for side in split_by_source(
            [c for c in clips if c.label != "a"], sample_rate=100, val_fraction=0.3, seed=seed)]
        opposite += "b" in alone[0] and "c" in alone[1] or "b" in alone[1] and "c" in alone[0]
    assert opposite  # some seeds: b and c alone put the two takes on opposite sides


def test_a_set_without_copies_in_a_class_splits_as_before_copies_were_joined() -> None:
    """Joining copies of a sound changes nothing where a class has none: distinct sounds split as
    silent clips do (silence has no fingerprint, so nothing can join), also with a sound shared by
    two classes (that is a mislabelling, warned about, not one recording)."""
    rng = np.random.default_rng(0)

    def clips(*, audible: bool) -> list[Clip]:
        out = []
        for label in ("background", "bass", "drums"):
            for i in range(7):
                name = f"{label}/{label}-take{i}" if i % 3 == 0 else f"{label}/file{i}.wav"
                file = f"{name}_nohash_000.wav" if i % 3 == 0 else ""
                for k in range(1 + i % 3):
                    noise = rng.standard_normal(100).astype(np.float32) * 0.1
                    if label == "drums" and i == 1:  # the same sound as bass/file1.wav
                        noise = out[7 + 1].samples
                    out.append(Clip(samples=noise if audible else np.zeros(100, np.float32), label=label,
                                    source=name, start_s=k, file=file))
        return out

    for seed in range(25):
        audible, silent = (split_by_source(clips(audible=a), sample_rate=100, val_fraction=0.3, seed=seed)
                           for a in (True, False))
        assert [[(c.source, c.start_s) for c in side] for side in audible] == \
            [[(c.source, c.start_s) for c in side] for side in silent], seed


def test_the_split_is_seeded() -> None:
    clips = many_sources()

    def names(seed: int) -> list[str]:
        return [c.name for c in split_by_source(clips, sample_rate=100, val_fraction=0.25, seed=seed)[1]]

    assert names(1) == names(1)
    assert any(names(seed) != names(1) for seed in range(2, 6))


def test_the_validation_share_follows_val_fraction() -> None:
    clips = [clip(lab, f"{lab}/{i}.wav") for lab in ("bass", "drums") for i in range(20)]
    _, val = split_by_source(clips, sample_rate=100, val_fraction=0.2, seed=3)
    assert sum(c.label == "bass" for c in val) == 4 and sum(c.label == "drums" for c in val) == 4


def sized_sources(label: str, sizes: list[int]) -> list[Clip]:
    """One recording per size, cut into that many clips."""
    return [clip(label, f"{label}/{i}.wav", start_s=4.0 * k) for i, n in enumerate(sizes) for k in range(n)]


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.3])
def test_the_validation_share_holds_with_recordings_of_unequal_length(fraction: float) -> None:
    clips = sized_sources("bass", [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 9])  # 51 clips
    for seed in range(20):
        _, val = split_by_source(clips, sample_rate=100, val_fraction=fraction, seed=seed)
        assert abs(len(val) / len(clips) - fraction) <= 0.05, (seed, len(val))


def test_a_big_recording_does_not_swamp_validation() -> None:
    clips = sized_sources("bass", [20] + [1] * 10)  # 30 clips: 6 are 20 %
    for seed in range(10):
        train, val = split_by_source(clips, sample_rate=100, val_fraction=0.2, seed=seed)
        assert len(val) == 6
        assert {c.source for c in train} >= {"bass/0.wav"}


def test_when_no_recording_fits_the_share_the_nearest_goes_to_validation() -> None:
    clips = sized_sources("bass", [10, 3, 12])  # 10 % is 2.5 clips; the 3-clip take is nearest
    for seed in range(5):
        _, val = split_by_source(clips, sample_rate=100, val_fraction=0.1, seed=seed)
        assert {c.source for c in val} == {"bass/1.wav"}


@pytest.mark.parametrize("fraction", [0.05, 0.5, 0.95])
def test_every_class_keeps_training_and_validation_data(fraction: float) -> None:
    rng = np.random.default_rng(0)
    for seed in range(30):
        labels = [f"class{i}" for i in range(4)]
        clips = [c for lab in labels
                 for c in sized_sources(lab, list(rng.integers(1, 10, size=rng.integers(2, 7))))]
        train, val = split_by_source(clips, sample_rate=100, val_fraction=fraction, seed=seed)
        assert {c.source for c in train}.isdisjoint({c.source for c in val})
        assert sorted(map(id, train + val)) == sorted(map(id, clips))
        assert {c.label for c in train} == set(labels) == {c.label for c in val}


def test_a_single_recording_is_split_in_time_with_no_overlap() -> None:
    """One long take per class, cut with overlap (clips 4 s every 2 s): validation gets the end,
    and no training clip reaches into it."""
    sr = 100
    take = np.arange(30 * sr, dtype=np.float32)
    clips = [Clip(samples=y, label="bass", source="bass/take.wav", start_s=s)
             for s, y in cut_recording(take, sample_rate=sr, clip_s=4.0, clip_hop_s=2.0)]
    assert len(clips) == 14  # starts 0, 2, ..., 26
    train, val = split_by_source(clips, sample_rate=sr, val_fraction=0.2, seed=0)
    assert [c.start_s for c in val] == [22.0, 24.0, 26.0]  # round(14 * 0.2) = 3, the last ones
    # 20-24 s would overlap validation (from 22 s): training stops with the clip that ends at 22 s
    assert [c.start_s for c in train] == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0]
    val_samples = {int(v) for c in val for v in c.samples}
    assert not val_samples & {int(v) for c in train for v in c.samples}  # not one sample shared


def test_a_class_of_two_clips_from_one_recording_keeps_one_for_training() -> None:
    clips = [clip("bass", "bass/take.wav", start_s=0.0), clip("bass", "bass/take.wav", start_s=1.0)]
    train, val = split_by_source(clips, sample_rate=100, val_fraction=0.8, seed=0)
    assert [c.start_s for c in train] == [0.0] and [c.start_s for c in val] == [1.0]


def test_a_class_of_one_clip_goes_to_training() -> None:
    only = clip("bass", "bass/one.wav")
    assert split_by_source([only], sample_rate=100, val_fraction=0.5, seed=0) == ([only], [])


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_val_fraction_must_be_between_0_and_1(fraction: float) -> None:
    with pytest.raises(ParameterError, match=rf"val_fraction must be between 0 and 1, got {fraction}"):
        split_by_source(many_sources(), sample_rate=100, val_fraction=fraction, seed=0)
