"""A feature-level CTC domain for benchmarking the core alone: inputs are [T, F] float features, the
frontend is the identity, so every measured millisecond belongs to the trainer, batching or backbone."""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import torch
from torch import nn

from suite.domain import Domain, StrictModel
from suite.errors import CorruptSample

ALPHABET = "abcdefghijklmnopqrstuvwxyz' "  # 28 symbols, like an English character model


class Features(StrictModel):
    dim: int = 80


class Augment(StrictModel):
    pass


class Identity(nn.Module):
    def forward(self, x, lengths):
        return x, lengths


def load(path: str, features: Features, augment, rng: random.Random) -> torch.Tensor:
    try:
        return torch.from_numpy(np.load(path, allow_pickle=False)).float()
    except (OSError, ValueError) as err:
        raise CorruptSample(f"not a readable .npy array ({type(err).__name__})", path) from None


CTC = Domain(name="bench-ctc", task="ctc", input_key="audio", target_key="text", features_config=Features,
             augment_config=Augment, load=load, build_frontend=lambda f, a, m=None: (Identity(), f.dim),
             normalize_target=str.lower, estimate_length=lambda p, f: int(np.load(p, mmap_mode="r").shape[0]),
             time_step_seconds=lambda f: 0.01)


def random_text(rng: random.Random, n_chars: int) -> str:
    letters = ALPHABET.strip()
    words, size = [], 0
    while size < n_chars:
        w = "".join(rng.choice(letters) for _ in range(rng.randint(2, 8)))
        words.append(w)
        size += len(w) + 1
    return " ".join(words)[:n_chars].strip() or "a"


def speech_like_lengths(n: int, seed: int, lo: int = 100, hi: int = 1500) -> list[int]:
    """Utterance lengths in 10 ms frames, log-normal like read speech (median ~4 s), clipped to [lo, hi]."""
    rng = np.random.default_rng(seed)
    return np.clip(rng.lognormal(np.log(400), 0.5, size=n), lo, hi).astype(int).tolist()


def write_set(folder: Path, lengths: list[int], dim: int, seed: int) -> Path:
    """.npy feature files and a manifest (text ~1 character per 8 frames, every vocabulary symbol used)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    gen = np.random.default_rng(seed)
    lines = []
    for i, n in enumerate(lengths):
        name = f"u{i:05d}.npy"
        np.save(folder / name, gen.standard_normal((n, dim), dtype=np.float32))
        text = ALPHABET.strip() + " '" if i == 0 else random_text(rng, max(1, n // 8))
        lines.append({"audio": name, "text": text, "length": n})
    (folder / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    return folder / "manifest.jsonl"
