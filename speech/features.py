"""The speech frontend: padded waveforms -> log-mel (or MFCC) frames, on the model's device.

It lives inside the model so a bundle carries its own feature extraction. Padding never leaks into
a sequence's features: samples past each length are zeroed, statistics use valid frames only, and
frames past each length are zero. Augmentation (SpecAugment masks, VTLP) runs only in training mode.
"""
from __future__ import annotations

import numpy as np
import torch
import torchaudio
from torch import nn

from .config import SpeechAugment, SpeechFeatures


def frame_count(num_samples: torch.Tensor | int, features: SpeechFeatures):
    """Frames produced for ``num_samples`` samples (one frame per hop, centred windows)."""
    return num_samples // features.hop_length + 1


def _vtlp_banks(fb: torch.Tensor, sample_rate: int, alphas: np.ndarray) -> torch.Tensor:
    """Mel filterbanks on a warped frequency axis, one per warp factor: [K, n_freqs, n_mels].

    Piecewise-linear warp as in Jaitly & Hinton (2013): f -> alpha*f below a boundary, then a straight
    line to the Nyquist frequency so the band edge stays put.
    """
    nyq = sample_rate / 2
    freqs = np.linspace(0, nyq, fb.shape[0])
    base = fb.numpy()
    banks = []
    for alpha in alphas:
        boundary = 0.8 * nyq * min(alpha, 1.0) / alpha
        warped = np.where(
            freqs <= boundary,
            freqs * alpha,
            nyq - (nyq - boundary * alpha) / (nyq - boundary) * (nyq - freqs),
        )
        banks.append(np.stack([np.interp(warped, freqs, base[:, m]) for m in range(base.shape[1])], axis=1))
    return torch.tensor(np.stack(banks), dtype=torch.float32)


class SpeechFrontend(nn.Module):
    """forward(waves [B, N], lengths [B]) -> (features [B, T, F], frame lengths [B])."""

    def __init__(self, features: SpeechFeatures, augment: SpeechAugment | None = None):
        super().__init__()
        self.cfg = features
        self.aug = augment or SpeechAugment()
        f = features
        self.pad = f.n_fft // 2
        self.spectrogram = torchaudio.transforms.Spectrogram(
            n_fft=f.n_fft, win_length=f.win_length, hop_length=f.hop_length, center=False, power=2.0
        )
        fb = torchaudio.functional.melscale_fbanks(
            f.n_fft // 2 + 1, f.f_min, f.f_max or f.sample_rate / 2, f.n_mels, f.sample_rate, norm="slaney", mel_scale="slaney"
        )
        # derived constants, rebuilt from the config: not saved in the state dict
        self.register_buffer("fbank", fb, persistent=False)
        if self.aug.vtlp_prob > 0:
            alphas = np.linspace(self.aug.vtlp_range[0], self.aug.vtlp_range[1], 11)
            self.register_buffer("vtlp_fbanks", _vtlp_banks(fb, f.sample_rate, alphas), persistent=False)
        if f.kind == "mfcc":
            self.register_buffer("dct", torchaudio.functional.create_dct(f.n_mfcc, f.n_mels, "ortho"), persistent=False)

    @property
    def feat_dim(self) -> int:
        return self.cfg.feat_dim

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Feature frames of waveforms of these lengths (samples)."""
        return frame_count(lengths, self.cfg)

    def forward(self, waves: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if waves.dim() == 3:  # [B, N, 1] from a generic collate
            waves = waves.squeeze(-1)
        waves = waves.float()
        lengths = lengths.to(waves.device)
        idx = torch.arange(waves.shape[1], device=waves.device)
        waves = waves * (idx[None, :] < lengths[:, None])
        waves = nn.functional.pad(waves, (self.pad, self.pad))
        power = self.spectrogram(waves).transpose(1, 2)  # [B, T, n_freqs]
        n_frames = frame_count(lengths, self.cfg).clamp(max=power.shape[1])
        mel = self._mel(power)
        valid = (torch.arange(mel.shape[1], device=mel.device)[None, :] < n_frames[:, None]).unsqueeze(-1)
        floor = self.cfg.log_floor
        if self.cfg.log_floor_mode == "relative":
            energy = (mel * valid).sum(dim=(1, 2), keepdim=True) / (n_frames.clamp(min=1)[:, None, None] * mel.shape[2])
            floor = floor * energy.clamp(min=1e-20)
        feats = torch.log(mel + floor)
        if self.cfg.kind == "mfcc":
            feats = feats @ self.dct
        if self.cfg.normalize == "utterance":
            feats = self._normalize(feats, valid, n_frames)
        if self.training:
            feats = self._spec_augment(feats, n_frames)
        return feats * valid, n_frames

    def _mel(self, power: torch.Tensor) -> torch.Tensor:
        if not (self.training and self.aug.vtlp_prob > 0):
            return power @ self.fbank
        b = power.shape[0]
        pick = torch.randint(len(self.vtlp_fbanks), (b,), device=power.device)
        use = torch.rand(b, device=power.device) < self.aug.vtlp_prob
        middle = len(self.vtlp_fbanks) // 2  # factor ~1.0 when not perturbed
        banks = self.vtlp_fbanks[torch.where(use, pick, torch.full_like(pick, middle))]
        warped = torch.bmm(power, banks)
        return torch.where(use[:, None, None], warped, power @ self.fbank)

    @staticmethod
    def _normalize(feats: torch.Tensor, valid: torch.Tensor, n_frames: torch.Tensor) -> torch.Tensor:
        count = n_frames.clamp(min=1).to(feats.dtype)[:, None, None]
        mean = (feats * valid).sum(1, keepdim=True) / count
        var = (((feats - mean) * valid) ** 2).sum(1, keepdim=True) / count
        return (feats - mean) / torch.sqrt(var + 1e-5)

    def _spec_augment(self, feats: torch.Tensor, n_frames: torch.Tensor) -> torch.Tensor:
        """Zero (= the utterance mean after normalization) random frequency bands and time spans."""
        b, t, f = feats.shape
        dev = feats.device
        keep = torch.ones(b, t, f, dtype=torch.bool, device=dev)
        bins = torch.arange(f, device=dev)[None, :]
        for _ in range(self.aug.freq_masks):
            width = torch.randint(0, self.aug.freq_mask_width + 1, (b, 1), device=dev).clamp(max=f)
            start = (torch.rand(b, 1, device=dev) * (f - width + 1)).long()
            keep &= ~((bins >= start) & (bins < start + width))[:, None, :]
        steps = torch.arange(t, device=dev)[None, :]
        max_w = torch.minimum(
            torch.full_like(n_frames, self.aug.time_mask_width),
            (n_frames.float() * self.aug.time_mask_max_ratio).long(),
        )[:, None]
        for _ in range(self.aug.time_masks):
            width = (torch.rand(b, 1, device=dev) * (max_w + 1).float()).long()
            start = (torch.rand(b, 1, device=dev) * (n_frames[:, None] - width + 1).float()).long()
            keep &= ~((steps >= start) & (steps < start + width))[:, :, None]
        return feats * keep


def build_frontend(features: SpeechFeatures, augment: SpeechAugment | None, model=None) -> tuple[nn.Module, int]:
    frontend = SpeechFrontend(features, augment)
    return frontend, frontend.feat_dim


def time_step_seconds(features: SpeechFeatures) -> float:
    return features.hop_length / features.sample_rate
