"""Benchmark 7, handwriting features: Bezier-curve features (Carbune et al. 2020) vs raw resampled points,
both through the handwriting domain's own ``load`` (the features switch in its ``features:`` section) and
its CPU recipe's BiLSTM-CTC: sequence length per line, and recognition time per line, end to end and split
into features and model + decoding.

The CER of each needs a model trained for tens of minutes per feature kind, which does not fit in the
15-minute benchmark run: timing uses recipe-sized models with initial weights (speed does not depend on
the weights), and the CERs come from full training runs recorded in docs/bench.md."""
from __future__ import annotations

import random
import time
from pathlib import Path
from typing import get_args

from . import inputs
from .common import row
from .domains import recipe


def bezier_switch(features_cls) -> tuple[str, object, object] | None:
    """(field, Bezier value, raw-points value) of the domain's features switch, found by its type."""
    for name, field in features_cls.model_fields.items():
        options = [o for o in get_args(field.annotation) if isinstance(o, str)]
        bez = [o for o in options if "bezier" in o.lower()]
        raw = [o for o in options if o not in bez]
        if bez and raw:
            return name, bez[0], raw[0]
        if field.annotation is bool and "bezier" in name.lower():
            return name, True, False
    return None


def untrained_bundle(cfg, targets, path: Path) -> Path:
    """A bundle of the recipe's model with its initial weights (for timing only)."""
    from suite.bundle import save_bundle
    from suite.models import build_model
    from suite.registry import get_domain
    from suite.tasks import get_task

    domain = get_domain(cfg.task)
    model = build_model(domain, get_task(domain.task), cfg, targets)
    return save_bundle(path, domain=cfg.task, config=cfg.model_dump(mode="json"), state_dict=model.state_dict(),
                       targets=targets.state())


def recognise(bundle: Path, files: list[str]) -> dict:
    """Time per line with the suite's Predictor: end to end (``predict``), and split into reading
    + features (``load_file``) and model + greedy decoding (``run`` + ``decode``, batches of 16)."""
    import suite

    predictor = suite.load(str(bundle))
    predictor.predict(files[:2])  # warm-up
    t0 = time.process_time()  # one thread: CPU time, immune to other jobs on the machine
    out = predictor.predict(files)
    total = time.process_time() - t0
    t0 = time.process_time()
    xs = [predictor.load_file(f) for f in files]
    load = time.process_time() - t0
    t0 = time.process_time()
    for i in range(0, len(xs), 16):
        predictor.decode(*predictor.run(xs[i:i + 16]))
    model = time.process_time() - t0
    n = len(files)
    if any("error" in r for r in out):
        raise RuntimeError(f"recognition failed on generated ink: {next(r for r in out if 'error' in r)['error']}")
    return {"lines_per_s": n / total,
            "features_ms_per_line": load / n * 1000, "model_ms_per_line": model / n * 1000}


def run(quick: bool) -> dict:
    dom = inputs.domain_available("handwriting")
    if dom is None:
        return {"skipped": "handwriting domain not installed (handwriting/domain.py missing)", "rows": []}
    switch = bezier_switch(dom.features_config)
    if switch is None:
        return {"skipped": "the handwriting features config has no Bezier/raw switch", "rows": []}
    field, bez, raw = switch
    base, source = recipe("handwriting", [])
    folder = inputs.scratch("ink")
    recs = inputs.write_ink(folder, 40 if quick else 120, seed=1)
    files = [str(folder / r["ink"]) for r in recs]
    from suite.manifest import Row
    from suite.tasks import get_task

    targets = get_task(dom.task).fit_targets(dom, [Row(r["ink"], f, r["text"]) for r, f in zip(recs, files)])
    results = {}
    for label, value in (("bezier", bez), ("raw points", raw)):
        raw_cfg = base.model_dump(mode="json")
        raw_cfg["features"][field] = value
        cfg = type(base).model_validate(raw_cfg)
        lengths = [int(dom.load(f, cfg.features, None, random.Random(i)).shape[0]) for i, f in enumerate(files)]
        bundle = untrained_bundle(cfg, targets, folder / f"{value}.pt")
        results[label] = {"mean_length": sum(lengths) / len(lengths), **recognise(bundle, files)}
    b, r = results["bezier"], results["raw points"]
    rows = [
        row("sequence length per line (points or curve segments)", "bezier", b["mean_length"], "raw points",
            r["mean_length"], "steps", ratio=r["mean_length"] / b["mean_length"], target=None,
            note=f"ratio = raw / bezier: {r['mean_length'] / b['mean_length']:.1f}x shorter with Bezier"),
        row(f"recognition speed, {len(files)} lines, end to end (load + features + model + greedy decode)",
            "bezier", b["lines_per_s"], "raw points", r["lines_per_s"], "lines/s", target=None,
            note=f"features {b['features_ms_per_line']:.1f} vs {r['features_ms_per_line']:.1f} ms/line"),
        row("model + greedy decoding time per line (features excluded)", "bezier", b["model_ms_per_line"],
            "raw points", r["model_ms_per_line"], "ms/line", ratio=r["model_ms_per_line"] / b["model_ms_per_line"],
            target=None, note="ratio = raw / bezier (model speed-up from shorter sequences)"),
    ]
    details = {"recipe": source, "switch": f"features.{field}: {bez!r} vs {raw!r}", **results,
               "cer": "not measured in the benchmark run (needs tens of minutes of training per kind); "
                      "see docs/bench.md"}
    return {"title": "Handwriting features (Bezier vs raw points)", "device": "cpu", "rows": rows,
            "details": details, "clock": "process CPU time (1 thread)"}
