"""Optical-flow channels beside each sampled frame (``features.motion: flow``) or instead of it (``flow_only``):
the temporal stream of two-stream networks (Simonyan & Zisserman, 2014), for a CNN trained from scratch.

Each TSN frame is read together with the frame ``features.motion_gap`` seconds later; both go through the
same crop and colour change, then Farneback flow between them (OpenCV) is computed on the model's input
pixels. The camera's own motion (shake, zoom, pan) is an affine flow field over the whole frame: it is fitted
by least squares (twice, the second time without the pixels the first fit explains worst, where the actor
moves) and subtracted, so what is left is what moves in the scene. The flow travels as two uint8 channels
(``FLOW_OFFSET + pixels * FLOW_LEVELS``) after the frame's three (or alone), so clips stay uint8 until the model.
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
import torch

from .config import VideoFeatures

FLOW_LEVELS = 16.0  # uint8 steps per pixel of flow: +-7.9 pixels fit, 1/16 pixel resolution
FLOW_OFFSET = 128.0
FLOW_CHANNELS = 2
EDGE = 6.0  # grey levels per pixel of gradient at which flow is fully trusted


def gap_frames(fps: float, seconds: float) -> int:
    """Frames between a sampled frame and its flow partner: ``seconds`` at ``fps``, at least one."""
    return max(1, round(seconds * fps))


def with_partners(indices: list[int], gap: int, n_frames: int) -> list[int]:
    """``[i0, i0 + gap, i1, i1 + gap, ...]``; a partner past the video's last frame is taken ``gap`` frames before
    instead (its flow then points backwards in time, so it is negated: see ``flow_clip``'s ``backwards``)."""
    last = n_frames - 1
    out = []
    for i in indices:
        out += [i, i + gap if i + gap <= last else max(0, i - gap)]
    return out


def frame_indices(features: VideoFeatures, fps: float, n_frames: int, indices: list[int]) -> list[int]:
    """The frames to read for the sampled ``indices``: themselves, or with ``features.motion`` each followed by
    its flow partner (``with_partners``)."""
    if features.motion == "none":
        return indices
    return with_partners(indices, gap_frames(fps, features.motion_gap), n_frames)


def model_clip(clip: torch.Tensor, read: list[int], features: VideoFeatures) -> torch.Tensor:
    """A transformed uint8 clip of the frames read at ``read`` (``frame_indices``) -> the model's input: the
    clip itself, or with ``features.motion`` its flow channels (``flow_clip``). Both frames of a pair have
    been through the same crop and colour change."""
    if features.motion == "none":
        return clip
    return flow_clip(clip, backwards_partners(read), features.motion == "flow", features.flow_scale)


def texture(grey: np.ndarray) -> np.ndarray:
    """How well flow can be measured at each pixel, 0..1: the local gradient magnitude, saturating at
    ``EDGE`` grey levels a pixel. Flat areas get ~0: Farneback's flow there is extrapolated, not measured."""
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    mag = cv2.GaussianBlur(np.sqrt(gx * gx + gy * gy) / 8.0, (5, 5), 0)
    return np.clip(mag / EDGE, 0.0, 1.0)


@lru_cache(maxsize=8)
def _affine_basis(h: int, w: int) -> np.ndarray:
    """[h * w, 3]: 1, x and y of every pixel (centred, in frame widths): an affine flow is this times [3, 2]."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    basis = np.stack([np.ones(h * w, np.float32), xs.ravel() / w - 0.5, ys.ravel() / h - 0.5], axis=1)
    basis.flags.writeable = False  # shared between calls
    return basis


def camera_motion(flow: np.ndarray, weight: np.ndarray, keep: float = 0.7) -> np.ndarray:
    """The affine flow field [H, W, 2] that best explains ``flow`` where ``weight`` (0..1) trusts it: a weighted
    least-squares fit, then a refit to the ``keep`` fraction of trusted pixels it explains best (the moving
    actor and objects fall out of the second fit)."""
    h, w = flow.shape[:2]
    basis = _affine_basis(h, w)
    target = flow.reshape(-1, 2)
    wt = weight.ravel() + 1e-3

    def fit(wm):  # weighted normal equations: 3 x 3, much faster than lstsq on every pixel
        bw = basis * wm[:, None]
        return np.linalg.solve(bw.T @ basis + 1e-6 * np.eye(3, dtype=np.float32), bw.T @ target)

    coef = fit(wt)
    residual = np.abs(target - basis @ coef).sum(axis=1)
    trusted = wt > 0.2
    if trusted.sum() >= 16:
        cut = np.partition(residual[trusted], int(keep * (trusted.sum() - 1)))[int(keep * (trusted.sum() - 1))]
        coef = fit(wt * (trusted & (residual <= cut)))
    return (basis @ coef).reshape(h, w, 2)


def scene_flow(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Flow [H, W, 2] in pixels from RGB uint8 frame ``first`` [H, W, 3] to ``second``, camera motion removed
    and faded out where the frame is too flat to measure it."""
    a = cv2.cvtColor(np.ascontiguousarray(first), cv2.COLOR_RGB2GRAY)
    b = cv2.cvtColor(np.ascontiguousarray(second), cv2.COLOR_RGB2GRAY)
    levels = 2 if min(a.shape) < 96 else 3
    flow = cv2.calcOpticalFlowFarneback(a, b, None, pyr_scale=0.5, levels=levels, winsize=9, iterations=3,
                                        poly_n=5, poly_sigma=1.1, flags=0)
    trust = np.maximum(texture(a), texture(b))
    return (flow - camera_motion(flow, trust)) * trust[..., None]


def shrink(image: np.ndarray, scale: int) -> np.ndarray:
    """[H, W, C] averaged over ``scale`` x ``scale`` blocks (OpenCV's area interpolation)."""
    if scale == 1:
        return image
    h, w = image.shape[:2]
    return cv2.resize(image, (w // scale, h // scale), interpolation=cv2.INTER_AREA)


def flow_clip(pairs: torch.Tensor, backwards: list[bool] | None = None, rgb: bool = True,
              scale: int = 1) -> torch.Tensor:
    """uint8 [2T, 3, H, W] (each frame followed by its partner) -> uint8 [T, 5, H / scale, W / scale]: the
    frame, then its flow towards the partner (x, y) quantised; ``backwards[t]``: the partner came before, the
    flow is negated. ``rgb`` False: the flow alone, [T, 2, ...]. With ``scale`` > 1 the flow is measured on the
    frames as given, then area-averaged down (and its pixels counted at the smaller size)."""
    frames = pairs.permute(0, 2, 3, 1).numpy()
    T = len(frames) // 2
    c = 3 if rgb else 0
    out = np.empty((T, c + FLOW_CHANNELS, frames.shape[1] // scale, frames.shape[2] // scale), np.uint8)
    for t in range(T):
        flow = shrink(scene_flow(frames[2 * t], frames[2 * t + 1]), scale) / scale
        if backwards is not None and backwards[t]:
            flow = -flow
        if rgb:
            out[t, :3] = shrink(frames[2 * t], scale).transpose(2, 0, 1)
        out[t, c:] = np.clip(np.rint(FLOW_OFFSET + flow * FLOW_LEVELS), 0, 255).transpose(2, 0, 1)
    return torch.from_numpy(out)


def backwards_partners(indices: list[int]) -> list[bool]:
    """For ``with_partners``' output: which pairs had to take their partner before the frame."""
    return [indices[k + 1] < indices[k] for k in range(0, len(indices), 2)]


def flow_pixels(channels: torch.Tensor) -> torch.Tensor:
    """The quantised flow channels (uint8 or their float values) back to pixels."""
    return (channels.float() - FLOW_OFFSET) / FLOW_LEVELS
