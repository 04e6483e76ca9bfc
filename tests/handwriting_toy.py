"""Synthetic ink 'words' for the handwriting end-to-end test: five easily told glyphs, jittered per sample."""
from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np

GLYPHS = "lovcx"


def glyph(ch: str, x0: float, rng: random.Random) -> list[np.ndarray]:
    """Strokes of one glyph in a 1-high box starting at x0 (y downward, 0 = top)."""
    t = np.linspace(0, 1, 20)
    w = rng.uniform(0.45, 0.6)
    if ch == "l":
        return [np.stack([x0 + 0.1 + 0 * t, -0.8 + 1.8 * t], 1)]
    if ch == "o":
        a = 2 * math.pi * t
        return [np.stack([x0 + w / 2 + w / 2 * np.cos(a), 0.5 + 0.5 * np.sin(a)], 1)]
    if ch == "c":
        a = math.pi / 4 + 1.5 * math.pi * t
        return [np.stack([x0 + w / 2 + w / 2 * np.cos(a), 0.5 - 0.5 * np.sin(a)], 1)]
    if ch == "v":
        return [np.stack([x0 + w * t, np.where(t < 0.5, 2 * t, 2 - 2 * t)], 1)]
    if ch == "x":
        return [np.stack([x0 + w * t, t], 1), np.stack([x0 + w * t, 1 - t], 1)]
    raise ValueError(ch)


def make_word(text: str, rng: random.Random) -> list[list[list[float]]]:
    strokes, x = [], 0.0
    scale, slant = rng.uniform(20, 60), rng.uniform(-0.2, 0.2)
    for ch in text:
        for s in glyph(ch, x, rng):
            s = s + np.random.default_rng(rng.getrandbits(32)).normal(0, 0.02, s.shape)
            s[:, 0] -= slant * s[:, 1]
            strokes.append((s * scale).round(2).tolist())
        x += 0.9
    return strokes


def make_corpus(folder: Path, n: int, seed: int, max_len: int = 4) -> Path:
    rng = random.Random(seed)
    (folder / "ink").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        text = "".join(rng.choice(GLYPHS) for _ in range(rng.randint(1, max_len)))
        rel = f"ink/{i:04d}.json"
        (folder / rel).write_text(json.dumps({"strokes": make_word(text, rng), "text": text}))
        rows.append({"ink": rel, "text": text, "writer": f"w{i % 7}"})
    (folder / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder / "manifest.jsonl"


def unipen_file(path: Path, words: list[str], rng: random.Random) -> Path:
    """A UNIPEN file (y upward) holding several labelled words, one .SEGMENT each."""
    lines, comp, segs = [".VERSION 1.0", ".COORD X Y", ".WRITER_ID toy"], 0, []
    for w in words:
        first = comp
        for s in make_word(w, rng):
            lines.append(".PEN_DOWN")
            lines += [f"{x:.0f} {-y:.0f}" for x, y in s]
            lines.append(".PEN_UP")
            comp += 1
        segs.append(f'.SEGMENT WORD {first}-{comp - 1} ? "{w}"')
    path.write_text("\n".join(lines + segs) + "\n", encoding="latin-1")
    return path
