"""Synthetic speech-like audio for speech tests: every letter is a short two-tone 'phone'.

A word is its letters' phones in a row; words are separated by quiet pauses. Learnable in seconds by a
small BiLSTM-CTC, so tests can train -> evaluate -> transcribe without any real recordings.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import soundfile as sf

LETTERS = "abcdefgh"
# two 'formants' per letter, spread over 300-3400 Hz so 8 kHz audio carries them all
TONES = {c: (350 + 160 * i, 3300 - 230 * i) for i, c in enumerate(LETTERS)}
WORDS = ["bad", "cab", "fed", "hag", "deaf", "head"]


def phone(letter: str, sr: int, rng: random.Random) -> np.ndarray:
    n = int(sr * rng.uniform(0.06, 0.09))
    t = np.arange(n) / sr
    f1, f2 = TONES[letter]
    wave = np.sin(2 * np.pi * f1 * t) + 0.6 * np.sin(2 * np.pi * f2 * t + rng.random() * 6)
    return (wave * np.hanning(n) * rng.uniform(0.2, 0.5)).astype(np.float32)


def utterance(words: list[str], sr: int, rng: random.Random) -> np.ndarray:
    """Words as phone sequences, pauses of 0.12-0.25 s between them, a little background noise."""
    parts = [np.zeros(int(sr * rng.uniform(0.05, 0.15)), np.float32)]
    for i, w in enumerate(words):
        parts += [phone(c, sr, rng) for c in w]
        parts.append(np.zeros(int(sr * rng.uniform(0.12, 0.25)), np.float32))
    wave = np.concatenate(parts)
    noise = np.random.default_rng(rng.randrange(2**31)).standard_normal(len(wave)) * 0.003
    return (wave + noise).astype(np.float32)


def make_corpus(folder: Path, n: int, seed: int, sr: int = 8000, max_words: int = 4) -> Path:
    """n utterances of 1..max_words random words as WAVs + folder/manifest.jsonl; returns the manifest."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, max_words))]
        sf.write(folder / f"u{i:03d}.wav", utterance(words, sr, rng), sr)
        rows.append({"audio": f"u{i:03d}.wav", "text": " ".join(words)})
    manifest = folder / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return manifest


def tone(seconds: float, sr: int, freq: float = 440.0, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    wave = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return wave if channels == 1 else np.stack([wave] * channels, axis=1)


def blend(a: str, b: str, sr: int, rng: random.Random, share_a: float = 0.5) -> np.ndarray:
    """Words ``a`` and ``b`` spoken at once (their phones overlaid): acoustically between the two."""
    xa, xb = (np.concatenate([phone(c, sr, rng)[: int(sr * 0.06)] for c in w]) for w in (a, b))
    n = max(len(xa), len(xb))
    return (share_a * np.pad(xa, (0, n - len(xa))) + (1 - share_a) * np.pad(xb, (0, n - len(xb)))).astype(np.float32)


def context_then_blend(first: str, a: str, b: str, sr: int, seed: int) -> np.ndarray:
    """A clear word, a pause, then ``blend(a, b)``: only a language model knowing what follows ``first`` can
    tell which of the two the speaker meant."""
    rng = random.Random(seed)
    parts = [np.zeros(int(sr * 0.1), np.float32), *[phone(c, sr, rng) for c in first],
             np.zeros(int(sr * 0.18), np.float32), blend(a, b, sr, rng), np.zeros(int(sr * 0.2), np.float32)]
    wave = np.concatenate(parts)
    return (wave + np.random.default_rng(seed).standard_normal(len(wave)) * 0.003).astype(np.float32)
