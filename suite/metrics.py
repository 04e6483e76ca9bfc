"""Text metrics: corpus WER/CER (Levenshtein edits / reference length). Classification metrics are torchmetrics' (see suite.tasks.classify)."""
from __future__ import annotations

from typing import Sequence

from torchmetrics.functional.text import char_error_rate, word_error_rate


def wer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    return float(word_error_rate(list(hypotheses), list(references)))


def cer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    return float(char_error_rate(list(hypotheses), list(references)))
