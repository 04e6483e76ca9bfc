"""Attention encoder-decoder: the BiLSTM-CTC encoder's pieces read by an LSTM decoder with location-aware attention.

Encoder: [projection] -> strided-conv subsampling -> stacked (Bi)LSTM/GRU (the modules of ctc_encoder.py).
Decoder (Chorowski et al. 2015): an LSTM cell fed the previous token and the previous context; attention
energies from its state, the encoder states and a convolution over the previous attention weights
(``location_channels=0``: content-only attention); the output from the state and the new context.
An optional CTC head on the encoder (joint CTC + attention training) shares the encoder.

Token ids follow the CTC vocabulary (suite.tasks.ctc.Vocabulary): symbol ``i`` is id ``i + 1``; the decoder
uses id 0 (CTC's blank) as end-of-sequence and id ``V + 1`` as start-of-sequence (an input only).

Exact under padding: the encoder is, the attention is masked to each sequence's length (padded steps get
weight exactly 0), and the location convolution sees zeros past the end as it would alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from .ctc_encoder import ConvSubsampler, RecurrentStack, length_mask

EOS = 0
# beam search drops a live hypothesis whose log-probability is this far below the best finished one's
# (the margin of ESPnet's end detection): it cannot win unless much longer, and looping ones never end
END_MARGIN = 10.0
# teacher forcing keeps a few B x T x attention_dim activations per output step for the backward pass; above
# this many elements per kept tensor (~0.8 GB) the steps are recomputed in the backward pass instead (a batch
# holding UNIPEN's 1339-character line otherwise needs 20+ GB)
CHECKPOINT_ELEMENTS = 2e8


class Seq2SeqOutput:
    """What the backbone's forward returns in place of per-frame log-probs: the encoder states, their mask,
    the CTC head's log-probs (joint models) and the network that decodes them (the task's loss and decoders
    call it). Quacks like the tensor the core passes around: ``float()``; iterating yields per-sample
    [T, V] frame log-probs (the CTC head's, else a table of the last decoding) for per-frame consumers."""

    def __init__(self, enc: torch.Tensor, lengths: torch.Tensor, ctc: torch.Tensor | None, net: "AttentionEncoderDecoder"):
        self.enc, self.lengths, self.ctc, self.net = enc, lengths, ctc, net
        self.frame_table: torch.Tensor | None = None  # set by decoding when there is no CTC head

    def float(self) -> "Seq2SeqOutput":
        self.enc = self.enc.float()
        if self.ctc is not None:
            self.ctc = self.ctc.float()
        return self

    @property
    def shape(self) -> torch.Size:
        return self.enc.shape

    def __len__(self) -> int:
        return self.enc.shape[0]

    def __iter__(self):
        table = self.ctc if self.ctc is not None else self.frame_table
        if table is None:
            raise TypeError("decode the output before reading per-frame log-probs")
        return iter(table)


class LocationAttention(nn.Module):
    """Additive attention; with ``channels > 0`` also over a convolution of the previous weights."""

    def __init__(self, enc_dim: int, dec_dim: int, att_dim: int, channels: int = 10, kernel: int = 15):
        super().__init__()
        self.key = nn.Linear(enc_dim, att_dim)
        self.query = nn.Linear(dec_dim, att_dim, bias=False)
        self.conv = nn.Conv1d(1, channels, kernel, padding=kernel // 2, bias=False) if channels else None
        self.loc = nn.Linear(channels, att_dim, bias=False) if channels else None
        self.energy = nn.Linear(att_dim, 1)

    def forward(self, keys: torch.Tensor, enc: torch.Tensor, mask: torch.Tensor, state: torch.Tensor,
                prev: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """keys [B, T, A] (= key(enc)), enc [B, T, D], mask [B, T], state [B, H], prev weights [B, T]
        -> (context [B, D], weights [B, T])."""
        e = keys + self.query(state)[:, None, :]
        if self.conv is not None:
            e = e + self.loc(self.conv(prev[:, None, :]).transpose(1, 2))
        e = self.energy(torch.tanh(e)).squeeze(2).masked_fill(~mask, float("-inf"))
        w = torch.softmax(e, dim=1)
        return torch.bmm(w[:, None, :], enc).squeeze(1), w


@dataclass
class Decoded:
    tokens: list[int]  # symbol ids (1..V), no eos
    frames: list[int]  # encoder frame of the attention peak of each token
    logps: list[float]  # log-probability of each token
    score: float = 0.0  # the ranking score (length-normalised log-probability, + CTC when rescored)
    extra: dict = field(default_factory=dict)


class AttentionEncoderDecoder(nn.Module):
    """Features [B, T, F] + lengths -> (Seq2SeqOutput, encoder lengths); decoding and the loss read the output.

    Args:
        input_dim: feature size per step. n_symbols: characters of the vocabulary (V).
        ctc: whether to add a CTC head (V + 1 outputs, blank 0) on the encoder for joint training.
    """

    def __init__(self, input_dim: int, n_symbols: int, *, input_proj: int | None = None, subsample: int = 1,
                 subsample_channels: int = 256, rnn: str = "lstm", layers: int = 3, hidden: int = 256,
                 bidirectional: bool = True, dropout: float = 0.1, pack: str = "auto", decoder_hidden: int = 256,
                 embed: int = 64, attention_dim: int = 128, location_channels: int = 10, location_kernel: int = 15,
                 ctc: bool = False):
        super().__init__()
        self.proj = nn.Linear(input_dim, input_proj) if input_proj else None
        self.subsampler = ConvSubsampler(input_proj or input_dim, subsample_channels, subsample)
        self.rnn = RecurrentStack(self.subsampler.out_dim, hidden, layers, rnn, bidirectional, dropout, pack)
        enc = self.rnn.out_dim
        self.dropout = nn.Dropout(dropout)
        self.ctc_head = nn.Linear(enc, n_symbols + 1) if ctc else None
        self.n_out = n_symbols + 1  # eos (0) + symbols
        self.sos = n_symbols + 1
        self.embed = nn.Embedding(n_symbols + 2, embed)
        self.cell = nn.LSTMCell(embed + enc, decoder_hidden)
        self.attention = LocationAttention(enc, decoder_hidden, attention_dim, location_channels, location_kernel)
        self.pre = nn.Linear(decoder_hidden + enc, decoder_hidden)
        self.head = nn.Linear(decoder_hidden, self.n_out)

    # --- encoder -------------------------------------------------------------------------------------
    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        return self.subsampler.output_lengths(lengths)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[Seq2SeqOutput, torch.Tensor]:
        if self.proj is not None:
            x = self.proj(x)
        x, lengths = self.subsampler(x, lengths)
        enc = self.rnn(x, lengths)
        ctc = self.ctc_head(self.dropout(enc)).float().log_softmax(-1) if self.ctc_head is not None else None
        return Seq2SeqOutput(enc, lengths, ctc, self), lengths

    # --- decoder -------------------------------------------------------------------------------------
    def start(self, enc: torch.Tensor, lengths: torch.Tensor):
        """Initial decoder state for a batch of encoder states: (keys, mask, state, context, weights)."""
        B = enc.shape[0]
        mask = length_mask(lengths, enc.shape[1])
        h = enc.new_zeros(B, self.cell.hidden_size)
        # the first location features see a uniform attention over each sequence's own frames
        prev = mask.to(enc.dtype) / lengths.clamp_min(1)[:, None].to(enc.dtype)
        return self.attention.key(enc), mask, (h, h.clone()), enc.new_zeros(B, enc.shape[2]), prev

    def step(self, y_prev, keys, enc, mask, state, context, prev):
        """One output step -> (logits [B, V+1], state, context, weights)."""
        inp = torch.cat([self.embed(y_prev), context], dim=1)
        h, c = self.cell(self.dropout(inp), state)
        context, w = self.attention(keys, enc, mask, h, prev)
        logits = self.head(self.dropout(torch.tanh(self.pre(torch.cat([h, context], dim=1)))))
        return logits, (h, c), context, w

    def teacher_forced(self, out: Seq2SeqOutput, targets: torch.Tensor, target_lengths: torch.Tensor) -> torch.Tensor:
        """Logits [B, L + 1, V + 1] of each target token and the final eos, fed the reference prefix.
        targets: padded [B, L] symbol ids (anything past a row's length is ignored)."""
        enc = out.enc
        keys, mask, state, context, prev = self.start(enc, out.lengths)
        B, L = targets.shape
        y_in = torch.cat([targets.new_full((B, 1), self.sos), targets], dim=1)
        heavy = torch.is_grad_enabled() and B * enc.shape[1] * (L + 1) * keys.shape[2] > CHECKPOINT_ELEMENTS
        logits = []
        for i in range(L + 1):
            if heavy:
                from torch.utils.checkpoint import checkpoint

                lg, state, context, prev = checkpoint(self.step, y_in[:, i], keys, enc, mask, state, context, prev,
                                                      use_reentrant=False)
            else:
                lg, state, context, prev = self.step(y_in[:, i], keys, enc, mask, state, context, prev)
            logits.append(lg)
        return torch.stack(logits, dim=1)

    @torch.no_grad()
    def greedy(self, out: Seq2SeqOutput, max_lengths: list[int]) -> list[Decoded]:
        """Batched greedy decoding; each row stops at eos or its own maximum length."""
        enc = out.enc
        B = enc.shape[0]
        keys, mask, state, context, prev = self.start(enc, out.lengths)
        y = enc.new_full((B,), self.sos, dtype=torch.long)
        res = [Decoded([], [], []) for _ in range(B)]
        done = [m <= 0 for m in max_lengths]
        for i in range(max(max_lengths, default=0)):
            if all(done):
                break
            lg, state, context, prev = self.step(y, keys, enc, mask, state, context, prev)
            logp = lg.float().log_softmax(-1)
            best, y = logp.max(-1)
            peaks = prev.argmax(1).tolist()
            for b, (tok, lp) in enumerate(zip(y.tolist(), best.tolist())):
                if done[b]:
                    continue
                if tok == EOS:
                    done[b] = True
                    res[b].logps.append(lp)  # the eos term counts in the score, as in beam search
                    continue
                res[b].tokens.append(tok)
                res[b].frames.append(peaks[b])
                res[b].logps.append(lp)
                done[b] = len(res[b].tokens) >= max_lengths[b]
        for r in res:
            r.score = sum(r.logps)
            r.logps = r.logps[:len(r.tokens)]
        return res

    @torch.no_grad()
    def beam(self, out: Seq2SeqOutput, b: int, beam_size: int, max_length: int, length_norm: float = 1.0,
             nbest: int = 1) -> list[Decoded]:
        """Beam search over one sequence of the batch. Each step keeps the best ``beam_size - finished``
        continuations of all live hypotheses; those ending in eos leave the beam, which narrows by one for
        each, so the search ends when ``beam_size`` hypotheses have finished (width 1 is greedy).
        Finished hypotheses rank by log-probability / (tokens + 1) ** length_norm; live ones END_MARGIN
        below the best finished log-probability are dropped."""
        n = int(out.lengths[b])
        enc = out.enc[b:b + 1, :max(n, 1)]
        keys, mask, state, context, prev = self.start(enc, out.lengths[b:b + 1].clamp_max(enc.shape[1]))
        y = enc.new_full((1,), self.sos, dtype=torch.long)
        scores = enc.new_zeros(1)
        hyps: list[Decoded] = [Decoded([], [], [])]
        finished: list[Decoded] = []
        for i in range(max_length + 1):
            k = len(hyps)
            lg, state, context, prev = self.step(y, keys.expand(k, -1, -1), enc.expand(k, -1, -1),
                                                 mask.expand(k, -1), state, context, prev)
            logp = lg.float().log_softmax(-1)
            if i == max_length:  # out of length: every live hypothesis ends here
                logp = torch.full_like(logp, float("-inf"))
                logp[:, EOS] = 0.0
            total = (scores[:, None] + logp).flatten()
            top, idx = total.topk(min(beam_size - len(finished), total.numel()))
            rows, toks = (idx // self.n_out).tolist(), (idx % self.n_out).tolist()
            peaks = prev.argmax(1).tolist()
            keep, new = [], []
            floor = max((f.extra["logp"] for f in finished), default=float("-inf")) - END_MARGIN
            for s, r, t in zip(top.tolist(), rows, toks):
                if s == float("-inf") or (t != EOS and s < floor):
                    continue
                h = hyps[r]
                if t == EOS:
                    finished.append(Decoded(h.tokens, h.frames, h.logps, s / (len(h.tokens) + 1) ** length_norm,
                                            {"logp": s}))
                else:
                    keep.append(r)
                    new.append(Decoded(h.tokens + [t], h.frames + [peaks[r]], h.logps + [float(logp[r, t])], s))
            if not new or len(finished) >= beam_size:
                break
            sel = torch.tensor(keep, device=enc.device)
            state = (state[0][sel], state[1][sel])
            context, prev = context[sel], prev[sel]
            y = torch.tensor([h.tokens[-1] for h in new], device=enc.device)
            scores = torch.tensor([h.score for h in new], device=enc.device, dtype=logp.dtype)
            hyps = new
        finished.sort(key=lambda d: -d.score)
        return finished[:nbest]
