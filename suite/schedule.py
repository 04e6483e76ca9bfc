"""Schedules that scale with the corpus: batch size, planned steps and the learning-rate curve.

A recipe sets a budget (``train.max_steps`` and/or ``train.max_minutes``); epochs follow from the corpus
size; warm-up and decay are fractions of the budget. A tiny corpus trains with smaller batches (at least
``train.min_batches_per_epoch`` per epoch) and for at least ``train.min_steps`` updates.
"""
from __future__ import annotations

import math


def effective_batch_size(n_samples: int, batch_size: int, min_batches: int, min_batch_size: int) -> int:
    """The batch size that gives an epoch at least ``min_batches`` batches, never below ``min_batch_size``."""
    if n_samples >= batch_size * min_batches:
        return batch_size
    return max(min(batch_size, min_batch_size), min(batch_size, n_samples // max(min_batches, 1)))


def planned_steps(steps_per_epoch: int, max_epochs: int, max_steps: int, min_steps: int) -> int:
    """Optimizer steps the LR schedule spans: the step budget, else the epoch cap, never under ``min_steps``."""
    per_epoch = max(steps_per_epoch, 1)
    by_epochs = per_epoch * max_epochs
    total = min(max_steps, by_epochs) if max_steps > 0 else by_epochs
    return max(total, min_steps, 1)


def epochs_for(steps: int, steps_per_epoch: int) -> int:
    return max(1, math.ceil(steps / max(steps_per_epoch, 1)))


def lr_factor(step: int, total: int, warm: int, schedule: str, time_progress: float | None = None) -> float:
    """Multiplier of the peak LR: linear warm-up, then cosine to 5% (by steps or wall time, whichever is further).

    On a time budget the warm-up also ends at the same fraction of the wall time, so a run that makes far
    fewer steps than planned does not spend most of them warming up."""
    if step < warm:
        ramp = (step + 1) / warm
        if time_progress is not None and total > 0:
            ramp = max(ramp, time_progress / (warm / total))
        if ramp < 1.0:
            return ramp
        warm = step
    if schedule == "constant":
        return 1.0
    progress = min((step - warm) / max(total - warm, 1), 1.0)
    if time_progress is not None:  # a time-capped run decays by whichever ends first: steps or wall time
        progress = max(progress, time_progress)
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress))
