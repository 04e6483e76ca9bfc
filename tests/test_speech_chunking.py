"""Splitting long audio: cuts at pauses, overlapping windows that cover every sample exactly once."""
from __future__ import annotations

import numpy as np
import pytest

from speech.chunking import plan_chunks, split_at_pauses, split_overlapping
from tests.speech_toy import tone


def test_short_audio_is_one_chunk():
    assert split_at_pauses(np.zeros(8000, np.float32), 8000, 30.0) == [(0, 8000, 0, 8000)]
    assert split_overlapping(8000, 8000, 30.0, 2.0) == [(0, 8000, 0, 8000)]


def test_pause_split_cuts_inside_silences():
    sr = 8000
    rng = np.random.default_rng(0)
    parts, silences = [], []
    pos = 0
    for i in range(12):  # 12 x (1.5 s speech-like tone + 0.4 s silence)
        parts.append(tone(1.5, sr, 300 + 50 * i))
        pos += int(1.5 * sr)
        silences.append((pos, pos + int(0.4 * sr)))
        parts.append((rng.standard_normal(int(0.4 * sr)) * 1e-4).astype(np.float32))
        pos += int(0.4 * sr)
    wave = np.concatenate(parts)
    chunks = split_at_pauses(wave, sr, max_seconds=5.0)
    assert len(chunks) >= 5
    assert chunks[0].start == 0 and chunks[-1].end == len(wave)
    for a, b in zip(chunks[:-1], chunks[1:]):
        assert a.end == b.start  # contiguous, no overlap
        assert any(lo <= a.end <= hi for lo, hi in silences), f"cut at {a.end / sr:.2f}s is not in a pause"
    assert all(c.end - c.start <= 5 * sr for c in chunks)


def test_pause_split_without_pauses_still_respects_limit():
    wave = tone(23.0, 8000)
    chunks = split_at_pauses(wave, 8000, max_seconds=4.0)
    assert all(c.end - c.start <= 4 * 8000 for c in chunks)
    assert chunks[-1].end == len(wave)


@pytest.mark.parametrize("n", [80001, 160000, 123457])
def test_overlapping_windows_keep_each_sample_once(n):
    chunks = split_overlapping(n, 8000, max_seconds=3.0, overlap_seconds=1.0)
    covered = np.zeros(n, int)
    for c in chunks:
        assert c.end - c.start <= 3 * 8000
        assert c.start <= c.keep_start < c.keep_end <= c.end
        covered[c.keep_start:c.keep_end] += 1
    assert (covered == 1).all()
    assert chunks[1].start < chunks[0].end  # windows really overlap


def test_plan_chunks_dispatch():
    wave = tone(10.0, 8000)
    assert plan_chunks(wave, 8000, 4.0, "overlap", 1.0)[1].start == 3 * 8000
    assert plan_chunks(wave, 8000, 4.0, "pause", 1.0)[1].start == plan_chunks(wave, 8000, 4.0, "pause", 1.0)[0].end
