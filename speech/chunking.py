"""Splitting long recordings for transcription: at pauses (energy-based) or in overlapping chunks.

A chunk is (start, end, keep_start, keep_end) in samples: the model sees [start, end), and only tokens
emitted inside [keep_start, keep_end) count, so overlapping chunks do not repeat words.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Chunk(NamedTuple):
    start: int
    end: int
    keep_start: int
    keep_end: int


def frame_energy_db(wave: np.ndarray, frame: int) -> np.ndarray:
    """Energy in dB of consecutive frames of ``frame`` samples (the last partial frame included)."""
    n = max(1, -(-len(wave) // frame))
    padded = np.zeros(n * frame, dtype=np.float32)
    padded[: len(wave)] = wave
    power = np.mean(padded.reshape(n, frame) ** 2, axis=1)
    return 10 * np.log10(power + 1e-10)


def split_at_pauses(wave: np.ndarray, sample_rate: int, max_seconds: float, min_seconds: float | None = None) -> list[Chunk]:
    """Cut at the quietest point (smoothed over ~0.2 s) between min_seconds and max_seconds after the last cut.

    Quiet points are found from short-time energy; with no pause in the window the cut falls at its
    quietest frame anyway, so no chunk exceeds ``max_seconds``.
    """
    max_len = int(max_seconds * sample_rate)
    if len(wave) <= max_len:
        return [Chunk(0, len(wave), 0, len(wave))]
    frame = max(1, sample_rate // 100)  # 10 ms
    energy = frame_energy_db(wave, frame)
    smooth = np.convolve(energy, np.ones(21) / 21, mode="same")  # a pause is quiet for a while, not one frame
    min_len = int((min_seconds if min_seconds is not None else max_seconds / 2) * sample_rate)
    cuts, pos = [0], 0
    while len(wave) - pos > max_len:
        lo, hi = (pos + min_len) // frame, (pos + max_len) // frame
        best = lo + int(np.argmin(smooth[lo:hi])) if hi > lo else hi
        pos = max(best * frame, pos + frame)
        cuts.append(pos)
    cuts.append(len(wave))
    return [Chunk(a, b, a, b) for a, b in zip(cuts[:-1], cuts[1:])]


def split_overlapping(n_samples: int, sample_rate: int, max_seconds: float, overlap_seconds: float) -> list[Chunk]:
    """Fixed windows of max_seconds overlapping by overlap_seconds; each keeps its share up to the midpoints."""
    size = int(max_seconds * sample_rate)
    if n_samples <= size:
        return [Chunk(0, n_samples, 0, n_samples)]
    overlap = min(int(overlap_seconds * sample_rate), size // 2)
    step = size - overlap
    starts = list(range(0, max(1, n_samples - overlap), step))
    chunks = []
    for i, s in enumerate(starts):
        e = min(s + size, n_samples)
        keep_start = 0 if i == 0 else s + overlap // 2
        keep_end = n_samples if i == len(starts) - 1 else s + step + overlap // 2
        chunks.append(Chunk(s, e, keep_start, keep_end))
    return chunks


def plan_chunks(wave: np.ndarray, sample_rate: int, max_seconds: float, mode: str, overlap_seconds: float) -> list[Chunk]:
    if mode == "overlap":
        return split_overlapping(len(wave), sample_rate, max_seconds, overlap_seconds)
    return split_at_pauses(wave, sample_rate, max_seconds)
