"""Waveform augmentation applied in `load` (DataLoader workers): speed, additive noise, gain.

Each effect fires with its own probability and draws its strength from ``rng`` (a ``random.Random``
seeded per worker by the core), so runs are reproducible.
"""
from __future__ import annotations

import random

import numpy as np

from .audio import resample
from .config import SpeechAugment


def speed_perturb(wave: np.ndarray, factor: float) -> np.ndarray:
    """Play ``factor`` times faster (tempo and pitch together) by resampling.

    The factor is rounded to 1/100 so the resampling ratio stays a small fraction (fast sinc kernels).
    """
    num = int(round(factor * 100))
    if num == 100:
        return wave
    # only the ratio matters to sinc resampling, so the rates can be the factor's hundredths
    return resample(wave, num, 100)


def colored_noise(n: int, color: str, rng: random.Random) -> np.ndarray:
    """Unit-RMS noise with a 1/f^k power spectrum (white k=0, pink k=1, brown k=2)."""
    gen = np.random.default_rng(rng.getrandbits(63))
    white = gen.standard_normal(n)
    k = {"white": 0.0, "pink": 1.0, "brown": 2.0}[color]
    if k > 0 and n > 1:
        spec = np.fft.rfft(white)
        freqs = np.fft.rfftfreq(n)
        freqs[0] = freqs[1]
        spec /= freqs ** (k / 2)
        white = np.fft.irfft(spec, n)
    rms = np.sqrt(np.mean(white**2)) or 1.0
    return (white / rms).astype(np.float32)


def add_noise(wave: np.ndarray, snr_db: float, color: str, rng: random.Random) -> np.ndarray:
    """Add noise at ``snr_db`` relative to the signal's power over its active (non-silent) part."""
    power = _active_power(wave)
    if power <= 0:
        return wave
    noise = colored_noise(len(wave), color, rng) * np.sqrt(power / 10 ** (snr_db / 10))
    return (wave + noise).astype(np.float32)


def _active_power(wave: np.ndarray, frame: int = 256) -> float:
    """Mean power of the louder half of the frames, so long pauses do not lower the noise level."""
    n = len(wave) // frame
    if n < 2:
        return float(np.mean(wave**2)) if len(wave) else 0.0
    energies = np.sort(np.mean(wave[: n * frame].reshape(n, frame) ** 2, axis=1))
    return float(np.mean(energies[n // 2 :]))


def apply_gain(wave: np.ndarray, gain_db: float) -> np.ndarray:
    """Scale by ``gain_db`` decibels, then soft-limit so loud gains clip like a real recorder would."""
    out = wave * np.float32(10 ** (gain_db / 20))
    peak = np.abs(out).max() if len(out) else 0.0
    return np.tanh(out).astype(np.float32) if peak > 1.0 else out.astype(np.float32)


def augment_wave(wave: np.ndarray, cfg: SpeechAugment, rng: random.Random) -> np.ndarray:
    """Apply the configured waveform effects (speed, then noise, then gain)."""
    if cfg.speed_prob and rng.random() < cfg.speed_prob:
        wave = speed_perturb(wave, rng.uniform(*cfg.speed_range))
    if cfg.noise_prob and rng.random() < cfg.noise_prob:
        color = cfg.noise_color if cfg.noise_color != "mixed" else rng.choice(["white", "pink", "brown"])
        wave = add_noise(wave, rng.uniform(*cfg.snr_db), color, rng)
    if cfg.gain_prob and rng.random() < cfg.gain_prob:
        wave = apply_gain(wave, rng.uniform(*cfg.gain_db))
    return wave
