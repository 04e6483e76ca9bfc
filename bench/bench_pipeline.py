"""Benchmark 2, input pipeline: training throughput reading real files through the suite's loaders
(suite.train.make_loaders: the domain's load + features in DataLoader workers, bucketed batches) vs the
same batches preloaded in memory, for each installed domain with its CPU recipe. Default worker count
first, then 0/1/2 workers to find how many the domain needs to keep the model fed.

The ratio is the share of the epoch the training loop spends training rather than waiting for the next
batch (1.0 when the loader keeps up). The plain wall-clock ratio against preloaded epochs run just before
and after is reported too; on a machine shared with other jobs it also carries their load."""
from __future__ import annotations

import copy
import time

from suite.manifest import read_manifest
from suite.registry import get_domain
from suite.tasks import get_task
from suite.train import make_loaders

from . import inputs
from .common import device, row
from .domains import KEYS, Stepper, recipe

TARGET = 0.90
WORKERS = (0, 1, 2)


def epoch(stepper: Stepper, batches) -> dict:
    """Time one epoch, split into waiting for the next batch and training on it (first batch excluded:
    it also pays the workers' start-up, reported apart)."""
    it = iter(batches)
    t0 = time.perf_counter()
    stepper(next(it))
    startup = time.perf_counter() - t0
    wait = compute = 0.0
    samples = 0
    while True:
        a = time.perf_counter()
        try:
            batch = next(it)
        except StopIteration:
            break
        b = time.perf_counter()
        stepper(batch)
        wait += b - a
        compute += time.perf_counter() - b
        samples += len(batch.ids)
    return {"samples": samples, "wait_s": wait, "compute_s": compute, "first_batch_s": startup,
            "samples_per_s": samples / (wait + compute)}


def files_for(domain: str, n: int, folder):
    if domain == "speech":
        return inputs.write_audio(folder, n, (1.5, 5.0), seed=0)
    if domain == "handwriting":
        return inputs.write_ink(folder, n, seed=0)
    return inputs.write_videos(folder, n, seed=0)


def bench_domain(name: str, quick: bool, dev) -> tuple[list[dict], dict]:
    cfg, source = recipe(name, [])
    # at most 16 per batch: the loader's cost per sample and the model's per sample do not depend on the
    # batch size, so the ratio does not either, and more (smaller) batches average out timing noise
    batch = min(cfg.train.batch_size, 16)
    cfg.train.batch_size = batch
    n_batches = 6 if quick else 12
    folder = inputs.scratch(f"pipe-{name}")
    manifest = inputs.write_manifest(folder, files_for(name, batch * n_batches, folder))
    domain = get_domain(name)
    rows_ = read_manifest(manifest, domain.input_key, domain.target_key)
    task = get_task(domain.task)
    targets = task.fit_targets(domain, rows_)
    stepper = Stepper(cfg, targets, dev)

    def loader(workers: int):
        c = copy.deepcopy(cfg)
        c.data.num_workers = workers
        return make_loaders(c, domain, targets, task, rows_, [], dev, batch)[0]

    preloaded = list(loader(cfg.data.num_workers))
    stepper(preloaded[0])  # warm-up
    settings = [cfg.data.num_workers] + [w for w in WORKERS if w != cfg.data.num_workers]
    mem, runs, kept, wall = [epoch(stepper, preloaded)], {}, {}, {}
    for w in settings:
        runs[w] = epoch(stepper, loader(w))
        mem.append(epoch(stepper, preloaded))
        r = runs[w]
        # the share of training time not spent waiting for data: on a machine shared with other jobs this
        # is what the input pipeline costs (the model's own speed varies with their load, on both sides)
        kept[w] = r["compute_s"] / (r["compute_s"] + r["wait_s"])
        # the plain wall-clock ratio against the preloaded epochs just before and after
        wall[w] = r["samples_per_s"] / ((mem[-2]["samples_per_s"] + mem[-1]["samples_per_s"]) / 2)
    # per-sample costs from the in-process (0 workers) epoch: its waits are the whole loading path
    # (read, decode, features, augmentation, collate), its compute the model step
    zero = runs[0]
    load_ms = zero["wait_s"] / zero["samples"] * 1000
    step_ms = zero["compute_s"] / zero["samples"] * 1000
    enough = [w for w in sorted(settings) if kept[w] >= TARGET]
    default = cfg.data.num_workers
    d = runs[default]
    needs = f"needs {enough[0]} worker(s)" if enough else f"below target even with {max(settings)} workers"
    r = row(f"{name}: {source}, batch {batch}, {n_batches} batches, default {default} worker(s)",
            f"files ({default} workers)", d["samples_per_s"], "preloaded (same epoch's model time)",
            d["samples"] / d["compute_s"], "samples/s", ratio=kept[default], target=TARGET,
            note=f"{needs}; by workers: " + ", ".join(f"{w}: {kept[w]:.2f}" for w in sorted(settings))
                 + f"; wall-clock vs preloaded epochs: " + ", ".join(f"{w}: {wall[w]:.2f}" for w in sorted(settings))
                 + f"; load {load_ms:.1f} vs model {step_ms:.1f} ms/sample")
    return [r], {"recipe": source, "files_epochs": runs, "preloaded_epochs": mem, "ratio_by_workers": kept,
                 "wall_clock_ratio_by_workers": wall, "load_ms_per_sample": load_ms, "model_ms_per_sample": step_ms}


def run(quick: bool) -> dict:
    dev = device()
    rows, details, missing = [], {}, []
    for name in KEYS:
        if inputs.domain_available(name) is None:
            missing.append(name)
            continue
        try:
            r, d = bench_domain(name, quick, dev)
        except Exception as err:  # noqa: BLE001 - one domain's failure must not hide the others' figures
            details[name] = {"error": f"{type(err).__name__}: {err}"}
            continue
        rows += r
        details[name] = d
    if not rows:
        errors = {k: v["error"] for k, v in details.items() if "error" in v}
        if errors:
            raise RuntimeError("; ".join(f"{k}: {v}" for k, v in errors.items()))
        return {"skipped": f"no domain package installed ({', '.join(missing)})", "rows": []}
    if missing:
        details["skipped_domains"] = {m: "domain package not installed" for m in missing}
    return {"title": "Input pipeline (real files vs preloaded batches)", "device": str(dev), "rows": rows,
            "details": details, "clock": "wall time (DataLoader workers are other processes)"}
