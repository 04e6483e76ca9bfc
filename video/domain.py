"""The video domain: clips -> per-frame CNN -> LSTM -> activity class."""
from __future__ import annotations

from pathlib import Path

from suite.domain import Domain

from .cli import add_commands
from .config import VideoAugment, VideoFeatures
from .frontend import build_frontend
from .loader import estimate_length, load_clip
from .predict import predict
from .prepare import PREPARE_FORMATS

_MODELS = Path(__file__).resolve().parent / "models"

DOMAIN = Domain(
    name="video",
    kind="classify",
    command="label",
    input_key="video",
    target_key="label",
    features_config=VideoFeatures,
    augment_config=VideoAugment,
    load=load_clip,
    build_frontend=build_frontend,
    estimate_length=estimate_length,
    prepare_formats=PREPARE_FORMATS,
    add_commands=add_commands,
    bundled_models={"video-actions-demo": str(_MODELS / "video-actions-demo.pt")},
    predict=predict,
    sample_fields=("start", "end"),  # `prepare csv` rows: the labelled part of a longer video
)
