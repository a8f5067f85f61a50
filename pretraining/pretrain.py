"""Pretrain the backbone that earmark ships (see README.md here).

Usage: python pretraining/pretrain.py CORPUS_DIR OUT.safetensors [--steps N] [--seed S]
           [--exclude PREFIX...] [--no-synthetic-voices] [--concepts-only BACKBONE.safetensors]

The backbone's name is the output file's stem (earmark refuses a file whose name and
metadata disagree).

A SoundNet of the default architecture and front end learns 20 classes from the corpus
that ``make_corpus.py`` renders: the 16 General MIDI instrument families, drum kits,
speech, everyday sounds, and ambience (earmark's own synthetic room tone and events, no
voices, and recorded ambience where the corpus has some).
Every example goes through earmark's own training augmentation (shortened notes, the
instrument chain, noise at 0-35 dB SNR, random gain, random EQ and SpecAugment masks),
so the features it learns are the ones training on a user's examples needs. The weights
kept are an exponential moving average (``earmark.train.update_ema``, which copies a frozen
body rather than averaging it); the classifier head is kept as the backbone's concept head
(``concepts.*``), and the file's metadata describes the backbone (:mod:`earmark.backbone`).
``--concepts-only`` keeps a finished backbone's body exactly and trains only a new concept
head on it.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

import earmark
from earmark import ambience
from earmark.augment import Shorten, default_chain
from earmark.backbone import CONCEPT_KEYS, weights_digest
from earmark.examples import feature_augment
from earmark.features import FeatureConfig
from earmark.model import ArchSpec, build_model
from earmark.train import update_ema

FAMILIES = ("piano", "chromatic percussion", "organ", "guitar", "bass", "strings", "ensemble", "brass", "reed",
            "pipe", "synth lead", "synth pad", "synth effects", "ethnic", "percussive", "sound effects")
CLASSES = (*FAMILIES, "drum kit", "speech", "everyday sounds", "ambience")
DRUMS, SPEECH, FOLEY, AMBIENCE = 16, 17, 18, 19
EVENTS = (ambience.texture, ambience.chirps, ambience.knocks, ambience.swells)
BATCH = 64
HUM_CHANCE = 0.3  # default share of ambience windows with mains hum or buzz, often as loud as the room


def mains_hum(n: int, *, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Mains hum (50 or 60 Hz) or transformer buzz (100 or 120 Hz) with random harmonics, sometimes clipped
    into a buzz; unit RMS. Steady, pitched and low, it is what a room sounds like, not a bass note."""
    t = np.arange(n) / sample_rate
    base = float(rng.choice([50.0, 60.0])) * float(rng.choice([1, 1, 2]))
    tilt = rng.uniform(0.5, 2.0)
    y = sum(rng.uniform(0.2, 1.0) / k**tilt * np.sin(2 * np.pi * base * k * t + rng.uniform(0, 2 * np.pi))
            for k in range(1, 9))
    y = np.asarray(y)
    if rng.random() < 0.3:
        y = np.tanh(rng.uniform(1, 8) * y / (np.abs(y).max() + 1e-9))
    return y / (np.sqrt(np.mean(y**2)) + 1e-9)


def load_corpus(folder: Path, *, exclude: tuple[str, ...] = ()) -> dict[int, list[np.ndarray]]:
    """Renders by class: ``prog_<font>_<program>`` → its family, ``kit_*`` → drums, ``speech_*`` → speech,
    ``foley_*`` → everyday sounds, ``amb_*`` → ambience; names starting with one of ``exclude`` are left out."""
    corpus: dict[int, list[np.ndarray]] = {}
    for f in sorted(folder.glob("*.npy")):
        if f.stem.startswith(exclude):
            continue
        kind, _, number = f.stem.split("_")
        k = {"prog": int(number) // 8, "kit": DRUMS, "speech": SPEECH, "foley": FOLEY, "amb": AMBIENCE}[kind]
        corpus.setdefault(k, []).append(np.load(f).astype(np.float32) / 32767)
    missing = [CLASSES[k] for k in range(AMBIENCE) if k not in corpus]
    if missing:
        raise SystemExit(f"the corpus in {folder} has nothing for {missing}; run make_corpus.py first")
    return corpus


class Examples(torch.utils.data.IterableDataset[tuple[torch.Tensor, torch.Tensor]]):
    """Endless class-balanced batches of augmented one-second windows."""

    def __init__(self, corpus: dict[int, list[np.ndarray]], *, sample_rate: int, seed: int,
                 synthetic_voices: bool = True, hum_chance: float = HUM_CHANCE) -> None:
        self.corpus, self.sr, self.n, self.seed = corpus, sample_rate, sample_rate, seed
        self.synthetic_voices, self.hum_chance = synthetic_voices, hum_chance

    def ambience(self, rng: np.random.Generator) -> np.ndarray:
        """Half the time a recorded ambience (when the corpus has some), else synthetic room tone; plus events."""
        if AMBIENCE in self.corpus and rng.random() < 0.5:
            src = self.corpus[AMBIENCE][int(rng.integers(len(self.corpus[AMBIENCE])))]
            start = int(rng.integers(0, src.shape[0] - self.n))
            y = src[start : start + self.n] / (np.sqrt(np.mean(src[start : start + self.n] ** 2)) + 1e-6)
            y = y + ambience.synthetic_noise(self.n, sample_rate=self.sr, rng=rng) * 10 ** (rng.uniform(-40, -10) / 20)
        else:
            y = ambience.synthetic_noise(self.n, sample_rate=self.sr, rng=rng)
        if self.hum_chance > 0 and rng.random() < self.hum_chance:  # 0 draws nothing: older recipes replay
            y = y / (np.sqrt(np.mean(y**2)) + 1e-9) + mains_hum(self.n, sample_rate=self.sr, rng=rng) * 10 ** (
                rng.uniform(-20, 6) / 20)
        for _ in range(int(rng.choice([0, 1, 1, 2]))):
            event = EVENTS[int(rng.integers(len(EVENTS)))]
            y = y + event(self.n, sample_rate=self.sr, rng=rng) * 10 ** (rng.uniform(-12, 12) / 20)
        return y / (np.abs(y).max() + 1e-9)

    def crop(self, k: int, rng: np.random.Generator) -> np.ndarray:
        for _ in range(4):  # skip the rests between notes
            src = self.corpus[k][int(rng.integers(len(self.corpus[k])))]
            start = int(rng.integers(0, src.shape[0] - self.n))
            y = src[start : start + self.n]
            if np.sqrt(np.mean(y**2)) > 0.01:
                break
        return y

    def example(self, k: int, rng: np.random.Generator, chain: earmark.augment.Chain, shorten: Shorten) -> np.ndarray:
        if k == AMBIENCE:
            y = self.ambience(rng)
        else:
            if k == SPEECH and self.synthetic_voices and rng.random() < 0.2:  # earmark's voices are speech too
                y = ambience.voices(self.n, sample_rate=self.sr, rng=rng)
            else:
                y = self.crop(k, rng)
            if k == SPEECH and rng.random() < 0.3:  # a few talkers at once
                for _ in range(int(rng.integers(1, 4))):
                    y = y + self.crop(SPEECH, rng) * rng.uniform(0.3, 1.0)
            if k < DRUMS:
                y = shorten(y, sample_rate=self.sr, rng=rng)
            y = chain(y, sample_rate=self.sr, rng=rng)[: self.n]
            y = np.pad(y, (0, self.n - y.shape[0]))
            if rng.random() < 0.85:
                noise = self.ambience(rng)
                snr_db = rng.uniform(0, 35)
                y = y / (np.sqrt(np.mean(y**2)) + 1e-9) + noise / (np.sqrt(np.mean(noise**2)) + 1e-9) * 10 ** (
                    -snr_db / 20)
        return (y * 10 ** (rng.uniform(-30, 0) / 20) / (np.abs(y).max() + 1e-9)).astype(np.float32)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        rng = np.random.default_rng(self.seed)
        chain, shorten = default_chain(), Shorten(p=0.3)
        while True:
            ks = rng.integers(0, len(CLASSES), size=BATCH)
            x = np.stack([self.example(int(k), rng, chain, shorten) for k in ks])
            yield torch.from_numpy(x), torch.from_numpy(ks.astype(np.int64))


# sources added to the corpus after the first body, by render-name prefix: named in a file's description
# unless ``--exclude`` left them out
LATER_SOURCES = {
    "prog_csound_": "GM programs and kits from csound's GM bank",
    "prog_analog": "synth-bass lines from earmark's own synthesiser",
    "prog_sonicpi_": "Sonic Pi's bass samples as phrases",
    "kit_sonicpi_": "Sonic Pi's drums as grooves",
    "foley_crowd_": "synthetic audiences over recorded chatter",
}


def _describe(args: argparse.Namespace, corpus: dict[int, list[np.ndarray]]) -> str:
    renders = sum(len(v) for v in corpus.values())
    sources = ("GM programs 0-127 as phrases from MuseScore General, FluidR3 and OPL-3 FM, 8 drum kits from each, "
               "flite speech, everyday sound effects from minetest, colobot and extremetuxracer")
    sources += "".join(f", {what}" for prefix, what in LATER_SOURCES.items() if prefix not in args.exclude)
    if AMBIENCE in corpus:  # the recordings added for the concept head came together
        sources += (", recorded speech from Warzone 2100 and Hedgewars, everyday sounds from Widelands and "
                    "Hedgewars, recorded ambience from MegaGlest")
    hum = f", mains hum in {args.hum_chance:.0%} of its windows" if args.hum_chance > 0 else ""
    what = (f"{args.steps} steps x {BATCH} augmented 1 s windows (seed {args.seed}) of {renders} renders: {sources}; "
            f"plus earmark's synthetic ambience{hum}")
    if args.concepts_only:
        what = f"{args.concepts_only.stem}'s frozen body; its concept head alone trained on {what}"
    return f"{what}; earmark {earmark.__version__}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--exclude", nargs="*", default=[], metavar="PREFIX",
                    help="leave out renders whose names start with these prefixes")
    ap.add_argument("--no-synthetic-voices", action="store_true",
                    help="leave earmark's synthetic voices out of the speech class (as gm-families-v1 was trained)")
    ap.add_argument("--concepts-only", type=Path, metavar="BACKBONE.safetensors",
                    help="keep this backbone's body frozen and train only its concept head")
    ap.add_argument("--hum-chance", type=float, default=HUM_CHANCE, metavar="P",
                    help=f"share of ambience windows given mains hum or buzz (default {HUM_CHANCE}; "
                         "gm-families-v4's body was trained with 0)")
    args = ap.parse_args()
    if not 0.0 <= args.hum_chance <= 1.0:
        raise SystemExit(f"--hum-chance must be between 0 and 1, got {args.hum_chance}")
    features, arch = FeatureConfig(), ArchSpec()
    corpus = load_corpus(args.corpus, exclude=tuple(args.exclude))
    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, (torch.get_num_threads() or 2) - 1))
    model = build_model(n_classes=len(CLASSES), features=features, arch=arch)
    if args.concepts_only:
        body = {k: v for k, v in load_file(str(args.concepts_only)).items() if k not in CONCEPT_KEYS}
        missing, unexpected = model.load_state_dict(body, strict=False)
        if unexpected or any(not k.startswith("head.") for k in missing):
            raise SystemExit(f"{args.concepts_only} is not a backbone of this network ({(unexpected or missing)[0]})")
        for name, p in model.named_parameters():
            p.requires_grad_(name.startswith("head."))
    ema = copy.deepcopy(model).eval()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=3e-3, weight_decay=1e-3)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=3e-3, total_steps=args.steps, pct_start=0.1)
    examples = Examples(corpus, sample_rate=features.sample_rate, seed=args.seed,
                        synthetic_voices=not args.no_synthetic_voices, hum_chance=args.hum_chance)
    batches = torch.utils.data.DataLoader(examples,
                                          batch_size=None, num_workers=1, prefetch_factor=4)
    rng, loss_fn = np.random.default_rng(args.seed), nn.CrossEntropyLoss(label_smoothing=0.05)
    started, accuracy = time.time(), []
    for step, (x, y) in zip(range(args.steps), batches):
        model.train(not args.concepts_only)  # a frozen body keeps its batch-norm statistics too
        with torch.no_grad():
            feats = feature_augment(model.frontend.raw(x), rng)
        logits = model.forward_features(feats)
        loss = loss_fn(logits, y)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        # a frozen body is copied, not averaged: the file keeps it exactly as it was
        update_ema(ema, model, decay=min(0.99, (1 + step) / (10 + step)), only="head." if args.concepts_only else "")
        accuracy.append(float((logits.argmax(1) == y).float().mean()))
        if step % 200 == 0 or step == args.steps - 1:
            print(f"step {step}: loss {loss.item():.3f}, accuracy (last 200) {np.mean(accuracy[-200:]):.3f}, "
                  f"{time.time() - started:.0f} s", flush=True)
    # the classifier head is kept as the backbone's concept head: what kind of sound a window is
    tensors = {(f"concepts.{k[5:]}" if k.startswith("head.") else k): v.contiguous()
               for k, v in ema.state_dict().items()}
    meta = {"name": args.out.stem, "arch": json.dumps(arch.to_dict()), "features": json.dumps(features.to_dict()),
            "classes": json.dumps(CLASSES), "weights_sha256": weights_digest(tensors),
            "trained_on": _describe(args, corpus), "earmark_version": earmark.__version__}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(args.out), metadata=meta)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB) in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
