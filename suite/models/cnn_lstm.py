"""CNN-LSTM clip classifier: per-frame CNN -> frame features -> LSTM/GRU -> pooling -> classes.

The CNN is a small built-in network or a torchvision architecture by name; pretrained weights load only
from a local file. Frame features keep a grid x grid spatial layout of the last feature map (articulated
actions are not separable after global average pooling on a from-scratch CNN).
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..errors import SuiteError
from .ctc_encoder import length_mask


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


class CNNLSTM(nn.Module):
    """Clips [B, T, 3, H, W] (or cached frame features [B, T, D]) + lengths -> class logits [B, C].

    ``rnn="none"`` gives the order-free baseline: mean of per-frame features.
    """

    def __init__(self, num_classes: int, *, cnn: str = "small", cnn_weights: str | None = None,
                 cnn_channels: int = 32, spatial_grid: int = 4, feature_dim: int = 256, freeze_cnn: bool = False,
                 rnn: str = "lstm", layers: int = 1, hidden: int = 256, bidirectional: bool = False,
                 dropout: float = 0.2, pooling: str = "last"):
        super().__init__()
        self.frames = FrameEncoder(cnn, cnn_weights, cnn_channels, spatial_grid, feature_dim)
        self.freeze_cnn = freeze_cnn
        if freeze_cnn:
            self.frames.requires_grad_(False)
        self.rnn_type = rnn
        if rnn == "none":
            self.rnn, out_dim, pooling = None, feature_dim, "mean"
        else:
            cell = {"lstm": nn.LSTM, "gru": nn.GRU}[rnn]
            self.rnn = cell(feature_dim, hidden, num_layers=layers, batch_first=True,
                            bidirectional=bidirectional, dropout=dropout if layers > 1 else 0.0)
            out_dim = hidden * (2 if bidirectional else 1)
        self.pooling = pooling
        self.attention = nn.Linear(out_dim, 1) if pooling == "attention" else None
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(out_dim, num_classes)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_cnn:
            self.frames.eval()  # frozen BatchNorm statistics too
        return self

    def encode_frames(self, clips: torch.Tensor) -> torch.Tensor:
        """[B, T, 3, H, W] -> [B, T, D]."""
        B, T = clips.shape[:2]
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze_cnn):
            feats = self.frames(clips.flatten(0, 1))
        return feats.view(B, T, -1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.encode_frames(x) if x.dim() == 5 else x
        mask = length_mask(lengths, feats.shape[1])
        if self.rnn is None:
            seq = feats
        else:
            packed = nn.utils.rnn.pack_padded_sequence(feats, lengths.cpu(), batch_first=True, enforce_sorted=False)
            seq = nn.utils.rnn.pad_packed_sequence(self.rnn(packed)[0], batch_first=True,
                                                   total_length=feats.shape[1])[0]
        if self.pooling == "last":
            pooled = seq[torch.arange(seq.shape[0], device=seq.device), lengths - 1]
        elif self.pooling == "mean":
            m = mask[:, :, None].to(seq.dtype)
            pooled = (seq * m).sum(1) / m.sum(1).clamp_min(1)
        else:
            scores = self.attention(seq).squeeze(-1).masked_fill(~mask, float("-inf"))
            pooled = (scores.softmax(1)[:, :, None] * seq).sum(1)
        return self.classifier(self.dropout(pooled)).float(), lengths
