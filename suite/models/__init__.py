"""Backbones and the model a domain trains: its frontend followed by the task's backbone."""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["SequenceModel", "build_model"]


class SequenceModel(nn.Module):
    """frontend (domain features, on device) -> backbone (task). forward(x, lengths) -> (out, out_lengths)."""

    def __init__(self, frontend: nn.Module, backbone: nn.Module):
        super().__init__()
        self.frontend = frontend
        self.backbone = backbone

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats, lengths = self.frontend(x, lengths)
        return self.backbone(feats, lengths)

    def from_cache(self, cached: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``forward`` on inputs a domain precomputed with its frontend's frozen part (a feature cache): the
        frontend's ``resume`` runs the rest; a frontend without one was cached whole."""
        resume = getattr(self.frontend, "resume", None)
        if resume is not None:
            cached, lengths = resume(cached, lengths)
        return self.backbone(cached, lengths)

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Output time steps for inputs of these lengths (the manifest's `length` unit), without running the model."""
        front = getattr(self.frontend, "output_lengths", None)
        lengths = front(lengths) if front is not None else lengths
        back = getattr(self.backbone, "output_lengths", None)
        return back(lengths) if back is not None else lengths


def build_model(domain, task, cfg, targets) -> SequenceModel:
    """The model of a typed config: the domain's frontend, then the task's backbone sized for ``targets``."""
    frontend, feat_dim = domain.build_frontend(cfg.features, cfg.augment, cfg.model)
    return SequenceModel(frontend, task.build_backbone(cfg.model, feat_dim, targets))
