"""Transcript normalisation shared by training, evaluation and `prepare`."""
from __future__ import annotations

import re
import unicodedata

# Sphinx/Kaldi-style markers that are not words: <s>, </s>, <sil>, [noise], (utt-id) at line end
_MARKERS = re.compile(r"</?s>|<[^>\s]*>|\[[^\]]*\]")
_NOT_KEPT = re.compile(r"[^\w' ]+")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower-case letters, digits and apostrophes; everything else becomes a word break.

    Accents are kept (NFC); underscores and stray apostrophes at word edges are removed.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'").replace("`", "'")
    text = _MARKERS.sub(" ", text)
    text = _NOT_KEPT.sub(" ", text).replace("_", " ")
    words = [w.strip("'") for w in _SPACES.split(text)]
    return " ".join(w for w in words if w)


DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
