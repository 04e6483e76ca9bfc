"""The video domain's `features:` and `augment:` config sections."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from suite.domain import StrictModel


class VideoFeatures(StrictModel):
    """How a clip becomes the model input: which frames, at what size, normalised how."""

    num_frames: int = Field(8, ge=1, le=512)  # TSN segments: one frame is sampled from each
    size: int = Field(112, ge=8, le=1024)  # side of the square model input (crop)
    resize: int | None = Field(None, ge=8, le=2048)  # short side after decoding; None: size * 8 / 7
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)  # per-channel, on 0..1 pixels
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    # "flow": each sampled frame comes with its optical flow towards the frame motion_gap seconds later, camera
    # motion removed (two more input channels, video/motion.py): what moves, apart from the clutter that does not;
    # "flow_only": the flow without the frame (two channels; the temporal stream of a two-stream network)
    motion: Literal["none", "flow", "flow_only"] = "none"
    motion_gap: float = Field(0.08, gt=0, le=2.0)
    # flow measured on frames flow_scale times the model's size, then area-averaged down to it: at 64 px a
    # limb is ~2 px wide and Farneback's window blurs its motion into the clutter around it
    flow_scale: int = Field(1, ge=1, le=4)
    test_clips: int = Field(1, ge=1, le=32)  # clips per video at inference; scores are averaged
    # `suite label --timeline/--plot` only: the span one model window covers along a long video. Training,
    # evaluation and plain labelling spread the num_frames segments over the whole clip (TSN) instead.
    window_seconds: float = Field(2.0, gt=0)
    max_frames: int = Field(2_000_000, ge=1)  # refuse files declaring more frames than this
    max_pixels: int = Field(8192 * 4320, ge=1)  # refuse frames larger than this (width * height)

    @model_validator(mode="after")
    def _flow_scale_needs_motion(self) -> "VideoFeatures":
        if self.flow_scale > 1 and self.motion == "none":
            raise ValueError(f"features.flow_scale {self.flow_scale} scales the optical flow: it needs "
                             "features.motion flow or flow_only")
        return self

    @property
    def short_side(self) -> int:
        """Short side of the model's input frames before the crop."""
        return self.resize if self.resize is not None else max(self.size, round(self.size * 8 / 7))

    @property
    def decode_side(self) -> int:
        """Short side frames are resized to while decoding (``flow_scale`` is 1 without motion: validated)."""
        return self.short_side * self.flow_scale

    @property
    def crop_size(self) -> int:
        """Side of the square the transforms crop (the model's ``size`` once the flow is scaled down)."""
        return self.size * self.flow_scale


class VideoAugment(StrictModel):
    """Training-time spatial augmentation (the temporal offset of each segment is always random)."""

    crop_scale: tuple[float, float] = (0.6, 1.0)  # area fraction kept by the random resized crop
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    # Probability of a horizontal flip. Off by default: a mirrored walk_left is a walk_right. With
    # mirror_pairs, a flipped clip of one label of a pair is relabelled as the other (and other labels kept).
    flip: float = Field(0.0, ge=0, le=1)
    mirror_pairs: list[tuple[str, str]] = []  # e.g. [[walk_left, walk_right], [turn_left, turn_right]]
    jitter: float = Field(0.8, ge=0, le=1)  # probability of colour jitter
    brightness: float = Field(0.3, ge=0)
    contrast: float = Field(0.3, ge=0)
    saturation: float = Field(0.3, ge=0)
    hue: float = Field(0.05, ge=0, le=0.5)
    grayscale: float = Field(0.0, ge=0, le=1)  # probability of a grey clip (shapes over colours)
    # probability of one rectangle filled with the mean colour, at the same place in every frame (an occluder;
    # Zhong et al. 2017, random erasing), covering a fraction erase_scale of the frame
    erase: float = Field(0.0, ge=0, le=1)
    erase_scale: tuple[float, float] = (0.02, 0.2)

    @field_validator("crop_scale", "erase_scale")
    @classmethod
    def _area_fractions(cls, bounds: tuple[float, float]) -> tuple[float, float]:
        lo, hi = bounds
        if not 0 < lo <= hi <= 1:
            raise ValueError(f"[{lo:g}, {hi:g}] is not an area fraction range: 0 < low <= high <= 1")
        return bounds

    @field_validator("mirror_pairs")
    @classmethod
    def _pairs_disjoint(cls, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        seen: set[str] = set()
        for a, b in pairs:
            if a == b:
                raise ValueError(f"mirror pair [{a}, {b}] names the same label twice")
            for label in (a, b):
                if label in seen:
                    raise ValueError(f"label {label!r} is in more than one mirror pair")
                seen.add(label)
        return pairs
