"""Spatial transforms of a clip (torchvision.transforms.v2): every frame of a clip gets the same crop,
flip and colour change, because the clip is passed as one ``tv_tensors.Video``."""
from __future__ import annotations

import random

import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

from .config import VideoAugment, VideoFeatures


def train_transform(features: VideoFeatures, augment: VideoAugment) -> v2.Transform:
    """Random resized crop, horizontal flip and colour jitter."""
    return v2.Compose([
        v2.RandomResizedCrop(features.size, scale=augment.crop_scale, ratio=augment.crop_ratio, antialias=True),
        v2.RandomHorizontalFlip(augment.flip),
        v2.RandomApply([v2.ColorJitter(augment.brightness, augment.contrast, augment.saturation, augment.hue)], p=augment.jitter),
    ])


def eval_transform(features: VideoFeatures) -> v2.Transform:
    """Resize the short side, then take the centre square."""
    return v2.Compose([v2.Resize(features.short_side, antialias=True), v2.CenterCrop(features.size)])


def apply_transform(clip: torch.Tensor, features: VideoFeatures, augment: VideoAugment | None, rng: random.Random | None = None) -> torch.Tensor:
    """Transform a uint8 clip [T, C, H, W]; ``augment`` None means evaluation. Random draws come from
    ``rng`` (torch's global generator is forked so DataLoader workers stay reproducible and independent)."""
    video = tv_tensors.Video(clip)
    if augment is None:
        out = eval_transform(features)(video)
    else:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed((rng or random).getrandbits(63))
            out = train_transform(features, augment)(video)
    return out.as_subclass(torch.Tensor)
