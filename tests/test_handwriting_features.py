"""Features and augmentation: shapes, invariances, resampling, Bezier reduction, frontend padding."""
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from handwriting.config import HandwritingAugment, HandwritingFeatures
from handwriting.features import build_frontend, feature_dim, ink_features, resample_stroke, resample_strokes
from handwriting.formats import read_ink

FIX = Path(__file__).parent / "fixtures" / "handwriting"
LINE = FIX / "unipen" / "data" / "8" / "apa" / "apa00" / "app0020.dat"


@pytest.fixture(scope="module")
def ink():
    return read_ink(LINE)[0]


@pytest.mark.parametrize("cfg", [HandwritingFeatures(), HandwritingFeatures(time_delta=True),
                                 HandwritingFeatures(kind="bezier"), HandwritingFeatures(kind="bezier", time_delta=True)])
def test_shapes_and_finite(ink, cfg):
    f = ink_features(ink, cfg)
    assert f.ndim == 2 and f.shape[1] == feature_dim(cfg) and f.shape[0] > 10
    assert torch.isfinite(f).all()


def test_invariant_to_translation_and_scale(ink):
    cfg = HandwritingFeatures()
    base = ink_features(ink, cfg)
    moved = [s * [3.0, 3.0, 1.0] + [500.0, -200.0, 0.0] for s in ink.strokes]
    assert torch.allclose(ink_features(moved, cfg), base, atol=1e-4)


def test_deskew_removes_rotation(ink):
    cfg = HandwritingFeatures(spacing=0.1)
    a = np.radians(5)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    tilted = []
    for s in ink.strokes:
        t = s.copy()
        t[:, :2] = s[:, :2] @ rot.T
        tilted.append(t)
    base, tilt = ink_features(ink, cfg), ink_features(tilted, cfg)
    assert abs(len(base) - len(tilt)) <= 0.05 * len(base)
    # the y channel (height above the centre line) stays within a small drift across the line
    n = min(len(base), len(tilt))
    assert (base[:n, 2] - tilt[:n, 2]).abs().median() < 0.1


def _sheared(strokes, amount):
    out = []
    for s in strokes:
        t = s.copy()
        t[:, 0] = s[:, 0] + amount * s[:, 1]
        out.append(t)
    return out


def test_deslant_makes_a_writers_slant_irrelevant(ink):
    from handwriting.features import normalize_ink, slant, upright_shear

    upright_fixture = slant(resample_strokes(normalize_ink(ink.strokes), 0.05))  # block capitals, upright
    assert upright_fixture == pytest.approx(0.0, abs=0.05)
    leaning = _sheared(ink.strokes, -0.4)  # y grows downwards in this file: x - 0.4 y leans right
    assert upright_shear(resample_strokes(normalize_ink(leaning), 0.05)) == pytest.approx(upright_fixture - 0.4, abs=0.03)
    upright = normalize_ink(leaning, deslant=True)
    assert slant(resample_strokes(upright, 0.05)) == pytest.approx(0.0, abs=0.02)
    # the same line leaning either way is the same upright line (the raw points, before resampling)
    base = np.concatenate(normalize_ink(ink.strokes, deslant=True))[:, :2]
    for amount in (0.3, -0.3):
        other = np.concatenate(normalize_ink(_sheared(ink.strokes, amount), deslant=True))[:, :2]
        assert np.abs(other - base).max() < 0.1  # line heights
        plain = np.concatenate(normalize_ink(_sheared(ink.strokes, amount)))[:, :2]
        assert np.abs(plain - np.concatenate(normalize_ink(ink.strokes))[:, :2]).max() > 0.3
    # heights are kept: a shear moves points sideways only (the letter height, measured on a resampling, to 0.1%)
    assert np.allclose(np.concatenate(upright)[:, 1], np.concatenate(normalize_ink(leaning))[:, 1], atol=1e-3)


def test_resampling_spacing():
    stroke = np.stack([np.linspace(0, 10, 1000), np.zeros(1000), np.linspace(0, 1, 1000)], axis=1)
    r = resample_stroke(stroke, 0.5)
    assert len(r) == 21 and np.allclose(np.diff(r[:, 0]), 0.5)
    assert np.allclose(r[[0, -1], 2], [0, 1])


def test_pen_up_bit_marks_stroke_starts(ink):
    f = ink_features(ink, HandwritingFeatures())
    assert int(f[:, 3].sum()) == len(ink.strokes)


def test_coarser_resampling_and_bezier_shorten_sequences(ink):
    fine = len(ink_features(ink, HandwritingFeatures(spacing=0.05)))
    coarse = len(ink_features(ink, HandwritingFeatures(spacing=0.2)))
    bez = len(ink_features(ink, HandwritingFeatures(kind="bezier", spacing=0.05)))
    assert coarse < fine / 3 and bez < fine / 5


def test_augmentation_changes_ink_but_is_reproducible(ink):
    cfg, aug = HandwritingFeatures(), HandwritingAugment(prob=1.0)
    a = ink_features(ink, cfg, aug, random.Random(1))
    b = ink_features(ink, cfg, aug, random.Random(1))
    c = ink_features(ink, cfg, aug, random.Random(2))
    assert torch.equal(a, b) and not (len(a) == len(c) and torch.equal(a, c))
    assert a.shape[1] == 4 and torch.isfinite(a).all()
    # augmentation is moderate: the sequence length stays within 40% of the clean one
    assert 0.6 < len(a) / len(ink_features(ink, cfg)) < 1.4


def test_augmentation_off_is_identity(ink):
    cfg = HandwritingFeatures()
    off = HandwritingAugment(prob=0.0, jitter=0.0, point_dropout=0.0)
    assert torch.equal(ink_features(ink, cfg, off, random.Random(0)), ink_features(ink, cfg))


def test_frontend_ignores_padding():
    front, dim = build_frontend(HandwritingFeatures(), HandwritingAugment())
    x = torch.randn(2, 7, dim)
    lengths = torch.tensor([7, 4])
    y, ly = front(x, lengths)
    assert torch.equal(y[1, :4], front(x[1:, :4], lengths[1:])[0][0]) and torch.equal(ly, lengths)


def test_stroke_warp_moves_each_stroke_on_its_own(ink):
    """augment.stroke_warp: every stroke gets its own scale, slant and shift about its centre (off by default)."""
    from handwriting.features import augment_strokes, normalize_ink

    strokes = normalize_ink([s.copy() for s in ink.strokes])
    plain = HandwritingAugment(prob=1.0, scale_x=(1.0, 1.0), shear=0.0, rotate_deg=0.0)
    assert HandwritingAugment().stroke_warp == 0.0
    same = augment_strokes(strokes, plain, random.Random(0))
    assert all(np.allclose(a[:, :2], b[:, :2]) for a, b in zip(same, strokes))
    warped = augment_strokes(strokes, plain.model_copy(update={"stroke_warp": 0.2}), random.Random(0))
    moved = [np.abs(w[:, :2] - s[:, :2]).max() for w, s in zip(warped, strokes) if len(s) > 2]
    assert min(moved) > 0 and max(moved) < 0.6  # every stroke moved, none far
    centre_x = [(w[:, 0].mean(), s[:, 0].mean()) for w, s in zip(warped, strokes)]
    assert np.allclose(*zip(*centre_x))  # no stroke slides along the line into its neighbour
    # strokes differ in how they moved: not one transform for the whole line
    ratios = {round(float(np.ptp(w[:, 1]) / np.ptp(s[:, 1])), 4) for w, s in zip(warped, strokes) if np.ptp(s[:, 1]) > 0.1}
    assert len(ratios) > 1


def test_elastic_warp_is_smooth_and_bounded(ink):
    """augment.elastic: every point moves by at most the amount, neighbours alike, and not all by one shift."""
    from handwriting.features import elastic_warp, normalize_ink

    assert HandwritingAugment().elastic == 0.0
    strokes = normalize_ink([s.copy() for s in ink.strokes])
    for seed in range(5):
        warped = elastic_warp(strokes, 0.15, 1.5, random.Random(seed))
        assert [len(w) for w in warped] == [len(s) for s in strokes]
        shift = np.concatenate([w[:, :2] - s[:, :2] for w, s in zip(warped, strokes)])
        assert np.abs(shift).max() <= 0.15 + 1e-9 and np.abs(shift).max() > 0.02
        assert np.ptp(shift[:, 0]) > 0.02 or np.ptp(shift[:, 1]) > 0.02  # a field, not a translation
        pts = np.concatenate(strokes)[:, :2]
        near = np.linalg.norm(np.diff(pts, axis=0), axis=1) < 0.05
        # smooth: points a twentieth of a line height apart move within a few hundredths of each other
        assert np.abs(np.diff(shift, axis=0)[near]).max() < 0.03
        assert np.array_equal(np.concatenate(warped)[:, 2], np.concatenate(strokes)[:, 2], equal_nan=True)


def test_time_masks_zero_short_spans_and_nothing_else(ink):
    """augment.time_masks: a few spans of the feature sequence set to zero, each at most time_mask_width steps and a
    tenth of the line; the rest of the sequence is the augmented features as they were (off by default)."""
    cfg = HandwritingFeatures()
    assert HandwritingAugment().time_masks == 0
    aug = HandwritingAugment(prob=1.0)
    plain = ink_features(ink, cfg, aug, random.Random(3)).numpy()
    masked = ink_features(ink, cfg, aug.model_copy(update={"time_masks": 3, "time_mask_width": 6}),
                          random.Random(3)).numpy()
    assert masked.shape == plain.shape
    differ = np.flatnonzero((masked != plain).any(1))
    assert len(differ) > 0 and not masked[differ].any()  # the changed rows are zero rows
    assert len(differ) <= 3 * min(6, len(plain) // 10)
    from handwriting.features import mask_spans

    spans = mask_spans(np.ones((100, 4)), 1, 6, random.Random(0))
    gone = np.flatnonzero(spans[:, 0] == 0)
    assert len(gone) <= 6 and (len(gone) == 0 or np.ptp(gone) == len(gone) - 1)  # one contiguous span
    assert mask_spans(np.ones((9, 4)), 5, 6, random.Random(0)).all()  # under 10 steps: a tenth is nothing
