"""On-device front end of the video model: uint8 frames -> normalised float frames."""
from __future__ import annotations

import torch
from torch import nn

from .config import VideoAugment, VideoFeatures


class VideoNormalize(nn.Module):
    """[B, T, C, H, W] uint8 (or 0..1 float) -> (x / 255 - mean) / std; padded frames are zeroed."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 1, 3, 1, 1))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
        x = (x - self.mean) / self.std
        # padding frames become exact zeros so they carry nothing whatever the backbone does with them
        valid = torch.arange(x.shape[1], device=x.device)[None, :] < lengths.to(x.device)[:, None]
        return x * valid[:, :, None, None, None], lengths


def build_frontend(features: VideoFeatures, augment: VideoAugment | None = None) -> tuple[nn.Module, int]:
    """The frontend and its output channel count (augmentation happens while loading, not here)."""
    return VideoNormalize(features.mean, features.std), 3
