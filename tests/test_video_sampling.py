"""TSN segment sampling and sliding windows."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, strategies as st

from video.sampling import segment_indices, window_starts


def test_centred_segments():
    assert segment_indices(80, 8) == [5, 15, 25, 35, 45, 55, 65, 75]


def test_random_offsets_stay_inside_their_segment():
    rng = random.Random(0)
    for _ in range(50):
        idx = segment_indices(80, 8, rng)
        assert all(10 * i <= x < 10 * (i + 1) for i, x in enumerate(idx))
    assert len({tuple(segment_indices(80, 8, rng)) for _ in range(20)}) > 1


def test_multi_clip_positions_are_staggered():
    clips = [segment_indices(80, 4, None, c, 2) for c in range(2)]
    assert clips == [[5, 25, 45, 65], [15, 35, 55, 75]]


def test_short_clip_repeats_frames_in_order():
    assert segment_indices(3, 8) == [0, 0, 0, 1, 1, 2, 2, 2]
    assert segment_indices(1, 4) == [0, 0, 0, 0]


def test_span_within_video():
    assert segment_indices(100, 2, start=20, end=40) == [25, 35]
    with pytest.raises(ValueError):
        segment_indices(0, 4)


@given(st.integers(1, 500), st.integers(1, 64), st.integers(0, 2**32))
def test_indices_valid_and_ordered(n_frames, n, seed):
    for idx in (segment_indices(n_frames, n), segment_indices(n_frames, n, random.Random(seed))):
        assert len(idx) == n
        assert all(0 <= i < n_frames for i in idx)
        assert idx == sorted(idx)


def test_window_starts_cover_the_end():
    assert window_starts(100, 40, 20) == [0, 20, 40, 60]
    assert window_starts(105, 40, 20) == [0, 20, 40, 60, 65]
    assert window_starts(30, 40, 20) == [0]
