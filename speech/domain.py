"""The speech domain: audio files -> log-mel frames -> BiLSTM-CTC -> text."""
from __future__ import annotations

import random
from pathlib import Path

import torch

from suite.domain import Domain
from suite.errors import CorruptSample

from .audio import audio_duration, read_audio
from .augment import augment_wave
from .cli import add_commands
from .config import SpeechAugment, SpeechFeatures
from .features import build_frontend, time_step_seconds
from .prepare import FORMATS
from .text import normalize
from .transcribe import predict

MODELS = Path(__file__).resolve().parent / "models"


def load_sample(path: str, features: SpeechFeatures, augment: SpeechAugment | None,
                rng: random.Random) -> torch.Tensor:
    """One file as a 1-D float waveform at the model's rate; waveform augmentation only in training."""
    wave = read_audio(path, features.sample_rate, error=CorruptSample)
    if augment is not None:
        wave = augment_wave(wave, augment, rng)
    return torch.from_numpy(wave)


def estimate_length(path: str, features: SpeechFeatures) -> int:
    """Samples at the model's rate, from the file header (for length-bucketed batches)."""
    return int(audio_duration(path) * features.sample_rate)


DOMAIN = Domain(
    name="speech",
    kind="ctc",
    command="transcribe",
    input_key="audio",
    target_key="text",
    features_config=SpeechFeatures,
    augment_config=SpeechAugment,
    load=load_sample,
    build_frontend=build_frontend,
    normalize_text=normalize,
    estimate_length=estimate_length,
    time_step_seconds=time_step_seconds,
    prepare_formats=FORMATS,
    add_commands=add_commands,
    bundled_models={"speech-digits": str(MODELS / "speech-digits.pt")},
    predict=predict,
)
