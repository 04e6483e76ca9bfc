"""Benchmark 7, handwriting features: Bezier-curve features (Carbune et al. 2020) vs raw resampled points,
both through the handwriting domain's own ``load`` (the features switch in its ``features:`` section):
sequence length per line, recognition time of the recipe's BiLSTM-CTC over the test lines, and the CER
of a model trained for the same short time on each (generated lines, the same for both)."""
from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import get_args

import yaml

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


def train_bundle(cfg_raw: dict, folder: Path) -> Path:
    """`suite train` on a config dict; returns the bundle path."""
    from suite.train import train

    cfg_path = folder / "config.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg_raw))
    return train(str(cfg_path), [], str(folder / "run"))


def cer_of(bundle: Path, files: list[str], texts: list[str]) -> tuple[float, float]:
    """(CER, seconds to recognise all files) with the suite's Predictor."""
    import suite
    from suite.metrics import cer

    predictor = suite.load(str(bundle))
    predictor.predict(files[:2])
    t0 = time.process_time()  # one thread: CPU time, immune to other jobs on the machine
    out = predictor.predict(files)
    seconds = time.process_time() - t0
    return cer(texts, [r.get("text", "") for r in out]), seconds


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
    train_recs = inputs.write_ink(folder / "train", 120 if quick else 400, seed=0)
    test_recs = inputs.write_ink(folder / "test", 30 if quick else 80, seed=1)
    train_m = inputs.write_manifest(folder / "train", train_recs)
    test_m = inputs.write_manifest(folder / "test", test_recs)
    test_files = [str(folder / "test" / r["ink"]) for r in test_recs]
    texts = [r["text"] for r in test_recs]
    minutes = 0.4 if quick else 1.0
    results, details = {}, {}
    for label, value in (("bezier", bez), ("raw points", raw)):
        raw_cfg = base.model_dump(mode="json")
        raw_cfg["features"][field] = value
        raw_cfg["data"].update(train=str(train_m), valid=str(test_m), num_workers=1)
        raw_cfg["train"].update(max_minutes=minutes, max_epochs=1000, early_stop_patience=None,
                                checkpoint_every_steps=None)
        cfg = type(base).model_validate(raw_cfg)
        lengths, t0 = [], time.process_time()
        for i, f in enumerate(test_files):
            lengths.append(int(dom.load(f, cfg.features, None, random.Random(i)).shape[0]))
        load_ms = (time.process_time() - t0) / len(test_files) * 1000
        run_dir = Path(tempfile.mkdtemp(dir=folder))
        bundle = train_bundle(raw_cfg, run_dir)
        error, seconds = cer_of(bundle, test_files, texts)
        results[label] = {"mean_length": sum(lengths) / len(lengths), "cer": error, "lines_per_s": len(texts) / seconds,
                          "load_ms_per_line": load_ms}
    details = {"recipe": source, "switch": f"features.{field}: {bez!r} vs {raw!r}", "train_minutes_each": minutes,
               **results}
    b, r = results["bezier"], results["raw points"]
    rows = [
        row("sequence length per line (points or curve segments)", "bezier", b["mean_length"], "raw points",
            r["mean_length"], "steps", ratio=r["mean_length"] / b["mean_length"], target=None,
            note=f"ratio = raw / bezier: {r['mean_length'] / b['mean_length']:.1f}x shorter with Bezier"),
        row(f"recognition speed, {len(texts)} lines (load + model + greedy decode)", "bezier", b["lines_per_s"],
            "raw points", r["lines_per_s"], "lines/s", target=None),
        row(f"CER after {minutes:g} min of CPU training each on {len(train_recs)} generated lines", "bezier",
            b["cer"], "raw points", r["cer"], "CER", ratio=r["cer"] / max(b["cer"], 1e-9), target=None,
            note="ratio = raw / bezier (> 1: Bezier better)"),
    ]
    return {"title": "Handwriting features (Bezier vs raw points)", "device": "cpu", "rows": rows,
            "details": details, "clock": "process CPU time (1 thread)"}
