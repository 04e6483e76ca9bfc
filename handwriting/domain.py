"""The handwriting domain: pen strokes -> point features -> BiLSTM-CTC -> text.

Light to import (``suite --help`` reads it): the heavy parts load on first use through ``lazy``.
"""
from __future__ import annotations

from pathlib import Path

from suite.domain import Domain, lazy

from .config import HandwritingAugment, HandwritingFeatures
from .text import normalize

MODELS = Path(__file__).resolve().parent / "models"


def _add_commands(sub, synth_kinds) -> None:
    from .commands import add_commands

    add_commands(sub, synth_kinds)


def _formats():
    from .prepare import FORMATS

    return FORMATS


DOMAIN = Domain(
    name="handwriting",
    task="ctc",
    command="read",
    input_key="ink",
    target_key="text",
    features_config=HandwritingFeatures,
    augment_config=HandwritingAugment,
    load=lazy("handwriting.loading:load_sample"),
    load_returns_target=True,  # augment.word_order re-orders a line's words and its transcript together
    partner_field="writer",  # augment.splice joins two lines by the same writer
    samples=lazy("handwriting.loading:samples"),
    build_frontend=lazy("handwriting.features:build_frontend"),
    normalize_target=normalize,
    estimate_length=lazy("handwriting.loading:estimate_length"),
    prepare_formats=_formats,
    add_commands=_add_commands,
    commands={"read": "recognize handwriting in ink files (UNIPEN, InkML, IAM-OnDB XML, JSON ink)",
              "render": "draw an ink file (and the recognized text under it) to a PNG"},
    upload_formats=("json", "inkml", "xml", "dat"),
    web_panel=str(MODELS.parent / "web" / "panel.js"),
    bundled_models={"handwriting-en": str(MODELS / "handwriting-en.pt")},
)
