"""The video domain: clips -> per-frame CNN (the frontend) -> LSTM -> activity class.

Light to import (``suite --help`` reads it): the heavy parts load on first use through ``lazy``.
"""
from __future__ import annotations

from pathlib import Path

from suite.domain import Domain, lazy

from .config import VideoAugment, VideoFeatures
from .model_config import VideoModel, upgrade_bundle

_MODELS = Path(__file__).resolve().parent / "models"


def _add_commands(sub, synth_kinds) -> None:
    from .cli import add_commands

    add_commands(sub, synth_kinds)


def _formats():
    from .prepare import PREPARE_FORMATS

    return PREPARE_FORMATS


DOMAIN = Domain(
    name="video",
    task="classify",
    command="label",
    input_key="video",
    target_key="label",
    features_config=VideoFeatures,
    augment_config=VideoAugment,
    model_config=VideoModel,
    load=lazy("video.loader:load_clip"),
    build_frontend=lazy("video.frontend:build_frontend"),
    estimate_length=lazy("video.loader:estimate_length"),
    prepare_formats=_formats,
    add_commands=_add_commands,
    commands={"label": "label the activity in video clips (mp4/avi/mkv/webm, any size and frame rate)",
              "synth video": "articulated figures doing actions, one folder per class"},
    bundled_models={"video-actions-demo": str(_MODELS / "video-actions-demo.pt")},
    predict=lazy("video.predict:predict"),
    sample_fields=("start", "end"),
    load_returns_target=True,  # a flipped clip of one of augment.mirror_pairs takes its partner's label  # `prepare csv` rows: the labelled part of a longer video
    precompute=lazy("video.feature_cache:precompute"),
    evaluation_views=lambda features: features.test_clips,  # `suite label` averages as many clips
    upgrade_bundle=upgrade_bundle,
    upload_formats=("mp4", "mov", "avi", "mkv", "webm"),
    web_panel=str(Path(__file__).resolve().parent / "web" / "panel.js"),
)
