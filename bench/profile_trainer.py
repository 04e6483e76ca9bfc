"""Where the trainer's per-step time goes: cProfile of Lightning's training-loop ``advance`` (one call per
step) under `suite train` with in-memory batches, for the small model of benchmark 1 (where the fixed
per-step cost shows), next to the bare loop's total for the same steps.

    .venv/bin/python bench/profile_trainer.py [--steps 200] [--top 25]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    import lightning.pytorch.loops.training_epoch_loop as tel

    from bench import bench_trainer as bt
    from suite.manifest import read_manifest
    from suite.registry import get_domain
    from suite.tasks import get_task
    from suite.train import quiet_lightning

    quiet_lightning()
    _, model, dim, batch, frames, _, _ = bt.SETUPS[1]
    scratch = tempfile.TemporaryDirectory(prefix="bench-profile-")
    tmp = Path(scratch.name)
    cfg = bt.write_run_files(tmp, model, dim, batch, args.steps)
    domain = get_domain(bt.TASK)
    task = get_task(domain.task)
    targets = task.fit_targets(domain, read_manifest(tmp / "train.jsonl", "audio", "text"))
    batches = bt.make_batches(args.steps, batch, frames, dim, targets.encode, task.collate_targets, 0)
    t0 = time.perf_counter()
    bt.bare_steps_per_s(cfg, targets, batches, torch.device("cpu"))
    bare = time.perf_counter() - t0

    prof = cProfile.Profile()
    advance = tel._TrainingEpochLoop.advance

    def profiled(self, *a, **k):
        prof.enable()
        try:
            return advance(self, *a, **k)
        finally:
            prof.disable()

    tel._TrainingEpochLoop.advance = profiled
    bt.suite_steps_per_s(cfg, tmp / "run", batches, batches[:1])
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    print(f"bare loop: {bare / args.steps * 1000:.1f} ms/step (unprofiled); suite steps below are under "
          f"cProfile, which roughly doubles the cost of Python-level code")
    stats.sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())
    scratch.cleanup()


if __name__ == "__main__":
    main()
