"""Per-frame CNN features, the video half of the CNN-LSTM: images -> CNN -> spatial grid -> feature vector.

The CNN is a small built-in network or a torchvision architecture by name; pretrained weights load only
from a local file. Frame features keep a grid x grid spatial layout of the last feature map (articulated
actions are not separable after global average pooling on a from-scratch CNN).
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from suite.errors import SuiteError


def small_cnn(channels: int = 32) -> tuple[nn.Module, int]:
    """Four conv blocks (each halves H and W); returns (module, output channels)."""
    c = channels
    dims = [3, c, c * 2, c * 4, c * 4]
    layers: list[nn.Module] = []
    for i in range(4):
        layers += [nn.Conv2d(dims[i], dims[i + 1], 3, padding=1, bias=False), nn.BatchNorm2d(dims[i + 1]),
                   nn.ReLU(inplace=True), nn.MaxPool2d(2)]
    return nn.Sequential(*layers), dims[-1]


def torchvision_trunk(name: str, weights: str | None) -> tuple[nn.Module, int]:
    """A torchvision classification model without its pooling/classifier head; weights from a local file."""
    import torchvision

    try:
        model = torchvision.models.get_model(name, weights=None)
    except ValueError:
        raise SuiteError(f"unknown CNN architecture '{name}' (use 'small' or a torchvision model name)") from None
    if weights:
        path = Path(weights)
        if not path.is_file():
            raise SuiteError("CNN weights file not found", path)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # noqa: BLE001 - any unreadable weights file is a user error
            raise SuiteError(f"cannot read CNN weights ({type(err).__name__})", path) from None
        state = state.get("state_dict", state) if isinstance(state, dict) else state
        missing, unexpected = model.load_state_dict(state, strict=False)
        if len(missing) > len(state) // 2:
            raise SuiteError(f"CNN weights do not match {name} ({len(missing)} tensors missing)", path)
    if hasattr(model, "features"):  # mobilenet, efficientnet, vgg, ...
        trunk = model.features
    else:  # resnet-like: everything up to global pooling
        children = list(model.named_children())
        keep = [m for n, m in children if n not in ("avgpool", "fc", "classifier", "head")]
        trunk = nn.Sequential(*keep)
    with torch.no_grad():
        channels = trunk.eval()(torch.zeros(1, 3, 64, 64)).shape[1]
    return trunk, channels


class FrameEncoder(nn.Module):
    """Images [N, 3, H, W] -> features [N, feature_dim], keeping a coarse spatial grid."""

    def __init__(self, cnn: str = "small", cnn_weights: str | None = None, cnn_channels: int = 32,
                 spatial_grid: int = 4, feature_dim: int = 256):
        super().__init__()
        if cnn == "small":
            self.cnn, channels = small_cnn(cnn_channels)
        else:
            self.cnn, channels = torchvision_trunk(cnn, cnn_weights)
        self.pool = nn.AdaptiveAvgPool2d(spatial_grid)
        self.proj = nn.Sequential(nn.Flatten(), nn.Linear(channels * spatial_grid**2, feature_dim), nn.ReLU())
        self.out_dim = feature_dim

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.proj(self.pool(self.cnn(images)))
