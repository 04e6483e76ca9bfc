"""Metrics: corpus WER/CER (Levenshtein edits / reference length), top-k, mean class accuracy, confusion."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torchmetrics.functional.text import char_error_rate, word_error_rate


def wer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    return float(word_error_rate(list(hypotheses), list(references)))


def cer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    return float(char_error_rate(list(hypotheses), list(references)))


def topk_accuracy(logits: torch.Tensor, targets: torch.Tensor, k: int = 1) -> float:
    k = min(k, logits.shape[1])
    hit = (logits.topk(k, dim=1).indices == targets[:, None]).any(dim=1)
    return float(hit.float().mean()) if len(targets) else 0.0


def confusion_matrix(targets: Sequence[int], predictions: Sequence[int], num_classes: int) -> np.ndarray:
    """Rows: true class, columns: predicted class."""
    m = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(targets, dtype=np.int64), np.asarray(predictions, dtype=np.int64)), 1)
    return m


def mean_class_accuracy(matrix: np.ndarray) -> float:
    """Mean over classes present in the targets of per-class recall."""
    support = matrix.sum(axis=1)
    present = support > 0
    return float((np.diag(matrix)[present] / support[present]).mean()) if present.any() else 0.0
