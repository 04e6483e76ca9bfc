"""Word-gap scaling: the gaps between a training line's words made narrower or wider, letters left as written.

Writers differ in how far apart they write their words, and a recogniser that has seen a few dozen writers
learns their gaps: on UNIPEN's 42 test writers, 714 of the 1000-line model's 4195 character edits involve a space,
379 of them a word boundary dropped (of 3322; `scripts/edit_kinds.py`, docs/handwriting.md).
Narrower gaps, down to those between letters, teach it to place a space from the letters around it as well.
"""
from __future__ import annotations

import numpy as np

from .word_order import SplitLine


def scale_word_gaps(line: SplitLine, factor: float) -> list[np.ndarray]:
    """The line's strokes with every gap between its words ``factor`` times as wide: each word moves sideways by
    the change of the gaps before it; shapes, heights, pen order and times stay."""
    out = [s.copy() for s in line.strokes]
    shift = 0.0
    for k, (left, _, group) in enumerate(line.spans):
        if k:
            shift += (factor - 1.0) * (left - line.spans[k - 1][1])
        for i in group:
            out[i][:, 0] += shift
    return out
