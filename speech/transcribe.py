"""Speech inference (DOMAIN.predict): long files in chunks, joined text, word times, alignment plots."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from suite.decoding import words_with_times
from suite.errors import SuiteError

from .audio import read_audio
from .chunking import Chunk, plan_chunks


@dataclass
class FileResult:
    """Tokens of one file on one time axis, gathered from its chunks."""

    tokens: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # seconds from the file start
    posteriors: list[tuple[float, np.ndarray]] = field(default_factory=list)  # (chunk kept start s, [T, V])
    token_probs: list[float] = field(default_factory=list)  # posterior of each kept token on its frame


def _chunk_tokens(hyp, chunk: Chunk, sr: int, spf: float) -> tuple[list[int], list[float], list[int]]:
    """Tokens whose output frame falls inside the chunk's kept span, with absolute times and their frames."""
    toks, times, frames = [], [], []
    for tok, frame in zip(hyp.tokens, hyp.frames):
        t = chunk.start / sr + frame * spf
        if chunk.keep_start / sr <= t < chunk.keep_end / sr or (chunk.keep_end == chunk.end and t >= chunk.keep_start / sr):
            toks.append(tok)
            times.append(t)
            frames.append(frame)
    return toks, times, frames


def predict(predictor, files: list[str], batch_size: int = 16, timestamps: bool = False, plot: str | None = None,
            max_seconds: float = 30.0, split: str = "pause", overlap: float = 2.0, explain: str | None = None,
            **_) -> list[dict]:
    """Transcribe each file; files over ``max_seconds`` are cut at pauses or into overlapping chunks."""
    if max_seconds <= 0 or overlap < 0:
        raise SuiteError("--max-seconds must be positive and --overlap non-negative")
    cfg = predictor.config.features
    sr = cfg.sample_rate
    spf = predictor.seconds_per_frame()
    results, waves = [], {}
    jobs: list[tuple[str, Chunk]] = []
    for f in files:
        try:
            wave = read_audio(f, sr)
        except SuiteError as err:
            results.append({"file": f, "error": str(err)})
            continue
        waves[f] = wave
        jobs += [(f, c) for c in plan_chunks(wave, sr, max_seconds, split, overlap)]
    found = {f: FileResult() for f in waves}
    for i in range(0, len(jobs), batch_size):
        batch = jobs[i:i + batch_size]
        log_probs, lengths = predictor.run([torch.from_numpy(waves[f][c.start:c.end]) for f, c in batch])
        for (f, c), hyp, lp, n in zip(batch, predictor.decode(log_probs, lengths), log_probs, lengths):
            res = found[f]
            toks, times, frames = _chunk_tokens(hyp, c, sr, spf)
            res.token_probs += [float(lp[min(fr, int(n) - 1), tok].exp()) for tok, fr in zip(toks, frames)]
            if res.tokens and c.keep_start == c.start:  # pause-split chunks: a cut is a word break
                res.tokens.append(-1)
                res.times.append(times[0] if times else c.start / sr)
            res.tokens += toks
            res.times += times
            if plot:
                lo = int(round((c.keep_start - c.start) / sr / spf))
                hi = min(int(n), int(round((c.keep_end - c.start) / sr / spf)))
                res.posteriors.append((c.start / sr + lo * spf, lp[lo:hi].exp().cpu().numpy()))
    plots = _plot_paths(plot, list(waves)) if plot else {}
    explain_paths = _plot_paths(explain, list(waves)) if explain else {}
    for f, res in found.items():
        text, words = words_with_times(res.tokens, res.times, predictor.vocab, spf)
        # mean posterior of the emitted characters: low on speech unlike the training data (see docs/speech.md)
        conf = round(sum(res.token_probs) / len(res.token_probs), 4) if res.token_probs else 0.0
        out = {"file": f, "text": text, "confidence": conf}
        if timestamps:
            out["words"] = words
            lines = [f"{f}\t{text}"] + [f"  {w['start']:8.2f} {w['end']:8.2f}  {w['word']}" for w in words]
            out["display"] = "\n".join(lines)
        if plot:
            from .plots import plot_alignment

            out["plot"] = str(plot_alignment(predictor, waves[f], res.posteriors, text, plots[f]))
        if explain:
            first = next(c for g, c in jobs if g == f)
            out["explain"] = str(_explain(predictor, f, waves[f][first.start:first.end], explain_paths[f],
                                          first.end - first.start < len(waves[f])))
        results.append(out)
    return results  # Predictor.predict puts them in input order


def _explain(predictor, file: str, wave: np.ndarray, out_png: Path, chunked: bool) -> Path:
    """Integrated-gradients relevance of each frame for the transcript, drawn under the spectrogram."""
    from suite.explain import explain

    from .explain_plot import draw_explanation

    e = explain(predictor, [torch.from_numpy(wave)])[0]
    sr = predictor.config.features.sample_rate
    note = f"first {len(wave) / sr:.1f} s" if chunked else ""
    return draw_explanation(file, wave, e.relevance, e.result, out_png, sample_rate=sr,
                            seconds_per_step=e.seconds_per_step, note=note)


def _plot_paths(plot: str, files: list[str]) -> dict[str, Path]:
    """One PNG per file: PLOT itself for one file, PLOT-stem-<name>.png for several."""
    base = Path(plot)
    if len(files) == 1:
        return {files[0]: base}
    return {f: base.with_name(f"{base.stem}-{Path(f).stem}{base.suffix or '.png'}") for f in files}
