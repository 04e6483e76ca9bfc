"""Font ink: a line's own transcript written anew in a single-stroke (Hershey) font, glyph by glyph.

A thousand lines hold the hands of a few dozen writers; a new writer's letter shapes are what the model lacks most.
Hershey fonts (the ``Hershey-Fonts`` package, MIT; the glyphs are Dr. A. V. Hershey's public-domain vector fonts)
draw every letter as pen strokes, in print and in joined script. Each glyph gets its own small change of size,
height and spacing, and the script fonts' joins become one pen-down stroke per run of touching letters, as in
cursive. The usual augmentation (slant, stretch, rotation, jitter) then applies as to real ink.
"""
from __future__ import annotations

import random
from functools import lru_cache

import numpy as np

# the single-line ("simplex") script and print faces; the others draw each line of a letter twice or more (bold
# outlines), which no pen does, or are gothic and symbol faces
FONTS = ("cursive", "scripts", "futural", "rowmans")
JOIN_UNITS = 3.5  # a stroke's end this close to the next one's start (font units; x-height ~ 9) is a cursive join


@lru_cache(maxsize=None)
def _glyphs(font: str) -> dict:
    from HersheyFonts import HersheyFonts

    fonts = HersheyFonts()
    fonts.load_default_font(font)
    return fonts.all_glyphs


def font_line(text: str, rng: random.Random, fonts: tuple[str, ...] = FONTS) -> list[np.ndarray] | None:
    """Strokes [N, 2] (x right, y down) writing ``text`` in one of ``fonts``; None when the font lacks a character
    of the text or the text has no ink (only spaces)."""
    glyphs = _glyphs(rng.choice(fonts))
    if not text.strip() or any(ch not in glyphs for ch in text):
        return None
    size = rng.uniform(0.9, 1.1)
    tracking = rng.uniform(-0.5, 2.0)  # extra space between letters, font units
    word_space = rng.uniform(0.6, 1.3)
    drift = 0.0  # the baseline wanders a little from letter to letter
    x = 0.0
    strokes: list[np.ndarray] = []
    for ch in text:
        glyph = glyphs[ch]
        if ch == " ":
            x += glyph.char_width * word_space
            continue
        s = size * rng.uniform(0.92, 1.08)
        drift = 0.7 * drift + rng.gauss(0.0, 0.4)
        placed = []
        for stroke in glyph.strokes:
            pts = np.asarray(stroke, dtype=np.float64)
            pts[:, 0] = x + (pts[:, 0] - glyph.left_offset) * s
            pts[:, 1] = pts[:, 1] * s + drift
            placed.append(pts)
        strokes.extend(_join_first(strokes[-1] if strokes else None, placed))
        x += glyph.char_width * s + tracking
    return _joined(strokes) if strokes else None


def _join_first(pen: np.ndarray | None, placed: list[np.ndarray]) -> list[np.ndarray]:
    """A glyph's strokes with the one that starts where the pen stopped first (an i's body before its dot)."""
    if pen is None:
        return placed
    gaps = [np.hypot(*(p[0] - pen[-1])) for p in placed]
    k = int(np.argmin(gaps))
    return [placed[k], *placed[:k], *placed[k + 1:]] if gaps[k] <= JOIN_UNITS else placed


def _joined(strokes: list[np.ndarray]) -> list[np.ndarray]:
    """Consecutive strokes whose end and start touch become one stroke: script letters written without a pen-up."""
    out = [strokes[0]]
    for s in strokes[1:]:
        if np.hypot(*(s[0] - out[-1][-1])) <= JOIN_UNITS:
            out[-1] = np.concatenate([out[-1], s[1:]])
        else:
            out.append(s)
    return out
