"""The LSTM forecaster: a plain nn.Module that holds its scaler, so it takes values in the series' units.

forward(x [B, T, F] in original units, lengths) -> (out [B, H, k, 3], lengths): for each of the H future
steps and k target columns, (point, lower, upper) in *scaled* units (what the loss compares); ``forecast``
gives the same in original units. Scaling: optional log, then per-column mean/std of the training part.

Structure (why): the LSTM sees the window minus its level (the mean of its last season), so a series that
has grown past anything in training looks familiar; the point forecast is the seasonal-naive forecast (the
last season repeated) plus the LSTM's correction, so the model learns the change from last year rather than
the whole seasonal shape. With ``transform: log`` both are multiplicative, as airline-type series need.
The interval heads read a detached copy of the LSTM state and add a non-negative spread below and above the
detached point forecast: they are trained by the pinball loss at the interval's quantiles and never change
the point forecast.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence


class Identity(nn.Module):
    """The forecast frontend: the window's values as they are (scaling is the backbone's, fitted on training)."""

    def forward(self, x: torch.Tensor, lengths: torch.Tensor):
        return x.float(), lengths

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        return lengths


def build_frontend(features, augment, model=None) -> tuple[nn.Module, int]:
    # the number of columns is the data's: the backbone takes it from the target space, not from here
    return Identity(), 0


class ForecastLSTM(nn.Module):
    def __init__(self, n_features: int, target_index: Sequence[int], horizon: int, *, mean: Sequence[float],
                 std: Sequence[float], transform: str = "none", season: int | None = None, rnn: str = "lstm",
                 layers: int = 1, hidden: int = 32, dropout: float = 0.0, level: str = "season",
                 skip: str = "seasonal"):
        super().__init__()
        self.horizon, self.transform = int(horizon), transform
        self.season = int(season) if season else 0
        self.level, self.skip = level, skip
        self.k = len(target_index)
        self.register_buffer("target_index", torch.tensor(list(target_index), dtype=torch.long))
        self.register_buffer("mean", torch.tensor(list(mean), dtype=torch.float32))
        self.register_buffer("std", torch.tensor(list(std), dtype=torch.float32))
        cls = {"lstm": nn.LSTM, "gru": nn.GRU}[rnn]
        self.rnn = cls(n_features, hidden, num_layers=layers, batch_first=True,
                       dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, self.horizon * self.k)
        self.spread = nn.Linear(hidden, self.horizon * self.k * 2)
        nn.init.zeros_(self.head.weight)  # start from the skip forecast (seasonal naive): a sane first guess
        nn.init.zeros_(self.head.bias)

    # --- scaling -------------------------------------------------------------------------------------
    def scale(self, x: torch.Tensor) -> torch.Tensor:
        """Original units [..., F] -> scaled units."""
        x = x.float()
        if self.transform == "log":
            x = torch.log(x.clamp_min(1e-12))
        return (x - self.mean) / self.std

    def unscale_targets(self, z: torch.Tensor) -> torch.Tensor:
        """Scaled target columns [..., k] -> original units."""
        v = z * self.std[self.target_index] + self.mean[self.target_index]
        return torch.exp(v) if self.transform == "log" else v

    # --- forward -------------------------------------------------------------------------------------
    def _last(self, z: torch.Tensor, lengths: torch.Tensor, n: int) -> torch.Tensor:
        """The last ``n`` valid steps of each padded sequence: [B, n, F] (repeats the first step if shorter)."""
        idx = (lengths[:, None] - n + torch.arange(n, device=z.device)[None]).clamp_min(0)
        return z.gather(1, idx[..., None].expand(-1, -1, z.shape[2]))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None):
        b, t, _ = x.shape
        if lengths is None:
            lengths = torch.full((b,), t, dtype=torch.long, device=x.device)
        lengths = lengths.to(x.device).clamp(1, t)
        z = self.scale(x)
        s = self.season if self.season and int(lengths.min()) >= self.season else 1
        last = self._last(z, lengths, s)  # [B, s, F]
        if self.level == "season":
            level = last.mean(dim=1, keepdim=True)
        elif self.level == "last":
            level = last[:, -1:]
        else:
            level = torch.zeros_like(last[:, :1])
        inp = z - level
        packed = pack_padded_sequence(inp, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, state = self.rnn(packed)
        h = (state[0] if isinstance(state, tuple) else state)[-1]  # last layer's final state [B, hidden]
        u = self.head(self.drop(h)).view(b, self.horizon, self.k)
        ti = self.target_index
        if self.skip == "seasonal" and s > 1:
            steps = torch.arange(self.horizon, device=x.device) % s
            base = last[:, steps][..., ti]
        elif self.skip in ("seasonal", "last"):
            base = last[:, -1:, ti].expand(-1, self.horizon, -1)
        else:
            base = level[..., ti].expand(-1, self.horizon, -1)
        point = base + u
        spread = F.softplus(self.spread(h.detach())).view(b, self.horizon, self.k, 2)
        lower = point.detach() - spread[..., 0]
        upper = point.detach() + spread[..., 1]
        out = torch.stack([point, lower, upper], dim=-1)
        return out, torch.full((b,), self.horizon, dtype=torch.long, device=x.device)

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        return torch.full_like(lengths, self.horizon)

    @torch.no_grad()
    def forecast(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Original units in and out: [B, T, F] -> [B, H, k, 3] (point, lower, upper)."""
        out, _ = self(x, lengths)
        return self.unscale_targets(out.transpose(-1, -2)).transpose(-1, -2)
