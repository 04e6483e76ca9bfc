"""Spatial transforms: shapes, eval centre crop, one set of random parameters per clip."""
from __future__ import annotations

import random

import pytest
import torch
from pydantic import ValidationError

from video.config import VideoAugment, VideoFeatures
from video.frontend import VideoNormalize, build_frontend
from video.model_config import VideoModel
from video.transforms import apply_transform


def _clip(t=4, h=40, w=60):
    g = torch.Generator().manual_seed(0)
    frame = torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=g)
    return frame.expand(t, 3, h, w).clone()


def test_eval_resize_and_centre_crop():
    feats = VideoFeatures(size=20, resize=20)
    clip = torch.zeros(2, 3, 40, 60, dtype=torch.uint8)
    clip[:, :, :, 25:35] = 255  # a bar in the middle columns survives the centre crop
    out = apply_transform(clip, feats, None)
    assert out.shape == (2, 3, 20, 20) and out.dtype == torch.uint8
    assert out[:, :, :, 10].float().mean() > 200 and out[:, :, :, 0].float().mean() < 30


def test_train_applies_same_params_to_every_frame():
    feats, aug = VideoFeatures(size=24, resize=40), VideoAugment()
    for seed in range(5):
        out = apply_transform(_clip(), feats, aug, random.Random(seed))
        assert out.shape == (4, 3, 24, 24)
        assert all(torch.equal(out[0], out[i]) for i in range(1, 4))


def test_train_randomness_follows_rng():
    feats, aug = VideoFeatures(size=24, resize=40), VideoAugment()
    a = apply_transform(_clip(), feats, aug, random.Random(7))
    b = apply_transform(_clip(), feats, aug, random.Random(7))
    c = apply_transform(_clip(), feats, aug, random.Random(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_grey_clips_and_one_erased_rectangle_at_the_same_place_in_every_frame():
    feats = VideoFeatures(size=32, resize=32, mean=(0.5, 0.25, 0.75))
    aug = VideoAugment(crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0), jitter=0.0, grayscale=1.0, erase=1.0)
    clip = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(2))
    for seed in range(5):
        out = apply_transform(clip, feats, aug, random.Random(seed))
        erased = (out == torch.tensor([128, 64, 191], dtype=torch.uint8).view(1, 3, 1, 1)).all(1)
        assert all(torch.equal(erased[0], erased[i]) for i in range(1, 4))  # an occluder, not flicker
        assert 0.02 <= erased[0].float().mean() <= 0.2
        kept = ~erased
        assert torch.equal(out[:, 0][kept], out[:, 1][kept]) and torch.equal(out[:, 1][kept], out[:, 2][kept])
    off = apply_transform(clip, feats, VideoAugment(crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0), jitter=0.0),
                          random.Random(0))
    assert torch.equal(off, clip)  # both off by default
    for bad in ((0.5, 0.1), (0.0, 0.2), (0.1, 1.5)):  # refused when the config is read, not in a data worker
        with pytest.raises(ValidationError, match="area fraction"):
            VideoAugment(erase_scale=bad)
        with pytest.raises(ValidationError, match="area fraction"):
            VideoAugment(crop_scale=bad)


def test_frontend_normalises_and_ignores_padding():
    norm = VideoNormalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    x = torch.full((2, 3, 3, 4, 4), 255, dtype=torch.uint8)
    out, lengths = norm(x, torch.tensor([3, 1]))
    assert torch.allclose(out[0], torch.ones_like(out[0]))
    assert torch.equal(out[1, 1:], torch.zeros_like(out[1, 1:])) and lengths.tolist() == [3, 1]
    # the whole frontend (normaliser + per-frame CNN): a clip's features do not depend on the batch's padding
    frontend, dim = build_frontend(VideoFeatures(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
                                   model=VideoModel(cnn="small", cnn_channels=8, spatial_grid=2, feature_dim=16))
    frontend.eval()
    g = torch.Generator().manual_seed(1)
    clips = torch.randint(0, 256, (2, 3, 3, 16, 16), dtype=torch.uint8, generator=g)
    feats, lengths = frontend(clips, torch.tensor([3, 1]))
    assert feats.shape == (2, 3, dim) and lengths.tolist() == [3, 1]
    alone, _ = frontend(clips[1:, :1], torch.tensor([1]))
    torch.testing.assert_close(alone[0], feats[1, :1])
