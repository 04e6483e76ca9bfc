"""On-device front end of the video model: uint8 frames -> normalised frames -> per-frame CNN features."""
from __future__ import annotations

import torch
from torch import nn

from suite.errors import SuiteError

from .config import VideoAugment, VideoFeatures
from .frames import FrameEncoder
from .motion import FLOW_CHANNELS, flow_pixels
from .model_config import VideoModel


def zero_padding(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """[B, T, ...] with the steps at or after each clip's length set to zero."""
    valid = torch.arange(x.shape[1], device=x.device)[None, :] < lengths.to(x.device)[:, None]
    return x * valid.view(*valid.shape, *([1] * (x.dim() - 2)))


class VideoNormalize(nn.Module):
    """[B, T, C, H, W] uint8 (or 0..1 float) -> (x / 255 - mean) / std; padded frames are zeroed. Channels
    after the first three (all of them when ``rgb`` is False) are quantised flow (``features.motion``), turned
    back into pixels."""

    def __init__(self, mean, std, rgb: bool = True):
        super().__init__()
        self.rgb = rgb
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 1, 3, 1, 1))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.rgb:
            return zero_padding(flow_pixels(x), lengths), lengths
        flow = x[:, :, 3:]
        x = x[:, :, :3]
        x = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
        x = (x - self.mean) / self.std
        if flow.shape[2]:
            x = torch.cat([x, flow_pixels(flow)], dim=2)
        # padding frames become exact zeros so they carry nothing whatever the backbone does with them
        return zero_padding(x, lengths), lengths


def with_differences(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """[B, T, C, H, W] normalised frames -> [B, T, 2C, H, W]: each frame and its change since the clip's previous
    frame (zero for the first frame and for padding)."""
    diff = torch.zeros_like(x)
    diff[:, 1:] = x[:, 1:] - x[:, :-1]
    # the step after a clip's last frame would otherwise hold "minus the last frame"
    return torch.cat([x, zero_padding(diff, lengths)], dim=2)


def input_channels(features: VideoFeatures, model: VideoModel) -> int:
    """Channels the CNN takes: RGB and/or flow (features.motion), all doubled by model.frame_differences."""
    if features.motion != "none" and model.cnn != "small":
        raise SuiteError(f"features.motion {features.motion} gives the CNN {FLOW_CHANNELS} flow channels: it needs "
                         f"the built-in model.cnn small, not {model.cnn} (a pretrained CNN takes RGB frames)")
    channels = {"none": 3, "flow": 3 + FLOW_CHANNELS, "flow_only": FLOW_CHANNELS}[features.motion]
    return 2 * channels if model.frame_differences else channels


class VideoFrontend(nn.Module):
    """Clips [B, T, C, H, W] (C: ``input_channels`` before the differences) + lengths -> per-frame features
    [B, T, D] + lengths."""

    def __init__(self, features: VideoFeatures, model: VideoModel):
        super().__init__()
        self.normalize = VideoNormalize(features.mean, features.std, rgb=features.motion != "flow_only")
        self.frames = FrameEncoder(model.cnn, model.cnn_weights, model.cnn_channels, model.spatial_grid,
                                   model.feature_dim, model.cnn_stage, model.cnn_trainable_blocks,
                                   model.cnn_layer, model.cnn_weights_sha256, model.cnn_squeeze, model.cnn_lr_scale,
                                   model.temporal_shift, model.feature_norm,
                                   model.feature_dropout, in_channels=input_channels(features, model),
                                   stem_stride=model.cnn_stem_stride)
        self.frame_differences = model.frame_differences
        self.freeze_cnn = model.freeze_cnn
        if self.freeze_cnn:
            self.frames.freeze()

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_cnn:
            # frozen BatchNorm statistics too, of fine-tuned blocks as well; a squeeze after a CNN frozen whole is
            # frozen with it (no statistics that move under a feature cache)
            (self.frames if self.frames.fully_frozen else self.frames.cnn).eval()
        return self

    @property
    def out_dim(self) -> int:
        return self.frames.out_dim

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        return lengths

    def _inputs(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, lengths = self.normalize(x, lengths)
        return (with_differences(x, lengths) if self.frame_differences else x), lengths

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, lengths = self._inputs(x, lengths)
        B, T = x.shape[:2]
        with torch.set_grad_enabled(torch.is_grad_enabled() and not (self.freeze_cnn and self.frames.fully_frozen)):
            feats = self.frames(x.flatten(0, 1), T, lengths.to(x.device))
        return feats.view(B, T, -1), lengths

    def cached(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """What the feature cache stores of clips [B, T, 3, H, W]: [B, T, ...] outputs of the frozen CNN."""
        x, lengths = self._inputs(x, lengths)
        with torch.no_grad():
            out = self.frames.frozen_part(x.flatten(0, 1))
        return out.view(*x.shape[:2], *out.shape[1:])

    def resume(self, cached: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``forward`` from what ``cached`` returned: [B, T, ...] -> features [B, T, D] + lengths."""
        B, T = cached.shape[:2]
        return self.frames.trainable_part(cached.flatten(0, 1), T, lengths.to(cached.device)).view(B, T, -1), lengths


def build_frontend(features: VideoFeatures, augment: VideoAugment | None = None,
                   model: VideoModel | None = None) -> tuple[nn.Module, int]:
    """The frontend and its per-frame feature size (spatial augmentation happens while loading, not here)."""
    model = model or VideoModel()
    frontend = VideoFrontend(features, model)
    return frontend, frontend.out_dim
