"""The handwriting domain: pen strokes -> point features -> BiLSTM-CTC -> text."""
from __future__ import annotations

import random
from pathlib import Path

import torch

from suite.domain import Domain
from suite.errors import CorruptSample, SuiteError

from .config import HandwritingAugment, HandwritingFeatures
from .features import build_frontend, ink_features
from .formats import read_ink
from .text import normalize

MODELS = Path(__file__).resolve().parent / "models"


def load_single_ink(path: str):
    inks = read_ink(path)
    if len(inks) != 1:
        raise SuiteError(f"holds {len(inks)} samples; a training sample must hold one (see `suite prepare`)", path)
    return inks[0]


def load_sample(path: str, features: HandwritingFeatures, augment: HandwritingAugment | None,
                rng: random.Random) -> torch.Tensor:
    """Feature sequence [T, F] of one ink file; augmentation only when ``augment`` is given (training)."""
    try:
        ink = load_single_ink(path)
    except CorruptSample:
        raise
    except SuiteError as err:
        raise CorruptSample(err.reason, err.path) from None
    return ink_features(ink, features, augment, rng)


def estimate_length(path: str, features: HandwritingFeatures) -> int:
    return len(ink_features(load_single_ink(path), features))


def _add_commands(sub) -> None:
    from .commands import add_commands

    add_commands(sub)


def _predict(predictor, files, **opts):
    from .commands import predict

    return predict(predictor, files, **opts)


def _formats():
    from .prepare import FORMATS

    return FORMATS


DOMAIN = Domain(
    name="handwriting",
    kind="ctc",
    command="read",
    input_key="ink",
    target_key="text",
    features_config=HandwritingFeatures,
    augment_config=HandwritingAugment,
    load=load_sample,
    build_frontend=build_frontend,
    normalize_text=normalize,
    estimate_length=estimate_length,
    prepare_formats=_formats(),
    add_commands=_add_commands,
    bundled_models={"handwriting-en": str(MODELS / "handwriting-en.pt")},
    predict=_predict,
)
