"""Sequence to text with CTC: a character vocabulary, the BiLSTM-CTC encoder, greedy/beam decoding, WER/CER."""
from __future__ import annotations

from typing import Any, Literal, Sequence

from pydantic import Field, field_validator

from ..domain import StrictModel
from ..errors import SuiteError
from .base import TargetSpace, Task


class CTCModelConfig(StrictModel):
    """BiLSTM-CTC encoder (see suite.models.ctc_encoder)."""

    input_proj: int | None = None  # linear projection of input features before the front end
    subsample: Literal[1, 2, 4, 8] = 1  # time subsampling by strided 1-D convolutions
    subsample_channels: int = 256
    # same-rate convolutions over time before the subsampling (width subsample_channels): letter-sized shapes
    # learnt once and shared along the line rather than by the LSTM alone
    context_convs: int = Field(0, ge=0, le=8)
    context_kernel: int = Field(5, ge=1, le=31)
    rnn: Literal["lstm", "gru", "lstm_peephole"] = "lstm"
    layers: int = 3
    hidden: int = 256
    bidirectional: bool = True
    dropout: float = 0.1
    # DropConnect on the hidden-to-hidden weights in training (one mask per batch): the recurrence of a model
    # trained on a few writers cannot memorise lines through single connections
    recurrent_dropout: float = Field(0.0, ge=0.0, lt=1.0)
    pack: Literal["auto", "packed", "padded"] = "auto"  # auto: packed on CUDA, padded(+exact reversal) on CPU

    @field_validator("context_kernel")
    @classmethod
    def _odd(cls, k: int) -> int:
        if k % 2 == 0:
            raise ValueError(f"must be odd (the same steps on either side), not {k}")
        return k


class DecodeConfig(StrictModel):
    decoder: Literal["greedy", "beam"] = "greedy"
    beam_size: int = 16
    lm: str | None = None  # KenLM binary/ARPA file
    lexicon: str | None = None  # word list (one word per line) restricting beam output
    lm_weight: float = 0.5
    word_score: float = 0.0  # added per word (without a lexicon: per word separator)
    backend: Literal["auto", "flashlight", "ctcdecode"] = "auto"


def needed_frames(ids: Sequence[int]) -> int:
    """Output frames CTC needs for a label: one per symbol plus a blank between each repeated pair."""
    return len(ids) + sum(1 for a, b in zip(ids, ids[1:]) if a == b)


def identity(text: str) -> str:
    return text


class Vocabulary(TargetSpace):
    """Characters of the training transcripts; token id = index + 1 (blank is 0); " " separates words."""

    def __init__(self, symbols: list[str], normalize=None):
        self.symbols = list(symbols)
        self.normalize = normalize or identity
        self.index = {c: i + 1 for i, c in enumerate(self.symbols)}

    @property
    def vocab(self) -> list[str]:
        return self.symbols

    @property
    def n_out(self) -> int:
        return len(self.symbols) + 1

    def ids(self, text) -> list[int]:
        return [self.index[c] for c in self.normalize(str(text)) if c in self.index]

    def encode(self, text):
        import torch

        ids = self.ids(text)
        if not ids:
            raise SuiteError(f"transcript {text!r} has no character of the vocabulary")
        return torch.tensor(ids, dtype=torch.long)

    def reference(self, text) -> str:
        return "".join(c for c in self.normalize(str(text)) if c in self.index)

    def text(self, ids: Sequence[int]) -> str:
        return "".join(self.symbols[i - 1] for i in ids)

    def state(self) -> dict:
        return {"symbols": self.symbols}

    def mapping(self, new: "Vocabulary") -> list[int | None]:
        old = {c: i + 1 for i, c in enumerate(self.symbols)}
        return [0] + [old.get(c) for c in new.symbols]  # the blank continues the blank

    def output_names(self) -> list[str]:
        return ["<blank>"] + self.symbols

    def describe(self) -> str:
        return f"{len(self.symbols)} characters"


class CTCTask(Task):
    name = "ctc"
    model_config = CTCModelConfig
    decode_config = DecodeConfig
    decode_files = ("lm", "lexicon")
    error_name = "CER"
    target_kind = "text"
    untrainable_reason = ("have labels longer than the model's output allows "
                          "(CTC needs one frame per character plus one per repeat)")

    def merge_decode(self, bundled: dict, given: dict) -> dict:
        # asking for greedy decoding of a model that ships an LM or word list means without them (with
        # either, decoding is a beam search)
        if given.get("decoder") == "greedy" and not ({"lm", "lexicon"} & given.keys()):
            bundled = {k: v for k, v in bundled.items() if k not in ("lm", "lexicon")}
        return {**bundled, **given}

    def fit_targets(self, domain, rows) -> Vocabulary:
        norm = domain.normalize_target or identity
        return Vocabulary(sorted({c for r in rows for c in norm(str(r.target))}), norm)

    def load_targets(self, domain, state: dict) -> Vocabulary:
        return Vocabulary(state["symbols"], domain.normalize_target)

    def merge_targets(self, old: Vocabulary, fitted: Vocabulary) -> Vocabulary:
        # keep every character the bundle knows: a fine-tuned model should not forget how to write them
        return Vocabulary(old.symbols + sorted(set(fitted.symbols) - set(old.symbols)), fitted.normalize)

    def legacy_targets(self, bundle: dict) -> dict | None:
        return {"symbols": bundle["vocab"]} if bundle.get("vocab") else None

    def build_backbone(self, m: CTCModelConfig, in_dim: int, targets: Vocabulary):
        from ..models.ctc_encoder import CTCEncoder

        return CTCEncoder(in_dim, targets.n_out, input_proj=m.input_proj, subsample=m.subsample,
                          subsample_channels=m.subsample_channels, rnn=m.rnn, layers=m.layers, hidden=m.hidden,
                          bidirectional=m.bidirectional, dropout=m.dropout, pack=m.pack,
                          context_convs=m.context_convs, context_kernel=m.context_kernel,
                          recurrent_dropout=m.recurrent_dropout)

    def collate_targets(self, targets: list):
        import torch

        return torch.cat(list(targets)).long(), torch.tensor([t.numel() for t in targets], dtype=torch.long)

    def feasible(self, batch, out_lengths) -> list[bool]:
        out, start = [], 0
        for n, t in zip(batch.target_lengths.tolist(), out_lengths.tolist()):
            out.append(needed_frames(batch.targets[start:start + n].tolist()) <= t)
            start += n
        return out

    def loss(self, out, out_lengths, batch, training=True):
        import torch
        from torch.nn import functional as F

        # zero_infinity: an infeasible sample's inf loss would make the whole batch's gradient NaN even
        # when masked out of the mean below; it is reported and left out instead
        per_sample = F.ctc_loss(out.transpose(0, 1), batch.targets, out_lengths, batch.target_lengths,
                                blank=0, reduction="none", zero_infinity=True)
        ok = self.feasible(batch, out_lengths)
        dropped = [i for i, good in zip(batch.ids, ok) if not good]
        if not any(ok):
            return out.sum() * float("nan"), dropped
        # same scale as reduction="mean": per-sample loss over its target length, averaged
        norm = per_sample / batch.target_lengths.clamp_min(1).to(per_sample)
        return norm[torch.tensor(ok, device=norm.device)].mean(), dropped

    def trainable(self, targets: Vocabulary, rows, out_lengths) -> list[bool]:
        return [t is None or needed_frames(targets.ids(r.target)) <= t for r, t in zip(rows, out_lengths)]

    def hypotheses(self, out, out_lengths, targets: Vocabulary, decoder=None) -> list[str]:
        from ..decoding import greedy_decode

        hyps = decoder(out, out_lengths) if decoder is not None else greedy_decode(out, out_lengths, targets.symbols)
        return [h.text for h in hyps]

    def batch_references(self, batch, targets: Vocabulary) -> list[str]:
        texts, start = [], 0
        for n in batch.target_lengths.tolist():
            texts.append(targets.text(batch.targets[start:start + n].tolist()))
            start += n
        return texts

    def metrics(self, references, hypotheses, targets) -> dict[str, Any]:
        from ..metrics import cer, wer

        if not references:
            return {}
        c = cer(references, hypotheses)
        return {"error": c, "cer": c, "wer": wer(references, hypotheses), "_pairs": list(zip(references, hypotheses))}

    def null_error(self, references, targets) -> float:
        return 1.0  # an empty transcript deletes every character

    def make_decoder(self, targets: Vocabulary, decode_cfg: DecodeConfig):
        from ..decoding import make_decoder

        return make_decoder(targets.symbols, decode_cfg)

    def results(self, out, out_lengths, targets: Vocabulary, decoder, **opts) -> list[dict]:
        hyps = decoder(out, out_lengths)
        conf = path_confidence(out, out_lengths, hyps)
        return [{"text": h.text, "confidence": c} for h, c in zip(hyps, conf)]

    def explanation_score(self, out, out_lengths, targets, decoder):
        """For suite.explain: a scorer of output batches against the answer read from ``out`` (one sample)."""
        from ..explain_scores import ctc_score

        return ctc_score(out, out_lengths, targets, decoder)


def path_confidence(log_probs, lengths, hyps) -> list[float]:
    """Mean posterior of the emitted tokens on their frames (0 when nothing is emitted), per sample in [0, 1]."""
    out = []
    for b, h in enumerate(hyps):
        if not h.tokens:
            out.append(0.0)
            continue
        frames = [min(f, int(lengths[b]) - 1) for f in h.frames]
        p = log_probs[b, frames, h.tokens].exp()
        out.append(round(float(p.mean()), 4))
    return out


TASK = CTCTask()
