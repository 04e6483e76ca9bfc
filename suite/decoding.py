"""CTC decoding: batched greedy on tensors, and beam search through torchaudio's flashlight decoder.

Blank is token id 0; ``vocab[i]`` is token id ``i + 1``; ``" "`` separates words.
"""
from __future__ import annotations

import importlib.util
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .errors import SuiteError


@dataclass
class Hypothesis:
    text: str
    tokens: list[int]  # emitted token ids (no blanks, repeats collapsed)
    frames: list[int]  # output frame of each emitted token
    score: float = 0.0
    words: list[str] = field(default_factory=list)


def greedy_decode(log_probs: torch.Tensor, lengths: torch.Tensor, vocab: list[str]) -> list[Hypothesis]:
    """Best path per sequence: argmax, collapse repeats, drop blanks."""
    best = log_probs.argmax(dim=-1)  # [B, T]
    prev = torch.nn.functional.pad(best, (1, 0), value=-1)[:, :-1]
    T = best.shape[1]
    valid = torch.arange(T, device=best.device)[None, :] < lengths[:, None].to(best.device)
    keep = (best != 0) & (best != prev) & valid
    best, keep = best.cpu(), keep.cpu()
    out = []
    for b in range(best.shape[0]):
        frames = keep[b].nonzero().flatten().tolist()
        tokens = best[b, frames].tolist()
        text = "".join(vocab[t - 1] for t in tokens)
        out.append(Hypothesis(text, tokens, frames, words=text.split()))
    return out


def words_with_times(tokens: list[int], times: list[float], vocab: list[str], step: float) -> tuple[str, list[dict]]:
    """Text and word timings of emitted tokens at ``times`` (seconds); a word ends ``step`` after its last
    character. A space or a token -1 (a break, e.g. between chunks of a long file) ends a word. A vocabulary
    without a space (scripts written without spaces) makes the whole output one word."""
    words, chars, start, last = [], [], None, None
    for tok, t in zip(list(tokens) + [-1], list(times) + [0.0]):
        ch = " " if tok == -1 else vocab[tok - 1]
        if ch == " ":
            if chars:
                words.append({"word": "".join(chars), "start": round(start, 3), "end": round(last + step, 3)})
            chars, start = [], None
            continue
        start = t if start is None else start
        last = t
        chars.append(ch)
    text = ("" if " " not in vocab else " ").join(w["word"] for w in words)
    return text, words


def word_times(h: Hypothesis, vocab: list[str], seconds_per_frame: float) -> list[dict]:
    """Word start/end times of a hypothesis from the frames of its first and last characters."""
    return words_with_times(h.tokens, [f * seconds_per_frame for f in h.frames], vocab, seconds_per_frame)[1]


class BeamDecoder:
    """Beam search with optional word list (lexicon) and KenLM model, via torchaudio/flashlight-text.

    ``backend="ctcdecode"`` uses the ctcdecode package when it is importable.
    """

    SIL, BLANK = "|", "<blank>"

    def __init__(self, vocab: list[str], *, beam_size: int = 16, lexicon: str | None = None, lm: str | None = None,
                 lm_weight: float = 0.5, word_score: float = 0.0, backend: str = "auto"):
        self.vocab = vocab
        self.backend = backend
        if backend == "ctcdecode" and importlib.util.find_spec("ctcdecode") is None:
            raise SuiteError("decoder backend 'ctcdecode' asked for but the ctcdecode package is not installed")
        for name, path in (("LM", lm), ("word list", lexicon)):
            if path and not Path(path).is_file():
                raise SuiteError(f"{name} file not found", path)
        if backend == "ctcdecode":
            self._init_ctcdecode(beam_size, lm, lm_weight, word_score)
            return
        from torchaudio.models.decoder import ctc_decoder

        tokens = [self.BLANK] + [self.SIL if c == " " else ("<pipe>" if c == "|" else c) for c in vocab]
        self.extra_sil = self.SIL not in tokens
        if self.extra_sil:
            tokens.append(self.SIL)
        self.tokens = tokens
        self._tmp = None
        lex_path = self._write_lexicon(lexicon) if lexicon else None
        self.lexicon_words_end_with_sil = bool(lexicon) and not self.extra_sil
        # without a word list flashlight never adds word_score; its only insertion bonus is the separator's
        # (sil_score), so word_score goes there: a character LM otherwise favours dropping whole words
        sil_score = 0.0 if lexicon else word_score
        try:
            self.decoder = ctc_decoder(lexicon=lex_path, tokens=tokens, lm=lm, nbest=1, beam_size=beam_size,
                                       beam_size_token=None, lm_weight=lm_weight if lm else 0.0,
                                       word_score=word_score, sil_score=sil_score, unk_score=float("-inf"),
                                       blank_token=self.BLANK, sil_token=self.SIL, unk_word="<unk>",
                                       log_add=False)
        except Exception as err:  # noqa: BLE001 - flashlight raises bare RuntimeErrors on bad files
            bad = lm or lexicon
            raise SuiteError(f"cannot load beam-search resources ({str(err).splitlines()[0][:120]})", bad) from None

    def _close_last_word(self, log_probs: torch.Tensor, lengths: torch.Tensor):
        """One more frame per sequence that is surely the word separator: lexicon words are spelled ending with
        it, and a model never emits a separator after the last word, so without it the last word is lost."""
        B, _, V = log_probs.shape  # float32 on the CPU already (__call__)
        log_probs = torch.cat([log_probs, log_probs.new_full((B, 1, V), -1e9)], dim=1)
        rows, ends = torch.arange(B), lengths.long()
        log_probs[rows, ends] = -1e9  # a shorter sequence's frame there is padding
        log_probs[rows, ends, self.tokens.index(self.SIL)] = 0.0
        return log_probs, lengths + 1

    def _write_lexicon(self, word_list: str) -> str:
        known = set(self.vocab) - {" "}
        lines = []
        try:
            words = Path(word_list).read_text(encoding="utf-8").split()
        except UnicodeDecodeError:
            raise SuiteError("word list is not UTF-8 text", word_list) from None
        for w in sorted(set(words)):
            if w and all(c in known for c in w):
                spelled = " ".join("<pipe>" if c == "|" else c for c in w)
                # a model without a word separator never emits one: its words end without it
                lines.append(f"{w}\t{spelled}\n" if self.extra_sil else f"{w}\t{spelled} {self.SIL}\n")
        if not lines:
            raise SuiteError("no word of the word list can be spelled with the model's characters", word_list)
        self._tmp = tempfile.NamedTemporaryFile("w", suffix=".lex", delete=False, encoding="utf-8")
        self._tmp.writelines(lines)
        self._tmp.close()
        return self._tmp.name

    def _init_ctcdecode(self, beam_size, lm, lm_weight, word_score):
        import ctcdecode  # type: ignore

        labels = ["_"] + [c for c in self.vocab]
        self.decoder = ctcdecode.CTCBeamDecoder(labels, model_path=lm, alpha=lm_weight, beta=word_score,
                                                beam_width=beam_size, blank_id=0, log_probs_input=True)

    def __call__(self, log_probs: torch.Tensor, lengths: torch.Tensor) -> list[Hypothesis]:
        log_probs = log_probs.detach().float().cpu().contiguous()
        lengths = lengths.detach().cpu().to(torch.int32)
        if self.backend == "ctcdecode":
            beams, _, offsets, out_lens = self.decoder.decode(log_probs, lengths)
            out = []
            for b in range(log_probs.shape[0]):
                n = int(out_lens[b, 0])
                toks = beams[b, 0, :n].tolist()
                text = "".join(self.vocab[t - 1] for t in toks)
                out.append(Hypothesis(text, toks, offsets[b, 0, :n].tolist(), words=text.split()))
            return out
        if self.extra_sil:
            pad = torch.full((*log_probs.shape[:2], 1), -1e9)
            log_probs = torch.cat([log_probs, pad], dim=2)
        elif self.lexicon_words_end_with_sil:
            log_probs, lengths = self._close_last_word(log_probs, lengths)
        results = self.decoder(log_probs, lengths)
        out = []
        for hyps in results:
            if not hyps:
                out.append(Hypothesis("", [], []))
                continue
            h = hyps[0]
            ids = h.tokens.tolist()
            steps = [max(int(t) - 1, 0) for t in h.timesteps.tolist()]  # flashlight counts from 1
            toks, frames = [], []
            for i, f in zip(ids, steps):
                if i == 0 or i >= len(self.vocab) + 1:
                    # blank or the added silence token: a word boundary only
                    if i != 0 and toks and self.vocab[toks[-1] - 1] != " " and " " in self.vocab:
                        toks.append(self.vocab.index(" ") + 1)
                        frames.append(f)
                    continue
                toks.append(i)
                frames.append(f)
            # flashlight puts silence tokens at both ends
            while toks and self.vocab[toks[0] - 1] == " ":
                toks.pop(0), frames.pop(0)
            while toks and self.vocab[toks[-1] - 1] == " ":
                toks.pop(), frames.pop()
            sep = " " if " " in self.vocab else ""  # a model without a word separator writes words joined
            text = sep.join(h.words) if h.words else "".join(self.vocab[t - 1] for t in toks)
            text = " ".join(text.split()) if " " in self.vocab else text
            out.append(Hypothesis(text, toks, frames, float(h.score), list(h.words) or text.split()))
        return out

    def __del__(self):
        if getattr(self, "_tmp", None) is not None:
            Path(self._tmp.name).unlink(missing_ok=True)


def make_decoder(vocab: list[str], decode_cfg):
    """A callable (log_probs, lengths) -> list[Hypothesis] for the decode section of a config."""
    if decode_cfg.decoder == "greedy" and not decode_cfg.lm and not decode_cfg.lexicon:
        return lambda lp, ln: greedy_decode(lp, ln, vocab)
    return BeamDecoder(vocab, beam_size=decode_cfg.beam_size, lexicon=decode_cfg.lexicon, lm=decode_cfg.lm,
                       lm_weight=decode_cfg.lm_weight, word_score=decode_cfg.word_score, backend=decode_cfg.backend)
