"""Handwriting training input: a line's strokes resampled one numpy call per stroke vs all strokes in one
interpolation (``handwriting.features.resample_strokes``), and what a training sample costs to load.

A training step of the handwriting recipe on one core takes ~0.5 s for 16 lines; before the batched
resampling, loading and augmenting those 16 UNIPEN lines took ~0.35 s more (the DataLoader worker then needs a
core of its own). Clock: process CPU time, one thread."""
from __future__ import annotations

import random
import time

from . import inputs
from .common import row
from .domains import recipe


def _cpu_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    t0 = time.process_time()
    for _ in range(repeats):
        fn()
    return (time.process_time() - t0) / repeats * 1000


def run(quick: bool) -> dict:
    dom = inputs.domain_available("handwriting")
    if dom is None:
        return {"skipped": "handwriting domain not installed", "rows": []}
    from handwriting.features import normalize_ink, resample_stroke, resample_strokes
    from handwriting.formats import read_ink

    cfg, source = recipe("handwriting", [])
    folder = inputs.scratch("ink-loading")
    recs = inputs.write_ink(folder, 30 if quick else 100, seed=2)
    files = [str(folder / r["ink"]) for r in recs]
    lines = [normalize_ink(read_ink(f)[0].strokes) for f in files]
    step = cfg.features.spacing

    def per_stroke():
        for strokes in lines:
            [resample_stroke(s, step) for s in strokes]

    def batched():
        for strokes in lines:
            resample_strokes(strokes, step)

    repeats = 2 if quick else 5
    a, b = _cpu_ms(per_stroke, repeats) / len(lines), _cpu_ms(batched, repeats) / len(lines)

    def load(augment):
        return lambda: [dom.load(f, cfg.features, augment, random.Random(i)) for i, f in enumerate(files)]

    plain = _cpu_ms(load(None), 1) / len(files)
    augmented = _cpu_ms(load(cfg.augment), 1) / len(files)
    strokes = sum(len(s) for s in lines) / len(lines)
    rows = [
        row(f"resample a line's strokes (spacing {step}, {strokes:.0f} strokes per line)", "per stroke", a,
            "one interpolation", b, "ms/line", target=2.0, note="ratio = per stroke / one interpolation"),
        row("load a training sample (read + normalise + resample + features)", "augmented (training)", augmented,
            "plain (evaluation)", plain, "ms/line", target=None, note="the recipe's augment: section"),
    ]
    return {"title": "Handwriting input loading", "device": "cpu", "rows": rows,
            "details": {"recipe": source, "lines": len(files), "strokes_per_line": strokes},
            "clock": "process CPU time (1 thread)"}
