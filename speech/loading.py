"""Reading one speech sample for training and evaluation (``Domain.load``) and its cheap length."""
from __future__ import annotations

import random

import torch

from suite.errors import CorruptSample

from .audio import audio_duration, read_audio
from .augment import augment_wave
from .config import SpeechAugment, SpeechFeatures


def load_sample(path: str, features: SpeechFeatures, augment: SpeechAugment | None,
                rng: random.Random) -> torch.Tensor:
    """One file as a 1-D float waveform at the model's rate; waveform augmentation only in training."""
    wave = read_audio(path, features.sample_rate, error=CorruptSample)
    if augment is not None:
        wave = augment_wave(wave, augment, rng)
    return torch.from_numpy(wave)


def estimate_length(path: str, features: SpeechFeatures) -> int:
    """Samples at the model's rate (the unit of a speech manifest's `length`), from the file header."""
    return int(audio_duration(path) * features.sample_rate)
