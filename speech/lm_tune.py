"""Grid search of beam-search LM weight and word score on a validation manifest.

The acoustic model runs once; only the (cheap) beam search is repeated for every pair.
"""
from __future__ import annotations

import sys

import torch

from suite.decoding import BeamDecoder, greedy_decode
from suite.errors import SuiteError
from suite.manifest import read_manifest
from suite.metrics import wer
from suite.progress import progress

from .text import normalize


def posteriors(predictor, manifest: str, batch_size: int, allow_outside: bool, quiet: bool):
    """(log-probs [T, V] per readable sample, reference texts, number skipped)."""
    rows = read_manifest(manifest, "audio", "text", allow_outside=allow_outside)
    outs, refs, skipped = [], [], 0
    with progress(len(rows), "scoring", quiet=quiet) as bar:
        for i in range(0, len(rows), batch_size):
            batch = rows[i:i + batch_size]
            inputs, texts = [], []
            for r in batch:
                try:
                    inputs.append(predictor.load_file(r.path))
                    texts.append(normalize(str(r.target)))
                except SuiteError as err:
                    skipped += 1
                    print(f"skipped: {err}", file=sys.stderr)
            if inputs:
                lp, lengths = predictor.run(inputs)
                outs += [x[:n].cpu() for x, n in zip(lp, lengths.tolist())]
                refs += texts
            bar(len(batch))
    if not outs:
        raise SuiteError("no readable sample in the manifest", manifest)
    return outs, refs, skipped


def _pad(outs: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(o) for o in outs])
    return torch.nn.utils.rnn.pad_sequence(outs, batch_first=True), lengths


def tune(model: str, manifest: str, *, lm: str | None, lexicon: str | None, lm_weights: list[float],
         word_scores: list[float], beam_size: int = 16, batch_size: int = 16, device: str = "auto",
         allow_outside: bool = False, quiet: bool = False) -> dict:
    from suite.inference import load_predictor

    predictor = load_predictor(model, device=device)
    if predictor.domain.name != "speech":
        raise SuiteError(f"lm-tune needs a speech model, this one is for {predictor.domain.name}", model)
    outs, refs, skipped = posteriors(predictor, manifest, batch_size, allow_outside, quiet)
    log_probs, lengths = _pad(outs)
    vocab = predictor.vocab
    greedy = wer(refs, [h.text for h in greedy_decode(log_probs, lengths, vocab)])
    grid = []
    for w in (lm_weights if lm else [0.0]):  # without an LM its weight changes nothing
        for s in word_scores:
            dec = BeamDecoder(vocab, beam_size=beam_size, lexicon=lexicon, lm=lm, lm_weight=w, word_score=s,
                              backend=predictor.config.decode.backend)
            hyps = [h.text for h in dec(log_probs, lengths)]
            grid.append({"lm_weight": w, "word_score": s, "wer": round(wer(refs, hyps), 6)})
    best = min(grid, key=lambda r: (r["wer"], abs(r["lm_weight"]), abs(r["word_score"])))
    return {"samples": len(refs), "skipped": skipped, "greedy_wer": round(greedy, 6), "best": best, "grid": grid}
