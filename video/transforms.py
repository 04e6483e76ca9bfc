"""Spatial transforms of a clip (torchvision.transforms.v2): every frame of a clip gets the same crop,
flip and colour change, because the clip is passed as one ``tv_tensors.Video``."""
from __future__ import annotations

import random

import torch
from torchvision import tv_tensors
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as F

from .config import VideoAugment, VideoFeatures


def train_transform(features: VideoFeatures, augment: VideoAugment) -> v2.Transform:
    """Random resized crop, horizontal flip, colour jitter, grey clips and an erased rectangle."""
    steps = [
        v2.RandomResizedCrop(features.crop_size, scale=augment.crop_scale, ratio=augment.crop_ratio, antialias=True),
        v2.RandomHorizontalFlip(augment.flip),
        v2.RandomApply([v2.ColorJitter(augment.brightness, augment.contrast, augment.saturation, augment.hue)], p=augment.jitter),
    ]
    if augment.grayscale > 0:
        # v2.RandomGrayscale passes a tv_tensors.Video through unchanged: convert it as a plain tensor
        grey = v2.Lambda(lambda clip: tv_tensors.wrap(F.rgb_to_grayscale(clip.as_subclass(torch.Tensor), 3), like=clip),
                         tv_tensors.Video)
        steps.append(v2.RandomApply([grey], p=augment.grayscale))
    if augment.erase > 0:
        # the normalisation's mean: the rectangle reaches the model as zeros, like RandomErasing after Normalize
        fill = [round(m * 255) for m in features.mean]
        steps.append(v2.RandomErasing(augment.erase, scale=augment.erase_scale, value=fill))
    return v2.Compose(steps)


def eval_transform(features: VideoFeatures) -> v2.Transform:
    """Resize the short side, then take the centre square."""
    return v2.Compose([v2.Resize(features.decode_side, antialias=True), v2.CenterCrop(features.crop_size)])


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
