"""Why a model said what it said: integrated gradients over the time steps its backbone reads.

The score explained is how sure the model is of its OWN answer (the decoded text, the top class), a
probability given by the task: ``task.explanation_score(out, out_lengths, targets, decoder)`` (see
suite/explain_scores.py: the transcript's confidence, the top class's probability). Integrated
gradients (Sundararajan et al. 2017, as Captum computes them: Gauss-Legendre nodes, the path batched) run
from a baseline to the frontend's output features, the per-step input of the recurrent backbone, so the
relevance has one value per step of the domain's time axis (a spectrogram frame, an ink point, a video
frame) whatever the frontend does before. Relevance sums over the feature dimension and is signed:
positive steps raise the score. By completeness the relevances add up to score(input) - score(baseline).

``deletion_check`` is the sanity test of an explanation: replacing the most relevant 10% of the steps by
the baseline should lower the score more than replacing a random 10%.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from .errors import SuiteError

BASELINES = ("zero", "blur")


@dataclass
class Explanation:
    """Relevance of each frontend-output step of one input for the model's own prediction."""

    relevance: np.ndarray  # [T'] signed, summed over features
    attributions: np.ndarray  # [T', F] per step and feature
    result: dict  # the task's result dict for the input (text/label, confidence, ...)
    score: float  # the explained score (how sure the model is of its answer) on the input
    baseline_score: float  # ... and on the baseline
    seconds_per_step: float | None = None  # of the relevance axis, when the domain's time axis has one
    extra: dict = field(default_factory=dict)

    @property
    def delta(self) -> float:
        """Completeness error of the integral approximation (small next to the score difference is good)."""
        return float(self.relevance.sum()) - (self.score - self.baseline_score)


def scorer_for(predictor) -> Callable:
    """The task's explanation score (a method tasks provide; see suite/explain_scores.py)."""
    make = getattr(predictor.task, "explanation_score", None)
    if make is None:
        raise SuiteError(f"models of the '{predictor.task.name}' task cannot be explained yet", predictor.source)
    return make


def baseline_of(feats: torch.Tensor, kind: str) -> torch.Tensor:
    """The reference input: zeros (for normalized features, the average step), or the features blurred
    along time (a Gaussian of ~5% of the length), which keeps the overall level and removes the detail."""
    if kind == "zero":
        return torch.zeros_like(feats)
    if kind != "blur":
        raise SuiteError(f"unknown baseline '{kind}' (choose from {', '.join(BASELINES)})")
    T = feats.shape[1]
    sigma = max(1.0, T / 20)
    radius = int(3 * sigma)
    k = torch.exp(-0.5 * (torch.arange(-radius, radius + 1, dtype=feats.dtype, device=feats.device) / sigma) ** 2)
    k = (k / k.sum()).view(1, 1, -1)
    x = feats.transpose(1, 2).reshape(-1, 1, T)  # every feature channel on its own
    x = torch.nn.functional.pad(x, (radius, radius), mode="replicate")
    return torch.nn.functional.conv1d(x, k).view(feats.shape[0], feats.shape[2], T).transpose(1, 2)


def _nodes(steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre points and weights on [0, 1] (Captum's default integration rule)."""
    x, w = np.polynomial.legendre.leggauss(steps)
    return (x + 1) / 2, w / 2


class _Prepared:
    """One input through the frontend, its output, prediction and scorer (the start of every method here)."""

    def __init__(self, predictor, x: torch.Tensor, baseline: str):
        model = predictor.model
        dev = predictor.device
        with torch.no_grad():
            feats, flen = model.frontend(x.unsqueeze(0).to(dev), torch.tensor([x.shape[0]], device=dev))
            self.feats = feats.float().detach()
            self.lengths = flen.to(dev)
            out, olen = model.backbone(self.feats, self.lengths)
        self.predictor = predictor
        self.result = predictor.results(out, olen)[0]
        self.score_fn = scorer_for(predictor)(out, olen, predictor.targets, predictor.decoder)
        self.base = baseline_of(self.feats, baseline)

    def scores(self, feats: torch.Tensor) -> torch.Tensor:
        """Scores of the input's answer for a batch of feature sequences as long as the input's."""
        lengths = self.lengths.expand(feats.shape[0])
        out, olen = self.predictor.model.backbone(feats, lengths)
        return self.score_fn(out, olen)


def _integrated_gradients(p: _Prepared, steps: int, batch: int) -> torch.Tensor:
    alphas, weights = _nodes(steps)
    diff = p.feats - p.base
    total = torch.zeros_like(p.feats[0])
    for i in range(0, steps, batch):
        a = torch.tensor(alphas[i:i + batch], dtype=p.feats.dtype, device=p.feats.device).view(-1, 1, 1)
        w = torch.tensor(weights[i:i + batch], dtype=p.feats.dtype, device=p.feats.device).view(-1, 1, 1)
        path = (p.base + a * diff).requires_grad_(True)
        (grad,) = torch.autograd.grad(p.scores(path).sum(), path)
        total += (grad * w).sum(0)
    return diff[0] * total


def explain(predictor, inputs: Sequence[torch.Tensor], *, steps: int = 32, baseline: str = "zero",
            batch: int = 16) -> list[Explanation]:
    """Integrated-gradients relevance of each input (a domain's model input, time first) for its prediction."""
    if steps < 2:
        raise SuiteError("integrated gradients need at least 2 steps")
    step_s = None
    if predictor.domain.time_step_seconds is not None:
        step_s = predictor.domain.time_step_seconds(predictor.config.features)
    out = []
    with torch.enable_grad():
        for x in inputs:
            p = _Prepared(predictor, x, baseline)
            attr = _integrated_gradients(p, steps, batch)
            with torch.no_grad():
                s = p.scores(torch.cat([p.feats, p.base])).tolist()
            out.append(Explanation(relevance=attr.sum(-1).cpu().numpy(), attributions=attr.cpu().numpy(),
                                   result=p.result, score=s[0], baseline_score=s[1], seconds_per_step=step_s))
    return out


def _answer(result: dict):
    return result.get("text", result.get("label"))


def deletion_check(predictor, inputs: Sequence[torch.Tensor], *, fraction: float = 0.1, draws: int = 5,
                   seed: int = 0, steps: int = 32, baseline: str = "zero") -> list[dict]:
    """Per input: the score drop when the most relevant ``fraction`` of the steps is replaced by the baseline,
    against the mean drop over ``draws`` random sets of the same size, and whether the output changed."""
    rng = random.Random(seed)
    rows = []
    for x, e in zip(inputs, explain(predictor, inputs, steps=steps, baseline=baseline)):
        p = _Prepared(predictor, x, baseline)
        T = p.feats.shape[1]
        k = max(1, math.ceil(fraction * T))
        sets = [np.argsort(-e.relevance, kind="stable")[:k]] + [rng.sample(range(T), k) for _ in range(draws)]
        masked = p.feats.repeat(len(sets), 1, 1)
        for i, idx in enumerate(sets):
            idx = torch.as_tensor(np.asarray(idx), dtype=torch.long)
            masked[i, idx] = p.base[0, idx]
        with torch.no_grad():
            lengths = p.lengths.expand(len(sets))
            out, olen = predictor.model.backbone(masked, lengths)
            drops = [e.score - s for s in p.score_fn(out, olen).tolist()]
            changed = [_answer(r) != _answer(p.result) for r in predictor.results(out, olen)]
        rows.append({"steps": T, "removed": k, "score": e.score, "top_drop": drops[0],
                     "completeness_error": abs(e.delta) / max(abs(e.score - e.baseline_score), 1e-9),
                     "random_drop": float(np.mean(drops[1:])), "top_changed": changed[0],
                     "random_changed": float(np.mean(changed[1:])), "answer": _answer(p.result)})
    return rows


def summarize(rows: list[dict]) -> dict:
    """Means over inputs of a deletion check, and how often the top set beat the random sets."""
    n = len(rows)
    return {"inputs": n,
            "top_drop": sum(r["top_drop"] for r in rows) / n,
            "random_drop": sum(r["random_drop"] for r in rows) / n,
            "top_wins": sum(r["top_drop"] > r["random_drop"] for r in rows) / n,
            "top_changed": sum(r["top_changed"] for r in rows) / n,
            "random_changed": sum(r["random_changed"] for r in rows) / n,
            "completeness_error": sum(r["completeness_error"] for r in rows) / n}


def check_png_path(out: str) -> Path:
    """An --explain target: a .png name whose folder exists or can be made; said before any work is done."""
    p = Path(out)
    if p.suffix.lower() != ".png":
        raise SuiteError("--explain needs a .png file name", out)
    if p.is_dir():
        raise SuiteError("--explain names a folder, not a .png file", out)
    up = p.parent
    while not up.exists() and up != up.parent:
        up = up.parent
    if not up.is_dir() or not os.access(up, os.W_OK):
        raise SuiteError("--explain: cannot write a PNG here", out)
    return p


def png_paths(out: str, files: Sequence[str]) -> dict[str, Path]:
    """One PNG per file: OUT itself for one file, OUT-<stem>.png beside it for several."""
    base = check_png_path(out)
    if len(files) == 1:
        return {files[0]: base}
    return {f: base.with_name(f"{base.stem}-{Path(f).stem}.png") for f in files}


def main(argv: list[str] | None = None) -> int:
    """`python -m suite.explain MODEL FILES...`: the deletion check as one markdown table row."""
    from .inference import load_predictor

    ap = argparse.ArgumentParser(prog="python -m suite.explain", description=main.__doc__)
    ap.add_argument("model")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--fraction", type=float, default=0.1)
    ap.add_argument("--draws", type=int, default=10)
    ap.add_argument("--steps", type=int, default=32)
    ap.add_argument("--baseline", choices=BASELINES, default="zero")
    ap.add_argument("--per-file", action="store_true", help="also one row per input")
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    start = time.perf_counter()
    try:
        predictor = load_predictor(args.model, device="cpu")
        inputs, names = [], []
        for f in args.files:
            for info, x in predictor.file_samples(f):
                inputs.append(x)
                names.append(Path(f).name)
        rows = deletion_check(predictor, inputs, fraction=args.fraction, draws=args.draws, steps=args.steps,
                              baseline=args.baseline)
    except SuiteError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    seconds = (time.perf_counter() - start) / max(len(rows), 1)
    if args.per_file:
        print("| input | answer | steps | drop, top 10% | drop, random 10% |")
        for n, r in zip(names, rows):
            print(f"| {n} | {r['answer']} | {r['steps']} | {r['top_drop']:.2f} | {r['random_drop']:.2f} |")
    s = summarize(rows)
    print("| model | baseline | inputs | drop, top 10% | drop, random 10% | top > random | answer changed, top "
          "| answer changed, random | completeness error | s per input |")
    print(f"| {args.model} | {args.baseline} | {s['inputs']} | {s['top_drop']:.2f} | {s['random_drop']:.2f} | "
          f"{s['top_wins']:.0%} | {s['top_changed']:.0%} | {s['random_changed']:.0%} | "
          f"{s['completeness_error']:.2f} | {seconds:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
