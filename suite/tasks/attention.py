"""Sequence to text with an attention encoder-decoder (optionally joint with CTC): the CTC task's characters,
references and WER/CER, another model and decoding. A recipe chooses it with ``objective: attention``."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..domain import StrictModel
from .ctc import CTCModelConfig, CTCTask, Vocabulary


# teacher forcing needs ~2.5 KB per cell (batch x encoder frames x characters; scripts/attention_memory.py): a
# training batch holds at most this many cells (its size x its largest sample's), ~4.5 GB at peak, so long
# samples train in smaller batches; a sample above it cannot train even alone and is left out
MAX_ATTENTION_CELLS = 1_500_000


class AttentionModelConfig(CTCModelConfig):
    """The CTC task's encoder fields plus the decoder's (see suite.models.attention_decoder)."""

    decoder_hidden: int = 256
    embed: int = 64  # size of the previous-token embedding fed to the decoder
    attention_dim: int = 128
    attention: Literal["location", "content"] = "location"
    location_channels: int = 10  # convolution channels over the previous attention weights
    location_kernel: int = 15
    ctc_weight: float = Field(0.0, ge=0, lt=1)  # > 0: joint training, loss = w * CTC + (1 - w) * attention
    label_smoothing: float = Field(0.1, ge=0, lt=1)


class AttentionDecodeConfig(StrictModel):
    decoder: Literal["greedy", "beam"] = "greedy"
    beam_size: int = Field(8, ge=1)
    # finished beam hypotheses rank by log P / (tokens + 1) ** length_norm (0: raw log P, favours short output)
    length_norm: float = Field(1.0, ge=0)
    max_length_ratio: float = Field(1.0, gt=0)  # at most this many tokens per encoder frame, plus 5
    # joint models: the beam's finished hypotheses are rescored as (1 - w) * attention + w * CTC, both per token
    ctc_weight: float = Field(0.0, ge=0, le=1)


class AttentionDecoder:
    """(Seq2SeqOutput, lengths) -> list[Hypothesis]: greedy (batched) or beam search (per sequence)."""

    def __init__(self, targets: Vocabulary, cfg: AttentionDecodeConfig | None = None):
        self.targets = targets
        self.cfg = cfg or AttentionDecodeConfig()

    def max_lengths(self, lengths) -> list[int]:
        return [int(self.cfg.max_length_ratio * int(n)) + 5 for n in lengths]

    def decode(self, out, lengths):
        net, cfg = out.net, self.cfg
        limits = self.max_lengths(lengths)
        if cfg.decoder == "greedy":
            return net.greedy(out, limits)
        rescore = cfg.ctc_weight > 0 and out.ctc is not None
        res = []
        for b, limit in enumerate(limits):
            beams = net.beam(out, b, cfg.beam_size, limit, cfg.length_norm, nbest=cfg.beam_size if rescore else 1)
            if rescore:
                beams = self.ctc_rescore(out, b, beams)
            res.append(beams[0])
        return res

    def ctc_rescore(self, out, b: int, beams):
        """Re-rank finished hypotheses by (1 - w) * their score + w * CTC log-likelihood per token."""
        import torch
        from torch.nn import functional as F

        n, k = int(out.lengths[b]), len(beams)
        lp = out.ctc[b:b + 1, :n].transpose(0, 1).expand(-1, k, -1)
        tl = torch.tensor([len(d.tokens) for d in beams])
        flat = torch.tensor([t for d in beams for t in d.tokens], dtype=torch.long)
        nll = F.ctc_loss(lp, flat, torch.full((k,), n, dtype=torch.long), tl, reduction="none", zero_infinity=False)
        w, norm = self.cfg.ctc_weight, self.cfg.length_norm
        for d, c, m in zip(beams, nll.tolist(), tl.tolist()):
            d.extra["att"] = d.score
            d.score = (1 - w) * d.score + w * (-c) / (m + 1) ** norm
        return sorted(beams, key=lambda d: -d.score)

    def __call__(self, out, lengths):
        import torch

        from ..decoding import Hypothesis

        decoded = self.decode(out, lengths)
        hyps = []
        for d in decoded:
            text = self.targets.text(d.tokens)
            hyps.append(Hypothesis(text, d.tokens, d.frames, d.score, words=text.split()))
        # a per-frame table for consumers of frame log-probs (speech's long-file transcription):
        # the blank everywhere, each token with its decoded log-probability on its attention peak
        B, T = out.enc.shape[:2]
        table = torch.full((B, T, self.targets.n_out), float("-inf"))
        table[:, :, 0] = 0.0
        for b, d in enumerate(decoded):
            for f, t, lp in zip(d.frames, d.tokens, d.logps):
                table[b, f, t] = lp
        out.frame_table = table
        out.decoded = decoded
        return hyps


class AttentionTask(CTCTask):
    name = "attention"
    model_config = AttentionModelConfig
    decode_config = AttentionDecodeConfig
    decode_files = ()  # no LM or word list in its decode section
    untrainable_reason = ("are too long for attention training (output characters x encoder frames above "
                          f"{MAX_ATTENTION_CELLS:,}; split them into shorter samples)")

    def build_backbone(self, m: AttentionModelConfig, in_dim: int, targets: Vocabulary):
        from ..models.attention_decoder import AttentionEncoderDecoder

        net = AttentionEncoderDecoder(
            in_dim, len(targets.symbols), input_proj=m.input_proj, subsample=m.subsample,
            subsample_channels=m.subsample_channels, rnn=m.rnn, layers=m.layers, hidden=m.hidden,
            bidirectional=m.bidirectional, dropout=m.dropout, pack=m.pack, decoder_hidden=m.decoder_hidden,
            embed=m.embed, attention_dim=m.attention_dim,
            location_channels=m.location_channels if m.attention == "location" else 0,
            location_kernel=m.location_kernel, ctc=m.ctc_weight > 0)
        net.ctc_weight, net.label_smoothing = m.ctc_weight, m.label_smoothing
        return net

    max_batch_cost = MAX_ATTENTION_CELLS

    def batch_costs(self, targets, rows, out_lengths) -> list[int]:
        # teacher forcing holds a characters x frames attention matrix per sample (unknown length: no cost)
        return [len(targets.ids(r.target)) * (t or 0) for r, t in zip(rows, out_lengths)]

    def trainable(self, targets, rows, out_lengths) -> list[bool]:
        # no frames-per-character rule (a joint CTC term skips those samples itself); a sample whose cells
        # exceed a whole batch's (UNIPEN's 1339-character "line") is left out: docs/attention.md, "Memory"
        return [c <= MAX_ATTENTION_CELLS for c in self.batch_costs(targets, rows, out_lengths)]

    def loss(self, out, out_lengths, batch, training=True):
        import torch
        from torch.nn import functional as F
        from torch.nn.utils.rnn import pad_sequence

        from ..models.attention_decoder import EOS

        net, tl = out.net, batch.target_lengths
        rows = list(torch.split(batch.targets, tl.tolist()))
        y = pad_sequence(rows, batch_first=True, padding_value=EOS)  # [B, L]
        logits = net.teacher_forced(out, y, tl.to(y.device))  # [B, L + 1, V + 1]
        gold = torch.full(logits.shape[:2], -100, dtype=torch.long, device=y.device)
        for b, r in enumerate(rows):
            gold[b, :len(r)] = r
            gold[b, len(r)] = EOS
        ce = F.cross_entropy(logits.float().transpose(1, 2), gold, ignore_index=-100, reduction="none",
                             label_smoothing=net.label_smoothing)
        per_sample = ce.sum(1) / (tl.to(ce) + 1)  # per token, eos included
        if out.ctc is not None and net.ctc_weight > 0:
            ctc = F.ctc_loss(out.ctc.transpose(0, 1), batch.targets, out_lengths, tl, blank=0, reduction="none",
                             zero_infinity=True) / tl.clamp_min(1).to(ce)
            ok = torch.tensor(self.feasible(batch, out_lengths), device=ce.device)
            w = net.ctc_weight
            # a sample too long for CTC learns from the attention term alone
            per_sample = torch.where(ok, w * ctc + (1 - w) * per_sample, per_sample)
        return per_sample.mean(), []

    def hypotheses(self, out, out_lengths, targets: Vocabulary, decoder=None) -> list[str]:
        decoder = decoder or AttentionDecoder(targets)
        return [h.text for h in decoder(out, out_lengths)]

    def make_decoder(self, targets: Vocabulary, decode_cfg: AttentionDecodeConfig):
        return AttentionDecoder(targets, decode_cfg)

    def results(self, out, out_lengths, targets: Vocabulary, decoder, **opts) -> list[dict]:
        import math

        hyps = decoder(out, out_lengths)
        res = []
        for h, d in zip(hyps, out.decoded):
            conf = sum(math.exp(lp) for lp in d.logps) / len(d.logps) if d.logps else 0.0
            res.append({"text": h.text, "confidence": round(conf, 4)})
        return res

    def explanation_score(self, out, out_lengths, targets, decoder):
        """The decoded transcript's mean token probability under teacher forcing (as `confidence`)."""
        import torch

        hyp = decoder(out, out_lengths)[0]
        tokens = torch.tensor(hyp.tokens, dtype=torch.long)

        def score(batch_out, batch_lengths):
            n = batch_out.enc.shape[0]
            y = tokens.to(batch_out.enc.device)[None].expand(n, -1)
            logits = batch_out.net.teacher_forced(batch_out, y, torch.full((n,), len(tokens)))
            probs = logits.float().softmax(-1)[:, :len(tokens)]
            if not len(tokens):
                return logits.float().softmax(-1)[:, 0, 0]  # P(eos first): the empty transcript
            return probs.gather(2, y[:, :, None]).squeeze(2).mean(1)

        return score


TASK = AttentionTask()
