"""Which frames a clip is made of: TSN-style segments (Wang et al., 2016) and sliding windows.

The span is cut into ``n`` equal segments and one frame is taken from each: at a random position in
training (temporal jitter), at the centre at evaluation, and at ``n_clips`` evenly staggered positions
for multi-clip testing. A span shorter than ``n`` frames gives repeated frames, still in time order.
"""
from __future__ import annotations

import math
import random


def segment_indices(
    n_frames: int,
    n: int,
    rng: random.Random | None = None,
    clip: int = 0,
    n_clips: int = 1,
    start: int = 0,
    end: int | None = None,
) -> list[int]:
    """``n`` frame indices in [start, end) (end defaults to n_frames), non-decreasing.

    With ``rng`` each segment's frame is drawn uniformly inside the segment; otherwise clip ``clip`` of
    ``n_clips`` takes the point at fraction (clip + 0.5) / n_clips of every segment (the centre for 1).
    """
    end = n_frames if end is None else min(end, n_frames)
    start = max(0, min(start, end - 1))
    span = end - start
    if span <= 0 or n <= 0:
        raise ValueError(f"cannot sample {n} frames from an empty span [{start}, {end})")
    if not 0 <= clip < n_clips:
        raise ValueError(f"clip {clip} out of range for {n_clips} clips")
    seg = span / n
    out = []
    for i in range(n):
        frac = rng.random() if rng is not None else (clip + 0.5) / n_clips
        out.append(start + min(span - 1, math.floor((i + frac) * seg)))
    return out


def window_starts(n_frames: int, window: int, stride: int) -> list[int]:
    """Start frames of sliding windows of ``window`` frames every ``stride`` frames, covering the end."""
    if window >= n_frames:
        return [0]
    starts = list(range(0, n_frames - window + 1, max(1, stride)))
    if starts[-1] + window < n_frames:  # last window flush with the end so no tail is left unlabelled
        starts.append(n_frames - window)
    return starts
