"""Benchmark 5, beam search: suite.decoding.BeamDecoder (torchaudio's flashlight-text decoder) vs the
pure-Python CTC prefix beam search in bench/ctc_prefix_beam.py, at beam 16 and 64, on posteriors shaped
like a trained character model's (peaky, with realistic confusions), checked to give the same best path.

The suite's decoder merges hypotheses that share a prefix by keeping the best (flashlight ``log_add=False``),
so the reference is run with the same rule (``merge="max"``); how often the textbook sum-merging would
choose differently is reported in the details."""
from __future__ import annotations

import random
import time

import torch

from suite.decoding import BeamDecoder

from .common import row
from .ctc_prefix_beam import prefix_beam_search
from .synthetic import ALPHABET, random_text

VOCAB = list(ALPHABET)


def test_posteriors(n: int, seed: int, frames_per_char: tuple[int, int] = (2, 5)) -> list[torch.Tensor]:
    """[T, V] log-posteriors: each character holds a few frames, blanks between; a quarter of the frames
    have a strong competing character so that greedy and beam search have real choices to make."""
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        text = random_text(rng, rng.randint(20, 60))
        ids = []
        for c in text:
            ids += [VOCAB.index(c) + 1] * rng.randint(*frames_per_char) + [0] * rng.randint(0, 2)
        ids = [0] * 3 + ids + [0] * 3
        logits = torch.randn(len(ids), len(VOCAB) + 1, generator=gen) * 1.5
        for t, k in enumerate(ids):
            logits[t, k] += 7.0
            if rng.random() < 0.25:
                logits[t, rng.randrange(len(VOCAB) + 1)] += rng.uniform(5.0, 8.0)
        out.append(logits.log_softmax(-1))
    return out


def reference_text(log_probs: torch.Tensor, beam: int, merge: str = "max") -> str:
    tokens, _ = prefix_beam_search(log_probs.tolist(), beam, merge=merge)
    return " ".join("".join(VOCAB[t - 1] for t in tokens).split())


def run(quick: bool) -> dict:
    n = 6 if quick else 16
    posts = test_posteriors(n, seed=0)
    frames = sum(p.shape[0] for p in posts)
    rows, details = [], {}
    for beam in (16, 64):
        dec = BeamDecoder(VOCAB, beam_size=beam)
        padded = torch.nn.utils.rnn.pad_sequence(posts, batch_first=True)
        lengths = torch.tensor([p.shape[0] for p in posts])
        dec(padded[:1], lengths[:1])  # warm-up
        t0 = time.process_time()
        fast = [h.text for h in dec(padded, lengths)]
        t_fast = time.process_time() - t0
        t0 = time.process_time()
        ref = [reference_text(p, beam) for p in posts]
        t_ref = time.process_time() - t0
        same = sum(a == b for a, b in zip(fast, ref))
        d = details[f"beam{beam}"] = {"utterances": n, "frames": frames, "flashlight_s": t_fast,
                                      "reference_s": t_ref, "same_best_path": same,
                                      "differences": [(a, b) for a, b in zip(fast, ref) if a != b][:3]}
        if beam == 16:
            # the textbook variant sums the paths sharing a prefix; the suite's decoder (log_add=False)
            # keeps the best one, as the "max" reference does: how often does that change the answer?
            textbook = [reference_text(p, beam, merge="sum") for p in posts]
            d["same_as_sum_merging_reference"] = sum(a == b for a, b in zip(fast, textbook))
        rows.append(row(f"CTC beam search, beam {beam}, {n} utterances ({frames} frames, 29 symbols)",
                        "flashlight", n / t_fast, "pure-Python prefix beam (max merge)", n / t_ref, "utt/s",
                        passed=same == n, target_text="same best path on all",
                        note=f"{same}/{n} identical best paths; {n / t_fast / (n / t_ref):.0f}x faster"))
    return {"title": "Beam search (flashlight vs pure-Python reference)", "device": "cpu", "rows": rows,
            "details": details, "clock": "process CPU time (1 thread)"}
