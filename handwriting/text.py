"""Transcript normalization shared by prepare, training and evaluation."""
from __future__ import annotations

import re
import unicodedata

# some UNIPEN contributors type "word ." for "word." — the ink has no gap there
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:?!])(?=\s|$)")


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = " ".join(text.split())
    return _SPACE_BEFORE_PUNCT.sub(r"\1", text)
