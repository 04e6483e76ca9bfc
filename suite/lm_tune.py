"""`suite lm-tune`: grid search of the beam-search LM weight and word score of any CTC model on a manifest.

The model runs once, through `suite.evaluate.evaluate` (same loading, target normalisation and skipping
as `suite evaluate`, so the greedy WER printed is the one `suite evaluate` reports); its outputs are kept
and only the (cheap) beam search is repeated for every pair.
"""
from __future__ import annotations

from .decoding import BeamDecoder, greedy_decode
from .errors import SuiteError
from .metrics import wer


class _Recorder:
    """The predictor as `evaluate` sees it, except that its decoder keeps every batch of outputs and
    decodes greedily."""

    def __init__(self, predictor):
        self._predictor = predictor
        self.batches: list = []

    def __getattr__(self, name):
        return getattr(self._predictor, name)

    def _record(self, out, lengths):
        self.batches.append((out.detach().float().cpu(), lengths.detach().cpu()))
        return greedy_decode(out, lengths, self._predictor.vocab)

    @property
    def decoder(self):
        return self._record

    def decode(self, out, lengths):
        return self._record(out, lengths)


def tune(model: str, manifest: str, *, lm: str | None, lexicon: str | None, lm_weights: list[float],
         word_scores: list[float], beam_size: int = 16, batch_size: int = 16, num_workers: int = 2,
         device: str = "auto", allow_outside: bool = True, quiet: bool = False) -> dict:
    """``{"samples", "skipped", "greedy_wer", "best": {"lm_weight", "word_score", "wer"}, "grid": [...]}``."""
    from .evaluate import evaluate
    from .inference import load_predictor

    if not lm and not lexicon:
        raise SuiteError("lm-tune needs --lm and/or --lexicon")
    if not lm_weights or not word_scores:
        raise SuiteError("--lm-weights and --word-scores need at least one value each")
    predictor = load_predictor(model, device=device)
    if not predictor.vocab:
        raise SuiteError(f"lm-tune needs a CTC (text) model; this {predictor.domain.name} model predicts labels",
                         model)
    backend = predictor.config.decode.backend
    # fail on a bad LM or word list before the model runs over the whole manifest
    BeamDecoder(predictor.vocab, beam_size=beam_size, lexicon=lexicon, lm=lm, backend=backend)
    recorder = _Recorder(predictor)
    result = evaluate(recorder, manifest, allow_outside=allow_outside, batch_size=batch_size,
                      num_workers=num_workers, quiet=quiet)
    refs = [ref for ref, _ in result.get("_pairs") or []]
    if not refs:
        raise SuiteError("no readable sample in the manifest", manifest)
    grid = []
    for w in (lm_weights if lm else [0.0]):  # without an LM its weight changes nothing
        for s in word_scores:
            dec = BeamDecoder(predictor.vocab, beam_size=beam_size, lexicon=lexicon, lm=lm, lm_weight=w,
                              word_score=s, backend=backend)
            hyps = [h.text for out, lengths in recorder.batches for h in dec(out, lengths)]
            grid.append({"lm_weight": w, "word_score": s, "wer": round(wer(refs, hyps), 6)})
    best = min(grid, key=lambda r: (r["wer"], abs(r["lm_weight"]), abs(r["word_score"])))
    return {"samples": result["samples"], "skipped": result["skipped"], "greedy_wer": result["wer"],
            "best": best, "grid": grid}
