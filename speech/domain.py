"""The speech domain: audio files -> log-mel frames -> BiLSTM-CTC -> text.

Light to import (``suite --help`` reads it): the heavy parts load on first use through ``lazy``.
"""
from __future__ import annotations

from pathlib import Path

from suite.domain import Domain, lazy

from .config import SpeechAugment, SpeechFeatures
from .text import normalize

MODELS = Path(__file__).resolve().parent / "models"


def _formats():
    from .prepare import FORMATS

    return FORMATS


def _add_commands(sub, synth_kinds) -> None:
    from .cli import add_commands

    add_commands(sub, synth_kinds)


DOMAIN = Domain(
    name="speech",
    task="ctc",
    command="transcribe",
    input_key="audio",
    target_key="text",
    features_config=SpeechFeatures,
    augment_config=SpeechAugment,
    load=lazy("speech.loading:load_sample"),
    build_frontend=lazy("speech.features:build_frontend"),
    normalize_target=normalize,
    estimate_length=lazy("speech.loading:estimate_length"),
    time_step_seconds=lazy("speech.features:time_step_seconds"),
    prepare_formats=_formats,
    add_commands=_add_commands,
    commands={"transcribe": "transcribe audio files (WAV/FLAC/OGG/MP3, any rate and channel count)"},
    upload_formats=("wav", "flac", "ogg", "mp3"),
    web_panel=str(MODELS.parent / "web" / "panel.js"),
    bundled_models={"speech-en": str(MODELS / "speech-en.pt"), "speech-digits": str(MODELS / "speech-digits.pt")},  # first: the default
    predict=lazy("speech.transcribe:predict"),
)
