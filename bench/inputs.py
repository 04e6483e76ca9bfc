"""Input files for the domain benchmarks, generated on the spot (nothing is read from ../shared): speech-like
audio (numpy + soundfile), pen-stroke JSON lines, and MP4 clips (cv2.VideoWriter); plus the bundled models."""
from __future__ import annotations

import atexit
import json
import math
import os
import random
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

from suite.data import collate

BUNDLES = {"speech": "speech-digits", "handwriting": "handwriting-en", "video": "video-actions-demo"}
DIGITS = "zero one two three four five six seven eight nine".split()
_SCRATCH: list[str] = []


def scratch(prefix: str) -> Path:
    """A temp folder removed when the benchmark process ends."""
    path = tempfile.mkdtemp(prefix=f"bench-{prefix}-")
    if not _SCRATCH:
        atexit.register(lambda: [shutil.rmtree(p, ignore_errors=True) for p in _SCRATCH])
    _SCRATCH.append(path)
    return Path(path)


# ---- speech ---------------------------------------------------------------------------------------
def speech_like(seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Voiced syllables (harmonics of a gliding pitch under a formant-ish envelope), pauses, noise."""
    n = int(seconds * sr)
    out = np.zeros(n, np.float32)
    t = 0
    while t < n:
        syl = int(rng.uniform(0.12, 0.35) * sr)
        end = min(n, t + syl)
        k = np.arange(end - t) / sr
        f0 = rng.uniform(90, 220) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(1, 4) * k))
        phase = 2 * np.pi * np.cumsum(f0) / sr
        wave = sum(np.sin(h * phase) / h * (1 + np.cos(h * rng.uniform(0.5, 2))) for h in range(1, 12))
        out[t:end] = (np.hanning(end - t) * wave * rng.uniform(0.05, 0.2)).astype(np.float32)
        t = end + int(rng.uniform(0.02, 0.15) * sr)
    return out + rng.normal(0, 0.003, n).astype(np.float32)


def write_audio(folder: Path, n: int, seconds: tuple[float, float], seed: int = 0, sr: int = 16000) -> list[dict]:
    """``n`` WAV files with digit-word transcripts; returns manifest records."""
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    records = []
    for i in range(n):
        dur = float(rng.uniform(*seconds))
        name = f"a{i:04d}.wav"
        sf.write(folder / name, speech_like(dur, sr, rng), sr, subtype="PCM_16")
        words = [DIGITS[j] for j in rng.integers(0, 10, max(1, int(dur * 1.5)))]
        records.append({"audio": name, "text": " ".join(words), "seconds": dur})
    return records


# ---- handwriting ------------------------------------------------------------------------------------
def ink_line(text: str, rng: random.Random, hz: float = 100.0) -> list[list[list[float]]]:
    """Pen strokes for a line of text: one stroke per word, each letter a loop-and-hook trace sampled at
    ``hz`` like a tablet (~25-40 points per letter), drifting right; coordinates in pixels, y down.
    Every letter has its own shape (phase, loop count, height), jittered per writing, so a recognizer
    can learn them."""
    strokes, x0, t = [], 0.0, 0.0
    for word in text.split():
        pts = []
        for c in word:
            idx = ord(c) % 64
            n = rng.randint(25, 40)
            a, b = rng.uniform(0.9, 1.1), (0.6 + 0.2 * (idx % 4)) * rng.uniform(0.9, 1.1)
            ph = (idx % 13) / 13 * 2 * math.pi
            loops = 1 + idx % 2
            for k in range(n):
                u = k / (n - 1)
                x = x0 + 20 * u + 8 * a * math.sin(2 * math.pi * u + ph)
                y = 30 + 18 * b * math.cos(2 * math.pi * u * loops + ph) + rng.gauss(0, 0.4)
                pts.append([round(x, 2), round(y, 2), round(t, 4)])
                t += 1 / hz
            x0 += 24
        strokes.append(pts)
        x0 += 30
        t += 0.2
    return strokes


def write_ink(folder: Path, n: int, seed: int = 0) -> list[dict]:
    """``n`` JSON ink files ({"strokes": [[[x, y, t], ...], ...], "text": ...}); returns manifest records."""
    from .synthetic import random_text

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    records = []
    for i in range(n):
        text = random_text(rng, rng.randint(15, 45)).replace("'", "")
        name = f"l{i:04d}.json"
        (folder / name).write_text(json.dumps({"strokes": ink_line(text, rng), "text": text}))
        records.append({"ink": name, "text": text})
    return records


# ---- video ------------------------------------------------------------------------------------------
def write_clip(path: Path, frames: int, width: int, height: int, fps: float, seed: int) -> Path:
    """An MP4 (MPEG-4 part 2) of a textured background with moving shapes, written frame by frame."""
    import cv2

    rng = np.random.default_rng(seed)
    gy, gx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([(gx / width) * 200, (gy / height) * 180, ((gx + gy) / (width + height)) * 160], -1)
    base = (base + rng.normal(0, 6, (height, width, 1))).clip(0, 255).astype(np.uint8)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise RuntimeError(f"cv2.VideoWriter cannot write {path}")
    s = max(4, min(width, height) // 8)
    for f in range(frames):
        img = base.copy()
        for k in range(3):
            cx = int((0.2 + 0.6 * ((f * (k + 1) / frames) % 1.0)) * width)
            cy = int((0.3 + 0.2 * k + 0.05 * math.sin(f / 5 + k)) * height)
            cv2.rectangle(img, (cx - s // 2, cy - s // 2), (cx + s // 2, cy + s // 2),
                          (60 * k + 40, 200 - 50 * k, 90 + 40 * k), -1)
        writer.write(img)
    writer.release()
    return path


def write_videos(folder: Path, n: int, seed: int = 0, size: tuple[int, int] = (160, 120), frames: int = 36,
                 fps: float = 12.0) -> list[dict]:
    folder.mkdir(parents=True, exist_ok=True)
    labels = ["left", "right", "still"]
    records = []
    for i in range(n):
        name = f"v{i:04d}.mp4"
        write_clip(folder / name, frames, size[0], size[1], fps, seed + i)
        records.append({"video": name, "label": labels[i % 3]})
    return records


def write_manifest(folder: Path, records: list[dict]) -> Path:
    path = folder / "manifest.jsonl"
    path.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "seconds"}) + "\n" for r in records))
    return path


# ---- bundled models -----------------------------------------------------------------------------------
def domain_available(name: str):
    """The installed domain object, or None when its package is not (yet) importable."""
    from suite.registry import domains

    return domains().get(name)


def model_overrides() -> dict[str, str]:
    """Models given with `bench/run.py --model DOMAIN=PATH` (benchmark your own bundle)."""
    spec = os.environ.get("SUITE_BENCH_MODELS", "")
    return dict(item.split("=", 1) for item in spec.split(",") if "=" in item)


def model_name(domain: str) -> str:
    return model_overrides().get(domain, BUNDLES[domain])


def bundle_path(domain: str) -> Path | None:
    if domain in model_overrides():
        return Path(model_overrides()[domain])
    dom = domain_available(domain)
    if dom is None or BUNDLES[domain] not in dom.bundled_models:
        return None
    path = Path(dom.bundled_models[BUNDLES[domain]])
    return path if path.is_file() else None


def missing_bundles() -> list[str]:
    return [BUNDLES[d] for d in BUNDLES if bundle_path(d) is None]


def load_model(domain: str):
    import suite

    return suite.load(str(bundle_path(domain)))


def sample_files(domain: str, n: int, seed: int = 0) -> list[str]:
    """``n`` input files of a domain, made in a scratch folder."""
    folder = scratch(domain)
    if domain == "speech":
        recs = write_audio(folder, n, (1.0, 4.0), seed)
        key = "audio"
    elif domain == "handwriting":
        recs = write_ink(folder, n, seed)
        key = "ink"
    else:
        recs = write_videos(folder, n, seed)
        key = "video"
    return [str(folder / r[key]) for r in recs]


def padded(xs: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    batch = collate([(str(i), x, None) for i, x in enumerate(xs)])
    return batch.inputs, batch.lengths
