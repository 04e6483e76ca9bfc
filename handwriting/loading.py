"""Reading ink for training (``Domain.load``) and inference (``Domain.samples``: a file gives its segments)."""
from __future__ import annotations

import random
from typing import Callable

import torch

from suite.errors import CorruptSample, SuiteError

from .config import HandwritingAugment, HandwritingFeatures
from .features import ink_features, ink_features_and_text
from .formats import read_ink


def load_single_ink(path: str):
    inks = read_ink(path)
    if len(inks) != 1:
        raise SuiteError(f"holds {len(inks)} samples; a training sample must hold one (see `suite prepare`)", path)
    return inks[0]


def load_sample(path: str, features: HandwritingFeatures, augment: HandwritingAugment | None,
                rng: random.Random, text: str | None = None,
                partner: Callable[[], tuple[str, str] | None] | None = None) -> torch.Tensor | tuple[torch.Tensor, str]:
    """Feature sequence [T, F] of one ink file; augmentation only when ``augment`` is given (training).
    Given the line's ``text``: ``(features, text)``, the text re-ordered with the ink (``augment.word_order``) or
    joined to another line's (``augment.splice``; ``partner()`` gives that line's (path, text), from the core)."""
    try:
        ink = load_single_ink(path)
    except CorruptSample:
        raise
    except SuiteError as err:
        raise CorruptSample(err.reason, err.path) from None
    if text is None:
        return ink_features(ink, features, augment, rng)
    return ink_features_and_text(ink, text, features, augment, rng, partner and (lambda: _partner_ink(partner)))


def _partner_ink(partner):
    """The partner line's (ink, text), or None when it cannot be read (it is skipped in its own turn)."""
    drawn = partner()
    if drawn is None:
        return None
    other_path, other_text = drawn
    try:
        return load_single_ink(other_path), other_text
    except SuiteError:
        return None


def estimate_length(path: str, features: HandwritingFeatures) -> int:
    """Feature points (the unit of a handwriting manifest's `length`)."""
    return len(ink_features(load_single_ink(path), features))


def samples(path: str, features: HandwritingFeatures) -> list[tuple[dict, torch.Tensor]]:
    """Every sample of a file (a UNIPEN file may hold several labelled segments) with its segment and reference."""
    inks = read_ink(path)
    out = []
    for ink in inks:
        info: dict = {}
        if len(inks) > 1:
            info["segment"] = ink.meta.get("segment", ink.id)
        if ink.text is not None:
            info["reference"] = ink.text
        out.append((info, ink_features(ink, features)))
    return out
