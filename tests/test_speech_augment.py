"""Waveform augmentation: speed, noise at a target SNR, gain; reproducible from the rng; only in training."""
from __future__ import annotations

import random

import numpy as np
import pytest
import soundfile as sf
import torch

from speech.augment import add_noise, apply_gain, augment_wave, colored_noise, speed_perturb
from speech.config import SpeechAugment, SpeechFeatures
from speech.domain import DOMAIN
from speech.loading import estimate_length, load_sample
from tests.speech_toy import tone


@pytest.mark.parametrize("factor", [0.9, 1.0, 1.1, 1.25])
def test_speed_changes_duration_and_pitch(factor):
    x = tone(1.0, 8000, 500.0)
    y = speed_perturb(x, factor)
    assert abs(len(y) - len(x) / factor) <= 2
    peak_hz = np.argmax(np.abs(np.fft.rfft(y))) * 8000 / len(y)
    assert abs(peak_hz - 500 * factor) < 8


@pytest.mark.parametrize("snr", [0.0, 10.0, 30.0])
@pytest.mark.parametrize("color", ["white", "pink", "brown"])
def test_noise_hits_requested_snr(snr, color):
    x = tone(2.0, 8000)
    y = add_noise(x, snr, color, random.Random(1))
    noise = y - x
    measured = 10 * np.log10(np.mean(x**2) / np.mean(noise**2))
    assert measured == pytest.approx(snr, abs=0.5)
    assert y.dtype == np.float32 and y.shape == x.shape


def test_colored_noise_spectra_differ():
    rng = random.Random(0)
    low_share = {}
    for color in ("white", "pink", "brown"):
        spec = np.abs(np.fft.rfft(colored_noise(16000, color, rng))) ** 2
        low_share[color] = spec[: len(spec) // 10].sum() / spec.sum()
    assert low_share["white"] < low_share["pink"] < low_share["brown"]


def test_gain_scales_and_soft_limits():
    x = tone(0.5, 8000)
    assert np.abs(apply_gain(x, -6.0)).max() == pytest.approx(0.3 * 10 ** (-6 / 20), rel=1e-3)
    loud = apply_gain(x, 20.0)
    assert np.abs(loud).max() <= 1.0


def test_augment_is_reproducible_and_off_by_default():
    x = tone(1.0, 8000)
    cfg = SpeechAugment(speed_prob=1.0, noise_prob=1.0, gain_prob=1.0)
    a = augment_wave(x, cfg, random.Random(5))
    b = augment_wave(x, cfg, random.Random(5))
    c = augment_wave(x, cfg, random.Random(6))
    np.testing.assert_array_equal(a, b)
    assert len(a) != len(c) or not np.array_equal(a, c)
    np.testing.assert_array_equal(augment_wave(x, SpeechAugment(), random.Random(5)), x)


def test_load_sample_applies_augmentation_only_in_training(tmp_path):
    sf.write(tmp_path / "a.wav", tone(1.0, 16000), 16000)
    feats = SpeechFeatures(sample_rate=8000)
    plain = load_sample(str(tmp_path / "a.wav"), feats, None, random.Random(0))
    assert isinstance(plain, torch.Tensor) and plain.shape == (8000,) and plain.dtype == torch.float32
    aug = load_sample(str(tmp_path / "a.wav"), feats, SpeechAugment(speed_prob=1.0, speed_range=(1.2, 1.2)),
                      random.Random(0))
    assert abs(aug.shape[0] - 8000 / 1.2) <= 2
    assert estimate_length(str(tmp_path / "a.wav"), feats) == 8000
    assert DOMAIN.load.resolve() is load_sample and DOMAIN.task == "ctc" and DOMAIN.input_key == "audio"
