"""Line splicing: the first words of one training line joined to the last words of another line by the same
writer, ink and transcript together.

A few hundred lines hold a few hundred sentences; re-ordering a line's words (``word_order``) varies their order
but not which words stand side by side. Joining two lines of one writer makes new neighbours in that writer's
own hand, size and slant, as a test line by a new writer would be: new text, one style.
Words are found as in ``word_order`` (the gaps in the ink); lines whose words cannot be told apart are not joined.
"""
from __future__ import annotations

import random
import unicodedata

import numpy as np

from .word_order import WORD_PAUSE_S, word_spans


def splittable(strokes: list[np.ndarray], text: str) -> bool:
    """Whether the ink shows the words of ``text`` apart (a left-to-right line of two or more words)."""
    if any(unicodedata.bidirectional(c) in ("R", "AL") for c in text):
        return False
    return word_spans(strokes, text.split()) is not None


def splice_lines(first: list[np.ndarray], first_text: str, second: list[np.ndarray], second_text: str,
                 rng: random.Random) -> tuple[list[np.ndarray], str]:
    """The first 1..n-1 words of ``first`` followed by the last 1..m-1 words of ``second``, one word gap of
    ``first`` apart (and a pen-up pause later in time). Both lines normalised alike (``normalize_ink``);
    ``first`` is returned unchanged when either line's words cannot be told apart."""
    if not (splittable(first, first_text) and splittable(second, second_text)):
        return first, first_text
    a_words, b_words = first_text.split(), second_text.split()
    a_spans, b_spans = word_spans(first, a_words), word_spans(second, b_words)
    i = rng.randint(1, len(a_words) - 1)  # words [:i] of the first line
    j = rng.randint(1, len(b_words) - 1)  # words [j:] of the second
    keep_a = sorted(k for _, _, g in a_spans[:i] for k in g)
    keep_b = sorted(k for _, _, g in b_spans[j:] for k in g)
    gap = a_spans[i][0] - a_spans[i - 1][1]
    dx = a_spans[i - 1][1] + gap - b_spans[j][0]
    out = [first[k].copy() for k in keep_a]
    timed = all(s.shape[1] > 2 and np.isfinite(s[:, 2]).all() for s in [*first, *second])
    dt = 0.0
    if timed:
        dt = max(float(s[-1, 2]) for s in out) + WORD_PAUSE_S - min(float(second[k][0, 2]) for k in keep_b)
    for k in keep_b:
        s = second[k].copy()
        s[:, 0] += dx
        if timed:
            s[:, 2] += dt
        out.append(s)
    return out, " ".join(a_words[:i] + b_words[j:])
