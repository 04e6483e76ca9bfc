"""What every benchmark shares: result rows, timing that tolerates a shared CPU, device choice."""
from __future__ import annotations

import gc
import statistics
import time
from typing import Callable

import torch

from suite.device import select_device


def device() -> torch.device:
    """The device a benchmark runs on: CUDA when present (as the suite itself chooses), else CPU."""
    return select_device("auto")


def sync(dev: torch.device) -> None:
    """Wait for queued GPU work so wall-clock timings are honest."""
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def row(name: str, a_label: str, a: float, b_label: str, b: float, unit: str, *, ratio: float | None = None,
        target: float | None = None, target_text: str = "", note: str = "", passed: bool | None = None) -> dict:
    """One comparison: way A vs way B, ``ratio`` (A/B unless given), and whether it meets ``target``.

    ``target`` is the least acceptable ratio; without one the row is informative (passed = None) unless
    ``passed`` is given (e.g. for an equality check).
    """
    if ratio is None:
        ratio = a / b if b else float("inf")
    if passed is None and target is not None:
        passed = ratio >= target
    return {"name": name, "a_label": a_label, "a": a, "b_label": b_label, "b": b, "unit": unit,
            "ratio": ratio, "target": target, "target_text": target_text or (f">= {target:g}" if target else "-"),
            "passed": passed, "note": note}


def skipped(reason: str) -> dict:
    return {"skipped": reason, "rows": []}


def clock(dev: torch.device | None = None) -> Callable[[], float]:
    """The clock a timing uses: this process's CPU time on CPU, wall time on a GPU.

    The benchmarks run one torch thread, so on a dedicated machine CPU time and wall time agree; on a
    machine shared with other jobs (as these 2 cores were) wall time also counts the time the scheduler
    gives the others, which is noise to every comparison here, while CPU time does not. GPU work is
    asynchronous to the process, so there it is wall time after a synchronize.
    """
    return time.perf_counter if dev is not None and dev.type == "cuda" else time.process_time


def clock_name(dev: torch.device | None = None) -> str:
    return "wall time" if dev is not None and dev.type == "cuda" else "process CPU time (1 thread)"


def timed(fn: Callable[[], object], dev: torch.device | None = None) -> float:
    """Seconds one call of ``fn`` takes (see ``clock``)."""
    now = clock(dev)
    if dev is not None:
        sync(dev)
    t0 = now()
    fn()
    if dev is not None:
        sync(dev)
    return now() - t0


def compare(fa: Callable[[], object], fb: Callable[[], object], rounds: int, dev: torch.device | None = None,
            warmup: int = 1) -> tuple[float, float]:
    """Seconds per call of ``fa`` and ``fb``, run alternately (A B A B ...) so that load from other
    processes on the machine hits both alike; the minimum over rounds is the least disturbed run."""
    for _ in range(warmup):
        fa(), fb()
    ta, tb = [], []
    for _ in range(rounds):
        gc.collect()
        ta.append(timed(fa, dev))
        gc.collect()
        tb.append(timed(fb, dev))
    return min(ta), min(tb)


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
