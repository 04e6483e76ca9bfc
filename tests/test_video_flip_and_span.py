"""Horizontal flips that respect left/right classes, and TSN segments spread over the whole clip."""
from __future__ import annotations

import random

import numpy as np
import pytest
from pydantic import ValidationError

from video import loader
from video.config import VideoAugment, VideoFeatures
from video.loader import flip_label, load_clip
from video.synth import write_mp4

PAIRS = [("walk_left", "walk_right"), ("turn_left", "turn_right")]
FEATURES = VideoFeatures(num_frames=4, size=32, resize=32)
STILL = dict(crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0), jitter=0.0)  # only the flip is random


@pytest.fixture(scope="module")
def left_bright(tmp_path_factory):
    """12 frames, bright on the left half, dark on the right."""
    frame = np.zeros((32, 32, 3), np.uint8)
    frame[:, :16] = 230
    path = tmp_path_factory.mktemp("flip") / "left.mp4"
    write_mp4([frame] * 12, path)
    return path


@pytest.fixture(scope="module")
def counter(tmp_path_factory):
    """240 frames whose grey level tells the frame index (i // 1 -> level i)."""
    path = tmp_path_factory.mktemp("span") / "long.mp4"
    write_mp4([np.full((32, 32, 3), i, np.uint8) for i in range(240)], path, fps=24)
    return path


def _bright_side(clip) -> str:
    x = clip.float().mean(dim=(0, 1, 2))  # per column
    return "left" if x[:16].mean() > x[16:].mean() else "right"


def test_flip_label():
    assert flip_label("walk_left", PAIRS) == "walk_right"
    assert flip_label("turn_right", PAIRS) == "turn_left"
    assert flip_label("jump", PAIRS) == "jump"
    assert flip_label("walk_left", []) == "walk_left"


def test_flip_is_off_by_default(left_bright):
    assert VideoAugment().flip == 0.0
    augment = VideoAugment(**STILL)
    for seed in range(10):
        clip, label = load_clip(left_bright, FEATURES, augment, random.Random(seed), label="walk_left")
        assert _bright_side(clip) == "left" and label == "walk_left"


def test_flipped_clip_swaps_its_mirror_label(left_bright):
    augment = VideoAugment(flip=1.0, mirror_pairs=PAIRS, **STILL)
    clip, label = load_clip(left_bright, FEATURES, augment, random.Random(0), label="walk_left")
    assert _bright_side(clip) == "right" and label == "walk_right"
    clip, label = load_clip(left_bright, FEATURES, augment, random.Random(0), label="jump")
    assert _bright_side(clip) == "right" and label == "jump"  # not in a pair: mirrored, same label
    # without a label the loader's contract is unchanged: just the clip, flipped once (not twice)
    assert _bright_side(load_clip(left_bright, FEATURES, augment, random.Random(0))) == "right"
    # evaluation never flips
    clip, label = load_clip(left_bright, FEATURES, None, random.Random(0), label="walk_left")
    assert _bright_side(clip) == "left" and label == "walk_left"


def test_half_the_clips_flip_and_image_matches_label(left_bright):
    augment = VideoAugment(flip=0.5, mirror_pairs=PAIRS, **STILL)
    results = [load_clip(left_bright, FEATURES, augment, random.Random(s), label="turn_left") for s in range(40)]
    flips = sum(label == "turn_right" for _, label in results)
    assert 8 <= flips <= 32
    assert all(_bright_side(clip) == ("right" if label == "turn_right" else "left") for clip, label in results)


def test_mirror_pairs_validated():
    with pytest.raises(ValidationError):
        VideoAugment(mirror_pairs=[("a", "a")])
    with pytest.raises(ValidationError):
        VideoAugment(mirror_pairs=[("a", "b"), ("b", "c")])


def _levels(clip) -> list[float]:
    return [float(f.float().mean()) for f in clip]


def test_eval_segments_span_the_whole_clip(counter):
    """8 centred segments of a 240-frame (10 s) clip: frames 15, 45, ..., 225 -- not a 2 s window."""
    features = VideoFeatures(num_frames=8, size=32, resize=32, window_seconds=2.0)
    levels = _levels(load_clip(counter, features, None))
    expected = [15 + 30 * i for i in range(8)]
    assert np.allclose(levels, expected, atol=4), levels


def test_training_segments_span_the_whole_clip(counter, monkeypatch):
    features = VideoFeatures(num_frames=8, size=32, resize=32, window_seconds=2.0)
    asked: list[list[int]] = []
    real = loader.read_sampled

    def spy(reader, sample, short_side):
        asked.append(sample(reader.info.frame_count))
        return real(reader, sample, short_side)

    monkeypatch.setattr(loader, "read_sampled", spy)
    augment = VideoAugment(jitter=0.0)
    for seed in range(20):
        load_clip(counter, features, augment, random.Random(seed))
    for idx in asked:
        assert all(30 * i <= x < 30 * (i + 1) for i, x in enumerate(idx)), idx  # one frame per 30-frame segment
    assert min(i[0] for i in asked) < 15 and max(i[-1] for i in asked) >= 225  # random offsets reach both ends
