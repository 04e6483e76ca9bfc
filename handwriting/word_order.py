"""Word-order augmentation: a training line's words re-ordered, ink and transcript together.

A recogniser trained on a few hundred lines learns their texts as well as their letters: its training loss
falls to almost nothing while other writers' lines stay hard. Shuffling the words of a line keeps every
letter as its writer wrote it and gives the sentence-level context nothing to memorise.

Words are found from the ink alone, as the gaps in the line's horizontal coverage: a line of ``n`` words
must show at least ``n - 1`` gaps, and its ``n - 1`` widest must be clearly wider than any other (a line
where they are not, e.g. print with wide letter spacing, is left as written rather than mislabelled).
"""
from __future__ import annotations

import random
import unicodedata
from typing import NamedTuple

import numpy as np

MIN_WORD_GAP = 0.15  # line heights: narrower gaps are not taken for word boundaries
GAP_MARGIN = 1.5  # the narrowest word gap must be this many times the widest gap inside a word
WIDTH_RATIO = 2.5  # a word's width per letter may differ from the line's by this factor at most
WORD_PAUSE_S = 0.2  # pen-up time between re-ordered words, seconds (timed ink)


class SplitLine(NamedTuple):
    """A line whose words the ink shows apart: its strokes, its words, and each word's (left, right, stroke indices)."""
    strokes: list[np.ndarray]
    words: list[str]
    spans: list[tuple[float, float, list[int]]]


def split_line(strokes: list[np.ndarray], text: str) -> SplitLine | None:
    """The line split into its words, or None: words the ink does not show apart (``word_groups``), or
    right-to-left script (whose ink's left-to-right groups are not in the text's order)."""
    if any(unicodedata.bidirectional(c) in ("R", "AL") for c in text):
        return None
    words = text.split()
    spans = _word_spans(strokes, words)
    return None if spans is None else SplitLine(strokes, words, spans)


def word_groups(strokes: list[np.ndarray], words: list[str]) -> list[list[int]] | None:
    """Stroke indices of each word of ``words``, left to right, or None when the ink does not show them
    clearly: ambiguous gaps, or a word far narrower or wider than its letters make likely.

    ``strokes`` are normalised (x in line heights, left to right). A stroke belongs to the word its
    horizontal extent overlaps, so delayed strokes (i-dots, t-bars, written after the line) join theirs.
    """
    spans = _word_spans(strokes, words)
    return None if spans is None else [indices for _, _, indices in spans]


def _word_spans(strokes: list[np.ndarray], words: list[str]) -> list[tuple[float, float, list[int]]] | None:
    """(left, right, stroke indices) of each word, left to right; None as in ``word_groups``."""
    spans = _gap_spans(strokes, len(words))
    if spans is None:
        return None
    per_letter = sum(right - left for left, right, _ in spans) / sum(len(w) for w in words)
    if per_letter <= 0:  # dots only: nothing to compare widths with
        return None
    for (left, right, _), word in zip(spans, words):
        ratio = (right - left) / (len(word) * per_letter)
        if ratio > WIDTH_RATIO or (len(word) > 1 and ratio < 1 / WIDTH_RATIO):
            return None
    return spans


def _gap_spans(strokes: list[np.ndarray], words: int) -> list[tuple[float, float, list[int]]] | None:
    if words < 2 or len(strokes) < words:
        return None
    extents = sorted((float(s[:, 0].min()), float(s[:, 0].max()), i) for i, s in enumerate(strokes))
    clusters: list[list] = []  # [left, right, stroke indices], merged where strokes overlap in x
    for lo, hi, i in extents:
        if clusters and lo <= clusters[-1][1]:
            clusters[-1][1] = max(clusters[-1][1], hi)
            clusters[-1][2].append(i)
        else:
            clusters.append([lo, hi, [i]])
    if len(clusters) < words:
        return None
    gaps = np.array([b[0] - a[1] for a, b in zip(clusters, clusters[1:])])
    order = np.argsort(gaps)[::-1]
    cut, rest = np.sort(order[: words - 1]), order[words - 1:]
    narrowest = gaps[order[words - 2]]
    if narrowest < MIN_WORD_GAP or (len(rest) and narrowest < GAP_MARGIN * gaps[rest[0]]):
        return None
    spans, start = [], 0
    for c in [*cut, len(clusters) - 1]:  # clusters are disjoint and sorted: the last one ends the word
        spans.append((clusters[start][0], clusters[c][1], sorted(i for cl in clusters[start: c + 1] for i in cl[2])))
        start = c + 1
    return spans


def shuffle_words(strokes: list[np.ndarray], text: str, rng: random.Random) -> tuple[list[np.ndarray], str]:
    """The line with its words in a random other order, each keeping its own strokes, stroke order and
    heights; words are laid out left to right with the line's own word gaps, in the new order in time too.
    Lines whose words cannot be told apart from the ink, or that hold right-to-left script, are returned unchanged."""
    line = split_line(strokes, text)
    if line is None:
        return strokes, text
    words = line.words
    lefts, rights, groups = zip(*line.spans)
    written = list(range(len(words)))
    order = written[:]
    while order == written:
        rng.shuffle(order)
    gaps = [b - a for a, b in zip(rights, lefts[1:])]
    timed = all(s.shape[1] > 2 and np.isfinite(s[:, 2]).all() for s in strokes)
    out: list[np.ndarray] = []
    x, t = lefts[0], float(strokes[0][0, 2]) if timed else 0.0
    for k, w in enumerate(order):
        group = groups[w]
        t0 = min(float(strokes[i][0, 2]) for i in group) if timed else 0.0
        for i in group:
            s = strokes[i].copy()
            s[:, 0] += x - lefts[w]
            if timed:
                s[:, 2] += t - t0
            out.append(s)
        x += rights[w] - lefts[w] + (gaps[k] if k < len(gaps) else 0.0)
        if timed:  # the next word starts a pen-up later
            t = max(float(s[-1, 2]) for s in out[-len(group):]) + WORD_PAUSE_S
    return out, " ".join(words[w] for w in order)
