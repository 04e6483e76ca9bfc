"""Recurrent sequence classifier: per-step features [B, T, D] -> LSTM/GRU -> pooling -> class logits.

The temporal half of a CNN-LSTM: the per-frame CNN is the video domain's frontend, so the same classifier
reads any per-step features. ``rnn="none"`` gives the order-free baseline (mean of the features). ``deltas`` appends each step's change
from the previous one (frame differences, the motion a per-frame CNN does not see).
"""
from __future__ import annotations

import torch
from torch import nn

from .ctc_encoder import length_mask


def recurrent_cell(rnn: str) -> type[nn.Module]:
    """The module class of a `model.rnn` name."""
    if rnn == "lstm_peephole":
        from .peephole import PeepholeLSTM

        return PeepholeLSTM
    return {"lstm": nn.LSTM, "gru": nn.GRU}[rnn]


class SequenceClassifier(nn.Module):
    """Features [B, T, D] + lengths -> class logits [B, C] (and the lengths, unchanged)."""

    def __init__(self, in_dim: int, num_classes: int, *, rnn: str = "lstm", layers: int = 1, hidden: int = 256,
                 bidirectional: bool = False, dropout: float = 0.2, pooling: str = "last",
                 input_proj: int | None = None, deltas: bool = False):
        super().__init__()
        self.deltas = deltas
        in_dim = in_dim * 2 if deltas else in_dim
        self.proj = None
        if input_proj:
            self.proj = nn.Sequential(nn.Dropout(dropout), nn.Linear(in_dim, input_proj), nn.ReLU())
            in_dim = input_proj
        self.rnn_type = rnn
        if rnn == "none":
            self.rnn, out_dim, pooling = None, in_dim, "mean"
        elif rnn == "lstm_peephole":
            from .ctc_encoder import RecurrentStack

            # one module per direction, run on each sequence's own length: exact under padding
            self.rnn = RecurrentStack(in_dim, hidden, layers, rnn, bidirectional, dropout if layers > 1 else 0.0)
            out_dim = self.rnn.out_dim
        else:
            self.rnn = recurrent_cell(rnn)(in_dim, hidden, num_layers=layers, batch_first=True,
                                           bidirectional=bidirectional, dropout=dropout if layers > 1 else 0.0)
            out_dim = hidden * (2 if bidirectional else 1)
        self.pooling = pooling
        self.attention = nn.Linear(out_dim, 1) if pooling == "attention" else None
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(out_dim, num_classes)

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.deltas:  # the first step's change is zero; padding steps are never read by the pooling
            feats = torch.cat([feats, feats - torch.cat([feats[:, :1], feats[:, :-1]], 1)], 2)
        if self.proj is not None:
            feats = self.proj(feats)
        mask = length_mask(lengths, feats.shape[1])
        if self.rnn is None:
            seq = feats
        elif self.rnn_type == "lstm_peephole":
            seq = self.rnn(feats, lengths)
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
