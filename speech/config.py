"""The speech recipe's `features:` and `augment:` config sections (every field has a default)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from suite.domain import StrictModel


class SpeechFeatures(StrictModel):
    """How audio becomes model input. Frames are computed inside the model, on the training device."""

    sample_rate: int = Field(16000, ge=1000)  # every file is resampled to this rate
    kind: Literal["logmel", "mfcc"] = "logmel"
    n_mels: int = Field(80, ge=8)
    n_mfcc: int = Field(40, ge=4)  # kind=mfcc: cepstral coefficients kept
    win_ms: float = Field(25.0, gt=0)
    hop_ms: float = Field(10.0, gt=0)
    f_min: float = Field(20.0, ge=0)
    f_max: float | None = None  # None: half the sample rate
    log_floor: float = Field(1e-6, gt=0)  # added before the log so digital silence does not dominate
    # absolute: log(mel + log_floor). relative: log(mel + log_floor * mean mel energy of the utterance),
    # which with per-utterance normalization makes features exactly independent of recording level
    log_floor_mode: Literal["absolute", "relative"] = "absolute"
    normalize: Literal["utterance", "none"] = "utterance"  # per-utterance mean/variance over valid frames

    @model_validator(mode="after")
    def _check(self):
        if self.f_max is not None and not self.f_min < self.f_max <= self.sample_rate / 2:
            raise ValueError(f"f_max must lie in (f_min, sample_rate/2], got {self.f_max}")
        if self.kind == "mfcc" and self.n_mfcc > self.n_mels:
            raise ValueError("n_mfcc cannot exceed n_mels")
        return self

    @property
    def win_length(self) -> int:
        return max(2, round(self.sample_rate * self.win_ms / 1000))

    @property
    def hop_length(self) -> int:
        return max(1, round(self.sample_rate * self.hop_ms / 1000))

    @property
    def n_fft(self) -> int:
        return 1 << (self.win_length - 1).bit_length()  # next power of two >= window

    @property
    def feat_dim(self) -> int:
        return self.n_mfcc if self.kind == "mfcc" else self.n_mels


class SpeechAugment(StrictModel):
    """Training-only augmentation. Waveform effects run in `load`; SpecAugment and VTLP in the frontend."""

    # waveform (DataLoader workers)
    speed_prob: float = Field(0.0, ge=0, le=1)
    speed_range: tuple[float, float] = (0.9, 1.1)  # tempo and pitch together, like Kaldi's 3-way perturbation
    noise_prob: float = Field(0.0, ge=0, le=1)
    snr_db: tuple[float, float] = (10.0, 40.0)
    noise_color: Literal["white", "pink", "brown", "mixed"] = "mixed"
    gain_prob: float = Field(0.0, ge=0, le=1)
    gain_db: tuple[float, float] = (-10.0, 6.0)
    # spectrogram (frontend, training mode only)
    freq_masks: int = Field(0, ge=0)
    freq_mask_width: int = Field(15, ge=0)  # maximal width in feature bins
    time_masks: int = Field(0, ge=0)
    time_mask_width: int = Field(25, ge=0)  # maximal width in frames...
    time_mask_max_ratio: float = Field(0.1, ge=0, le=1)  # ...and at most this fraction of the utterance
    vtlp_prob: float = Field(0.0, ge=0, le=1)  # vocal tract length perturbation: warp the mel axis
    vtlp_range: tuple[float, float] = (0.9, 1.1)

    @model_validator(mode="after")
    def _check(self):
        for name in ("speed_range", "snr_db", "gain_db", "vtlp_range"):
            lo, hi = getattr(self, name)
            if lo > hi:
                raise ValueError(f"{name}: low end {lo} is above high end {hi}")
        if self.speed_range[0] <= 0 or self.vtlp_range[0] <= 0:
            raise ValueError("speed_range and vtlp_range must be positive")
        return self
