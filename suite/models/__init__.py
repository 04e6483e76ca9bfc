"""Backbones and the model a domain trains: its frontend followed by a backbone."""
from __future__ import annotations

import torch
from torch import nn

from .cnn_lstm import CNNLSTM
from .ctc_encoder import CTCEncoder

__all__ = ["CTCEncoder", "CNNLSTM", "SequenceModel", "build_model"]


class SequenceModel(nn.Module):
    """frontend (domain features, on device) -> backbone. forward(x, lengths) -> (out, out_lengths)."""

    def __init__(self, frontend: nn.Module, backbone: nn.Module):
        super().__init__()
        self.frontend = frontend
        self.backbone = backbone

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if isinstance(self.backbone, CNNLSTM) and x.dim() == 3:
            return self.backbone(x, lengths)  # cached per-frame features: frontend and CNN already applied
        feats, lengths = self.frontend(x, lengths)
        return self.backbone(feats, lengths)

    @torch.no_grad()
    def frame_features(self, clip: torch.Tensor) -> torch.Tensor:
        """One clip [T, ...] -> per-frame CNN features [T, D] (for feature caching with a frozen CNN)."""
        feats, _ = self.frontend(clip[None], torch.tensor([clip.shape[0]], device=clip.device))
        return self.backbone.encode_frames(feats)[0]


def build_model(domain, cfg, n_out: int) -> SequenceModel:
    """The model for a typed config: ``n_out`` = vocabulary size + blank (ctc) or number of classes."""
    frontend, feat_dim = domain.build_frontend(cfg.features, cfg.augment)
    m = cfg.model
    if domain.kind == "ctc":
        backbone = CTCEncoder(feat_dim, n_out, input_proj=m.input_proj, subsample=m.subsample,
                              subsample_channels=m.subsample_channels, rnn=m.rnn, layers=m.layers, hidden=m.hidden,
                              bidirectional=m.bidirectional, dropout=m.dropout, pack=m.pack)
    else:
        backbone = CNNLSTM(n_out, cnn=m.cnn, cnn_weights=m.cnn_weights, cnn_channels=m.cnn_channels,
                           spatial_grid=m.spatial_grid, feature_dim=m.feature_dim, freeze_cnn=m.freeze_cnn,
                           rnn=m.rnn, layers=m.layers, hidden=m.hidden, bidirectional=m.bidirectional,
                           dropout=m.dropout, pooling=m.pooling)
    return SequenceModel(frontend, backbone)
