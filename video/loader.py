"""``Domain.load`` for video: file -> sampled, transformed uint8 clip [T, C, H, W]."""
from __future__ import annotations

import random

import torch

from suite.errors import CorruptSample, SuiteError

from .config import VideoAugment, VideoFeatures
from .decode import VideoReader, read_sampled
from .motion import frame_indices, model_clip
from .sampling import segment_indices
from .transforms import apply_transform


def open_video(path, features: VideoFeatures, threads: int = 0) -> VideoReader:
    return VideoReader(path, max_frames=features.max_frames, max_pixels=features.max_pixels, threads=threads)


def flip_label(label: str, mirror_pairs) -> str:
    """The label of a horizontally mirrored clip: its partner in ``mirror_pairs``, else itself."""
    for a, b in mirror_pairs:
        if label == a:
            return b
        if label == b:
            return a
    return label


def load_clip(path, features: VideoFeatures, augment: VideoAugment | None, rng: random.Random | None = None,
              view: int = 0, views: int = 1, start: float | None = None, end: float | None = None,
              label: str | None = None) -> torch.Tensor | tuple[torch.Tensor, str]:
    """One clip of ``features.num_frames`` TSN frames spread over the whole video (or its ``start``-``end``
    part, seconds from a manifest row): random offsets when ``augment`` is given (training), centred (or
    the staggered clip ``view`` of ``views``, for multi-clip evaluation) otherwise. Unreadable files raise ``CorruptSample``.
    With ``features.motion: flow`` the clip is [T, 5, H, W]: each frame and its flow (``video/motion.py``);
    with ``flow_only`` [T, 2, H, W].

    Training flips the clip horizontally with probability ``augment.flip``. Given the sample's ``label``
    the result is ``(clip, label after the flip)``: swapped with its partner in ``augment.mirror_pairs``."""
    rng = rng or random.Random()
    try:
        # one decoder thread: DataLoader workers already decode in parallel
        with open_video(path, features, threads=1) as reader:
            fps = reader.info.fps

            sampled: list[int] = []

            def sample(n_frames: int) -> list[int]:
                first = round(start * fps) if start is not None else 0
                last = round(end * fps) if end is not None else n_frames
                if first >= n_frames:
                    raise SuiteError(f"start {start:g} s is past the end of the video ({n_frames / fps:.2f} s)", path)
                sampled[:] = frame_indices(features, fps, n_frames, segment_indices(
                    n_frames, features.num_frames, rng if augment is not None else None, view, views, start=first,
                    end=max(last, first + 1)))
                return sampled

            frames = read_sampled(reader, sample, features.decode_side)
    except CorruptSample:
        raise
    except SuiteError as err:
        raise CorruptSample(err.reason, path) from None
    clip_tensor = torch.from_numpy(frames).permute(0, 3, 1, 2)
    # the flip is decided here rather than in the torchvision pipeline because the label has to know
    flipped, pairs = False, ()
    if augment is not None and augment.flip > 0:
        flipped, pairs = rng.random() < augment.flip, augment.mirror_pairs
        augment = augment.model_copy(update={"flip": 0.0})  # so the pipeline does not flip again
    if flipped:
        clip_tensor = clip_tensor.flip(-1)
    # flow after the transform: both frames of a pair get the same crop and colours
    out = model_clip(apply_transform(clip_tensor.contiguous(), features, augment, rng), sampled, features)
    if label is None:
        return out
    return out, flip_label(label, pairs) if flipped else label


def estimate_length(path, features: VideoFeatures) -> int:
    """Every clip is ``num_frames`` long, so bucketing needs no file access."""
    return features.num_frames
