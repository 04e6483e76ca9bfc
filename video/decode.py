"""Decode just the frames a sampler asks for, resized on the fly, with one-line errors for bad files.

Frames are reached by ``grab()`` (demux + decode, no colour conversion or copy) and only the wanted ones
are ``retrieve()``d and shrunk at once, so memory stays at a few frames whatever the resolution or
length. Long gaps are crossed by seeking. The frame count comes from the container metadata; if reading
runs past the real end the file is recounted and the sampler asked again with the true count.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

# FFmpeg's and OpenCV's own console messages would break the one-line error contract; the reasons are
# reported through SuiteError instead. (Read by OpenCV when its FFmpeg backend starts.)
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
import cv2  # noqa: E402
import numpy as np

from suite.errors import SuiteError

from .container import inspect_container

cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

SEEK_GAP = 48  # frames: beyond this a seek (decode from the previous keyframe) beats grabbing through
_EXACT_COUNT_KINDS = ("mp4", "avi")  # containers whose header frame count is exact, not estimated


@dataclass
class VideoInfo:
    path: str
    frame_count: int
    fps: float
    width: int
    height: int

    @property
    def duration(self) -> float:
        return self.frame_count / self.fps


class _EndOfStream(Exception):
    """Reading stopped before the frame the sampler wanted (the metadata over-counted)."""


def _open_error(path: Path) -> SuiteError:
    """Explain why OpenCV could not open ``path``."""
    info = inspect_container(path)
    if info.problem:
        return SuiteError(info.problem, path)
    if info.kind == "mp4" and info.tracks is not None and "vide" not in info.tracks:
        what = "audio-only MP4 (no video track)" if "soun" in info.tracks else "MP4 without a video track"
        return SuiteError(what, path)
    if info.kind == "audio":
        return SuiteError("audio-only file (no video stream)", path)
    if info.kind == "unknown":
        return SuiteError("not a video file (unrecognised content)", path)
    return SuiteError(f"cannot decode this {info.kind} file (corrupt, truncated or unsupported codec)", path)


class VideoReader:
    """An open video: metadata plus random access to frames by index (RGB, resized)."""

    def __init__(self, path: str | Path, max_frames: int = 2_000_000, max_pixels: int = 8192 * 4320, threads: int = 0):
        self.path = Path(path)
        self.max_frames = max_frames
        self.threads = threads
        if not self.path.exists():
            raise SuiteError("file not found", self.path)
        if not self.path.is_file():
            raise SuiteError("not a file", self.path)
        if self.path.stat().st_size == 0:
            raise SuiteError("empty file", self.path)
        self.container = inspect_container(self.path)
        if self.container.problem:  # e.g. truncated MP4: refuse even if a prefix would decode
            raise SuiteError(self.container.problem, self.path)
        self._cap = self._open()
        if self._cap is None:
            raise _open_error(self.path)
        cap = self._cap
        width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if width <= 0 or height <= 0:
            self.close()
            raise _open_error(self.path)
        if width * height > max_pixels:
            self.close()
            raise SuiteError(f"frame size {width}x{height} is over the limit of {max_pixels} pixels", self.path)
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps_known = 0 < fps < 1000
        declared = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        if declared > max_frames:
            self.close()
            raise SuiteError(f"declares {declared} frames, over the limit of {max_frames}", self.path)
        self.declared = declared
        self.info = VideoInfo(str(self.path), declared, fps if self.fps_known else 25.0, width, height)
        self._next = 0  # index of the frame the next grab() returns
        if declared <= 0:
            self.recount()

    def _open(self):
        params = [cv2.CAP_PROP_N_THREADS, self.threads] if self.threads > 0 else []
        cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG, params)
        if not cap.isOpened():
            cap.release()
            return None
        return cap

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def recount(self) -> int:
        """Count the decodable frames by grabbing through the file (metadata missing or wrong)."""
        self.close()
        self._cap = self._open()
        count = 0
        while count <= self.max_frames and self._cap is not None and self._cap.grab():
            count += 1
        if count > self.max_frames:
            raise SuiteError(f"has more than {self.max_frames} frames (the limit)", self.path)
        if count == 0:
            raise SuiteError("no decodable video frames (audio-only, empty or corrupt)", self.path)
        if self.declared > 0 and self.container.kind in _EXACT_COUNT_KINDS and count < 0.9 * self.declared - 2:
            raise SuiteError(f"truncated or corrupt: declares {self.declared} frames but only {count} decode", self.path)
        self.info.frame_count = count
        self.close()
        self._cap = self._open()
        self._next = 0
        return count

    def output_size(self, short_side: int | None) -> tuple[int, int]:
        """(width, height) of returned frames: the short side scaled to ``short_side``, aspect kept."""
        w, h = self.info.width, self.info.height
        if not short_side:
            return w, h
        scale = short_side / min(w, h)
        return max(1, round(w * scale)), max(1, round(h * scale))

    def read(self, indices: Sequence[int], short_side: int | None = None) -> np.ndarray:
        """Frames at ``indices`` (any order, repeats allowed) as uint8 RGB [N, H, W, 3]."""
        if self._cap is None:
            self._cap = self._open()
            self._next = 0
        out_w, out_h = self.output_size(short_side)
        wanted = sorted(set(int(i) for i in indices))
        got: dict[int, np.ndarray] = {}
        cap = self._cap
        for index in wanted:
            if index < 0:
                raise ValueError(f"negative frame index {index}")
            if index < self._next or index - self._next > SEEK_GAP:
                cap.set(cv2.CAP_PROP_POS_FRAMES, index)
                self._next = index
            while self._next < index:
                if not cap.grab():
                    raise _EndOfStream
                self._next += 1
            ok, frame = cap.read()
            if not ok or frame is None:
                raise _EndOfStream
            self._next += 1
            if frame.shape[1] != out_w or frame.shape[0] != out_h:
                shrink = frame.shape[0] * frame.shape[1] > out_w * out_h
                frame = cv2.resize(frame, (out_w, out_h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
            if frame.ndim == 2:
                frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
            else:
                frame = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            got[index] = frame
        if len(indices) == 0:
            return np.zeros((0, out_h, out_w, 3), np.uint8)
        return np.stack([got[int(i)] for i in indices])


def read_sampled(reader: VideoReader, sample: Callable[[int], Sequence[int]], short_side: int | None) -> np.ndarray:
    """Ask ``sample(frame_count)`` for indices and read them; recount once if the metadata over-counted."""
    try:
        return reader.read(sample(reader.info.frame_count), short_side)
    except _EndOfStream:
        reader.recount()
    try:
        return reader.read(sample(reader.info.frame_count), short_side)
    except _EndOfStream:
        raise SuiteError("decoding failed part-way (corrupt video data)", reader.path) from None


def probe(path: str | Path, **limits) -> VideoInfo:
    """Metadata of a video (frame count as declared, recounted if the container gives none)."""
    with VideoReader(path, **limits) as reader:
        return reader.info
