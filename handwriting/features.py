"""Ink -> feature sequence: size/baseline normalization, constant arc-length resampling, point deltas.

Computed on the CPU in DataLoader workers (``Domain.load``); the on-device frontend is a pass-through.
Point features per step: dx, dy (from the previous point, across pen lifts, in units of the spacing), y (height relative to the
local centre line of the writing), pen-up bit (1 on the first point of a stroke), optionally dt.
"""
from __future__ import annotations

import math
import random
from typing import Callable, NamedTuple

import numpy as np
import torch
from torch import nn

from .config import HandwritingAugment, HandwritingFeatures
from .ink import Ink

POINT_DIM = 4
BEZIER_DIM = 8
MAX_DT = 2.0  # seconds; longer pauses carry no more information
SPLICE_TRIES = 4  # partner lines drawn for augment.splice until one shows its words apart
MAX_JUMP = 10.0  # clip of dx, dy in spacing units (pen-up jumps between words and lines)
LOCAL_WINDOW = 25  # points each side for the local centre line (~5 letter heights of pen travel at 0.2)


def feature_dim(cfg: HandwritingFeatures) -> int:
    return (BEZIER_DIM if cfg.kind == "bezier" else POINT_DIM) + int(cfg.time_delta)


def resample_stroke(stroke: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` of arc length along a stroke (x, y, t interpolated), both ends kept."""
    return resample_strokes([stroke], step)[0]


class _Arcs(NamedTuple):
    """Arc lengths of a line's (non-empty) strokes, laid end to end on one axis."""
    pts: np.ndarray  # [N, 3] points of all strokes
    dist: np.ndarray  # arc length of each point from the first stroke's start, no length between strokes
    first: np.ndarray  # index of each stroke's first point
    counts: np.ndarray  # points per stroke
    total: np.ndarray  # each stroke's length


def _arc_lengths(strokes: list[np.ndarray]) -> _Arcs:
    pts = np.concatenate(strokes)
    counts = np.fromiter((len(s) for s in strokes), int, len(strokes))
    first = np.cumsum(counts) - counts
    seg = np.zeros(len(pts))
    seg[1:] = np.hypot(np.diff(pts[:, 0]), np.diff(pts[:, 1]))
    seg[first] = 0.0  # the pen-up move into a stroke is not part of it
    dist = np.cumsum(seg)
    return _Arcs(pts, dist, first, counts, dist[first + counts - 1] - dist[first])


def _samples_per_stroke(total: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """(regular samples 0, step, ... of each stroke, whether its end is added after them)."""
    regular = np.where(total < step, 1, np.floor(total / step).astype(int) + 1)
    # a stroke shorter than a step keeps both ends; a longer one its end when the last gap exceeds a quarter step
    end = np.where(total < step, total > 0, total - (regular - 1) * step > 0.25 * step)
    return regular, end


def resampled_lengths(strokes: list[np.ndarray], step: float) -> np.ndarray:
    """Points of each stroke after ``resample_strokes`` (without interpolating them)."""
    counts = np.zeros(len(strokes), int)
    filled = [i for i, s in enumerate(strokes) if len(s)]
    if filled:
        regular, end = _samples_per_stroke(_arc_lengths([strokes[i] for i in filled]).total, step)
        counts[filled] = regular + end
    return counts


def resample_strokes(strokes: list[np.ndarray], step: float) -> list[np.ndarray]:
    """Each stroke resampled every ``step`` of arc length (x, y, t interpolated), both ends kept; all strokes
    in one interpolation (per-stroke numpy calls cost ~20 ms per UNIPEN line: half a training step's time)."""
    if any(len(s) == 0 for s in strokes):  # an empty stroke stays empty
        done = iter(resample_strokes([s for s in strokes if len(s)], step))
        return [next(done) if len(s) else s[:0].copy() for s in strokes]
    return _resample(_arc_lengths(strokes), step) if strokes else []


def _resample(arcs: _Arcs, step: float) -> list[np.ndarray]:
    pts, dist, first, counts, total = arcs
    regular, end = _samples_per_stroke(total, step)
    k = len(first)
    # queries: 0, step, ... per stroke, then its end where added; strokes kept apart on one axis by a gap
    gap = np.arange(k) * (step + 1.0)
    owner = np.repeat(np.arange(k), regular)
    local = (np.arange(len(owner)) - np.repeat(np.cumsum(regular) - regular, regular)) * step
    with_end = np.flatnonzero(end)
    owner = np.concatenate([owner, with_end])
    local = np.concatenate([local, total[with_end]])
    order = np.lexsort((local, owner))
    owner, local = owner[order], local[order]
    axis = dist + np.repeat(gap, counts)
    query = local + dist[first][owner] + gap[owner]
    # strictly increasing abscissae for interp: repeated points (zero-length segments) dropped, firsts kept
    keep = np.ones(len(pts), bool)
    keep[1:] = np.diff(dist) > 0
    keep[first] = True
    out = np.stack([np.interp(query, axis[keep], pts[keep, c]) for c in range(pts.shape[1])], axis=1)
    bounds = np.cumsum(regular + end)
    # the end of a stroke shorter than a step is its own last point, as recorded
    short_end = (total < step) & end
    out[bounds[short_end] - 1] = pts[(first + counts - 1)[short_end]]
    return np.split(out, bounds[:-1])


def line_height(strokes: list[np.ndarray], extent: float) -> float:
    """Writing size: the arc-length-weighted median of the strokes' vertical extents.

    Per stroke rather than over the whole ink, so that a sample holding several lines written one under
    the other (UNIPEN has such "lines") gets its letter size, not its block height.
    """
    strokes = [s for s in strokes if len(s) >= 2]
    if not strokes:
        return extent
    arcs = _arc_lengths(strokes)
    ext = np.array([np.ptp(f[:, 1]) for f in _resample(arcs, extent / 100.0)])
    weight = arcs.total
    if weight.sum() <= 0:
        return extent
    order = np.argsort(ext)
    cum = np.cumsum(weight[order])
    height = float(ext[order][np.searchsorted(cum, cum[-1] / 2)])
    return height if height > 0.05 * extent else extent


def _pen_steps(strokes: list[np.ndarray]) -> np.ndarray:
    """The (dx, dy) of every step within a stroke, [N, 2] (no jumps between strokes)."""
    steps = [np.diff(s[:, :2], axis=0) for s in strokes if len(s) > 1]
    return np.concatenate(steps) if steps else np.zeros((0, 2))


def _slant_of_steps(d: np.ndarray) -> float:
    upright = np.abs(d[:, 0]) < 1.19 * np.abs(d[:, 1])  # tan 50 degrees
    height = np.abs(d[upright, 1]).sum()
    if height <= 0:
        return 0.0
    return float(np.clip((d[upright, 0] * np.sign(d[upright, 1])).sum() / height, -1.0, 1.0))


def slant(strokes: list[np.ndarray]) -> float:
    """The writing's slant as a shear s (x = s * y along a down-stroke): the pen's horizontal drift per unit of
    height over the segments within 50 degrees of vertical, sum(dx * sign(dy)) / sum(|dy|), clipped to +-1."""
    return _slant_of_steps(_pen_steps(strokes))


def upright_shear(strokes: list[np.ndarray], rounds: int = 3) -> float:
    """The shear that makes ``slant`` zero: estimated again on the sheared writing a few times, because
    diagonals that lean with the slant drop out of the 50-degree window and bias one estimate towards 0."""
    d, total = _pen_steps(strokes), 0.0
    for _ in range(rounds):
        step = _slant_of_steps(np.stack([d[:, 0] - total * d[:, 1], d[:, 1]], axis=1))  # the sheared steps
        total += step
        if abs(step) < 1e-3:
            break
    return float(np.clip(total, -1.0, 1.0))


def normalize_ink(strokes: list[np.ndarray], deskew: bool = True, deslant: bool = False) -> list[np.ndarray]:
    """Scale so the letter height is 1 (aspect kept), deskew single lines, optionally make the writing upright
    (``deslant``), start x at 0 and centre y."""
    pts = np.concatenate(strokes)
    lo, hi = pts[:, :2].min(0), pts[:, :2].max(0)
    extent = max(hi[1] - lo[1], (hi[0] - lo[0]) / 8.0, 1e-6)
    # density-independent statistics: measure on a fine uniform resampling, not on raw device samples
    fine_strokes = resample_strokes(strokes, extent / 50.0)
    fine = np.concatenate(fine_strokes)[:, :2]
    out = [s.copy() for s in strokes]
    if deskew and len(fine) > 10 and np.ptp(fine[:, 0]) > 2 * max(np.ptp(fine[:, 1]), 1e-6):
        slope = np.polyfit(fine[:, 0], fine[:, 1], 1)[0]
        if abs(slope) < 0.5:  # only correct modest baseline tilt; steeper fits are not lines of text
            c, s_ = math.cos(-math.atan(slope)), math.sin(-math.atan(slope))
            rot = np.array([[c, s_], [-s_, c]])
            fine = fine @ rot
            for o in out:
                o[:, :2] = o[:, :2] @ rot
    y50 = float(np.median(fine[:, 1]))  # the centre line (the shear below moves x only)
    if deslant:
        # writers' slants differ (UNIPEN: shears -0.7 to +0.1, docs/handwriting.md); a shear about the centre line
        # removes the slant and keeps every height (slant correction as in NPen++, Jaeger et al. 2001)
        shear = upright_shear(np.split(fine, np.cumsum([len(f) for f in fine_strokes])[:-1]))  # fine, per stroke
        for o in [*out, fine]:
            o[:, 0] -= shear * (o[:, 1] - y50)
    height = line_height(out, extent)
    x0 = fine[:, 0].min()
    for o in out:
        o[:, 0] = (o[:, 0] - x0) / height
        o[:, 1] = (o[:, 1] - y50) / height
    return out


def affine_matrix(scale_x: float, shear: float, degrees: float) -> np.ndarray:
    """2 x 2 map of (x, y): stretch x, slant by ``shear``, then rotate by ``degrees``."""
    a = math.radians(degrees)
    # y grows downward: a forward slant moves the top (negative y) right, hence x -= shear * y
    return np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) @ np.array([[scale_x, -shear],
                                                                                             [0.0, 1.0]])


def apply_affine(strokes: list[np.ndarray], m: np.ndarray) -> list[np.ndarray]:
    """Copies of the strokes with their points' (x, y) mapped by the 2 x 2 matrix ``m``; times kept."""
    return _moved(strokes, lambda xy: xy @ m.T)


def augment_strokes(strokes: list[np.ndarray], aug: HandwritingAugment, rng: random.Random) -> list[np.ndarray]:
    """Random affine transform (aspect, slant, rotation) of normalized strokes."""
    if rng.random() >= aug.prob:
        return strokes
    sx = rng.uniform(*aug.scale_x)
    sh = rng.uniform(-aug.shear, aug.shear)
    m = affine_matrix(sx, sh, rng.uniform(-aug.rotate_deg, aug.rotate_deg))
    out = apply_affine(strokes, m)
    if aug.stroke_warp > 0:
        out = _warp_each_stroke(out, aug.stroke_warp, rng)
    return elastic_warp(out, aug.elastic, aug.elastic_wavelength, rng) if aug.elastic > 0 else out


ELASTIC_WAVES = 4


def elastic_warp(strokes: list[np.ndarray], amount: float, wavelength: float, rng: random.Random) -> list[np.ndarray]:
    """Every point moved by a smooth random field of the page: a sum of plane waves in random directions, scaled
    so that no point moves more than ``amount`` along either axis. Pen order and times are kept."""
    np_rng = np.random.default_rng(rng.getrandbits(32))
    angle = np_rng.uniform(0.0, 2 * math.pi, ELASTIC_WAVES)
    freq = 2 * math.pi / (wavelength * np_rng.uniform(0.7, 1.4, ELASTIC_WAVES))
    k = np.stack([np.cos(angle), np.sin(angle)], axis=1) * freq[:, None]  # [W, 2] wave vectors
    phase = np_rng.uniform(0.0, 2 * math.pi, ELASTIC_WAVES)
    amp = np_rng.normal(size=(ELASTIC_WAVES, 2))  # each wave pushes along its own random direction
    amp *= amount / np.abs(amp).sum(axis=0).clip(min=1e-9)  # the sum of |sin| terms stays within amount per axis
    return _moved(strokes, lambda xy: xy + np.sin(xy @ k.T + phase) @ amp)


def _moved(strokes: list[np.ndarray], move) -> list[np.ndarray]:
    """Copies of the strokes with their points' (x, y) replaced by ``move(xy)`` ([N, 2] -> [N, 2]); times kept."""
    out = []
    for s in strokes:
        o = s.copy()
        o[:, :2] = move(s[:, :2])
        out.append(o)
    return out


def _warp_each_stroke(strokes: list[np.ndarray], amount: float, rng: random.Random) -> list[np.ndarray]:
    """Every stroke scaled and slanted about its own centre and shifted up or down by its own small amount."""

    def warp(xy: np.ndarray) -> np.ndarray:  # its own draws, stroke after stroke
        scale, slant = 1.0 + rng.uniform(-amount, amount), rng.uniform(-amount, amount)
        shift = rng.uniform(-amount, amount) / 2
        centre = xy.mean(0)
        return (xy - centre) @ np.array([[scale, -slant], [0.0, scale]]).T + centre + (0.0, shift)

    return _moved(strokes, warp)


def _drop_and_jitter(strokes: list[np.ndarray], aug: HandwritingAugment, rng: random.Random) -> list[np.ndarray]:
    np_rng = np.random.default_rng(rng.getrandbits(32))
    out = []
    for s in strokes:
        if aug.point_dropout > 0 and len(s) > 2:
            keep = np_rng.random(len(s)) >= aug.point_dropout
            keep[[0, -1]] = True
            s = s[keep]
        if aug.jitter > 0:
            s = s.copy()
            s[:, :2] += np_rng.normal(0.0, aug.jitter, size=(len(s), 2))
        out.append(s)
    return out


def _augmented_points(strokes: list[np.ndarray], spacing: float, aug: HandwritingAugment,
                      rng: random.Random) -> list[np.ndarray]:
    """Augmented, resampled strokes with at least as many points as the clean ink.

    The trainer checks CTC feasibility (enough frames for the label) on clean lengths; an augmented copy
    that came out shorter (squeezed, points dropped) is resampled a little finer instead of failing.
    """
    clean = int(resampled_lengths(strokes, spacing).sum())
    moved = augment_strokes(strokes, aug, rng)
    seed = rng.getrandbits(32)
    step, target = spacing, clean
    for _ in range(4):
        out = _drop_and_jitter(resample_strokes(moved, step), aug, random.Random(seed))
        n = sum(len(s) for s in out)
        if n >= target:
            break
        target = clean + max(2, clean // 50)  # once shrunk, aim a little above the clean length
        step *= 0.97 * n / target
    return out


def point_features(strokes: list[np.ndarray], time_delta: bool, spacing: float) -> np.ndarray:
    pts = np.concatenate(strokes)
    pen_up = np.concatenate([np.eye(1, len(s), 0)[0] for s in strokes])
    # steps in units of the resampling spacing: pen-down moves are about unit length whatever the spacing
    # (inputs near unit scale train much faster than 0.2-sized ones); long pen-up jumps are clipped
    d = np.clip(np.diff(pts[:, :2], axis=0, prepend=pts[:1, :2]) / spacing, -MAX_JUMP, MAX_JUMP)
    cols = [d[:, 0], d[:, 1], pts[:, 1] - local_centre(pts[:, 1]), pen_up]
    if time_delta:
        cols.append(_time_deltas(pts[:, 2]))
    return np.stack(cols, axis=1)


def local_centre(y: np.ndarray, half_window: int = LOCAL_WINDOW) -> np.ndarray:
    """Running median of y over neighbouring points in pen order: the centre line of the nearby writing,
    so the y feature means "above/below the line" even in multi-line or wavy samples."""
    if len(y) <= 2 * half_window + 1:
        return np.full(len(y), np.median(y))
    padded = np.pad(y, half_window, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, 2 * half_window + 1), axis=1)


def _time_deltas(t: np.ndarray) -> np.ndarray:
    if np.isnan(t).any():
        return np.zeros(len(t))
    return np.clip(np.diff(t, prepend=t[:1]), 0.0, MAX_DT)


def ink_features(ink: Ink | list[np.ndarray], cfg: HandwritingFeatures, aug: HandwritingAugment | None = None,
                 rng: random.Random | None = None) -> torch.Tensor:
    """Feature sequence [T, feature_dim(cfg)] of an ink (augmented when ``aug`` is given)."""
    strokes = ink.strokes if isinstance(ink, Ink) else ink
    return _normalized_features(normalize_ink(strokes, cfg.deskew, cfg.deslant), cfg, aug, rng or random.Random())


def ink_features_and_text(ink: Ink | list[np.ndarray], text: str, cfg: HandwritingFeatures,
                          aug: HandwritingAugment | None, rng: random.Random,
                          partner: Callable[[], tuple[Ink, str] | None] | None = None) -> tuple[torch.Tensor, str]:
    """Training: the features and the transcript of a line, which ``augment.splice`` may join to the end of
    ``partner()``'s line (another line by the same writer), whose words ``augment.word_order`` may re-order and
    whose word gaps ``augment.word_gaps`` may narrow or widen, and which ``augment.font_ink`` may first replace by
    the transcript written in a font."""
    strokes = ink.strokes if isinstance(ink, Ink) else ink
    if aug is not None and aug.font_ink > 0 and rng.random() < aug.font_ink:
        strokes = _font_written(text, rng) or strokes
    strokes = normalize_ink(strokes, cfg.deskew, cfg.deslant)
    if aug is None:
        return _normalized_features(strokes, cfg, aug, rng), text
    if aug.splice > 0 and partner is not None and rng.random() < aug.splice:
        strokes, text = _spliced(strokes, text, partner, cfg, rng)
    if aug.word_order > 0 and rng.random() < aug.word_order:
        from .word_order import shuffle_words

        strokes, text = shuffle_words(strokes, text, rng)
    # each step splits the line anew: splicing and re-ordering move its strokes, so earlier spans no longer hold
    if aug.word_gaps != (1.0, 1.0):
        from .word_gaps import scale_word_gaps
        from .word_order import split_line

        line = split_line(strokes, text)
        if line is not None:
            strokes = scale_word_gaps(line, rng.uniform(*aug.word_gaps))
    return _normalized_features(strokes, cfg, aug, rng), text


def _font_written(text: str, rng: random.Random) -> list[np.ndarray] | None:
    from .font_ink import font_line
    from .ink import make_stroke

    strokes = font_line(text, rng)
    return None if strokes is None else [make_stroke(s) for s in strokes]


def _spliced(strokes: list[np.ndarray], text: str, partner, cfg: HandwritingFeatures,
             rng: random.Random) -> tuple[list[np.ndarray], str]:
    from .splice import splice_lines
    from .word_order import split_line

    first = split_line(strokes, text)
    if first is None:
        return strokes, text
    for _ in range(SPLICE_TRIES):  # about a third of UNIPEN's lines show their words apart
        other = partner()
        if other is None:
            break
        ink, other_text = other
        second = split_line(normalize_ink(ink.strokes, cfg.deskew, cfg.deslant), other_text)
        if second is not None:
            return splice_lines(first, second, rng)
    return strokes, text


def _normalized_features(strokes: list[np.ndarray], cfg: HandwritingFeatures, aug: HandwritingAugment | None,
                         rng: random.Random) -> torch.Tensor:
    if aug is None:
        strokes = resample_strokes(strokes, cfg.spacing)
    else:
        strokes = _augmented_points(strokes, cfg.spacing, aug, rng)
    if cfg.kind == "bezier":
        from .bezier import bezier_features

        feats = bezier_features(strokes, cfg)
    else:
        feats = point_features(strokes, cfg.time_delta, cfg.spacing)
    if aug is not None and aug.time_masks:
        feats = mask_spans(feats, aug.time_masks, aug.time_mask_width, rng)
    return torch.from_numpy(feats.astype(np.float32))


def mask_spans(feats: np.ndarray, count: int, width: int, rng: random.Random) -> np.ndarray:
    """``count`` random spans of up to ``width`` rows (and at most a tenth of the sequence each) set to zero."""
    out = feats.copy()
    longest = min(width, len(feats) // 10)
    for _ in range(count if longest else 0):
        w = rng.randint(0, longest)
        start = rng.randint(0, len(feats) - w)
        out[start:start + w] = 0.0
    return out


class InkFrontend(nn.Module):
    """Pass-through: features are computed in the data workers; padding is left untouched."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x, lengths

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        return lengths


def build_frontend(cfg: HandwritingFeatures, aug: HandwritingAugment | None = None, model=None) -> tuple[nn.Module, int]:
    dim = feature_dim(cfg)
    return InkFrontend(dim), dim
