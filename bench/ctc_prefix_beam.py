"""The reference for benchmark 5: a straightforward pure-Python CTC prefix beam search (Hannun et al.,
2014, without a language model), written for clarity, not speed.

Each prefix keeps two log scores: paths ending in a blank (``pb``) and paths ending in its last token
(``pnb``); a repeated token only starts a new character after a blank.
"""
from __future__ import annotations

import math
from typing import Sequence

NEG_INF = float("-inf")


def logaddexp(a: float, b: float) -> float:
    if a < b:
        a, b = b, a
    if b == NEG_INF:
        return a
    return a + math.log1p(math.exp(b - a))


def prefix_beam_search(log_probs: Sequence[Sequence[float]], beam_size: int, blank: int = 0,
                       merge: str = "sum") -> tuple[tuple[int, ...], float]:
    """Best token sequence (blank-free, repeats collapsed) and its log score for one utterance.

    ``log_probs``: T rows of per-token log-probabilities. ``merge="sum"`` adds the probabilities of the
    paths that share a prefix (the textbook algorithm); ``"max"`` keeps only the best path (Viterbi merging).
    """
    add = logaddexp if merge == "sum" else max
    beams: dict[tuple[int, ...], list[float]] = {(): [0.0, NEG_INF]}
    for frame in log_probs:
        nxt: dict[tuple[int, ...], list[float]] = {}
        for prefix, (pb, pnb) in beams.items():
            total = add(pb, pnb)
            last = prefix[-1] if prefix else None
            for s, p in enumerate(frame):
                if s == blank:
                    e = nxt.setdefault(prefix, [NEG_INF, NEG_INF])
                    e[0] = add(e[0], total + p)
                elif s == last:
                    # the same token again: collapses into the prefix, or extends it after a blank
                    e = nxt.setdefault(prefix, [NEG_INF, NEG_INF])
                    e[1] = add(e[1], pnb + p)
                    e = nxt.setdefault(prefix + (s,), [NEG_INF, NEG_INF])
                    e[1] = add(e[1], pb + p)
                else:
                    e = nxt.setdefault(prefix + (s,), [NEG_INF, NEG_INF])
                    e[1] = add(e[1], total + p)
        ranked = sorted(nxt.items(), key=lambda kv: add(*kv[1]), reverse=True)
        beams = dict(ranked[:beam_size])
    best, (pb, pnb) = max(beams.items(), key=lambda kv: add(*kv[1]))
    return best, add(pb, pnb)
