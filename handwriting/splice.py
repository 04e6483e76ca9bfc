"""Line splicing: the first words of one training line joined to the last words of another line by the same
writer, ink and transcript together.

A few hundred lines hold a few hundred sentences; re-ordering a line's words (``word_order``) varies their order
but not which words stand side by side. Joining two lines of one writer makes new neighbours in that writer's
own hand, size and slant, as a test line by a new writer would be: new text, one style.
Words are found as in ``word_order`` (the gaps in the ink); lines whose words cannot be told apart are not joined.
"""
from __future__ import annotations

import random

import numpy as np

from .word_order import WORD_PAUSE_S, SplitLine


def splice_lines(first: SplitLine, second: SplitLine, rng: random.Random) -> tuple[list[np.ndarray], str]:
    """The first 1..n-1 words of ``first`` followed by the last 1..m-1 words of ``second``, one word gap of
    ``first`` apart (and a pen-up pause later in time): the joined strokes and transcript. Both lines
    normalised alike (``normalize_ink``), split by ``word_order.split_line``."""
    i = rng.randint(1, len(first.words) - 1)  # words [:i] of the first line
    j = rng.randint(1, len(second.words) - 1)  # words [j:] of the second
    keep_a = sorted(k for _, _, g in first.spans[:i] for k in g)
    keep_b = sorted(k for _, _, g in second.spans[j:] for k in g)
    gap = first.spans[i][0] - first.spans[i - 1][1]
    dx = first.spans[i - 1][1] + gap - second.spans[j][0]
    out = [first.strokes[k].copy() for k in keep_a]
    timed = all(s.shape[1] > 2 and np.isfinite(s[:, 2]).all() for s in [*first.strokes, *second.strokes])
    dt = 0.0
    if timed:
        dt = max(float(s[-1, 2]) for s in out) + WORD_PAUSE_S - min(float(second.strokes[k][0, 2]) for k in keep_b)
    for k in keep_b:
        s = second.strokes[k].copy()
        s[:, 0] += dx
        if timed:
            s[:, 2] += dt
        out.append(s)
    return out, " ".join(first.words[:i] + second.words[j:])
