"""LSTM with peephole connections (Gers & Schmidhuber 2000, as written by Graves 2013), a drop-in for nn.LSTM.

    i_t = σ(W_xi x_t + W_hi h_{t-1} + w_ci ⊙ c_{t-1} + b_i)
    f_t = σ(W_xf x_t + W_hf h_{t-1} + w_cf ⊙ c_{t-1} + b_f)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ tanh(W_xc x_t + W_hc h_{t-1} + b_c)
    o_t = σ(W_xo x_t + W_ho h_{t-1} + w_co ⊙ c_t + b_o)
    h_t = o_t ⊙ tanh(c_t)

Gates are stored in nn.LSTM's order (i, f, g, o), so ``weight_ih``/``weight_hh`` of a direction map one to
one onto nn.LSTM's ``weight_ih_l0``/``weight_hh_l0`` and ``bias`` onto ``bias_ih_l0 + bias_hh_l0``.

Speed on CPU: the input projection of all time steps is one matmul; the time loop is a TorchScript
function (so a traced model keeps it a loop over any length, not T unrolled steps); for training, the
backward pass is a hand-written scripted BPTT loop whose weight gradients are single matmuls after the
loop, instead of autograd recording ~15 nodes per step.

Input is a padded tensor or (in eager use) a PackedSequence, like nn.LSTM. A padded batch is run to its
full length, as nn.LSTM does; under ``torch.jit.script`` the module takes padded tensors only. Under
autocast the input projection follows autocast and the recurrence runs in the parameters' dtype.
"""
from __future__ import annotations

import math
from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence


@torch.jit.script
def peephole_scan(gx: Tensor, w_hh: Tensor, peep: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor]:
    """The recurrence, autograd-friendly: gx [T, B, 4H] (input projection + bias), w_hh [4H, H],
    peep [3, H] (w_ci, w_cf, w_co), h/c [B, H] -> all hidden states and cell states [T, B, H] each."""
    H = h.shape[1]
    w_hh_t = w_hh.t()
    w_if = peep[:2]
    w_co = peep[2]
    hs: List[Tensor] = []
    cs: List[Tensor] = []
    for g_t in gx.unbind(0):  # unbind, not gx[t]: one backward node for the whole tensor, not T zero-filled copies
        gates = torch.addmm(g_t, h, w_hh_t)
        i_f = torch.sigmoid(torch.addcmul(gates[:, : 2 * H].unflatten(1, (2, H)), c[:, None], w_if))
        g = torch.tanh(gates[:, 2 * H: 3 * H])
        c = torch.addcmul(i_f[:, 1] * c, i_f[:, 0], g)
        o = torch.sigmoid(torch.addcmul(gates[:, 3 * H:], w_co, c))
        h = o * torch.tanh(c)
        hs.append(h)
        cs.append(c)
    return torch.stack(hs), torch.stack(cs)


@torch.jit.script
def _backward_loop(d_hs: Tensor, d_cs: Optional[Tensor], gx: Tensor, hs: Tensor, cs: Tensor, h0: Tensor, c0: Tensor,
                   w_hh: Tensor, peep: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """BPTT of peephole_scan -> grads of (gx, w_hh, peep, h0, c0). The gate activations are recomputed from
    the saved states for all steps at once, and the weight gradients are taken after the loop, so the
    loop does only what is on the recurrent path."""
    T, B, H = hs.shape[0], hs.shape[1], hs.shape[2]
    h_prev = torch.cat([h0[None], hs[:-1]])
    c_prev = torch.cat([c0[None], cs[:-1]])
    gates = torch.addmm(gx.flatten(0, 1), h_prev.flatten(0, 1), w_hh.t()).view(T, B, 4, H)
    i = torch.sigmoid(gates[:, :, 0] + peep[0] * c_prev)
    f = torch.sigmoid(gates[:, :, 1] + peep[1] * c_prev)
    g = torch.tanh(gates[:, :, 2])
    o = torch.sigmoid(gates[:, :, 3] + peep[2] * cs)
    tc = torch.tanh(cs)
    a_o = tc * o * (1 - o)  # d pre_o / d h_t
    b_o = o * (1 - tc * tc)  # d c_t / d h_t through tanh(c_t)
    # d pre_{i,f,g} / d c_t, stacked so that one multiply per step gives all three
    a_ifg = torch.stack([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g)], 2)  # [T, B, 3, H]
    w_ci, w_cf, w_co = peep[0], peep[1], peep[2]
    # per-step slices taken once: indexing a list costs nothing, an aten::select per step does
    d_hs_t, a_o_t, b_o_t, a_ifg_t, f_t = d_hs.unbind(0), a_o.unbind(0), b_o.unbind(0), a_ifg.unbind(0), f.unbind(0)
    d_cs_t = d_cs.unbind(0) if d_cs is not None else d_hs_t
    d_list: List[Tensor] = []
    d_next = gx.new_zeros(B, 4 * H)
    dc = torch.zeros_like(c0)
    for t in range(T - 1, -1, -1):
        dh = torch.addmm(d_hs_t[t], d_next, w_hh)
        if d_cs is not None:
            dc = dc + d_cs_t[t]
        d_o = dh * a_o_t[t]
        dc = torch.addcmul(torch.addcmul(dc, dh, b_o_t[t]), d_o, w_co)
        d_ifg = dc[:, None] * a_ifg_t[t]
        d_next = torch.cat([d_ifg.flatten(1), d_o], 1)
        d_list.append(d_next)
        dc = torch.addcmul(torch.addcmul(dc * f_t[t], d_ifg[:, 0], w_ci), d_ifg[:, 1], w_cf)
    d_list.reverse()
    d_gates = torch.stack(d_list)
    dh0 = d_gates[0] @ w_hh
    d_w_hh = d_gates.flatten(0, 1).t() @ h_prev.flatten(0, 1)
    d_peep = torch.stack([(d_gates[:, :, :H] * c_prev).sum((0, 1)), (d_gates[:, :, H: 2 * H] * c_prev).sum((0, 1)),
                          (d_gates[:, :, 3 * H:] * cs).sum((0, 1))])
    return d_gates, d_w_hh, d_peep, dh0, dc


class _PeepholeFunction(torch.autograd.Function):
    """peephole_scan with the hand-written backward (eager training)."""

    @staticmethod
    def forward(ctx, gx, w_hh, peep, h0, c0):
        hs, cs = peephole_scan(gx, w_hh, peep, h0, c0)  # autograd is off inside Function.forward
        ctx.save_for_backward(gx, hs, cs, h0, c0, w_hh, peep)
        ctx.set_materialize_grads(False)
        return hs, cs

    @staticmethod
    def backward(ctx, d_hs, d_cs):
        gx, hs, cs, h0, c0, w_hh, peep = ctx.saved_tensors
        if d_hs is None:
            d_hs = torch.zeros_like(hs)
        return _backward_loop(d_hs.contiguous(), None if d_cs is None else d_cs.contiguous(), gx, hs, cs, h0, c0,
                              w_hh, peep)


def _run_eager(gx: Tensor, w_hh: Tensor, peep: Tensor, h0: Tensor, c0: Tensor) -> Tuple[Tensor, Tensor]:
    # the recurrence in the parameters' dtype: under autocast the cell state would otherwise be bf16
    gx, h0, c0 = gx.to(w_hh.dtype), h0.to(w_hh.dtype), c0.to(w_hh.dtype)
    with torch.autocast(gx.device.type, enabled=False):
        if torch.is_grad_enabled() and any(t.requires_grad for t in (gx, w_hh, peep, h0, c0)):
            return _PeepholeFunction.apply(gx, w_hh, peep, h0, c0)
        return peephole_scan(gx, w_hh, peep, h0, c0)  # inference: nothing to save for a backward pass


def _reverse(x: Tensor, lengths: Optional[Tensor]) -> Tensor:
    """Reverse a time-major [T, B, F] batch, each sequence within its own length when lengths are given."""
    if lengths is None:
        return x.flip(0)
    T = x.shape[0]
    steps = torch.arange(T, device=x.device)[:, None]
    lens = lengths.to(x.device)[None, :]
    idx = torch.where(steps < lens, lens - 1 - steps, steps)
    return x.gather(0, idx[:, :, None].expand(-1, -1, x.shape[2]))


def _last(seq: Tensor, lengths: Optional[Tensor]) -> Tensor:
    """State after each sequence's last valid step: [T, B, H] -> [B, H]."""
    if lengths is None:
        return seq[-1]
    idx = (lengths.to(seq.device) - 1).clamp_min(0)
    return seq.gather(0, idx[None, :, None].expand(1, -1, seq.shape[2]))[0]


class PeepholeDirection(nn.Module):
    """One layer, one direction: the parameters and the time loop. x [T, B, F] -> states [T, B, H] x 2."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.hidden_size = hidden_size
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size))
        self.weight_peephole = nn.Parameter(torch.empty(3, hidden_size))  # rows: w_ci, w_cf, w_co
        self.bias = nn.Parameter(torch.empty(4 * hidden_size)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.hidden_size)  # nn.LSTM's initialisation
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)
        if self.bias is not None:
            with torch.no_grad():  # forget gate open at the start: gradients reach far back (Gers et al. 2000)
                self.bias[self.hidden_size: 2 * self.hidden_size].fill_(1.0)

    def forward(self, x: Tensor, h0: Tensor, c0: Tensor) -> Tuple[Tensor, Tensor]:
        gx = nn.functional.linear(x, self.weight_ih, self.bias)
        if torch.jit.is_scripting() or torch.jit.is_tracing():
            return peephole_scan(gx, self.weight_hh, self.weight_peephole, h0, c0)
        return _run_eager(gx, self.weight_hh, self.weight_peephole, h0, c0)


class PeepholeLSTM(nn.Module):
    """nn.LSTM's interface with peephole connections: ``forward(x, hx=None) -> (output, (h_n, c_n))``.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional: as nn.LSTM
            (batch_first defaults to True, as every model in the suite uses it).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = True, dropout: float = 0.0, bidirectional: bool = False):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        dirs = 2 if bidirectional else 1
        self.num_directions = dirs
        # cells[layer * dirs + direction], nn.LSTM's order of h_n rows
        self.cells = nn.ModuleList(PeepholeDirection(input_size if k < dirs else hidden_size * dirs, hidden_size, bias)
                                   for k in range(num_layers * dirs))

    def forward(self, input: Tensor, hx: Optional[Tuple[Tensor, Tensor]] = None
                ) -> Tuple[Tensor, Tuple[Tensor, Tensor]]:
        if not torch.jit.is_scripting():
            if isinstance(input, PackedSequence):
                return self._forward_packed(input, hx)
        x = input.transpose(0, 1) if self.batch_first else input
        out, h_n, c_n = self._run(x, None, hx)
        return (out.transpose(0, 1) if self.batch_first else out), (h_n, c_n)

    @torch.jit.unused
    def _forward_packed(self, packed: PackedSequence, hx: Optional[Tuple[Tensor, Tensor]]):
        # padding follows each sequence's valid steps and the reverse direction reverses within lengths,
        # so the padded run is exact on valid steps; h_n/c_n are taken at each sequence's last step
        x, lengths = pad_packed_sequence(packed, batch_first=False)  # the caller's batch order, as hx and h_n
        out, h_n, c_n = self._run(x, lengths, hx)
        out = pack_padded_sequence(out, lengths, enforce_sorted=False)
        return out, (h_n, c_n)

    def _run(self, x: Tensor, lengths: Optional[Tensor], hx: Optional[Tuple[Tensor, Tensor]]
             ) -> Tuple[Tensor, Tensor, Tensor]:
        """Time-major x [T, B, F] -> output [T, B, dirs*H], h_n and c_n [layers*dirs, B, H]."""
        B = x.shape[1]
        if hx is None:
            zeros = x.new_zeros(self.num_layers * self.num_directions, B, self.hidden_size)
            hx = (zeros, zeros)
        h_n: List[Tensor] = []
        c_n: List[Tensor] = []
        outs: List[Tensor] = []
        for k, cell in enumerate(self.cells):
            d = k % self.num_directions
            if d == 0 and k > 0:
                x = torch.cat(outs, 2)
                outs = []
                x = nn.functional.dropout(x, self.dropout, self.training)
            xin = x if d == 0 else _reverse(x, lengths)
            hs, cs = cell(xin, hx[0][k], hx[1][k])
            h_n.append(_last(hs, lengths))
            c_n.append(_last(cs, lengths))
            outs.append(hs if d == 0 else _reverse(hs, lengths))
        return torch.cat(outs, 2), torch.stack(h_n), torch.stack(c_n)

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, batch_first={self.batch_first}, "
                f"dropout={self.dropout}, bidirectional={self.bidirectional}")
