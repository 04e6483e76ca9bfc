"""BiLSTM-CTC encoder: [projection] -> [strided-conv subsampling] -> stacked (Bi)LSTM/GRU -> linear -> log-probs.

Exact under padding: a sequence gives the same output alone and inside a padded batch. The backward
direction never reads padding, either through a PackedSequence (the fast path on cuDNN) or by reversing
each sequence within its own length on the padded batch (the fast path on CPU, where torch's packed LSTM
is ~8x slower).
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def length_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """[B, T] bool mask, True on valid steps."""
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence of a [B, T, F] batch within its own length; padding stays in place."""
    T = x.shape[1]
    steps = torch.arange(T, device=x.device)[None, :]
    idx = torch.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)
    return x.gather(1, idx[:, :, None].expand(-1, -1, x.shape[2]))


class ConvSubsampler(nn.Module):
    """Optional same-rate 1-D convolutions over time (``context``: local shape, shared along the sequence), then
    strided ones, each halving the frame rate; padding is re-zeroed after each."""

    def __init__(self, in_dim: int, channels: int, factor: int, context: int = 0, kernel: int = 5):
        super().__init__()
        n = {1: 0, 2: 1, 4: 2, 8: 3}[factor]
        if kernel < 1 or kernel % 2 == 0:
            raise ValueError(f"context kernel must be odd and positive, not {kernel}")
        ctx = [in_dim] + [channels] * context
        self.context = nn.ModuleList(nn.Conv1d(ctx[i], ctx[i + 1], kernel, padding=kernel // 2) for i in range(context))
        dims = [ctx[-1]] + [channels] * n
        self.convs = nn.ModuleList(nn.Conv1d(dims[i], dims[i + 1], 3, stride=2, padding=1) for i in range(n))
        self.out_dim = dims[-1]

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        for _ in self.convs:
            lengths = (lengths - 1) // 2 + 1
        return lengths

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = x.transpose(1, 2)  # [B, F, T]
        if len(self.context):
            mask = length_mask(lengths, x.shape[2])[:, None, :].to(x.dtype)  # same-rate: one mask for all
            for conv in self.context:
                x = torch.relu(conv(x * mask))
        for conv in self.convs:
            x = x * length_mask(lengths, x.shape[2])[:, None, :].to(x.dtype)
            x = torch.relu(conv(x))
            lengths = (lengths - 1) // 2 + 1
        x = x * length_mask(lengths, x.shape[2])[:, None, :].to(x.dtype)
        return x.transpose(1, 2), lengths


class RecurrentStack(nn.Module):
    """Stacked uni/bidirectional LSTM or GRU; each direction is its own module so both paths are exact.

    ``recurrent_dropout`` drops entries of the hidden-to-hidden weights in training (DropConnect, as in
    AWD-LSTM, Merity et al. 2018): one mask per batch, the same at every step, so the recurrence cannot lean on
    single connections; the stored weights and their names stay those of the plain cell.
    """

    def __init__(self, in_dim: int, hidden: int, layers: int, rnn: str = "lstm", bidirectional: bool = True,
                 dropout: float = 0.0, pack: str = "auto", recurrent_dropout: float = 0.0):
        super().__init__()
        if not 0.0 <= recurrent_dropout < 1.0:
            raise ValueError(f"recurrent_dropout must be in [0, 1), not {recurrent_dropout}")
        self.recurrent_dropout = recurrent_dropout
        from .sequence_classifier import recurrent_cell

        cell = recurrent_cell(rnn)
        dirs = 2 if bidirectional else 1
        self.bidirectional = bidirectional
        self.pack = pack
        self.forward_rnns = nn.ModuleList()
        self.backward_rnns = nn.ModuleList()
        for i in range(layers):
            d = in_dim if i == 0 else hidden * dirs
            self.forward_rnns.append(cell(d, hidden, batch_first=True))
            if bidirectional:
                self.backward_rnns.append(cell(d, hidden, batch_first=True))
        self.dropout = nn.Dropout(dropout)
        self.out_dim = hidden * dirs
        # every cell of the stack names its hidden-to-hidden weights alike: found once, not on every call
        self._recurrent_weights = [name for name, _ in self.forward_rnns[0].named_parameters()
                                   if name.rsplit(".", 1)[-1].startswith("weight_hh")]

    def use_packing(self, device: torch.device) -> bool:
        return self.pack == "packed" or (self.pack == "auto" and device.type == "cuda")

    def _run(self, rnn: nn.Module, x):
        if not (self.training and self.recurrent_dropout):
            return rnn(x)[0]
        from torch.func import functional_call

        dropped = {name: nn.functional.dropout(rnn.get_parameter(name), self.recurrent_dropout, True)
                   for name in self._recurrent_weights}
        return functional_call(rnn, dropped, (x,))[0]

    def _run_packed(self, rnn: nn.Module, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out = self._run(rnn, packed)
        return pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0]

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = self.use_packing(x.device)
        mask = length_mask(lengths, x.shape[1])[:, :, None].to(x.dtype)
        for i, fwd in enumerate(self.forward_rnns):
            if i:
                x = self.dropout(x)
            if packed:
                outs = [self._run_packed(fwd, x, lengths)]
                if self.bidirectional:
                    rev = reverse_padded(x, lengths)
                    outs.append(reverse_padded(self._run_packed(self.backward_rnns[i], rev, lengths), lengths))
            else:
                # forward direction over the padded batch is exact on valid steps: padding comes after them
                outs = [self._run(fwd, x)]
                if self.bidirectional:
                    rev = reverse_padded(x, lengths)
                    outs.append(reverse_padded(self._run(self.backward_rnns[i], rev), lengths))
            x = torch.cat(outs, dim=2) * mask
        return x


class CTCEncoder(nn.Module):
    """Features [B, T, F] + lengths -> CTC log-probs [B, T', V] (blank = 0) + output lengths.

    Args:
        input_dim: feature size per time step.
        vocab_size: number of output classes including the blank.
        input_proj: optional size of a linear projection applied first.
        subsample: time subsampling factor (1, 2, 4, 8) by strided convolutions.
        context_convs: same-rate convolutions (``subsample_channels`` wide, ``context_kernel`` steps) before them.
        recurrent_dropout: DropConnect on the recurrent weights in training (see RecurrentStack).
    """

    def __init__(self, input_dim: int, vocab_size: int, *, input_proj: int | None = None, subsample: int = 1,
                 subsample_channels: int = 256, rnn: str = "lstm", layers: int = 3, hidden: int = 256,
                 bidirectional: bool = True, dropout: float = 0.1, pack: str = "auto", context_convs: int = 0,
                 context_kernel: int = 5, recurrent_dropout: float = 0.0):
        super().__init__()
        self.proj = nn.Linear(input_dim, input_proj) if input_proj else None
        dim = input_proj or input_dim
        self.subsampler = ConvSubsampler(dim, subsample_channels, subsample, context_convs, context_kernel)
        self.rnn = RecurrentStack(self.subsampler.out_dim, hidden, layers, rnn, bidirectional, dropout, pack,
                                  recurrent_dropout)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.rnn.out_dim, vocab_size)
        self.subsample = subsample

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        return self.subsampler.output_lengths(lengths)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.proj is not None:
            x = self.proj(x)
        x, lengths = self.subsampler(x, lengths)
        x = self.rnn(x, lengths)
        logits = self.head(self.dropout(x))
        return logits.float().log_softmax(dim=-1), lengths
