"""Two tiny domains over .npy files, for testing the core without audio, video or ink.

``tests.toy_domain:CTC`` reads [T, F] feature arrays with a text target; ``tests.toy_domain:CLASSIFY`` reads
[T, 3, H, W] clips with a label. Data generators make learnable synthetic sets.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import torch
import yaml
from torch import nn

from suite.domain import Domain, StrictModel, lazy
from video.model_config import VideoModel
from suite.errors import CorruptSample

FEATURES = 8


class ToyFeatures(StrictModel):
    scale: float = 1.0


class ToyAugment(StrictModel):
    noise: float = 0.0


def load_npy(path: str, features, augment, rng: random.Random) -> torch.Tensor:
    try:
        x = torch.from_numpy(np.load(path, allow_pickle=False)).float() * features.scale
    except (OSError, ValueError) as err:
        raise CorruptSample(f"not a readable .npy array ({type(err).__name__})", path) from None
    if augment is not None and augment.noise:
        x = x + augment.noise * torch.randn(x.shape, generator=torch.Generator().manual_seed(rng.randrange(2**31)))
    return x


class Identity(nn.Module):
    def forward(self, x, lengths):
        return x, lengths


def ctc_frontend(features, augment, model=None):
    return Identity(), FEATURES


def clip_frontend(features, augment, model=None):
    """The video domain's per-frame CNN on raw float clips (no pixel normalisation)."""
    from video.config import VideoFeatures
    from video.frontend import VideoFrontend
    from video.model_config import VideoModel

    model = model or VideoModel()
    return VideoFrontend(VideoFeatures(mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)), model), model.feature_dim


CTC = Domain(name="toy-ctc", task="ctc", input_key="audio", target_key="text", features_config=ToyFeatures,
             augment_config=ToyAugment, load=load_npy, build_frontend=ctc_frontend,
             normalize_target=str.lower, estimate_length=lambda p, f: int(np.load(p, mmap_mode="r").shape[0]),
             time_step_seconds=lambda f: 0.01)
CLASSIFY = Domain(name="toy-classify", task="classify", input_key="video", target_key="label",
                  features_config=ToyFeatures, augment_config=ToyAugment, load=load_npy, build_frontend=clip_frontend,
                  model_config=VideoModel, precompute=lazy("video.feature_cache:precompute"))


def make_ctc_set(folder: Path, n: int, seed: int, alphabet: str = "abcd") -> Path:
    """Each character is a fixed noisy pattern held 2-4 frames; words are separated by quiet frames."""
    patterns = np.random.default_rng(0).normal(size=(len(alphabet), FEATURES)) * 2
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(n):
        words = ["".join(rng.choice(list(alphabet), size=rng.integers(1, 4))) for _ in range(rng.integers(1, 3))]
        frames = [np.zeros((2, FEATURES))]
        for w in words:
            for c in w:
                k = alphabet.index(c)
                frames.append(patterns[k] + 0.3 * rng.normal(size=(rng.integers(2, 5), FEATURES)))
                frames.append(np.zeros((1, FEATURES)))
            frames.append(np.zeros((3, FEATURES)))
        x = np.concatenate(frames).astype(np.float32)
        name = f"utt{i:04d}.npy"
        np.save(folder / name, x)
        lines.append({"audio": name, "text": " ".join(words).upper(), "length": len(x)})
    (folder / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    return folder / "manifest.jsonl"


def ctc_recipe(folder: Path, n_train: int, n_valid: int, **sections) -> Path:
    """A toy CTC corpus (folder/train, folder/valid) and a recipe training on it; ``sections`` join the recipe."""
    make_ctc_set(folder / "train", n_train, seed=1)
    make_ctc_set(folder / "valid", n_valid, seed=2)
    data = {"train": str(folder / "train/manifest.jsonl"), "valid": str(folder / "valid/manifest.jsonl"),
            "num_workers": 0, **sections.pop("data", {})}
    path = folder / "toy.yaml"
    path.write_text(yaml.safe_dump({"task": "tests.toy_domain:CTC", "data": data, **sections}))
    return path


def make_clip_set(folder: Path, n: int, seed: int, size: int = 16, frames: int = 6) -> Path:
    """Three classes: a bright square moving right, moving left, or standing still."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(n):
        label = ["right", "left", "still"][i % 3]
        clip = rng.normal(0, 0.1, size=(frames, 3, size, size)).astype(np.float32)
        y = rng.integers(2, size - 6)
        for t in range(frames):
            x = {"right": 1 + t * 2, "left": size - 5 - t * 2, "still": size // 2 - 2}[label]
            clip[t, :, y:y + 4, x:x + 4] += 1.0
        name = f"clip{i:04d}.npy"
        np.save(folder / name, clip)
        lines.append({"video": name, "label": label})
    (folder / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    return folder / "manifest.jsonl"
